//! SHA-2 hashing, HMAC with per-key state precomputed at load, and PBKDF2-HMAC-SHA256.
//!
//! Only the SHA-2 block functions come from RustCrypto's `sha2` (`compress256`,
//! `compress512`); the Merkle–Damgård padding and HMAC (RFC 2104) are written here over plain
//! state arrays. That keeps one code path for SHA-384 and SHA-512 (they differ only in the
//! initial state and the output length), keeps the engine's key state small and plain (easy to
//! mark secret in the constant-time harness), and keeps generic hashing glue out of firmware.
//! RFC 4231 (HMAC) and RFC 7914 (PBKDF2) vectors, and FIPS 180-4 examples, check it.
//!
//! [`MacKey`] keeps the inner and outer hash states after absorbing `key ⊕ ipad` and
//! `key ⊕ opad`, so a request costs only the message blocks and two finalizations. Nothing
//! here branches on key or message bytes: only on lengths, which are public.

use sha2::block_api::{compress256, compress512};

use crate::ct::{self, Choice};
use crate::policy::Alg;

const IV256: [u32; 8] =
    [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
const IV384: [u64; 8] = [
    0xcbbb9d5dc1059ed8,
    0x629a292a367cd507,
    0x9159015a3070dd17,
    0x152fecd8f70e5939,
    0x67332667ffc00b31,
    0x8eb44a8768581511,
    0xdb0c2e0d64f98fa7,
    0x47b5481dbefa4fa4,
];
const IV512: [u64; 8] = [
    0x6a09e667f3bcc908,
    0xbb67ae8584caa73b,
    0x3c6ef372fe94f82b,
    0xa54ff53a5f1d36f1,
    0x510e527fade682d1,
    0x9b05688c2b3e6c1f,
    0x1f83d9abfb41bd6b,
    0x5be0cd19137e2179,
];

macro_rules! sha_engine {
    ($name:ident, $word:ty, $block:literal, $len_bytes:literal, $compress:ident) => {
        /// Streaming state of one SHA-2 computation.
        #[derive(Clone)]
        struct $name {
            state: [$word; 8],
            buf: [u8; $block],
            fill: usize,
            /// Bytes absorbed so far (including any prefix the state already holds).
            total: u64,
        }

        impl $name {
            fn resume(state: [$word; 8], absorbed: u64) -> Self {
                Self { state, buf: [0; $block], fill: 0, total: absorbed }
            }

            fn update(&mut self, mut data: &[u8]) {
                self.total = self.total.wrapping_add(u64::try_from(data.len()).unwrap_or(u64::MAX));
                while !data.is_empty() {
                    let room = usize::saturating_sub($block, self.fill);
                    let take = room.min(data.len());
                    let (now, rest) = data.split_at(take);
                    if let Some(dst) = self.buf.get_mut(self.fill..self.fill.saturating_add(take)) {
                        dst.copy_from_slice(now);
                    }
                    self.fill = self.fill.saturating_add(take);
                    data = rest;
                    if self.fill == $block {
                        $compress(&mut self.state, core::slice::from_ref(&self.buf));
                        self.fill = 0;
                    }
                }
            }

            /// Pads and returns the final state.
            fn finish(mut self) -> [$word; 8] {
                let bits = self.total.wrapping_mul(8);
                let mut tail = [0u8; $block];
                if let Some(t) = tail.get_mut(..self.fill) {
                    t.copy_from_slice(self.buf.get(..self.fill).unwrap_or(&[]));
                }
                if let Some(b) = tail.get_mut(self.fill) {
                    *b = 0x80;
                }
                // The length goes in the last $len_bytes bytes; if they are taken, one more block.
                if self.fill >= $block - $len_bytes {
                    $compress(&mut self.state, core::slice::from_ref(&tail));
                    tail = [0u8; $block];
                }
                if let Some(len) = tail.get_mut($block - 8..) {
                    len.copy_from_slice(&bits.to_be_bytes());
                }
                $compress(&mut self.state, core::slice::from_ref(&tail));
                self.state
            }
        }
    };
}

sha_engine!(Sha256State, u32, 64, 8, compress256);
sha_engine!(Sha512State, u64, 128, 16, compress512);

fn bytes256(state: &[u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (o, w) in out.chunks_exact_mut(4).zip(state) {
        o.copy_from_slice(&w.to_be_bytes());
    }
    out
}

fn bytes512(state: &[u64; 8]) -> [u8; 64] {
    let mut out = [0u8; 64];
    for (o, w) in out.chunks_exact_mut(8).zip(state) {
        o.copy_from_slice(&w.to_be_bytes());
    }
    out
}

/// SHA-256 of the concatenation of `parts`.
pub(crate) fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256State::resume(IV256, 0);
    for p in parts {
        h.update(p);
    }
    bytes256(&h.finish())
}

/// A SHA-2 function, for the public-key algorithms (RSA, ECDSA) that hash the signing input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "rsa"), allow(dead_code, reason = "RSA uses every hash, ECDSA two, EdDSA none"))]
pub(crate) enum Hash {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

#[cfg_attr(not(feature = "rsa"), allow(dead_code, reason = "RSA uses every hash, ECDSA two, EdDSA none"))]
impl Hash {
    /// Output length in bytes.
    pub(crate) const fn len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    /// The hash of the concatenation of `parts`.
    pub(crate) fn digest(self, parts: &[&[u8]]) -> Tag {
        let mut bytes = [0u8; 64];
        let len = self.len();
        match self {
            Self::Sha256 => {
                if let Some(dst) = bytes.get_mut(..32) {
                    dst.copy_from_slice(&sha256(parts));
                }
            }
            Self::Sha384 | Self::Sha512 => {
                let mut h = Sha512State::resume(if self == Self::Sha384 { IV384 } else { IV512 }, 0);
                for p in parts {
                    h.update(p);
                }
                let full = bytes512(&h.finish());
                if let (Some(dst), Some(src)) = (bytes.get_mut(..len), full.get(..len)) {
                    dst.copy_from_slice(src);
                }
            }
        }
        Tag { bytes, len }
    }
}

/// A MAC tag or a digest, of up to 64 bytes.
#[derive(Clone, Copy)]
pub(crate) struct Tag {
    bytes: [u8; 64],
    len: usize,
}

impl Tag {
    pub(crate) fn as_slice(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }

    /// Constant-time comparison with a presented tag (lengths are public).
    pub(crate) fn ct_eq(&self, presented: &[u8]) -> Choice {
        ct::bytes_eq(self.as_slice(), presented)
    }
}

/// An HMAC key: the hash states after absorbing `key ⊕ ipad` and `key ⊕ opad`.
#[derive(Clone)]
pub(crate) enum MacKey {
    /// HMAC-SHA-256.
    Sha256 { inner: [u32; 8], outer: [u32; 8] },
    /// HMAC-SHA-384 (`out_len` 48) or HMAC-SHA-512 (`out_len` 64).
    Sha512 { inner: [u64; 8], outer: [u64; 8], out_len: usize },
}

impl core::fmt::Debug for MacKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never print key material.
        f.write_str("MacKey(..)")
    }
}

impl MacKey {
    /// Precomputes the pad states (RFC 2104 §2: a key longer than a block is hashed first).
    /// HMAC accepts keys of any length; the keyring enforces RFC 7518's minimum before this.
    pub(crate) fn new(alg: Alg, key: &[u8]) -> Self {
        match alg {
            // Only HMAC keys get here (the loader keeps public keys out); SHA-256 stands in.
            Alg::Hs256
            | Alg::Rs256
            | Alg::Rs384
            | Alg::Rs512
            | Alg::Ps256
            | Alg::Ps384
            | Alg::Ps512
            | Alg::Es256
            | Alg::Es384
            | Alg::EdDsa => {
                let mut k = [0u8; 64];
                if key.len() > 64 {
                    if let Some(dst) = k.get_mut(..32) {
                        dst.copy_from_slice(&sha256(&[key]));
                    }
                } else if let Some(dst) = k.get_mut(..key.len()) {
                    dst.copy_from_slice(key);
                }
                let pads = |pad: u8| {
                    let mut block = k;
                    for b in &mut block {
                        *b ^= pad;
                    }
                    let mut s = IV256;
                    compress256(&mut s, core::slice::from_ref(&block));
                    s
                };
                Self::Sha256 { inner: pads(0x36), outer: pads(0x5c) }
            }
            Alg::Hs384 | Alg::Hs512 => {
                let (iv, out_len) = if alg == Alg::Hs384 { (IV384, 48) } else { (IV512, 64) };
                let mut k = [0u8; 128];
                if key.len() > 128 {
                    let mut h = Sha512State::resume(iv, 0);
                    h.update(key);
                    let d = bytes512(&h.finish());
                    if let (Some(dst), Some(src)) = (k.get_mut(..out_len), d.get(..out_len)) {
                        dst.copy_from_slice(src);
                    }
                } else if let Some(dst) = k.get_mut(..key.len()) {
                    dst.copy_from_slice(key);
                }
                let pads = |pad: u8| {
                    let mut block = k;
                    for b in &mut block {
                        *b ^= pad;
                    }
                    let mut s = iv;
                    compress512(&mut s, core::slice::from_ref(&block));
                    s
                };
                Self::Sha512 { inner: pads(0x36), outer: pads(0x5c), out_len }
            }
        }
    }

    /// HMAC of the concatenation of `parts`.
    pub(crate) fn tag(&self, parts: &[&[u8]]) -> Tag {
        let mut bytes = [0u8; 64];
        match self {
            Self::Sha256 { inner, outer } => {
                let mut h = Sha256State::resume(*inner, 64);
                for p in parts {
                    h.update(p);
                }
                let inner_digest = bytes256(&h.finish());
                let mut o = Sha256State::resume(*outer, 64);
                o.update(&inner_digest);
                if let Some(dst) = bytes.get_mut(..32) {
                    dst.copy_from_slice(&bytes256(&o.finish()));
                }
                Tag { bytes, len: 32 }
            }
            Self::Sha512 { inner, outer, out_len } => {
                let mut h = Sha512State::resume(*inner, 128);
                for p in parts {
                    h.update(p);
                }
                let inner_digest = bytes512(&h.finish());
                let mut o = Sha512State::resume(*outer, 128);
                o.update(inner_digest.get(..*out_len).unwrap_or(&[]));
                let full = bytes512(&o.finish());
                if let (Some(dst), Some(src)) = (bytes.get_mut(..*out_len), full.get(..*out_len)) {
                    dst.copy_from_slice(src);
                }
                Tag { bytes, len: *out_len }
            }
        }
    }
}

/// What the engine keeps for one policy key: HMAC state for an HMAC key, nothing for a public
/// key (whose bytes stay in the compiled policy and never become an HMAC key).
#[derive(Clone, Debug)]
pub(crate) enum MacSlot {
    /// An HMAC key's precomputed state.
    Hmac(MacKey),
    /// A public key.
    Public,
}

/// PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) with a 32-byte output, running `max_iterations`
/// iterations whatever `iterations` is, and returning the block after `iterations`.
///
/// Running the policy's largest count for every Basic request keeps the work independent of
/// which user (if any) was presented; the result for the wanted count is captured with a
/// constant-time select on each iteration. `iterations` must be in `1..=max_iterations`.
pub(crate) fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32, max_iterations: u32) -> [u8; 32] {
    let prf = MacKey::new(Alg::Hs256, password);
    let mut u = [0u8; 32];
    u.copy_from_slice(prf.tag(&[salt, &1u32.to_be_bytes()]).as_slice().get(..32).unwrap_or(&[0; 32]));
    let mut acc = u;
    let mut out = [0u8; 32];
    let mut i: u32 = 1;
    loop {
        // `i` and the counts are public policy data; only the captured value is selected.
        let take = ct::bytes_eq(&i.to_le_bytes(), &iterations.to_le_bytes());
        for (o, a) in out.iter_mut().zip(&acc) {
            *o = ct::select(take, *a, *o);
        }
        if i >= max_iterations {
            break;
        }
        let next = prf.tag(&[&u]);
        u.copy_from_slice(next.as_slice().get(..32).unwrap_or(&[0; 32]));
        for (a, b) in acc.iter_mut().zip(&u) {
            *a ^= b;
        }
        i = i.saturating_add(1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    extern crate std;

    fn hex(s: &str) -> std::vec::Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn sha256_matches_fips_180_examples_across_block_boundaries() {
        // FIPS 180-4 examples "abc" and the 448-bit two-block message.
        assert_eq!(sha256(&[b"abc"]).to_vec(), hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
        let two = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        assert_eq!(sha256(&[two]).to_vec(), hex("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
        assert_eq!(sha256(&[&two[..10], &two[10..]]), sha256(&[two]));
        assert_eq!(sha256(&[b""]).to_vec(), hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    }

    #[test]
    fn sha384_and_sha512_match_fips_180_examples() {
        // FIPS 180-4 examples for "abc".
        assert_eq!(
            Hash::Sha384.digest(&[b"a", b"bc"]).as_slice().to_vec(),
            hex("cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7")
        );
        assert_eq!(
            Hash::Sha512.digest(&[b"abc"]).as_slice().to_vec(),
            hex(
                "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
            )
        );
        assert_eq!(Hash::Sha256.digest(&[b"abc"]).as_slice(), &sha256(&[b"abc"]));
    }

    #[test]
    #[cfg_attr(miri, ignore = "80 000 PBKDF2 iterations take many minutes under miri")]
    fn pbkdf2_matches_rfc_7914_vectors() {
        // RFC 7914 §11, PBKDF2-HMAC-SHA256 test vectors (first 32 bytes of the 64-byte outputs).
        let dk = pbkdf2_sha256(b"passwd", b"salt", 1, 1);
        assert_eq!(dk.to_vec(), hex("55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"));
        let dk = pbkdf2_sha256(b"Password", b"NaCl", 80000, 80000);
        assert_eq!(dk.to_vec(), hex("4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"));
    }

    #[test]
    fn pbkdf2_captures_the_wanted_count_while_running_the_maximum() {
        assert_eq!(pbkdf2_sha256(b"pw", b"saltsalt", 3, 10), pbkdf2_sha256(b"pw", b"saltsalt", 3, 3));
        assert_ne!(pbkdf2_sha256(b"pw", b"saltsalt", 3, 10), pbkdf2_sha256(b"pw", b"saltsalt", 4, 10));
    }

    #[test]
    fn message_lengths_around_the_padding_boundary() {
        // Lengths where the length field does or does not fit the last block, for both sizes,
        // compared with RustCrypto's `hmac` (a dev-dependency).
        use hmac::{KeyInit, Mac};
        for len in [0usize, 1, 55, 56, 63, 64, 65, 111, 112, 119, 127, 128, 129, 300] {
            let msg: std::vec::Vec<u8> = (0..len).map(|i| i as u8).collect();
            let key = [7u8; 40];
            let mut r = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
            r.update(&msg);
            assert_eq!(
                MacKey::new(Alg::Hs256, &key).tag(&[&msg]).as_slice(),
                &r.finalize().into_bytes()[..],
                "256/{len}"
            );
            let mut r = hmac::Hmac::<sha2::Sha384>::new_from_slice(&key).unwrap();
            r.update(&msg);
            assert_eq!(
                MacKey::new(Alg::Hs384, &key).tag(&[&msg]).as_slice(),
                &r.finalize().into_bytes()[..],
                "384/{len}"
            );
            let mut r = hmac::Hmac::<sha2::Sha512>::new_from_slice(&key).unwrap();
            r.update(&msg);
            assert_eq!(
                MacKey::new(Alg::Hs512, &key).tag(&[&msg]).as_slice(),
                &r.finalize().into_bytes()[..],
                "512/{len}"
            );
        }
    }
}
