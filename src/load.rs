//! Loading: from compiled-policy bytes and a keyring to an [`Engine`](crate::Engine).
//!
//! Every index, capacity, length and invariant the evaluator relies on is checked here, so a
//! loaded engine cannot panic or index out of bounds whatever the request.

use crate::blob;
use crate::capacity::{MAX_KEYS, MAX_NAME};
use crate::error::{Invalid, LoadError};
use crate::ip;
use crate::mac::{MacKey, MacSlot};
use crate::origin;
use crate::path;
use crate::policy::{CredentialKind, KeySpec, PolicyBody, PublicKey, Scheme};
use crate::signature;

/// A secret from the keyring: the HMAC key for the policy's `[[key]]` with this `id`.
#[derive(Clone, Copy)]
pub struct KeyMaterial<'k> {
    /// Key id, as in the policy.
    pub id: &'k str,
    /// Secret bytes (at least the algorithm's output size).
    pub secret: &'k [u8],
}

impl core::fmt::Debug for KeyMaterial<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeyMaterial").field("id", &self.id).field("secret", &"<redacted>").finish()
    }
}

/// What a load works out besides the body and the key states.
pub(crate) struct Loaded {
    pub(crate) info: blob::BlobInfo,
    pub(crate) max_iterations: u32,
}

/// Loads `bytes` in place: the body is decoded into `policy` and the key states are written
/// into `macs`, so no engine-sized value is ever built on the stack. On an error `policy` and
/// `macs` hold part of a load: the caller empties them.
pub(crate) fn load_into<'a>(
    bytes: &'a [u8],
    keyring: &[KeyMaterial<'_>],
    verify_key: Option<&[u8]>,
    policy: &mut PolicyBody<'a>,
    macs: &mut heapless::Vec<MacSlot, MAX_KEYS>,
) -> Result<Loaded, LoadError> {
    let (info, body) = blob::open(bytes, verify_key)?;
    crate::decode::body_into(body, policy)?;
    if !info.tables.matches(policy) {
        return Err(LoadError::BodyMalformed);
    }
    validate(policy)?;
    keys(policy, keyring, macs)?;
    let max_iterations = policy
        .credentials
        .iter()
        .filter_map(|c| match c.kind {
            CredentialKind::Basic { iterations, .. } => Some(iterations),
            CredentialKind::ApiKey { .. } => None,
        })
        .max()
        .unwrap_or(0);
    Ok(Loaded { info, max_iterations })
}

fn keys(
    policy: &PolicyBody<'_>,
    keyring: &[KeyMaterial<'_>],
    macs: &mut heapless::Vec<MacSlot, MAX_KEYS>,
) -> Result<(), LoadError> {
    for (i, a) in keyring.iter().enumerate() {
        if keyring.iter().skip(i.saturating_add(1)).any(|b| b.id == a.id) {
            return Err(LoadError::KeyringDuplicate);
        }
    }
    macs.clear();
    for (i, spec) in policy.keys.iter().enumerate() {
        if !spec.alg.is_hmac() {
            // A public key: nothing from the keyring, and never an HMAC state (its bytes are no
            // HMAC secret, the CVE-2016-10555 class); the slot keeps the indices aligned.
            macs.push(MacSlot::Public).map_err(|_| LoadError::BodyMalformed)?;
            continue;
        }
        let material = keyring.iter().find(|k| k.id == spec.id).ok_or(LoadError::KeyMissing { key: i })?;
        let min = spec.alg.output_len();
        if material.secret.len() < min {
            return Err(LoadError::KeyTooShort { key: i, min });
        }
        let mac =
            MacKey::new(spec.alg, material.secret).ok_or(LoadError::UnsupportedAlgorithm { key: i, alg: spec.alg })?;
        macs.push(MacSlot::Hmac(mac)).map_err(|_| LoadError::BodyMalformed)?;
    }
    Ok(())
}

/// A key's verification material fits its algorithm, and this build verifies that algorithm.
fn public_key(i: usize, k: &KeySpec<'_>) -> Result<(), LoadError> {
    if k.alg.is_hmac() {
        return if k.public_key == PublicKey::Secret {
            Ok(())
        } else {
            Err(LoadError::Invalid(Invalid::PublicKey { key: i }))
        };
    }
    let verifier = signature::verifier(k.alg).ok_or(LoadError::UnsupportedAlgorithm { key: i, alg: k.alg })?;
    if verifier.key_ok_vartime(&k.public_key) { Ok(()) } else { Err(LoadError::Invalid(Invalid::PublicKey { key: i })) }
}

/// Names, ids, rule names: non-empty, bounded, no control bytes.
fn name_ok(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_NAME && !s.bytes().any(|c| c < 0x20 || c == 0x7f)
}

/// HTTP token characters (RFC 9110 §5.6.2).
pub(crate) fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

/// Text that may sit inside a quoted-string without escaping.
fn quotable(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_NAME && s.bytes().all(|c| (0x20..0x7f).contains(&c) && c != b'"' && c != b'\\')
}

/// RFC 6749 scope-token characters.
pub(crate) fn role_ok(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_NAME && s.bytes().all(|c| (0x21..0x7f).contains(&c) && c != b'"' && c != b'\\')
}

fn unique<T: PartialEq>(items: impl Iterator<Item = T> + Clone) -> bool {
    items.clone().enumerate().all(|(i, a)| items.clone().skip(i.saturating_add(1)).all(|b| b != a))
}

fn validate(p: &PolicyBody<'_>) -> Result<(), LoadError> {
    let bad = |what| Err(LoadError::Invalid(what));
    if !name_ok(p.name) || !quotable(p.realm) {
        return bad(Invalid::Name);
    }
    let h = p.settings.api_key_header;
    if h.is_empty() || h.len() > MAX_NAME || !h.bytes().all(|c| is_tchar(c) && !c.is_ascii_uppercase()) {
        return bad(Invalid::Name);
    }
    if matches!(h, "authorization" | "origin" | "access-control-request-method") {
        return bad(Invalid::Name);
    }
    if !p.cors.allow_headers.bytes().all(|c| (0x20..0x7f).contains(&c)) {
        return bad(Invalid::Name);
    }
    if !p.methods.iter().all(|m| !m.is_empty() && m.len() <= MAX_NAME && m.bytes().all(is_tchar)) {
        return bad(Invalid::Name);
    }
    if !p.roles.iter().all(|r| role_ok(r)) {
        return bad(Invalid::Name);
    }
    if !unique(p.methods.iter()) || !unique(p.roles.iter()) {
        return bad(Invalid::Duplicate);
    }
    for k in &p.keys {
        let claim_ok = role_ok(k.roles_claim);
        let opt_ok = |s: Option<&str>| s.is_none_or(|s| s.len() <= MAX_NAME);
        if !name_ok(k.id) || !claim_ok || !opt_ok(k.issuer) || !opt_ok(k.audience) {
            return bad(Invalid::Name);
        }
    }
    if !unique(p.keys.iter().map(|k| k.id)) {
        return bad(Invalid::Duplicate);
    }
    for (i, k) in p.keys.iter().enumerate() {
        public_key(i, k)?;
    }
    let mut salt_len = None;
    for (i, c) in p.credentials.iter().enumerate() {
        if !name_ok(c.id) {
            return bad(Invalid::Name);
        }
        if !c.roles.fits(p.roles.len()) {
            return bad(Invalid::CredentialRoles { credential: i });
        }
        if let CredentialKind::Basic { user, iterations, salt, .. } = c.kind {
            // RFC 7617: no colon in the user-id, no control characters.
            if !name_ok(user) || user.contains(':') {
                return bad(Invalid::Name);
            }
            let same_len = *salt_len.get_or_insert(salt.len()) == salt.len();
            if iterations == 0 || salt.len() < 8 || salt.len() > 64 || !same_len {
                return bad(Invalid::Password { credential: i });
            }
        }
    }
    if !unique(p.credentials.iter().map(|c| c.id)) {
        return bad(Invalid::Duplicate);
    }
    let basic_users = p.credentials.iter().filter_map(|c| match c.kind {
        CredentialKind::Basic { user, .. } => Some(user),
        CredentialKind::ApiKey { .. } => None,
    });
    if !unique(basic_users) {
        return bad(Invalid::Duplicate);
    }
    for (i, r) in p.ranges.iter().enumerate() {
        if !ip::is_canonical(r) {
            return bad(Invalid::Range { range: i });
        }
    }
    for (i, o) in p.origins.iter().enumerate() {
        if !origin::is_normalized(o) {
            return bad(Invalid::Origin { origin: i });
        }
    }
    for (i, r) in p.rules.iter().enumerate() {
        if !name_ok(r.name) {
            return bad(Invalid::Name);
        }
        if path::check_pattern(r.path).is_err() {
            return bad(Invalid::PathPattern { rule: i });
        }
        let refs_ok = r.methods.fits(p.methods.len())
            && (!r.any_method || r.methods.is_empty())
            && (r.any_method || !r.methods.is_empty())
            && r.roles_any.fits(p.roles.len())
            && r.roles_all.fits(p.roles.len())
            && r.ip_allow.fits(p.ranges.len())
            && r.ip_deny.fits(p.ranges.len())
            && r.origins.fits(p.origins.len())
            && unique(r.auth.iter());
        if !refs_ok {
            return bad(Invalid::Reference { rule: i });
        }
        let bearer = r.auth.contains(&Scheme::Bearer);
        if (r.require_mfa || r.max_auth_age_s.is_some()) && !bearer {
            return bad(Invalid::TokenOnlyCheck { rule: i });
        }
    }
    if !unique(p.rules.iter().map(|r| r.name)) {
        return bad(Invalid::Duplicate);
    }
    Ok(())
}
