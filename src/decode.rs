//! Decoding of the compiled-policy body: postcard's wire format, read by hand.
//!
//! The compiler writes the body with `postcard` through the serde `Serialize` derives of
//! [`crate::policy`]. The engine reads the same bytes with this small cursor instead of serde's
//! generated visitors, which on a Cortex-M4 took about 5 KB of flash for what is ~1 KB here.
//! The rules followed are postcard's (`spec/src/wire-format.md`): unsigned integers wider than
//! a byte are LEB128 varints of at most 3/5/10 bytes for u16/u32/u64, `u8` is one byte, `bool`
//! is `0` or `1`, `Option` is a `0`/`1` tag, enums are a varint variant index, strings and byte
//! strings are a varint length and the bytes, fixed arrays are their elements in order,
//! sequences a varint length and the elements, structs their fields in order. Tests decode
//! the serde encoding of many policies and compare.

use heapless::Vec;

use crate::error::LoadError;
use crate::policy::{
    Alg, CorsSettings, Credential, CredentialKind, IpRange, KeySpec, MethodSet, OnNoMatch, OriginPattern, OriginSet,
    PolicyBody, PublicKey, RangeSet, RoleSet, Rule, Scheme, Settings,
};

// The reader's error carries nothing: `body` maps it to `LoadError::BodyMalformed` once, so
// each `?` below moves no error payload (2.7 KB less flash on the Cortex-M4 firmware).
type Result<T> = core::result::Result<T, Bad>;

#[derive(Debug)]
struct Bad;

const BAD: Bad = Bad;

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8> {
        let (&b, rest) = self.rest.split_first().ok_or(BAD)?;
        self.rest = rest;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let (head, rest) = self.rest.split_at_checked(n).ok_or(BAD)?;
        self.rest = rest;
        Ok(head)
    }

    /// LEB128 of at most `max_bytes` bytes whose value fits in `bits` bits.
    fn varint(&mut self, max_bytes: u32, bits: u32) -> Result<u64> {
        let mut v: u64 = 0;
        for i in 0..max_bytes {
            let b = self.byte()?;
            let part = u64::from(b & 0x7f);
            let shift = i.saturating_mul(7);
            let shifted = part.checked_shl(shift).ok_or(BAD)?;
            if shifted >> shift != part {
                return Err(BAD);
            }
            v |= shifted;
            if b & 0x80 == 0 {
                return if bits < 64 && v >> bits != 0 { Err(BAD) } else { Ok(v) };
            }
        }
        Err(BAD)
    }

    fn u16(&mut self) -> Result<u16> {
        u16::try_from(self.varint(3, 16)?).map_err(|_| BAD)
    }
    fn u32(&mut self) -> Result<u32> {
        u32::try_from(self.varint(5, 32)?).map_err(|_| BAD)
    }
    fn u64(&mut self) -> Result<u64> {
        self.varint(10, 64)
    }
    fn len(&mut self) -> Result<usize> {
        usize::try_from(self.varint(10, 64)?).map_err(|_| BAD)
    }
    fn bool(&mut self) -> Result<bool> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(BAD),
        }
    }
    fn tag(&mut self) -> Result<u32> {
        self.u32()
    }
    fn bytes(&mut self) -> Result<&'a [u8]> {
        let n = self.len()?;
        self.take(n)
    }
    fn str(&mut self) -> Result<&'a str> {
        core::str::from_utf8(self.bytes()?).map_err(|_| BAD)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    fn option<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<Option<T>> {
        if self.bool()? { f(self).map(Some) } else { Ok(None) }
    }
    fn seq<T, const N: usize>(&mut self, mut f: impl FnMut(&mut Self) -> Result<T>) -> Result<Vec<T, N>> {
        let n = self.len()?;
        let mut v = Vec::new();
        for _ in 0..n {
            let item = f(self)?;
            v.push(item).map_err(|_| BAD)?;
        }
        Ok(v)
    }

    fn alg(&mut self) -> Result<Alg> {
        let tag = usize::try_from(self.tag()?).map_err(|_| BAD)?;
        Alg::ALL.get(tag).copied().ok_or(BAD)
    }

    fn public_key(&mut self) -> Result<PublicKey<'a>> {
        Ok(match self.tag()? {
            0 => PublicKey::Secret,
            1 => PublicKey::Rsa { n: self.bytes()?, e: self.u32()? },
            2 => PublicKey::Ec { sec1: self.bytes()? },
            3 => PublicKey::Ed25519 { a: self.array()? },
            _ => return Err(BAD),
        })
    }

    fn scheme(&mut self) -> Result<Scheme> {
        match self.tag()? {
            0 => Ok(Scheme::Bearer),
            1 => Ok(Scheme::ApiKey),
            2 => Ok(Scheme::Basic),
            _ => Err(BAD),
        }
    }

    fn key(&mut self) -> Result<KeySpec<'a>> {
        Ok(KeySpec {
            id: self.str()?,
            alg: self.alg()?,
            issuer: self.option(Self::str)?,
            audience: self.option(Self::str)?,
            roles_claim: self.str()?,
            public_key: self.public_key()?,
        })
    }

    fn credential(&mut self) -> Result<Credential<'a>> {
        let id = self.str()?;
        let roles = RoleSet(self.u64()?);
        let kind = match self.tag()? {
            0 => CredentialKind::ApiKey { sha256: self.array()? },
            1 => CredentialKind::Basic {
                user: self.str()?,
                iterations: self.u32()?,
                salt: self.bytes()?,
                hash: self.array()?,
            },
            _ => return Err(BAD),
        };
        Ok(Credential { id, roles, kind })
    }

    fn range(&mut self) -> Result<IpRange> {
        Ok(IpRange { addr: self.array()?, prefix: self.byte()?, v4: self.bool()? })
    }

    fn origin(&mut self) -> Result<OriginPattern<'a>> {
        Ok(match self.tag()? {
            0 => OriginPattern::Any,
            1 => OriginPattern::Null,
            2 => OriginPattern::Exact { scheme: self.str()?, host: self.str()?, port: self.option(Self::u16)? },
            3 => OriginPattern::Subdomains { scheme: self.str()?, suffix: self.str()?, port: self.option(Self::u16)? },
            _ => return Err(BAD),
        })
    }

    fn rule(&mut self) -> Result<Rule<'a>> {
        Ok(Rule {
            name: self.str()?,
            methods: MethodSet(self.u32()?),
            any_method: self.bool()?,
            path: self.str()?,
            auth: self.seq(Self::scheme)?,
            roles_any: RoleSet(self.u64()?),
            roles_all: RoleSet(self.u64()?),
            ip_allow: RangeSet(self.u64()?),
            ip_deny: RangeSet(self.u64()?),
            origins: OriginSet(self.u64()?),
            require_mfa: self.bool()?,
            max_auth_age_s: self.option(Self::u32)?,
        })
    }

    fn body(&mut self) -> Result<PolicyBody<'a>> {
        Ok(PolicyBody {
            name: self.str()?,
            realm: self.str()?,
            settings: Settings {
                leeway_s: self.u32()?,
                refresh_window_s: self.u32()?,
                api_key_header: self.str()?,
                on_no_match: match self.tag()? {
                    0 => OnNoMatch::Forbid,
                    _ => return Err(BAD),
                },
            },
            cors: CorsSettings { allow_headers: self.str()?, max_age_s: self.u32()?, allow_credentials: self.bool()? },
            methods: self.seq(Self::str)?,
            roles: self.seq(Self::str)?,
            keys: self.seq(Self::key)?,
            credentials: self.seq(Self::credential)?,
            ranges: self.seq(Self::range)?,
            origins: self.seq(Self::origin)?,
            rules: self.seq(Self::rule)?,
        })
    }
}

/// Decodes a whole body; trailing bytes are an error.
pub(crate) fn body(bytes: &[u8]) -> core::result::Result<PolicyBody<'_>, LoadError> {
    let mut r = Reader { rest: bytes };
    match r.body() {
        Ok(b) if r.rest.is_empty() => Ok(b),
        _ => Err(LoadError::BodyMalformed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_follow_postcard() {
        let mut r = Reader { rest: &[0x00, 0x7f, 0x80, 0x01, 0xff, 0xff, 0x03] };
        assert_eq!(r.u32().unwrap(), 0);
        assert_eq!(r.u32().unwrap(), 127);
        assert_eq!(r.u32().unwrap(), 128);
        assert_eq!(r.u16().unwrap(), 0xffff);
        // Too long, too large.
        assert!(Reader { rest: &[0x80, 0x80, 0x80, 0x80, 0x80, 0x01] }.u32().is_err());
        assert!(Reader { rest: &[0xff, 0xff, 0xff, 0xff, 0x1f] }.u32().is_err());
        assert!(Reader { rest: &[0x80, 0x80, 0x04] }.u16().is_err());
        assert_eq!(
            Reader { rest: &[0xff; 9].iter().copied().chain([0x01]).collect::<heapless::Vec<u8, 10>>() }.u64().unwrap(),
            u64::MAX
        );
        assert!(
            Reader { rest: &[0xff; 9].iter().copied().chain([0x02]).collect::<heapless::Vec<u8, 10>>() }.u64().is_err()
        );
        assert!(Reader { rest: &[2] }.bool().is_err());
    }
}
