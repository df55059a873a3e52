use std::fmt;

/// ISO 4217 currencies we format, with their minor-unit exponent and symbol.
const CURRENCIES: &[(&str, u32, &str)] = &[
    ("GBP", 2, "£"),
    ("EUR", 2, "€"),
    ("USD", 2, "$"),
    ("CAD", 2, "CA$"),
    ("AUD", 2, "A$"),
    ("NZD", 2, "NZ$"),
    ("CHF", 2, "CHF "),
    ("SEK", 2, "SEK "),
    ("NOK", 2, "NOK "),
    ("DKK", 2, "DKK "),
    ("PLN", 2, "PLN "),
    ("CZK", 2, "CZK "),
    ("HUF", 2, "HUF "),
    ("RON", 2, "RON "),
    ("INR", 2, "₹"),
    ("ZAR", 2, "R "),
    ("JPY", 0, "¥"),
    ("KRW", 0, "₩"),
    ("ISK", 0, "ISK "),
    ("BHD", 3, "BHD "),
    ("KWD", 3, "KWD "),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Currency {
    code: &'static str,
    exponent: u32,
    symbol: &'static str,
}

impl Currency {
    pub fn parse(raw: &str) -> Result<Currency, String> {
        let code = raw.trim();
        CURRENCIES
            .iter()
            .find(|(c, _, _)| c.eq_ignore_ascii_case(code))
            .map(|&(code, exponent, symbol)| Currency {
                code,
                exponent,
                symbol,
            })
            .ok_or_else(|| "is not a supported ISO 4217 currency code (e.g. GBP)".to_string())
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    /// An amount as a person writes it in this currency ("12.50", "£1,250", ".5", "¥1200"), in
    /// minor units. More decimals than the currency has, or an amount too large to hold, is
    /// refused with a message for the field.
    pub fn parse_amount(&self, written: &str) -> Result<i64, String> {
        let example = Money::new(1250 * 10i64.pow(self.exponent) / 100, *self);
        let unreadable = || format!("must be an amount such as {example}");
        let symbol = self.symbol.trim();
        let cleaned: String = written
            .trim()
            .trim_start_matches(symbol)
            .trim()
            .chars()
            .filter(|c| *c != ',')
            .collect();
        let (major, minor) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if cleaned.starts_with('-') {
            return Err("cannot be negative".into());
        }
        if major.is_empty() && minor.is_empty() || !digits(major) || !digits(minor) {
            return Err(unreadable());
        }
        if minor.len() > self.exponent as usize {
            return Err(match self.exponent {
                0 => format!("must be a whole number of {}", self.code),
                places => format!("must have at most {places} decimal places"),
            });
        }
        let scale = 10i64.pow(self.exponent);
        let minor_digits = format!("{minor:0<width$}", width = self.exponent as usize);
        let whole = if major.is_empty() {
            Some(0)
        } else {
            major.parse::<i64>().ok()
        };
        let part = if minor_digits.is_empty() {
            Some(0)
        } else {
            minor_digits.parse::<i64>().ok()
        };
        whole
            .and_then(|w| w.checked_mul(scale))
            .zip(part)
            .and_then(|(w, p)| w.checked_add(p))
            .ok_or_else(|| "is too large".to_string())
    }
}

/// An amount in integer minor units (pence, cents) with its currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }
}

impl fmt::Display for Money {
    /// `£1,234.50`, `¥1,200`, `-£3.00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scale = 10i64.pow(self.currency.exponent);
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        let major = abs / scale as u64;
        let minor = abs % scale as u64;
        let digits = major.to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        write!(f, "{sign}{}{grouped}", self.currency.symbol)?;
        if self.currency.exponent > 0 {
            write!(
                f,
                ".{:0width$}",
                minor,
                width = self.currency.exponent as usize
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gbp() -> Currency {
        Currency::parse("gbp").unwrap()
    }

    #[test]
    fn amounts_are_read_in_the_currencys_own_units() {
        let (jpy, bhd) = (
            Currency::parse("JPY").unwrap(),
            Currency::parse("BHD").unwrap(),
        );
        assert_eq!(gbp().parse_amount("12.50"), Ok(1250));
        assert_eq!(gbp().parse_amount(" £1,234.5 "), Ok(123450));
        assert_eq!(gbp().parse_amount(".5"), Ok(50));
        assert_eq!(gbp().parse_amount("7"), Ok(700));
        assert_eq!(jpy.parse_amount("¥1,200"), Ok(1200));
        assert_eq!(bhd.parse_amount("1.250"), Ok(1250));
        assert_eq!(
            gbp().parse_amount("12.505"),
            Err("must have at most 2 decimal places".to_string())
        );
        assert_eq!(
            jpy.parse_amount("12.5"),
            Err("must be a whole number of JPY".to_string())
        );
        assert_eq!(
            gbp().parse_amount("-5"),
            Err("cannot be negative".to_string())
        );
        for unreadable in ["", ".", "twelve", "1.2.3", "12,50p"] {
            assert_eq!(
                gbp().parse_amount(unreadable),
                Err("must be an amount such as £12.50".to_string()),
                "{unreadable:?}"
            );
        }
        assert_eq!(
            gbp().parse_amount("184467440737095517"),
            Err("is too large".to_string())
        );
    }

    #[test]
    fn formats_with_grouping_and_minor_units() {
        assert_eq!(Money::new(1250, gbp()).to_string(), "£12.50");
        assert_eq!(Money::new(123456789, gbp()).to_string(), "£1,234,567.89");
        assert_eq!(Money::new(5, gbp()).to_string(), "£0.05");
        assert_eq!(Money::new(-300, gbp()).to_string(), "-£3.00");
        assert_eq!(
            Money::new(1200, Currency::parse("JPY").unwrap()).to_string(),
            "¥1,200"
        );
        assert_eq!(
            Money::new(1234, Currency::parse("KWD").unwrap()).to_string(),
            "KWD 1.234"
        );
    }

    #[test]
    fn unknown_currencies_are_refused() {
        assert!(Currency::parse("XYZ").is_err());
        assert!(Currency::parse("").is_err());
    }
}
