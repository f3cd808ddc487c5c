//! Public-key JWS signatures (RFC 7518 §3.3–§3.5, RFC 8037 §3.1): `RS*`, `PS*`, `ES*`, `EdDSA`.
//!
//! Each algorithm is one `static` of a small struct (key type, hash, encoding rules) that
//! implements [`Verifier`]; the algorithms of this build are the table [`ALGORITHMS`], chosen by
//! the cargo features `rsa`, `ecdsa` and `eddsa`. Adding an algorithm is one static and one
//! table line.
//!
//! Everything here sees public data only: the token (signing input and signature) and the
//! policy's public keys. Verification may therefore be variable-time, and the names say so;
//! nothing here is on a constant-time path of SPEC §7.1. For SPEC §7.2 (the same work whatever
//! the outcome within one algorithm), a signature of the right length whose value is out of
//! range (RSA `s ≥ n`, ECDSA `r`/`s` zero or `≥ n`, Ed25519 `S ≥ L`) is verified with a stand-in
//! value and then refused, instead of being refused before the arithmetic; a signature of the
//! wrong length changes the token's length, which is public, and is refused at once.

use crate::policy::{Alg, PublicKey};

#[cfg(feature = "ecdsa")]
mod ecdsa;
#[cfg(feature = "eddsa")]
mod eddsa;
#[cfg(feature = "rsa")]
mod rsa;

/// The signature does not verify, or does not have the form its algorithm requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadSignature;

/// One public-key JWS algorithm.
pub(crate) trait Verifier: Sync {
    /// The algorithm, as the JOSE header names it.
    fn alg(&self) -> Alg;

    /// Whether `key` is a usable key for this algorithm. The loader calls this once for every
    /// key, so [`Verifier::verify_vartime`] only ever sees keys that passed.
    fn key_ok_vartime(&self, key: &PublicKey<'_>) -> bool;

    /// Verifies `signature` over `message` (the JWS signing input) with `key`.
    ///
    /// # Errors
    /// [`BadSignature`] when it does not verify, for whatever reason.
    fn verify_vartime(&self, key: &PublicKey<'_>, message: &[u8], signature: &[u8]) -> Result<(), BadSignature>;
}

/// The public-key algorithms of this build.
static ALGORITHMS: &[&dyn Verifier] = &[
    #[cfg(feature = "rsa")]
    &rsa::RS256,
    #[cfg(feature = "rsa")]
    &rsa::RS384,
    #[cfg(feature = "rsa")]
    &rsa::RS512,
    #[cfg(feature = "rsa")]
    &rsa::PS256,
    #[cfg(feature = "rsa")]
    &rsa::PS384,
    #[cfg(feature = "rsa")]
    &rsa::PS512,
    #[cfg(feature = "ecdsa")]
    &ecdsa::ES256,
    #[cfg(feature = "ecdsa")]
    &ecdsa::ES384,
    #[cfg(feature = "eddsa")]
    &eddsa::EDDSA,
];

/// The verifier of `alg`, if this build has one (never for the HMAC algorithms).
pub(crate) fn verifier(alg: Alg) -> Option<&'static dyn Verifier> {
    ALGORITHMS.iter().copied().find(|v| v.alg() == alg)
}

/// Longest signature, in bytes, of any algorithm of this build (HMAC-SHA-512's 64 at least):
/// RSA-4096's 512, P-384's 96.
pub(crate) const MAX_SIGNATURE: usize = if cfg!(feature = "rsa") {
    512
} else if cfg!(feature = "ecdsa") {
    96
} else {
    64
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_each_algorithm_of_the_build_once() {
        for alg in Alg::ALL {
            let n = ALGORITHMS.iter().filter(|v| v.alg() == alg).count();
            let built = match alg.family() {
                crate::policy::KeyFamily::Hmac => false,
                crate::policy::KeyFamily::Rsa => cfg!(feature = "rsa"),
                crate::policy::KeyFamily::Ec => cfg!(feature = "ecdsa"),
                crate::policy::KeyFamily::Okp => cfg!(feature = "eddsa"),
            };
            assert_eq!(n, usize::from(built), "{alg:?}");
        }
    }
}
