//! Constant-time building blocks: the only place that compares secret-derived values.
//!
//! Values derived from secrets (a computed MAC, whether a stored digest matched, the roles of
//! the matching credential) travel as [`Choice`] masks or as integers picked with [`select`];
//! nothing branches on them or indexes memory with them until the final decision is
//! declassified in [`crate::engine`].
//!
//! A [`Choice`] is a full-width mask (all zeros or all ones). Unlike `subtle`'s `Choice`, whose
//! every operation passes through a volatile read, only a comparison of secret data puts its
//! result behind an optimization barrier ([`core::hint::black_box`]); combining masks is plain
//! bit arithmetic. The compiled code is what counts, so `ctgrind` (valgrind memcheck with the
//! secrets marked undefined) checks the release binary for secret-dependent branches.

use core::ops::{BitAnd, BitOr, BitOrAssign, Not};

/// A mask: `0` (false) or `u64::MAX` (true).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Choice(u64);

impl From<u8> for Choice {
    /// From a public 0/1 value (any non-zero value is true).
    #[inline]
    fn from(b: u8) -> Self {
        Self(0u64.wrapping_sub(u64::from(b != 0)))
    }
}

impl From<Choice> for bool {
    /// Declassifies: the caller decides this value may be branched on.
    #[inline]
    fn from(c: Choice) -> bool {
        c.0 != 0
    }
}

impl BitAnd for Choice {
    type Output = Self;
    #[inline]
    fn bitand(self, rhs: Self) -> Self {
        Self(self.0 & rhs.0)
    }
}

impl BitOr for Choice {
    type Output = Self;
    #[inline]
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

impl BitOrAssign for Choice {
    #[inline]
    fn bitor_assign(&mut self, rhs: Self) {
        self.0 |= rhs.0;
    }
}

impl Not for Choice {
    type Output = Self;
    #[inline]
    fn not(self) -> Self {
        Self(!self.0)
    }
}

/// The mask for "`diff` is zero", computed without a branch and hidden from the optimizer so
/// that it cannot turn later selects back into branches.
#[inline]
fn zero_mask(diff: u64) -> Choice {
    let d = core::hint::black_box(diff);
    // (d | -d) has its top bit set exactly when d != 0.
    Choice(((d | d.wrapping_neg()) >> 63).wrapping_sub(1))
}

/// `a == b` for byte strings, examining every byte; different lengths (always public here)
/// are unequal.
#[inline]
pub(crate) fn bytes_eq(a: &[u8], b: &[u8]) -> Choice {
    let mut diff = u8::from(a.len() != b.len());
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    zero_mask(u64::from(diff))
}

/// `a == b` for 64-bit values.
#[inline]
pub(crate) fn eq_u64(a: u64, b: u64) -> Choice {
    zero_mask(a ^ b)
}

/// Types that can be picked by a mask.
pub(crate) trait Select: Copy {
    /// `a` when `c` is true, else `b`.
    fn select(c: Choice, a: Self, b: Self) -> Self;
}

macro_rules! select_int {
    ($($t:ty),*) => {$(
        impl Select for $t {
            #[inline]
            fn select(c: Choice, a: Self, b: Self) -> Self {
                // Truncating the all-zeros/all-ones mask keeps it a mask.
                let m = c.0 as $t;
                (a & m) | (b & !m)
            }
        }
    )*};
}

#[allow(clippy::as_conversions, clippy::cast_possible_truncation, reason = "narrowing a 0/all-ones mask")]
mod select_impls {
    use super::{Choice, Select};
    select_int!(u8, u16, u32, u64, usize);
}

impl Select for Choice {
    #[inline]
    fn select(c: Choice, a: Self, b: Self) -> Self {
        Self((a.0 & c.0) | (b.0 & !c.0))
    }
}

/// Selects `a` when `c` is set, else `b`.
#[inline]
pub(crate) fn select<T: Select>(c: Choice, a: T, b: T) -> T {
    T::select(c, a, b)
}

/// ASCII case-insensitive equality of two public byte strings of public lengths, examining
/// every byte (no early exit).
#[inline]
pub(crate) fn eq_ignore_case_public(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for (x, y) in a.iter().zip(b) {
        diff |= x.to_ascii_lowercase() ^ y.to_ascii_lowercase();
    }
    diff == 0
}

/// Byte equality of two public strings, examining every byte (no early exit).
#[inline]
pub(crate) fn eq_public(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_behave_like_booleans() {
        for a in [false, true] {
            for b in [false, true] {
                let (ca, cb) = (Choice::from(u8::from(a)), Choice::from(u8::from(b)));
                assert_eq!(bool::from(ca & cb), a & b);
                assert_eq!(bool::from(ca | cb), a | b);
                assert_eq!(bool::from(!ca), !a);
                assert_eq!(select(ca, 7u16, 9), if a { 7 } else { 9 });
                assert_eq!(select(ca, u64::MAX, 1), if a { u64::MAX } else { 1 });
            }
        }
    }

    #[test]
    fn equalities() {
        assert!(bool::from(bytes_eq(b"abc", b"abc")));
        assert!(!bool::from(bytes_eq(b"abc", b"abd")));
        assert!(!bool::from(bytes_eq(b"abc", b"ab")));
        assert!(bool::from(bytes_eq(b"", b"")));
        assert!(bool::from(eq_u64(5, 5)));
        assert!(!bool::from(eq_u64(5, 1 << 63 | 5)));
        assert!(eq_ignore_case_public(b"Authorization", b"authorization"));
        assert!(!eq_ignore_case_public(b"authorization", b"authorizatio"));
        assert!(eq_public(b"GET", b"GET"));
        assert!(!eq_public(b"GET", b"get"));
    }
}
