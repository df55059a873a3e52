//! Random secrets and their stored form. Only a SHA-256 of a token is ever stored: a token has
//! 256 bits of entropy, so a fast hash is enough (unlike passwords).

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
}

pub fn random_hex(n_bytes: usize) -> String {
    hex::encode(random_bytes(n_bytes))
}

/// A 256-bit URL-safe token with a readable prefix saying what it is (`ok_` client key,
/// `ot_` personal token, …).
pub fn new_token(prefix: &str) -> String {
    let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes(32));
    format!("{prefix}{body}")
}

pub fn hash_token(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

/// The SHA-256 digest of `bytes` in lower-case hex: how tokens and stopped e-mail addresses are
/// stored.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Compares secrets without leaking where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The part of a token safe to show in lists so people can tell keys apart.
pub fn display_prefix(token: &str) -> String {
    token.chars().take(10).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_prefixed() {
        let a = new_token("ok_");
        let b = new_token("ok_");
        assert_ne!(a, b);
        assert!(a.starts_with("ok_"));
        assert!(a.len() >= 3 + 43, "32 random bytes encode to 43 characters");
    }

    #[test]
    fn hash_is_stable_and_not_the_token() {
        let t = new_token("ot_");
        assert_eq!(hash_token(&t), hash_token(&t));
        assert_ne!(hash_token(&t), t);
        assert_eq!(hash_token(&t).len(), 64);
    }

    #[test]
    fn constant_time_eq_compares_content() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
