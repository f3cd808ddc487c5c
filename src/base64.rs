//! Base64 decoding of request data (RFC 4648): base64url without padding for JWS segments
//! (RFC 7515 §2), standard alphabet with padding for Basic (RFC 7617).
//!
//! These decoders index a table with the input, so their timing depends on the data: they are
//! named `_vartime` and only ever see public request bytes (a token or a Basic value as sent),
//! never key material. Both are strict: characters outside the alphabet, misplaced padding and
//! non-zero trailing bits (non-canonical encodings, which would make tokens malleable) are
//! errors.
//!
//! Hand-written, not RustCrypto's `base64ct`, because measurement says so (issue 15;
//! `base64ct` 1.8.3 behind these same two functions, everything else equal): the HS256 decision
//! on 32 rules went from 57 075 to 72 181 instructions (+26%, `cargo bench --bench icount`,
//! `jwt_allow_32_rules`) and Warden's flash in the HMAC-only Cortex-M4 firmware from 44 000 to
//! 46 280 B (`examples/cortex-m/size.sh z`): its table-free decoding is constant time, which
//! public request bytes do not need. The tests check these decoders against `base64ct`.

/// Why a value did not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Base64Error {
    /// Not a canonical encoding in the expected alphabet.
    Invalid,
    /// The output buffer is too small.
    TooLong,
}

const NO: u8 = 0xff;

#[expect(
    clippy::as_conversions,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "const table construction: evaluated at compile time, where any overflow is a build error"
)]
const fn table(c62: u8, c63: u8) -> [u8; 256] {
    let mut t = [NO; 256];
    let mut i = 0u8;
    while i < 26 {
        t[(b'A' + i) as usize] = i;
        t[(b'a' + i) as usize] = 26 + i;
        i += 1;
    }
    let mut d = 0u8;
    while d < 10 {
        t[(b'0' + d) as usize] = 52 + d;
        d += 1;
    }
    t[c62 as usize] = 62;
    t[c63 as usize] = 63;
    t
}

static URL: [u8; 256] = table(b'-', b'_');
static STD: [u8; 256] = table(b'+', b'/');

fn decode<'o>(input: &[u8], out: &'o mut [u8], t: &[u8; 256]) -> Result<&'o [u8], Base64Error> {
    if input.len() % 4 == 1 {
        return Err(Base64Error::Invalid);
    }
    let full = input.len() / 4;
    let rem = input.len() % 4;
    let out_len = full.saturating_mul(3).saturating_add(rem.saturating_sub(1));
    let dst = out.get_mut(..out_len).ok_or(Base64Error::TooLong)?;
    let val = |c: u8| -> Result<u32, Base64Error> {
        let v = t.get(usize::from(c)).copied().unwrap_or(NO);
        if v == NO { Err(Base64Error::Invalid) } else { Ok(u32::from(v)) }
    };
    // Full quads without a branch per character: invalid characters map to 0xff, whose high
    // bit survives the OR into `bad` and is checked once at the end.
    let lut = |c: u8| t.get(usize::from(c)).copied().unwrap_or(NO);
    let mut bad = 0u8;
    let mut chunks = input.chunks_exact(4);
    let mut outs = dst.chunks_exact_mut(3);
    for (q, o) in (&mut chunks).zip(&mut outs) {
        let mut n = 0u32;
        for &c in q {
            let v = lut(c);
            bad |= v;
            n = (n << 6) | u32::from(v);
        }
        let [_, x, y, z] = n.to_be_bytes();
        o.copy_from_slice(&[x, y, z]);
    }
    if bad & 0x80 != 0 {
        return Err(Base64Error::Invalid);
    }
    let tail = chunks.remainder();
    let o = outs.into_remainder();
    match (tail, o) {
        ([], []) => Ok(dst),
        ([a, b], [x]) => {
            let n = (val(*a)? << 6) | val(*b)?;
            if n & 0xf != 0 {
                return Err(Base64Error::Invalid);
            }
            *x = u8::try_from(n >> 4).map_err(|_| Base64Error::Invalid)?;
            Ok(dst)
        }
        ([a, b, c], [x, y]) => {
            let n = (val(*a)? << 12) | (val(*b)? << 6) | val(*c)?;
            if n & 0x3 != 0 {
                return Err(Base64Error::Invalid);
            }
            let [_, _, hi, lo] = (n >> 2).to_be_bytes();
            *x = hi;
            *y = lo;
            Ok(dst)
        }
        _ => Err(Base64Error::Invalid),
    }
}

/// base64url without padding (JWS segments).
pub(crate) fn decode_url_vartime<'o>(input: &[u8], out: &'o mut [u8]) -> Result<&'o [u8], Base64Error> {
    decode(input, out, &URL)
}

/// Standard base64 with padding (Basic credentials).
pub(crate) fn decode_std_padded_vartime<'o>(input: &[u8], out: &'o mut [u8]) -> Result<&'o [u8], Base64Error> {
    if !input.len().is_multiple_of(4) {
        return Err(Base64Error::Invalid);
    }
    let body = match input {
        [rest @ .., b'=', b'='] => rest,
        [rest @ .., b'='] => rest,
        _ => input,
    };
    decode(body, out, &STD)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64ct::{Base64, Base64UrlUnpadded, Encoding};

    #[test]
    #[cfg_attr(miri, ignore = "2 000 encode/decode rounds take many minutes under miri")]
    fn agrees_with_base64ct_on_every_length_and_many_inputs() {
        let mut seed = 0x1234_5678u32;
        for len in 0..100usize {
            for _ in 0..20 {
                let data: std::vec::Vec<u8> = (0..len)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 17;
                        seed ^= seed << 5;
                        seed.to_le_bytes()[0]
                    })
                    .collect();
                let mut enc = [0u8; 200];
                let mut out = [0u8; 100];
                let u = Base64UrlUnpadded::encode(&data, &mut enc).unwrap();
                assert_eq!(decode_url_vartime(u.as_bytes(), &mut out).unwrap(), &data[..]);
                let s = Base64::encode(&data, &mut enc).unwrap();
                assert_eq!(decode_std_padded_vartime(s.as_bytes(), &mut out).unwrap(), &data[..]);
            }
        }
    }

    #[test]
    fn rejects_what_strict_decoders_reject() {
        let mut out = [0u8; 64];
        for bad in [&b"A"[..], b"AB=", b"AB==", b"A+B", b"QR", b"QUJ", b"a.b", b"Zm9v\n"] {
            assert!(decode_url_vartime(bad, &mut out).is_err(), "{:?}", core::str::from_utf8(bad));
        }
        for bad in [&b"QQ"[..], b"QQ=", b"Q===", b"QR==", b"QUJ=", b"Zm9v-_==", b"=QQQ", b"Q=QQ"] {
            assert!(decode_std_padded_vartime(bad, &mut out).is_err(), "{:?}", core::str::from_utf8(bad));
        }
        assert_eq!(decode_url_vartime(b"QUJD", &mut [0u8; 2]), Err(Base64Error::TooLong));
        // An impossible length is malformed even when the buffer is also too small.
        assert_eq!(decode_url_vartime(b"QUJDR", &mut [0u8; 2]), Err(Base64Error::Invalid));
    }

    #[test]
    fn decodes_the_rfc_4648_test_vectors() {
        // RFC 4648 §10 (the same strings in both alphabets: none has a 62nd or 63rd character).
        let vectors: [(&[u8], &[u8]); 7] = [
            (b"", b""),
            (b"Zg==", b"f"),
            (b"Zm8=", b"fo"),
            (b"Zm9v", b"foo"),
            (b"Zm9vYg==", b"foob"),
            (b"Zm9vYmE=", b"fooba"),
            (b"Zm9vYmFy", b"foobar"),
        ];
        for (enc, dec) in vectors {
            let mut out = [0u8; 8];
            assert_eq!(decode_std_padded_vartime(enc, &mut out), Ok(dec));
            let unpadded = enc.strip_suffix(b"==").or_else(|| enc.strip_suffix(b"=")).unwrap_or(enc);
            assert_eq!(decode_url_vartime(unpadded, &mut out), Ok(dec));
        }
        let mut out = [0u8; 3];
        assert_eq!(decode_url_vartime(b"-_-_", &mut out), Ok(&[0xfb, 0xff, 0xbf][..]));
        assert_eq!(decode_std_padded_vartime(b"+/+/", &mut out), Ok(&[0xfb, 0xff, 0xbf][..]));
    }
}
