//! RSASSA-PKCS1-v1_5 (`RS256`/`RS384`/`RS512`, RFC 8017 §8.2) and RSASSA-PSS
//! (`PS256`/`PS384`/`PS512`, RFC 8017 §8.1, RFC 7518 §3.5) verification for 2048- to 4096-bit
//! moduli, over crypto-bigint's fixed-size Montgomery arithmetic: no heap.
//!
//! The public operation `s^e mod n` runs in the smallest of 2048, 3072 and 4096-bit integers
//! that holds the modulus; the encodings are checked here:
//! - PKCS#1 v1.5 builds the whole expected encoded message `00 01 FF… 00 DigestInfo H` and
//!   compares it with the one recovered from the signature, byte for byte. Nothing parses the
//!   recovered DigestInfo, so no lenient ASN.1 reading can accept a forged signature (the
//!   CVE-2006-4339 class: Bleichenbacher's e = 3 forgery).
//! - PSS follows EMSA-PSS-VERIFY (RFC 8017 §9.1.2) with MGF1 over the same hash and a salt as
//!   long as the hash (RFC 7518 §3.5), every check computed before the result is read.
//!
//! The work depends on the modulus size, the exponent and the hash only (all from the public
//! key and the algorithm), never on the signature's value: Montgomery multiplication is
//! constant-time in crypto-bigint, and a signature value `≥ n` is exponentiated as zero and
//! then refused.

use crypto_bigint::modular::{FixedMontyForm, FixedMontyParams};
use crypto_bigint::{Odd, U2048, U3072, U4096, Uint, Word};

use super::{BadSignature, Verifier};
use crate::ct;
use crate::mac::Hash;
use crate::policy::{Alg, PublicKey};

/// Smallest modulus accepted, in bits (RFC 7518 §3.3: 2048 or larger).
pub(crate) const MIN_BITS: usize = 2048;
/// Largest modulus accepted, in bits (the size of the largest fixed integer type used).
pub(crate) const MAX_BITS: usize = 4096;
const MAX_BYTES: usize = MAX_BITS / 8;

/// RSASSA-PKCS1-v1_5 with one hash.
pub(crate) struct RsaPkcs1 {
    alg: Alg,
    hash: Hash,
    /// DER of the DigestInfo up to the digest (RFC 8017 §9.2, note 1).
    digest_info: &'static [u8],
}

/// RSASSA-PSS with one hash, MGF1 with the same hash, and a salt of the hash's length.
pub(crate) struct RsaPss {
    alg: Alg,
    hash: Hash,
}

pub(crate) static RS256: RsaPkcs1 = RsaPkcs1 {
    alg: Alg::Rs256,
    hash: Hash::Sha256,
    digest_info: &[
        0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04,
        0x20,
    ],
};
pub(crate) static RS384: RsaPkcs1 = RsaPkcs1 {
    alg: Alg::Rs384,
    hash: Hash::Sha384,
    digest_info: &[
        0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04,
        0x30,
    ],
};
pub(crate) static RS512: RsaPkcs1 = RsaPkcs1 {
    alg: Alg::Rs512,
    hash: Hash::Sha512,
    digest_info: &[
        0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04,
        0x40,
    ],
};
pub(crate) static PS256: RsaPss = RsaPss { alg: Alg::Ps256, hash: Hash::Sha256 };
pub(crate) static PS384: RsaPss = RsaPss { alg: Alg::Ps384, hash: Hash::Sha384 };
pub(crate) static PS512: RsaPss = RsaPss { alg: Alg::Ps512, hash: Hash::Sha512 };

/// Whether `n` and `e` make a key this module verifies with: a modulus of 2048 to 4096 bits
/// without leading zero bytes, odd, and an odd exponent of at least 3.
pub(crate) fn key_ok(n: &[u8], e: u32) -> bool {
    let bits = PublicKey::Rsa { n, e }.bits();
    let lead_ok = n.first().is_some_and(|b| *b != 0);
    let odd = n.last().is_some_and(|b| b & 1 == 1);
    lead_ok && odd && (MIN_BITS..=MAX_BITS).contains(&bits) && e >= 3 && e & 1 == 1
}

fn rsa_key<'k>(key: &PublicKey<'k>) -> Option<(&'k [u8], u32)> {
    match *key {
        PublicKey::Rsa { n, e } if key_ok(n, e) => Some((n, e)),
        _ => None,
    }
}

/// RSAVP1 (RFC 8017 §5.2.2): writes `s^e mod n` as `n.len()` big-endian bytes into `out` and
/// returns whether `s < n` (a signature value out of range is exponentiated as 0).
///
/// The signature must be exactly as long as the modulus (RFC 8017 §8.2.2 step 1): the caller
/// checks that, and the key was checked by [`key_ok`].
fn public_op_vartime(n: &[u8], e: u32, s: &[u8], out: &mut [u8]) -> Result<bool, BadSignature> {
    if s.len() != n.len() || out.len() != n.len() {
        return Err(BadSignature);
    }
    let bits = n.len().saturating_mul(8);
    if bits <= 2048 {
        modexp::<{ U2048::LIMBS }>(n, e, s, out)
    } else if bits <= 3072 {
        modexp::<{ U3072::LIMBS }>(n, e, s, out)
    } else if bits <= MAX_BITS {
        modexp::<{ U4096::LIMBS }>(n, e, s, out)
    } else {
        Err(BadSignature)
    }
}

const WORD_BYTES: usize = core::mem::size_of::<Word>();

/// A big-endian byte string (at most `LIMBS` words long) as an integer.
fn from_be<const LIMBS: usize>(bytes: &[u8]) -> Result<Uint<LIMBS>, BadSignature> {
    let mut words: [Word; LIMBS] = [0; LIMBS];
    for (i, b) in bytes.iter().rev().enumerate() {
        let w = words.get_mut(i / WORD_BYTES).ok_or(BadSignature)?;
        let shift = u32::try_from((i % WORD_BYTES).saturating_mul(8)).map_err(|_| BadSignature)?;
        *w |= Word::from(*b).checked_shl(shift).unwrap_or(0);
    }
    Ok(Uint::from_words(words))
}

fn modexp<const LIMBS: usize>(n: &[u8], e: u32, s: &[u8], out: &mut [u8]) -> Result<bool, BadSignature> {
    let modulus = from_be::<LIMBS>(n)?;
    let s = from_be::<LIMBS>(s)?;
    let in_range = s.cmp_vartime(&modulus).is_lt();
    let modulus = Option::<Odd<Uint<LIMBS>>>::from(Odd::new(modulus)).ok_or(BadSignature)?;
    let params = FixedMontyParams::new_vartime(modulus);
    // Out of range: the same work on 0, then refused below.
    let base = FixedMontyForm::new(if in_range { &s } else { &Uint::ZERO }, &params);
    // Left-to-right square-and-multiply over the public exponent's bits.
    let mut acc = base;
    let top = 31u32.saturating_sub(e.leading_zeros());
    for bit in (0..top).rev() {
        acc = acc.square();
        if (e >> bit) & 1 == 1 {
            acc = acc.mul(&base);
        }
    }
    let m = acc.retrieve();
    // Big-endian, the last `n.len()` bytes of the integer.
    for (i, o) in out.iter_mut().rev().enumerate() {
        let w = m.as_words().get(i / WORD_BYTES).copied().unwrap_or(0);
        let shift = u32::try_from((i % WORD_BYTES).saturating_mul(8)).map_err(|_| BadSignature)?;
        *o = u8::try_from(w.checked_shr(shift).unwrap_or(0) & 0xff).unwrap_or(0);
    }
    Ok(in_range)
}

impl Verifier for RsaPkcs1 {
    fn alg(&self) -> Alg {
        self.alg
    }

    fn key_ok_vartime(&self, key: &PublicKey<'_>) -> bool {
        rsa_key(key).is_some()
    }

    fn verify_vartime(&self, key: &PublicKey<'_>, message: &[u8], signature: &[u8]) -> Result<(), BadSignature> {
        let (n, e) = rsa_key(key).ok_or(BadSignature)?;
        let k = n.len();
        let mut recovered = [0u8; MAX_BYTES];
        let recovered = recovered.get_mut(..k).ok_or(BadSignature)?;
        let in_range = public_op_vartime(n, e, signature, recovered)?;

        // EMSA-PKCS1-v1_5-ENCODE (RFC 8017 §9.2): 00 01 PS 00 T, PS at least 8 bytes of FF.
        let h = self.hash.digest(&[message]);
        let t_len = self.digest_info.len().saturating_add(self.hash.len());
        let ps_len = k.checked_sub(t_len.saturating_add(3)).filter(|&l| l >= 8).ok_or(BadSignature)?;
        let mut expected = [0u8; MAX_BYTES];
        let expected = expected.get_mut(..k).ok_or(BadSignature)?;
        let (head, rest) = expected.split_at_mut(2);
        head.copy_from_slice(&[0x00, 0x01]);
        let (ps, rest) = rest.split_at_mut(ps_len);
        ps.fill(0xff);
        let (zero, t) = rest.split_first_mut().ok_or(BadSignature)?;
        *zero = 0;
        let (info, digest) = t.split_at_mut(self.digest_info.len());
        info.copy_from_slice(self.digest_info);
        digest.copy_from_slice(h.as_slice());

        // The whole encoded message, every byte (public data; no early exit all the same).
        let same = bool::from(ct::bytes_eq(expected, recovered));
        if same && in_range { Ok(()) } else { Err(BadSignature) }
    }
}

impl Verifier for RsaPss {
    fn alg(&self) -> Alg {
        self.alg
    }

    fn key_ok_vartime(&self, key: &PublicKey<'_>) -> bool {
        rsa_key(key).is_some()
    }

    fn verify_vartime(&self, key: &PublicKey<'_>, message: &[u8], signature: &[u8]) -> Result<(), BadSignature> {
        let (n, e) = rsa_key(key).ok_or(BadSignature)?;
        let k = n.len();
        let mut buf = [0u8; MAX_BYTES];
        let recovered = buf.get_mut(..k).ok_or(BadSignature)?;
        let in_range = public_op_vartime(n, e, signature, recovered)?;
        let h_len = self.hash.len();
        let s_len = h_len;

        // emBits = modBits − 1; EM is the last emLen bytes of the k-byte value (RFC 8017
        // §8.1.2 step 2c), so when emBits is a multiple of 8 the first byte must be zero.
        let mod_bits = PublicKey::Rsa { n, e }.bits();
        let em_bits = mod_bits.saturating_sub(1);
        let em_len = em_bits.div_ceil(8);
        let (extra, em) = recovered.split_at_mut(k.saturating_sub(em_len));
        let extra_zero = extra.iter().all(|b| *b == 0);
        // Step 3: emLen ≥ hLen + sLen + 2 (true for every accepted modulus; public anyway).
        let db_len = em_len.checked_sub(h_len.saturating_add(1)).ok_or(BadSignature)?;
        let ps_len = db_len.checked_sub(s_len.saturating_add(1)).ok_or(BadSignature)?;
        let (masked_db, rest) = em.split_at_mut(db_len);
        let (h, trailer) = rest.split_at(h_len);
        // Step 4: the rightmost octet is 0xbc.
        let trailer_ok = trailer == [0xbc];
        // Step 6: the leftmost 8·emLen − emBits bits of maskedDB are zero.
        let unused_bits = u32::try_from(em_len.saturating_mul(8).saturating_sub(em_bits)).unwrap_or(8);
        let top_mask = 0xffu8.checked_shr(unused_bits).unwrap_or(0);
        let top_ok = masked_db.first().is_some_and(|b| b & !top_mask == 0);
        // Steps 7–9: DB = maskedDB ⊕ MGF1(H), top bits cleared.
        mgf1_xor(self.hash, h, masked_db);
        if let Some(b) = masked_db.first_mut() {
            *b &= top_mask;
        }
        let db = &*masked_db;
        // Step 10: DB = 00…00 ‖ 01 ‖ salt.
        let (ps, rest) = db.split_at(ps_len);
        let (one, salt) = rest.split_first().ok_or(BadSignature)?;
        let ps_ok = ps.iter().fold(0u8, |acc, b| acc | b) == 0;
        let one_ok = *one == 0x01;
        // Steps 12–14: H' = Hash(00×8 ‖ mHash ‖ salt) must equal H.
        let m_hash = self.hash.digest(&[message]);
        let h2 = self.hash.digest(&[&[0u8; 8], m_hash.as_slice(), salt]);
        let h_ok = bool::from(ct::bytes_eq(h2.as_slice(), h));
        if in_range && extra_zero && trailer_ok && top_ok && ps_ok && one_ok && h_ok {
            Ok(())
        } else {
            Err(BadSignature)
        }
    }
}

/// `out ⊕= MGF1(seed, out.len())` (RFC 8017 §B.2.1).
fn mgf1_xor(hash: Hash, seed: &[u8], out: &mut [u8]) {
    for (counter, chunk) in (0u32..).zip(out.chunks_mut(hash.len())) {
        let t = hash.digest(&[seed, &counter.to_be_bytes()]);
        for (o, m) in chunk.iter_mut().zip(t.as_slice()) {
            *o ^= m;
        }
    }
}
