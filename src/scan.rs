//! Word-at-a-time byte search (SWAR) over public data: the request and the policy as sent.
//!
//! Eight bytes are tested at once with exact masks (no false positives from carries), so a
//! search costs about one instruction per byte instead of a compare and a branch per byte.
//! Timing depends on where the byte is: use these on public data only.

/// `0x01` in every byte.
pub(crate) const LOW: u64 = 0x0101_0101_0101_0101;
/// `0x80` in every byte.
pub(crate) const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of every zero byte of `w` (exact: no carries between bytes).
#[inline]
pub(crate) fn zero_bytes(w: u64) -> u64 {
    !(((w & !HIGH).wrapping_add(!HIGH)) | w) & HIGH
}

/// The high bit of every byte of `w` equal to `b`.
#[inline]
pub(crate) fn eq_bytes(w: u64, b: u8) -> u64 {
    zero_bytes(w ^ LOW.wrapping_mul(u64::from(b)))
}

/// Index of the lowest flagged byte of a non-zero mask (little-endian words).
#[inline]
pub(crate) fn first(flags: u64) -> usize {
    usize::try_from(flags.trailing_zeros() / 8).unwrap_or(0)
}

/// The first position in `hay` where `stop` flags a byte (`stop` tests a whole word).
#[inline]
fn find(hay: &[u8], stop: impl Fn(u64) -> u64, stop_byte: impl Fn(u8) -> bool) -> Option<usize> {
    let mut words = hay.chunks_exact(8);
    let mut at = 0usize;
    for w in &mut words {
        let flags = stop(u64::from_le_bytes(<[u8; 8]>::try_from(w).unwrap_or([0; 8])));
        if flags != 0 {
            return Some(at.wrapping_add(first(flags)));
        }
        at = at.wrapping_add(8);
    }
    words.remainder().iter().position(|&c| stop_byte(c)).map(|i| at.wrapping_add(i))
}

/// Position of the first `b` in `hay`.
pub(crate) fn find_byte(hay: &[u8], b: u8) -> Option<usize> {
    find(hay, |w| eq_bytes(w, b), |c| c == b)
}

/// Position of the first byte that ends a run of plain JSON string bytes: `"`, `\` or a
/// control character (below 0x20).
pub(crate) fn find_json_special(hay: &[u8]) -> Option<usize> {
    find(
        hay,
        |w| eq_bytes(w, b'"') | eq_bytes(w, b'\\') | zero_bytes(w & LOW.wrapping_mul(0xe0)),
        |c| c == b'"' || c == b'\\' || c < 0x20,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_agree_with_iterators_on_every_position_and_byte() {
        for len in 0..40usize {
            for at in 0..len {
                for b in [0u8, 0x1f, 0x20, b'"', b'\\', b'.', 0x7f, 0x80, 0xff] {
                    let mut hay = std::vec![b'a'; len];
                    hay[at] = b;
                    assert_eq!(find_byte(&hay, b), hay.iter().position(|&c| c == b), "{len} {at} {b}");
                    let want = hay.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20);
                    assert_eq!(find_json_special(&hay), want, "{len} {at} {b}");
                }
            }
        }
    }

    extern crate std;
}
