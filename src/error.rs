//! The one error type for the web layer, mapped to HTTP in one place. `/api/` gets the JSON shape
//! `{"error", "message", "fields"?, "request_id"?}`; pages get the same facts as an HTML page
//! (see `web::error_pages`). Internals (SQL, causes) go to the log, never to the user.

use std::collections::BTreeMap;

use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

/// Field name → messages, in the user's terms.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("{message}")]
    Validation {
        message: String,
        fields: FieldErrors,
    },
    #[error("authentication required")]
    Unauthorized,
    /// A page that needs a login: sends the browser to the login page.
    #[error("login required")]
    LoginRequired,
    #[error("forbidden")]
    Forbidden,
    #[error("{0}")]
    Conflict(String),
    #[error("too many requests")]
    TooManyRequests,
    /// A request body over the limit: 413.
    #[error("{0}")]
    TooLarge(String),
    /// A body in a format the route does not read (JSON sent as something else): 415.
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the database is unavailable")]
    Unavailable,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// This failure again, for each of several requests whose shared work it ended.
    pub fn for_each_request(&self) -> AppError {
        match self {
            AppError::Unavailable => AppError::Unavailable,
            other => AppError::Internal(anyhow::anyhow!("{other:#}")),
        }
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut fields = FieldErrors::new();
        fields.insert(field.to_string(), vec![message.into()]);
        AppError::Validation {
            message: "Some details need correcting.".into(),
            fields,
        }
    }

    pub fn fields(fields: FieldErrors) -> Self {
        AppError::Validation {
            message: "Some details need correcting.".into(),
            fields,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        AppError::Validation {
            message: message.into(),
            fields: FieldErrors::new(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            AppError::NotFound => "not_found",
            AppError::Validation { .. } => "validation",
            AppError::Unauthorized | AppError::LoginRequired => "unauthorized",
            AppError::Forbidden => "forbidden",
            AppError::Conflict(_) => "conflict",
            AppError::TooManyRequests => "rate_limited",
            AppError::TooLarge(_) => "too_large",
            AppError::UnsupportedMediaType(_) => "unsupported_media_type",
            AppError::Unavailable => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    /// The JSON body this error answers with. Messages that quote what was sent pass the
    /// payment-data guard on the way out ([`crate::payment_guard::quotable`]), so a card number
    /// typed into the wrong field is not echoed back.
    pub fn body(&self) -> ApiErrorBody {
        let quotable = crate::payment_guard::quotable;
        ApiErrorBody {
            error: self.code().into(),
            message: quotable(self.public_message()),
            fields: match self {
                AppError::Validation { fields, .. } if !fields.is_empty() => Some(
                    fields
                        .iter()
                        .map(|(field, messages)| {
                            let messages = messages.iter().cloned().map(quotable).collect();
                            (field.clone(), messages)
                        })
                        .collect(),
                ),
                _ => None,
            },
            request_id: crate::telemetry::current_request_id(),
        }
    }

    fn public_message(&self) -> String {
        match self {
            AppError::NotFound => "We could not find that.".into(),
            AppError::Validation { message, .. } => message.clone(),
            AppError::Unauthorized | AppError::LoginRequired => "Please sign in first.".into(),
            AppError::Forbidden => "You do not have access to this.".into(),
            AppError::Conflict(message)
            | AppError::TooLarge(message)
            | AppError::UnsupportedMediaType(message) => message.clone(),
            AppError::TooManyRequests => {
                "Too many attempts. Please wait a little and try again.".into()
            }
            AppError::Unavailable => {
                "The service is temporarily unavailable. Please try again shortly.".into()
            }
            AppError::Internal(_) => "Something went wrong on our side.".into(),
        }
    }
}

/// The JSON error body every `/api/` route answers with.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct ApiErrorBody {
    /// Machine-readable kind: `validation`, `not_found`, `unauthorized`, `forbidden`, `conflict`,
    /// `rate_limited`, `too_large`, `unsupported_media_type`, `unavailable` or `internal`.
    pub error: String,
    /// A sentence for people.
    pub message: String,
    /// For `validation`: each field with what is wrong with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<FieldErrors>,
    /// Quote this when reporting a problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// What the HTML error page needs, carried on the response for `web::errors`.
#[derive(Clone, Debug)]
pub struct ErrorInfo {
    pub message: String,
    pub fields: FieldErrors,
    pub request_id: Option<String>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unauthorized | AppError::LoginRequired => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::Internal(cause) = self {
            // `{:#}` keeps the whole context chain on one line for the log.
            tracing::error!(error = format!("{cause:#}"), "internal error");
        }
        let body = self.body();
        let info = ErrorInfo {
            message: body.message.clone(),
            fields: body.fields.clone().unwrap_or_default(),
            request_id: body.request_id.clone(),
        };
        let mut builder = HttpResponse::build(self.status_code());
        if matches!(self, AppError::Unauthorized) {
            builder.insert_header(("WWW-Authenticate", "Bearer"));
        }
        let mut response = builder.json(body);
        response.extensions_mut().insert(info);
        response
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match err {
            Error::NotFound => AppError::NotFound,
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => AppError::Unavailable,
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                AppError::Conflict("That already exists.".into())
            }
            // Free text refuses NUL field by field (`payment_guard`); any other text that carries
            // one (a search, a login name) is refused whole here instead of failing as ours.
            Error::DatabaseError(_, ref info) if nul_in_text(info.message()) => {
                AppError::Validation {
                    message: "Text may not contain a NUL character.".into(),
                    fields: FieldErrors::new(),
                }
            }
            other => AppError::Internal(anyhow::Error::new(other).context("database query")),
        }
    }
}

/// PostgreSQL's refusal of a NUL byte in a text value (its SQLSTATE 22021 is not kept by diesel).
fn nul_in_text(message: &str) -> bool {
    message.starts_with("invalid byte sequence for encoding") && message.ends_with("0x00")
}

/// Field messages from `validator`, in the shape every error uses.
pub fn field_errors_of(errors: Option<validator::ValidationErrors>) -> FieldErrors {
    let Some(errors) = errors else {
        return FieldErrors::new();
    };
    errors
        .field_errors()
        .into_iter()
        .map(|(field, errs)| {
            let messages = errs
                .iter()
                .map(|e| {
                    e.message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| format!("is not valid ({})", e.code))
                })
                .collect();
            (field.to_string(), messages)
        })
        .collect()
}

impl From<validator::ValidationErrors> for AppError {
    fn from(errors: validator::ValidationErrors) -> Self {
        AppError::fields(field_errors_of(Some(errors)))
    }
}

pub type AppResult<T> = Result<T, AppError>;
