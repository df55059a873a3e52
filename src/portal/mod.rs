//! The client portal: a client's own cases, CSV upload, and (in `reports`) its re-engagement
//! figures. Every query here is scoped to the signed-in user's client.

use actix_multipart::Multipart;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use futures_util::StreamExt;

use crate::{
    accounts,
    audit::{self, Actor},
    auth::{
        csrf::{self, CsrfToken},
        roles::ClientUser,
    },
    cases, db,
    error::{AppError, AppResult},
    intake::csv_import,
    state::AppState,
    web::Page,
};

/// Uploads larger than this go through `outreach import`.
const MAX_UPLOAD_BYTES: usize = 50 * 1024 * 1024;

#[get("/portal")]
async fn overview(
    state: web::Data<AppState>,
    user: ClientUser,
    csrf: CsrfToken,
) -> AppResult<HttpResponse> {
    let client_id = user.client()?;
    let actor = user.actor();
    let (client, cases) = db::run(&state.pool, move |conn| {
        let cases = cases::store::recent_for_client(conn, client_id, 50)?;
        // Customers' names were shown: case access is audited, lists included.
        audit::record(
            conn,
            actor,
            audit::Entry::for_client("cases_listed", client_id)
                .detail(format!("{} most recent cases", cases.len())),
        )?;
        Ok((accounts::store::client(conn, client_id)?, cases))
    })
    .await?;
    Page::new("portal/overview.html", &csrf, Some(&user.user))
        .with("client", &client)
        .with("cases", &cases)
        .render(&state)
}

/// Reads the multipart body: the CSRF field and the file's bytes. The limit counts every field
/// together, so a form padded with extra or repeated fields cannot hold more in memory; fields
/// other than these two are read past without being kept.
async fn read_upload(mut payload: Multipart) -> AppResult<(Option<String>, Vec<u8>)> {
    let mut token = None;
    let mut file = Vec::new();
    let mut received = 0usize;
    while let Some(field) = payload.next().await {
        let mut field =
            field.map_err(|_| AppError::bad_request("The upload could not be read."))?;
        let name = field.name().unwrap_or_default().to_string();
        let keep = matches!(name.as_str(), "csrf_token" | "file");
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk =
                chunk.map_err(|_| AppError::bad_request("The upload could not be read."))?;
            received += chunk.len();
            if received > MAX_UPLOAD_BYTES {
                return Err(AppError::bad_request(
                    "The file is larger than 50 MB. Split it, or ask us to import it with `outreach import`.",
                ));
            }
            if keep {
                bytes.extend_from_slice(&chunk);
            }
        }
        match name.as_str() {
            "csrf_token" => token = Some(String::from_utf8_lossy(&bytes).into_owned()),
            "file" => file = bytes,
            _ => {}
        }
    }
    Ok((token, file))
}

#[post("/portal/referrals/upload")]
async fn upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: ClientUser,
    csrf: CsrfToken,
    payload: Multipart,
) -> AppResult<HttpResponse> {
    let client_id = user.client()?;
    let (token, file) = read_upload(payload).await?;
    csrf::verify(&req, token.as_deref())?;
    if file.is_empty() {
        return Err(AppError::field("file", "choose a CSV file to upload"));
    }
    let actor = Actor::User(user.id);
    let now = state.clock.now();
    let report = db::run(&state.pool, move |conn| {
        csv_import::import(&mut [conn], client_id, actor, file.as_slice(), now, |_| {})
    })
    .await;
    match report {
        Ok(report) => Page::new("portal/import_report.html", &csrf, Some(&user.user))
            .with("report", &report)
            .render(&state),
        // The file's own mistakes (a missing column) are the client's to correct, as before.
        Err(error @ (AppError::Validation { .. } | AppError::TooLarge(_))) => Err(error),
        // Anything else stopped it part way: chunks before it are stored. Say so, and that
        // uploading again finishes the job, rather than a bare "something went wrong".
        Err(error) => {
            tracing::error!(client_id, %error, "portal import stopped part way");
            let mut page = Page::new("portal/import_interrupted.html", &csrf, Some(&user.user))
                .render(&state)?;
            *page.status_mut() = actix_web::http::StatusCode::SERVICE_UNAVAILABLE;
            Ok(page)
        }
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(overview).service(upload);
}
