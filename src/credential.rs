//! Credentials: which scheme the request presents (rows 7–10), API keys and Basic (row 11).
//!
//! API keys are hashed once with SHA-256 and compared with every stored digest; Basic user ids
//! are compared with every Basic credential, and PBKDF2 always runs the policy's largest
//! iteration count on the selected (or, for an unknown user, a stand-in) salt. Which
//! credential matched is never branched on: it travels as a [`Choice`] and a masked index.

use crate::base64::decode_std_padded_vartime;
use crate::capacity::{MAX_HEADER_VALUE, MAX_NAME};
use crate::ct::{self, Choice};
use crate::mac;
use crate::policy::{Credential, CredentialKind};
use crate::request::Header;

/// What the request presents for authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Presented<'r> {
    /// Nothing.
    None,
    /// More than one scheme, or a credential header twice.
    Ambiguous,
    /// `Authorization: Bearer …` (the token, possibly empty).
    Bearer(&'r [u8]),
    /// `Authorization: Basic …` (the encoded value, possibly empty).
    Basic(&'r [u8]),
    /// The API-key header's value, or `Authorization: ApiKey …` (the scheme the `ApiKey`
    /// challenge names).
    ApiKey(&'r [u8]),
    /// `Authorization` with another scheme (`Digest …`): a scheme no rule accepts.
    OtherScheme,
    /// `Authorization` that is not `scheme [SP credentials]`, or a header over the limit.
    Unparseable,
}

/// The headers the engine reads, found in one pass over all of them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scanned<'r> {
    pub(crate) presented: Presented<'r>,
    /// `origin`: `Some(value)` if exactly one was sent, `Some(b"")` (never valid) if several.
    pub(crate) origin: Option<&'r [u8]>,
    /// `access-control-request-method`, same convention.
    pub(crate) acrm: Option<&'r [u8]>,
}

fn trim(v: &[u8]) -> &[u8] {
    let is_ows = |c: &u8| *c == b' ' || *c == b'\t';
    let start = v.iter().position(|c| !is_ows(c)).unwrap_or(v.len());
    let end = v.iter().rposition(|c| !is_ows(c)).map_or(start, |e| e.saturating_add(1));
    v.get(start..end).unwrap_or(&[])
}

fn note<'r>(slot: &mut Option<&'r [u8]>, count: &mut u8, value: &'r [u8]) {
    *count = count.saturating_add(1);
    *slot = Some(if *count == 1 { value } else { &[] });
}

/// Whether a header name (public) is `want`, ASCII case-insensitively. Inlined, so that the
/// length test that settles most comparisons costs no call.
#[inline]
fn name_is(name: &[u8], want: &[u8]) -> bool {
    name.len() == want.len() && name.eq_ignore_ascii_case(want)
}

pub(crate) fn scan<'r>(headers: &[Header<'r>], api_key_header: &str) -> Scanned<'r> {
    let (mut auth, mut api, mut origin, mut acrm) = (None, None, None, None);
    let (mut n_auth, mut n_api, mut n_origin, mut n_acrm) = (0u8, 0u8, 0u8, 0u8);
    for h in headers {
        // Compare against every name the engine reads, without stopping at the first hit.
        // Names are public: a length mismatch (most headers) settles a comparison at once.
        let is_auth = name_is(h.name, b"authorization");
        let is_api = name_is(h.name, api_key_header.as_bytes());
        let is_origin = name_is(h.name, b"origin");
        let is_acrm = name_is(h.name, b"access-control-request-method");
        let v = trim(h.value);
        if is_auth {
            note(&mut auth, &mut n_auth, v);
        }
        if is_api {
            note(&mut api, &mut n_api, v);
        }
        if is_origin {
            note(&mut origin, &mut n_origin, v);
        }
        if is_acrm {
            note(&mut acrm, &mut n_acrm, v);
        }
    }
    let presented = match (auth, api) {
        (None, None) => Presented::None,
        (Some(_), Some(_)) => Presented::Ambiguous,
        _ if n_auth > 1 || n_api > 1 => Presented::Ambiguous,
        (None, Some(key)) => {
            if key.len() > MAX_HEADER_VALUE {
                Presented::Unparseable
            } else {
                Presented::ApiKey(key)
            }
        }
        (Some(a), None) => parse_authorization(a),
    };
    let too_long = |v: Option<&'r [u8]>| v.map(|v| if v.len() > MAX_HEADER_VALUE { &[][..] } else { v });
    Scanned { presented, origin: too_long(origin), acrm: too_long(acrm) }
}

fn parse_authorization(v: &[u8]) -> Presented<'_> {
    if v.is_empty() || v.len() > MAX_HEADER_VALUE {
        return Presented::Unparseable;
    }
    let (scheme, rest) = match v.iter().position(|&c| c == b' ') {
        Some(sp) => (v.get(..sp).unwrap_or(&[]), v.get(sp..).unwrap_or(&[])),
        None => (v, &[][..]),
    };
    if scheme.is_empty() || !scheme.iter().all(|&c| crate::load::is_tchar(c)) {
        return Presented::Unparseable;
    }
    // RFC 9110 §11.4: one or more spaces between scheme and credentials.
    let cred = rest.get(rest.iter().position(|&c| c != b' ').unwrap_or(rest.len())..).unwrap_or(&[]);
    if scheme.eq_ignore_ascii_case(b"bearer") {
        Presented::Bearer(cred)
    } else if scheme.eq_ignore_ascii_case(b"basic") {
        Presented::Basic(cred)
    } else if scheme.eq_ignore_ascii_case(b"apikey") {
        Presented::ApiKey(cred)
    } else {
        Presented::OtherScheme
    }
}

/// Outcome of checking a presented credential against the policy.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CredentialCheck {
    /// The value cannot be parsed (public).
    pub(crate) malformed: bool,
    /// A credential matched (secret-derived).
    pub(crate) valid: Choice,
    /// Index of the matching credential (meaningful only when `valid`).
    pub(crate) index: u16,
    /// Its roles (empty unless `valid`).
    pub(crate) roles: u64,
}

impl CredentialCheck {
    pub(crate) fn malformed() -> Self {
        Self { malformed: true, valid: Choice::from(0), index: 0, roles: 0 }
    }
}

/// Compares the SHA-256 of `key` with every stored API-key digest.
pub(crate) fn check_api_key(key: &[u8], credentials: &[Credential<'_>]) -> CredentialCheck {
    if key.is_empty() || key.iter().any(|&c| c < 0x20 || c == 0x7f) {
        return CredentialCheck::malformed();
    }
    let digest = mac::sha256(&[key]);
    let mut found = Choice::from(0);
    let mut index = 0u16;
    let mut roles = 0u64;
    for (i, c) in credentials.iter().enumerate() {
        if let CredentialKind::ApiKey { sha256 } = &c.kind {
            let hit = ct::bytes_eq(&digest, sha256);
            let first = hit & !found;
            index = ct::select(first, u16::try_from(i).unwrap_or(u16::MAX), index);
            roles = ct::select(first, c.roles.0, roles);
            found |= hit;
        }
    }
    CredentialCheck { malformed: false, valid: found, index, roles }
}

/// Longest decoded Basic value (user-id ":" password) accepted.
pub(crate) const MAX_BASIC: usize = 2 * MAX_NAME + 2;

/// Verifies `Authorization: Basic <encoded>` (RFC 7617).
pub(crate) fn check_basic(encoded: &[u8], credentials: &[Credential<'_>], max_iterations: u32) -> CredentialCheck {
    let mut buf = [0u8; MAX_BASIC];
    let Ok(decoded) = decode_std_padded_vartime(encoded, &mut buf) else {
        return CredentialCheck::malformed();
    };
    let Some(colon) = decoded.iter().position(|&c| c == b':') else {
        return CredentialCheck::malformed();
    };
    let user = decoded.get(..colon).unwrap_or(&[]);
    let password = decoded.get(colon.saturating_add(1)..).unwrap_or(&[]);
    // RFC 7617 §2: no control characters; the charset we advertise is UTF-8.
    let ctl = decoded.iter().any(|&c| c < 0x20 || c == 0x7f);
    if ctl || core::str::from_utf8(decoded).is_err() {
        return CredentialCheck::malformed();
    }

    // Select the user's salt, count and hash; an unknown user gets the first Basic
    // credential's salt and count, so it costs the same.
    let mut salt_buf = [0u8; 64];
    let mut salt_len = 0usize;
    let mut iterations = 1u32;
    let mut hash = [0u8; 32];
    let mut found = Choice::from(0);
    let mut index = 0u16;
    let mut roles = 0u64;
    let mut any_basic = false;
    for (i, c) in credentials.iter().enumerate() {
        if let CredentialKind::Basic { user: u, iterations: n, salt, hash: h } = &c.kind {
            let hit = ct::bytes_eq(user, u.as_bytes()) & !found;
            // Salts all have one length (checked at load), so this is public.
            let take = hit | Choice::from(u8::from(!any_basic));
            salt_len = salt.len().min(salt_buf.len());
            for (dst, &src) in salt_buf.iter_mut().zip(salt.iter()) {
                *dst = ct::select(take, src, *dst);
            }
            iterations = ct::select(take, *n, iterations);
            for (dst, &src) in hash.iter_mut().zip(h.iter()) {
                *dst = ct::select(take, src, *dst);
            }
            index = ct::select(hit, u16::try_from(i).unwrap_or(u16::MAX), index);
            roles = ct::select(hit, c.roles.0, roles);
            found |= hit;
            any_basic = true;
        }
    }
    if !any_basic {
        // No Basic credentials in the policy (public): nothing to compute.
        return CredentialCheck { malformed: false, valid: Choice::from(0), index: 0, roles: 0 };
    }
    let salt = salt_buf.get(..salt_len).unwrap_or(&[]);
    let derived = mac::pbkdf2_sha256(password, salt, iterations, max_iterations);
    let valid = found & ct::bytes_eq(&derived, &hash);
    let roles = ct::select(valid, roles, 0);
    CredentialCheck { malformed: false, valid, index, roles }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h<'a>(n: &'a str, v: &'a str) -> Header<'a> {
        Header::new(n.as_bytes(), v.as_bytes())
    }

    #[test]
    fn scheme_detection() {
        fn p<'r>(hs: &[Header<'r>]) -> Presented<'r> {
            scan(hs, "x-api-key").presented
        }
        assert_eq!(p(&[]), Presented::None);
        assert_eq!(p(&[h("Authorization", "Bearer abc")]), Presented::Bearer(b"abc"));
        assert_eq!(p(&[h("authorization", "bearer   abc ")]), Presented::Bearer(b"abc"));
        assert_eq!(p(&[h("AUTHORIZATION", "Bearer")]), Presented::Bearer(b""));
        assert_eq!(p(&[h("authorization", "Basic QQ==")]), Presented::Basic(b"QQ=="));
        assert_eq!(p(&[h("authorization", "Digest x=1")]), Presented::OtherScheme);
        assert_eq!(p(&[h("authorization", "")]), Presented::Unparseable);
        assert_eq!(p(&[h("authorization", "Bea\"rer x")]), Presented::Unparseable);
        assert_eq!(p(&[h("X-Api-Key", "k")]), Presented::ApiKey(b"k"));
        assert_eq!(p(&[h("authorization", "ApiKey k")]), Presented::ApiKey(b"k"));
        assert_eq!(p(&[h("authorization", "apikey   k ")]), Presented::ApiKey(b"k"));
        assert_eq!(p(&[h("authorization", "ApiKey")]), Presented::ApiKey(b""));
        assert_eq!(p(&[h("authorization", "ApiKey k"), h("x-api-key", "k")]), Presented::Ambiguous);
        assert_eq!(p(&[h("authorization", "Api-Key k")]), Presented::OtherScheme);
        assert_eq!(p(&[h("x-api-key", "k"), h("authorization", "Bearer t")]), Presented::Ambiguous);
        assert_eq!(p(&[h("authorization", "Bearer t"), h("authorization", "Bearer t")]), Presented::Ambiguous);
        assert_eq!(p(&[h("x-api-key", "a"), h("x-api-key", "a")]), Presented::Ambiguous);
    }

    #[test]
    fn repeated_origin_is_never_a_valid_origin() {
        let s = scan(&[h("origin", "https://a.example"), h("Origin", "https://a.example")], "x-api-key");
        assert_eq!(s.origin, Some(&b""[..]));
    }
}
