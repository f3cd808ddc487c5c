//! Basic-credential password hashes: `$pbkdf2-sha256$i=N$<salt>$<hash>`.
//!
//! `N` is the PBKDF2 iteration count (decimal, no leading zero), `<salt>` 8–64 bytes and
//! `<hash>` the 32-byte PBKDF2-HMAC-SHA256 output, both in standard base64 with or without
//! padding. `warden credential hash-password` writes a 16-byte salt without padding.

use sha2::Sha256;

use crate::encoding::{b64_standard_nopad, from_b64_standard};

/// Prefix of every hash string.
pub const PREFIX: &str = "$pbkdf2-sha256$";
/// Iterations `warden credential hash-password` uses by default (OWASP 2023 for PBKDF2-SHA256).
pub const DEFAULT_ITERATIONS: u32 = 600_000;
/// Shortest salt accepted.
pub const MIN_SALT: usize = 8;
/// Longest salt accepted.
pub const MAX_SALT: usize = 64;
/// Salt length the tool generates.
pub const SALT_LEN: usize = 16;

/// A parsed hash string.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash {
    /// Iteration count.
    pub iterations: u32,
    /// Salt bytes.
    pub salt: Vec<u8>,
    /// Derived key (secret).
    pub hash: [u8; 32],
}

impl core::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PasswordHash")
            .field("iterations", &self.iterations)
            .field("salt_len", &self.salt.len())
            .finish()
    }
}

/// Why a hash string is refused. Messages never repeat the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashError {
    /// It does not start with `$pbkdf2-sha256$`: probably a plaintext password.
    Plaintext,
    /// It starts right but the rest is not `i=N$salt$hash`.
    Shape,
    /// The iteration count is not a number in 1..=u32::MAX.
    Iterations,
    /// The salt is not base64 or not 8–64 bytes.
    Salt,
    /// The hash is not base64 of 32 bytes.
    Hash,
}

impl HashError {
    /// One line saying what is wrong.
    #[must_use]
    pub const fn message(self) -> &'static str {
        match self {
            Self::Plaintext => "`basic_password` looks like a plaintext password",
            Self::Shape => "`basic_password` is not `$pbkdf2-sha256$i=N$<salt>$<hash>`",
            Self::Iterations => "the iteration count of `basic_password` is not a number from 1 to 4294967295",
            Self::Salt => "the salt of `basic_password` is not standard base64 of 8 to 64 bytes",
            Self::Hash => "the hash of `basic_password` is not standard base64 of 32 bytes",
        }
    }
}

/// Parses a hash string.
///
/// # Errors
/// What is wrong with it.
pub fn parse(text: &str) -> Result<PasswordHash, HashError> {
    let rest = text.strip_prefix(PREFIX).ok_or(HashError::Plaintext)?;
    let mut parts = rest.split('$');
    let (Some(i), Some(salt), Some(hash), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(HashError::Shape);
    };
    let digits = i.strip_prefix("i=").ok_or(HashError::Shape)?;
    if digits.is_empty() || digits.starts_with('0') || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return Err(HashError::Iterations);
    }
    let iterations: u32 = digits.parse().map_err(|_| HashError::Iterations)?;
    let salt = from_b64_standard(salt).filter(|s| (MIN_SALT..=MAX_SALT).contains(&s.len())).ok_or(HashError::Salt)?;
    let hash: [u8; 32] = from_b64_standard(hash).and_then(|h| h.try_into().ok()).ok_or(HashError::Hash)?;
    Ok(PasswordHash { iterations, salt, hash })
}

/// PBKDF2-HMAC-SHA256 of `password` with `salt`, 32 bytes.
#[must_use]
pub fn derive(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, &mut out);
    out
}

/// The hash string for `password` with a given salt.
#[must_use]
pub fn format(password: &[u8], salt: &[u8], iterations: u32) -> String {
    let hash = derive(password, salt, iterations);
    format!("{PREFIX}i={iterations}${}${}", b64_standard_nopad(salt), b64_standard_nopad(&hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_then_parse_round_trips() {
        let s = format(b"correct horse", b"0123456789abcdef", 1000);
        assert!(s.starts_with("$pbkdf2-sha256$i=1000$MDEyMzQ1Njc4OWFiY2RlZg$"), "{s}");
        let h = parse(&s).unwrap();
        assert_eq!(h.iterations, 1000);
        assert_eq!(h.salt, b"0123456789abcdef");
        assert_eq!(h.hash, derive(b"correct horse", b"0123456789abcdef", 1000));
    }

    #[test]
    fn pbkdf2_matches_rfc_7914_vector() {
        // RFC 7914 §11: PBKDF2-HMAC-SHA256("passwd", "salt", 1, 64) starts with 55 ac 04 6e.
        let out = derive(b"passwd", b"salt", 1);
        assert_eq!(&out[..4], &[0x55, 0xac, 0x04, 0x6e]);
    }

    #[test]
    fn bad_strings_say_why() {
        assert_eq!(parse("hunter2"), Err(HashError::Plaintext));
        assert_eq!(parse("$pbkdf2-sha256$i=10$abc"), Err(HashError::Shape));
        assert_eq!(parse("$pbkdf2-sha256$i=01$MDEyMzQ1Njc4OWFiY2RlZg$AAAA"), Err(HashError::Iterations));
        assert_eq!(parse("$pbkdf2-sha256$i=0$MDEyMzQ1Njc4OWFiY2RlZg$AAAA"), Err(HashError::Iterations));
        assert_eq!(parse("$pbkdf2-sha256$i=10$YWJj$AAAA"), Err(HashError::Salt));
        assert_eq!(parse("$pbkdf2-sha256$i=10$MDEyMzQ1Njc4OWFiY2RlZg$AAAA"), Err(HashError::Hash));
        let padded = format!("$pbkdf2-sha256$i=10$MDEyMzQ1Njc4OWFiY2RlZg==${}=", b64_standard_nopad(&[7u8; 32]));
        assert!(parse(&padded).is_ok());
    }
}
