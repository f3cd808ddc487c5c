//! HMAC with per-key state precomputed at load, and PBKDF2-HMAC-SHA256.
//!
//! [`MacKey`] keeps the inner and outer hash states after absorbing `key ⊕ ipad` and
//! `key ⊕ opad` (RFC 2104), so a request costs only the message blocks and two finalizations.
//! Tags are returned whole and compared with [`crate::ct`]; nothing here returns a `bool`
//! about a secret.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Sha256, Sha384, Sha512};

use crate::ct::{self, Choice};
use crate::policy::Alg;

/// A MAC tag of up to 64 bytes.
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

/// An HMAC key with precomputed pad states.
#[derive(Clone)]
pub(crate) enum MacKey {
    S256(Hmac<Sha256>),
    S384(Hmac<Sha384>),
    S512(Hmac<Sha512>),
}

impl core::fmt::Debug for MacKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never print key material.
        f.write_str(match self {
            Self::S256(_) => "MacKey(HS256, ..)",
            Self::S384(_) => "MacKey(HS384, ..)",
            Self::S512(_) => "MacKey(HS512, ..)",
        })
    }
}

fn finish<const N: usize>(out: &[u8]) -> Tag {
    let mut bytes = [0u8; 64];
    if let Some(dst) = bytes.get_mut(..N) {
        dst.copy_from_slice(out.get(..N).unwrap_or(&[0u8; N]));
    }
    Tag { bytes, len: N }
}

impl MacKey {
    /// Precomputes the pad states. HMAC accepts keys of any length; the keyring enforces
    /// RFC 7518's minimum before calling this.
    pub(crate) fn new(alg: Alg, secret: &[u8]) -> Option<Self> {
        Some(match alg {
            Alg::Hs256 => Self::S256(Hmac::new_from_slice(secret).ok()?),
            Alg::Hs384 => Self::S384(Hmac::new_from_slice(secret).ok()?),
            Alg::Hs512 => Self::S512(Hmac::new_from_slice(secret).ok()?),
        })
    }

    /// HMAC of the concatenation of `parts`.
    pub(crate) fn tag(&self, parts: &[&[u8]]) -> Tag {
        match self {
            Self::S256(k) => {
                let mut m = k.clone();
                for p in parts {
                    m.update(p);
                }
                finish::<32>(&m.finalize().into_bytes())
            }
            Self::S384(k) => {
                let mut m = k.clone();
                for p in parts {
                    m.update(p);
                }
                finish::<48>(&m.finalize().into_bytes())
            }
            Self::S512(k) => {
                let mut m = k.clone();
                for p in parts {
                    m.update(p);
                }
                finish::<64>(&m.finalize().into_bytes())
            }
        }
    }
}

/// PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) with a 32-byte output, running `max_iterations`
/// iterations whatever `iterations` is, and returning the block after `iterations`.
///
/// Running the policy's largest count for every Basic request keeps the work independent of
/// which user (if any) was presented; the result for the wanted count is captured with a
/// constant-time select on each iteration. `iterations` must be in `1..=max_iterations`.
pub(crate) fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32, max_iterations: u32) -> [u8; 32] {
    let Ok(prf) = Hmac::<Sha256>::new_from_slice(password) else {
        return [0u8; 32];
    };
    let mut first = prf.clone();
    first.update(salt);
    first.update(&1u32.to_be_bytes());
    let mut u: [u8; 32] = first.finalize().into_bytes().into();
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
        let mut m = prf.clone();
        m.update(&u);
        u = m.finalize().into_bytes().into();
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

    fn hex(s: &str) -> std::vec::Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    extern crate std;

    #[test]
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
}
