//! The compiled-policy container: header, integrity digest, optional signature, postcard body.
//!
//! ```text
//! offset size
//!      0    4  magic "WRDN"
//!      4    2  format version, u16 little-endian (this crate reads FORMAT_VERSION only)
//!      6    2  flags, u16 LE: bit 0 = signed; every other bit must be zero
//!      8    4  body length, u32 LE
//!     12   14  table sizes, 7 × u16 LE: methods, roles, keys, credentials, ranges, origins, rules
//!     26    2  zero
//!     28   32  SHA-256 of the body
//!     60   32  (signed only) HMAC-SHA256(bundle key, bytes 0..60)
//!   60|92   n  body: postcard encoding of PolicyBody
//! ```
//!
//! The signature covers the header, and the header covers the body through its digest, so one
//! MAC protects everything. Table sizes sit in the header so that a blob over this build's
//! capacities is refused with a typed error before the body is decoded.

use crate::capacity::Capacities;
use crate::error::{Capacity, EncodeError, LoadError};
pub use crate::format::{FORMAT_VERSION, HEADER_LEN, MAGIC, MIN_BUNDLE_KEY, SIGNATURE_LEN};
use crate::policy::PolicyBody;

const FLAG_SIGNED: u16 = 1;

/// Sizes of the policy's tables, as recorded in the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableSizes {
    /// Distinct method tokens.
    pub methods: u16,
    /// Distinct roles.
    pub roles: u16,
    /// Keys.
    pub keys: u16,
    /// Credentials.
    pub credentials: u16,
    /// IP ranges.
    pub ranges: u16,
    /// Origin patterns.
    pub origins: u16,
    /// Rules.
    pub rules: u16,
}

impl TableSizes {
    fn of(body: &PolicyBody<'_>) -> Result<Self, EncodeError> {
        let n = |len: usize| u16::try_from(len).map_err(|_| EncodeError::TooLarge);
        Ok(Self {
            methods: n(body.methods.len())?,
            roles: n(body.roles.len())?,
            keys: n(body.keys.len())?,
            credentials: n(body.credentials.len())?,
            ranges: n(body.ranges.len())?,
            origins: n(body.origins.len())?,
            rules: n(body.rules.len())?,
        })
    }

    /// Entries of one table.
    #[must_use]
    pub fn count(&self, what: Capacity) -> usize {
        let n = match what {
            Capacity::Methods => self.methods,
            Capacity::Roles => self.roles,
            Capacity::Keys => self.keys,
            Capacity::Credentials => self.credentials,
            Capacity::Ranges => self.ranges,
            Capacity::Origins => self.origins,
            Capacity::Rules => self.rules,
        };
        usize::from(n)
    }

    /// Whether the body's tables have exactly these sizes.
    pub(crate) fn matches(self, body: &PolicyBody<'_>) -> bool {
        TableSizes::of(body).is_ok_and(|s| s == self)
    }

    /// Checks the tables against `capacities` (this build's, or another build's, e.g. a
    /// firmware's, for tools that check a blob before it is flashed).
    ///
    /// # Errors
    /// [`LoadError::CapacityExceeded`] for the first table over its limit.
    pub fn check(&self, capacities: &Capacities) -> Result<(), LoadError> {
        capacities.check(|what| self.count(what))
    }
}

/// What the header of a compiled policy says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobInfo {
    /// Format version.
    pub format_version: u16,
    /// Whether a signature is present (not whether it verifies).
    pub signed: bool,
    /// Header (and signature) length.
    pub header_len: usize,
    /// Body length.
    pub body_len: usize,
    /// Table sizes.
    pub tables: TableSizes,
    /// SHA-256 of the body.
    pub body_sha256: [u8; 32],
}

/// Encodes `body` into `out` as a compiled policy, signed when `sign_key` is given.
/// Returns the number of bytes written.
///
/// # Errors
/// [`EncodeError::BufferTooSmall`] when `out` cannot hold it, [`EncodeError::SignKeyTooShort`]
/// for a bundle key under [`MIN_BUNDLE_KEY`] bytes.
pub fn encode(body: &PolicyBody<'_>, sign_key: Option<&[u8]>, out: &mut [u8]) -> Result<usize, EncodeError> {
    let tables = TableSizes::of(body)?;
    let header_len = if sign_key.is_some() { HEADER_LEN + SIGNATURE_LEN } else { HEADER_LEN };
    let (header, rest) = out.split_at_mut_checked(header_len).ok_or(EncodeError::BufferTooSmall)?;
    let body_len = postcard::to_slice(body, rest).map_err(|_| EncodeError::BufferTooSmall)?.len();
    let body_bytes = rest.get(..body_len).ok_or(EncodeError::BufferTooSmall)?;
    let digest = crate::mac::sha256(&[body_bytes]);

    let mut h = [0u8; HEADER_LEN];
    h[0..4].copy_from_slice(&MAGIC);
    h[4..6].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    let flags = if sign_key.is_some() { FLAG_SIGNED } else { 0 };
    h[6..8].copy_from_slice(&flags.to_le_bytes());
    h[8..12].copy_from_slice(&u32::try_from(body_len).map_err(|_| EncodeError::TooLarge)?.to_le_bytes());
    let sizes =
        [tables.methods, tables.roles, tables.keys, tables.credentials, tables.ranges, tables.origins, tables.rules];
    for (slot, size) in h[12..26].chunks_exact_mut(2).zip(sizes) {
        slot.copy_from_slice(&size.to_le_bytes());
    }
    h[28..60].copy_from_slice(&digest);

    let (plain, sig) = header.split_at_mut(HEADER_LEN);
    plain.copy_from_slice(&h);
    if let Some(key) = sign_key {
        sig.copy_from_slice(&sign(key, &h).ok_or(EncodeError::SignKeyTooShort)?);
    }
    header_len.checked_add(body_len).ok_or(EncodeError::TooLarge)
}

fn sign(key: &[u8], header: &[u8; HEADER_LEN]) -> Option<[u8; 32]> {
    if key.len() < MIN_BUNDLE_KEY {
        return None;
    }
    let tag = crate::mac::MacKey::hs256(key).tag(&[header]);
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_slice().get(..32)?);
    Some(out)
}

fn le16(b: &[u8], at: usize) -> Result<u16, LoadError> {
    let s = b.get(at..at.checked_add(2).ok_or(LoadError::Truncated)?).ok_or(LoadError::Truncated)?;
    let mut a = [0u8; 2];
    a.copy_from_slice(s);
    Ok(u16::from_le_bytes(a))
}

/// Reads and checks the header of a compiled policy without verifying the digest or signature.
///
/// # Errors
/// A [`LoadError`] for a short blob, a wrong magic, an unknown format version or flag, or a
/// length that does not match the blob.
pub fn read_header(blob: &[u8]) -> Result<BlobInfo, LoadError> {
    let h = blob.get(..HEADER_LEN).ok_or(LoadError::Truncated)?;
    if h.get(0..4) != Some(&MAGIC[..]) {
        return Err(LoadError::BadMagic);
    }
    let version = le16(h, 4)?;
    if version != FORMAT_VERSION {
        return Err(LoadError::UnsupportedVersion { found: version });
    }
    let flags = le16(h, 6)?;
    if flags & !FLAG_SIGNED != 0 {
        return Err(LoadError::UnknownFlags { flags });
    }
    let signed = flags & FLAG_SIGNED != 0;
    let mut len = [0u8; 4];
    len.copy_from_slice(h.get(8..12).ok_or(LoadError::Truncated)?);
    let body_len = usize::try_from(u32::from_le_bytes(len)).map_err(|_| LoadError::LengthMismatch)?;
    let t = |i: usize| le16(h, 12usize.saturating_add(i.saturating_mul(2)));
    let tables = TableSizes {
        methods: t(0)?,
        roles: t(1)?,
        keys: t(2)?,
        credentials: t(3)?,
        ranges: t(4)?,
        origins: t(5)?,
        rules: t(6)?,
    };
    if le16(h, 26)? != 0 {
        return Err(LoadError::UnknownFlags { flags: le16(h, 26)? });
    }
    let mut body_sha256 = [0u8; 32];
    body_sha256.copy_from_slice(h.get(28..60).ok_or(LoadError::Truncated)?);
    let header_len = if signed { HEADER_LEN + SIGNATURE_LEN } else { HEADER_LEN };
    let total = header_len.checked_add(body_len).ok_or(LoadError::LengthMismatch)?;
    if blob.len() < total {
        return Err(LoadError::Truncated);
    }
    if blob.len() > total {
        return Err(LoadError::LengthMismatch);
    }
    Ok(BlobInfo { format_version: version, signed, header_len, body_len, tables, body_sha256 })
}

/// Checks header, capacities, digest and (with `verify_key`) signature; returns the header
/// information and the body bytes.
pub(crate) fn open<'a>(blob: &'a [u8], verify_key: Option<&[u8]>) -> Result<(BlobInfo, &'a [u8]), LoadError> {
    let info = read_header(blob)?;
    if let Some(key) = verify_key {
        if key.len() < MIN_BUNDLE_KEY {
            return Err(LoadError::BundleKeyTooShort);
        }
        if !info.signed {
            return Err(LoadError::SignatureMissing);
        }
        let mut header = [0u8; HEADER_LEN];
        header.copy_from_slice(blob.get(..HEADER_LEN).ok_or(LoadError::Truncated)?);
        let expected = sign(key, &header).ok_or(LoadError::BundleKeyTooShort)?;
        let found = blob.get(HEADER_LEN..HEADER_LEN + SIGNATURE_LEN).ok_or(LoadError::Truncated)?;
        // Loading is not on the constant-time path, but the comparison costs nothing extra.
        if !bool::from(crate::ct::bytes_eq(&expected, found)) {
            return Err(LoadError::SignatureInvalid);
        }
    }
    let body = blob.get(info.header_len..).ok_or(LoadError::Truncated)?;
    let digest = crate::mac::sha256(&[body]);
    if digest != info.body_sha256 {
        return Err(LoadError::DigestMismatch);
    }
    info.tables.check(&Capacities::THIS_BUILD)?;
    Ok((info, body))
}

/// Checks the header, the digest and the signature of a compiled policy with the bundle key,
/// without decoding the body or needing a keyring (for tools such as `warden inspect`).
///
/// # Errors
/// As [`read_header`], plus [`LoadError::DigestMismatch`], [`LoadError::SignatureMissing`],
/// [`LoadError::SignatureInvalid`], [`LoadError::BundleKeyTooShort`] and capacity errors.
pub fn verify(blob: &[u8], verify_key: &[u8]) -> Result<BlobInfo, LoadError> {
    open(blob, Some(verify_key)).map(|(info, _)| info)
}

/// Decodes the body of a compiled policy after checking its header and digest (no signature
/// check, no semantic validation): for tools such as `warden inspect`.
///
/// # Errors
/// As [`read_header`], plus [`LoadError::DigestMismatch`], capacity and decoding errors.
pub fn decode_body(blob: &[u8]) -> Result<(BlobInfo, PolicyBody<'_>), LoadError> {
    let (info, body) = open(blob, None)?;
    let policy = crate::decode::body(body)?;
    if !info.tables.matches(&policy) {
        return Err(LoadError::BodyMalformed);
    }
    Ok((info, policy))
}
