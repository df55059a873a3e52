//! JSON request bodies for the API. `actix_web::web::Json` answers a field of the wrong type
//! with the parser's sentence ("invalid type: string, expected i64") and no field; [`JsonBody`]
//! names the field, as every other check does, so a client's developer sees which one to fix.

use actix_web::{dev::Payload, http::StatusCode, web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{
    error::{AppError, AppResult},
    payment_guard,
};

/// The largest body the API reads (a batch of referrals is the largest).
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// A JSON request body read as `T`; see the module.
pub struct JsonBody<T>(pub T);

impl<T> JsonBody<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = body.await.map_err(|e| {
                if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
                    too_large()
                } else {
                    AppError::bad_request(format!("The request body could not be read: {e}"))
                }
            })?;
            let value: Value = serde_json::from_slice(&bytes).map_err(not_json)?;
            read(value).map(JsonBody)
        })
    }
}

/// What `web::Json` answers when it cannot read a body (see `startup`): a body over the limit
/// (413) or not sent as JSON (415) said as such, anything else as [`not_json`].
pub fn unreadable_json(error: actix_web::error::JsonPayloadError) -> AppError {
    use actix_web::error::{JsonPayloadError, PayloadError};
    match error {
        JsonPayloadError::Overflow { .. }
        | JsonPayloadError::OverflowKnownLength { .. }
        | JsonPayloadError::Payload(PayloadError::Overflow) => too_large(),
        JsonPayloadError::ContentType => AppError::UnsupportedMediaType(
            "Send the body as JSON, with Content-Type: application/json.".into(),
        ),
        other => not_json(other),
    }
}

fn too_large() -> AppError {
    AppError::TooLarge(format!(
        "The request body is larger than {} MB: send fewer referrals per request, or import a CSV file.",
        MAX_BODY_BYTES / (1024 * 1024)
    ))
}

/// A body that is not JSON, with the parser's reason (never quoting payment data); also what
/// `web::Json` answers (see `startup`).
pub fn not_json(reason: impl std::fmt::Display) -> AppError {
    AppError::bad_request(format!(
        "The request body is not valid JSON: {}",
        payment_guard::quotable(reason.to_string())
    ))
}

/// `value` as `T`. When it does not fit, the reader's path names the top-level field at fault,
/// found in the same single pass (a search that re-read the body without each field in turn
/// cost the square of its fields: a few hundred thousand padding keys held a worker for
/// minutes, before the caller's token was even looked at).
pub fn read<T: DeserializeOwned>(value: Value) -> AppResult<T> {
    let error = match serde_path_to_error::deserialize::<_, T>(&value) {
        Ok(read) => return Ok(read),
        Err(error) => error,
    };
    let at_fault = match error.path().iter().next() {
        Some(serde_path_to_error::Segment::Map { key }) => Some(key.to_string()),
        _ => None,
    };
    let error = error.into_inner().to_string();
    if let Some(field) = error
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        return Err(AppError::field(field, "is required"));
    }
    let reason = payment_guard::quotable(error);
    match at_fault {
        Some(field) => Err(AppError::field(
            &field,
            format!("could not be read: {reason}"),
        )),
        None => Err(AppError::bad_request(format!(
            "The request body could not be read: {reason}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::read;
    use crate::error::AppError;

    #[derive(Deserialize, Debug)]
    struct Plan {
        #[allow(dead_code)]
        amount_minor: i64,
        #[allow(dead_code)]
        frequency: String,
        #[allow(dead_code)]
        note: Option<String>,
    }

    fn fields_of(result: Result<Plan, AppError>) -> Vec<(String, Vec<String>)> {
        match result {
            Err(AppError::Validation { fields, .. }) => fields.into_iter().collect(),
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    #[test]
    fn the_field_of_the_wrong_type_is_named() {
        let wrong = json!({"amount_minor": "12.50", "frequency": "weekly"});
        let fields = fields_of(read(wrong));
        assert_eq!(fields.len(), 1);
        assert_eq!(fields[0].0, "amount_minor");
        assert!(fields[0].1[0].contains("expected i64"), "{fields:?}");
        let optional = json!({"amount_minor": 5, "frequency": "weekly", "note": 7});
        assert_eq!(fields_of(read(optional))[0].0, "note");
    }

    #[test]
    fn a_missing_field_is_required() {
        let fields = fields_of(read(json!({"frequency": "weekly"})));
        assert_eq!(
            fields,
            [("amount_minor".to_string(), vec!["is required".to_string()])]
        );
    }

    #[test]
    fn a_card_number_sent_as_the_wrong_type_is_not_quoted() {
        let wrong = json!({"amount_minor": "4111 1111 1111 1111", "frequency": "weekly"});
        let fields = fields_of(read(wrong));
        assert!(!fields[0].1[0].contains("4111"), "{fields:?}");
        assert!(read::<Plan>(json!({"amount_minor": 1, "frequency": "weekly"})).is_ok());
    }

    #[test]
    fn the_field_at_fault_is_named_among_many_others() {
        let mut body = serde_json::Map::new();
        for padding in 0..50_000 {
            body.insert(format!("a{padding:06}"), json!(0));
        }
        body.insert("amount_minor".into(), json!("lots"));
        body.insert("frequency".into(), json!("weekly"));
        let fields = fields_of(read(serde_json::Value::Object(body)));
        assert_eq!(fields[0].0, "amount_minor");
    }
}
