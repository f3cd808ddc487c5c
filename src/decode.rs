//! Decoding of the compiled-policy body: postcard's wire format, read by hand.
//!
//! The compiler writes the body with `postcard` through the serde `Serialize` derives of
//! [`crate::policy`]. The engine reads the same bytes with this small cursor instead of serde's
//! generated visitors (measured below), straight into the engine's tables.
//! The rules followed are postcard's (`spec/src/wire-format.md`): unsigned integers wider than
//! a byte are LEB128 varints of at most 3/5/10 bytes for u16/u32/u64, `u8` is one byte, `bool`
//! is `0` or `1`, `Option` is a `0`/`1` tag, enums are a varint variant index, strings and byte
//! strings are a varint length and the bytes, fixed arrays are their elements in order,
//! sequences a varint length and the elements, structs their fields in order. Tests decode
//! the serde encoding of many policies and compare (`tests/body_roundtrip.rs`,
//! `tests/blob_integrity.rs`).
//!
//! Kept by measurement (issue 15, `BENCHMARKS.md` "Decoding the compiled body") against
//! `postcard::from_bytes` into the same serde types: from_bytes returns the body by value (and
//! serde's `heapless::Vec` visitors each table), so it cannot decode in place; with it the
//! Cortex-M4 firmware took 3 940 more bytes of flash (138 544 against 134 604 at opt-level z)
//! and 18 572 bytes of stack for a load instead of 2 556, x86-64 133 488 bytes of stack
//! instead of 3 224 (default capacities), and a load cost 503 453 instructions instead of
//! 400 559 (`load_32_rules`; `load_example` 531 758 against 427 289).

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
    fn seq<T, const N: usize>(&mut self, f: impl FnMut(&mut Self) -> Result<T>) -> Result<Vec<T, N>> {
        let mut v = Vec::new();
        self.seq_into(&mut v, f)?;
        Ok(v)
    }
    /// A sequence, pushed into `v` (cleared first) one element at a time: no copy of the
    /// whole table is ever built.
    fn seq_into<T, const N: usize>(
        &mut self,
        v: &mut Vec<T, N>,
        mut f: impl FnMut(&mut Self) -> Result<T>,
    ) -> Result<()> {
        v.clear();
        let n = self.len()?;
        if n > N {
            return Err(BAD);
        }
        for _ in 0..n {
            let item = f(self)?;
            v.push(item).map_err(|_| BAD)?;
        }
        Ok(())
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

    /// The body, written field by field into `p` (tables cleared, then filled in place).
    fn body_into(&mut self, p: &mut PolicyBody<'a>) -> Result<()> {
        p.name = self.str()?;
        p.realm = self.str()?;
        p.settings.leeway_s = self.u32()?;
        p.settings.refresh_window_s = self.u32()?;
        p.settings.api_key_header = self.str()?;
        p.settings.on_no_match = match self.tag()? {
            0 => OnNoMatch::Forbid,
            _ => return Err(BAD),
        };
        p.cors.allow_headers = self.str()?;
        p.cors.max_age_s = self.u32()?;
        p.cors.allow_credentials = self.bool()?;
        self.seq_into(&mut p.methods, Self::str)?;
        self.seq_into(&mut p.roles, Self::str)?;
        self.seq_into(&mut p.keys, Self::key)?;
        self.seq_into(&mut p.credentials, Self::credential)?;
        self.seq_into(&mut p.ranges, Self::range)?;
        self.seq_into(&mut p.origins, Self::origin)?;
        self.seq_into(&mut p.rules, Self::rule)?;
        Ok(())
    }
}

/// The empty body: no tables, every string empty, the settings' defaults. What an engine
/// holds before its first load and after a failed one.
///
/// A function rather than a `const` item: a `const` of this size becomes a table in flash
/// that every use copies from (through a stack temporary, at worst); built field by field,
/// the empty tables are only their lengths set to zero.
pub(crate) const fn empty() -> PolicyBody<'static> {
    PolicyBody {
        name: "",
        realm: "",
        settings: Settings::DEFAULT,
        cors: CorsSettings::DEFAULT,
        methods: Vec::new(),
        roles: Vec::new(),
        keys: Vec::new(),
        credentials: Vec::new(),
        ranges: Vec::new(),
        origins: Vec::new(),
        rules: Vec::new(),
    }
}

/// Empties `p` in place, as [`empty`].
pub(crate) fn empty_into(p: &mut PolicyBody<'_>) {
    p.name = "";
    p.realm = "";
    p.settings = Settings::DEFAULT;
    p.cors = CorsSettings::DEFAULT;
    p.methods.clear();
    p.roles.clear();
    p.keys.clear();
    p.credentials.clear();
    p.ranges.clear();
    p.origins.clear();
    p.rules.clear();
}

/// Decodes a whole body into `out`, in place; trailing bytes are an error. On an error `out`
/// holds part of the body: the caller must not use it (the loader empties it). The reader's
/// payload-free error becomes `LoadError::BodyMalformed` here, once.
pub(crate) fn body_into<'a>(bytes: &'a [u8], out: &mut PolicyBody<'a>) -> core::result::Result<(), LoadError> {
    let mut r = Reader { rest: bytes };
    match r.body_into(out) {
        Ok(()) if r.rest.is_empty() => Ok(()),
        _ => Err(LoadError::BodyMalformed),
    }
}

/// The id of key number `index` of a body, read without building any of its tables (for error
/// reports after a failed load, which has emptied the engine; a whole body by value would take
/// most of an engine's size of stack). `None` when the body is malformed or has fewer keys.
pub(crate) fn key_id(bytes: &[u8], index: usize) -> Option<&str> {
    let mut r = Reader { rest: bytes };
    let mut head = || -> Result<()> {
        // As in `body_into`: name, realm, settings, cors, then methods and roles.
        r.str()?;
        r.str()?;
        r.u32()?;
        r.u32()?;
        r.str()?;
        r.tag()?;
        r.str()?;
        r.u32()?;
        r.bool()?;
        for _ in 0..2 {
            let n = r.len()?;
            for _ in 0..n {
                r.str()?;
            }
        }
        Ok(())
    };
    head().ok()?;
    let n = r.len().ok()?;
    for i in 0..n.min(index.saturating_add(1)) {
        let k = r.key().ok()?;
        if i == index {
            return Some(k.id);
        }
    }
    None
}

/// Decodes a whole body, by value (for tools; the engine decodes in place, [`body_into`]).
pub(crate) fn body(bytes: &[u8]) -> core::result::Result<PolicyBody<'_>, LoadError> {
    let mut b = empty();
    body_into(bytes, &mut b)?;
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_id_reads_the_id_decoding_the_whole_body_gives() {
        let blob = include_bytes!("../policies/edge-api.wdn");
        let body = blob.get(crate::blob::HEADER_LEN..).unwrap();
        let whole = super::body(body).unwrap();
        assert!(whole.keys.len() > 3);
        for (i, k) in whole.keys.iter().enumerate() {
            assert_eq!(key_id(body, i), Some(k.id));
        }
        assert_eq!(key_id(body, whole.keys.len()), None);
        assert_eq!(key_id(&body[..40], 0), None);
    }

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
