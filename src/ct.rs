//! Constant-time building blocks: the only place that compares secret-derived values.
//!
//! Values derived from secrets (a computed MAC, whether a stored digest matched, the roles of
//! the matching credential) travel as [`Choice`] or as integers selected with
//! [`ConditionallySelectable`]; nothing branches on them or indexes memory with them until the
//! final decision is declassified in [`crate::engine`]. Public values (the request, the
//! policy's structure) use plain `bool`s but, where the work should not depend on which rule or
//! check decided, are also combined without early exits.

pub(crate) use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};

/// `a == b` for equal-length byte strings; different lengths (public) are unequal.
#[inline]
pub(crate) fn bytes_eq(a: &[u8], b: &[u8]) -> Choice {
    a.ct_eq(b)
}

/// `a < b` for 64-bit values, without a data-dependent branch.
#[inline]
pub(crate) fn lt_u64(a: u64, b: u64) -> Choice {
    // The borrow out of `a - b` is the comparison (Hacker's Delight 2-12).
    let borrow = ((!a & b) | (!(a ^ b) & a.wrapping_sub(b))) >> 63;
    Choice::from(u8::from(borrow == 1))
}

/// `a <= b`.
#[inline]
pub(crate) fn le_u64(a: u64, b: u64) -> Choice {
    !lt_u64(b, a)
}

/// `v != 0`.
#[inline]
pub(crate) fn nonzero_u64(v: u64) -> Choice {
    !v.ct_eq(&0)
}

/// Selects `a` when `c` is set, else `b`.
#[inline]
pub(crate) fn select<T: ConditionallySelectable>(c: Choice, a: T, b: T) -> T {
    T::conditional_select(&b, &a, c)
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
    fn comparisons_match_the_plain_operators() {
        let edges = [0u64, 1, 2, 59, 60, 61, u64::MAX / 2, u64::MAX / 2 + 1, u64::MAX - 1, u64::MAX];
        for &a in &edges {
            for &b in &edges {
                assert_eq!(bool::from(lt_u64(a, b)), a < b, "{a} < {b}");
                assert_eq!(bool::from(le_u64(a, b)), a <= b, "{a} <= {b}");
            }
            assert_eq!(bool::from(nonzero_u64(a)), a != 0);
        }
    }

    #[test]
    fn public_equalities() {
        assert!(eq_ignore_case_public(b"Authorization", b"authorization"));
        assert!(!eq_ignore_case_public(b"authorization", b"authorizatio"));
        assert!(eq_public(b"GET", b"GET"));
        assert!(!eq_public(b"GET", b"get"));
    }
}
