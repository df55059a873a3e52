use super::*;

fn finds(text: &str) -> Option<Finding> {
    check(text).err()
}

#[test]
fn card_numbers_in_common_formats_are_refused() {
    let cards = [
        "4111111111111111",        // Visa, 16
        "4111 1111 1111 1111",     // spaced
        "4111-1111-1111-1111",     // dashed
        "4111.1111.1111.1111",     // dotted
        "5500 0000 0000 0004",     // Mastercard
        "2223 0031 2200 3222",     // Mastercard 2-series
        "3782 822463 10005",       // Amex, 15, 4-6-5
        "378282246310005",         // Amex plain
        "6011 1111 1111 1117",     // Discover
        "4222222222222",           // Visa, 13
        "6759649826438453",        // Maestro 16
        "6304 0000 0000 0000 018", // Maestro 19
        "8172 0000 0000 0005",     // RuPay, 81 range
    ];
    for card in cards {
        assert_eq!(finds(card), Some(Finding::CardNumber), "{card}");
    }
}

#[test]
fn card_numbers_inside_sentences_are_refused() {
    for text in [
        "Customer read out her card: 4111 1111 1111 1111 exp 09/27",
        "card no.4111111111111111.",
        "She said 5500-0000-0000-0004, I stopped her",
        "amex 3782 822463 10005 please",
        "4111 1111 1111 1111 123",
        "Card 4111111111111111 07",
        "amex 3782 822463 10005 1234",
    ] {
        assert_eq!(finds(text), Some(Finding::CardNumber), "{text}");
    }
}

#[test]
fn ordinary_numbers_pass() {
    for text in [
        "Owes £1,234.56 since 12/03/2024",
        "Call back on 07700 900123 after 6pm",
        "Phone +44 20 7946 0958",
        "Account reference 4111111111111112 (fails Luhn)",
        "Reference 1234-5678-9012",
        "Can afford £12.50 a week from 07.12.2026",
        "Income 1450, rent 650, council tax 120",
        "Meter 0000000000000000",
        "Postcode SW1A 1AA, flat 12",
        "Claim number 2024 0001 2345",
        // Pass Luhn, but no card scheme issues numbers of this shape: phone numbers written
        // internationally, and client references.
        "Mobile +44 7700 900148",
        "Her sister's number is 447700900148",
        "Reference 7992739871300",
        "Account 800000000000000003",
    ] {
        assert_eq!(finds(text), None, "{text}");
    }
}

#[test]
fn uk_bank_details_are_refused() {
    for text in [
        "sort code 20-00-00 account 12345678",
        "Sort code: 20 00 00, acc no 12345678",
        "12345678 / 40-11-62",
        "sort code 200000 account number 12345678",
        "20-00-00 12345678",
    ] {
        assert_eq!(finds(text), Some(Finding::BankAccount), "{text}");
    }
}

#[test]
fn letters_that_change_length_when_lower_cased_do_not_break_the_check() {
    // The Kelvin sign (3 bytes) lower-cases to "k" (1 byte); "İ" (2 bytes) to 3 bytes.
    for text in [
        "\u{212A}\u{212A}\u{212A}\u{212A}\u{212A}\u{212A} 123456",
        "İİİİ 123456 x",
    ] {
        assert_eq!(finds(text), None, "{text}");
    }
    assert_eq!(
        finds("İİ Sort code 200000 account 12345678"),
        Some(Finding::BankAccount)
    );
}

#[test]
fn a_sort_code_alone_or_a_far_away_number_passes() {
    assert_eq!(finds("Bank sort code 20-00-00, nothing else"), None);
    assert_eq!(finds("Reference 12345678"), None);
    assert_eq!(finds("Met on 12-03-24"), None);
}

#[test]
fn ibans_with_valid_check_digits_are_refused() {
    for text in [
        "GB82 WEST 1234 5698 7654 32",
        "GB82WEST12345698765432",
        "pay to DE89 3704 0044 0532 0130 00 please",
        "iban: fr1420041010050500013m02606",
    ] {
        assert_eq!(finds(text), Some(Finding::Iban), "{text}");
    }
}

#[test]
fn iban_shaped_text_with_bad_check_digits_passes() {
    assert_eq!(finds("GB00 WEST 1234 5698 7654 32"), None);
    assert_eq!(finds("AB12 is our team code"), None);
}

#[test]
fn announced_security_codes_are_refused() {
    for text in [
        "CVV 123",
        "cvc: 1234",
        "security code is 123",
        "the three digits on the back: 737",
        "CV2=123",
    ] {
        assert_eq!(finds(text), Some(Finding::SecurityCode), "{text}");
    }
}

#[test]
fn numbers_near_harmless_words_pass() {
    assert_eq!(finds("security code for the building is not needed"), None);
    assert_eq!(finds("CVV 12345"), None);
    assert_eq!(finds("we discussed the 3 bills"), None);
}

#[test]
fn luhn_matches_known_values() {
    assert!(detect::luhn_valid("79927398713"));
    assert!(!detect::luhn_valid("79927398710"));
}

#[test]
fn messages_say_what_and_why_without_echoing_digits() {
    let message = check("4111 1111 1111 1111").unwrap_err().message();
    assert!(message.contains("card number"));
    assert!(message.contains("never take payments"));
    assert!(!message.contains("4111"));
}

#[test]
fn field_checks_name_each_offending_field() {
    let errors = check_fields([
        ("notes", Some("card 4111 1111 1111 1111")),
        ("circumstances", Some("lost job in May")),
        ("preferred_contact_times", None),
    ]);
    assert_eq!(errors.len(), 1);
    assert!(errors["notes"][0].contains("card number"));
}

#[test]
fn a_security_code_written_straight_after_cv2_is_refused() {
    // The announcer's 2 joins the code's digits: one run of four or five.
    for text in ["cv2123", "CV21234", "code cv2:123", "cv2 1234"] {
        assert_eq!(finds(text), Some(Finding::SecurityCode), "{text}");
    }
    for text in ["cv212345", "Ref 12345 on 07700 900123", "AB12345678"] {
        assert_eq!(finds(text), None, "{text}");
    }
}

mod agrees_with_the_plain_rules {
    use super::{detect, oracle};
    use crate::payment_guard::check;
    use proptest::prelude::*;

    /// Text built from pieces that make the detectors work: digits and separators, announcers
    /// in both cases, IBAN-shaped words, and letters whose lower case has another length.
    fn text() -> impl Strategy<Value = String> {
        let pieces = prop::sample::select(vec![
            "0",
            "1",
            "2",
            "3",
            "4",
            "5",
            "7",
            "9",
            "41",
            "00",
            "1111",
            "12345678",
            "20-00-00",
            "4111 1111 1111 1111",
            " ",
            "-",
            ".",
            ":",
            "#",
            "\n",
            "sort code",
            "Sort Code ",
            "CVV",
            "cvc",
            "CV2=",
            "cv2",
            "123",
            "12345",
            "csc",
            "security code is ",
            "digits on the back: ",
            "was ",
            "GB82",
            "WEST",
            "DE89",
            "gb82",
            "GB82 WEST 1234 5698 7654 32",
            "fr1420041010050500013m02606",
            "a",
            "Z",
            "é",
            "\u{212A}",
            "İ",
            "ſ",
            "£",
        ]);
        prop::collection::vec(pieces, 0..24).prop_map(|p| p.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn on_any_text(text in text()) {
            let runs = detect::DigitRuns::of(&text);
            prop_assert_eq!(detect::contains_card_number(&runs), oracle::card_number(&text));
            prop_assert_eq!(
                detect::contains_sort_code_and_account(&text, &runs),
                oracle::sort_code_and_account(&text)
            );
            prop_assert_eq!(detect::contains_iban(&text), oracle::iban(&text));
            prop_assert_eq!(detect::contains_security_code(&text), oracle::security_code(&text));
            prop_assert_eq!(check(&text), oracle::check(&text));
        }
    }
}

#[test]
fn fields_refuse_control_characters_but_keep_tabs_and_line_breaks() {
    for text in [
        "Ann\0",
        "a\u{1b}[31m",
        "bell\u{7}",
        "del\u{7f}",
        "csi\u{9b}31m",
    ] {
        assert!(control_character(text), "{text:?}");
        assert_eq!(check_text(text, 100), Err(CONTROL_CHARACTER.to_string()));
        let refused = check_fields([("name", Some(text))]);
        assert_eq!(refused["name"], [CONTROL_CHARACTER]);
    }
    for text in ["two\nlines\r\n", "a\tb", "Zoë Ångström", ""] {
        assert!(!control_character(text), "{text:?}");
        assert_eq!(check_text(text, 100), Ok(()));
    }
}
