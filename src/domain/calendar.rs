//! Dates and times as people type them into forms and requests.

use chrono::{Datelike, NaiveDate};

/// Whether a date's year has four digits. chrono also reads signed years of five or six digits
/// ("+262142-12-31"), at the edge of what it can hold: a day or a zone's offset past them does
/// not exist, PostgreSQL reads no such text, and no date this service is given lies there.
pub fn has_four_digit_year(date: impl Datelike) -> bool {
    (1000..=9999).contains(&date.year())
}

/// What a date field says when it cannot read what was typed.
pub const DATE_EXPECTED: &str = "must be a date like 2027-06-04";

/// A date typed as YYYY-MM-DD (spaces around it allowed), with a four-digit year.
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .ok()
        .filter(|date| has_four_digit_year(*date))
}

#[cfg(test)]
mod tests {
    use super::parse_date;

    #[test]
    fn only_dates_with_four_digit_years_are_read() {
        assert_eq!(
            parse_date(" 2027-06-04 "),
            chrono::NaiveDate::from_ymd_opt(2027, 6, 4)
        );
        assert_eq!(parse_date("+262142-12-31"), None);
        assert_eq!(parse_date("+12027-06-04"), None);
        assert_eq!(parse_date("2027-02-30"), None);
        assert_eq!(parse_date("04/06/2027"), None);
    }
}
