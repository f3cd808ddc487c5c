//! JWK Sets (RFC 7517 §5) of public verification keys, as a policy's `[[key]] jwks = "FILE"`
//! names them: reading, and every check SPEC §6 asks for before a key enters a policy.
//!
//! A JWK becomes a [`PublicJwk`] only if it is a public signature-verification key Warden can
//! use: no private members (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, `k`), `use` absent or
//! `sig`, `key_ops` absent or with `verify`, an RSA modulus of 2048 to 4096 bits with an odd
//! exponent, an EC point on P-256 or P-384, an Ed25519 point (canonical, not of small order).
//! Everything else is a [`JwkProblem`] naming the JWK (its index and `kid`) and the fix; the
//! compiler turns problems into diagnostics at the `jwks` entry of the policy.

use serde_json::{Map, Value};
use warden::policy::{Alg, KeyFamily, PublicKey};

/// Members that only private (or symmetric) keys have (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037
/// §2): a JWK with any of them is a secret and never belongs in a policy.
pub const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// A public key taken from a JWK Set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicJwk {
    /// Position in the set's `keys` array (0-based).
    pub index: usize,
    /// The JWK's `kid`, if it has one.
    pub kid: Option<String>,
    /// The JWK's `alg`, if it has one (already checked against the key type).
    pub alg: Option<Alg>,
    /// The key.
    pub key: OwnedPublicKey,
}

/// A public key with owned bytes, in the form the core stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnedPublicKey {
    /// RSA: the modulus without leading zero bytes, the exponent.
    Rsa {
        /// Modulus, big-endian.
        n: Vec<u8>,
        /// Public exponent.
        e: u32,
    },
    /// A P-256 or P-384 point, SEC1 uncompressed.
    Ec {
        /// `P-256` or `P-384`.
        crv: Curve,
        /// `04 ‖ x ‖ y`.
        sec1: Vec<u8>,
    },
    /// An Ed25519 point.
    Ed25519([u8; 32]),
}

/// The elliptic curves Warden verifies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    /// NIST P-256 (`ES256`).
    P256,
    /// NIST P-384 (`ES384`).
    P384,
}

impl OwnedPublicKey {
    /// An owned copy of a compiled key (`None` for an HMAC key or a key that does not fit
    /// `alg`).
    #[must_use]
    pub fn from_core(alg: Alg, key: &PublicKey<'_>) -> Option<Self> {
        let owned = match *key {
            PublicKey::Secret => return None,
            PublicKey::Rsa { n, e } => Self::Rsa { n: n.to_vec(), e },
            PublicKey::Ec { sec1 } => {
                let crv = match alg {
                    Alg::Es256 => Curve::P256,
                    Alg::Es384 => Curve::P384,
                    _ => return None,
                };
                Self::Ec { crv, sec1: sec1.to_vec() }
            }
            PublicKey::Ed25519 { a } => Self::Ed25519(a),
        };
        owned.fits(alg).then_some(owned)
    }

    /// The core's view, borrowing from `self`.
    #[must_use]
    pub fn as_core(&self) -> PublicKey<'_> {
        match self {
            Self::Rsa { n, e } => PublicKey::Rsa { n, e: *e },
            Self::Ec { sec1, .. } => PublicKey::Ec { sec1 },
            Self::Ed25519(a) => PublicKey::Ed25519 { a: *a },
        }
    }

    /// The key type (`kty`).
    #[must_use]
    pub const fn family(&self) -> KeyFamily {
        match self {
            Self::Rsa { .. } => KeyFamily::Rsa,
            Self::Ec { .. } => KeyFamily::Ec,
            Self::Ed25519(_) => KeyFamily::Okp,
        }
    }

    /// Whether `alg` verifies with this key (RFC 7518 §3.3–3.5, RFC 8037 §3.1: the curve fixes
    /// the ECDSA algorithm).
    #[must_use]
    pub fn fits(&self, alg: Alg) -> bool {
        match self {
            Self::Ec { crv: Curve::P256, .. } => alg == Alg::Es256,
            Self::Ec { crv: Curve::P384, .. } => alg == Alg::Es384,
            _ => alg.family() == self.family(),
        }
    }

    /// The algorithms this key can verify, for messages.
    #[must_use]
    pub fn algs(&self) -> &'static str {
        match self {
            Self::Rsa { .. } => "RS256, RS384, RS512, PS256, PS384 or PS512",
            Self::Ec { crv: Curve::P256, .. } => "ES256",
            Self::Ec { crv: Curve::P384, .. } => "ES384",
            Self::Ed25519(_) => "EdDSA",
        }
    }

    /// The RFC 7638 JWK thumbprint input: the required members in lexicographic order, no
    /// whitespace. Its SHA-256, base64url, is the key's thumbprint.
    #[must_use]
    pub fn thumbprint_input(&self) -> String {
        use crate::encoding::b64url_nopad;
        match self {
            Self::Rsa { n, e } => {
                let e = e.to_be_bytes();
                let first = e.iter().position(|b| *b != 0).unwrap_or(3);
                format!(
                    r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
                    b64url_nopad(e.get(first..).unwrap_or(&[])),
                    b64url_nopad(n)
                )
            }
            Self::Ec { crv, sec1 } => {
                let half = sec1.len().saturating_sub(1) / 2;
                let x = sec1.get(1..1usize.saturating_add(half)).unwrap_or(&[]);
                let y = sec1.get(1usize.saturating_add(half)..).unwrap_or(&[]);
                let crv = match crv {
                    Curve::P256 => "P-256",
                    Curve::P384 => "P-384",
                };
                format!(r#"{{"crv":"{crv}","kty":"EC","x":"{}","y":"{}"}}"#, b64url_nopad(x), b64url_nopad(y))
            }
            Self::Ed25519(a) => format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, b64url_nopad(a)),
        }
    }

    /// The RFC 7638 SHA-256 thumbprint, base64url without padding.
    #[must_use]
    pub fn thumbprint(&self) -> String {
        use sha2::Digest;
        crate::encoding::b64url_nopad(&sha2::Sha256::digest(self.thumbprint_input().as_bytes()))
    }
}

/// Why a JWK (or the whole set) is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwkProblem {
    /// Which JWK (`None`: the set itself).
    pub index: Option<usize>,
    /// Its `kid`, when it has a string one.
    pub kid: Option<String>,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub help: String,
}

impl JwkProblem {
    fn set(message: impl Into<String>, help: impl Into<String>) -> Self {
        Self { index: None, kid: None, message: message.into(), help: help.into() }
    }

    /// `JWK #i (kid "…")`, or `the JWK Set`.
    #[must_use]
    pub fn which(&self) -> String {
        match (self.index, &self.kid) {
            (Some(i), Some(kid)) => format!("JWK #{i} (kid \"{}\")", kid.escape_debug()),
            (Some(i), None) => format!("JWK #{i} (no kid)"),
            (None, _) => "the JWK Set".to_string(),
        }
    }
}

/// Parses a JWK Set and checks every key; the keys in set order, or every problem found.
///
/// # Errors
/// Every refused JWK, or the set's own problem when it is not a JWK Set.
pub fn parse(text: &str) -> Result<Vec<PublicJwk>, Vec<JwkProblem>> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        vec![JwkProblem::set(
            format!("is not JSON ({e})"),
            "a JWK Set is a JSON object {\"keys\": [ … ]} (RFC 7517 §5), e.g. the document at the identity provider's jwks_uri",
        )]
    })?;
    let keys = value.as_object().and_then(|o| o.get("keys")).and_then(Value::as_array).ok_or_else(|| {
        vec![JwkProblem::set(
            "is not a JWK Set: no `keys` array",
            "a JWK Set is a JSON object {\"keys\": [ … ]} (RFC 7517 §5); a single JWK must be wrapped in one",
        )]
    })?;
    if keys.is_empty() {
        return Err(vec![JwkProblem::set(
            "has no keys",
            "add the identity provider's public keys, or remove the [[key]]",
        )]);
    }
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (index, jwk) in keys.iter().enumerate() {
        match one(index, jwk) {
            Ok(k) => out.push(k),
            Err(p) => problems.push(*p),
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

fn one(index: usize, jwk: &Value) -> Result<PublicJwk, Box<JwkProblem>> {
    let kid = jwk.get("kid").and_then(Value::as_str).map(str::to_string);
    let fail = |message: String, help: &str| {
        Box::new(JwkProblem { index: Some(index), kid: kid.clone(), message, help: help.into() })
    };
    let Some(obj) = jwk.as_object() else {
        return Err(fail("is not a JSON object".into(), "every member of `keys` is one JWK object (RFC 7517 §4)"));
    };
    if let Some(member) = PRIVATE_MEMBERS.iter().find(|m| obj.contains_key(**m)) {
        return Err(fail(
            format!("has the private member `{member}`: it is a private or secret key"),
            "a policy holds public keys only: use the identity provider's public JWK Set (its jwks_uri), or `warden key new`'s printed public set; keep private keys out of the repository",
        ));
    }
    if jwk.get("kid").is_some_and(|k| !k.is_string()) {
        return Err(fail(
            "has a `kid` that is not a string".into(),
            "write the key id as a JSON string (RFC 7517 §4.5)",
        ));
    }
    if let Some(k) = &kid
        && (k.is_empty() || k.len() > warden::capacity::MAX_NAME || k.chars().any(char::is_control))
    {
        return Err(fail(
            format!(
                "has a `kid` that is empty, longer than {} bytes or has control characters",
                warden::capacity::MAX_NAME
            ),
            "give the key a short printable id (it is matched against the token header's `kid`)",
        ));
    }
    match obj.get("use") {
        None => {}
        Some(Value::String(u)) if u == "sig" => {}
        Some(other) => {
            return Err(fail(
                format!("has `use` {other}, not \"sig\""),
                "only signature keys verify tokens (RFC 7517 §4.2): drop encryption keys from the set given to Warden",
            ));
        }
    }
    if let Some(ops) = obj.get("key_ops") {
        let verify = ops.as_array().is_some_and(|a| a.iter().any(|o| o.as_str() == Some("verify")));
        if !verify {
            return Err(fail(
                "has `key_ops` without \"verify\"".into(),
                "a key that may not verify signatures cannot check tokens (RFC 7517 §4.3): add \"verify\" or leave the key out",
            ));
        }
    }
    let kty = obj
        .get("kty")
        .and_then(Value::as_str)
        .ok_or_else(|| fail("has no `kty`".into(), "every JWK names its key type: \"RSA\", \"EC\" or \"OKP\""))?;
    let key = match kty {
        "RSA" => rsa(obj).map_err(|(m, h)| fail(m, h))?,
        "EC" => ec(obj).map_err(|(m, h)| fail(m, h))?,
        "OKP" => okp(obj).map_err(|(m, h)| fail(m, h))?,
        other => {
            return Err(fail(
                format!("has key type `{}`", other.escape_debug()),
                "Warden verifies \"RSA\", \"EC\" (P-256, P-384) and \"OKP\" (Ed25519) public keys; HMAC secrets belong in the keys file",
            ));
        }
    };
    let alg = match obj.get("alg") {
        None => None,
        Some(Value::String(name)) => {
            let alg = Alg::from_name(name.as_bytes()).filter(|a| !a.is_hmac()).ok_or_else(|| {
                fail(
                    format!("has `alg` \"{}\", not a signature algorithm Warden verifies", name.escape_debug()),
                    "use RS256/384/512, PS256/384/512, ES256, ES384 or EdDSA, or leave `alg` out and set it in the [[key]] table",
                )
            })?;
            if !key.fits(alg) {
                return Err(fail(
                    format!("has `alg` {} but its key verifies {}", alg.name(), key.algs()),
                    "fix the JWK's `alg` to match its key type and curve",
                ));
            }
            Some(alg)
        }
        Some(_) => {
            return Err(fail("has an `alg` that is not a string".into(), "write the algorithm as a JSON string"));
        }
    };
    Ok(PublicJwk { index, kid, alg, key })
}

type Refusal = (String, &'static str);

fn b64_member(obj: &Map<String, Value>, name: &str) -> Result<Vec<u8>, Refusal> {
    use base64::Engine as _;
    let text = obj
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| (format!("has no `{name}` string"), "add the member; the JWK is incomplete"))?;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).map_err(|_| {
        (
            format!("has a `{name}` that is not base64url without padding"),
            "write it as RFC 7515 §2 base64url, without `=` padding",
        )
    })
}

fn rsa(obj: &Map<String, Value>) -> Result<OwnedPublicKey, Refusal> {
    let n = b64_member(obj, "n")?;
    let e = b64_member(obj, "e")?;
    // RFC 7518 §6.3.1.1: minimal octets; leading zeros are tolerated and dropped.
    let n: Vec<u8> = n.into_iter().skip_while(|b| *b == 0).collect();
    let e: Vec<u8> = e.into_iter().skip_while(|b| *b == 0).collect();
    let bits = PublicKey::Rsa { n: &n, e: 0 }.bits();
    if bits < 2048 {
        return Err((
            format!("has a {bits}-bit RSA modulus, under 2048 bits"),
            "RFC 7518 §3.3 requires at least 2048 bits: ask the identity provider for a 2048-bit or larger key",
        ));
    }
    if bits > 4096 {
        return Err((
            format!("has a {bits}-bit RSA modulus, over 4096 bits"),
            "Warden verifies RSA moduli up to 4096 bits (docs/embedded.md, capacities)",
        ));
    }
    if n.last().is_some_and(|b| b & 1 == 0) {
        return Err((
            "has an even RSA modulus (not an RSA key)".into(),
            "the JWK is corrupt: take the key again from the identity provider",
        ));
    }
    if e.len() > 4 {
        return Err((
            "has an RSA exponent of more than 32 bits".into(),
            "Warden verifies exponents up to 2^32 − 1 (identity providers use 65537)",
        ));
    }
    let e = e.iter().fold(0u32, |acc, b| acc.checked_shl(8).unwrap_or(0) | u32::from(*b));
    if e & 1 == 0 || e < 3 {
        return Err((
            format!("has the RSA exponent {e}: even, or below 3"),
            "an RSA public exponent is odd and at least 3 (usually 65537, \"AQAB\")",
        ));
    }
    Ok(OwnedPublicKey::Rsa { n, e })
}

fn ec(obj: &Map<String, Value>) -> Result<OwnedPublicKey, Refusal> {
    let crv = obj.get("crv").and_then(Value::as_str).unwrap_or("");
    let (curve, len) = match crv {
        "P-256" => (Curve::P256, 32),
        "P-384" => (Curve::P384, 48),
        other => {
            return Err((
                format!("has the curve `{}`", other.escape_debug()),
                "Warden verifies ECDSA on P-256 (ES256) and P-384 (ES384) only",
            ));
        }
    };
    let x = b64_member(obj, "x")?;
    let y = b64_member(obj, "y")?;
    if x.len() != len || y.len() != len {
        return Err((
            format!("has `x`/`y` of {}/{} bytes where {crv} needs {len} each", x.len(), y.len()),
            "RFC 7518 §6.2.1.2: the coordinates are full-length octet strings",
        ));
    }
    let sec1 = [&[4u8][..], &x, &y].concat();
    let on_curve = match curve {
        Curve::P256 => p256::PublicKey::from_sec1_bytes(&sec1).is_ok(),
        Curve::P384 => p384::PublicKey::from_sec1_bytes(&sec1).is_ok(),
    };
    if !on_curve {
        return Err((
            format!("has a point that is not on {crv}"),
            "the JWK is corrupt or forged: take the key again from the identity provider",
        ));
    }
    Ok(OwnedPublicKey::Ec { crv: curve, sec1 })
}

fn okp(obj: &Map<String, Value>) -> Result<OwnedPublicKey, Refusal> {
    let crv = obj.get("crv").and_then(Value::as_str).unwrap_or("");
    if crv != "Ed25519" {
        return Err((
            format!("has the curve `{}`", crv.escape_debug()),
            "Warden verifies EdDSA with Ed25519 only (RFC 8037); X25519 keys do not sign",
        ));
    }
    let x = b64_member(obj, "x")?;
    let a: [u8; 32] = x.try_into().map_err(|_| {
        ("has an `x` that is not 32 bytes".to_string(), "an Ed25519 public key is 32 bytes (RFC 8037 §2)")
    })?;
    // The core's own check: canonical encoding, on the curve, not of small order.
    let usable = warden::internal::public_key_usable(Alg::EdDsa, &PublicKey::Ed25519 { a }).unwrap_or(false);
    if !usable {
        return Err((
            "has an Ed25519 point that is not canonical, not on the curve, or of small order".into(),
            "the JWK is corrupt or forged: take the key again from the identity provider",
        ));
    }
    Ok(OwnedPublicKey::Ed25519(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_7638_thumbprint_of_the_rfc_example_key() {
        // RFC 7638 §3.1: the example RSA key's thumbprint.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let text = format!(r#"{{"keys":[{{"kty":"RSA","n":"{n}","e":"AQAB","alg":"RS256","kid":"2011-04-29"}}]}}"#);
        let keys = parse(&text).unwrap();
        assert_eq!(keys[0].key.thumbprint(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
        assert_eq!(keys[0].alg, Some(Alg::Rs256));
        assert_eq!(keys[0].kid.as_deref(), Some("2011-04-29"));
    }

    #[test]
    fn every_refusal_names_the_jwk() {
        let p = parse(r#"{"keys":[{"kty":"oct","k":"AAAA","kid":"s"}]}"#).unwrap_err();
        assert!(p[0].message.contains("private member `k`"), "{p:?}");
        assert_eq!(p[0].which(), "JWK #0 (kid \"s\")");
        assert!(parse("[]").unwrap_err()[0].message.contains("no `keys`"));
        assert!(parse("{").unwrap_err()[0].message.contains("not JSON"));
    }
}
