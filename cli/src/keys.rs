//! The keys file (docs/policy.md, "The keys file"): HMAC secrets for a policy's `[[key]]` ids, kept out of the policy.
//!
//! ```toml
//! private_jwks = ["idp.dev-private.jwks.json"]   # optional: test keys for `warden token mint`
//!
//! [[key]]
//! id = "2026-q4"
//! secret_b64 = "…"      # or secret_hex = "…"; base64 standard or URL-safe, padding optional
//! ```
//!
//! `private_jwks` names private JWK Set files (relative to the keys file) that only
//! `warden token mint` reads; the engine's keyring holds the HMAC secrets alone.
//!
//! Diagnostics about this file never quote it: it is all secrets.

use std::path::Path;

use serde::Deserialize;
use serde_spanned::Spanned;
use warden::{KeyMaterial, LoadError};

use crate::diag::{Diagnostic, Report, Snippets, SourceFile};
use crate::encoding::{from_b64_any, from_hex};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeysSource {
    #[serde(default)]
    private_jwks: Vec<Spanned<String>>,
    #[serde(default)]
    key: Vec<Spanned<KeySecretSource>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeySecretSource {
    id: Spanned<String>,
    secret_hex: Option<Spanned<String>>,
    secret_b64: Option<Spanned<String>>,
}

impl core::fmt::Debug for KeySecretSource {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeySecretSource").field("id", self.id.get_ref()).finish_non_exhaustive()
    }
}

/// One secret from a keys file.
#[derive(Clone, PartialEq, Eq)]
pub struct KeySecret {
    /// Key id.
    pub id: String,
    /// Secret bytes.
    pub secret: Vec<u8>,
}

impl core::fmt::Debug for KeySecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeySecret").field("id", &self.id).field("secret", &"<redacted>").finish()
    }
}

/// A loaded keys file.
#[derive(Debug, Clone, Default)]
pub struct Keyring {
    /// The secrets, in file order.
    pub keys: Vec<KeySecret>,
    /// The `private_jwks` file names, as written (relative to the keys file).
    pub private_jwks: Vec<String>,
    /// Private test keys read from those files by [`load_with_private`] (for `warden token
    /// mint` only).
    pub private: Vec<crate::testkeys::PrivateJwk>,
}

impl Keyring {
    /// The core's view of the keyring.
    #[must_use]
    pub fn material(&self) -> Vec<KeyMaterial<'_>> {
        self.keys.iter().map(|k| KeyMaterial { id: &k.id, secret: &k.secret }).collect()
    }

    /// The secret for `id`.
    #[must_use]
    pub fn get(&self, id: &str) -> Option<&[u8]> {
        self.keys.iter().find(|k| k.id == id).map(|k| k.secret.as_slice())
    }
}

/// Parses keys-file text.
///
/// # Errors
/// The diagnostics (positions only, no quotes).
pub fn parse(text: &str) -> Result<Keyring, Vec<Diagnostic>> {
    let src: KeysSource =
        crate::source::parse(text, "this keys file only as `secret_hex` or `secret_b64`").map_err(|d| vec![*d])?;
    let mut diags = Vec::new();
    let mut keys: Vec<KeySecret> = Vec::new();
    for k in &src.key {
        let k = k.get_ref();
        let id = k.id.get_ref();
        if id.is_empty() {
            diags.push(
                Diagnostic::error(Some(k.id.span()), "empty key id").with_help("use the `id` of the policy's [[key]]"),
            );
        }
        if keys.iter().any(|x| x.id == *id) {
            diags.push(
                Diagnostic::error(Some(k.id.span()), format!("key id `{id}` is listed twice"))
                    .with_help("keep one secret per key id"),
            );
        }
        let secret = match (&k.secret_hex, &k.secret_b64) {
            (Some(h), None) => from_hex(h.get_ref().trim()).ok_or_else(|| {
                Diagnostic::error(Some(h.span()), format!("`secret_hex` of key `{id}` is not hex"))
                    .with_help("write an even number of hex digits (`warden key new` prints a fresh key)")
            }),
            (None, Some(b)) => from_b64_any(b.get_ref().trim()).ok_or_else(|| {
                Diagnostic::error(Some(b.span()), format!("`secret_b64` of key `{id}` is not base64"))
                    .with_help("RFC 4648 base64, standard or URL-safe alphabet, padding optional")
            }),
            (Some(h), Some(_)) => {
                Err(Diagnostic::error(Some(h.span()), format!("key `{id}` has both `secret_hex` and `secret_b64`"))
                    .with_help("keep exactly one of them"))
            }
            (None, None) => Err(Diagnostic::error(Some(k.id.span()), format!("key `{id}` has no secret"))
                .with_help("add `secret_hex` or `secret_b64` (`warden key new --alg HS256` makes one)")),
        };
        match secret {
            Ok(secret) if secret.is_empty() => diags.push(
                Diagnostic::error(Some(k.id.span()), format!("key `{id}` has an empty secret"))
                    .with_help("`warden key new` makes a secret of the right size"),
            ),
            Ok(secret) => keys.push(KeySecret { id: id.clone(), secret }),
            Err(d) => diags.push(d),
        }
    }
    let private_jwks = src.private_jwks.iter().map(|p| p.get_ref().clone()).collect();
    if diags.is_empty() { Ok(Keyring { keys, private_jwks, private: Vec::new() }) } else { Err(diags) }
}

/// Reads and parses a keys file, printing its diagnostics: the HMAC secrets, and the names of
/// its `private_jwks` files, which are not read (only [`load_with_private`] needs them, for
/// `warden token mint`; a keys file installed on a server may name dev files left behind).
///
/// # Errors
/// A one-line message after the diagnostics were printed.
pub fn load(path: &Path) -> Result<Keyring, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read keys file {}: {e}", path.display()))?;
    // A JWK Set given directly (e.g. a `warden key new` file) holds no HMAC secret.
    if text.trim_start().starts_with('{') {
        return Ok(Keyring::default());
    }
    parse(&text).map_err(|diagnostics| {
        Report { file: SourceFile::new(path.display().to_string(), text, Snippets::Never), diagnostics }.eprint();
        format!("keys file {} is not valid", path.display())
    })
}

/// [`load`], and the private test keys of the `private_jwks` files (relative to the keys file)
/// read into [`Keyring::private`]; a JWK Set file given instead of a keys file is read as such.
///
/// # Errors
/// As [`load`], or a private JWK Set that cannot be read.
pub fn load_with_private(path: &Path) -> Result<Keyring, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read keys file {}: {e}", path.display()))?;
    if text.trim_start().starts_with('{') {
        let private = crate::testkeys::read_private_set(path)?;
        return Ok(Keyring { private, ..Keyring::default() });
    }
    let mut ring = load(path)?;
    let dir = path.parent().unwrap_or(Path::new(""));
    for file in &ring.private_jwks {
        ring.private.extend(crate::testkeys::read_private_set(&dir.join(file))?);
    }
    Ok(ring)
}

/// Where the secrets of a keyring came from, for messages about a missing one.
#[derive(Debug, Clone, Copy)]
pub enum KeysFrom<'a> {
    /// A keys file.
    File(&'a Path),
    /// None was given; the text says how to give one (e.g. "pass --keys FILE").
    Nowhere(&'a str),
}

/// A load error explained with key ids instead of key numbers.
#[must_use]
pub fn explain_load_error(e: &LoadError, key_ids: &[&str], from: KeysFrom<'_>) -> String {
    let id = |i: &usize| key_ids.get(*i).copied().unwrap_or("?");
    match (e, from) {
        (LoadError::KeyMissing { key }, KeysFrom::Nowhere(how)) => format!(
            "the policy verifies tokens with key `{}`, whose secret comes from a keys file, and none was given: {how} (a TOML file of [[key]] tables with `id` and `secret_hex` or `secret_b64`; `warden key new --alg … --id {}` makes one)",
            id(key),
            id(key)
        ),
        (LoadError::KeyMissing { key }, KeysFrom::File(path)) => format!(
            "the keys file {} has no secret for key `{}` of the policy; add a [[key]] with id = \"{}\"",
            path.display(),
            id(key),
            id(key)
        ),
        (LoadError::KeyTooShort { key, min }, _) => format!(
            "the secret for key `{}` is shorter than {min} bytes, the minimum for its algorithm (RFC 7518 §3.2); make a new one with `warden key new`",
            id(key)
        ),
        (other, _) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_both_base64_alphabets() {
        let text = "[[key]]\nid = \"a\"\nsecret_hex = \"00ff\"\n[[key]]\nid = \"b\"\nsecret_b64 = \"-_8=\"\n[[key]]\nid = \"c\"\nsecret_b64 = \"+/8\"\n";
        let k = parse(text).unwrap();
        assert_eq!(k.get("a"), Some(&[0u8, 0xff][..]));
        assert_eq!(k.get("b"), Some(&[0xfbu8, 0xff][..]));
        assert_eq!(k.get("c"), Some(&[0xfbu8, 0xff][..]));
    }

    #[test]
    fn errors_have_positions_and_no_secret() {
        let text = "[[key]]\nid = \"a\"\nsecret_hex = \"zz-secret\"\n";
        let d = parse(text).unwrap_err();
        assert_eq!(d.len(), 1);
        assert_eq!(&text[d[0].span.clone().unwrap()], "\"zz-secret\"");
        assert!(!d[0].message.contains("zz-secret"));
        let d = parse("[[key]]\nid = \"a\"\nsecret = \"x\"\n").unwrap_err();
        assert_eq!(d[0].message, "unknown field `secret`");
        let d = parse("[[key]]\nid = \"a\"\n").unwrap_err();
        assert!(d[0].message.contains("no secret"));
        let d = parse("[[key]]\nid = \"a\"\nsecret_hex = \"00\"\nsecret_b64 = \"AA\"\n").unwrap_err();
        assert!(d[0].message.contains("both"));
    }

    #[test]
    fn load_errors_name_the_key() {
        let m = explain_load_error(&LoadError::KeyTooShort { key: 1, min: 48 }, &["a", "b"], KeysFrom::Nowhere(""));
        assert!(m.contains("key `b`") && m.contains("48"), "{m}");
    }
}
