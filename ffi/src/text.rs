//! Text going out to C: copied into the caller's buffer with a terminating NUL, or refused with
//! the size needed. Never truncated.
//!
//! One rule for every text output (README "API conventions"): `*out_len` is always set to the
//! number of bytes the text needs in the buffer, its terminating NUL included; the call
//! returns `WARDEN_RESULT_OK` when they were written and `WARDEN_RESULT_BUFFER_TOO_SMALL` when
//! `buf_len` is smaller (then nothing is written). `buf` may be NULL with `buf_len` 0 to ask
//! for the size.

use core::ffi::c_char;

use crate::boundary;
use crate::codes::warden_result;

/// Checks a text output's `out_len` and sets it to 0 (no text) until a text is known.
pub(crate) fn out_len(p: *mut usize) -> Result<*mut usize, warden_result> {
    let p = boundary::check_out(p)?;
    // SAFETY: checked out-parameter.
    unsafe { boundary::write(p, 0) };
    Ok(p)
}

/// Writes a text of `text_len` bytes produced by `fill` (which gets exactly that many zeroed
/// bytes) followed by a NUL.
///
/// # Safety
/// `out_len` must come from [`out_len`]; a non-NULL `buf` must be writable for
/// `buf_len` bytes.
pub(crate) unsafe fn emit(
    text_len: usize,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
    fill: impl FnOnce(&mut [u8]) -> Result<(), warden_result>,
) -> Result<(), warden_result> {
    let needed = text_len.checked_add(1).ok_or(warden_result::Internal)?;
    // SAFETY: checked by the caller (contract above).
    unsafe { boundary::write(out_len, needed) };
    if buf.is_null() {
        return Err(if buf_len == 0 { warden_result::BufferTooSmall } else { warden_result::NullParameter });
    }
    if buf_len > isize::MAX.unsigned_abs() {
        return Err(warden_result::InvalidLength);
    }
    if buf_len < needed {
        return Err(warden_result::BufferTooSmall);
    }
    let buf = buf.cast::<u8>();
    // SAFETY: `buf` is non-NULL and writable for `buf_len >= needed` bytes (contract and checks
    // above); zeroing first makes the slice below initialised memory.
    let out = unsafe {
        buf.write_bytes(0, needed);
        core::slice::from_raw_parts_mut(buf, text_len)
    };
    fill(out)?;
    // The NUL at index `text_len` was written by `write_bytes`.
    Ok(())
}

/// Copies `bytes` and a NUL (see the module documentation).
///
/// # Safety
/// As [`emit`].
pub(crate) unsafe fn copy(
    bytes: &[u8],
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> Result<(), warden_result> {
    // SAFETY: forwarded contract.
    unsafe {
        emit(bytes.len(), buf, buf_len, out_len, |out| {
            out.copy_from_slice(bytes);
            Ok(())
        })
    }
}

/// A short text held inline, so a decision owns it (no pointer into the request).
#[derive(Clone, Copy)]
pub(crate) struct Inline<const N: usize> {
    len: usize,
    bytes: [u8; N],
}

impl<const N: usize> Inline<N> {
    /// A copy of `s`; `None` when it is longer than `N`.
    pub(crate) fn new(s: &[u8]) -> Option<Self> {
        let mut bytes = [0u8; N];
        bytes.get_mut(..s.len())?.copy_from_slice(s);
        Some(Self { len: s.len(), bytes })
    }

    /// The text.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }
}
