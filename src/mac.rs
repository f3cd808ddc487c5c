//! SHA-2 hashing, HMAC with per-key state precomputed at load, and PBKDF2-HMAC-SHA256, on
//! RustCrypto's `sha2` and `hmac`.
//!
//! [`MacKey`] keeps `hmac`'s block-level core ([`HmacCore`]) right after it absorbed
//! `key ⊕ ipad` and `key ⊕ opad`: the inner and outer hash states, without a block buffer.
//! A request clones it into a full [`Hmac`] (with an empty buffer), so it costs only the
//! message blocks and two finalizations. Neither crate branches on key or message bytes, only
//! on lengths, which are public; the ctgrind harness (`ct/`) checks that on this code.
//! RFC 4231 (HMAC) and RFC 7914 (PBKDF2) vectors, FIPS 180-4 examples and Wycheproof's HMAC
//! sets (`tests/wycheproof_mac.rs`) check it.

use hmac::block_api::HmacCore;
use hmac::digest::block_api::{CoreProxy, EagerHash};
use hmac::digest::{FixedOutput, KeyInit, Update};
use hmac::{Hmac, digest::Digest};
use sha2::{Sha256, Sha384, Sha512};

use crate::ct::{self, Choice};
use crate::policy::Alg;

/// The digest of the concatenation of `parts` under `D`, into the first bytes of a [`Tag`].
fn digest_into<D: Digest>(parts: &[&[u8]]) -> Tag {
    let mut h = D::new();
    for p in parts {
        Digest::update(&mut h, p);
    }
    Tag::from_slice(&h.finalize())
}

/// SHA-256 of the concatenation of `parts`.
pub(crate) fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        Digest::update(&mut h, p);
    }
    h.finalize().into()
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
        match self {
            Self::Sha256 => digest_into::<Sha256>(parts),
            Self::Sha384 => digest_into::<Sha384>(parts),
            Self::Sha512 => digest_into::<Sha512>(parts),
        }
    }
}

/// A MAC tag or a digest, of up to 64 bytes.
#[derive(Clone, Copy)]
pub(crate) struct Tag {
    bytes: [u8; 64],
    len: usize,
}

impl Tag {
    /// The first 64 bytes of `src` (every SHA-2 output fits).
    fn from_slice(src: &[u8]) -> Self {
        let mut bytes = [0u8; 64];
        let len = src.len().min(64);
        if let (Some(dst), Some(src)) = (bytes.get_mut(..len), src.get(..len)) {
            dst.copy_from_slice(src);
        }
        Self { bytes, len }
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }

    /// Constant-time comparison with a presented tag (lengths are public).
    pub(crate) fn ct_eq(&self, presented: &[u8]) -> Choice {
        ct::bytes_eq(self.as_slice(), presented)
    }
}

/// An HMAC key: `hmac`'s core state after absorbing `key ⊕ ipad` and `key ⊕ opad`.
#[derive(Clone)]
pub(crate) enum MacKey {
    /// HMAC-SHA-256.
    Sha256(HmacCore<Sha256>),
    /// HMAC-SHA-384 (cargo feature `hmac-sha512`).
    #[cfg(feature = "hmac-sha512")]
    Sha384(HmacCore<Sha384>),
    /// HMAC-SHA-512 (cargo feature `hmac-sha512`).
    #[cfg(feature = "hmac-sha512")]
    Sha512(HmacCore<Sha512>),
}

impl core::fmt::Debug for MacKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never print key material.
        f.write_str("MacKey(..)")
    }
}

/// The keyed core for `key`. HMAC accepts keys of any length (RFC 2104 §2: one longer than
/// a block is hashed first, which `hmac` does); the keyring enforces RFC 7518's minimum
/// before this. `new_from_slice` cannot fail for HMAC; the fallback only satisfies the type
/// and is never reached (`tests` prove a long key is hashed, not replaced).
fn keyed<D: EagerHash>(key: &[u8]) -> HmacCore<D> {
    <HmacCore<D> as KeyInit>::new_from_slice(key).unwrap_or_else(|_| <HmacCore<D> as KeyInit>::new(&Default::default()))
}

/// The HMAC of the concatenation of `parts` from a keyed core: the core is cloned into an
/// [`Hmac`] with an empty block buffer (one function per hash: `hmac`'s generic bounds are
/// spelled out by the concrete types).
macro_rules! tag_with {
    ($name:ident, $d:ty) => {
        // Never inlined: inlined, its `Hmac` state (up to 300 bytes for SHA-512) sat in the
        // frame of the token check and added 696 bytes to every public-key token's stack on
        // the Cortex-M4 (9 852 instead of 9 156 for RS256, firmware example).
        #[inline(never)]
        fn $name(core: &HmacCore<$d>, parts: &[&[u8]]) -> Tag {
            let mut m = <Hmac<$d> as CoreProxy>::compose(core.clone(), Default::default());
            for p in parts {
                Update::update(&mut m, p);
            }
            Tag::from_slice(&m.finalize_fixed())
        }
    };
}
tag_with!(tag256, Sha256);
#[cfg(feature = "hmac-sha512")]
tag_with!(tag384, Sha384);
#[cfg(feature = "hmac-sha512")]
tag_with!(tag512, Sha512);

impl MacKey {
    /// Precomputes the pad states for `alg`'s hash; `None` when this build lacks it (HS384
    /// and HS512 need the cargo feature `hmac-sha512`: 3.8 KB of Cortex-M4 flash).
    pub(crate) fn new(alg: Alg, key: &[u8]) -> Option<Self> {
        Some(match alg {
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
            | Alg::EdDsa => Self::Sha256(keyed(key)),
            #[cfg(feature = "hmac-sha512")]
            Alg::Hs384 => Self::Sha384(keyed(key)),
            #[cfg(feature = "hmac-sha512")]
            Alg::Hs512 => Self::Sha512(keyed(key)),
            #[cfg(not(feature = "hmac-sha512"))]
            Alg::Hs384 | Alg::Hs512 => return None,
        })
    }

    /// HMAC-SHA-256, which every build has (the bundle signature, PBKDF2's PRF).
    pub(crate) fn hs256(key: &[u8]) -> Self {
        Self::Sha256(keyed(key))
    }

    /// HMAC of the concatenation of `parts`.
    pub(crate) fn tag(&self, parts: &[&[u8]]) -> Tag {
        match self {
            Self::Sha256(core) => tag256(core, parts),
            #[cfg(feature = "hmac-sha512")]
            Self::Sha384(core) => tag384(core, parts),
            #[cfg(feature = "hmac-sha512")]
            Self::Sha512(core) => tag512(core, parts),
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
/// constant-time select on each iteration (which is why this loop is here rather than the
/// `pbkdf2` crate's, which stops at the count it is given). `iterations` must be in
/// `1..=max_iterations`.
pub(crate) fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32, max_iterations: u32) -> [u8; 32] {
    let prf = keyed::<Sha256>(password);
    let mut u = [0u8; 32];
    u.copy_from_slice(tag256(&prf, &[salt, &1u32.to_be_bytes()]).as_slice().get(..32).unwrap_or(&[0; 32]));
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
        let next = tag256(&prf, &[&u]);
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
    #[cfg(not(feature = "hmac-sha512"))]
    fn hs384_and_hs512_need_the_hmac_sha512_feature() {
        assert!(MacKey::new(Alg::Hs384, &[7; 48]).is_none());
        assert!(MacKey::new(Alg::Hs512, &[7; 64]).is_none());
        assert!(MacKey::new(Alg::Hs256, &[7; 32]).is_some());
    }

    #[test]
    #[cfg(feature = "hmac-sha512")]
    fn message_lengths_around_the_padding_boundary() {
        // Lengths where the length field does or does not fit the last block, for both sizes,
        // compared with RustCrypto's `hmac` (a dev-dependency).
        use hmac::{KeyInit, Mac};
        // Keys shorter than, as long as and longer than each block (a long key is hashed first).
        for (len, key_len) in [0usize, 1, 55, 56, 63, 64, 65, 111, 112, 119, 127, 128, 129, 300]
            .into_iter()
            .flat_map(|l| [40usize, 64, 65, 128, 129, 200].map(|k| (l, k)))
        {
            let msg: std::vec::Vec<u8> = (0..len).map(|i| i as u8).collect();
            let key: std::vec::Vec<u8> = (0..key_len).map(|i| (i * 7 + 1) as u8).collect();
            let mut r = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
            Mac::update(&mut r, &msg);
            assert_eq!(
                MacKey::new(Alg::Hs256, &key).unwrap().tag(&[&msg]).as_slice(),
                &r.finalize().into_bytes()[..],
                "256/{len}/{key_len}"
            );
            let mut r = hmac::Hmac::<sha2::Sha384>::new_from_slice(&key).unwrap();
            Mac::update(&mut r, &msg);
            assert_eq!(
                MacKey::new(Alg::Hs384, &key).unwrap().tag(&[&msg]).as_slice(),
                &r.finalize().into_bytes()[..],
                "384/{len}/{key_len}"
            );
            let mut r = hmac::Hmac::<sha2::Sha512>::new_from_slice(&key).unwrap();
            Mac::update(&mut r, &msg);
            assert_eq!(
                MacKey::new(Alg::Hs512, &key).unwrap().tag(&[&msg]).as_slice(),
                &r.finalize().into_bytes()[..],
                "512/{len}/{key_len}"
            );
        }
    }
}
