//! `warden_evaluate` and the decision it fills: a struct the caller owns (on the stack, in a
//! static, anywhere), read back through accessors.
//!
//! A decision holds copies of everything that came from the request (subject, `origin`,
//! requested method) and points only into the engine (rule and role names, realm, CORS
//! settings, all parts of the compiled policy). So it stays readable after the request's
//! buffers are gone, for as long as the engine is loaded; it may be copied with `memcpy`.
//! Reading it after the engine was cleared or reloaded is refused
//! (`WARDEN_RESULT_STALE_DECISION`).

use core::ffi::c_char;

use warden::capacity::MAX_SUBJECT;
use warden::decision::Challenge;
use warden::{Decision, Header, Roles};

use crate::boundary;
use crate::codes::{warden_kind, warden_reason, warden_result};
use crate::engine::{Slot, warden_engine};
use crate::request::{self, WARDEN_MAX_HEADERS, WARDEN_MAX_METHOD_LEN, WARDEN_MAX_ORIGIN_LEN, warden_request};
use crate::text::{self, Inline};

/// Size of `warden_decision` in 64-bit words.
pub const WARDEN_DECISION_WORDS: usize = 176;

/// A decision, owned by the caller: declare one anywhere (`warden_decision d;`) and let
/// `warden_evaluate` fill it. Its contents are private; read them with the
/// `warden_decision_*` accessors. Nothing in it needs freeing.
#[repr(C)]
pub struct warden_decision {
    _opaque: [u64; WARDEN_DECISION_WORDS],
}

impl core::fmt::Debug for warden_decision {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("warden_decision { .. }")
    }
}

/// Most challenges a decision carries: one per scheme a rule accepts (bearer, basic, api_key)
/// on a 401, one on a bearer `insufficient_role`.
const MAX_CHALLENGES: usize = 4;

const DECISION_MAGIC: u64 = u64::from_le_bytes(*b"WRDNdec1");

/// What a `warden_decision` holds once filled. The first field is the marker, so an unfilled
/// or reset decision is recognised by reading one `u64`.
///
/// cbindgen:ignore
#[repr(C)]
struct Snapshot<'e> {
    magic: u64,
    engine: *const Slot,
    generation: u32,
    kind: warden_kind,
    reason: warden_reason,
    status: u16,
    refresh_advised: bool,
    rule: Option<&'e str>,
    subject: Option<Inline<MAX_SUBJECT>>,
    roles: Roles<'e>,
    challenges: heapless::Vec<Challenge<'e>, MAX_CHALLENGES>,
    cors: Option<Cors<'e>>,
}

struct Cors<'e> {
    origin: Inline<WARDEN_MAX_ORIGIN_LEN>,
    credentials: bool,
    preflight: Option<Preflight<'e>>,
}

struct Preflight<'e> {
    /// The policy's method names; `listed` indexes them.
    methods: &'e [&'e str],
    listed: u32,
    /// The requested method, echoed by a rule with `methods = ["*"]`.
    requested: Option<Inline<WARDEN_MAX_METHOD_LEN>>,
    allow_headers: &'e str,
    max_age_s: u32,
}

/// Bytes of a decision's contents (tests keep `WARDEN_DECISION_WORDS` close to it).
#[doc(hidden)]
pub const SNAPSHOT_SIZE: usize = size_of::<Snapshot<'static>>();

const _: () = {
    assert!(size_of::<Snapshot<'static>>() <= size_of::<warden_decision>());
    assert!(align_of::<Snapshot<'static>>() <= align_of::<warden_decision>());
    assert!(warden::capacity::MAX_METHODS <= 32);
};

impl<'e> Snapshot<'e> {
    /// Copies out of `d` what comes from the request, and keeps what points into the engine.
    fn capture(slot: &'e Slot, engine: *const Slot, d: &Decision<'e>) -> Result<Self, warden_result> {
        let kind = match d {
            Decision::Allow(_) => warden_kind::Allow,
            Decision::Unauthorized(_) => warden_kind::Unauthorized,
            Decision::Forbidden(_) => warden_kind::Forbidden,
        };
        let subject = match d.subject() {
            Some(s) => Some(Inline::new(s.as_bytes()).ok_or(warden_result::Internal)?),
            None => None,
        };
        let mut challenges = heapless::Vec::new();
        for c in d.challenges() {
            challenges.push(c).map_err(|_| warden_result::Internal)?;
        }
        let cors = match d.cors() {
            None => None,
            Some(c) => Some(Cors {
                // Bounded by request::convert.
                origin: Inline::new(c.allow_origin().as_bytes()).ok_or(warden_result::Internal)?,
                credentials: c.allow_credentials(),
                preflight: match c.preflight() {
                    None => None,
                    Some(p) => Some(Self::preflight(slot, p)?),
                },
            }),
        };
        Ok(Self {
            magic: DECISION_MAGIC,
            engine,
            generation: slot.generation,
            kind,
            reason: warden_reason::from(d.reason()),
            status: d.status(),
            refresh_advised: d.refresh_advised(),
            rule: d.rule(),
            subject,
            roles: d.roles(),
            challenges,
            cors,
        })
    }

    /// The methods of a preflight answer: the policy's names by index (the same `&str`s the
    /// engine holds), and a copy of a requested method echoed from the request.
    fn preflight(slot: &'e Slot, p: &warden::decision::PreflightAnswer<'e>) -> Result<Preflight<'e>, warden_result> {
        let methods: &'e [&'e str] = &slot.engine.policy().methods;
        let mut listed = 0u32;
        let mut requested = None;
        for name in p.allow_methods().iter() {
            let same = |m: &&str| core::ptr::eq(m.as_ptr(), name.as_ptr()) && m.len() == name.len();
            match methods.iter().position(same) {
                Some(i) => {
                    let bit = u32::try_from(i).ok().and_then(|i| 1u32.checked_shl(i));
                    listed |= bit.ok_or(warden_result::Internal)?;
                }
                None if requested.is_none() => {
                    // Bounded by request::convert.
                    requested = Some(Inline::new(name.as_bytes()).ok_or(warden_result::Internal)?);
                }
                None => return Err(warden_result::Internal),
            }
        }
        Ok(Preflight { methods, listed, requested, allow_headers: p.allow_headers(), max_age_s: p.max_age_s() })
    }
}

impl Preflight<'_> {
    /// The `Access-Control-Allow-Methods` names, in the order the core renders them.
    fn names(&self) -> impl Iterator<Item = &[u8]> {
        let listed = self.listed;
        let policy = self.methods.iter().enumerate().filter_map(move |(i, m)| {
            let bit = u32::try_from(i).ok().and_then(|i| 1u32.checked_shl(i)).unwrap_or(0);
            (listed & bit != 0).then_some(m.as_bytes())
        });
        self.requested.as_ref().map(Inline::as_bytes).into_iter().chain(policy)
    }
}

/// The filled decision behind a C pointer.
///
/// # Safety
/// A non-NULL, aligned `d` must point to a `warden_decision` that was zeroed or filled by
/// `warden_evaluate` (possibly copied since), and the engine that filled it must still be in
/// its memory or that memory cleared/reloaded (not freed).
unsafe fn read<'d>(d: *const warden_decision) -> Result<&'d Snapshot<'d>, warden_result> {
    // SAFETY: forwarded contract; only the marker is read until it proves a filled decision.
    let magic = unsafe { boundary::try_ref(d)?._opaque[0] };
    if magic != DECISION_MAGIC {
        return Err(warden_result::NoDecision);
    }
    // SAFETY: the marker is written only as part of a whole snapshot (warden_evaluate), and the
    // snapshot fits in the struct (asserted at compile time).
    let s = unsafe { &*d.cast::<Snapshot<'d>>() };
    // SAFETY: engine memory outlives its decisions (contract); reading the marker and
    // generation tells whether it still holds the same engine.
    if !unsafe { Slot::holds(s.engine, s.generation) } {
        return Err(warden_result::StaleDecision);
    }
    Ok(s)
}

/// Decides `request` with `engine` and fills `*decision_out`.
///
/// Every request gets a decision: over-long paths or headers, bad tokens and so on are
/// decided (403/401), not errors. Errors are for arguments the documentation forbids; then
/// `*decision_out` is reset to "no decision" (its kind reads 0), so a stale decision is never
/// mistaken for a fresh one. The decision does not point into `request`.
///
/// # Safety
/// `engine` must point to loaded engine memory; `request` to a valid `warden_request` whose
/// pointers are valid for their lengths during the call; `decision_out` must be writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn warden_evaluate(
    engine: *const warden_engine,
    request: *const warden_request,
    decision_out: *mut warden_decision,
) -> warden_result {
    boundary::result(|| {
        let out = boundary::check_out(decision_out)?;
        // SAFETY: checked out-parameter; resetting the marker alone makes it "no decision".
        unsafe { boundary::write(out.cast::<u64>(), 0) };
        // SAFETY: forwarded contract.
        let (slot, request) = unsafe { (Slot::from_ptr(engine)?, boundary::try_ref(request)?) };
        let mut headers = [Header::new(&[], &[]); WARDEN_MAX_HEADERS];
        // SAFETY: forwarded contract; the request is read only during this call.
        let request = unsafe { request::convert(request, &mut headers)? };
        let decision = slot.engine.evaluate(&request);
        let snapshot = Snapshot::capture(slot, engine.cast::<Slot>(), &decision)?;
        // SAFETY: checked out-parameter, large and aligned enough (asserted at compile time).
        // The snapshot's borrows point into the engine only (see the module documentation;
        // tests/abi.rs reads decisions after freeing their requests, under miri and ASan).
        unsafe { boundary::write(out.cast::<Snapshot<'_>>(), snapshot) };
        Ok(())
    })
}

/// Runs `f` on a filled decision; `default` for anything else (NULL, misaligned, unfilled,
/// stale) and on a caught panic.
///
/// # Safety
/// As [`read`] for a non-NULL `d`.
unsafe fn get<T: Copy>(d: *const warden_decision, default: T, f: impl FnOnce(&Snapshot<'_>) -> T) -> T {
    // SAFETY: forwarded contract.
    boundary::guard(default, || unsafe { read(d) }.map_or(default, f))
}

/// Runs a text accessor: checks and resets `out_len`, reads the decision, then lets `f` copy.
///
/// # Safety
/// As [`read`] for a non-NULL `d`; `out_len` and the buffer as in [`text::emit`].
unsafe fn text_accessor(
    d: *const warden_decision,
    out_len: *mut usize,
    f: impl FnOnce(&Snapshot<'_>, *mut usize) -> Result<(), warden_result>,
) -> warden_result {
    boundary::result(|| {
        let out_len = text::out_len(out_len)?;
        // SAFETY: forwarded contract.
        let s = unsafe { read(d)? };
        f(s, out_len)
    })
}

/// The kind of decision: one of `WARDEN_KIND_*`, or 0 when `decision` holds no
/// decision (NULL, misaligned, never filled, a failed evaluate, or a stale one).
///
/// # Safety
/// `decision` must be NULL or point to a `warden_decision` (see `warden_evaluate`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn warden_decision_kind(decision: *const warden_decision) -> u32 {
    // SAFETY: forwarded contract.
    unsafe { get(decision, 0, |s| s.kind as u32) }
}

/// The HTTP status: 200, 401 or 403; 0 when `decision` holds no decision.
///
/// # Safety
/// As `warden_decision_kind`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn warden_decision_status(decision: *const warden_decision) -> u16 {
    // SAFETY: forwarded contract.
    unsafe { get(decision, 0, |s| s.status) }
}

/// The reason: one of `WARDEN_REASON_*`, or 0 when `decision` holds no decision.
///
/// # Safety
/// As `warden_decision_kind`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn warden_decision_reason(decision: *const warden_decision) -> u32 {
    // SAFETY: forwarded contract.
    unsafe { get(decision, 0, |s| s.reason as u32) }
}

/// Whether an Allow by token should prompt the client to refresh it (it expires within the
/// policy's `refresh_window_s`); false otherwise.
///
/// # Safety
/// As `warden_decision_kind`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn warden_decision_refresh_advised(decision: *const warden_decision) -> bool {
    // SAFETY: forwarded contract.
    unsafe { get(decision, false, |s| s.refresh_advised) }
}

/// Copies the name of the governing rule. `WARDEN_RESULT_ABSENT` when no rule matched
/// (`malformed_path`, `method_not_allowed`, `no_matching_rule`).
///
/// # Safety
/// `decision` as in `warden_decision_kind`; `buf` writable for `buf_len` bytes (or NULL with
/// `buf_len` 0 to ask for the size); `out_len` a valid pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn warden_decision_rule(
    decision: *const warden_decision,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> warden_result {
    // SAFETY: forwarded contract.
    unsafe {
        text_accessor(decision, out_len, |s, out_len| {
            let rule = s.rule.ok_or(warden_result::Absent)?;
            text::copy(rule.as_bytes(), buf, buf_len, out_len)
        })
    }
}

/// Copies the authenticated subject: credential id, Basic user or token `sub`. Present on an
/// Allow by credentials (unless a token has no `sub`) and on `insufficient_role`; otherwise
/// `WARDEN_RESULT_ABSENT`. A token `sub` may contain any UTF-8, NUL included: use `*out_len`.
///
/// # Safety
/// As `warden_decision_rule`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn warden_decision_subject(
    decision: *const warden_decision,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> warden_result {
    // SAFETY: forwarded contract.
    unsafe {
        text_accessor(decision, out_len, |s, out_len| {
            let subject = s.subject.as_ref().ok_or(warden_result::Absent)?;
            text::copy(subject.as_bytes(), buf, buf_len, out_len)
        })
    }
}

/// Number of roles of the subject that the policy knows (0 without a subject).
///
/// # Safety
/// As `warden_decision_kind`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn warden_decision_role_count(decision: *const warden_decision) -> usize {
    // SAFETY: forwarded contract.
    unsafe { get(decision, 0, |s| s.roles.len()) }
}

/// Copies role number `index` (below `warden_decision_role_count`, in policy order).
///
/// # Safety
/// As `warden_decision_rule`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn warden_decision_role(
    decision: *const warden_decision,
    index: usize,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> warden_result {
    // SAFETY: forwarded contract.
    unsafe {
        text_accessor(decision, out_len, |s, out_len| {
            let role = s.roles.iter().nth(index).ok_or(warden_result::IndexOutOfRange)?;
            text::copy(role.as_bytes(), buf, buf_len, out_len)
        })
    }
}

/// Number of `WWW-Authenticate` challenges: one per accepted scheme on a 401, one on a bearer
/// `insufficient_role` 403, none otherwise. Send each as its own header.
///
/// # Safety
/// As `warden_decision_kind`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn warden_decision_challenge_count(decision: *const warden_decision) -> usize {
    // SAFETY: forwarded contract.
    unsafe { get(decision, 0, |s| s.challenges.len()) }
}

/// Renders challenge number `index` (below `warden_decision_challenge_count`), the value of a
/// `WWW-Authenticate` header such as `Bearer realm="edge-api", error="invalid_token", …`.
///
/// # Safety
/// As `warden_decision_rule`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn warden_decision_challenge(
    decision: *const warden_decision,
    index: usize,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> warden_result {
    // SAFETY: forwarded contract.
    unsafe {
        text_accessor(decision, out_len, |s, out_len| {
            let c = s.challenges.get(index).ok_or(warden_result::IndexOutOfRange)?;
            text::emit(c.rendered_len(), buf, buf_len, out_len, |out| {
                c.render(out).map(|_| ()).map_err(|_| warden_result::Internal)
            })
        })
    }
}

/// Copies `Access-Control-Allow-Origin`: the request's `origin`, echoed. Present, for every
/// kind of decision, when the governing rule lists origins and the request sent an allowed
/// `origin`: on an Allow (every preflight Allow), on every 401, and on a 403
/// `insufficient_role` (the denials decided after the origin check, which a browser page may
/// read: send them with `Access-Control-Expose-Headers: WWW-Authenticate` too). Otherwise
/// `WARDEN_RESULT_ABSENT`: a rule without origins, no `origin`, a 403 of the network and origin
/// checks, a refused preflight; send no CORS headers then. Send `Vary: Origin` either way on
/// routes whose rules list origins.
///
/// # Safety
/// As `warden_decision_rule`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn warden_decision_cors_allow_origin(
    decision: *const warden_decision,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> warden_result {
    // SAFETY: forwarded contract.
    unsafe {
        text_accessor(decision, out_len, |s, out_len| {
            let cors = s.cors.as_ref().ok_or(warden_result::Absent)?;
            text::copy(cors.origin.as_bytes(), buf, buf_len, out_len)
        })
    }
}

/// Whether to send `Access-Control-Allow-Credentials: true` with the CORS answer (any kind of
/// decision that carries one, see `warden_decision_cors_allow_origin`); false without one.
///
/// # Safety
/// As `warden_decision_kind`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn warden_decision_cors_allow_credentials(decision: *const warden_decision) -> bool {
    // SAFETY: forwarded contract.
    unsafe { get(decision, false, |s| s.cors.as_ref().is_some_and(|c| c.credentials)) }
}

/// Copies `Access-Control-Allow-Methods` (`GET, POST`) of a preflight Allow; otherwise
/// `WARDEN_RESULT_ABSENT`.
///
/// # Safety
/// As `warden_decision_rule`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn warden_decision_cors_allow_methods(
    decision: *const warden_decision,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> warden_result {
    // SAFETY: forwarded contract.
    unsafe {
        text_accessor(decision, out_len, |s, out_len| {
            let p = s.cors.as_ref().and_then(|c| c.preflight.as_ref()).ok_or(warden_result::Absent)?;
            let mut len = 0usize;
            for (i, name) in p.names().enumerate() {
                let sep = if i == 0 { 0 } else { 2 };
                len = len.checked_add(sep).and_then(|l| l.checked_add(name.len())).ok_or(warden_result::Internal)?;
            }
            text::emit(len, buf, buf_len, out_len, |out| {
                let mut at = 0usize;
                for (i, name) in p.names().enumerate() {
                    let piece: [&[u8]; 2] = [if i == 0 { b"" } else { b", " }, name];
                    for bytes in piece {
                        let end = at.checked_add(bytes.len()).ok_or(warden_result::Internal)?;
                        out.get_mut(at..end).ok_or(warden_result::Internal)?.copy_from_slice(bytes);
                        at = end;
                    }
                }
                Ok(())
            })
        })
    }
}

/// Copies `Access-Control-Allow-Headers` (from the policy's `[cors]`) of a preflight Allow;
/// otherwise `WARDEN_RESULT_ABSENT`.
///
/// # Safety
/// As `warden_decision_rule`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn warden_decision_cors_allow_headers(
    decision: *const warden_decision,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> warden_result {
    // SAFETY: forwarded contract.
    unsafe {
        text_accessor(decision, out_len, |s, out_len| {
            let p = s.cors.as_ref().and_then(|c| c.preflight.as_ref()).ok_or(warden_result::Absent)?;
            text::copy(p.allow_headers.as_bytes(), buf, buf_len, out_len)
        })
    }
}

/// Sets `*out_seconds` to `Access-Control-Max-Age` of a preflight Allow; otherwise returns
/// `WARDEN_RESULT_ABSENT` and sets it to 0.
///
/// # Safety
/// `decision` as in `warden_decision_kind`; `out_seconds` a valid pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn warden_decision_cors_max_age(
    decision: *const warden_decision,
    out_seconds: *mut u32,
) -> warden_result {
    boundary::result(|| {
        let out = boundary::check_out(out_seconds)?;
        // SAFETY: checked out-parameter.
        unsafe { boundary::write(out, 0) };
        // SAFETY: forwarded contract.
        let s = unsafe { read(decision)? };
        let p = s.cors.as_ref().and_then(|c| c.preflight.as_ref()).ok_or(warden_result::Absent)?;
        // SAFETY: checked out-parameter.
        unsafe { boundary::write(out, p.max_age_s) };
        Ok(())
    })
}
