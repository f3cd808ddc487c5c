//! Word-at-a-time byte search (SWAR) over public data: the request as sent.
//!
//! Eight bytes are tested at once with an exact mask (no false positives from carries), so a
//! search costs about one instruction per byte instead of a compare and a branch per byte.
//! Timing depends on where the byte is: use this on public data only.

/// `0x01` in every byte.
const LOW: u64 = 0x0101_0101_0101_0101;
/// `0x80` in every byte.
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of every byte of `w` equal to `b` (exact: no carries between bytes).
#[inline]
fn eq_bytes(w: u64, b: u8) -> u64 {
    let t = w ^ LOW.wrapping_mul(u64::from(b));
    !(((t & !HIGH).wrapping_add(!HIGH)) | t) & HIGH
}

/// Position of the first `b` in `hay`.
pub(crate) fn find_byte(hay: &[u8], b: u8) -> Option<usize> {
    let mut words = hay.chunks_exact(8);
    let mut at = 0usize;
    for w in &mut words {
        let flags = eq_bytes(u64::from_le_bytes(<[u8; 8]>::try_from(w).unwrap_or([0; 8])), b);
        if flags != 0 {
            // Little-endian: the lowest flagged byte comes first.
            return usize::try_from(flags.trailing_zeros() / 8).ok().map(|i| at.wrapping_add(i));
        }
        at = at.wrapping_add(8);
    }
    words.remainder().iter().position(|&c| c == b).map(|i| at.wrapping_add(i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_agrees_with_iterators_on_every_position_and_byte() {
        for len in 0..40usize {
            for at in 0..len {
                for b in [0u8, 0x1f, 0x20, b'"', b'\\', b'.', b'*', 0x7f, 0x80, 0xff] {
                    let mut hay = std::vec![b'a'; len];
                    hay[at] = b;
                    assert_eq!(find_byte(&hay, b), hay.iter().position(|&c| c == b), "{len} {at} {b}");
                    assert_eq!(find_byte(&hay, b'.'), hay.iter().position(|&c| c == b'.'), "{len} {at} {b}");
                }
            }
        }
    }

    extern crate std;
}
