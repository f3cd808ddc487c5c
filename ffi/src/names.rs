//! The text of a code, for C: the name of a reason and the message of a result.
//!
//! Imports flow one way in this crate's lower modules: [`codes`](crate::codes) (the integers,
//! no imports of its own) ← [`boundary`](crate::boundary) (pointer checks, the panic guard) ←
//! [`text`](crate::text) (text out to C) ← this module (exports that use all three).

use core::ffi::c_char;

use crate::boundary;
use crate::codes::{warden_reason, warden_result};
use crate::text;

/// Copies the stable `snake_case` name of `reason` (e.g. `token_expired`) into `buf`, NUL
/// terminated.
///
/// Returns `WARDEN_RESULT_INVALID_VALUE` for a value that is not a `WARDEN_REASON_*` code.
///
/// # Safety
/// `buf` must be writable for `buf_len` bytes (or be NULL with `buf_len` 0, to ask for the
/// size); `out_len` must be a valid pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn warden_reason_name(
    reason: u32,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> warden_result {
    boundary::result(|| {
        let out_len = text::out_len(out_len)?;
        let r = warden_reason::core_from_u32(reason).ok_or(warden_result::InvalidValue)?;
        // SAFETY: buffer and out_len per this function's contract.
        unsafe { text::copy(r.as_str().as_bytes(), buf, buf_len, out_len) }
    })
}

/// Copies a one-line English description of `result` into `buf`, NUL terminated.
///
/// Returns `WARDEN_RESULT_INVALID_VALUE` for a value that is not a `WARDEN_RESULT_*` code.
///
/// # Safety
/// As `warden_reason_name`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn warden_result_message(
    result: u32,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> warden_result {
    boundary::result(|| {
        let out_len = text::out_len(out_len)?;
        let code = warden_result::from_u32(result).ok_or(warden_result::InvalidValue)?;
        // SAFETY: buffer and out_len per this function's contract.
        unsafe { text::copy(code.message().as_bytes(), buf, buf_len, out_len) }
    })
}
