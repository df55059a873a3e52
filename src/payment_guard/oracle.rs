//! The detectors' rules stated the plain way, character by character and allocating freely: the
//! fast scans in `detect` must agree with these on any text (see the property test).

use super::{
    detect::{iban_checksum_ok, looks_like_card, sort_code_then_account, ANNOUNCERS},
    Finding,
};

/// The guard's answer: nothing in text with fewer than three digits, else the first kind found,
/// IBANs first.
pub fn check(text: &str) -> Result<(), Finding> {
    if text.chars().filter(char::is_ascii_digit).count() < 3 {
        Ok(())
    } else if iban(text) {
        Err(Finding::Iban)
    } else if card_number(text) {
        Err(Finding::CardNumber)
    } else if sort_code_and_account(text) {
        Err(Finding::BankAccount)
    } else if security_code(text) {
        Err(Finding::SecurityCode)
    } else {
        Ok(())
    }
}

fn digit_runs(text: &str) -> Vec<(usize, usize, String)> {
    let mut runs = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut k = 0;
    while k < chars.len() {
        if !chars[k].1.is_ascii_digit() {
            k += 1;
            continue;
        }
        let start = chars[k].0;
        let (mut digits, mut end) = (String::new(), start);
        while k < chars.len() {
            let (at, c) = chars[k];
            let next_is_digit = chars.get(k + 1).is_some_and(|(_, n)| n.is_ascii_digit());
            if c.is_ascii_digit() {
                digits.push(c);
                end = at + 1;
            } else if !(matches!(c, ' ' | '-' | '.') && next_is_digit) {
                break;
            }
            k += 1;
        }
        runs.push((start, end, digits));
    }
    runs
}

pub fn card_number(text: &str) -> bool {
    digit_runs(text)
        .iter()
        .any(|(_, _, digits)| match digits.len() {
            0..=11 => false,
            // The whole run, or a 15- or 16-digit card with its security code written after it.
            n @ 12..=19 => [n, 16, 15]
                .into_iter()
                .any(|len| len <= n && looks_like_card(&digits[..len])),
            n => {
                (13..=19).any(|len| (0..=n - len).any(|at| looks_like_card(&digits[at..at + len])))
            }
        })
}

pub fn sort_code_and_account(text: &str) -> bool {
    let runs = digit_runs(text);
    runs.iter().enumerate().any(|(i, (start, end, digits))| {
        let written = &text[*start..*end];
        let announced = text[..*start]
            .trim_end()
            .to_lowercase()
            .ends_with("sort code");
        let account_near = runs.iter().enumerate().any(|(j, (s, e, d))| {
            j != i && d.len() == 8 && (s.abs_diff(*end) <= 40 || e.abs_diff(*start) <= 40)
        });
        (digits.len() == 6 && (written.len() == 8 || announced) && account_near)
            || (digits.len() == 14 && sort_code_then_account(written))
    })
}

pub fn iban(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    (0..chars.len().saturating_sub(3)).any(|i| {
        let starts_word = i == 0 || !chars[i - 1].is_ascii_alphanumeric();
        let shaped = chars[i].is_ascii_alphabetic()
            && chars[i + 1].is_ascii_alphabetic()
            && chars[i + 2].is_ascii_digit()
            && chars[i + 3].is_ascii_digit();
        if !(starts_word && shaped) {
            return false;
        }
        let candidate: String = chars[i..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == ' ')
            .filter(|c| **c != ' ')
            .take(34)
            .map(|c| c.to_ascii_uppercase())
            .collect();
        (15..=candidate.len()).any(|n| iban_checksum_ok(&candidate.as_bytes()[..n]))
    })
}

pub fn security_code(text: &str) -> bool {
    let lower = text.to_lowercase();
    ANNOUNCERS.iter().any(|announcer| {
        lower.match_indices(announcer).any(|(at, _)| {
            let rest = lower[at + announcer.len()..]
                .trim_start_matches(|c: char| c.is_whitespace() || ":-=#".contains(c))
                .trim_start_matches("is ")
                .trim_start_matches("was ")
                .trim_start();
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.len() == 3 || digits.len() == 4
        })
    })
}
