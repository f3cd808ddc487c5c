//! The constants of the compiled format's container (`docs/format.md`), at the bottom of the
//! import graph: the container code ([`blob`](crate::blob)) and the errors that name a
//! version ([`LoadError`](crate::LoadError)) both take them from here, so neither imports the
//! other for them. [`blob`](crate::blob) re-exports them as its public API.

/// First four bytes of every compiled policy.
pub const MAGIC: [u8; 4] = *b"WRDN";
/// Version of the compiled format this crate reads and writes. It moves only with a written
/// note in `CHANGELOG.md` and `docs/format.md`, independently of the crate version.
pub const FORMAT_VERSION: u16 = 2;
/// Length of the unsigned header.
pub const HEADER_LEN: usize = 60;
/// Length of the signature that follows the header of a signed blob.
pub const SIGNATURE_LEN: usize = 32;
/// Shortest bundle signing key accepted (the HMAC-SHA256 output size, RFC 7518 §3.2).
pub const MIN_BUNDLE_KEY: usize = 32;
