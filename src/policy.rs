//! The compiled policy: one set of types shared by the compiler (`warden compile`) and the
//! engine, encoded with postcard.
//!
//! The compiler resolves everything it can so that the engine does no interpretation: role
//! names become bit positions in a [`RoleSet`], IP ranges and origin patterns are pooled into
//! policy-wide tables that rules reference by bit, `[defaults]` are merged into every rule, and
//! strings are normalized (lowercase hosts, default ports removed). Strings are borrowed from
//! the blob, so a loaded engine costs RAM only for the fixed-size tables.
//!
//! The wire format is versioned by [`FORMAT_VERSION`](crate::blob::FORMAT_VERSION), apart
//! from the crate version; `docs/format.md` describes it.

use heapless::Vec;
use serde::{Deserialize, Serialize};

use crate::capacity::{MAX_CREDENTIALS, MAX_KEYS, MAX_METHODS, MAX_ORIGINS, MAX_RANGES, MAX_ROLES, MAX_RULES};

/// A compiled policy, as decoded from the blob body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyBody<'a> {
    /// Policy name (informational).
    #[serde(borrow)]
    pub name: &'a str,
    /// Realm named in every challenge.
    pub realm: &'a str,
    /// Evaluation settings.
    pub settings: Settings<'a>,
    /// CORS answer settings.
    pub cors: CorsSettings<'a>,
    /// Method tokens named by rules; a rule's [`MethodSet`] bit `i` means `methods[i]`.
    pub methods: Vec<&'a str, MAX_METHODS>,
    /// Role names; a [`RoleSet`] bit `i` means `roles[i]`.
    pub roles: Vec<&'a str, MAX_ROLES>,
    /// HMAC verification keys (ids and claims rules; secrets come from the keyring at load).
    pub keys: Vec<KeySpec<'a>, MAX_KEYS>,
    /// API keys and Basic users.
    pub credentials: Vec<Credential<'a>, MAX_CREDENTIALS>,
    /// IP ranges; a [`RangeSet`] bit `i` means `ranges[i]`.
    pub ranges: Vec<IpRange, MAX_RANGES>,
    /// Origin patterns; an [`OriginSet`] bit `i` means `origins[i]`.
    pub origins: Vec<OriginPattern<'a>, MAX_ORIGINS>,
    /// Rules, in source order.
    pub rules: Vec<Rule<'a>, MAX_RULES>,
}

/// `[settings]` of the policy source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings<'a> {
    /// Clock-skew tolerance for `exp`, `nbf` and `iat`, in seconds.
    pub leeway_s: u32,
    /// An Allow by token carries `refresh_advised` when `exp - now` is below this.
    pub refresh_window_s: u32,
    /// Lowercase name of the header that carries API keys.
    pub api_key_header: &'a str,
    /// What an unmatched method and path get.
    pub on_no_match: OnNoMatch,
}

impl Settings<'static> {
    /// What a policy source gets for each `[settings]` field it leaves out.
    pub const DEFAULT: Self =
        Self { leeway_s: 60, refresh_window_s: 300, api_key_header: "x-api-key", on_no_match: OnNoMatch::Forbid };
}

/// Decision for a request that no rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OnNoMatch {
    /// 403 `no_matching_rule` (or `method_not_allowed`).
    Forbid,
}

/// `[cors]` of the policy source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorsSettings<'a> {
    /// `Access-Control-Allow-Headers` value, lowercase names joined by `", "`.
    pub allow_headers: &'a str,
    /// `Access-Control-Max-Age` in seconds.
    pub max_age_s: u32,
    /// Whether `Access-Control-Allow-Credentials: true` is sent.
    pub allow_credentials: bool,
}

impl CorsSettings<'static> {
    /// What a policy source gets for each `[cors]` field it leaves out.
    pub const DEFAULT: Self =
        Self { allow_headers: "authorization, content-type", max_age_s: 600, allow_credentials: false };
}

/// A JWS algorithm (RFC 7518 §3.1, RFC 8037 §3.1): the one algorithm a key verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Alg {
    /// HMAC-SHA-256.
    Hs256,
    /// HMAC-SHA-384.
    Hs384,
    /// HMAC-SHA-512.
    Hs512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    Rs384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    Rs512,
    /// RSASSA-PSS with SHA-256, MGF1 with SHA-256, 32-byte salt.
    Ps256,
    /// RSASSA-PSS with SHA-384, MGF1 with SHA-384, 48-byte salt.
    Ps384,
    /// RSASSA-PSS with SHA-512, MGF1 with SHA-512, 64-byte salt.
    Ps512,
    /// ECDSA on P-256 with SHA-256.
    Es256,
    /// ECDSA on P-384 with SHA-384.
    Es384,
    /// EdDSA; Warden verifies the Ed25519 curve only (RFC 8037).
    EdDsa,
}

/// The key type an algorithm needs (the JWK `kty`, RFC 7518 §6.1, RFC 8037 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFamily {
    /// A shared secret (`oct`): HMAC; the secret comes from the keyring.
    Hmac,
    /// An RSA public key (`RSA`).
    Rsa,
    /// An elliptic-curve point (`EC`).
    Ec,
    /// An Edwards-curve point (`OKP`).
    Okp,
}

impl Alg {
    /// Every algorithm, in wire order.
    pub const ALL: [Self; 12] = [
        Self::Hs256,
        Self::Hs384,
        Self::Hs512,
        Self::Rs256,
        Self::Rs384,
        Self::Rs512,
        Self::Ps256,
        Self::Ps384,
        Self::Ps512,
        Self::Es256,
        Self::Es384,
        Self::EdDsa,
    ];

    /// The JOSE name (`HS256`, `RS256`, …, `EdDSA`).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Hs256 => "HS256",
            Self::Hs384 => "HS384",
            Self::Hs512 => "HS512",
            Self::Rs256 => "RS256",
            Self::Rs384 => "RS384",
            Self::Rs512 => "RS512",
            Self::Ps256 => "PS256",
            Self::Ps384 => "PS384",
            Self::Ps512 => "PS512",
            Self::Es256 => "ES256",
            Self::Es384 => "ES384",
            Self::EdDsa => "EdDSA",
        }
    }

    /// The key type this algorithm verifies with.
    #[must_use]
    pub const fn family(self) -> KeyFamily {
        match self {
            Self::Hs256 | Self::Hs384 | Self::Hs512 => KeyFamily::Hmac,
            Self::Rs256 | Self::Rs384 | Self::Rs512 | Self::Ps256 | Self::Ps384 | Self::Ps512 => KeyFamily::Rsa,
            Self::Es256 | Self::Es384 => KeyFamily::Ec,
            Self::EdDsa => KeyFamily::Okp,
        }
    }

    /// Whether this is an HMAC algorithm (its key is a secret from the keyring).
    #[must_use]
    pub const fn is_hmac(self) -> bool {
        matches!(self.family(), KeyFamily::Hmac)
    }

    /// For HMAC, the MAC length in bytes, which is also the shortest key RFC 7518 §3.2 allows;
    /// for the public-key algorithms, the hash length (ECDSA's and EdDSA's signatures are twice
    /// the field size, RSA's as long as the modulus).
    #[must_use]
    pub const fn output_len(self) -> usize {
        match self {
            Self::Hs256 | Self::Rs256 | Self::Ps256 | Self::Es256 => 32,
            Self::Hs384 | Self::Rs384 | Self::Ps384 | Self::Es384 => 48,
            Self::Hs512 | Self::Rs512 | Self::Ps512 | Self::EdDsa => 64,
        }
    }

    /// Parses a JOSE `alg` value; exact and case-sensitive as RFC 7515 requires.
    #[must_use]
    pub fn from_name(name: &[u8]) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name().as_bytes() == name)
    }
}

/// A `[[key]]`: how tokens signed with this key are checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySpec<'a> {
    /// Key id, matched against the JWT header `kid`.
    pub id: &'a str,
    /// The only algorithm this key verifies.
    pub alg: Alg,
    /// Required `iss`, if any.
    pub issuer: Option<&'a str>,
    /// Required member of `aud`, if any.
    pub audience: Option<&'a str>,
    /// Name of the array claim holding role names (`scope` is always read too).
    pub roles_claim: &'a str,
    /// The verification key: a public key compiled from a JWK Set, or [`PublicKey::Secret`]
    /// for HMAC (the secret is never in the policy; it comes from the keyring at load).
    #[serde(borrow)]
    pub public_key: PublicKey<'a>,
}

/// A public verification key, as compiled from a JWK (RFC 7517, RFC 7518 §6, RFC 8037 §2).
/// Public keys are not secrets: they live in the compiled policy and are read in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PublicKey<'a> {
    /// No public key: an HMAC key, whose secret comes from the keyring.
    Secret,
    /// An RSA public key (RFC 8017 §3.1).
    Rsa {
        /// Modulus, big-endian without leading zero bytes, 2048 to 4096 bits.
        #[serde(borrow)]
        n: &'a [u8],
        /// Public exponent: odd, at least 3.
        e: u32,
    },
    /// A point on P-256 (ES256) or P-384 (ES384), SEC1 uncompressed: `04 ‖ x ‖ y`.
    Ec {
        /// 65 bytes for P-256, 97 for P-384.
        #[serde(borrow)]
        sec1: &'a [u8],
    },
    /// An Ed25519 public key, the 32-byte encoding of RFC 8032 §5.1.2.
    Ed25519 {
        /// The encoded point.
        a: [u8; 32],
    },
}

impl PublicKey<'_> {
    /// The key's size in bits, as `warden inspect` reports it: the RSA modulus length, the
    /// curve's field size, 0 for an HMAC key.
    #[must_use]
    pub fn bits(&self) -> usize {
        match self {
            Self::Secret => 0,
            Self::Rsa { n, .. } => {
                let lead = n.first().map_or(0, |b| b.leading_zeros());
                n.len().saturating_mul(8).saturating_sub(usize::try_from(lead).unwrap_or(0))
            }
            Self::Ec { sec1 } => sec1.len().saturating_sub(1).saturating_mul(4),
            Self::Ed25519 { .. } => 256,
        }
    }
}

/// A `[[credential]]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential<'a> {
    /// Credential id: the subject of an API-key request.
    pub id: &'a str,
    /// Roles granted.
    pub roles: RoleSet,
    /// What is presented.
    pub kind: CredentialKind<'a>,
}

/// How a credential is presented.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CredentialKind<'a> {
    /// An API key, stored as the SHA-256 of its exact bytes.
    ApiKey {
        /// SHA-256 of the key (secret).
        sha256: [u8; 32],
    },
    /// RFC 7617 Basic, PBKDF2-HMAC-SHA256.
    Basic {
        /// User id (the subject of a Basic request).
        user: &'a str,
        /// PBKDF2 iteration count.
        iterations: u32,
        /// Salt; every Basic credential of a policy has the same salt length.
        #[serde(borrow)]
        salt: &'a [u8],
        /// Derived key, 32 bytes (secret).
        hash: [u8; 32],
    },
}

/// An IP range. IPv4 ranges are stored IPv4-mapped (`::ffff:a.b.c.d`) with `v4 = true` and the
/// prefix counted over all 128 bits, so one comparison serves both families; a v4 range never
/// matches a v6 address and the other way round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpRange {
    /// Network address, host bits zero.
    pub addr: [u8; 16],
    /// Prefix length over 128 bits (96..=128 for IPv4).
    pub prefix: u8,
    /// Whether this is an IPv4 range.
    pub v4: bool,
}

/// A normalized origin pattern.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OriginPattern<'a> {
    /// `*`: any valid origin serialization.
    Any,
    /// `null`: the literal `null` origin.
    Null,
    /// One origin: lowercase scheme and host, port `None` when absent or the scheme default.
    Exact {
        /// Lowercase scheme.
        scheme: &'a str,
        /// Lowercase host.
        host: &'a str,
        /// Explicit non-default port.
        port: Option<u16>,
    },
    /// `scheme://*.suffix[:port]`: one or more labels before `.suffix`, never `suffix` itself.
    Subdomains {
        /// Lowercase scheme.
        scheme: &'a str,
        /// Lowercase host suffix without the leading dot.
        suffix: &'a str,
        /// Explicit non-default port.
        port: Option<u16>,
    },
}

/// Authentication scheme a rule accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scheme {
    /// `Authorization: Bearer <JWT>`.
    Bearer,
    /// The policy's API-key header.
    ApiKey,
    /// `Authorization: Basic …`.
    Basic,
}

impl Scheme {
    /// Name used in policies and JSON (`bearer`, `api_key`, `basic`).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Bearer => "bearer",
            Self::ApiKey => "api_key",
            Self::Basic => "basic",
        }
    }
}

/// A rule, with `[defaults]` already merged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule<'a> {
    /// Rule name.
    pub name: &'a str,
    /// Methods (bits of [`PolicyBody::methods`]); ignored when `any_method`.
    pub methods: MethodSet,
    /// `methods = ["*"]`.
    pub any_method: bool,
    /// Normalized path pattern (see `docs/policy.md`).
    pub path: &'a str,
    /// Accepted schemes in the policy's order; empty = public.
    pub auth: Vec<Scheme, 3>,
    /// At least one of these roles (if any).
    pub roles_any: RoleSet,
    /// Every one of these roles.
    pub roles_all: RoleSet,
    /// Allowed client ranges; empty = any address.
    pub ip_allow: RangeSet,
    /// Denied client ranges (rule's own plus `[defaults]`); deny wins.
    pub ip_deny: RangeSet,
    /// Allowed origins; empty = origin not checked, no CORS answer.
    pub origins: OriginSet,
    /// Token `amr` must contain `mfa`.
    pub require_mfa: bool,
    /// `now - iat` must be at most this.
    pub max_auth_age_s: Option<u32>,
}

macro_rules! bitset {
    ($(#[$doc:meta])* $name:ident, $int:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub struct $name(pub $int);

        impl $name {
            /// The empty set.
            pub const EMPTY: Self = Self(0);

            /// Whether bit `i` is set (false when `i` is out of range).
            #[must_use]
            pub fn contains(self, i: usize) -> bool {
                u32::try_from(i)
                    .ok()
                    .and_then(|i| self.0.checked_shr(i))
                    .is_some_and(|v| v & 1 == 1)
            }

            /// The set with bit `i` added (unchanged when `i` is out of range).
            #[must_use]
            pub fn with(self, i: usize) -> Self {
                let bit = u32::try_from(i).ok().and_then(|i| <$int>::checked_shl(1, i)).unwrap_or(0);
                Self(self.0 | bit)
            }

            /// Whether the set is empty.
            #[must_use]
            pub const fn is_empty(self) -> bool {
                self.0 == 0
            }

            /// Indices of the set bits, lowest first.
            pub fn iter(self) -> impl Iterator<Item = usize> {
                let bits = self.0;
                (0..<$int>::BITS).filter(move |i| (bits >> i) & 1 == 1).filter_map(|i| usize::try_from(i).ok())
            }

            /// Whether every set bit is below `len`.
            #[must_use]
            pub fn fits(self, len: usize) -> bool {
                self.iter().all(|i| i < len)
            }
        }
    };
}

bitset!(
    /// Set of role indices into [`PolicyBody::roles`].
    RoleSet,
    u64
);
bitset!(
    /// Set of range indices into [`PolicyBody::ranges`].
    RangeSet,
    u64
);
bitset!(
    /// Set of origin indices into [`PolicyBody::origins`].
    OriginSet,
    u64
);
bitset!(
    /// Set of method indices into [`PolicyBody::methods`].
    MethodSet,
    u32
);
