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
    fn public_equalities() {
        assert!(eq_ignore_case_public(b"Authorization", b"authorization"));
        assert!(!eq_ignore_case_public(b"authorization", b"authorizatio"));
        assert!(eq_public(b"GET", b"GET"));
        assert!(!eq_public(b"GET", b"get"));
    }
}
