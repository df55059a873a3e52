//! A referral's cells read one at a time: text, phone numbers, whole numbers and further time
//! zones, each with the message its field gets when it cannot be read.

use chrono_tz::Tz;
use serde_json::Value;

use crate::{domain::region::parse_timezone, error::FieldErrors};

/// `str::trim`, without its look at each end character by character when the first and last
/// bytes are visible ASCII, as in most cells (nothing to trim then): a file's cells are trimmed
/// a dozen times a row.
pub(super) fn trim(text: &str) -> &str {
    match (text.as_bytes().first(), text.as_bytes().last()) {
        (Some(first), Some(last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => text,
        _ => text.trim(),
    }
}

/// The text trimmed, or `None` when nothing is left (kept as it is when already trimmed).
pub(super) fn non_blank(value: Option<String>) -> Option<String> {
    value
        .map(|v| match trim(&v) {
            trimmed if trimmed.len() == v.len() => v,
            trimmed => trimmed.to_string(),
        })
        .filter(|v| !v.is_empty())
}

/// A phone number as written (already trimmed), if it is one.
pub(super) fn parse_phone(raw: String) -> Result<String, String> {
    // Every character allowed is ASCII, so bytes say the same as characters.
    let allowed = raw
        .bytes()
        .all(|b| b.is_ascii_digit() || b" +-().".contains(&b));
    let digits = raw.bytes().filter(u8::is_ascii_digit).count();
    if allowed && (7..=15).contains(&digits) {
        Ok(raw)
    } else {
        Err("is not a valid phone number".into())
    }
}

pub(super) fn whole_number(
    value: &Option<Value>,
    field: &str,
    errors: &mut FieldErrors,
    hint: &str,
) -> Option<i64> {
    let parsed = match value {
        None | Some(Value::Null) => Err("is required".to_string()),
        Some(Value::Number(n)) => n
            .as_i64()
            .ok_or_else(|| format!("must be a whole number{hint}")),
        Some(Value::String(s)) => s
            .trim()
            .parse::<i64>()
            .map_err(|_| format!("must be a whole number{hint}")),
        Some(_) => Err(format!("must be a whole number{hint}")),
    };
    parsed
        .map_err(|e| errors.entry(field.into()).or_default().push(e))
        .ok()
}

/// At most this many further zones per customer.
const MAX_OTHER_ZONES: usize = 3;

pub(super) fn other_zones(names: &[String]) -> Result<Vec<Tz>, String> {
    let names: Vec<&str> = names
        .iter()
        .map(|n| n.trim())
        .filter(|n| !n.is_empty())
        .collect();
    if names.len() > MAX_OTHER_ZONES {
        return Err(format!("may list at most {MAX_OTHER_ZONES} zones"));
    }
    let mut zones: Vec<Tz> = Vec::with_capacity(names.len());
    for name in names {
        // The name is quoted back; an answer passes the payment-data guard on its way out
        // (`AppError::body`, and each refused CSV row's reasons).
        let zone = parse_timezone(name).map_err(|m| format!("{name} {m}"))?;
        if !zones.contains(&zone) {
            zones.push(zone);
        }
    }
    Ok(zones)
}
