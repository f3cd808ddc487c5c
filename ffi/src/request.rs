//! The request as C passes it, and its conversion to the core's [`Request`].
//!
//! Two header values can reappear in a decision: `origin` (echoed as
//! `Access-Control-Allow-Origin`) and `access-control-request-method` (echoed in
//! `Access-Control-Allow-Methods` by a rule with `methods = ["*"]`). A decision keeps its own
//! copy of them so that it stays readable after the request's buffers are gone, which bounds
//! their length: a longer value is passed to the engine as the empty value, the core's own
//! stand-in for an unusable header (as for a repeated one), so it is never allowed and never
//! echoed.

use core::ffi::c_char;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use warden::{Header, Request};

use crate::boundary::{self, Empty};
use crate::codes::{warden_ip_family, warden_result};

/// Most headers one request may carry through the C ABI (they are converted on the stack).
/// More is `WARDEN_RESULT_TOO_MANY_HEADERS`; an HTTP host answers 431.
pub const WARDEN_MAX_HEADERS: usize = 64;

/// Longest `origin` value a decision can echo: a DNS name has at most 253 bytes, so
/// `scheme://host:port` fits with room to spare. A longer one is never allowed.
pub const WARDEN_MAX_ORIGIN_LEN: usize = 320;

/// Longest `access-control-request-method` value a decision can echo (the longest method name
/// a policy may hold). A longer one matches no listed method.
pub const WARDEN_MAX_METHOD_LEN: usize = 255;

const _: () = assert!(WARDEN_MAX_METHOD_LEN == warden::capacity::MAX_NAME);

/// One request header. Name and value are byte strings with explicit lengths (not
/// NUL-terminated); the name is matched case-insensitively and must not be empty; the value may
/// be empty (then `value` may be NULL).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct warden_header {
    /// Header name.
    pub name: *const c_char,
    /// Length of `name` (not 0).
    pub name_len: usize,
    /// Header value, as received.
    pub value: *const c_char,
    /// Length of `value`.
    pub value_len: usize,
}

/// A request to decide. Only read during `warden_evaluate`: the decision does not point into
/// any of it.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct warden_request {
    /// HTTP method token, case-sensitive (`GET`); not empty.
    pub method: *const c_char,
    /// Length of `method`.
    pub method_len: usize,
    /// Request target path; anything from `?` on is ignored. May be empty (then 403
    /// `malformed_path`).
    pub path: *const c_char,
    /// Length of `path`.
    pub path_len: usize,
    /// Request headers (all of them may be passed); NULL when `headers_len` is 0.
    pub headers: *const warden_header,
    /// Number of headers, at most `WARDEN_MAX_HEADERS`.
    pub headers_len: usize,
    /// One of `WARDEN_IP_FAMILY_*`; 0 is refused so that the field is always set on purpose.
    pub ip_family: u32,
    /// Client address in network order: `ip[0..4]` for IPv4, `ip[0..16]` for IPv6.
    pub ip: [u8; 16],
    /// Current time, Unix seconds. The engine never reads a clock.
    pub now: u64,
}

/// Converts `r`, writing the headers into `buf`.
///
/// # Safety
/// Every pointer in `r` must be valid for its length for `'r`.
pub(crate) unsafe fn convert<'r>(
    r: &'r warden_request,
    buf: &'r mut [Header<'r>; WARDEN_MAX_HEADERS],
) -> Result<Request<'r>, warden_result> {
    // The count first: no slice is made over more headers than the call accepts.
    if r.headers_len > WARDEN_MAX_HEADERS {
        return Err(warden_result::TooManyHeaders);
    }
    // SAFETY: forwarded contract, for every pointer/length pair of the request.
    let (method, path, headers) = unsafe {
        (
            boundary::try_bytes(r.method.cast::<u8>(), r.method_len, Empty::Refused)?,
            boundary::try_bytes(r.path.cast::<u8>(), r.path_len, Empty::Allowed)?,
            boundary::try_slice(r.headers, r.headers_len)?,
        )
    };
    let client_ip = match warden_ip_family::from_u32(r.ip_family).ok_or(warden_result::InvalidValue)? {
        warden_ip_family::None => None,
        warden_ip_family::V4 => {
            let [a, b, c, d, ..] = r.ip;
            Some(IpAddr::V4(Ipv4Addr::new(a, b, c, d)))
        }
        warden_ip_family::V6 => Some(IpAddr::V6(Ipv6Addr::from(r.ip))),
    };
    for (h, out) in headers.iter().zip(buf.iter_mut()) {
        // SAFETY: forwarded contract.
        let (name, value) = unsafe {
            (
                boundary::try_bytes(h.name.cast::<u8>(), h.name_len, Empty::Refused)?,
                boundary::try_bytes(h.value.cast::<u8>(), h.value_len, Empty::Allowed)?,
            )
        };
        let echoed_limit = if name.eq_ignore_ascii_case(b"origin") {
            WARDEN_MAX_ORIGIN_LEN
        } else if name.eq_ignore_ascii_case(b"access-control-request-method") {
            WARDEN_MAX_METHOD_LEN
        } else {
            usize::MAX
        };
        let value = if value.len() > echoed_limit { &[][..] } else { value };
        *out = Header::new(name, value);
    }
    let buf: &'r [Header<'r>; WARDEN_MAX_HEADERS] = buf;
    let headers = buf.get(..headers.len()).ok_or(warden_result::Internal)?;
    Ok(Request { method, path, client_ip, headers, now: r.now })
}
