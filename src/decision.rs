//! Decisions and what they carry: subject, roles, CORS answer, `WWW-Authenticate` challenges.
//!
//! Challenges are rendered into caller-provided buffers ([`Challenge::render`]) without
//! `core::fmt`, so firmware that never prints pays nothing for formatting; a [`Display`]
//! implementation exists for hosts that want one.
//!
//! [`Display`]: core::fmt::Display

use core::fmt;

use crate::capacity::MAX_SUBJECT;
use crate::policy::{MethodSet, RoleSet, Scheme};
use crate::reason::{AllowReason, ForbiddenReason, Reason, UnauthorizedReason};

/// The answer to one request. Exhaustive on purpose: a new kind of outcome must break callers'
/// builds rather than fall into a wildcard arm.
#[must_use]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision<'a> {
    /// Let the request through (HTTP 200 from Warden's point of view).
    Allow(Allowed<'a>),
    /// HTTP 401 with `WWW-Authenticate` challenges.
    Unauthorized(Unauthorized<'a>),
    /// HTTP 403.
    Forbidden(Forbidden<'a>),
}

/// Details of an Allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowed<'a> {
    pub(crate) reason: AllowReason,
    pub(crate) rule: &'a str,
    pub(crate) subject: Option<Subject<'a>>,
    pub(crate) roles: Roles<'a>,
    pub(crate) refresh_advised: bool,
    pub(crate) cors: Option<CorsAnswer<'a>>,
}

/// Details of a 401.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unauthorized<'a> {
    pub(crate) reason: UnauthorizedReason,
    pub(crate) rule: &'a str,
    pub(crate) challenges: Challenges<'a>,
    pub(crate) cors: Option<CorsAnswer<'a>>,
}

/// Details of a 403.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forbidden<'a> {
    pub(crate) reason: ForbiddenReason,
    pub(crate) rule: Option<&'a str>,
    pub(crate) subject: Option<Subject<'a>>,
    pub(crate) roles: Roles<'a>,
    pub(crate) challenge: Option<Challenge<'a>>,
    pub(crate) cors: Option<CorsAnswer<'a>>,
}

impl<'a> Decision<'a> {
    /// The reason.
    pub const fn reason(&self) -> Reason {
        match self {
            Self::Allow(a) => Reason::Allow(a.reason),
            Self::Unauthorized(u) => Reason::Unauthorized(u.reason),
            Self::Forbidden(f) => Reason::Forbidden(f.reason),
        }
    }

    /// HTTP status: 200, 401 or 403.
    pub const fn status(&self) -> u16 {
        self.reason().status()
    }

    /// Whether this is an Allow.
    pub const fn is_allow(&self) -> bool {
        matches!(self, Self::Allow(_))
    }

    /// Name of the governing rule; `None` for `malformed_path`, `no_matching_rule` and
    /// `method_not_allowed`.
    pub const fn rule(&self) -> Option<&'a str> {
        match self {
            Self::Allow(a) => Some(a.rule),
            Self::Unauthorized(u) => Some(u.rule),
            Self::Forbidden(f) => f.rule,
        }
    }

    /// Who was authenticated: credential id, Basic user or token `sub`. Present on an Allow by
    /// credentials or token (unless the token has no `sub`) and on `insufficient_role`.
    pub fn subject(&self) -> Option<&str> {
        match self {
            Self::Allow(a) => a.subject.as_ref().map(Subject::as_str),
            Self::Unauthorized(_) => None,
            Self::Forbidden(f) => f.subject.as_ref().map(Subject::as_str),
        }
    }

    /// Roles of the subject that the policy knows (empty when there is no subject).
    pub const fn roles(&self) -> Roles<'a> {
        match self {
            Self::Allow(a) => a.roles,
            Self::Unauthorized(_) => Roles::NONE,
            Self::Forbidden(f) => f.roles,
        }
    }

    /// Whether the token expires within the policy's `refresh_window_s`.
    pub const fn refresh_advised(&self) -> bool {
        match self {
            Self::Allow(a) => a.refresh_advised,
            _ => false,
        }
    }

    /// The CORS answer: present when the governing rule lists origins and the request sent an
    /// allowed `origin`, on an Allow (every preflight Allow included) and on a 401 or 403
    /// decided after the origin check (every 401, and `insufficient_role`), so that a browser
    /// page can read the denial. Send a denial's answer with
    /// `Access-Control-Expose-Headers: WWW-Authenticate`. `None` for a rule without origins and
    /// for the 403s of rows 1–6.
    pub const fn cors(&self) -> Option<&CorsAnswer<'a>> {
        match self {
            Self::Allow(a) => a.cors.as_ref(),
            Self::Unauthorized(u) => u.cors.as_ref(),
            Self::Forbidden(f) => f.cors.as_ref(),
        }
    }

    /// `WWW-Authenticate` challenges: one per accepted scheme on a 401, the
    /// `insufficient_scope` challenge on a bearer `insufficient_role`, none otherwise.
    pub fn challenges(&self) -> impl Iterator<Item = Challenge<'a>> + 'a {
        let (list, single) = match self {
            Self::Unauthorized(u) => (Some(u.challenges), None),
            Self::Forbidden(f) => (None, f.challenge),
            Self::Allow(_) => (None, None),
        };
        list.into_iter().flatten().chain(single)
    }
}

impl<'a> Allowed<'a> {
    /// Why.
    pub const fn reason(&self) -> AllowReason {
        self.reason
    }
    /// Governing rule.
    pub const fn rule(&self) -> &'a str {
        self.rule
    }
    /// The CORS answer, when the rule lists origins and an allowed `origin` was sent.
    pub const fn cors(&self) -> Option<&CorsAnswer<'a>> {
        self.cors.as_ref()
    }
}

impl<'a> Unauthorized<'a> {
    /// Why.
    pub const fn reason(&self) -> UnauthorizedReason {
        self.reason
    }
    /// Governing rule.
    pub const fn rule(&self) -> &'a str {
        self.rule
    }
    /// The challenges (one per accepted scheme).
    pub const fn challenges(&self) -> Challenges<'a> {
        self.challenges
    }
    /// The CORS answer, when the rule lists origins and an allowed `origin` was sent: every 401
    /// is decided after the origin check, so a browser page may read it (send it with
    /// `Access-Control-Expose-Headers: WWW-Authenticate`).
    pub const fn cors(&self) -> Option<&CorsAnswer<'a>> {
        self.cors.as_ref()
    }
}

impl<'a> Forbidden<'a> {
    /// Why.
    pub const fn reason(&self) -> ForbiddenReason {
        self.reason
    }
    /// Governing rule, if one matched.
    pub const fn rule(&self) -> Option<&'a str> {
        self.rule
    }
    /// The CORS answer of an `insufficient_role` (decided after the origin check) when the rule
    /// lists origins and an allowed `origin` was sent; `None` for every other 403.
    pub const fn cors(&self) -> Option<&CorsAnswer<'a>> {
        self.cors.as_ref()
    }
}

/// The authenticated subject.
#[derive(Clone, PartialEq, Eq)]
pub struct Subject<'a>(SubjectRepr<'a>);

#[derive(Clone, PartialEq, Eq)]
#[expect(clippy::large_enum_variant, reason = "the inline subject avoids a heap; a decision is short-lived")]
enum SubjectRepr<'a> {
    Policy(&'a str),
    Inline { buf: [u8; MAX_SUBJECT], len: u8 },
}

impl<'a> Subject<'a> {
    pub(crate) const fn borrowed(s: &'a str) -> Self {
        Self(SubjectRepr::Policy(s))
    }

    /// Unescapes a token's `sub` (at most [`MAX_SUBJECT`] bytes, checked by the caller).
    pub(crate) fn from_claim(s: crate::json::JStr<'_>) -> Option<Self> {
        let mut buf = [0u8; MAX_SUBJECT];
        let n = s.unescape_into(&mut buf)?;
        core::str::from_utf8(buf.get(..n)?).ok()?;
        Some(Self(SubjectRepr::Inline { buf, len: u8::try_from(n).ok()? }))
    }

    /// The subject text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            SubjectRepr::Policy(s) => s,
            SubjectRepr::Inline { buf, len } => {
                buf.get(..usize::from(*len)).and_then(|b| core::str::from_utf8(b).ok()).unwrap_or("")
            }
        }
    }
}

impl fmt::Debug for Subject<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// A set of role names from the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Roles<'a> {
    names: &'a [&'a str],
    set: RoleSet,
}

impl<'a> Roles<'a> {
    /// No roles.
    pub const NONE: Roles<'static> = Roles { names: &[], set: RoleSet::EMPTY };

    pub(crate) const fn new(names: &'a [&'a str], set: RoleSet) -> Self {
        Self { names, set }
    }

    /// The role names, in policy order.
    pub fn iter(&self) -> impl Iterator<Item = &'a str> + 'a {
        let names = self.names;
        self.set.iter().filter_map(move |i| names.get(i).copied())
    }

    /// Whether the set contains the role `name`.
    #[must_use]
    pub fn contains(&self, name: &str) -> bool {
        self.iter().any(|n| n == name)
    }

    /// Number of roles.
    #[must_use]
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// The underlying bit set.
    #[must_use]
    pub const fn set(&self) -> RoleSet {
        self.set
    }
}

/// CORS headers to send with a decision: an Allow, or a 401/403 a browser page may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsAnswer<'a> {
    pub(crate) allow_origin: &'a str,
    pub(crate) allow_credentials: bool,
    pub(crate) preflight: Option<PreflightAnswer<'a>>,
}

impl<'a> CorsAnswer<'a> {
    /// `Access-Control-Allow-Origin`: the request's `origin`, echoed.
    #[must_use]
    pub const fn allow_origin(&self) -> &'a str {
        self.allow_origin
    }
    /// Whether to send `Access-Control-Allow-Credentials: true`.
    #[must_use]
    pub const fn allow_credentials(&self) -> bool {
        self.allow_credentials
    }
    /// The extra preflight headers, on a `preflight` Allow.
    #[must_use]
    pub const fn preflight(&self) -> Option<&PreflightAnswer<'a>> {
        self.preflight.as_ref()
    }
}

/// Headers of a successful preflight answer, besides allow-origin and allow-credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreflightAnswer<'a> {
    pub(crate) methods: AllowMethods<'a>,
    pub(crate) allow_headers: &'a str,
    pub(crate) max_age_s: u32,
}

impl<'a> PreflightAnswer<'a> {
    /// `Access-Control-Allow-Methods`: the rule's methods (the requested one for `["*"]`).
    #[must_use]
    pub const fn allow_methods(&self) -> AllowMethods<'a> {
        self.methods
    }
    /// `Access-Control-Allow-Headers` from `[cors]`, names joined by `", "`.
    #[must_use]
    pub const fn allow_headers(&self) -> &'a str {
        self.allow_headers
    }
    /// `Access-Control-Max-Age` from `[cors]`.
    #[must_use]
    pub const fn max_age_s(&self) -> u32 {
        self.max_age_s
    }
}

/// Methods of a preflight answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AllowMethods<'a> {
    pub(crate) names: &'a [&'a str],
    pub(crate) set: MethodSet,
    pub(crate) requested: Option<&'a str>,
}

impl<'a> AllowMethods<'a> {
    /// The method names.
    pub fn iter(&self) -> impl Iterator<Item = &'a str> + 'a {
        let names = self.names;
        let listed = self.set.iter().filter_map(move |i| names.get(i).copied());
        let requested = self.requested;
        requested.into_iter().chain(listed.filter(move |_| requested.is_none()))
    }

    /// Renders the header value (`GET, POST`) into `out`.
    ///
    /// # Errors
    /// [`BufferTooSmall`] with the needed length.
    pub fn render<'b>(&self, out: &'b mut [u8]) -> Result<&'b str, BufferTooSmall> {
        render_with(out, |s| {
            for (i, m) in self.iter().enumerate() {
                if i > 0 {
                    s.put(b", ");
                }
                s.put(m.as_bytes());
            }
        })
    }
}

/// The challenges of a 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Challenges<'a> {
    pub(crate) realm: &'a str,
    pub(crate) schemes: &'a [Scheme],
    pub(crate) bearer: BearerError<'a>,
}

impl<'a> IntoIterator for Challenges<'a> {
    type Item = Challenge<'a>;
    type IntoIter = ChallengeIter<'a>;
    fn into_iter(self) -> ChallengeIter<'a> {
        ChallengeIter { c: self, next: 0 }
    }
}

/// Iterator over [`Challenges`].
#[derive(Debug, Clone)]
pub struct ChallengeIter<'a> {
    c: Challenges<'a>,
    next: usize,
}

impl<'a> Iterator for ChallengeIter<'a> {
    type Item = Challenge<'a>;
    fn next(&mut self) -> Option<Challenge<'a>> {
        let scheme = *self.c.schemes.get(self.next)?;
        self.next = self.next.saturating_add(1);
        let error = if scheme == Scheme::Bearer { self.c.bearer } else { BearerError::None };
        Some(Challenge { scheme, realm: self.c.realm, error })
    }
}

/// Error attributes of a Bearer challenge (RFC 6750 §3, RFC 9470 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BearerError<'a> {
    /// No `error` attribute (no token was presented, or another scheme was).
    None,
    /// `error="invalid_token"` with this description.
    InvalidToken(&'static str),
    /// `error="insufficient_user_authentication"`, `acr_values="mfa"`.
    StepUpMfa,
    /// `error="insufficient_user_authentication"`, `max_age=N`.
    StepUpMaxAge(u32),
    /// `error="insufficient_scope"`, `scope="…"`.
    InsufficientScope { names: &'a [&'a str], all: RoleSet, any: RoleSet },
}

/// One `WWW-Authenticate` challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Challenge<'a> {
    scheme: Scheme,
    realm: &'a str,
    error: BearerError<'a>,
}

/// A buffer was too small; `needed` bytes would do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferTooSmall {
    /// Bytes needed.
    pub needed: usize,
}

impl<'a> Challenge<'a> {
    pub(crate) const fn new(scheme: Scheme, realm: &'a str, error: BearerError<'a>) -> Self {
        Self { scheme, realm, error }
    }

    /// The scheme this challenge is for.
    #[must_use]
    pub const fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The RFC 6750 / RFC 9470 `error` code, if any.
    #[must_use]
    pub const fn error_code(&self) -> Option<&'static str> {
        match self.error {
            BearerError::None => None,
            BearerError::InvalidToken(_) => Some("invalid_token"),
            BearerError::StepUpMfa | BearerError::StepUpMaxAge(_) => Some("insufficient_user_authentication"),
            BearerError::InsufficientScope { .. } => Some("insufficient_scope"),
        }
    }

    fn write(&self, s: &mut dyn Sink) {
        let scheme: &[u8] = match self.scheme {
            Scheme::Bearer => b"Bearer",
            Scheme::Basic => b"Basic",
            Scheme::ApiKey => b"ApiKey",
        };
        s.put(scheme);
        s.put(b" realm=\"");
        s.put(self.realm.as_bytes());
        s.put(b"\"");
        if self.scheme == Scheme::Basic {
            s.put(b", charset=\"UTF-8\"");
        }
        let description = match self.error {
            BearerError::None | BearerError::InsufficientScope { .. } => None,
            BearerError::InvalidToken(d) => Some(d),
            BearerError::StepUpMfa => Some("multi-factor authentication is required"),
            BearerError::StepUpMaxAge(_) => Some("a more recent authentication is required"),
        };
        if let Some(code) = self.error_code() {
            s.put(b", error=\"");
            s.put(code.as_bytes());
            s.put(b"\"");
        }
        if let Some(d) = description {
            s.put(b", error_description=\"");
            s.put(d.as_bytes());
            s.put(b"\"");
        }
        match self.error {
            BearerError::StepUpMfa => s.put(b", acr_values=\"mfa\""),
            BearerError::StepUpMaxAge(n) => {
                s.put(b", max_age=");
                put_u32(s, n);
            }
            BearerError::InsufficientScope { names, all, any } => {
                s.put(b", scope=\"");
                let mut first = true;
                for i in all.iter().chain(any.iter().filter(|&i| !all.contains(i))) {
                    if let Some(name) = names.get(i) {
                        if !first {
                            s.put(b" ");
                        }
                        first = false;
                        s.put(name.as_bytes());
                    }
                }
                s.put(b"\"");
            }
            BearerError::None | BearerError::InvalidToken(_) => {}
        }
    }

    /// Length of the rendered header value.
    #[must_use]
    pub fn rendered_len(&self) -> usize {
        let mut c = Count(0);
        self.write(&mut c);
        c.0
    }

    /// Renders the header value into `out` and returns it.
    ///
    /// # Errors
    /// [`BufferTooSmall`] with the needed length; nothing is truncated silently.
    pub fn render<'b>(&self, out: &'b mut [u8]) -> Result<&'b str, BufferTooSmall> {
        render_with(out, |s| self.write(s))
    }
}

impl fmt::Display for Challenge<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = FmtSink { f, err: false };
        self.write(&mut s);
        if s.err { Err(fmt::Error) } else { Ok(()) }
    }
}

/// Byte sink for rendering without `core::fmt`.
trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

struct Count(usize);
impl Sink for Count {
    fn put(&mut self, bytes: &[u8]) {
        self.0 = self.0.saturating_add(bytes.len());
    }
}

struct SliceSink<'b> {
    out: &'b mut [u8],
    len: usize,
    overflow: bool,
}
impl Sink for SliceSink<'_> {
    fn put(&mut self, bytes: &[u8]) {
        let end = self.len.saturating_add(bytes.len());
        match self.out.get_mut(self.len..end) {
            Some(dst) if !self.overflow => dst.copy_from_slice(bytes),
            _ => self.overflow = true,
        }
        self.len = end;
    }
}

struct FmtSink<'x, 'y> {
    f: &'x mut fmt::Formatter<'y>,
    err: bool,
}
impl Sink for FmtSink<'_, '_> {
    fn put(&mut self, bytes: &[u8]) {
        // Everything rendered is ASCII from the policy or from fixed texts.
        let text = core::str::from_utf8(bytes).unwrap_or("\u{fffd}");
        self.err |= self.f.write_str(text).is_err();
    }
}

fn render_with(out: &mut [u8], body: impl Fn(&mut dyn Sink)) -> Result<&str, BufferTooSmall> {
    let mut s = SliceSink { out, len: 0, overflow: false };
    body(&mut s);
    if s.overflow {
        return Err(BufferTooSmall { needed: s.len });
    }
    let len = s.len;
    let written = out.get(..len).ok_or(BufferTooSmall { needed: len })?;
    core::str::from_utf8(written).map_err(|_| BufferTooSmall { needed: len })
}

fn put_u32(s: &mut dyn Sink, n: u32) {
    let mut digits = [0u8; 10];
    let mut i = digits.len();
    let mut v = n;
    loop {
        i = i.saturating_sub(1);
        if let Some(d) = digits.get_mut(i) {
            // `v % 10` is below 10, so the narrowing cannot lose anything.
            *d = b'0'.saturating_add(u8::try_from(v % 10).unwrap_or(0));
        }
        v /= 10;
        if v == 0 || i == 0 {
            break;
        }
    }
    s.put(digits.get(i..).unwrap_or(&[]));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(c: &Challenge<'_>) -> std::string::String {
        let mut buf = [0u8; 256];
        let s = c.render(&mut buf).unwrap();
        assert_eq!(s.len(), c.rendered_len());
        assert_eq!(std::format!("{c}"), s);
        s.into()
    }

    extern crate std;

    #[test]
    fn plain_challenges_have_no_error_attribute() {
        assert_eq!(render(&Challenge::new(Scheme::Bearer, "R", BearerError::None)), "Bearer realm=\"R\"");
        assert_eq!(
            render(&Challenge::new(Scheme::Basic, "R", BearerError::None)),
            "Basic realm=\"R\", charset=\"UTF-8\""
        );
        assert_eq!(render(&Challenge::new(Scheme::ApiKey, "R", BearerError::None)), "ApiKey realm=\"R\"");
    }

    #[test]
    fn step_up_and_scope_challenges_follow_rfc_9470_and_6750() {
        assert_eq!(
            render(&Challenge::new(Scheme::Bearer, "R", BearerError::StepUpMaxAge(3600))),
            "Bearer realm=\"R\", error=\"insufficient_user_authentication\", error_description=\"a more recent authentication is required\", max_age=3600"
        );
        let names = ["admin", "ops", "dev"];
        let all = RoleSet::EMPTY.with(1);
        let any = RoleSet::EMPTY.with(0).with(1);
        assert_eq!(
            render(&Challenge::new(Scheme::Bearer, "R", BearerError::InsufficientScope { names: &names, all, any })),
            "Bearer realm=\"R\", error=\"insufficient_scope\", scope=\"ops admin\""
        );
    }

    #[test]
    fn render_reports_the_needed_size_instead_of_truncating() {
        let c = Challenge::new(Scheme::Basic, "edge-api", BearerError::None);
        let mut small = [0u8; 10];
        assert_eq!(c.render(&mut small), Err(BufferTooSmall { needed: c.rendered_len() }));
    }

    #[test]
    fn put_u32_renders_edges() {
        for (n, s) in [(0u32, "0"), (7, "7"), (10, "10"), (u32::MAX, "4294967295")] {
            let mut buf = [0u8; 16];
            assert_eq!(render_with(&mut buf, |k| put_u32(k, n)).unwrap(), s);
        }
    }
}
