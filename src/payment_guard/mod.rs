//! The payment-data guard: every free-text field in the product passes through [`check`].
//! Outreach never takes payments, so card numbers, bank details and security codes have no
//! business in any text we store; refusing them keeps the service outside card-data audit scope.
//!
//! The guard is pure: it sees text, says what it found, and never echoes the digits back (its
//! findings name a kind, not a value, so nothing of the number reaches a log). Its field checks
//! also refuse control characters, which no free-text field may hold either.

mod detect;

use std::fmt;

/// What kind of payment data was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finding {
    CardNumber,
    BankAccount,
    Iban,
    SecurityCode,
}

impl Finding {
    /// The message a person sees: what it looks like and why we refuse it.
    pub fn message(self) -> &'static str {
        match self {
            Finding::CardNumber => {
                "This looks like a card number. We never take payments — please remove it."
            }
            Finding::BankAccount => {
                "This looks like a sort code and account number. We never take payments — please remove them."
            }
            Finding::Iban => {
                "This looks like an IBAN (bank account number). We never take payments — please remove it."
            }
            Finding::SecurityCode => {
                "This looks like a card security code. We never take payments — please remove it."
            }
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// Checks one piece of free text. `Err` carries the first kind of payment data found.
pub fn check(text: &str) -> Result<(), Finding> {
    // Every kind needs at least three ASCII digits (a security code has three or four; card,
    // account and IBAN numbers more): most text has fewer and needs no closer look. Nor does a
    // detector whose number cannot begin or be written in this text (`Shape`).
    let shape = detect::Shape::of(text);
    if shape.digits < 3 {
        return Ok(());
    }
    // IBANs first: their check is the stricter one, and their digits can pass Luhn by chance.
    if shape.may_hold_iban && detect::contains_iban(text) {
        return Err(Finding::Iban);
    }
    // A card number has at least 12 digits, a sort code with its account 14: a name with a
    // number in it, or a reference, has fewer.
    if shape.digits >= 12 {
        let runs = detect::DigitRuns::of(text);
        if detect::contains_card_number(&runs) {
            return Err(Finding::CardNumber);
        }
        if detect::contains_sort_code_and_account(text, &runs) {
            return Err(Finding::BankAccount);
        }
    }
    if shape.may_hold_security_code && detect::contains_security_code(text) {
        return Err(Finding::SecurityCode);
    }
    Ok(())
}

/// A parser's explanation as it may be shown back to the sender. Parsers quote the value they
/// could not read (`unknown variant "…"`), and that may be a card or bank number typed into the
/// wrong field: such an explanation is replaced by what was found, so the number is not echoed.
pub fn quotable(explanation: String) -> String {
    match check(&explanation) {
        Ok(()) => explanation,
        Err(finding) => finding.message().to_string(),
    }
}

/// What a refused form may show back of a field: the text as typed, or nothing when it holds
/// payment data (never shown again, as it is never kept).
pub fn shown_back(text: String) -> String {
    if check(&text).is_ok() {
        text
    } else {
        String::new()
    }
}

/// A refused form as it may be shown back: [`shown_back`] applied to each of its text fields.
pub fn form_shown_back(form: &impl serde::Serialize) -> serde_json::Value {
    let mut fields = serde_json::to_value(form).unwrap_or_default();
    if let serde_json::Value::Object(fields) = &mut fields {
        for value in fields.values_mut() {
            if let serde_json::Value::String(text) = value {
                *text = shown_back(std::mem::take(text));
            }
        }
    }
    fields
}

/// The message for text holding a control character (see [`control_character`]).
pub const CONTROL_CHARACTER: &str =
    "contains a control character (such as NUL), which text cannot hold here: remove it";

/// Whether `text` holds a control character other than a tab or a line break: nothing a person
/// types, but what pasting from a binary file or a terminal brings along. PostgreSQL cannot store
/// a NUL in text at all, and the rest would reach exports and e-mails. Checked with payment data
/// by the functions below, so every free-text field refuses them with its own message.
pub fn control_character(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// The field's message for `text`, if it is refused: a control character, or payment data.
fn refusal(text: &str) -> Option<&'static str> {
    if control_character(text) {
        return Some(CONTROL_CHARACTER);
    }
    check(text).err().map(Finding::message)
}

/// The longest telephone number (or "Text SHOUT to 85258") the directory and contacts keep.
pub const PHONE_MAX_CHARS: usize = 40;

/// Checks free text a person typed: longer than `max_chars` characters is refused before it is
/// searched, then payment data. `Err` is the field's message.
pub fn check_text(text: &str, max_chars: usize) -> Result<(), String> {
    if text.chars().count() > max_chars {
        return Err(format!("must be at most {max_chars} characters"));
    }
    refusal(text).map_or(Ok(()), |message| Err(message.to_string()))
}

/// Checks one field's text, refusing it as that field's error (a 422 naming it).
pub fn refuse_in(field: &str, text: &str) -> crate::error::AppResult<()> {
    refusal(text).map_or(Ok(()), |message| {
        Err(crate::error::AppError::field(field, message))
    })
}

/// Checks named fields and collects a message per offending field, for a 422.
pub fn check_fields<'a>(
    fields: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
) -> crate::error::FieldErrors {
    fields
        .into_iter()
        .filter_map(|(name, text)| {
            let message = refusal(text?)?;
            Some((name.to_string(), vec![message.to_string()]))
        })
        .collect()
}

#[cfg(test)]
mod oracle;
#[cfg(test)]
mod tests;
