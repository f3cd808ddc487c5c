//! ECDSA (`ES256` on P-256, `ES384` on P-384; RFC 7518 §3.4) through RustCrypto's `p256` and
//! `p384`, verification only.
//!
//! JOSE signatures are the fixed-size concatenation `r ‖ s` (32 + 32 or 48 + 48 bytes,
//! big-endian), never DER: a signature of another length is refused. `r` or `s` zero or at
//! least the group order `n` — among them the all-zero "psychic signature" of CVE-2022-21449 —
//! is refused; such a signature of the right length is first verified with `r = s = 1` so that
//! it costs what any signature of that length costs. The hash is the core's own SHA-2; the
//! crates verify the prehashed digest.

use p256::ecdsa::signature::hazmat::PrehashVerifier;

use super::{BadSignature, Verifier};
use crate::mac::Hash;
use crate::policy::{Alg, PublicKey};

/// ECDSA on one curve with its JOSE hash.
pub(crate) struct Ecdsa {
    alg: Alg,
    hash: Hash,
    /// Bytes of a signature, `r ‖ s`.
    sig_len: usize,
    /// Bytes of an uncompressed SEC1 point, `04 ‖ x ‖ y`.
    point_len: usize,
}

pub(crate) static ES256: Ecdsa = Ecdsa { alg: Alg::Es256, hash: Hash::Sha256, sig_len: 64, point_len: 65 };
pub(crate) static ES384: Ecdsa = Ecdsa { alg: Alg::Es384, hash: Hash::Sha384, sig_len: 96, point_len: 97 };

/// `r = 1, s = 1`: a well-formed stand-in for an out-of-range signature.
fn stand_in<const N: usize>() -> [u8; N] {
    let mut s = [0u8; N];
    if let Some(b) = s.get_mut((N / 2).saturating_sub(1)) {
        *b = 1;
    }
    if let Some(b) = s.last_mut() {
        *b = 1;
    }
    s
}

macro_rules! verify_on {
    ($curve:ident, $sig_len:literal, $sec1:expr, $digest:expr, $signature:expr) => {{
        let key = $curve::ecdsa::VerifyingKey::from_sec1_bytes($sec1).map_err(|_| BadSignature)?;
        let (sig, well_formed) = match $curve::ecdsa::Signature::from_slice($signature) {
            Ok(sig) => (sig, true),
            Err(_) => {
                let one = $curve::ecdsa::Signature::from_slice(&stand_in::<$sig_len>()).map_err(|_| BadSignature)?;
                (one, false)
            }
        };
        let verified = key.verify_prehash($digest, &sig).is_ok();
        if verified && well_formed { Ok(()) } else { Err(BadSignature) }
    }};
}

impl Verifier for Ecdsa {
    fn alg(&self) -> Alg {
        self.alg
    }

    fn key_ok_vartime(&self, key: &PublicKey<'_>) -> bool {
        let PublicKey::Ec { sec1 } = *key else { return false };
        // Uncompressed only (what the compiler writes), on the curve, not the identity.
        let shape = sec1.len() == self.point_len && sec1.first() == Some(&0x04);
        shape
            && match self.alg {
                Alg::Es256 => p256::PublicKey::from_sec1_bytes(sec1).is_ok(),
                Alg::Es384 => p384::PublicKey::from_sec1_bytes(sec1).is_ok(),
                _ => false,
            }
    }

    fn verify_vartime(&self, key: &PublicKey<'_>, message: &[u8], signature: &[u8]) -> Result<(), BadSignature> {
        let PublicKey::Ec { sec1 } = *key else { return Err(BadSignature) };
        if signature.len() != self.sig_len {
            return Err(BadSignature);
        }
        let digest = self.hash.digest(&[message]);
        match self.alg {
            Alg::Es256 => verify_p256(sec1, digest.as_slice(), signature),
            Alg::Es384 => verify_p384(sec1, digest.as_slice(), signature),
            _ => Err(BadSignature),
        }
    }
}

// One function per curve, never inlined into one another's caller: the stack of a verification
// is then its own curve's, not the sum of both curves' frames (about 4.5 KB less for ES256 on a
// Cortex-M4).
#[inline(never)]
fn verify_p256(sec1: &[u8], digest: &[u8], signature: &[u8]) -> Result<(), BadSignature> {
    verify_on!(p256, 64, sec1, digest, signature)
}

#[inline(never)]
fn verify_p384(sec1: &[u8], digest: &[u8], signature: &[u8]) -> Result<(), BadSignature> {
    verify_on!(p384, 96, sec1, digest, signature)
}
