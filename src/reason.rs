//! Reasons: stable `snake_case` identifiers of why a decision was taken (SPEC §4).

/// Why a request was allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AllowReason {
    /// Authenticated and authorized.
    Allowed,
    /// The governing rule needs no authentication.
    Public,
    /// A CORS preflight that passed the network checks.
    Preflight,
}

/// Why a request got 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnauthorizedReason {
    /// The rule needs authentication and none was presented.
    CredentialsMissing,
    /// Credentials in more than one scheme, or a credential header twice.
    CredentialsAmbiguous,
    /// The presented scheme is not one the rule accepts.
    SchemeNotAccepted,
    /// The credential header, token or Basic value cannot be parsed.
    CredentialsMalformed,
    /// Unknown API key, unknown Basic user or wrong password.
    CredentialsInvalid,
    /// The token's `alg` is not the one configured for its key (including `none`).
    TokenAlgorithmRejected,
    /// The token's `kid` names no key of the policy.
    TokenUnknownKey,
    /// The token's MAC does not verify.
    TokenBadSignature,
    /// `exp` ≤ now − leeway.
    TokenExpired,
    /// `nbf` (or `iat`) > now + leeway.
    TokenNotYetValid,
    /// `iss` is not the configured issuer.
    TokenIssuerMismatch,
    /// `aud` does not contain the configured audience.
    TokenAudienceMismatch,
    /// The rule requires `mfa` in `amr` (RFC 9470 step-up).
    MfaRequired,
    /// `now - iat` exceeds the rule's `max_auth_age_s` (RFC 9470 `max_age`).
    AuthTooOld,
}

/// Why a request got 403.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ForbiddenReason {
    /// The path is not acceptable (traversal, encoded separators, control bytes, too long…).
    MalformedPath,
    /// A rule matches the path, but with other methods.
    MethodNotAllowed,
    /// No rule matches the path and method.
    NoMatchingRule,
    /// The client address is in the rule's deny list.
    IpBlocked,
    /// The rule has an allow list and the client address is absent or outside it.
    IpNotAllowed,
    /// The rule lists origins and the presented `origin` is not one of them.
    OriginNotAllowed,
    /// Authenticated, but the role requirement is not met.
    InsufficientRole,
}

/// Any reason, for code that handles all decisions alike (logs, JSON, the C ABI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// See [`AllowReason`].
    Allow(AllowReason),
    /// See [`UnauthorizedReason`].
    Unauthorized(UnauthorizedReason),
    /// See [`ForbiddenReason`].
    Forbidden(ForbiddenReason),
}

impl AllowReason {
    /// Stable identifier.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Allowed => "allowed",
            Self::Public => "public",
            Self::Preflight => "preflight",
        }
    }
}

impl UnauthorizedReason {
    /// Stable identifier.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::CredentialsMissing => "credentials_missing",
            Self::CredentialsAmbiguous => "credentials_ambiguous",
            Self::SchemeNotAccepted => "scheme_not_accepted",
            Self::CredentialsMalformed => "credentials_malformed",
            Self::CredentialsInvalid => "credentials_invalid",
            Self::TokenAlgorithmRejected => "token_algorithm_rejected",
            Self::TokenUnknownKey => "token_unknown_key",
            Self::TokenBadSignature => "token_bad_signature",
            Self::TokenExpired => "token_expired",
            Self::TokenNotYetValid => "token_not_yet_valid",
            Self::TokenIssuerMismatch => "token_issuer_mismatch",
            Self::TokenAudienceMismatch => "token_audience_mismatch",
            Self::MfaRequired => "mfa_required",
            Self::AuthTooOld => "auth_too_old",
        }
    }

    /// Every variant, in decision-table order.
    pub const ALL: [Self; 14] = [
        Self::CredentialsMissing,
        Self::CredentialsAmbiguous,
        Self::SchemeNotAccepted,
        Self::CredentialsMalformed,
        Self::CredentialsInvalid,
        Self::TokenAlgorithmRejected,
        Self::TokenUnknownKey,
        Self::TokenBadSignature,
        Self::TokenExpired,
        Self::TokenNotYetValid,
        Self::TokenIssuerMismatch,
        Self::TokenAudienceMismatch,
        Self::MfaRequired,
        Self::AuthTooOld,
    ];
}

impl ForbiddenReason {
    /// Stable identifier.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::MalformedPath => "malformed_path",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::NoMatchingRule => "no_matching_rule",
            Self::IpBlocked => "ip_blocked",
            Self::IpNotAllowed => "ip_not_allowed",
            Self::OriginNotAllowed => "origin_not_allowed",
            Self::InsufficientRole => "insufficient_role",
        }
    }

    /// Every variant, in decision-table order.
    pub const ALL: [Self; 7] = [
        Self::MalformedPath,
        Self::MethodNotAllowed,
        Self::NoMatchingRule,
        Self::IpBlocked,
        Self::IpNotAllowed,
        Self::OriginNotAllowed,
        Self::InsufficientRole,
    ];
}

impl Reason {
    /// Stable `snake_case` identifier (`allowed`, `token_expired`, …).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Allow(r) => r.as_str(),
            Self::Unauthorized(r) => r.as_str(),
            Self::Forbidden(r) => r.as_str(),
        }
    }

    /// HTTP status: 200, 401 or 403.
    #[must_use]
    pub const fn status(self) -> u16 {
        match self {
            Self::Allow(_) => 200,
            Self::Unauthorized(_) => 401,
            Self::Forbidden(_) => 403,
        }
    }

    /// Every reason: allow reasons, then 401 and 403 reasons in decision-table order.
    pub fn all() -> impl Iterator<Item = Self> {
        [AllowReason::Allowed, AllowReason::Public, AllowReason::Preflight]
            .into_iter()
            .map(Self::Allow)
            .chain(UnauthorizedReason::ALL.into_iter().map(Self::Unauthorized))
            .chain(ForbiddenReason::ALL.into_iter().map(Self::Forbidden))
    }

    /// The reason with this identifier.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::all().find(|r| r.as_str() == name)
    }
}

impl core::fmt::Display for Reason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}
