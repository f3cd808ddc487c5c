//! Errors of loading and encoding a compiled policy.
//!
//! Evaluation has no errors: every request gets a [`Decision`](crate::Decision).

use core::fmt;

/// A capacity of the core (see [`capacity`](crate::capacity)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Capacity {
    /// [`MAX_METHODS`](crate::capacity::MAX_METHODS).
    Methods,
    /// [`MAX_ROLES`](crate::capacity::MAX_ROLES).
    Roles,
    /// [`MAX_KEYS`](crate::capacity::MAX_KEYS).
    Keys,
    /// [`MAX_CREDENTIALS`](crate::capacity::MAX_CREDENTIALS).
    Credentials,
    /// [`MAX_RANGES`](crate::capacity::MAX_RANGES).
    Ranges,
    /// [`MAX_ORIGINS`](crate::capacity::MAX_ORIGINS).
    Origins,
    /// [`MAX_RULES`](crate::capacity::MAX_RULES).
    Rules,
}

impl Capacity {
    /// Every capacity, in the order of the compiled policy's header (`docs/format.md`).
    pub const ALL: [Self; 7] =
        [Self::Methods, Self::Roles, Self::Keys, Self::Credentials, Self::Ranges, Self::Origins, Self::Rules];

    /// What it counts, in the plural (`rules`, `distinct roles`, …).
    #[must_use]
    pub const fn what(self) -> &'static str {
        match self {
            Self::Methods => "distinct methods",
            Self::Roles => "distinct roles",
            Self::Keys => "keys",
            Self::Credentials => "credentials",
            Self::Ranges => "distinct IP ranges",
            Self::Origins => "distinct origins",
            Self::Rules => "rules",
        }
    }

    /// The environment variable that sets it at build time (`WARDEN_MAX_RULES`, …).
    #[must_use]
    pub const fn variable(self) -> &'static str {
        match self {
            Self::Methods => "WARDEN_MAX_METHODS",
            Self::Roles => "WARDEN_MAX_ROLES",
            Self::Keys => "WARDEN_MAX_KEYS",
            Self::Credentials => "WARDEN_MAX_CREDENTIALS",
            Self::Ranges => "WARDEN_MAX_RANGES",
            Self::Origins => "WARDEN_MAX_ORIGINS",
            Self::Rules => "WARDEN_MAX_RULES",
        }
    }

    /// Name of the constant (`MAX_RULES`, …).
    #[must_use]
    pub const fn constant(self) -> &'static str {
        match self {
            Self::Methods => "MAX_METHODS",
            Self::Roles => "MAX_ROLES",
            Self::Keys => "MAX_KEYS",
            Self::Credentials => "MAX_CREDENTIALS",
            Self::Ranges => "MAX_RANGES",
            Self::Origins => "MAX_ORIGINS",
            Self::Rules => "MAX_RULES",
        }
    }
}

/// Why a compiled policy (or its keyring) was refused by [`Engine::load`](crate::Engine::load).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoadError {
    /// The blob ends before its header or body does.
    Truncated,
    /// The blob does not start with `WRDN`.
    BadMagic,
    /// The format version is not the one this build reads.
    UnsupportedVersion {
        /// Version found in the header.
        found: u16,
    },
    /// A header flag or reserved field this build does not know is set.
    UnknownFlags {
        /// The unknown value.
        flags: u16,
    },
    /// The blob is longer than its header says.
    LengthMismatch,
    /// The body does not hash to the digest in the header (corruption).
    DigestMismatch,
    /// A verify key was given but the blob is not signed.
    SignatureMissing,
    /// The signature does not verify with the given key.
    SignatureInvalid,
    /// The bundle verify key is shorter than 32 bytes.
    BundleKeyTooShort,
    /// A table is larger than this build's capacity. Its `Display` names the capacity, what
    /// the policy needs and the limit.
    CapacityExceeded {
        /// Which capacity.
        what: Capacity,
        /// Entries of that table in the policy (what it needs).
        count: usize,
        /// This build's limit.
        limit: usize,
    },
    /// The body is not a valid postcard encoding of a policy.
    BodyMalformed,
    /// The body decodes but breaks an invariant the compiler guarantees.
    Invalid(Invalid),
    /// The keyring has no secret for the policy's key number `key` (0-based `[[key]]` index).
    KeyMissing {
        /// Index of the key in the policy.
        key: usize,
    },
    /// The secret for key number `key` is shorter than its algorithm's output (RFC 7518 §3.2).
    KeyTooShort {
        /// Index of the key in the policy.
        key: usize,
        /// Shortest length allowed, in bytes.
        min: usize,
    },
    /// The keyring names the same key id twice.
    KeyringDuplicate,
    /// The policy's key number `key` needs an algorithm this build lacks (the core's cargo
    /// features `rsa`, `ecdsa` and `eddsa` choose the public-key algorithms, `hmac-sha512`
    /// HS384 and HS512).
    UnsupportedAlgorithm {
        /// Index of the key in the policy.
        key: usize,
        /// The algorithm.
        alg: crate::policy::Alg,
    },
}

/// Which invariant of a compiled policy is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Invalid {
    /// A name, id, realm or header name is empty, too long or has forbidden bytes.
    Name,
    /// A rule's path pattern is not valid.
    PathPattern {
        /// Rule index.
        rule: usize,
    },
    /// A rule names a method, role, range or origin that is not in the tables.
    Reference {
        /// Rule index.
        rule: usize,
    },
    /// A credential's role set names a role that is not in the table.
    CredentialRoles {
        /// Credential index.
        credential: usize,
    },
    /// A Basic credential has an unusable salt, iteration count, or a salt length that differs
    /// from the others'.
    Password {
        /// Credential index.
        credential: usize,
    },
    /// An IP range is not canonical (host bits set, bad prefix, bad IPv4 mapping).
    Range {
        /// Range index.
        range: usize,
    },
    /// An origin pattern is not normalized.
    Origin {
        /// Origin index.
        origin: usize,
    },
    /// Two keys, credentials or rules share an id or name, or a table has duplicates.
    Duplicate,
    /// `require_mfa` or `max_auth_age_s` on a rule that accepts no bearer tokens.
    TokenOnlyCheck {
        /// Rule index.
        rule: usize,
    },
    /// A key's public key does not fit its algorithm (wrong key type, an RSA modulus outside
    /// 2048–4096 bits or an even exponent, a point not on the curve or of small order).
    PublicKey {
        /// Key index.
        key: usize,
    },
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Name => f.write_str("a name, id, realm or header name is empty, too long or has forbidden bytes"),
            Self::PathPattern { rule } => write!(f, "rule #{rule} has an invalid path pattern"),
            Self::Reference { rule } => {
                write!(f, "rule #{rule} refers to a method, role, range or origin that does not exist")
            }
            Self::CredentialRoles { credential } => {
                write!(f, "credential #{credential} grants a role that does not exist")
            }
            Self::Password { credential } => {
                write!(f, "credential #{credential} has an unusable PBKDF2 salt or iteration count")
            }
            Self::Range { range } => write!(f, "IP range #{range} is not canonical"),
            Self::Origin { origin } => write!(f, "origin pattern #{origin} is not normalized"),
            Self::Duplicate => f.write_str("two keys, credentials, rules or table entries are the same"),
            Self::TokenOnlyCheck { rule } => {
                write!(f, "rule #{rule} sets require_mfa or max_auth_age_s but accepts no bearer tokens")
            }
            Self::PublicKey { key } => write!(f, "key #{key} has a public key that does not fit its algorithm"),
        }
    }
}

/// Why [`blob::encode`](crate::blob::encode) failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// The output buffer is too small.
    BufferTooSmall,
    /// A table or the body is too large for the format.
    TooLarge,
    /// The bundle signing key is shorter than 32 bytes.
    SignKeyTooShort,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated => f.write_str("compiled policy is truncated"),
            Self::BadMagic => f.write_str("not a compiled policy (no WRDN magic)"),
            Self::UnsupportedVersion { found } => {
                write!(
                    f,
                    "compiled policy format version {found} is not supported (this build reads {})",
                    crate::format::FORMAT_VERSION
                )
            }
            Self::UnknownFlags { flags } => write!(f, "compiled policy has unknown header flags {flags:#06x}"),
            Self::LengthMismatch => f.write_str("compiled policy length does not match its header"),
            Self::DigestMismatch => f.write_str("compiled policy body does not match its SHA-256 (corrupted)"),
            Self::SignatureMissing => f.write_str("compiled policy is not signed but a verify key was given"),
            Self::SignatureInvalid => f.write_str("compiled policy signature does not verify"),
            Self::BundleKeyTooShort => f.write_str("bundle verify key is shorter than 32 bytes"),
            Self::CapacityExceeded { what, count, limit } => write!(
                f,
                "compiled policy has {count} {}, more than this build's {} of {limit} (build with {}={count} or more)",
                what.what(),
                what.constant(),
                what.variable()
            ),
            Self::BodyMalformed => f.write_str("compiled policy body is malformed"),
            Self::Invalid(what) => write!(f, "compiled policy is invalid: {what}"),
            Self::KeyMissing { key } => write!(f, "keyring has no secret for the policy's key #{key}"),
            Self::KeyTooShort { key, min } => {
                write!(f, "secret for the policy's key #{key} is shorter than {min} bytes (RFC 7518 §3.2)")
            }
            Self::KeyringDuplicate => f.write_str("keyring names a key id twice"),
            Self::UnsupportedAlgorithm { key, alg } => write!(
                f,
                "the policy's key #{key} needs {} but this build has no {} support (enable the core's `{}` feature)",
                alg.name(),
                alg.name(),
                feature_of(*alg)
            ),
        }
    }
}

impl core::error::Error for LoadError {}

/// The core's cargo feature that provides `alg`.
const fn feature_of(alg: crate::policy::Alg) -> &'static str {
    match alg.family() {
        crate::policy::KeyFamily::Hmac => "hmac-sha512",
        crate::policy::KeyFamily::Rsa => "rsa",
        crate::policy::KeyFamily::Ec => "ecdsa",
        crate::policy::KeyFamily::Okp => "eddsa",
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::BufferTooSmall => "output buffer too small for the compiled policy",
            Self::TooLarge => "policy too large for the compiled format",
            Self::SignKeyTooShort => "bundle signing key is shorter than 32 bytes",
        })
    }
}

impl core::error::Error for EncodeError {}

#[cfg(test)]
mod tests {
    use std::string::ToString;

    use super::*;

    #[test]
    fn capacity_errors_name_the_capacity_the_need_and_the_limit() {
        let e = LoadError::CapacityExceeded { what: Capacity::Rules, count: 19, limit: 16 };
        assert_eq!(
            e.to_string(),
            "compiled policy has 19 rules, more than this build's MAX_RULES of 16 (build with WARDEN_MAX_RULES=19 or more)"
        );
    }

    #[test]
    fn every_capacity_has_its_build_setting() {
        for what in Capacity::ALL {
            let s = what.setting().unwrap();
            assert_eq!((s.variable, s.constant), (what.variable(), what.constant()));
            assert_eq!(s.value, crate::capacity::Capacities::THIS_BUILD.get(what));
            assert!(s.min <= s.default && s.default <= s.max);
        }
    }
}
