//! JWT (RFC 7519, JWS compact serialization RFC 7515; HMAC and the public-key algorithms of
//! [`crate::signature`]): decision rows 10–16.
//!
//! The token is public input and is parsed with ordinary code. The signature is checked with
//! every candidate key (the `kid`'s key, or every key of the header's `alg` when there is no
//! `kid`): an HMAC key's MAC is computed and compared in constant time, a public key's
//! signature verified (public data, variable-time). The claims are parsed and checked whatever
//! the signature says, and the candidate that verified is selected with masks. Claim types follow RFC 7519
//! strictly: a registered claim of the wrong type makes the token malformed, never "absent".

use crate::base64::{Base64Error, decode_url_vartime};
use crate::capacity::{MAX_CLAIM_ELEMENTS, MAX_KEYS, MAX_NAME, MAX_SUBJECT, MAX_TOKEN_HEADER, MAX_TOKEN_PAYLOAD};
use crate::ct::{self, Choice};
use crate::json::{self, JStr, JsonError, Value};
use crate::mac::MacSlot;
use crate::policy::{Alg, KeySpec, PolicyBody};
use crate::signature::{self, MAX_SIGNATURE};

/// What a presented bearer token amounts to. Public fields are derived from the token alone;
/// `mac_ok`, `issuer_ok`, `audience_ok`, `key` and `roles` depend on key material.
#[derive(Clone)]
pub(crate) struct TokenCheck<'b> {
    pub(crate) malformed: bool,
    pub(crate) alg_rejected: bool,
    pub(crate) unknown_key: bool,
    pub(crate) mac_ok: Choice,
    pub(crate) expired: bool,
    pub(crate) not_yet_valid: bool,
    pub(crate) issuer_ok: Choice,
    pub(crate) audience_ok: Choice,
    pub(crate) roles: u64,
    /// Selected key (meaningful when `mac_ok`).
    pub(crate) key: u16,
    pub(crate) mfa: bool,
    /// Seconds since the user authenticated (`auth_time`, else `iat`; RFC 9470 §4), `None`
    /// when the token has neither or names a time later than now + leeway.
    pub(crate) auth_age: Option<u64>,
    pub(crate) exp: u64,
    /// The `sub` claim (public).
    pub(crate) sub: Option<JStr<'b>>,
}

impl core::fmt::Debug for TokenCheck<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TokenCheck").field("malformed", &self.malformed).finish_non_exhaustive()
    }
}

impl TokenCheck<'_> {
    fn malformed() -> Self {
        Self {
            malformed: true,
            alg_rejected: false,
            unknown_key: false,
            mac_ok: Choice::from(0),
            expired: false,
            not_yet_valid: false,
            issuer_ok: Choice::from(0),
            audience_ok: Choice::from(0),
            roles: 0,
            key: 0,
            mfa: false,
            auth_age: None,
            exp: 0,
            sub: None,
        }
    }
}

/// Header fields we use.
struct JoseHeader<'a> {
    alg: JStr<'a>,
    kid: Option<JStr<'a>>,
}

fn parse_header(bytes: &[u8]) -> Result<JoseHeader<'_>, JsonError> {
    let mut alg = None;
    let mut kid = None;
    json::for_each_member(bytes, |name, value| {
        if name.eq(b"alg") {
            let Value::Str(s) = value else { return Err(JsonError) };
            if alg.replace(s).is_some() {
                return Err(JsonError);
            }
        } else if name.eq(b"kid") {
            let Value::Str(s) = value else { return Err(JsonError) };
            if kid.replace(s).is_some() {
                return Err(JsonError);
            }
        } else if name.eq(b"crit") || name.eq(b"b64") {
            // RFC 7515 §4.1.11: we understand no extensions, so a critical one is fatal.
            return Err(JsonError);
        }
        Ok(())
    })?;
    Ok(JoseHeader { alg: alg.ok_or(JsonError)?, kid })
}

/// Claims we read.
struct Claims<'a> {
    exp: Option<u64>,
    nbf: Option<u64>,
    iat: Option<u64>,
    auth_time: Option<u64>,
    iss: Option<JStr<'a>>,
    sub: Option<JStr<'a>>,
    aud: Option<Value<'a>>,
    amr: Option<&'a [u8]>,
    scope: Option<JStr<'a>>,
    /// Value of each key's `roles_claim`, by key index.
    roles: [Option<Value<'a>>; MAX_KEYS],
}

/// RFC 7519 §2 NumericDate, floored; negative, above 2^53 and non-numbers are malformed.
fn numeric_date(v: Value<'_>) -> Result<u64, JsonError> {
    match v {
        Value::Num(n) => json::numeric_date(n).ok_or(JsonError),
        _ => Err(JsonError),
    }
}

fn parse_claims<'a>(bytes: &'a [u8], keys: &[KeySpec<'_>]) -> Result<Claims<'a>, JsonError> {
    let mut c = Claims {
        exp: None,
        nbf: None,
        iat: None,
        auth_time: None,
        iss: None,
        sub: None,
        aud: None,
        amr: None,
        scope: None,
        roles: [None; MAX_KEYS],
    };
    let mut seen = 0u128;
    json::for_each_member(bytes, |name, value| {
        let string = |v: Value<'a>| if let Value::Str(s) = v { Ok(s) } else { Err(JsonError) };
        // The name is compared once; everything after works on its bits.
        let bit = name.with_plain::<{ MAX_NAME }, _>(|name, _| claim_bit(name, keys));
        // Every claim we read may appear once, whatever its value.
        if seen & bit != 0 {
            return Err(JsonError);
        }
        seen |= bit;
        // `null` is how many JWT libraries write an optional claim they do not have: it is
        // absent; a null date is malformed like any other non-number ("MUST be a number").
        if value == Value::Null {
            return if bit & DATES != 0 { Err(JsonError) } else { Ok(()) };
        }
        match bit & REGISTERED {
            EXP => c.exp = Some(numeric_date(value)?),
            NBF => c.nbf = Some(numeric_date(value)?),
            IAT => c.iat = Some(numeric_date(value)?),
            AUTH_TIME => c.auth_time = Some(numeric_date(value)?),
            ISS => c.iss = Some(string(value)?),
            SUB => c.sub = Some(string(value)?),
            AUD => {
                check_string_or_array(value)?;
                c.aud = Some(value);
            }
            AMR => {
                let Value::Array(a) = value else { return Err(JsonError) };
                check_string_or_array(value)?;
                c.amr = Some(a);
            }
            SCOPE => c.scope = Some(string(value)?),
            _ => {}
        }
        // A key's roles claim may also be one of the names above (`scope` excepted).
        for (i, slot) in c.roles.iter_mut().enumerate() {
            if bit & roles_bit(i) != 0 {
                check_string_or_array(value)?;
                *slot = Some(value);
            }
        }
        Ok(())
    })?;
    Ok(c)
}

// A bit per claim we read, for duplicates and dispatch; bits 9 and up: the roles claim of key `i`.
const EXP: u128 = 1;
const NBF: u128 = 2;
const IAT: u128 = 4;
const AUTH_TIME: u128 = 8;
const ISS: u128 = 16;
const SUB: u128 = 32;
const AUD: u128 = 64;
const AMR: u128 = 128;
const SCOPE: u128 = 256;
const REGISTERED: u128 = 511;
/// The NumericDates (RFC 7519 §4.1.4–6; OpenID Connect Core §2 for `auth_time`).
const DATES: u128 = EXP | NBF | IAT | AUTH_TIME;

fn roles_bit(key: usize) -> u128 {
    u32::try_from(key).ok().and_then(|i| 512u128.checked_shl(i)).unwrap_or(0)
}

/// The bits of claim `name` (registered ones, and the roles claim of every key that reads it).
fn claim_bit(name: &[u8], keys: &[KeySpec<'_>]) -> u128 {
    let registered: u128 = match name {
        b"exp" => EXP,
        b"nbf" => NBF,
        b"iat" => IAT,
        b"auth_time" => AUTH_TIME,
        b"iss" => ISS,
        b"sub" => SUB,
        b"aud" => AUD,
        b"amr" => AMR,
        b"scope" => SCOPE,
        _ => 0,
    };
    keys.iter()
        .enumerate()
        .filter(|(_, k)| name == k.roles_claim.as_bytes())
        .fold(registered, |bits, (i, _)| bits | roles_bit(i))
}

/// A string, or an array of at most [`MAX_CLAIM_ELEMENTS`] strings.
fn check_string_or_array(v: Value<'_>) -> Result<(), JsonError> {
    match v {
        Value::Str(_) => Ok(()),
        Value::Array(a) => {
            let mut n = 0usize;
            json::for_each_element(a, |e| {
                n = n.saturating_add(1);
                if n > MAX_CLAIM_ELEMENTS || !matches!(e, Value::Str(_)) { Err(JsonError) } else { Ok(()) }
            })
        }
        _ => Err(JsonError),
    }
}

/// Calls `f` with each string of a string-or-array value (already checked).
fn each_string<'a>(v: Value<'a>, mut f: impl FnMut(JStr<'a>)) {
    match v {
        Value::Str(s) => f(s),
        Value::Array(a) => {
            let _ = json::for_each_element(a, |e| {
                if let Value::Str(s) = e {
                    f(s);
                }
                Ok(())
            });
        }
        _ => {}
    }
}

fn contains(v: Option<Value<'_>>, wanted: &[u8]) -> bool {
    let mut hit = false;
    if let Some(v) = v {
        each_string(v, |s| hit |= s.eq(wanted));
    }
    hit
}

/// Equality of two public strings, stopping early; those of 8 to 16 bytes (most role names) as
/// two words, without a call to `memcmp`. (`ct::eq_public` is the one that examines every
/// byte.)
fn eq_vartime(a: &[u8], b: &[u8]) -> bool {
    let word = |s: &[u8], at: usize| s.get(at..).and_then(<[u8]>::first_chunk::<8>).map(|w| u64::from_le_bytes(*w));
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if (8..=16).contains(&n) {
        let last = n.wrapping_sub(8);
        return word(a, 0) == word(b, 0) && word(a, last) == word(b, last);
    }
    a == b
}

/// Role bits named by `v` (string or array) and by the space-separated `scope`.
fn roles_from(v: Option<Value<'_>>, scope: Option<JStr<'_>>, names: &[&str]) -> u64 {
    let mut set = 0u64;
    let mut add = |token: &[u8]| {
        for (i, n) in names.iter().enumerate() {
            let bit = u32::try_from(i).ok().and_then(|i| 1u64.checked_shl(i)).unwrap_or(0);
            if eq_vartime(n.as_bytes(), token) {
                set |= bit;
            }
        }
    };
    if let Some(v) = v {
        each_string(v, |s| {
            s.with_plain::<{ MAX_NAME }, _>(|role, fits| {
                if fits {
                    add(role);
                }
            });
        });
    }
    if let Some(scope) = scope {
        let mut word = [0u8; MAX_NAME];
        let mut len = 0usize;
        let mut overflow = false;
        for b in scope.bytes().chain(core::iter::once(b' ')) {
            if b == b' ' {
                if !overflow && len > 0 {
                    add(word.get(..len).unwrap_or(&[]));
                }
                len = 0;
                overflow = false;
            } else if let Some(slot) = word.get_mut(len) {
                *slot = b;
                len = len.saturating_add(1);
            } else {
                overflow = true;
            }
        }
    }
    set
}

/// Bytes of scratch a token check needs: decoded header, payload and signature.
pub(crate) const SCRATCH: usize = MAX_TOKEN_HEADER + MAX_TOKEN_PAYLOAD + MAX_SIGNATURE;

/// Bytes of base64 `text` decodes to (unpadded; what the decoder writes).
fn decoded_len(text: &[u8]) -> usize {
    (text.len() / 4).saturating_mul(3).saturating_add((text.len() % 4).saturating_sub(1))
}

/// The first `.` of `s`, eight bytes at a time (the token is public; this is a plain search).
fn find_dot(s: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const DOTS: u64 = ONES.wrapping_mul(0x2e);
    let mut chunks = s.chunks_exact(8);
    let mut base = 0usize;
    for c in &mut chunks {
        let w = u64::from_le_bytes(<[u8; 8]>::try_from(c).unwrap_or([0; 8])) ^ DOTS;
        // The lowest byte flagged here is the first zero byte of `w` (flags above it may be
        // false), so it is the first `.`.
        let zero = w.wrapping_sub(ONES) & !w & (ONES << 7);
        if zero != 0 {
            return Some(base.wrapping_add(usize::try_from(zero.trailing_zeros() / 8).unwrap_or(0)));
        }
        base = base.wrapping_add(8);
    }
    chunks.remainder().iter().position(|&c| c == b'.').map(|i| base.wrapping_add(i))
}

/// The three parts of a compact token, or `None` when it does not have exactly three.
fn parts(token: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let a = find_dot(token)?;
    let (h, rest) = (token.get(..a)?, token.get(a.checked_add(1)?..)?);
    let b = find_dot(rest)?;
    let (p, s) = (rest.get(..b)?, rest.get(b.checked_add(1)?..)?);
    if find_dot(s).is_some() { None } else { Some((h, p, s)) }
}

/// Decoding room for each part: what it decodes to, capped at the part's limit (a part over its
/// limit then fails to decode exactly as it would with the whole limit).
fn part_rooms(h64: &[u8], p64: &[u8], s64: &[u8]) -> (usize, usize, usize) {
    (
        decoded_len(h64).min(MAX_TOKEN_HEADER),
        decoded_len(p64).min(MAX_TOKEN_PAYLOAD),
        decoded_len(s64).min(MAX_SIGNATURE),
    )
}

/// Checks a bearer token, decoding into scratch that `room(n)` gives (at least `n` bytes, at
/// most [`SCRATCH`] asked for; kept by the caller so the result can borrow the claims).
pub(crate) fn check<'b>(
    policy: &PolicyBody<'_>,
    macs: &[MacSlot],
    token: &[u8],
    now: u64,
    room: impl FnOnce(usize) -> &'b mut [u8],
) -> TokenCheck<'b> {
    let Some((h64, p64, s64)) = parts(token) else {
        return TokenCheck::malformed();
    };
    if h64.is_empty() || p64.is_empty() {
        return TokenCheck::malformed();
    }
    let (h_room, p_room, s_room) = part_rooms(h64, p64, s64);
    let scratch = room(h_room.saturating_add(p_room).saturating_add(s_room));
    let (hbuf, rest) = scratch.split_at_mut(h_room.min(scratch.len()));
    let (pbuf, rest) = rest.split_at_mut(p_room.min(rest.len()));
    let (sbuf, _) = rest.split_at_mut(s_room.min(rest.len()));
    let (Ok(hdr), Ok(payload)) = (decode_url_vartime(h64, hbuf), decode_url_vartime(p64, pbuf)) else {
        return TokenCheck::malformed();
    };
    // A signature of the wrong length is a bad signature, not a malformed token.
    let sig: &[u8] = match decode_url_vartime(s64, sbuf) {
        Ok(s) => s,
        Err(Base64Error::TooLong) if s64.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_')) => &[],
        Err(_) => return TokenCheck::malformed(),
    };
    if core::str::from_utf8(hdr).is_err() || core::str::from_utf8(payload).is_err() {
        return TokenCheck::malformed();
    }
    let Ok(header) = parse_header(hdr) else {
        return TokenCheck::malformed();
    };
    let Ok(claims) = parse_claims(payload, &policy.keys) else {
        return TokenCheck::malformed();
    };
    let Some(exp) = claims.exp else {
        return TokenCheck::malformed();
    };
    // The subject is handed to hosts that copy it into headers and C strings: no control
    // byte or NUL, raw (DEL is valid raw JSON) or escaped.
    let bad_sub = |s: JStr<'_>| s.unescaped_len() > MAX_SUBJECT || s.has_control();
    if claims.sub.is_some_and(bad_sub) {
        return TokenCheck::malformed();
    }
    let mut out = TokenCheck::malformed();
    out.malformed = false;
    out.exp = exp;
    out.sub = claims.sub;

    // Rows 12: the algorithm and the key.
    let mut alg_name = [0u8; 8];
    let alg = header.alg.unescape_into(&mut alg_name).and_then(|n| Alg::from_name(alg_name.get(..n)?));
    let kid_index = header.kid.map(|kid| policy.keys.iter().position(|k| kid.eq(k.id.as_bytes())));
    out.alg_rejected = match (alg, kid_index) {
        (None, _) => true,
        (Some(a), Some(Some(k))) => policy.keys.get(k).is_none_or(|spec| spec.alg != a),
        (Some(a), None) => !policy.keys.iter().any(|k| k.alg == a),
        (Some(_), Some(None)) => false,
    };
    out.unknown_key = !out.alg_rejected && matches!(kid_index, Some(None));

    // Candidates: the kid's key, or every key of this alg. With none, the first key of the
    // header's alg (else key 0) stands in, so that a token with an unknown `kid` costs what a
    // verified one of its algorithm costs.
    let is_candidate = |i: usize, spec: &KeySpec<'_>| match kid_index {
        Some(Some(k)) => k == i,
        Some(None) => false,
        None => Some(spec.alg) == alg,
    };
    let any_candidate = policy.keys.iter().enumerate().any(|(i, k)| is_candidate(i, k));
    let stand_in =
        if any_candidate { usize::MAX } else { policy.keys.iter().position(|k| Some(k.alg) == alg).unwrap_or(0) };

    // Row 14: time (public claims against public `now`).
    let leeway = u64::from(policy.settings.leeway_s);
    out.expired = exp.saturating_add(leeway) <= now;
    let late = now.saturating_add(leeway);
    out.not_yet_valid = claims.nbf.is_some_and(|nbf| nbf > late) | claims.iat.is_some_and(|iat| iat > late);
    // RFC 9470 §4: the age of the authentication, from `auth_time`, else `iat`. A time after
    // now + leeway cannot be measured from (fail closed, like a token without either).
    out.auth_age = claims.auth_time.or(claims.iat).filter(|&at| at <= late).map(|at| now.saturating_sub(at));
    out.mfa = claims.amr.is_some_and(|a| contains(Some(Value::Array(a)), b"mfa"));

    let signing_input = token.get(..h64.len().saturating_add(1).saturating_add(p64.len())).unwrap_or(&[]);
    let mut found = Choice::from(0);
    let mut first = true;
    for (i, (spec, mac)) in policy.keys.iter().zip(macs).enumerate() {
        let candidate = is_candidate(i, spec);
        if !(candidate || i == stand_in) {
            continue;
        }
        // The key's own algorithm decides how it verifies, never the header's.
        let verified = match mac {
            MacSlot::Hmac(mac) => mac.tag(&[signing_input]).ct_eq(sig),
            MacSlot::Public => Choice::from(u8::from(verify_public_vartime(spec, signing_input, sig))),
        };
        let ok = verified & Choice::from(u8::from(candidate && !out.alg_rejected));
        let issuer_ok = spec.issuer.is_none_or(|want| claims.iss.is_some_and(|iss| iss.eq(want.as_bytes())));
        // RFC 7519 §4.1.3: a present `aud` must name this recipient; a key without `audience`
        // identifies with no audience, so it takes only tokens without `aud`.
        let audience_ok = match spec.audience {
            Some(want) => contains(claims.aud, want.as_bytes()),
            None => claims.aud.is_none(),
        };
        let roles = roles_from(claims.roles.get(i).copied().flatten(), claims.scope, &policy.roles);
        // The first candidate's claims results are the default; a verified one replaces them.
        let take = ok & !found | Choice::from(u8::from(first));
        out.issuer_ok = ct::select(take, Choice::from(u8::from(issuer_ok)), out.issuer_ok);
        out.audience_ok = ct::select(take, Choice::from(u8::from(audience_ok)), out.audience_ok);
        out.roles = ct::select(take, roles, out.roles);
        out.key = ct::select(take, u16::try_from(i).unwrap_or(u16::MAX), out.key);
        found |= ok;
        first = false;
    }
    out.mac_ok = found;
    out
}

/// Whether a public key verifies the signature (public data only).
fn verify_public_vartime(spec: &KeySpec<'_>, signing_input: &[u8], sig: &[u8]) -> bool {
    // Loading refuses a key whose algorithm this build lacks, so the lookup always succeeds.
    signature::verifier(spec.alg).is_some_and(|v| v.verify_vartime(&spec.public_key, signing_input, sig).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_and_roles_claims_map_to_known_roles_only() {
        let names = ["admin", "ops", "deployer"];
        let payload = br#"{"roles":["ops","nobody"],"scope":"read deployer  admin x"}"#;
        let keys = [KeySpec {
            id: "k",
            alg: Alg::Hs256,
            issuer: None,
            audience: None,
            roles_claim: "roles",
            public_key: crate::policy::PublicKey::Secret,
        }];
        let claims = parse_claims(payload, &keys).unwrap();
        let set = roles_from(claims.roles[0], claims.scope, &names);
        assert_eq!(set, 0b111);
    }

    #[test]
    fn registered_claims_of_the_wrong_type_are_malformed() {
        let keys = [KeySpec {
            id: "k",
            alg: Alg::Hs256,
            issuer: None,
            audience: None,
            roles_claim: "roles",
            public_key: crate::policy::PublicKey::Secret,
        }];
        for bad in [
            &br#"{"exp":"1800000000"}"#[..],
            br#"{"exp":-1.5}"#,
            br#"{"exp":1e16}"#,
            br#"{"exp":-1}"#,
            br#"{"exp":1,"auth_time":"1"}"#,
            br#"{"exp":1,"auth_time":1,"auth_time":2}"#,
            br#"{"exp":18446744073709551616}"#,
            br#"{"exp":1,"exp":2}"#,
            br#"{"exp":1,"aud":5}"#,
            br#"{"exp":1,"aud":[1]}"#,
            br#"{"exp":1,"iss":["a"]}"#,
            br#"{"exp":1,"amr":"mfa"}"#,
            br#"{"exp":1,"roles":{"a":1}}"#,
        ] {
            assert!(parse_claims(bad, &keys).is_err(), "{:?}", core::str::from_utf8(bad));
        }
    }

    #[test]
    fn fractional_and_exponent_dates_are_floored() {
        let keys = [KeySpec {
            id: "k",
            alg: Alg::Hs256,
            issuer: None,
            audience: None,
            roles_claim: "roles",
            public_key: crate::policy::PublicKey::Secret,
        }];
        let c = parse_claims(br#"{"exp":1.5,"nbf":17e2,"iat":1767225600.999,"auth_time":1E+3}"#, &keys).unwrap();
        assert_eq!((c.exp, c.nbf, c.iat, c.auth_time), (Some(1), Some(1700), Some(1_767_225_600), Some(1000)));
    }

    #[test]
    fn null_optional_claims_are_absent_but_still_count_as_present_for_duplicates() {
        let keys = [KeySpec {
            id: "k",
            alg: Alg::Hs256,
            issuer: None,
            audience: None,
            roles_claim: "roles",
            public_key: crate::policy::PublicKey::Secret,
        }];
        let c = parse_claims(br#"{"exp":1,"iss":null,"aud":null,"roles":null,"sub":null,"amr":null}"#, &keys).unwrap();
        assert!(c.iss.is_none() && c.aud.is_none() && c.roles[0].is_none() && c.sub.is_none() && c.amr.is_none());
        // The dates "MUST be a number": null is not one.
        for date in ["exp", "nbf", "iat", "auth_time"] {
            let json = std::format!(r#"{{"exp":1,"{date}":null}}"#).replace(r#""exp":1,"exp":null"#, r#""exp":null"#);
            assert!(parse_claims(json.as_bytes(), &keys).is_err(), "{json}");
        }
        assert!(parse_claims(br#"{"exp":1,"iss":null,"iss":"x"}"#, &keys).is_err());
        assert!(parse_claims(br#"{"exp":1,"iss":"x","iss":null}"#, &keys).is_err());
        assert!(parse_claims(br#"{"exp":1,"roles":null,"roles":["a"]}"#, &keys).is_err());
    }

    #[test]
    fn crit_and_duplicate_header_members_are_rejected() {
        assert!(parse_header(br#"{"alg":"HS256","crit":["exp"]}"#).is_err());
        assert!(parse_header(br#"{"alg":"HS256","alg":"none"}"#).is_err());
        assert!(parse_header(br#"{"kid":"a"}"#).is_err());
        assert!(parse_header(br#"{"alg":"HS256","kid":"a","jku":"https://x"}"#).is_ok());
    }
}
