#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
// Panic-freedom lints for the library; unit tests may index and do plain arithmetic.
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::as_conversions,
        clippy::cast_possible_truncation,
        clippy::string_slice,
        clippy::unreachable
    )
)]

// Unit tests may use std; the library itself never does.
#[cfg(test)]
extern crate std;

mod base64;
pub mod blob;
pub mod capacity;
mod credential;
mod ct;
pub mod decision;
mod decode;
mod engine;
mod error;
#[cfg(test)]
mod figures;
mod format;
mod ip;
mod json;
mod load;
mod mac;
pub mod origin;
pub mod path;
pub mod policy;
mod reason;
mod request;
mod signature;
mod token;

pub use decision::{Decision, Roles, Subject};
pub use engine::{Check, CheckOutcome, Engine, Explanation, KeyMaterial, SignatureState};
pub use error::{Capacity, EncodeError, Invalid, LoadError};
pub use reason::{AllowReason, ForbiddenReason, Reason, UnauthorizedReason};
pub use request::{Header, Request};

/// Entry points for fuzz targets, the constant-time harness and RFC test vectors. Not part of
/// the stable API.
#[doc(hidden)]
pub mod internal {
    use crate::policy::Alg;

    /// HMAC through the engine's precomputed-key path: `(tag, length)`; length 0 when this
    /// build lacks `alg` (HS384 and HS512 without the `hmac-sha512` feature).
    #[must_use]
    pub fn hmac(alg: Alg, key: &[u8], message: &[u8]) -> ([u8; 64], usize) {
        let mut out = [0u8; 64];
        let Some(mac) = crate::mac::MacKey::new(alg, key) else {
            return (out, 0);
        };
        let tag = mac.tag(&[message]);
        let t = tag.as_slice();
        if let Some(dst) = out.get_mut(..t.len()) {
            dst.copy_from_slice(t);
        }
        (out, t.len())
    }

    /// Verifies a public-key JWS signature as the engine does: `None` when this build lacks
    /// `alg` or `key` is not a usable key for it (the loader would refuse it), else whether
    /// `signature` verifies over `message`.
    #[must_use]
    pub fn verify_signature_vartime(
        alg: Alg,
        key: &crate::policy::PublicKey<'_>,
        message: &[u8],
        signature: &[u8],
    ) -> Option<bool> {
        let v = crate::signature::verifier(alg)?;
        if !v.key_ok_vartime(key) {
            return None;
        }
        Some(v.verify_vartime(key, message, signature).is_ok())
    }

    /// Whether the loader accepts `key` for `alg`: `None` when this build lacks `alg` (or it
    /// is an HMAC algorithm, whose key is no public key).
    #[must_use]
    pub fn public_key_usable(alg: Alg, key: &crate::policy::PublicKey<'_>) -> Option<bool> {
        crate::signature::verifier(alg).map(|v| v.key_ok_vartime(key))
    }

    /// PBKDF2-HMAC-SHA256 as the engine runs it for Basic credentials.
    #[must_use]
    pub fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
        crate::mac::pbkdf2_sha256(password, salt, iterations, iterations)
    }

    /// Evaluates `request`, calling `declassify(ptr, len)` on the verdict (the only value
    /// derived from secrets that the decision is built from) before it is read. The
    /// constant-time harness marks that memory defined for valgrind there.
    pub fn evaluate_declassified<'s>(
        engine: &'s crate::Engine<'_>,
        request: &crate::Request<'s>,
        declassify: impl FnOnce(*const u8, usize),
    ) -> crate::Decision<'s> {
        engine.evaluate_declassified(request, declassify)
    }

    /// Calls `f(ptr, len)` for every secret `engine` copied out of the compiled policy (stored
    /// API-key digests and password hashes), so a harness can mark them secret. HMAC key state
    /// is derived from the keyring: mark the keyring's secret bytes before `Engine::load`.
    pub fn secret_regions(engine: &crate::Engine<'_>, f: impl FnMut(*const u8, usize)) {
        engine.secret_regions(f);
    }

    /// Decodes a compiled-policy body (the bytes after the header) with the engine's reader,
    /// `None` when it is malformed or has trailing bytes. For the fuzz target that checks it
    /// against `postcard::from_bytes`.
    #[must_use]
    pub fn decode_body(body: &[u8]) -> Option<crate::policy::PolicyBody<'_>> {
        crate::decode::body(body).ok()
    }

    /// The id of key number `index` of a compiled policy (header and digest checked, the
    /// signature not), read without decoding the body's tables onto the stack: for describing
    /// a refused load (the C ABI's `warden_load_error`).
    #[must_use]
    pub fn key_id(blob: &[u8], index: usize) -> Option<&str> {
        let (_, body) = crate::blob::open(blob, None).ok()?;
        crate::decode::key_id(body, index)
    }

    /// Whether an `origin` header value parses.
    #[must_use]
    pub fn parse_origin(value: &[u8]) -> bool {
        crate::origin::Origin::parse(value).is_some()
    }
}
