//! The detectors. Each scans for digit runs that may be broken up by single spaces, dashes or
//! dots (how people write numbers down), then applies the check a real number would pass.
//!
//! Every referral in a million-row import passes through here several times, so the scans work
//! on bytes and allocate little: the digit runs are found once and shared, and text is lower-cased
//! only when an announcer may be in it.

use std::ops::Range;

/// What one pass over a text tells about which detectors could find anything in it: most text
/// people type (names, references, phone numbers, e-mail addresses) rules out all but one or two,
/// and a million-row import checks several texts a row.
pub struct Shape {
    /// ASCII digits in the text.
    pub digits: usize,
    /// Two letters and then two digits, starting a word: how every IBAN begins.
    pub may_hold_iban: bool,
    /// A run of exactly three or four digits, as a security code is written; or of five starting
    /// with the 2 of "cv2" (written without a space, the announcer's 2 joins the code's run).
    pub may_hold_security_code: bool,
}

impl Shape {
    pub fn of(text: &str) -> Shape {
        let b = text.as_bytes();
        let mut shape = Shape {
            digits: 0,
            may_hold_iban: false,
            may_hold_security_code: false,
        };
        let mut i = 0;
        while i < b.len() {
            if !b[i].is_ascii_digit() {
                i += 1;
                continue;
            }
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let run = i - start;
            shape.digits += run;
            let letters_before =
                |n: usize| start >= n && b[start - n..start].iter().all(u8::is_ascii_alphabetic);
            shape.may_hold_iban |= run >= 2
                && letters_before(2)
                && (start == 2 || !b[start - 3].is_ascii_alphanumeric());
            shape.may_hold_security_code |= matches!(run, 3 | 4)
                || (run == 5
                    && b[start] == b'2'
                    && start >= 2
                    && b[start - 2..start].eq_ignore_ascii_case(b"cv"));
        }
        shape
    }
}

/// Digit groups separated by at most one separator character: where each run is written in the
/// text, and where its digits (joined) are in `digits`. Letters or other punctuation end a run.
pub struct DigitRuns {
    digits: String,
    runs: Vec<(Range<usize>, Range<usize>)>,
}

impl DigitRuns {
    pub fn of(text: &str) -> DigitRuns {
        let bytes = text.as_bytes();
        let mut found = DigitRuns {
            digits: String::new(),
            runs: Vec::new(),
        };
        let mut i = 0;
        while i < bytes.len() {
            if !bytes[i].is_ascii_digit() {
                i += 1;
                continue;
            }
            let (start, first_digit) = (i, found.digits.len());
            let mut end = i;
            while i < bytes.len() {
                if bytes[i].is_ascii_digit() {
                    found.digits.push(char::from(bytes[i]));
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
            found
                .runs
                .push((start..end, first_digit..found.digits.len()));
        }
        found
    }

    /// Each run: where it is written, and its digits.
    fn iter(&self) -> impl Iterator<Item = (&Range<usize>, &str)> {
        self.runs
            .iter()
            .map(|(written, digits)| (written, &self.digits[digits.clone()]))
    }
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

/// Card numbers: 12–19 digits passing Luhn, as a run of up to 19 digits (or the 15 or 16 it starts
/// with), or anywhere inside a longer run (a card number written next to other digits is still a
/// card number).
pub fn contains_card_number(runs: &DigitRuns) -> bool {
    runs.iter().any(|(_, digits)| {
        let n = digits.len();
        if n < 12 {
            return false;
        }
        if n <= 19 {
            // The whole run, or a card of the common lengths (16; Amex 15) with its security
            // code written straight after it. Not every shorter start: a long reference would
            // then often pass Luhn somewhere by chance.
            return [n, 16, 15]
                .into_iter()
                .any(|len| len <= n && looks_like_card(&digits[..len]));
        }
        // Long runs: look for any 13–19 digit window that is a card.
        (13..=19).any(|len| (0..=n - len).any(|at| looks_like_card(&digits[at..at + len])))
    })
}

pub(super) fn looks_like_card(digits: &str) -> bool {
    // Real card numbers are never a single repeated digit.
    let first = digits.as_bytes()[0];
    issued_length(first, digits.len()) && !digits.bytes().all(|d| d == first) && luhn_valid(digits)
}

/// Whether a card number starting with `first` can have `len` digits, by the card schemes'
/// ranges: Visa 13, 16 or 19; Amex 15, Diners and JCB 14–19 (all starting 3); Mastercard and
/// Mir (2, 5), Maestro, Discover, UnionPay and RuPay (5, 6) 12–19; UATP 15 (1); national
/// schemes, RuPay's 81 and 82 ranges and UzCard among them, 16 (8, 9). No payment card starts
/// with 0, or with 7 (closed-loop fuel cards). Without
/// this a number that merely passes Luhn (one in ten do), such as an international phone
/// number like +44 7700 900123, would be refused as a card.
fn issued_length(first: u8, len: usize) -> bool {
    match first {
        b'4' => matches!(len, 13 | 16 | 19),
        b'3' => (14..=19).contains(&len),
        b'2' => (16..=19).contains(&len),
        b'5' | b'6' => (12..=19).contains(&len),
        b'1' => len == 15,
        b'8' | b'9' => len == 16,
        _ => false,
    }
}

/// A UK sort code (nn-nn-nn, nn nn nn, or six digits next to the word "sort code") with an
/// 8-digit account number within 40 characters either side.
pub fn contains_sort_code_and_account(text: &str, runs: &DigitRuns) -> bool {
    let all: Vec<_> = runs.iter().collect();
    let is_account = |j: usize| all[j].1.len() == 8;
    for (i, (written, digits)) in all.iter().enumerate() {
        let sort_code_shape = digits.len() == 6
            && (written.len() == 8 || ends_with_sort_code(text[..written.start].trim_end()));
        if sort_code_shape {
            // Runs are in text order and do not overlap: only the neighbours within 40
            // characters need a look, which keeps a long text of sort codes linear.
            let after = (i + 1..all.len())
                .take_while(|&j| all[j].0.start <= written.end + 40)
                .any(is_account);
            let before = (0..i)
                .rev()
                .take_while(|&j| all[j].0.end + 40 >= written.start)
                .any(is_account);
            if after || before {
                return true;
            }
        }
        // Sort code and account written as one run: "20-00-00 12345678".
        if digits.len() == 14 && sort_code_then_account(&text[written.start..written.end]) {
            return true;
        }
    }
    false
}

/// Whether `text` ends with the words "sort code" in any case. Only ASCII capitals lower-case
/// to these letters, so comparing the last bytes without case is the same as lower-casing first
/// (which could also move positions: see the tests' Kelvin sign).
fn ends_with_sort_code(text: &str) -> bool {
    const WORDS: &[u8] = b"sort code";
    let bytes = text.as_bytes();
    bytes.len() >= WORDS.len() && bytes[bytes.len() - WORDS.len()..].eq_ignore_ascii_case(WORDS)
}

/// `nn-nn-nn 12345678` (any one separator in each place, the account digits unbroken).
pub(super) fn sort_code_then_account(written: &str) -> bool {
    let b = written.as_bytes();
    b.len() == 17
        && [2, 5, 8].iter().all(|&i| !b[i].is_ascii_digit())
        && [0, 1, 3, 4, 6, 7].iter().all(|&i| b[i].is_ascii_digit())
        && b[9..].iter().all(u8::is_ascii_digit)
}

/// The longest IBAN (ISO 13616).
const IBAN_MAX: usize = 34;

/// IBANs: country code, two check digits, 11–30 alphanumerics (spaces allowed), passing the
/// ISO 13616 mod-97 check. Bytes stand for characters: every byte of a non-ASCII character is
/// neither alphanumeric nor a space, so it ends a candidate just as the character would.
pub fn contains_iban(text: &str) -> bool {
    let b = text.as_bytes();
    let mut candidate = [0u8; IBAN_MAX];
    let mut i = 0;
    while i + 4 <= b.len() {
        let starts_word = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        if starts_word
            && b[i].is_ascii_alphabetic()
            && b[i + 1].is_ascii_alphabetic()
            && b[i + 2].is_ascii_digit()
            && b[i + 3].is_ascii_digit()
        {
            let mut len = 0;
            for &c in &b[i..] {
                if len == IBAN_MAX {
                    break;
                }
                if c.is_ascii_alphanumeric() {
                    candidate[len] = c.to_ascii_uppercase();
                    len += 1;
                } else if c != b' ' {
                    break;
                }
            }
            if (15..=len).rev().any(|n| iban_checksum_ok(&candidate[..n])) {
                return true;
            }
        }
        i += 1;
    }
    false
}

pub(super) fn iban_checksum_ok(iban: &[u8]) -> bool {
    let rearranged = iban[4..].iter().chain(&iban[..4]);
    let mut remainder: u32 = 0;
    for &c in rearranged {
        let value = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
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

/// Words people say before reading out a card's security code.
pub(super) const ANNOUNCERS: [&str; 6] = [
    "cvv",
    "cvc",
    "cv2",
    "csc",
    "security code",
    "digits on the back",
];

/// "CVV 123", "CVC: 1234", "security code is 123", "the 3 digits on the back: 123".
pub fn contains_security_code(text: &str) -> bool {
    // ASCII text holds an announcer in lower case exactly when it holds one in any case; most
    // text holds none, and needs no lower-cased copy.
    if text.is_ascii() && !mentions_an_announcer(text.as_bytes()) {
        return false;
    }
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
            // Three or four digits, and no more (a longer number is something else).
            matches!(rest.bytes().take_while(u8::is_ascii_digit).count(), 3 | 4)
        })
    })
}

/// Whether any of [`ANNOUNCERS`] appears in `text`, ignoring ASCII case. Each starts with c, s
/// or d, so only those letters start a comparison.
fn mentions_an_announcer(text: &[u8]) -> bool {
    (0..text.len()).any(|at| {
        matches!(text[at].to_ascii_lowercase(), b'c' | b's' | b'd')
            && ANNOUNCERS.iter().any(|words| {
                text[at..]
                    .get(..words.len())
                    .is_some_and(|w| w.eq_ignore_ascii_case(words.as_bytes()))
            })
    })
}
