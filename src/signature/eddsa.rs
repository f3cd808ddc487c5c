//! EdDSA with Ed25519 (RFC 8037 §3.1, RFC 8032 §5.1.7) through `ed25519-dalek`'s
//! `verify_strict`.
//!
//! Strict means: `S` must be canonical (`S < L`; a signature with `S + L` is refused), the
//! point encodings of `A` and `R` must be canonical (`y < p`), and neither may be of small order
//! (which would let one signature verify for many messages). `verify_strict` checks `S`, the
//! orders, and `R` by comparing the recomputed `R` with the given bytes; `A`'s encoding is
//! checked here when the key is loaded (the decoder alone would reduce `y` modulo `p`).
//! A signature whose `S` is not canonical is verified with `S = 0` first, so that it costs
//! what any signature costs.

use ed25519_dalek::{Signature, VerifyingKey};

use super::{BadSignature, Verifier};
use crate::policy::{Alg, PublicKey};

/// Ed25519.
pub(crate) struct Ed25519;

pub(crate) static EDDSA: Ed25519 = Ed25519;

/// The group order L = 2^252 + 27742317777372353535851937790883648493, little-endian.
const L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
];

/// Whether the little-endian 256-bit integer `a` is below `b`.
fn lt_le(a: &[u8], b: &[u8; 32]) -> bool {
    for (x, y) in a.iter().rev().zip(b.iter().rev()) {
        if x != y {
            return x < y;
        }
    }
    false
}

/// Whether a point encoding is canonical: its `y` (the low 255 bits) is below p = 2^255 − 19.
fn canonical_point(enc: &[u8; 32]) -> bool {
    let mut y = *enc;
    if let Some(top) = y.last_mut() {
        *top &= 0x7f;
    }
    // y ≥ p exactly when y is one of 2^255 − 19 … 2^255 − 1: ed ff … ff 7f and above.
    let high_all_ones = y.get(1..31).is_some_and(|m| m.iter().all(|b| *b == 0xff)) && y.last() == Some(&0x7f);
    !(high_all_ones && y.first().is_some_and(|b| *b >= 0xed))
}

pub(crate) fn key_ok(a: &[u8; 32]) -> bool {
    canonical_point(a) && VerifyingKey::from_bytes(a).is_ok_and(|k| !k.is_weak())
}

impl Verifier for Ed25519 {
    fn alg(&self) -> Alg {
        Alg::EdDsa
    }

    fn key_ok_vartime(&self, key: &PublicKey<'_>) -> bool {
        matches!(key, PublicKey::Ed25519 { a } if key_ok(a))
    }

    fn verify_vartime(&self, key: &PublicKey<'_>, message: &[u8], signature: &[u8]) -> Result<(), BadSignature> {
        let PublicKey::Ed25519 { a } = key else { return Err(BadSignature) };
        let mut sig: [u8; 64] = signature.try_into().map_err(|_| BadSignature)?;
        let (r, s) = sig.split_at_mut(32);
        let s_canonical = lt_le(s, &L);
        if !s_canonical {
            s.fill(0);
        }
        let r_canonical = <&[u8; 32]>::try_from(&*r).is_ok_and(canonical_point);
        let key = VerifyingKey::from_bytes(a).map_err(|_| BadSignature)?;
        let verified = key.verify_strict(message, &Signature::from_bytes(&sig)).is_ok();
        if verified && s_canonical && r_canonical { Ok(()) } else { Err(BadSignature) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_canonical_encodings_are_recognised() {
        let mut p = [0xffu8; 32];
        p[31] = 0x7f;
        p[0] = 0xec; // p − 1
        assert!(canonical_point(&p));
        p[0] = 0xed; // p
        assert!(!canonical_point(&p));
        p[31] = 0xff; // sign bit set, y = p
        assert!(!canonical_point(&p));
        let mut l_minus_1 = L;
        l_minus_1[0] -= 1;
        assert!(lt_le(&l_minus_1, &L));
        assert!(!lt_le(&L, &L));
    }
}
