use std::fmt;

use validator::ValidateEmail;

/// A syntactically valid e-mail address, trimmed and lower-cased.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, String> {
        Email::parse_owned(raw.trim().to_string())
    }

    /// [`Email::parse`] of text already trimmed, lower-cased in place when it is ASCII (as
    /// addresses nearly always are) instead of copied.
    pub fn parse_owned(mut candidate: String) -> Result<Email, String> {
        if candidate.is_ascii() {
            candidate.make_ascii_lowercase();
        } else {
            candidate = candidate.to_lowercase();
        }
        if candidate.is_empty() {
            return Err("is required".into());
        }
        if candidate.len() > 254 || !candidate.validate_email() {
            return Err("is not a valid e-mail address".into());
        }
        Ok(Email(candidate))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<Email> for String {
    fn from(email: Email) -> String {
        email.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Email;

    #[test]
    fn accepts_and_normalises_addresses() {
        assert_eq!(
            Email::parse("  Ann@Example.ORG ").unwrap().as_str(),
            "ann@example.org"
        );
    }

    #[test]
    fn rejects_malformed_addresses() {
        for bad in ["", "ann", "ann@", "@example.org", "ann example@x.org"] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
