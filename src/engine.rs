//! The engine: a loaded policy plus precomputed key state, and `evaluate`.
//!
//! `evaluate` has two halves. [`Engine::verdict`] computes every check of SPEC §4 for every
//! request — every rule's path and method, every IP range, every origin pattern, the presented
//! credential against every stored one — and combines the outcomes with masks into a
//! [`Verdict`] of plain integers, without branching on anything derived from a secret. The
//! second half turns the verdict into a [`Decision`]; reading the verdict's reason code there is
//! the one declassification point.

use core::net::IpAddr;

use crate::blob::{BlobInfo, TableSizes};
use crate::capacity::{MAX_KEYS, MAX_RULES};
use crate::credential::{self, CredentialCheck, Presented};
use crate::ct::{self, Choice};
use crate::decision::{
    AllowMethods, Allowed, BearerError, Challenge, Challenges, CorsAnswer, Decision, Forbidden, PreflightAnswer, Roles,
    Subject, Unauthorized,
};
use crate::error::LoadError;
use crate::ip::{self, Addr};
use crate::json::JStr;
use crate::load;
pub use crate::load::KeyMaterial;
use crate::mac::MacSlot;
use crate::origin::Origin;
use crate::path::{FastForm, NormPath, Shape};
use crate::policy::{CredentialKind, MethodSet, OriginSet, PolicyBody, RangeSet, RoleSet, Rule, Scheme};
use crate::reason::{AllowReason, ForbiddenReason, Reason, UnauthorizedReason};
use crate::request::Request;
use crate::token::{self, TokenCheck};

/// Whether the compiled policy was signed, and whether the signature was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureState {
    /// No signature in the blob.
    Unsigned,
    /// Signed, but loaded without a verify key.
    SignedUnverified,
    /// Signed and verified by [`Engine::load_verified`].
    Verified,
}

/// A loaded policy, ready to decide requests. Immutable after load: it can be shared between
/// threads and evaluated concurrently.
///
/// Load it by value ([`Engine::load`]), or in place into memory the caller owns (a `static`,
/// a long-lived frame): start from [`Engine::empty`] and call [`Engine::load_into`], which
/// never builds an engine-sized temporary on the stack. An empty engine, and one whose last
/// load failed, denies every request (see [`Engine::empty`]).
#[derive(Debug)]
pub struct Engine<'a> {
    pub(crate) info: BlobInfo,
    pub(crate) policy: PolicyBody<'a>,
    pub(crate) macs: heapless::Vec<MacSlot, MAX_KEYS>,
    /// Shape of each rule's path pattern, by rule index (worked out at load).
    pub(crate) shapes: heapless::Vec<Shape, MAX_RULES>,
    /// What rule matching needs of the shapes as a whole (worked out at load with them).
    pub(crate) fast_form: FastForm,
    pub(crate) max_iterations: u32,
    pub(crate) signature: SignatureState,
    /// Whether the last load succeeded.
    pub(crate) loaded: bool,
}

/// The header information of an engine that holds no policy.
const NO_INFO: BlobInfo = BlobInfo {
    format_version: 0,
    signed: false,
    header_len: 0,
    body_len: 0,
    tables: TableSizes { methods: 0, roles: 0, keys: 0, credentials: 0, ranges: 0, origins: 0, rules: 0 },
    body_sha256: [0; 32],
};

/// Scratch space of one evaluation: a decoded path, then a decoded token, in one of two
/// sizes. Safe Rust zeroes a buffer before use, and zeroing the full size (3 KB at the default
/// capacities) cost 3 088 instructions per decision, half of what 32 rules cost; most paths
/// and tokens fit the small one. Which size a request takes depends on the lengths of its path and token (public).
const SCRATCH: usize = if crate::path::BUF > token::SCRATCH { crate::path::BUF } else { token::SCRATCH };
/// The small scratch size: a path of up to 504 bytes, a token decoding to up to 512 bytes.
const SMALL_SCRATCH: usize = 512;

/// The buffer in use: none yet, the small one, or the full one. One at a time, so that a
/// decision's stack holds no more than the full size (as before there were two sizes).
#[allow(
    clippy::large_enum_variant,
    reason = "the point: one buffer on the stack at a time, no allocation, never both sizes"
)]
pub(crate) enum Scratch {
    Empty,
    Small([u8; SMALL_SCRATCH]),
    Full([u8; SCRATCH]),
}

impl Scratch {
    pub(crate) const fn new() -> Self {
        Self::Empty
    }

    /// A buffer of at least `need` bytes (or the full size), zeroed when it is first taken.
    /// Asking for more than the small size replaces a small buffer (its contents are dead by
    /// then: the path is matched before the token is decoded).
    fn room(&mut self, need: usize) -> &mut [u8] {
        if need > SMALL_SCRATCH && !matches!(self, Self::Full(_)) {
            *self = Self::Full([0; SCRATCH]);
        } else if matches!(self, Self::Empty) {
            *self = Self::Small([0; SMALL_SCRATCH]);
        }
        match self {
            Self::Small(b) => b,
            Self::Full(b) => b,
            Self::Empty => &mut [],
        }
    }
}

/// Reason codes inside a [`Verdict`]: 1–3 allow, 10–23 the 401 reasons and 30–36 the 403
/// reasons, each in decision-table order.
mod code {
    pub(crate) const ALLOWED: u8 = 1;
    pub(crate) const PUBLIC: u8 = 2;
    pub(crate) const PREFLIGHT: u8 = 3;
    pub(crate) const CREDENTIALS_MISSING: u8 = 10;
    pub(crate) const CREDENTIALS_AMBIGUOUS: u8 = 11;
    pub(crate) const SCHEME_NOT_ACCEPTED: u8 = 12;
    pub(crate) const CREDENTIALS_MALFORMED: u8 = 13;
    pub(crate) const CREDENTIALS_INVALID: u8 = 14;
    pub(crate) const TOKEN_ALGORITHM_REJECTED: u8 = 15;
    pub(crate) const TOKEN_UNKNOWN_KEY: u8 = 16;
    pub(crate) const TOKEN_BAD_SIGNATURE: u8 = 17;
    pub(crate) const TOKEN_EXPIRED: u8 = 18;
    pub(crate) const TOKEN_NOT_YET_VALID: u8 = 19;
    pub(crate) const TOKEN_ISSUER_MISMATCH: u8 = 20;
    pub(crate) const TOKEN_AUDIENCE_MISMATCH: u8 = 21;
    pub(crate) const MFA_REQUIRED: u8 = 22;
    pub(crate) const AUTH_TOO_OLD: u8 = 23;
    pub(crate) const MALFORMED_PATH: u8 = 30;
    pub(crate) const METHOD_NOT_ALLOWED: u8 = 31;
    pub(crate) const NO_MATCHING_RULE: u8 = 32;
    pub(crate) const IP_BLOCKED: u8 = 33;
    pub(crate) const IP_NOT_ALLOWED: u8 = 34;
    pub(crate) const ORIGIN_NOT_ALLOWED: u8 = 35;
    pub(crate) const INSUFFICIENT_ROLE: u8 = 36;
}

fn reason_of(c: u8) -> Reason {
    use Reason::{Allow, Forbidden as F, Unauthorized as U};
    match c {
        code::ALLOWED => Allow(AllowReason::Allowed),
        code::PUBLIC => Allow(AllowReason::Public),
        code::PREFLIGHT => Allow(AllowReason::Preflight),
        10..=23 => UnauthorizedReason::ALL
            .get(usize::from(c.wrapping_sub(10)))
            .map_or(F(ForbiddenReason::NoMatchingRule), |r| U(*r)),
        31..=36 => ForbiddenReason::ALL
            .get(usize::from(c.wrapping_sub(30)))
            .map_or(F(ForbiddenReason::NoMatchingRule), |r| F(*r)),
        // MALFORMED_PATH, and fail closed on anything else.
        _ => {
            F(if c == code::MALFORMED_PATH { ForbiddenReason::MalformedPath } else { ForbiddenReason::NoMatchingRule })
        }
    }
}

/// Where the subject of an authenticated request comes from (public: the presented scheme).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SubjectSource {
    None,
    CredentialId,
    BasicUser,
    TokenSub,
}

/// The outcome of every check, as integers. Fields marked *secret-derived* must not be
/// branched on until the verdict is declassified as a whole.
#[derive(Clone)]
pub(crate) struct Verdict<'b> {
    /// Reason code (secret-derived).
    pub(crate) code: u8,
    /// Governing rule, `u16::MAX` for none (public).
    pub(crate) rule: u16,
    /// Index of the matching credential or token key (secret-derived).
    pub(crate) credential: u16,
    /// Roles of the subject (secret-derived).
    pub(crate) roles: u64,
    /// Token expires within the refresh window (public).
    pub(crate) refresh: bool,
    /// Where the subject comes from (public).
    pub(crate) subject: SubjectSource,
    /// Token `sub` (public).
    pub(crate) sub: Option<JStr<'b>>,
    /// Bit `r` set when the condition of decision row `r` holds (secret-derived).
    pub(crate) rows: u32,
    /// Bit `r` set when row `r` applies to this request (public).
    pub(crate) applies: u32,
}

impl core::fmt::Debug for Verdict<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Verdict").field("code", &self.code).field("rule", &self.rule).finish_non_exhaustive()
    }
}

/// Request data the decision refers to (all public).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context<'r> {
    preflight: bool,
    bearer: bool,
    origin: Option<&'r [u8]>,
    /// Whether `origin` is a valid serialization (parsed once, in the verdict).
    origin_valid: bool,
    acrm: Option<&'r [u8]>,
}

/// First-true-wins selection of a reason code, without branches.
struct Pick {
    code: u8,
    done: Choice,
    rows: u32,
}

impl Pick {
    fn row(&mut self, row: u8, cond: Choice, code: u8) {
        let take = cond & !self.done;
        self.code = ct::select(take, code, self.code);
        self.done |= cond;
        let bit = 1u32.checked_shl(u32::from(row)).unwrap_or(0);
        self.rows |= ct::select(cond, bit, 0);
    }
}

fn choice(b: bool) -> Choice {
    Choice::from(u8::from(b))
}

fn bit32(i: usize) -> u32 {
    u32::try_from(i).ok().and_then(|i| 1u32.checked_shl(i)).unwrap_or(0)
}

fn bit64(i: usize) -> u64 {
    u32::try_from(i).ok().and_then(|i| 1u64.checked_shl(i)).unwrap_or(0)
}

/// All ones for `true`. Through `black_box`, so the optimizer cannot turn the masked
/// accumulation back into a branch on `b` (it did for origin matches once `Origin::matches`
/// stopped being inlined).
fn mask64(b: bool) -> u64 {
    core::hint::black_box(0u64.wrapping_sub(u64::from(b)))
}

static NO_RULE: Rule<'static> = Rule {
    name: "",
    methods: MethodSet::EMPTY,
    any_method: false,
    path: "/",
    auth: heapless::Vec::new(),
    roles_any: RoleSet::EMPTY,
    roles_all: RoleSet::EMPTY,
    ip_allow: RangeSet::EMPTY,
    ip_deny: RangeSet::EMPTY,
    origins: OriginSet::EMPTY,
    require_mfa: false,
    max_auth_age_s: None,
};

impl<'a> Engine<'a> {
    /// An engine that holds no policy, for memory the caller owns (`static ENGINE: … =
    /// Engine::empty()`, or a slot filled once): load it with [`Engine::load_into`].
    ///
    /// It has no rules, so it denies every request: 403 `no_matching_rule` (`malformed_path`
    /// for a path that does not normalize), never an allow. [`Engine::is_loaded`] is false.
    #[must_use]
    #[inline(always)]
    pub const fn empty() -> Self {
        Self {
            info: NO_INFO,
            policy: crate::decode::empty(),
            macs: heapless::Vec::new(),
            shapes: heapless::Vec::new(),
            fast_form: FastForm::EMPTY,
            max_iterations: 0,
            signature: SignatureState::Unsigned,
            loaded: false,
        }
    }

    /// Writes [`Engine::empty`] into `slot` (uninitialised memory the caller owns, e.g. a
    /// `static` `MaybeUninit` in `.bss`) and returns it, ready for [`Engine::load_into`]. The
    /// engine is built in the slot itself, with no engine-sized temporary on the stack (which
    /// `slot.write(Engine::empty())` at the call site may not manage).
    #[inline(never)]
    pub fn empty_in(slot: &mut core::mem::MaybeUninit<Self>) -> &mut Self {
        slot.write(Self::empty())
    }

    /// Loads a compiled policy (signed or not; the signature is not checked) with a keyring
    /// holding a secret for every `[[key]]` of the policy. The engine borrows `blob`.
    ///
    /// The engine is built on the stack and returned by value; [`Engine::load_into`] loads
    /// into memory the caller owns instead.
    ///
    /// # Errors
    /// A [`LoadError`] for a corrupt, foreign-version or over-capacity blob, or a keyring that
    /// lacks a key or holds one shorter than its algorithm allows.
    pub fn load(blob: &'a [u8], keyring: &[KeyMaterial<'_>]) -> Result<Self, LoadError> {
        let mut engine = Self::empty();
        engine.load_into(blob, keyring)?;
        Ok(engine)
    }

    /// Like [`Engine::load`], but refuses a blob that is unsigned or not signed with
    /// `verify_key` (the bundle key given to `warden compile --sign-key`).
    ///
    /// # Errors
    /// As [`Engine::load`], plus [`LoadError::SignatureMissing`],
    /// [`LoadError::SignatureInvalid`] and [`LoadError::BundleKeyTooShort`].
    pub fn load_verified(blob: &'a [u8], keyring: &[KeyMaterial<'_>], verify_key: &[u8]) -> Result<Self, LoadError> {
        let mut engine = Self::empty();
        engine.load_verified_into(blob, keyring, verify_key)?;
        Ok(engine)
    }

    /// [`Engine::load`] in place: the body is decoded straight into this engine's tables and
    /// the key states computed into its slots, so the stack holds one table entry at a time,
    /// never a second engine. Whatever the engine held before is replaced.
    ///
    /// # Errors
    /// As [`Engine::load`]. On an error the engine is emptied, whatever it held before: it
    /// denies every request as [`Engine::empty`] does (a failed load never fails open), and
    /// [`Engine::is_loaded`] is false.
    pub fn load_into(&mut self, blob: &'a [u8], keyring: &[KeyMaterial<'_>]) -> Result<(), LoadError> {
        self.fill(blob, keyring, None)
    }

    /// [`Engine::load_verified`] in place, as [`Engine::load_into`].
    ///
    /// # Errors
    /// As [`Engine::load_verified`]; on an error the engine is emptied as by
    /// [`Engine::load_into`].
    pub fn load_verified_into(
        &mut self,
        blob: &'a [u8],
        keyring: &[KeyMaterial<'_>],
        verify_key: &[u8],
    ) -> Result<(), LoadError> {
        self.fill(blob, keyring, Some(verify_key))
    }

    /// Whether the engine holds a policy: its last load succeeded. False for
    /// [`Engine::empty`] and after a failed [`Engine::load_into`].
    #[must_use]
    pub const fn is_loaded(&self) -> bool {
        self.loaded
    }

    fn fill(
        &mut self,
        blob: &'a [u8],
        keyring: &[KeyMaterial<'_>],
        verify_key: Option<&[u8]>,
    ) -> Result<(), LoadError> {
        self.loaded = false;
        let filled = self.fill_parts(blob, keyring, verify_key);
        if filled.is_err() {
            self.unload();
        }
        filled
    }

    fn fill_parts(
        &mut self,
        blob: &'a [u8],
        keyring: &[KeyMaterial<'_>],
        verify_key: Option<&[u8]>,
    ) -> Result<(), LoadError> {
        let l = load::load_into(blob, keyring, verify_key, &mut self.policy, &mut self.macs)?;
        self.shapes.clear();
        for r in &self.policy.rules {
            // Cannot fail: the policy has at most MAX_RULES rules (checked by load).
            self.shapes.push(Shape::of(r.path)).map_err(|_| LoadError::BodyMalformed)?;
        }
        self.fast_form = FastForm::of(&self.shapes);
        self.signature = match verify_key {
            Some(_) => SignatureState::Verified,
            None if l.info.signed => SignatureState::SignedUnverified,
            None => SignatureState::Unsigned,
        };
        self.info = l.info;
        self.max_iterations = l.max_iterations;
        self.loaded = true;
        Ok(())
    }

    /// Back to [`Engine::empty`], field by field (assigning the whole empty engine could
    /// build it on the stack first).
    fn unload(&mut self) {
        crate::decode::empty_into(&mut self.policy);
        self.macs.clear();
        self.shapes.clear();
        self.fast_form = FastForm::EMPTY;
        self.info = NO_INFO;
        self.max_iterations = 0;
        self.signature = SignatureState::Unsigned;
        self.loaded = false;
    }

    /// The compiled policy.
    #[must_use]
    pub const fn policy(&self) -> &PolicyBody<'a> {
        &self.policy
    }

    /// Header information of the compiled policy.
    #[must_use]
    pub const fn info(&self) -> &BlobInfo {
        &self.info
    }

    /// Signature state.
    #[must_use]
    pub const fn signature(&self) -> SignatureState {
        self.signature
    }

    /// Decides one request. Never fails and never panics: every request gets a decision.
    ///
    /// Kept out of line so that instruction-count tools can toggle on this symbol.
    #[inline(never)]
    pub fn evaluate<'s>(&'s self, request: &Request<'s>) -> Decision<'s> {
        let mut scratch = Scratch::new();
        let (verdict, context) = self.verdict(request, &mut scratch);
        self.decide(&verdict, &context)
    }

    /// Decides one request and reports the outcome of every row of the decision table.
    /// Meant for tools (`warden eval --explain`); the trace reveals which credential check
    /// failed, so do not send it to clients.
    pub fn explain<'s>(&'s self, request: &Request<'s>) -> Explanation<'s> {
        let mut scratch = Scratch::new();
        let (verdict, context) = self.verdict(request, &mut scratch);
        let decision = self.decide(&verdict, &context);
        let mut checks = [Check { row: 0, outcome: CheckOutcome::NotApplicable }; 18];
        for (i, c) in checks.iter_mut().enumerate() {
            let row = u8::try_from(i.saturating_add(1)).unwrap_or(0);
            let bit = 1u32.checked_shl(u32::from(row)).unwrap_or(0);
            let outcome = if verdict.applies & bit == 0 {
                CheckOutcome::NotApplicable
            } else if verdict.rows & bit != 0 {
                CheckOutcome::Holds
            } else {
                CheckOutcome::Clear
            };
            *c = Check { row, outcome };
        }
        Explanation { decision, checks }
    }

    /// Every check, combined with masks (see the module documentation). Inlined into
    /// `evaluate` (it was, until the rule loop grew): out of line it cost about 1 300
    /// instructions more per decision, in moves of its result.
    #[inline(always)]
    pub(crate) fn verdict<'r, 'b>(&self, req: &Request<'r>, scratch: &'b mut Scratch) -> (Verdict<'b>, Context<'r>) {
        let p = &self.policy;
        // One scratch area serves the path (while rules are matched; it also gives pattern
        // matching room for word reads past the path's end) and then the token.
        let path = NormPath::new(req.path, scratch.room(NormPath::scratch_need(req.path)));
        let scanned = credential::scan(req.headers, p.settings.api_key_header);
        let preflight = req.method == b"OPTIONS" && scanned.origin.is_some() && scanned.acrm.is_some();
        let method = if preflight { scanned.acrm.unwrap_or(&[]) } else { req.method };

        // Row 3: every rule's method and path. A method is one RFC 9110 token (anything else,
        // e.g. a preflight's `PATCH, DELETE`, matches no rule, `*` included); a rule that takes
        // GET also takes HEAD, as servers run GET handlers for HEAD (SPEC §3).
        let method_ok = !method.is_empty() && method.iter().all(|&c| load::is_tchar(c));
        let head = ct::eq_public(method, b"HEAD");
        let mut method_bits = 0u32;
        for (i, m) in p.methods.iter().enumerate() {
            let hit = ct::eq_public(m.as_bytes(), method) || (head && m.as_bytes() == b"GET");
            method_bits |= bit32(i) & 0u32.wrapping_sub(u32::from(hit));
        }
        let (governing, found, path_any) = self.match_rules(&path, method_ok, method_bits);
        let path_malformed = path.malformed();
        let rule = p.rules.get(governing).unwrap_or(&NO_RULE);

        // Rows 4–6: every range and origin pattern.
        let ip_hits = ip::hits(req.client_ip.map(|ip: IpAddr| Addr::new(ip)), &p.ranges).0;
        let ip_blocked = rule.ip_deny.0 & ip_hits != 0;
        let ip_not_allowed = rule.ip_allow.0 != 0 && rule.ip_allow.0 & ip_hits == 0;
        let origin = scanned.origin.map(Origin::parse);
        let mut origin_hits = 0u64;
        if let Some(Some(o)) = origin {
            for (i, pat) in p.origins.iter().enumerate() {
                origin_hits |= bit64(i) & mask64(o.matches(pat));
            }
        }
        let origin_listed = rule.origins.0 & origin_hits != 0;
        let origin_bad = rule.origins.0 != 0 && origin.is_some() && !origin_listed;
        let preflight_origin_bad = rule.origins.0 == 0 || !origin_listed;

        // Rows 7–16: the presented credential, checked against every stored one.
        let now = req.now;
        let none = CredentialCheck { malformed: false, valid: Choice::from(0), index: 0, roles: 0 };
        let (scheme, cred, tok): (Option<Scheme>, CredentialCheck, Option<TokenCheck>) = match scanned.presented {
            Presented::Bearer(t) => {
                let check = if t.is_empty() {
                    None
                } else {
                    Some(token::check(p, &self.macs, t, now, |need| scratch.room(need)))
                };
                let malformed = check.as_ref().is_none_or(|c| c.malformed);
                (Some(Scheme::Bearer), CredentialCheck { malformed, ..none }, check)
            }
            Presented::Basic(v) => {
                (Some(Scheme::Basic), credential::check_basic(v, &p.credentials, self.max_iterations), None)
            }
            Presented::ApiKey(k) => (Some(Scheme::ApiKey), credential::check_api_key(k, &p.credentials), None),
            Presented::None | Presented::Ambiguous | Presented::OtherScheme | Presented::Unparseable => {
                (None, none, None)
            }
        };
        let bearer = scheme == Some(Scheme::Bearer);
        let needs_auth = !rule.auth.is_empty();
        let missing = scanned.presented == Presented::None;
        let ambiguous = scanned.presented == Presented::Ambiguous;
        let not_accepted = match scanned.presented {
            Presented::OtherScheme => true,
            _ => scheme.is_some_and(|s| !rule.auth.contains(&s)),
        };
        let malformed = scanned.presented == Presented::Unparseable || cred.malformed;
        let cred_scheme = matches!(scheme, Some(Scheme::Basic | Scheme::ApiKey));
        let invalid = choice(cred_scheme) & !cred.valid;

        let t = tok.as_ref();
        let tb = |f: fn(&TokenCheck) -> bool| t.is_some_and(f);
        let tc = |f: fn(&TokenCheck) -> Choice| t.map_or(Choice::from(0), f);
        let alg_rejected = tb(|t| t.alg_rejected);
        let unknown_key = tb(|t| t.unknown_key);
        let bad_signature = choice(bearer) & !tc(|t| t.mac_ok);
        let expired = tb(|t| t.expired);
        let not_yet_valid = tb(|t| t.not_yet_valid);
        let issuer_mismatch = choice(bearer) & !tc(|t| t.issuer_ok);
        let audience_mismatch = choice(bearer) & !tc(|t| t.audience_ok);
        let mfa_required = bearer && rule.require_mfa && !tb(|t| t.mfa);
        let too_old = bearer
            && rule.max_auth_age_s.is_some_and(|max| t.and_then(|t| t.auth_age).is_none_or(|age| age > u64::from(max)));

        // Row 17 on the (secret-derived) role set of whichever credential matched.
        let roles = if bearer { t.map_or(0, |t| t.roles) } else { cred.roles };
        let any_ok = choice(rule.roles_any.0 == 0) | !ct::eq_u64(roles & rule.roles_any.0, 0);
        let all_ok = ct::eq_u64(roles & rule.roles_all.0, rule.roles_all.0);
        let role_fail = !(any_ok & all_ok);

        // The decision table, first row that holds wins.
        let pf = choice(preflight);
        let auth = !pf & choice(needs_auth);
        let tok_rows = auth & choice(bearer);
        let mut pick = Pick { code: code::NO_MATCHING_RULE, done: Choice::from(0), rows: 0 };
        pick.row(1, choice(path_malformed), code::MALFORMED_PATH);
        pick.row(3, pf & choice(!found), code::NO_MATCHING_RULE);
        pick.row(3, !pf & choice(!found && path_any), code::METHOD_NOT_ALLOWED);
        pick.row(3, choice(!found), code::NO_MATCHING_RULE);
        pick.row(4, choice(ip_blocked), code::IP_BLOCKED);
        pick.row(5, choice(ip_not_allowed), code::IP_NOT_ALLOWED);
        let origin_row = ct::select(pf, choice(preflight_origin_bad), choice(origin_bad));
        pick.row(6, origin_row, code::ORIGIN_NOT_ALLOWED);
        pick.row(2, pf, code::PREFLIGHT);
        pick.row(18, !choice(needs_auth), code::PUBLIC);
        pick.row(7, auth & choice(missing), code::CREDENTIALS_MISSING);
        pick.row(8, auth & choice(ambiguous), code::CREDENTIALS_AMBIGUOUS);
        pick.row(9, auth & choice(not_accepted), code::SCHEME_NOT_ACCEPTED);
        pick.row(10, auth & choice(malformed), code::CREDENTIALS_MALFORMED);
        pick.row(11, auth & invalid, code::CREDENTIALS_INVALID);
        pick.row(12, tok_rows & choice(alg_rejected), code::TOKEN_ALGORITHM_REJECTED);
        pick.row(12, tok_rows & choice(unknown_key), code::TOKEN_UNKNOWN_KEY);
        pick.row(13, tok_rows & bad_signature, code::TOKEN_BAD_SIGNATURE);
        pick.row(14, tok_rows & choice(expired), code::TOKEN_EXPIRED);
        pick.row(14, tok_rows & choice(not_yet_valid), code::TOKEN_NOT_YET_VALID);
        pick.row(15, tok_rows & issuer_mismatch, code::TOKEN_ISSUER_MISMATCH);
        pick.row(15, tok_rows & audience_mismatch, code::TOKEN_AUDIENCE_MISMATCH);
        pick.row(16, tok_rows & choice(mfa_required), code::MFA_REQUIRED);
        pick.row(16, tok_rows & choice(too_old), code::AUTH_TOO_OLD);
        pick.row(17, auth & role_fail, code::INSUFFICIENT_ROLE);
        pick.row(18, Choice::from(1), code::ALLOWED);

        // Which rows apply (public): for explanations only.
        let mut applies = 0b111_1010u32; // rows 1, 3, 4, 5, 6
        if preflight {
            applies |= 0b100;
        }
        if !preflight && needs_auth {
            applies |= 0b1111_1000_0000; // 7–11
            if bearer {
                applies |= 0b1_1111_0000_0000_0000; // 12–16
            }
            applies |= 1 << 17;
        }
        applies |= 1 << 18;

        let credential = match t {
            Some(t) => t.key,
            None => cred.index,
        };
        let subject = match scheme {
            Some(Scheme::Bearer) => SubjectSource::TokenSub,
            Some(Scheme::ApiKey) => SubjectSource::CredentialId,
            Some(Scheme::Basic) => SubjectSource::BasicUser,
            None => SubjectSource::None,
        };
        let refresh_window = u64::from(p.settings.refresh_window_s);
        let refresh = t.is_some_and(|t| t.exp < now.saturating_add(refresh_window));
        let sub = t.and_then(|t| t.sub);
        let verdict = Verdict {
            code: pick.code,
            rule: u16::try_from(governing).unwrap_or(u16::MAX),
            credential,
            roles,
            refresh,
            subject,
            sub,
            rows: pick.rows,
            applies,
        };
        let origin_valid = matches!(origin, Some(Some(_)));
        let context = Context { preflight, bearer, origin: scanned.origin, origin_valid, acrm: scanned.acrm };
        (verdict, context)
    }

    /// Row 3 over every rule: (governing rule or `usize::MAX`, whether one matched, whether
    /// any rule's path matched). Public work only (the path, the method and the policy).
    ///
    /// Every rule is examined with the same few instructions whichever rule governs: a rule
    /// whose pattern has at most one `*` (the fast form) by [`NormPath::candidate`], a
    /// fingerprint compare that is never false for a matching path, any other rule by the
    /// full matcher. Then exactly one exact check ([`NormPath::verify`], with work fixed per
    /// policy): of the first candidate whose method matches, else of the first candidate,
    /// else of a stand-in rule, whose answer is dropped. Only when that check refutes a
    /// candidate (a fingerprint collision: public, and rare) are all rules matched exactly,
    /// so a collision costs time and can never make a rule match.
    fn match_rules(&self, path: &NormPath<'_>, method_ok: bool, method_bits: u32) -> (usize, bool, bool) {
        let p = &self.policy;
        // The first rule whose path is a candidate and whose method matches, and the first
        // whose path is a candidate: bit masks over 64 rules at a time, their lowest bits
        // taken once per 64 rules (without branches).
        let (mut first, mut any) = (usize::MAX, usize::MAX);
        for (c, (rules, shapes)) in p.rules.chunks(64).zip(self.shapes.chunks(64)).enumerate() {
            let (mut with_method, mut path_only) = (0u64, 0u64);
            for (j, (r, shape)) in rules.iter().zip(shapes).enumerate() {
                // Which test a rule takes depends on its pattern alone (public, the same on
                // every request).
                let cand = if shape.fast() { path.candidate(*shape) } else { path.matches(r.path, *shape) };
                let method_hit = method_ok & (r.any_method | (r.methods.0 & method_bits != 0));
                let bit = u64::from(cand).wrapping_shl(u32::try_from(j).unwrap_or(63));
                path_only |= bit;
                with_method |= bit & 0u64.wrapping_sub(u64::from(method_hit));
            }
            let base = c.wrapping_mul(64);
            let lowest = |w: u64| {
                let at = base.wrapping_add(usize::try_from(w.trailing_zeros()).unwrap_or(0));
                let m = core::hint::black_box(0usize.wrapping_sub(usize::from(w != 0)));
                (at & m) | (usize::MAX & !m)
            };
            first = first.min(lowest(with_method));
            any = any.min(lowest(path_only));
        }
        let (have_first, have_any) = (first != usize::MAX, any != usize::MAX);
        let m = core::hint::black_box(0usize.wrapping_sub(usize::from(have_first)));
        let chosen = (first & m) | (any & !m);
        let chosen_fast = self.shapes.get(chosen).is_some_and(|s| s.fast());
        let m = core::hint::black_box(0usize.wrapping_sub(usize::from(chosen_fast)));
        let FastForm { width, stand_in } = self.fast_form;
        let exact = match stand_in {
            Some(stand_in) => {
                let checked = (chosen & m) | (usize::from(stand_in) & !m);
                match (p.rules.get(checked), self.shapes.get(checked)) {
                    (Some(r), Some(shape)) => path.verify(r.path, *shape, usize::from(width)),
                    _ => true,
                }
            }
            None => true,
        };
        // A candidate of the full matcher is exact already.
        let verified = !chosen_fast | exact;
        if have_any & !verified {
            return self.match_rules_exact(path, method_ok, method_bits);
        }
        (if have_first { first } else { usize::MAX }, have_first, have_any)
    }

    /// [`Engine::match_rules`] with the full matcher on every rule (after a fingerprint
    /// collision).
    #[cold]
    fn match_rules_exact(&self, path: &NormPath<'_>, method_ok: bool, method_bits: u32) -> (usize, bool, bool) {
        let p = &self.policy;
        let mut governing = usize::MAX;
        let mut found = false;
        let mut path_any = false;
        for (i, (r, shape)) in p.rules.iter().zip(&self.shapes).enumerate() {
            let path_hit = path.matches(r.path, *shape);
            let method_hit = method_ok & (r.any_method | (r.methods.0 & method_bits != 0));
            let hit = path_hit & method_hit;
            let take = hit & !found;
            let m = core::hint::black_box(0usize.wrapping_sub(usize::from(take)));
            governing = (i & m) | (governing & !m);
            found |= hit;
            path_any |= path_hit;
        }
        (governing, found, path_any)
    }

    /// Like `evaluate`, but hands the verdict's memory to `declassify` (which may tell a
    /// checker such as valgrind that it is now public) before reading it.
    pub(crate) fn evaluate_declassified<'s>(
        &'s self,
        request: &Request<'s>,
        declassify: impl FnOnce(*const u8, usize),
    ) -> Decision<'s> {
        let mut scratch = Scratch::new();
        let (verdict, context) = self.verdict(request, &mut scratch);
        declassify(core::ptr::from_ref(&verdict).cast::<u8>(), core::mem::size_of_val(&verdict));
        self.decide(&verdict, &context)
    }

    /// Calls `f` with the address and size of every secret copied out of the compiled policy:
    /// stored API-key digests and password hashes. (HMAC key state is derived from the
    /// keyring at load; a harness marks the keyring's bytes before loading and the checker
    /// follows them into the precomputed state.)
    pub(crate) fn secret_regions(&self, mut f: impl FnMut(*const u8, usize)) {
        for c in &self.policy.credentials {
            match &c.kind {
                CredentialKind::ApiKey { sha256 } => f(sha256.as_ptr(), sha256.len()),
                CredentialKind::Basic { hash, .. } => f(hash.as_ptr(), hash.len()),
            }
        }
    }

    /// Declassifies a verdict into a decision.
    pub(crate) fn decide<'s>(&'s self, v: &Verdict, ctx: &Context<'s>) -> Decision<'s> {
        let p = &self.policy;
        let rule = p.rules.get(usize::from(v.rule));
        let rule_name = rule.map(|r| r.name);
        let realm = p.realm;
        let role_names: &'s [&'s str] = &p.roles;
        let roles = Roles::new(role_names, RoleSet(v.roles));
        let subject = || self.subject(v);
        match reason_of(v.code) {
            Reason::Allow(reason) => {
                let (rule_name, subject, roles) = match reason {
                    AllowReason::Allowed => (rule_name.unwrap_or(""), subject(), roles),
                    AllowReason::Public | AllowReason::Preflight => (rule_name.unwrap_or(""), None, Roles::NONE),
                };
                let cors = rule.and_then(|r| self.cors(r, ctx, reason == AllowReason::Preflight));
                let refresh_advised = reason == AllowReason::Allowed && ctx.bearer && v.refresh;
                Decision::Allow(Allowed { reason, rule: rule_name, subject, roles, refresh_advised, cors })
            }
            Reason::Unauthorized(reason) => {
                let schemes: &'s [Scheme] = rule.map_or(&[], |r| &r.auth);
                let bearer = bearer_error(reason, ctx.bearer, rule);
                // Every 401 comes after row 6: an allowed origin gets the CORS answer, so the
                // page can read the status and the challenges.
                let cors = rule.and_then(|r| self.cors(r, ctx, false));
                Decision::Unauthorized(Unauthorized {
                    reason,
                    rule: rule_name.unwrap_or(""),
                    challenges: Challenges { realm, schemes, bearer },
                    cors,
                })
            }
            Reason::Forbidden(reason) => {
                let insufficient = reason == ForbiddenReason::InsufficientRole;
                let challenge = match rule {
                    Some(r) if insufficient && ctx.bearer => Some(Challenge::new(
                        Scheme::Bearer,
                        realm,
                        BearerError::InsufficientScope { names: role_names, all: r.roles_all, any: r.roles_any },
                    )),
                    _ => None,
                };
                let rule_name = match reason {
                    ForbiddenReason::MalformedPath
                    | ForbiddenReason::MethodNotAllowed
                    | ForbiddenReason::NoMatchingRule => None,
                    _ => rule_name,
                };
                // Of the 403s only `insufficient_role` (row 17) comes after the origin check.
                let cors = if insufficient { rule.and_then(|r| self.cors(r, ctx, false)) } else { None };
                Decision::Forbidden(Forbidden {
                    reason,
                    rule: rule_name,
                    subject: if insufficient { subject() } else { None },
                    roles: if insufficient { roles } else { Roles::NONE },
                    challenge,
                    cors,
                })
            }
        }
    }

    fn subject<'s>(&'s self, v: &Verdict) -> Option<Subject<'s>> {
        let cred = self.policy.credentials.get(usize::from(v.credential));
        match v.subject {
            SubjectSource::None => None,
            SubjectSource::CredentialId => cred.map(|c| Subject::borrowed(c.id)),
            SubjectSource::BasicUser => cred.and_then(|c| match c.kind {
                CredentialKind::Basic { user, .. } => Some(Subject::borrowed(user)),
                CredentialKind::ApiKey { .. } => None,
            }),
            SubjectSource::TokenSub => v.sub.and_then(Subject::from_claim),
        }
    }

    fn cors<'s>(&'s self, rule: &'s Rule<'s>, ctx: &Context<'s>, preflight: bool) -> Option<CorsAnswer<'s>> {
        if rule.origins.is_empty() {
            return None;
        }
        // Only a valid, allowed origin gets past row 6 on a rule with a non-empty origin list,
        // and every caller decides after row 6.
        if !ctx.origin_valid {
            return None;
        }
        let origin = core::str::from_utf8(ctx.origin?).ok()?;
        let p = &self.policy;
        let preflight = if preflight && ctx.preflight {
            let names: &'s [&'s str] = &p.methods;
            let requested = if rule.any_method { ctx.acrm.and_then(|m| core::str::from_utf8(m).ok()) } else { None };
            Some(PreflightAnswer {
                methods: AllowMethods { names, set: rule.methods, requested },
                allow_headers: p.cors.allow_headers,
                max_age_s: p.cors.max_age_s,
            })
        } else {
            None
        };
        Some(CorsAnswer { allow_origin: origin, allow_credentials: p.cors.allow_credentials, preflight })
    }
}

fn bearer_error<'s>(reason: UnauthorizedReason, bearer: bool, rule: Option<&Rule<'_>>) -> BearerError<'s> {
    use UnauthorizedReason as U;
    let invalid = |d| if bearer { BearerError::InvalidToken(d) } else { BearerError::None };
    match reason {
        U::CredentialsMalformed => invalid("the access token is malformed"),
        U::TokenAlgorithmRejected => invalid("the token signing algorithm is not accepted"),
        U::TokenUnknownKey => invalid("the token signing key is not known"),
        U::TokenBadSignature => invalid("the token signature is invalid"),
        U::TokenExpired => invalid("the access token expired"),
        U::TokenNotYetValid => invalid("the access token is not yet valid"),
        U::TokenIssuerMismatch => invalid("the token issuer is not accepted"),
        U::TokenAudienceMismatch => invalid("the token audience is not accepted"),
        U::MfaRequired => BearerError::StepUpMfa,
        U::AuthTooOld => BearerError::StepUpMaxAge(rule.and_then(|r| r.max_auth_age_s).unwrap_or(0)),
        U::CredentialsMissing | U::CredentialsAmbiguous | U::SchemeNotAccepted | U::CredentialsInvalid => {
            BearerError::None
        }
    }
}

/// The outcome of one row of the decision table for a request (see [`Engine::explain`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckOutcome {
    /// The row's condition does not hold.
    Clear,
    /// The row's condition holds (the first such row decides).
    Holds,
    /// The row does not apply to this request (e.g. token rows for an API key).
    NotApplicable,
}

/// One row of an [`Explanation`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check {
    /// Row number in SPEC §4 (1–18).
    pub row: u8,
    /// Outcome.
    pub outcome: CheckOutcome,
}

impl Check {
    /// What the row checks.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        match self.row {
            1 => "path hygiene",
            2 => "CORS preflight",
            3 => "rule match (method and path)",
            4 => "IP deny list",
            5 => "IP allow list",
            6 => "origin",
            7 => "credentials presented",
            8 => "one credential scheme",
            9 => "scheme accepted by the rule",
            10 => "credential syntax",
            11 => "API key / Basic credential",
            12 => "token algorithm and key id",
            13 => "token signature",
            14 => "token exp / nbf / iat",
            15 => "token iss / aud",
            16 => "step-up (mfa, auth age)",
            17 => "roles",
            _ => "allow",
        }
    }
}

/// A decision with the outcome of every row of the decision table.
#[derive(Debug, Clone)]
pub struct Explanation<'a> {
    /// The decision, identical to what [`Engine::evaluate`] returns.
    pub decision: Decision<'a>,
    /// Rows 1–18.
    pub checks: [Check; 18],
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use crate::policy::{CorsSettings, Settings};

    fn public_rule(name: &'static str, path: &'static str) -> Rule<'static> {
        Rule { name, path, methods: MethodSet(1), any_method: false, ..NO_RULE.clone() }
    }

    #[test]
    fn a_refuted_candidate_falls_back_to_matching_every_rule_exactly() {
        let body = PolicyBody {
            name: "fallback",
            realm: "test",
            settings: Settings::DEFAULT,
            cors: CorsSettings::DEFAULT,
            methods: ["GET"].into_iter().collect(),
            roles: heapless::Vec::new(),
            keys: heapless::Vec::new(),
            credentials: heapless::Vec::new(),
            ranges: heapless::Vec::new(),
            origins: heapless::Vec::new(),
            rules: [public_rule("a", "/a/**"), public_rule("b", "/b/**")].into_iter().collect(),
        };
        let mut out = std::vec![0u8; 1 << 14];
        let n = crate::blob::encode(&body, None, &mut out).unwrap();
        let mut engine = Engine::load(&out[..n], &[]).unwrap();
        fn allowed(e: &Engine<'_>, path: &'static str) -> Option<std::string::String> {
            match e.evaluate(&Request::new(b"GET", path.as_bytes(), 0)) {
                Decision::Allow(a) => Some(a.rule.into()),
                _ => None,
            }
        }
        assert_eq!(allowed(&engine, "/b/x").as_deref(), Some("b"));
        // Rule `a` given the fingerprint of `/b/**` (as a collision would): the filter makes
        // it the first candidate for `/b/x`, the exact check refutes it, and the fallback finds
        // rule `b`. A collision never makes a rule match.
        engine.shapes[0] = Shape::of("/b/**");
        assert_eq!(allowed(&engine, "/b/x").as_deref(), Some("b"));
        let mut scratch = Scratch::new();
        let path = NormPath::new(b"/b/x", scratch.room(16));
        assert!(path.candidate(engine.shapes[0]));
        assert_eq!(engine.match_rules(&path, true, 1), (1, true, true));
        assert_eq!(engine.match_rules_exact(&path, true, 1), (1, true, true));
    }
}
