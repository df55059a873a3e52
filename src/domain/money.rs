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
