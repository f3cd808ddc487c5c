//! Every integer that crosses the boundary: result codes, decision kinds, reason codes, IP
//! families and capacities. Each is a `uint32_t` in C with explicit, stable values; zero is never a valid
//! value of any of them, so zeroed memory never reads as success or Allow.
//!
//! C passes these to Rust only as plain `uint32_t` (never as a Rust enum); the conversions
//! below map an unknown value to [`warden_result::InvalidValue`].

use warden::{AllowReason, Capacity, ForbiddenReason, LoadError, Reason, UnauthorizedReason};

/// The outcome of a fallible call. Values sit in ranges by kind:
///
/// - 1000: success;
/// - 1100–1149: an argument is wrong (a bug in the calling code);
/// - 1150–1199: the engine or decision is not in the state the call needs, or the value asked
///   for is absent;
/// - 1200–1299: the compiled policy or the keyring was refused by load;
/// - 1900–1999: an internal failure that should never happen (a caught panic).
///
/// Retired values are never reused. `warden_result_message` describes each.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum warden_result {
    /// Success.
    Ok = 1000,
    /// A pointer argument is NULL where NULL is not allowed.
    NullParameter = 1101,
    /// A length is 0 where an empty value is not allowed, or larger than `PTRDIFF_MAX`.
    InvalidLength = 1102,
    /// A pointer is not aligned for its type (for engine memory: `warden_engine_align()`).
    Misaligned = 1103,
    /// The caller's buffer is too small; `*out_len` (or `warden_engine_size()`) tells the size
    /// needed. Nothing was truncated.
    BufferTooSmall = 1104,
    /// An integer argument is not one of its documented values (e.g. an IP family).
    InvalidValue = 1105,
    /// A key id is not UTF-8.
    InvalidUtf8 = 1106,
    /// More than `WARDEN_MAX_HEADERS` headers; an HTTP host answers 431.
    TooManyHeaders = 1107,
    /// More than `WARDEN_MAX_KEYRING` keys.
    TooManyKeys = 1108,
    /// An index is not below the matching count.
    IndexOutOfRange = 1109,
    /// The engine memory does not hold a loaded engine (never loaded, load failed, cleared).
    NotLoaded = 1151,
    /// The decision was not filled by a successful `warden_evaluate`.
    NoDecision = 1152,
    /// The engine that made the decision was cleared or reloaded since.
    StaleDecision = 1153,
    /// The decision carries no such value (a subject on a 401, CORS on an `ip_blocked` 403, …).
    Absent = 1154,
    /// Load: the compiled policy ends before its header or body does.
    Truncated = 1201,
    /// Load: not a compiled policy (no `WRDN` magic).
    BadMagic = 1202,
    /// Load: a compiled-policy format version this build does not read.
    UnsupportedVersion = 1203,
    /// Load: unknown header flags.
    UnknownFlags = 1204,
    /// Load: the length does not match the header.
    LengthMismatch = 1205,
    /// Load: the body does not match its SHA-256 (corruption).
    DigestMismatch = 1206,
    /// Load: a verify key was given but the compiled policy is not signed.
    SignatureMissing = 1207,
    /// Load: the signature does not verify with the given key.
    SignatureInvalid = 1208,
    /// Load: the bundle verify key is shorter than 32 bytes.
    BundleKeyTooShort = 1209,
    /// Load: a table is larger than this build's capacity (`WARDEN_MAX_*`).
    CapacityExceeded = 1210,
    /// Load: the body is not a valid encoding of a policy.
    BodyMalformed = 1211,
    /// Load: the body breaks an invariant the compiler guarantees.
    PolicyInvalid = 1212,
    /// Load: the keyring has no secret for one of the policy's keys.
    KeyMissing = 1213,
    /// Load: a secret is shorter than its algorithm's output (RFC 7518 §3.2).
    KeyTooShort = 1214,
    /// Load: the keyring names the same key id twice.
    KeyringDuplicate = 1215,
    /// Load: a key of the policy needs a public-key algorithm this build lacks (the core's
    /// cargo features `rsa`, `ecdsa`, `eddsa`).
    UnsupportedAlgorithm = 1216,
    /// Load: refused for a reason newer than this list.
    LoadFailed = 1299,
    /// A panic was caught at the boundary (a bug in Warden; please report it).
    Panic = 1900,
    /// An internal limit was broken (a bug in Warden; please report it).
    Internal = 1901,
}

impl warden_result {
    /// Every value, for the integer → code conversion.
    pub(crate) const ALL: [Self; 33] = [
        Self::Ok,
        Self::NullParameter,
        Self::InvalidLength,
        Self::Misaligned,
        Self::BufferTooSmall,
        Self::InvalidValue,
        Self::InvalidUtf8,
        Self::TooManyHeaders,
        Self::TooManyKeys,
        Self::IndexOutOfRange,
        Self::NotLoaded,
        Self::NoDecision,
        Self::StaleDecision,
        Self::Absent,
        Self::Truncated,
        Self::BadMagic,
        Self::UnsupportedVersion,
        Self::UnknownFlags,
        Self::LengthMismatch,
        Self::DigestMismatch,
        Self::SignatureMissing,
        Self::SignatureInvalid,
        Self::BundleKeyTooShort,
        Self::CapacityExceeded,
        Self::BodyMalformed,
        Self::PolicyInvalid,
        Self::KeyMissing,
        Self::KeyTooShort,
        Self::KeyringDuplicate,
        Self::UnsupportedAlgorithm,
        Self::LoadFailed,
        Self::Panic,
        Self::Internal,
    ];

    /// The code with this value, if there is one.
    pub(crate) fn from_u32(value: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|c| *c as u32 == value)
    }

    /// A one-line description.
    pub(crate) const fn message(self) -> &'static str {
        match self {
            Self::Ok => "success",
            Self::NullParameter => "a pointer argument is NULL",
            Self::InvalidLength => "a length is zero where a value is required, or too large",
            Self::Misaligned => "a pointer is not aligned for its type",
            Self::BufferTooSmall => "the buffer is too small; *out_len holds the size needed",
            Self::InvalidValue => "an integer argument is not one of its documented values",
            Self::InvalidUtf8 => "a key id is not UTF-8",
            Self::TooManyHeaders => "more request headers than WARDEN_MAX_HEADERS",
            Self::TooManyKeys => "more keys than WARDEN_MAX_KEYRING",
            Self::IndexOutOfRange => "the index is not below the count",
            Self::NotLoaded => "the engine memory does not hold a loaded engine",
            Self::NoDecision => "the decision was not filled by a successful warden_evaluate",
            Self::StaleDecision => "the engine that made this decision was cleared or reloaded",
            Self::Absent => "the decision carries no such value",
            Self::Truncated => "compiled policy is truncated",
            Self::BadMagic => "not a compiled policy (no WRDN magic)",
            Self::UnsupportedVersion => "compiled policy format version is not supported by this build",
            Self::UnknownFlags => "compiled policy has unknown header flags",
            Self::LengthMismatch => "compiled policy length does not match its header",
            Self::DigestMismatch => "compiled policy body does not match its SHA-256 (corrupted)",
            Self::SignatureMissing => "compiled policy is not signed but a verify key was given",
            Self::SignatureInvalid => "compiled policy signature does not verify",
            Self::BundleKeyTooShort => "bundle verify key is shorter than 32 bytes",
            Self::CapacityExceeded => "compiled policy exceeds a capacity of this build (WARDEN_MAX_*)",
            Self::BodyMalformed => "compiled policy body is malformed",
            Self::PolicyInvalid => "compiled policy breaks an invariant of the format",
            Self::KeyMissing => "keyring has no secret for one of the policy's keys",
            Self::KeyTooShort => "a keyring secret is shorter than its algorithm's output (RFC 7518 section 3.2)",
            Self::KeyringDuplicate => "keyring names a key id twice",
            Self::UnsupportedAlgorithm => {
                "compiled policy has a key whose algorithm this build does not support (core features rsa, ecdsa, eddsa)"
            }
            Self::LoadFailed => "compiled policy refused",
            Self::Panic => "internal error: a panic was caught at the C boundary",
            Self::Internal => "internal error: an internal limit was broken",
        }
    }
}

impl From<LoadError> for warden_result {
    fn from(e: LoadError) -> Self {
        match e {
            LoadError::Truncated => Self::Truncated,
            LoadError::BadMagic => Self::BadMagic,
            LoadError::UnsupportedVersion { .. } => Self::UnsupportedVersion,
            LoadError::UnknownFlags { .. } => Self::UnknownFlags,
            LoadError::LengthMismatch => Self::LengthMismatch,
            LoadError::DigestMismatch => Self::DigestMismatch,
            LoadError::SignatureMissing => Self::SignatureMissing,
            LoadError::SignatureInvalid => Self::SignatureInvalid,
            LoadError::BundleKeyTooShort => Self::BundleKeyTooShort,
            LoadError::CapacityExceeded { .. } => Self::CapacityExceeded,
            LoadError::BodyMalformed => Self::BodyMalformed,
            LoadError::Invalid(_) => Self::PolicyInvalid,
            LoadError::KeyMissing { .. } => Self::KeyMissing,
            LoadError::KeyTooShort { .. } => Self::KeyTooShort,
            LoadError::KeyringDuplicate => Self::KeyringDuplicate,
            LoadError::UnsupportedAlgorithm { .. } => Self::UnsupportedAlgorithm,
            // LoadError is #[non_exhaustive]: a newer refusal still fails closed.
            _ => Self::LoadFailed,
        }
    }
}

/// The table capacities of a build (`WARDEN_MAX_*` at build time), as
/// `warden_load_error.capacity` names them for `WARDEN_RESULT_CAPACITY_EXCEEDED`. `0` is never
/// a capacity: the field reads 0 for every other result.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum warden_capacity {
    /// `WARDEN_MAX_METHODS`: distinct HTTP methods the rules name.
    Methods = 1,
    /// `WARDEN_MAX_ROLES`: distinct role names.
    Roles = 2,
    /// `WARDEN_MAX_KEYS`: `[[key]]`s.
    Keys = 3,
    /// `WARDEN_MAX_CREDENTIALS`: API keys and Basic users together.
    Credentials = 4,
    /// `WARDEN_MAX_RANGES`: distinct IP ranges.
    Ranges = 5,
    /// `WARDEN_MAX_ORIGINS`: distinct origin patterns.
    Origins = 6,
    /// `WARDEN_MAX_RULES`: rules.
    Rules = 7,
}

impl warden_capacity {
    /// The code of a core capacity; `None` for one newer than this list.
    pub(crate) const fn of(c: Capacity) -> Option<Self> {
        Some(match c {
            Capacity::Methods => Self::Methods,
            Capacity::Roles => Self::Roles,
            Capacity::Keys => Self::Keys,
            Capacity::Credentials => Self::Credentials,
            Capacity::Ranges => Self::Ranges,
            Capacity::Origins => Self::Origins,
            Capacity::Rules => Self::Rules,
            // Capacity is #[non_exhaustive]: a newer one has no code yet.
            _ => return None,
        })
    }

    /// The core capacity of a code value.
    pub(crate) fn core_from_u32(value: u32) -> Option<Capacity> {
        Capacity::ALL.into_iter().find(|c| Self::of(*c).is_some_and(|k| k as u32 == value))
    }
}

/// The three kinds of decision. `0` is never a kind: accessors return it for "no decision".
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum warden_kind {
    /// Let the request through.
    Allow = 1,
    /// HTTP 401, with `WWW-Authenticate` challenges.
    Unauthorized = 2,
    /// HTTP 403.
    Forbidden = 3,
}

/// Why a decision was taken. `reason / 100` is the HTTP status (200, 401, 403); the last two
/// digits follow the decision table of the specification. `warden_reason_name` gives the
/// stable `snake_case` identifier.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum warden_reason {
    /// `allowed`: authenticated and authorized.
    Allowed = 20001,
    /// `public`: the governing rule needs no authentication.
    Public = 20002,
    /// `preflight`: a CORS preflight that passed the network checks.
    Preflight = 20003,
    /// `credentials_missing`.
    CredentialsMissing = 40101,
    /// `credentials_ambiguous`.
    CredentialsAmbiguous = 40102,
    /// `scheme_not_accepted`.
    SchemeNotAccepted = 40103,
    /// `credentials_malformed`.
    CredentialsMalformed = 40104,
    /// `credentials_invalid`.
    CredentialsInvalid = 40105,
    /// `token_algorithm_rejected`.
    TokenAlgorithmRejected = 40106,
    /// `token_unknown_key`.
    TokenUnknownKey = 40107,
    /// `token_bad_signature`.
    TokenBadSignature = 40108,
    /// `token_expired`.
    TokenExpired = 40109,
    /// `token_not_yet_valid`.
    TokenNotYetValid = 40110,
    /// `token_issuer_mismatch`.
    TokenIssuerMismatch = 40111,
    /// `token_audience_mismatch`.
    TokenAudienceMismatch = 40112,
    /// `mfa_required`.
    MfaRequired = 40113,
    /// `auth_too_old`.
    AuthTooOld = 40114,
    /// `malformed_path`.
    MalformedPath = 40301,
    /// `method_not_allowed`.
    MethodNotAllowed = 40302,
    /// `no_matching_rule`.
    NoMatchingRule = 40303,
    /// `ip_blocked`.
    IpBlocked = 40304,
    /// `ip_not_allowed`.
    IpNotAllowed = 40305,
    /// `origin_not_allowed`.
    OriginNotAllowed = 40306,
    /// `insufficient_role`.
    InsufficientRole = 40307,
}

impl From<Reason> for warden_reason {
    fn from(r: Reason) -> Self {
        use {AllowReason as A, ForbiddenReason as F, UnauthorizedReason as U};
        // Exhaustive on purpose: a new core reason must get a code before this builds.
        match r {
            Reason::Allow(A::Allowed) => Self::Allowed,
            Reason::Allow(A::Public) => Self::Public,
            Reason::Allow(A::Preflight) => Self::Preflight,
            Reason::Unauthorized(U::CredentialsMissing) => Self::CredentialsMissing,
            Reason::Unauthorized(U::CredentialsAmbiguous) => Self::CredentialsAmbiguous,
            Reason::Unauthorized(U::SchemeNotAccepted) => Self::SchemeNotAccepted,
            Reason::Unauthorized(U::CredentialsMalformed) => Self::CredentialsMalformed,
            Reason::Unauthorized(U::CredentialsInvalid) => Self::CredentialsInvalid,
            Reason::Unauthorized(U::TokenAlgorithmRejected) => Self::TokenAlgorithmRejected,
            Reason::Unauthorized(U::TokenUnknownKey) => Self::TokenUnknownKey,
            Reason::Unauthorized(U::TokenBadSignature) => Self::TokenBadSignature,
            Reason::Unauthorized(U::TokenExpired) => Self::TokenExpired,
            Reason::Unauthorized(U::TokenNotYetValid) => Self::TokenNotYetValid,
            Reason::Unauthorized(U::TokenIssuerMismatch) => Self::TokenIssuerMismatch,
            Reason::Unauthorized(U::TokenAudienceMismatch) => Self::TokenAudienceMismatch,
            Reason::Unauthorized(U::MfaRequired) => Self::MfaRequired,
            Reason::Unauthorized(U::AuthTooOld) => Self::AuthTooOld,
            Reason::Forbidden(F::MalformedPath) => Self::MalformedPath,
            Reason::Forbidden(F::MethodNotAllowed) => Self::MethodNotAllowed,
            Reason::Forbidden(F::NoMatchingRule) => Self::NoMatchingRule,
            Reason::Forbidden(F::IpBlocked) => Self::IpBlocked,
            Reason::Forbidden(F::IpNotAllowed) => Self::IpNotAllowed,
            Reason::Forbidden(F::OriginNotAllowed) => Self::OriginNotAllowed,
            Reason::Forbidden(F::InsufficientRole) => Self::InsufficientRole,
        }
    }
}

impl warden_reason {
    /// The core reason with this code value, if there is one.
    pub(crate) fn core_from_u32(value: u32) -> Option<Reason> {
        Reason::all().find(|r| Self::from(*r) as u32 == value)
    }
}

/// How `warden_request.ip_family` says whether the client address is known. `0` is refused
/// (`WARDEN_RESULT_INVALID_VALUE`) so that a zero-initialised request cannot silently skip the
/// policy's IP checks: say `WARDEN_IP_FAMILY_NONE` explicitly when there is no address.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum warden_ip_family {
    /// No client address: IP deny lists cannot match, rules with an allow list answer 403.
    None = 1,
    /// IPv4: the address is in `ip[0..4]`, network order.
    V4 = 4,
    /// IPv6: the address is `ip[0..16]`, network order (`::ffff:a.b.c.d` counts as IPv4).
    V6 = 6,
}

impl warden_ip_family {
    /// The family with this value, if there is one.
    pub(crate) const fn from_u32(value: u32) -> Option<Self> {
        match value {
            1 => Some(Self::None),
            4 => Some(Self::V4),
            6 => Some(Self::V6),
            _ => None,
        }
    }
}
