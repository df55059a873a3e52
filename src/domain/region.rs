use std::{borrow::Cow, fmt};

use chrono_tz::Tz;

/// Where a customer lives, as clients send it: a UK nation or an ISO 3166 country code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Region {
    England,
    Wales,
    Scotland,
    NorthernIreland,
    /// ISO 3166-1 alpha-2, upper case.
    Country(String),
    /// ISO 3166-2 subdivision, upper case (`US-FL`): where rules differ within a country.
    Subdivision(String),
}

impl Region {
    pub fn parse(raw: &str) -> Result<Region, String> {
        let trimmed = raw.trim();
        // Lower case with underscores; most regions arrive written so, and need no copy (an
        // import asks a million times).
        let needs_copy =
            |b: u8| !b.is_ascii() || b.is_ascii_uppercase() || matches!(b, b' ' | b'-');
        let key: std::borrow::Cow<str> = if trimmed.bytes().any(needs_copy) {
            trimmed.to_lowercase().replace([' ', '-'], "_").into()
        } else {
            trimmed.into()
        };
        match key.as_ref() {
            // The nations' ISO 3166-2 codes name the same places (and the same bank holidays).
            "england" | "gb_eng" => Ok(Region::England),
            "wales" | "gb_wls" => Ok(Region::Wales),
            "scotland" | "gb_sct" => Ok(Region::Scotland),
            "northern_ireland" | "gb_nir" => Ok(Region::NorthernIreland),
            "" => Err("is required".into()),
            // "UK" is how people write it; GB is its ISO code, under which the country's rules
            // (a client's policy, extra holidays) are kept and found.
            "uk" => Ok(Region::Country("GB".into())),
            code if code.len() == 2 && code.chars().all(|c| c.is_ascii_alphabetic()) => {
                Ok(Region::Country(code.to_uppercase()))
            }
            // Council areas and counties would lose their nation's bank holidays and contact
            // rules; the nation is what decides them.
            code if code.starts_with("gb_") || code.starts_with("uk_") => Err(
                "in the UK must be the nation: england, wales, scotland or northern_ireland (or GB-ENG, GB-WLS, GB-SCT, GB-NIR)"
                    .into(),
            ),
            code if is_subdivision(code) => Ok(Region::Subdivision(code.to_uppercase().replace('_', "-"))),
            _ => Err(
                "must be england, wales, scotland, northern_ireland, a two-letter country code or a subdivision code like US-FL"
                    .into(),
            ),
        }
    }

    pub fn as_code(&self) -> String {
        self.code().into_owned()
    }

    /// [`Self::as_code`] without a copy for the nations (a bulk import asks once a row).
    pub fn code(&self) -> Cow<'static, str> {
        match self {
            Region::England => Cow::Borrowed("england"),
            Region::Wales => Cow::Borrowed("wales"),
            Region::Scotland => Cow::Borrowed("scotland"),
            Region::NorthernIreland => Cow::Borrowed("northern_ireland"),
            Region::Country(code) | Region::Subdivision(code) => Cow::Owned(code.clone()),
        }
    }

    /// In the United Kingdom: one of its nations, or the country given without a nation (GB, or
    /// the UK as people write it).
    pub fn in_uk(&self) -> bool {
        match self {
            Region::England | Region::Wales | Region::Scotland | Region::NorthernIreland => true,
            Region::Country(code) => code == "GB" || code == "UK",
            Region::Subdivision(_) => false,
        }
    }

    /// The country this region lies in, when it is part of one: the UK nations are in GB, a
    /// subdivision in the country its code starts with.
    pub fn country(&self) -> Option<String> {
        match self {
            Region::England | Region::Wales | Region::Scotland | Region::NorthernIreland => {
                Some("GB".into())
            }
            // Cases stored before "UK" was read as GB.
            Region::Country(code) if code == "UK" => Some("GB".into()),
            Region::Country(_) => None,
            Region::Subdivision(code) => code.split('-').next().map(str::to_string),
        }
    }

    /// The codes whose rules apply here, this region's own first: a rule for a country applies
    /// in each of its regions too.
    pub fn rule_codes(&self) -> Vec<String> {
        std::iter::once(self.as_code())
            .chain(self.country())
            .collect()
    }

    /// The zone to assume when the client sent none; `None` for countries spanning several zones.
    pub fn default_timezone(&self) -> Option<Tz> {
        use chrono_tz::Europe;
        Some(match self {
            Region::England | Region::Wales | Region::Scotland | Region::NorthernIreland => {
                Europe::London
            }
            Region::Country(code) => match code.as_str() {
                "GB" | "UK" | "JE" | "GG" | "IM" => Europe::London,
                "IE" => Europe::Dublin,
                "DE" => Europe::Berlin,
                "IT" => Europe::Rome,
                "NL" => Europe::Amsterdam,
                "BE" => Europe::Brussels,
                "PL" => Europe::Warsaw,
                "SE" => Europe::Stockholm,
                "DK" => Europe::Copenhagen,
                "NO" => Europe::Oslo,
                "FI" => Europe::Helsinki,
                "AT" => Europe::Vienna,
                "CH" => Europe::Zurich,
                "GR" => Europe::Athens,
                "CZ" => Europe::Prague,
                "IN" => chrono_tz::Asia::Kolkata,
                "ZA" => chrono_tz::Africa::Johannesburg,
                _ => return None,
            },
            // A subdivision may itself span zones (Florida's panhandle): the client says which.
            Region::Subdivision(_) => return None,
        })
    }
}

/// ISO 3166-2 shape, after `parse`'s folding: two letters, then one to three letters or digits.
fn is_subdivision(code: &str) -> bool {
    let Some((country, part)) = code.split_once('_') else {
        return false;
    };
    country.len() == 2
        && country.chars().all(|c| c.is_ascii_alphabetic())
        && (1..=3).contains(&part.len())
        && part.chars().all(|c| c.is_ascii_alphanumeric())
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_code())
    }
}

/// An IANA time zone name.
pub fn parse_timezone(raw: &str) -> Result<Tz, String> {
    raw.trim()
        .parse::<Tz>()
        .map_err(|_| "is not a known IANA time zone (e.g. Europe/London)".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uk_nations_and_country_codes_parse() {
        assert_eq!(
            Region::parse("Northern Ireland").unwrap(),
            Region::NorthernIreland
        );
        assert_eq!(Region::parse("scotland").unwrap(), Region::Scotland);
        assert_eq!(Region::parse("us").unwrap(), Region::Country("US".into()));
        assert!(Region::parse("atlantis").is_err());
        assert!(Region::parse("").is_err());
    }

    #[test]
    fn the_uk_is_its_nations_or_the_country_without_one() {
        for uk in ["england", "GB-SCT", "wales", "northern_ireland", "gb", "UK"] {
            assert!(Region::parse(uk).unwrap().in_uk(), "{uk}");
        }
        for abroad in ["IE", "US-FL", "JE"] {
            assert!(!Region::parse(abroad).unwrap().in_uk(), "{abroad}");
        }
    }

    #[test]
    fn uk_is_read_as_gb_so_country_rules_reach_every_nation() {
        assert_eq!(Region::parse("UK").unwrap(), Region::Country("GB".into()));
        assert_eq!(Region::parse("uk").unwrap().rule_codes(), ["GB"]);
        assert_eq!(Region::England.rule_codes(), ["england", "GB"]);
        // A case stored as "UK" before this still finds the rules kept under GB.
        assert_eq!(Region::Country("UK".into()).rule_codes(), ["UK", "GB"]);
    }

    #[test]
    fn subdivisions_parse_and_belong_to_their_country() {
        let florida = Region::parse("us-fl").unwrap();
        assert_eq!(florida, Region::Subdivision("US-FL".into()));
        assert_eq!(
            florida.rule_codes(),
            vec!["US-FL".to_string(), "US".to_string()]
        );
        assert!(florida.default_timezone().is_none());
        assert_eq!(Region::parse("US-FL").unwrap().as_code(), "US-FL");
        assert_eq!(
            Region::Wales.rule_codes(),
            vec!["wales".to_string(), "GB".to_string()]
        );
        assert_eq!(
            Region::parse("fr").unwrap().rule_codes(),
            vec!["FR".to_string()]
        );
        assert_eq!(Region::parse("GB-SCT").unwrap(), Region::Scotland);
        assert_eq!(Region::parse("gb-nir").unwrap(), Region::NorthernIreland);
        assert!(Region::parse("us-flor").is_err());
        // Belfast and Edinburgh are named by their nation, whose holidays they keep.
        for council in ["GB-BFS", "gb-edh", "UK-XYZ"] {
            let refused = Region::parse(council).unwrap_err();
            assert!(
                refused.contains("must be the nation"),
                "{council}: {refused}"
            );
        }
        assert!(Region::parse("u-fl").is_err());
    }

    #[test]
    fn multi_zone_countries_have_no_default_zone() {
        // Spain's Canary Islands are an hour behind Madrid; New Zealand's Chatham Islands 45
        // minutes ahead of Auckland: a guessed zone would call outside the customer's hours.
        // France's overseas departments (Réunion, Guadeloupe…) are France too.
        for code in ["US", "ES", "NZ", "FR"] {
            assert!(
                Region::Country(code.into()).default_timezone().is_none(),
                "{code}"
            );
        }
        assert_eq!(
            Region::Wales.default_timezone(),
            Some(chrono_tz::Europe::London)
        );
    }

    #[test]
    fn time_zones_must_be_real() {
        assert!(parse_timezone("America/New_York").is_ok());
        assert!(parse_timezone("Mars/Olympus").is_err());
    }
}
