//! Capacities of the core, fixed at build time.
//!
//! Each constant sizes a fixed array inside [`Engine`](crate::Engine), so it costs RAM whether
//! or not a policy uses it; the README lists the cost of one unit of each. The policy compiler
//! refuses a policy over any of them, and [`Engine::load`](crate::Engine::load) refuses a
//! compiled policy over them with [`LoadError::CapacityExceeded`](crate::LoadError).
//!
//! To change one without editing the source, set the matching `WARDEN_MAX_*` environment
//! variable when building (for firmware, in `.cargo/config.toml` under `[env]`).

include!(concat!(env!("OUT_DIR"), "/capacity.rs"));

/// Longest request path, in bytes, before the query; longer paths are `malformed_path`.
pub const MAX_PATH: usize = 2048;

/// Longest header value, in bytes, the engine reads; a longer credential header is
/// `credentials_malformed`, a longer `origin` is never allowed.
pub const MAX_HEADER_VALUE: usize = 8192;

/// Most segments a path pattern may have (`/a/b/**` has two plus the tail).
pub const MAX_PATTERN_SEGMENTS: usize = 16;

/// Longest subject (credential id, Basic user, or token `sub` after JSON unescaping), in bytes.
pub const MAX_SUBJECT: usize = 255;

/// Longest decoded JWT header (the JOSE header JSON), in bytes.
pub const MAX_TOKEN_HEADER: usize = 512;

/// Most string elements read from one JWT claim array (`roles`, `aud`, `amr`).
pub const MAX_CLAIM_ELEMENTS: usize = 64;

/// Deepest JSON nesting accepted inside a token.
pub const MAX_JSON_DEPTH: usize = 16;

/// Longest policy string (names, ids, hosts, realm, path patterns), in bytes.
pub const MAX_NAME: usize = 255;
