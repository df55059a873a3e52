//! The OpenAPI document. Paths are collected from the routes as they are registered (see
//! `startup`), so a JSON route cannot exist without appearing here.

use actix_web::{get, HttpResponse};
use serde::Serialize;
use utoipa::{
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    Modify, OpenApi, ToSchema,
};

use crate::{
    auth::api::AnyPrincipal,
    auth::api::Principal,
    error::{ApiErrorBody, AppError},
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Outreach API",
        description = "Referrals in, calls and plans through, re-engagement reports out. \
            Authenticate with `Authorization: Bearer <client API key or personal token>`. \
            Every error has the shape of `ApiErrorBody`."
    ),
    components(schemas(ApiErrorBody)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        openapi.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
    }
}

/// Who the presented credential belongs to: lets an integration check its key.
#[derive(Serialize, serde::Deserialize, ToSchema)]
pub struct WhoAmI {
    /// `client` for a client API key, `staff` for a personal token.
    pub kind: String,
    pub client_id: Option<i64>,
    pub user_id: Option<i64>,
    pub role: Option<String>,
}

#[utoipa::path(
    tag = "meta",
    responses(
        (status = 200, description = "The credential is valid", body = WhoAmI),
        (status = 401, description = "Missing, unknown or revoked credential", body = ApiErrorBody),
    )
)]
#[get("/api/v1/me")]
pub async fn me(AnyPrincipal(principal): AnyPrincipal) -> Result<HttpResponse, AppError> {
    let body = match principal {
        Principal::Client { client_id, .. } => WhoAmI {
            kind: "client".into(),
            client_id: Some(client_id),
            user_id: None,
            role: None,
        },
        Principal::Staff { user, .. } => WhoAmI {
            kind: "staff".into(),
            client_id: None,
            user_id: Some(user.id),
            role: Some(user.role.to_string()),
        },
    };
    Ok(HttpResponse::Ok().json(body))
}

/// Registers every JSON route; `startup` runs this through utoipa's collector.
pub fn api_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(me);
    crate::intake::api::api_routes(cfg);
    crate::cases::api::api_routes(cfg);
    crate::cases::privacy::api::api_routes(cfg);
    crate::calls::api::api_routes(cfg);
    crate::scheduling::api::api_routes(cfg);
    crate::plans::api::api_routes(cfg);
    crate::reports::api::api_routes(cfg);
}
