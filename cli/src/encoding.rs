//! Text encodings of binary values: hex and RFC 4648 base64 (standard or URL-safe alphabet,
//! padding optional), as the keys file, the policy and the tool's output use them.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};

const INDIFFERENT: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_encode_padding(false).with_decode_padding_mode(DecodePaddingMode::Indifferent);
const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, INDIFFERENT);
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, INDIFFERENT);

/// Lowercase hex.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Decodes hex (either case); `None` for odd length or a non-hex character.
#[must_use]
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.as_bytes()
        .chunks_exact(2)
        .map(|pair| {
            let s = core::str::from_utf8(pair).ok()?;
            u8::from_str_radix(s, 16).ok().filter(|_| pair.iter().all(u8::is_ascii_hexdigit))
        })
        .collect()
}

/// Decodes RFC 4648 base64 in the standard alphabet, padding optional.
#[must_use]
pub fn from_b64_standard(text: &str) -> Option<Vec<u8>> {
    STANDARD.decode(text).ok()
}

/// Decodes RFC 4648 base64 in the standard or the URL-safe alphabet, padding optional.
#[must_use]
pub fn from_b64_any(text: &str) -> Option<Vec<u8>> {
    STANDARD.decode(text).ok().or_else(|| URL_SAFE.decode(text).ok())
}

/// Standard base64 without padding.
#[must_use]
pub fn b64_standard_nopad(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Standard base64 with padding (for keys files, which people paste into other tools).
#[must_use]
pub fn b64_standard_padded(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// URL-safe base64 without padding (JWT segments, API keys).
#[must_use]
pub fn b64url_nopad(bytes: &[u8]) -> String {
    URL_SAFE.encode(bytes)
}

/// Reads a bundle key file: hex or base64 text (surrounding whitespace and `#` comment lines
/// ignored), at least `min` bytes.
///
/// # Errors
/// A message that never contains the key.
pub fn read_key_text(text: &str, min: usize) -> Result<Vec<u8>, String> {
    let body: String =
        text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect::<Vec<_>>().concat();
    let bytes = from_hex(&body)
        .or_else(|| from_b64_any(&body))
        .ok_or_else(|| "the key file holds neither hex nor base64 text (comment lines start with `#`)".to_string())?;
    if bytes.len() < min {
        return Err(format!("the key is {} bytes; at least {min} are needed", bytes.len()));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_rejects() {
        assert_eq!(hex(&[0, 0xab, 0xff]), "00abff");
        assert_eq!(from_hex("00ABff"), Some(vec![0, 0xab, 0xff]));
        assert_eq!(from_hex("0"), None);
        assert_eq!(from_hex("+1"), None);
        assert_eq!(from_hex("zz"), None);
    }

    #[test]
    fn base64_accepts_both_alphabets_and_optional_padding() {
        let bytes = [0xfbu8, 0xff, 0x01];
        assert_eq!(from_b64_any("+/8B"), Some(bytes.to_vec()));
        assert_eq!(from_b64_any("-_8B"), Some(bytes.to_vec()));
        assert_eq!(from_b64_any("+w"), Some(vec![0xfb]));
        assert_eq!(from_b64_any("+w=="), Some(vec![0xfb]));
        assert_eq!(from_b64_standard("-_8B"), None);
        assert_eq!(b64url_nopad(&bytes), "-_8B");
        assert_eq!(b64_standard_nopad(&[0xfb]), "+w");
    }

    #[test]
    fn key_text_is_hex_or_base64_with_comments() {
        let k =
            read_key_text("# dev\n  0011223344556677889900112233445566778899001122334455667788990011\n", 32).unwrap();
        assert_eq!(k.len(), 32);
        assert!(read_key_text("00", 32).unwrap_err().contains("1 bytes"));
        assert!(read_key_text("!!", 1).is_err());
    }
}
