//! The boundary with C: the panic guard around every export, and the checks that turn raw
//! pointers and lengths into references or a [`warden_result`].
//!
//! Every check here is one of the documented conventions (README "API conventions"): NULL is
//! refused unless a (NULL, 0) pair stands for an empty input, pointers to structs must be
//! aligned for their type, and lengths stay within `isize::MAX` as Rust slices require.

use crate::codes::warden_result;

/// Runs `f`; on hosted builds a panic inside it is caught and `on_panic` returned instead, so
/// no unwind ever crosses into C. Firmware builds abort on panic (there is no unwinding).
pub(crate) fn guard<T>(on_panic: T, f: impl FnOnce() -> T) -> T {
    #[cfg(feature = "std")]
    {
        // AssertUnwindSafe: after a panic the caller only sees `on_panic`; out-parameters were
        // reset before any work began, and a decision is written in one step at the very end.
        std::panic::catch_unwind(core::panic::AssertUnwindSafe(f)).unwrap_or(on_panic)
    }
    #[cfg(not(feature = "std"))]
    {
        let _ = on_panic;
        f()
    }
}

/// [`guard`] for fallible exports: `Ok(())` becomes [`warden_result::Ok`], a panic
/// [`warden_result::Panic`].
pub(crate) fn result(f: impl FnOnce() -> Result<(), warden_result>) -> warden_result {
    guard(warden_result::Panic, || match f() {
        Ok(()) => warden_result::Ok,
        Err(code) => code,
    })
}

/// A shared reference from a C pointer: NULL and misaligned pointers are errors.
///
/// # Safety
/// A non-NULL, aligned `p` must point to a valid `T` that stays unmodified for `'a`.
pub(crate) unsafe fn try_ref<'a, T>(p: *const T) -> Result<&'a T, warden_result> {
    if p.is_null() {
        return Err(warden_result::NullParameter);
    }
    if !p.is_aligned() {
        return Err(warden_result::Misaligned);
    }
    // SAFETY: non-NULL and aligned (checked above); validity is the caller's contract.
    Ok(unsafe { &*p })
}

/// Checks a pointer the export will write through (an out-parameter) without creating a
/// reference: the memory behind it may be uninitialised.
pub(crate) fn check_out<T>(p: *mut T) -> Result<*mut T, warden_result> {
    if p.is_null() {
        return Err(warden_result::NullParameter);
    }
    if !p.is_aligned() {
        return Err(warden_result::Misaligned);
    }
    Ok(p)
}

/// Whether the caller allows an empty byte string for a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Empty {
    /// (NULL, 0) and (p, 0) are the empty string.
    Allowed,
    /// Length 0 is [`warden_result::InvalidLength`].
    Refused,
}

/// A byte slice from a (pointer, length) pair.
///
/// # Safety
/// A non-NULL `p` must point to `len` readable bytes that stay unmodified for `'a`.
pub(crate) unsafe fn try_bytes<'a>(p: *const u8, len: usize, empty: Empty) -> Result<&'a [u8], warden_result> {
    if len == 0 {
        return match empty {
            Empty::Allowed => Ok(&[]),
            Empty::Refused => Err(warden_result::InvalidLength),
        };
    }
    if p.is_null() {
        return Err(warden_result::NullParameter);
    }
    if len > isize::MAX.unsigned_abs() {
        return Err(warden_result::InvalidLength);
    }
    // SAFETY: non-NULL, `len` within isize::MAX (checked above), u8 has alignment 1; the
    // caller guarantees `len` readable bytes.
    Ok(unsafe { core::slice::from_raw_parts(p, len) })
}

/// A slice of C structs from a (pointer, count) pair; (NULL, 0) and (p, 0) are empty.
///
/// # Safety
/// A non-NULL `p` must point to `len` valid `T`s that stay unmodified for `'a`.
pub(crate) unsafe fn try_slice<'a, T>(p: *const T, len: usize) -> Result<&'a [T], warden_result> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(warden_result::NullParameter);
    }
    if !p.is_aligned() {
        return Err(warden_result::Misaligned);
    }
    if len.checked_mul(size_of::<T>()).is_none_or(|bytes| bytes > isize::MAX.unsigned_abs()) {
        return Err(warden_result::InvalidLength);
    }
    // SAFETY: non-NULL, aligned, total size within isize::MAX (checked above); the caller
    // guarantees `len` valid elements.
    Ok(unsafe { core::slice::from_raw_parts(p, len) })
}

/// Writes `value` through an out-parameter checked by [`check_out`].
///
/// # Safety
/// `p` must come from [`check_out`] and point to writable memory for a `T`.
pub(crate) unsafe fn write<T>(p: *mut T, value: T) {
    // SAFETY: non-NULL and aligned per `check_out`; writable per the caller's contract. A
    // plain write: the old contents (possibly uninitialised) are not dropped.
    unsafe { p.write(value) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(not(feature = "std"), ignore = "firmware builds abort on panic")]
    fn a_panic_inside_the_boundary_becomes_the_panic_code() {
        let r = result(|| panic!("a bug"));
        assert_eq!(r, warden_result::Panic);
        assert_eq!(guard(7u32, || panic!("a bug")), 7);
    }

    #[test]
    fn errors_and_success_pass_through() {
        assert_eq!(result(|| Ok(())), warden_result::Ok);
        assert_eq!(result(|| Err(warden_result::Absent)), warden_result::Absent);
    }

    #[test]
    fn empty_byte_strings_follow_the_convention() {
        // SAFETY: length 0 never reads through the pointer.
        unsafe {
            assert_eq!(try_bytes(core::ptr::null(), 0, Empty::Allowed), Ok(&[][..]));
            assert_eq!(try_bytes(core::ptr::null(), 0, Empty::Refused), Err(warden_result::InvalidLength));
            assert_eq!(try_bytes(core::ptr::null(), 1, Empty::Allowed), Err(warden_result::NullParameter));
        }
    }
}
