//! RSASSA-PKCS1-v1_5 (`RS256`/`RS384`/`RS512`, RFC 8017 §8.2) and RSASSA-PSS
//! (`PS256`/`PS384`/`PS512`, RFC 8017 §8.1, RFC 7518 §3.5) verification for 2048- to 4096-bit
//! moduli: no heap, one code path for every size.
//!
//! The public operation `s^e mod n` is a Montgomery exponentiation written here over
//! crypto-bigint's limb primitives, on as many limbs as the modulus needs (see [`Modulus`]):
//! it adds about 5 KB of stack at 4096 bits, where crypto-bigint's `FixedMontyParams` and
//! `FixedMontyForm` added about 21 KB on a Cortex-M4 (docs/embedded.md has the figures).
//! The encodings are checked here:
//! - PKCS#1 v1.5 builds the whole expected encoded message `00 01 FF… 00 DigestInfo H` and
//!   compares it with the one recovered from the signature, byte for byte. Nothing parses the
//!   recovered DigestInfo, so no lenient ASN.1 reading can accept a forged signature (the
//!   CVE-2006-4339 class: Bleichenbacher's e = 3 forgery).
//! - PSS follows EMSA-PSS-VERIFY (RFC 8017 §9.1.2) with MGF1 over the same hash and a salt as
//!   long as the hash (RFC 7518 §3.5), every check computed before the result is read.
//!
//! The work depends on the modulus, the exponent and the hash only (all from the public key
//! and the algorithm), never on the signature's value: every Montgomery product does the same
//! work (its final reduction is a masked select), and a signature value `≥ n` is exponentiated
//! as zero and then refused.

use crypto_bigint::{Limb, Word};

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
    let len = n.len().div_ceil(WORD_BYTES);
    let mut modulus = [Limb::ZERO; MAX_LIMBS];
    let modulus = modulus.get_mut(..len).ok_or(BadSignature)?;
    from_be(n, modulus)?;
    let mut base = [Limb::ZERO; MAX_LIMBS];
    let base = base.get_mut(..len).ok_or(BadSignature)?;
    from_be(s, base)?;
    let in_range = less_vartime(base, modulus);
    // Out of range: the same work on 0, then refused by the caller.
    let keep = core::hint::black_box(Word::from(in_range).wrapping_neg());
    for w in base.iter_mut() {
        w.0 &= keep;
    }
    let m = Modulus::new_vartime(modulus)?;
    let mut result = [Limb::ZERO; MAX_LIMBS];
    let result = result.get_mut(..len).ok_or(BadSignature)?;
    m.pow_vartime(base, e, result)?;
    // Big-endian, the last `n.len()` bytes of the integer.
    for (i, o) in out.iter_mut().rev().enumerate() {
        let w = result.get(i / WORD_BYTES).map_or(0, |l| l.0);
        let shift = u32::try_from((i % WORD_BYTES).saturating_mul(8)).map_err(|_| BadSignature)?;
        *o = u8::try_from(w.checked_shr(shift).unwrap_or(0) & 0xff).unwrap_or(0);
    }
    Ok(in_range)
}

const WORD_BYTES: usize = core::mem::size_of::<Word>();
/// Limbs of the largest modulus.
const MAX_LIMBS: usize = MAX_BYTES / WORD_BYTES;
const WORD_BITS: u32 = Word::BITS;
/// Montgomery squarings in the computation of `R² mod n` (see [`Modulus::new_vartime`]).
const SQUARINGS: u32 = 5;

/// A big-endian byte string as little-endian limbs (`out` long enough for it).
fn from_be(bytes: &[u8], out: &mut [Limb]) -> Result<(), BadSignature> {
    out.fill(Limb::ZERO);
    for (i, b) in bytes.iter().rev().enumerate() {
        let w = out.get_mut(i / WORD_BYTES).ok_or(BadSignature)?;
        let shift = u32::try_from((i % WORD_BYTES).saturating_mul(8)).map_err(|_| BadSignature)?;
        w.0 |= Word::from(*b).checked_shl(shift).unwrap_or(0);
    }
    Ok(())
}

/// `a < b` for equally long limb strings.
fn less_vartime(a: &[Limb], b: &[Limb]) -> bool {
    for (x, y) in a.iter().rev().zip(b.iter().rev()) {
        if x.0 != y.0 {
            return x.0 < y.0;
        }
    }
    false
}

/// Montgomery arithmetic modulo an odd `n` of `n.len()` limbs, `R = 2^(n.len()·W)`: the public
/// RSA operation on the stack of one call, without the heap and without the double-width
/// products and divisions that computing `R² mod n` by reduction needs (crypto-bigint's
/// `FixedMontyParams::new_vartime` takes about 20 KB of stack for a 4096-bit modulus on a
/// Cortex-M4 that way, and its `FixedMontyForm` carries those parameters by value). The limb
/// primitives (`carrying_mul_add`, `carrying_add`, `borrowing_sub`) are crypto-bigint's.
struct Modulus<'n> {
    n: &'n [Limb],
    /// `−n⁻¹ mod 2^W`.
    n_inv: Limb,
    /// `R² mod n`, to bring a value into Montgomery form.
    r2: [Limb; MAX_LIMBS],
}

impl<'n> Modulus<'n> {
    fn new_vartime(n: &'n [Limb]) -> Result<Self, BadSignature> {
        let len = n.len();
        let (low, _) = n.split_first().ok_or(BadSignature)?;
        if low.0 & 1 == 0 {
            return Err(BadSignature);
        }
        // Newton's iteration for the inverse modulo 2^W: an odd x is its own inverse mod 8,
        // and every step doubles the bits that are right (3, 6, …, 96 ≥ 64).
        let mut inv = low.0;
        for _ in 0..5 {
            inv = inv.wrapping_mul(2u8.into()).wrapping_sub(low.0.wrapping_mul(inv).wrapping_mul(inv));
        }
        let mut m = Self { n, n_inv: Limb(inv.wrapping_neg()), r2: [Limb::ZERO; MAX_LIMBS] };
        // R² mod n = 2^(2·total) mod n, as the Montgomery form of 2^total: 2^(bits−1) < n
        // doubled up to 2^(total + total/2^SQUARINGS) mod n, which is 2^(total/2^SQUARINGS) in
        // Montgomery form, then squared SQUARINGS times (a squaring doubles the exponent). A
        // doubling costs a few instructions per limb, a product about 2·len per limb: five
        // squarings and `total/32` doublings cost less than doubling or squaring alone.
        let bits = bit_length(n);
        let top = bits.checked_sub(1).ok_or(BadSignature)?;
        let total = u32::try_from(len).ok().and_then(|l| l.checked_mul(WORD_BITS)).ok_or(BadSignature)?;
        let squarings = total.trailing_zeros().min(SQUARINGS);
        let start = total.checked_shr(squarings).ok_or(BadSignature)?;
        let mut x = [Limb::ZERO; MAX_LIMBS];
        let x = x.get_mut(..len).ok_or(BadSignature)?;
        let word = x.get_mut(usize::try_from(top / WORD_BITS).map_err(|_| BadSignature)?).ok_or(BadSignature)?;
        word.0 = Word::from(1u8).checked_shl(top % WORD_BITS).unwrap_or(0);
        let mut tmp = [Limb::ZERO; MAX_LIMBS];
        let tmp = tmp.get_mut(..len).ok_or(BadSignature)?;
        for _ in top..total.saturating_add(start) {
            m.double_vartime(x, tmp);
        }
        let mut r2 = [Limb::ZERO; MAX_LIMBS];
        let r2_slice = r2.get_mut(..len).ok_or(BadSignature)?;
        for _ in 0..squarings {
            m.mul(x, x, tmp);
            x.copy_from_slice(tmp);
        }
        r2_slice.copy_from_slice(x);
        m.r2 = r2;
        Ok(m)
    }

    fn len(&self) -> usize {
        self.n.len()
    }

    /// `x = 2x mod n` for `x < n`, in one pass: `2x` and `2x − n`, then the one below `n`.
    fn double_vartime(&self, x: &mut [Limb], scratch: &mut [Limb]) {
        let mut carry = 0;
        let mut borrow = Limb::ZERO;
        for ((w, d), nj) in x.iter_mut().zip(scratch.iter_mut()).zip(self.n) {
            let shifted = Limb(w.0.checked_shl(1).unwrap_or(0) | carry);
            carry = w.0.checked_shr(WORD_BITS.saturating_sub(1)).unwrap_or(0);
            *w = shifted;
            (*d, borrow) = shifted.borrowing_sub(*nj, borrow);
        }
        // 2x ≥ n when the shift carried out or the subtraction did not borrow.
        if carry != 0 || borrow.0 == 0 {
            x.copy_from_slice(scratch);
        }
    }

    /// `out = a·b·R⁻¹ mod n` for `a, b < n` (CIOS Montgomery multiplication, Koç et al. 1996),
    /// fully reduced, with the same work whatever the values.
    fn mul(&self, a: &[Limb], b: &[Limb], out: &mut [Limb]) {
        let len = self.len();
        // The running sum t (len limbs and a top limb), below 2n after every row; each row
        // reads one buffer and writes the other, shifted down by one limb.
        let mut buffers = [[Limb::ZERO; MAX_LIMBS + 1]; 2];
        let [first, second] = &mut buffers;
        let (Some(mut t), Some(mut next)) = (first.get_mut(..=len), second.get_mut(..=len)) else { return };
        let (Some((a0, a_rest)), Some((n0, n_rest))) = (a.split_first(), self.n.split_first()) else { return };
        for bi in b {
            let (Some((t0, t_rest)), Some((top, low))) = (t.split_first(), next.split_last_mut()) else { return };
            // Column 0: t0 + a0·bi, made divisible by 2^W by adding m·n0.
            let (s, mut c1) = a0.carrying_mul_add(*bi, *t0, Limb::ZERO);
            let m = s.wrapping_mul(self.n_inv);
            let (_, mut c2) = m.carrying_mul_add(*n0, s, Limb::ZERO);
            // Columns 1..len, written one limb lower.
            for (((o, tj), aj), nj) in low.iter_mut().zip(t_rest).zip(a_rest).zip(n_rest) {
                let (s, k1) = aj.carrying_mul_add(*bi, *tj, c1);
                (*o, c2) = m.carrying_mul_add(*nj, s, c2);
                c1 = k1;
            }
            // Column len: the top limb and both carries.
            let (Some(t_top), Some(below_top)) = (t.last(), low.last_mut()) else { return };
            let (s, k1) = t_top.carrying_add(c1, Limb::ZERO);
            let (s, k2) = s.carrying_add(c2, Limb::ZERO);
            *below_top = s;
            *top = k1.wrapping_add(k2);
            core::mem::swap(&mut t, &mut next);
        }
        // t − n is kept when t ≥ n, that is when t's top limb covers the borrow; computed and
        // selected with a mask either way, so every product costs the same.
        let (low, high) = t.split_at(len);
        let top = high.first().map_or(0, |h| h.0);
        let mut borrow = Limb::ZERO;
        for ((o, x), y) in out.iter_mut().zip(low).zip(self.n) {
            (*o, borrow) = x.borrowing_sub(*y, borrow);
        }
        // borrow is 0 or all ones; keep the difference unless it borrowed past the top limb.
        let borrowed = borrow.0 & 1;
        // (Behind a barrier, so that the optimizer keeps the select instead of a branch.)
        let keep_low = core::hint::black_box(Word::from(top < borrowed).wrapping_neg());
        for (o, x) in out.iter_mut().zip(low) {
            o.0 = (x.0 & keep_low) | (o.0 & !keep_low);
        }
    }

    /// `out` = `x^k` in Montgomery form, for `x` in Montgomery form and `k ≥ 1`
    /// (left-to-right square-and-multiply over the public `k`).
    fn pow_monty_vartime(&self, x: &[Limb], k: u32, out: &mut [Limb]) -> Result<(), BadSignature> {
        if k == 0 {
            return Err(BadSignature);
        }
        let len = self.len();
        let mut tmp = [Limb::ZERO; MAX_LIMBS];
        let tmp = tmp.get_mut(..len).ok_or(BadSignature)?;
        out.copy_from_slice(x);
        for bit in (0..31u32.saturating_sub(k.leading_zeros())).rev() {
            self.mul(out, out, tmp);
            if (k >> bit) & 1 == 1 {
                self.mul(tmp, x, out);
            } else {
                out.copy_from_slice(tmp);
            }
        }
        Ok(())
    }

    /// `out = s^e mod n` for `s < n` and an odd `e ≥ 3` (ordinary, not Montgomery, form).
    ///
    /// Left-to-right square-and-multiply over the public `e` with `s` in Montgomery form, except
    /// the last product (`e` is odd, so there is one), which takes `s` itself: `s^(e−1)·R` times
    /// `s` times `R⁻¹` is `s^e`, so no product with 1 is needed to leave Montgomery form.
    fn pow_vartime(&self, s: &[Limb], e: u32, out: &mut [Limb]) -> Result<(), BadSignature> {
        if e & 1 == 0 || e < 3 {
            return Err(BadSignature);
        }
        let len = self.len();
        let r2 = self.r2.get(..len).ok_or(BadSignature)?;
        let mut base = [Limb::ZERO; MAX_LIMBS];
        let base = base.get_mut(..len).ok_or(BadSignature)?;
        self.mul(s, r2, base);
        let mut acc = [Limb::ZERO; MAX_LIMBS];
        let acc = acc.get_mut(..len).ok_or(BadSignature)?;
        // s^(e−1) in Montgomery form: e − 1 ≥ 2 is even.
        self.pow_monty_vartime(base, e & !1, acc)?;
        self.mul(acc, s, out);
        Ok(())
    }
}

/// Bits of a limb string without leading zero bits.
fn bit_length(x: &[Limb]) -> u32 {
    for (i, w) in x.iter().enumerate().rev() {
        if w.0 != 0 {
            let below = u32::try_from(i).unwrap_or(u32::MAX).saturating_mul(WORD_BITS);
            return below.saturating_add(WORD_BITS.saturating_sub(w.0.leading_zeros()));
        }
    }
    0
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

#[cfg(test)]
mod tests {
    use crypto_bigint::modular::{FixedMontyForm, FixedMontyParams};
    use crypto_bigint::{Odd, U64, U4096};
    use std::vec::Vec;

    use super::*;

    fn random(len: usize) -> Vec<u8> {
        let mut v = std::vec![0u8; len];
        getrandom::fill(&mut v).unwrap();
        v
    }

    /// `s^e mod n` by crypto-bigint's own Montgomery exponentiation, as `n.len()` bytes.
    fn reference(n: &[u8], e: u32, s: &[u8]) -> Vec<u8> {
        let modulus =
            Odd::new(U4096::from_be_slice(&[std::vec![0; MAX_BYTES - n.len()], n.to_vec()].concat())).unwrap();
        let base = U4096::from_be_slice(&[std::vec![0; MAX_BYTES - s.len()], s.to_vec()].concat());
        let params = FixedMontyParams::new_vartime(modulus);
        let m = FixedMontyForm::new(&base, &params).pow(&U64::from_u32(e)).retrieve();
        m.to_be_bytes()[MAX_BYTES - n.len()..].to_vec()
    }

    #[test]
    #[cfg_attr(miri, ignore = "192 modular exponentiations of up to 4096 bits take hours under miri")]
    fn the_public_operation_agrees_with_crypto_bigint_for_every_size_and_exponent() {
        // Moduli of every byte length from 2048 to 4096 bits in steps that cross limb
        // boundaries, with top bits set and not, and exponents from 3 to 2^32 − 1.
        let mut checked = 0;
        for bytes in [256usize, 257, 260, 263, 300, 383, 384, 385, 447, 500, 511, 512] {
            for top in [0x80u8, 0xff, 0x01, 0x5a] {
                let mut n = random(bytes);
                n[0] = top.max(1);
                n[bytes - 1] |= 1;
                for e in [3u32, 17, 65_537, 0xffff_ffff] {
                    let mut s = random(bytes);
                    s[0] %= n[0].max(1);
                    let mut out = std::vec![0u8; bytes];
                    let in_range = public_op_vartime(&n, e, &s, &mut out).unwrap();
                    assert!(in_range, "{bytes} bytes");
                    assert_eq!(out, reference(&n, e, &s), "{bytes} bytes, top {top:#x}, e {e}");
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 12 * 4 * 4);
    }

    #[test]
    #[cfg_attr(miri, ignore = "2048-bit modular exponentiations take many minutes under miri")]
    fn edge_values_of_the_signature() {
        let mut n = random(256);
        n[0] |= 0x80;
        n[255] |= 1;
        let mut out = [0u8; 256];
        // 0, 1 and n − 1 (whose odd powers are n − 1).
        let zero = [0u8; 256];
        assert!(public_op_vartime(&n, 65_537, &zero, &mut out).unwrap());
        assert_eq!(out, zero);
        let mut one = [0u8; 256];
        one[255] = 1;
        assert!(public_op_vartime(&n, 65_537, &one, &mut out).unwrap());
        assert_eq!(out, one);
        let mut minus_one = n.clone();
        minus_one[255] -= 1;
        assert!(public_op_vartime(&n, 3, &minus_one, &mut out).unwrap());
        assert_eq!(&out[..], &minus_one[..]);
        // n itself and above are out of range: computed as 0 and reported.
        assert!(!public_op_vartime(&n, 65_537, &n, &mut out).unwrap());
        assert_eq!(out, zero);
        assert!(!public_op_vartime(&n, 65_537, &[0xff; 256], &mut out).unwrap());
        // Lengths other than the modulus's are refused.
        assert_eq!(public_op_vartime(&n, 3, &n[1..], &mut out[1..]), Err(BadSignature));
    }
}
