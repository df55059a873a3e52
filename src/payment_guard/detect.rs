//! The detectors. Each scans for digit runs that may be broken up by single spaces, dashes or
//! dots (how people write numbers down), then applies the check a real number would pass.

/// Digit groups separated by at most one separator character, with their digits joined.
/// Letters or other punctuation end a run.
fn digit_runs(text: &str) -> Vec<(usize, usize, String)> {
    let bytes = text.as_bytes();
    let mut runs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        let mut digits = String::new();
        let mut end = i;
        while i < bytes.len() {
            if bytes[i].is_ascii_digit() {
                digits.push(bytes[i] as char);
                i += 1;
                end = i;
            } else if matches!(bytes[i], b' ' | b'-' | b'.')
                && i + 1 < bytes.len()
                && bytes[i + 1].is_ascii_digit()
            {
                i += 1;
            } else {
                break;
            }
        }
        runs.push((start, end, digits));
    }
    runs
}

pub fn luhn_valid(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, c) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(c - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !digits.is_empty() && sum.is_multiple_of(10)
}

/// Card numbers: 12–19 digits passing Luhn, found anywhere inside a longer run too (a card
/// number written next to other digits is still a card number).
pub fn contains_card_number(text: &str) -> bool {
    digit_runs(text).iter().any(|(_, _, digits)| {
        let n = digits.len();
        if n < 12 {
            return false;
        }
        if n <= 19 {
            return looks_like_card(digits);
        }
        // Long runs: look for any 13–19 digit window that is a card.
        (13..=19).any(|len| (0..=n - len).any(|at| looks_like_card(&digits[at..at + len])))
    })
}

fn looks_like_card(digits: &str) -> bool {
    // Real card numbers never start with 0 and are never a single repeated digit.
    let first = digits.as_bytes()[0];
    first != b'0' && !digits.bytes().all(|d| d == first) && luhn_valid(digits)
}

/// A UK sort code (nn-nn-nn, nn nn nn, or six digits next to the word "sort code") with an
/// 8-digit account number within 40 characters either side.
pub fn contains_sort_code_and_account(text: &str) -> bool {
    let runs = digit_runs(text);
    let is_account = |digits: &str| digits.len() == 8;
    for (i, (start, end, digits)) in runs.iter().enumerate() {
        let written = &text[*start..*end];
        let sort_code_shape = digits.len() == 6
            // Lower-cased after slicing: lower-casing can change the text's length in bytes
            // (e.g. the Kelvin sign), so positions in `text` do not carry over to a copy.
            && (written.len() == 8
                || text[..*start]
                    .trim_end()
                    .to_lowercase()
                    .ends_with("sort code"));
        if sort_code_shape {
            let near = runs.iter().enumerate().any(|(j, (s, e, d))| {
                j != i && is_account(d) && (s.abs_diff(*end) <= 40 || e.abs_diff(*start) <= 40)
            });
            if near {
                return true;
            }
        }
        // Sort code and account written as one run: "20-00-00 12345678".
        if digits.len() == 14 && sort_code_then_account(written) {
            return true;
        }
    }
    false
}

/// `nn-nn-nn 12345678` (any one separator in each place, the account digits unbroken).
fn sort_code_then_account(written: &str) -> bool {
    let b = written.as_bytes();
    b.len() == 17
        && [2, 5, 8].iter().all(|&i| !b[i].is_ascii_digit())
        && [0, 1, 3, 4, 6, 7].iter().all(|&i| b[i].is_ascii_digit())
        && b[9..].iter().all(u8::is_ascii_digit)
}

/// IBANs: country code, two check digits, 11–30 alphanumerics (spaces allowed), passing the
/// ISO 13616 mod-97 check.
pub fn contains_iban(text: &str) -> bool {
    let compact: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i + 4 <= compact.len() {
        let starts_word = i == 0 || !compact[i - 1].is_ascii_alphanumeric();
        if starts_word
            && compact[i].is_ascii_alphabetic()
            && compact[i + 1].is_ascii_alphabetic()
            && compact[i + 2].is_ascii_digit()
            && compact[i + 3].is_ascii_digit()
        {
            let mut candidate = String::new();
            let mut j = i;
            while j < compact.len() && candidate.len() < 34 {
                let c = compact[j];
                if c.is_ascii_alphanumeric() {
                    candidate.push(c.to_ascii_uppercase());
                } else if c != ' ' {
                    break;
                }
                j += 1;
            }
            for len in (15..=candidate.len().min(34)).rev() {
                if iban_checksum_ok(&candidate[..len]) {
                    return true;
                }
            }
        }
        i += 1;
    }
    false
}

fn iban_checksum_ok(iban: &str) -> bool {
    let rearranged = iban[4..].chars().chain(iban[..4].chars());
    let mut remainder: u32 = 0;
    for c in rearranged {
        let value = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            _ => return false,
        };
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    remainder == 1
}

/// "CVV 123", "CVC: 1234", "security code is 123", "the 3 digits on the back: 123".
pub fn contains_security_code(text: &str) -> bool {
    const ANNOUNCERS: [&str; 6] = [
        "cvv",
        "cvc",
        "cv2",
        "csc",
        "security code",
        "digits on the back",
    ];
    let lower = text.to_lowercase();
    ANNOUNCERS.iter().any(|announcer| {
        lower.match_indices(announcer).any(|(at, _)| {
            let after = &lower[at + announcer.len()..];
            let rest = after
                .trim_start_matches(|c: char| {
                    c.is_whitespace() || matches!(c, ':' | '-' | '=' | '#')
                })
                .trim_start_matches("is ")
                .trim_start_matches("was ")
                .trim_start();
            let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
            (digits.len() == 3 || digits.len() == 4)
                && !rest[digits.len()..].starts_with(|c: char| c.is_ascii_digit())
        })
    })
}
