//! A referral as clients send it (API JSON or a CSV row), and its parsed, guaranteed form.

use std::borrow::Cow;

use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;
use validator::Validate;

use super::fields::{non_blank, other_zones, parse_phone, trim, whole_number};
use crate::{
    domain::{region::parse_timezone, Currency, Email, Money, Region},
    error::FieldErrors,
    payment_guard,
};

/// One referred customer. Field names are a contract with clients' integrations.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
pub struct ReferralRequest {
    /// The client's own reference for this customer; re-sending it never creates a duplicate.
    #[serde(default)]
    #[validate(length(min = 1, max = 100, message = "is required (at most 100 characters)"))]
    pub reference: String,
    #[serde(default)]
    #[validate(length(min = 1, max = 200, message = "is required (at most 200 characters)"))]
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// `england`, `wales`, `scotland`, `northern_ireland`, or an ISO 3166 country code.
    #[serde(default)]
    pub region: String,
    /// IANA zone, e.g. `Europe/London`; defaults from the region where it has one zone.
    pub timezone: Option<String>,
    /// Other IANA zones the customer may be in (an address in one, a phone number from another),
    /// at most 3: calls are allowed only when the time suits every zone.
    pub other_timezones: Option<Vec<String>>,
    /// Integer minor units (pence, cents): 1250 is £12.50.
    #[schema(value_type = i64)]
    pub amount_owed_minor: Option<Value>,
    /// ISO 4217, e.g. `GBP`.
    #[serde(default)]
    pub currency: String,
    #[schema(value_type = i32)]
    pub days_in_arrears: Option<Value>,
    #[validate(length(max = 2000, message = "must be at most 2000 characters"))]
    pub notes: Option<String>,
    #[validate(length(max = 2000, message = "must be at most 2000 characters"))]
    pub circumstances: Option<String>,
    #[validate(length(max = 500, message = "must be at most 500 characters"))]
    pub preferred_contact_times: Option<String>,
}

/// Fields that must be text when present (`null` means absent).
const TEXT_FIELDS: [&str; 10] = [
    "reference",
    "name",
    "email",
    "phone",
    "region",
    "timezone",
    "currency",
    "notes",
    "circumstances",
    "preferred_contact_times",
];

impl ReferralRequest {
    /// One referral as a client's JSON sends it, checked. A value of the wrong type (a number
    /// for `name`) is named against its field like any other mistake, and the other fields are
    /// still checked, instead of the whole item failing with the JSON reader's message.
    /// `None` when the item is not a JSON object at all.
    pub fn parse_json(item: Value) -> Option<Result<NewReferral, FieldErrors>> {
        let Value::Object(mut fields) = item else {
            return None;
        };
        let mut mistyped = FieldErrors::new();
        for name in TEXT_FIELDS {
            match fields.get(name) {
                // Absent, as if left out: a required one is then reported as required.
                Some(Value::Null) => {
                    fields.remove(name);
                }
                Some(v) if !v.is_string() => {
                    fields.remove(name);
                    mistyped.insert(name.into(), vec!["must be text (a JSON string)".into()]);
                }
                _ => {}
            }
        }
        let zones_ok = |v: &Value| {
            v.is_null()
                || v.as_array()
                    .is_some_and(|zones| zones.iter().all(Value::is_string))
        };
        if fields.get("other_timezones").is_some_and(|v| !zones_ok(v)) {
            fields.remove("other_timezones");
            mistyped.insert(
                "other_timezones".into(),
                vec!["must be a list of time zone names, e.g. [\"Europe/Paris\"]".into()],
            );
        }
        // Every field left has a type the request accepts; should one not, say so (not "not an
        // object").
        let request: ReferralRequest = match serde_json::from_value(Value::Object(fields)) {
            Ok(request) => request,
            Err(e) => {
                let reason = payment_guard::quotable(e.to_string());
                mistyped.insert(
                    "referral".into(),
                    vec![format!("could not be read: {reason}")],
                );
                return Some(Err(mistyped));
            }
        };
        Some(match request.parse() {
            Ok(referral) if mistyped.is_empty() => Ok(referral),
            Ok(_) => Err(mistyped),
            Err(mut errors) => {
                // "must be text" says more than "is required" about a field sent as a number.
                errors.extend(mistyped);
                Err(errors)
            }
        })
    }
}

/// A referral whose every field has been checked.
#[derive(Debug, Clone)]
pub struct NewReferral {
    pub reference: String,
    pub name: String,
    pub email: Option<Email>,
    pub phone: Option<String>,
    pub region: Region,
    pub timezone: Tz,
    /// Further zones the customer may be in, without the primary one or repeats.
    pub other_timezones: Vec<Tz>,
    pub amount: Money,
    pub days_in_arrears: i32,
    pub notes: Option<String>,
    pub circumstances: Option<String>,
    pub preferred_contact_times: Option<String>,
}

impl NewReferral {
    /// Every zone the customer may be in, their own first.
    pub fn zones(&self) -> Vec<Tz> {
        std::iter::once(self.timezone)
            .chain(self.other_timezones.iter().copied())
            .collect()
    }

    /// [`Self::zones`] as a case stores them: names separated by spaces (no copy for the one
    /// zone most customers have).
    pub fn zone_names(&self) -> Cow<'static, str> {
        if self.other_timezones.is_empty() {
            return Cow::Borrowed(self.timezone.name());
        }
        let mut names = self.timezone.name().to_string();
        for zone in &self.other_timezones {
            names.push(' ');
            names.push_str(zone.name());
        }
        Cow::Owned(names)
    }
}

impl ReferralRequest {
    pub fn parse(self) -> Result<NewReferral, FieldErrors> {
        let mut errors = crate::error::field_errors_of(self.validate().err());
        // Spaces alone pass the length check but are no reference or name: stored trimmed, a
        // blank reference would match another blank one and return someone else's case.
        for (field, value, limit) in [
            ("reference", &self.reference, 100),
            ("name", &self.name, 200),
        ] {
            if trim(value).is_empty() && !errors.contains_key(field) {
                errors.insert(
                    field.into(),
                    vec![format!("is required (at most {limit} characters)")],
                );
            }
        }
        let mut add =
            |field: &str, message: String| errors.entry(field.into()).or_default().push(message);

        let email = non_blank(self.email)
            .and_then(|e| Email::parse_owned(e).map_err(|m| add("email", m)).ok());
        let phone =
            non_blank(self.phone).and_then(|p| parse_phone(p).map_err(|m| add("phone", m)).ok());
        let region = Region::parse(&self.region)
            .map_err(|m| add("region", m))
            .ok();
        let timezone = match (non_blank(self.timezone), &region) {
            (Some(tz), _) => parse_timezone(&tz).map_err(|m| add("timezone", m)).ok(),
            (None, Some(region)) => region.default_timezone().or_else(|| {
                add(
                    "timezone",
                    format!("is required for region {region}, which spans several time zones"),
                );
                None
            }),
            (None, None) => None,
        };
        let other_timezones = other_zones(self.other_timezones.as_deref().unwrap_or_default())
            .map_err(|m| add("other_timezones", m))
            .unwrap_or_default();
        let currency = Currency::parse(&self.currency)
            .map_err(|m| add("currency", m))
            .ok();
        let mut numbers = FieldErrors::new();
        let amount = whole_number(
            &self.amount_owed_minor,
            "amount_owed_minor",
            &mut numbers,
            " of minor units (1250 is £12.50)",
        );
        let days = whole_number(
            &self.days_in_arrears,
            "days_in_arrears",
            &mut numbers,
            " of days",
        );
        errors.extend(numbers);
        if amount.is_some_and(|a| !(0..=1_000_000_000_000).contains(&a)) {
            errors
                .entry("amount_owed_minor".into())
                .or_default()
                .push("must be between 0 and 1,000,000,000,000".into());
        }
        if days.is_some_and(|d| !(0..=36_500).contains(&d)) {
            errors
                .entry("days_in_arrears".into())
                .or_default()
                .push("must be between 0 and 36,500".into());
        }
        // A field already refused (too long) is not searched for payment data as well.
        let guarded = payment_guard::check_fields(
            [
                ("name", Some(self.name.as_str())),
                ("notes", self.notes.as_deref()),
                ("circumstances", self.circumstances.as_deref()),
                (
                    "preferred_contact_times",
                    self.preferred_contact_times.as_deref(),
                ),
                ("reference", Some(self.reference.as_str())),
                // A phone number's shape also fits a sort code and account, or a card.
                ("phone", phone.as_deref()),
                ("email", email.as_ref().map(Email::as_str)),
            ]
            .into_iter()
            .filter(|(field, _)| !errors.contains_key(*field)),
        );
        errors.extend(guarded);
        match (region, timezone, currency, amount, days) {
            (Some(region), Some(timezone), Some(currency), Some(amount), Some(days))
                if errors.is_empty() =>
            {
                Ok(NewReferral {
                    reference: non_blank(Some(self.reference)).unwrap_or_default(),
                    name: non_blank(Some(self.name)).unwrap_or_default(),
                    email,
                    phone,
                    region,
                    other_timezones: other_timezones
                        .into_iter()
                        .filter(|z| *z != timezone)
                        .collect(),
                    timezone,
                    amount: Money::new(amount, currency),
                    days_in_arrears: days as i32,
                    notes: non_blank(self.notes),
                    circumstances: non_blank(self.circumstances),
                    preferred_contact_times: non_blank(self.preferred_contact_times),
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> ReferralRequest {
        ReferralRequest {
            reference: "ACC-1".into(),
            name: "Ann Example".into(),
            email: Some("ann@example.org".into()),
            phone: Some("07700 900123".into()),
            region: "wales".into(),
            timezone: None,
            amount_owed_minor: Some(serde_json::json!(125000)),
            currency: "GBP".into(),
            days_in_arrears: Some(serde_json::json!(45)),
            ..Default::default()
        }
    }

    #[test]
    fn a_complete_referral_parses_with_a_default_zone() {
        let parsed = valid().parse().unwrap();
        assert_eq!(parsed.timezone, chrono_tz::Europe::London);
        assert_eq!(parsed.amount.to_string(), "£1,250.00");
    }

    #[test]
    fn a_reference_or_name_of_spaces_is_required_like_an_empty_one() {
        let blank = ReferralRequest {
            reference: "   ".into(),
            name: " ".into(),
            ..valid()
        };
        let errors = blank.parse().unwrap_err();
        assert_eq!(
            errors["reference"],
            ["is required (at most 100 characters)"]
        );
        assert_eq!(errors["name"], ["is required (at most 200 characters)"]);
    }

    #[test]
    fn every_bad_field_is_named_with_a_reason() {
        let bad = ReferralRequest {
            reference: "".into(),
            email: Some("nope".into()),
            region: "US".into(),
            amount_owed_minor: Some(serde_json::json!(12.5)),
            currency: "XXX".into(),
            days_in_arrears: None,
            notes: Some("card 4111 1111 1111 1111".into()),
            ..valid()
        };
        let errors = bad.parse().unwrap_err();
        for field in [
            "reference",
            "email",
            "timezone",
            "amount_owed_minor",
            "currency",
            "days_in_arrears",
            "notes",
        ] {
            assert!(
                errors.contains_key(field),
                "{field} missing from {errors:?}"
            );
        }
        assert!(errors["notes"][0].contains("card number"));
    }
}
