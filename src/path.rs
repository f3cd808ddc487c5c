//! Request paths: hygiene (decision row 1), the path as servers route it, and rule path
//! patterns.
//!
//! # The path a request is decided on
//! A gate that reads a path differently from the server behind it is an authorization bypass,
//! so Warden matches rules on the path as servers route it (nginx `$uri`, WSGI `PATH_INFO`):
//! the query (from the first `?`) is dropped and **every** percent-escape is decoded exactly
//! once, so `/%61dmin`, `/api/v1/jobs%3Arun` and `/caf%C3%A9` are `/admin`,
//! `/api/v1/jobs:run` and `/café` to the rules. A decoded `%` is an ordinary byte: `%2541` is
//! `%41`, never `A`. [`RequestPath`] gives that path to hosts and tools.
//!
//! # Malformed paths
//! Where routing servers disagree with each other, Warden refuses (403 `malformed_path`). A
//! path is malformed when it
//! - is empty or does not start with `/`, or is longer than [`MAX_PATH`] bytes before the query;
//! - has a raw `#` (nginx and WSGI servers cut the path there), a raw `\` or a raw control byte
//!   (0x00–0x1F, 0x7F);
//! - has a `%` not followed by two hex digits, or an escape of `/` (`%2F`), `\` (`%5C`) or a
//!   control byte (`%00`–`%1F`, `%7F`), in either hex case;
//! - has, after decoding, an empty segment inside (`//`) or a `.` or `..` segment (so also
//!   `%2e`, `.%2E`);
//! - is not valid UTF-8 after decoding (RFC 3629: overlong forms such as `%C0%AE`, surrogates
//!   and bytes that start no character are refused, since servers and frameworks disagree on
//!   what such a path is).
//!
//! # Patterns
//! A pattern is `/`, or `/` followed by segments separated by `/`: a literal, `*` (exactly one
//! non-empty segment) or, as the last segment only, `**` (zero or more segments). So
//! `/admin/**` matches `/admin`, `/admin/`, `/admin/x/y` but not `/administrator`; `/a/*`
//! matches `/a/b` but not `/a` or `/a/`. The compiler decodes a pattern's escapes like a
//! path's ([`normalize_pattern`]) and stores the decoded form, which [`check_pattern`] checks
//! at load; in a stored pattern `%`, `?` and `#` are ordinary bytes and `*` is always a
//! wildcard.
//!
//! # Timing
//! The request is public data (SPEC §7), so the work may depend on it; it depends only on its
//! length and its kind. A path of printable ASCII without `%`, `#` and `\` is copied and its
//! segments checked; any other path is decoded and checked for UTF-8 too. Within each kind every
//! byte costs the same operations whatever it is (no branch on it; table lookups indexed by it),
//! so equally long paths of one kind cost the same, whatever their escapes decode to
//! (`ct/icount.expected`, group `escaped-path`). A pattern is compared with a fixed amount of
//! work that depends on the pattern alone, so the time spent on rules does not depend on which
//! rule matched.

use crate::capacity::{MAX_PATH, MAX_PATTERN_SEGMENTS};

/// Scratch for the normalized path: the path plus slack, so that pattern matching can read
/// whole 8-byte words past its end.
pub(crate) const BUF: usize = MAX_PATH + 8;
/// Slash-position slots: enough for the longest pattern plus one overflow slot.
const SLOTS: usize = MAX_PATTERN_SEGMENTS + 2;

#[inline]
fn m8(b: bool) -> u8 {
    0u8.wrapping_sub(u8::from(b))
}

#[inline]
fn sel8(mask: u8, a: u8, b: u8) -> u8 {
    (a & mask) | (b & !mask)
}

#[inline]
fn selz(c: bool, a: usize, b: usize) -> usize {
    let mask = 0usize.wrapping_sub(usize::from(c));
    (a & mask) | (b & !mask)
}

/// Value of a hex digit and whether it is one.
#[inline]
fn hex(c: u8) -> (u8, bool) {
    let d = c.wrapping_sub(b'0');
    let l = (c | 0x20).wrapping_sub(b'a');
    let is_d = d < 10;
    let is_l = l < 6;
    (sel8(m8(is_d), d, l.wrapping_add(10)), is_d | is_l)
}

/// A control byte (C0 or DEL).
#[inline]
fn control(b: u8) -> bool {
    (b < 0x20) | (b == 0x7f)
}

/// UTF-8 validation (RFC 3629 §4) as a small automaton read one byte at a time: each byte maps
/// to a class, and (state, class) to the next state. The states after `E0`, `ED`, `F0` and `F4`
/// narrow the range of the next byte, which is what refuses overlong forms, surrogates and
/// code points above U+10FFFF. Table lookups indexed by the path's bytes are fine here: the
/// request is public (SPEC §7), and every byte costs the same.
mod utf8 {
    /// Byte classes.
    const ASCII: u8 = 0; // 00..7F
    const CONT_LOW: u8 = 1; // 80..8F
    const CONT_MID: u8 = 2; // 90..9F
    const CONT_HIGH: u8 = 3; // A0..BF
    const LEAD2: u8 = 4; // C2..DF
    const E0: u8 = 5;
    const LEAD3: u8 = 6; // E1..EC, EE..EF
    const ED: u8 = 7;
    const F0: u8 = 8;
    const LEAD4: u8 = 9; // F1..F3
    const F4: u8 = 10;
    const INVALID: u8 = 11; // C0, C1, F5..FF

    /// States: at a character boundary, waiting for 1–3 continuation bytes (80..BF), or for
    /// the narrowed second byte after E0 (A0..BF), ED (80..9F), F0 (90..BF), F4 (80..8F).
    pub(super) const START: u8 = 0;
    const NEED1: u8 = 1;
    const NEED2: u8 = 2;
    const NEED3: u8 = 3;
    const AFTER_E0: u8 = 4;
    const AFTER_ED: u8 = 5;
    const AFTER_F0: u8 = 6;
    const AFTER_F4: u8 = 7;
    const ERROR: u8 = 8;

    pub(super) const fn class_of(b: u8) -> u8 {
        match b {
            0x00..=0x7F => ASCII,
            0x80..=0x8F => CONT_LOW,
            0x90..=0x9F => CONT_MID,
            0xA0..=0xBF => CONT_HIGH,
            0xC2..=0xDF => LEAD2,
            0xE0 => E0,
            0xED => ED,
            0xE1..=0xEF => LEAD3,
            0xF0 => F0,
            0xF1..=0xF3 => LEAD4,
            0xF4 => F4,
            _ => INVALID,
        }
    }

    const fn next(state: u8, class: u8) -> u8 {
        let cont = matches!(class, CONT_LOW | CONT_MID | CONT_HIGH);
        match state {
            START => match class {
                ASCII => START,
                LEAD2 => NEED1,
                E0 => AFTER_E0,
                LEAD3 => NEED2,
                ED => AFTER_ED,
                F0 => AFTER_F0,
                LEAD4 => NEED3,
                F4 => AFTER_F4,
                _ => ERROR,
            },
            NEED1 if cont => START,
            NEED2 if cont => NEED1,
            NEED3 if cont => NEED2,
            AFTER_E0 if class == CONT_HIGH => NEED1,
            AFTER_ED if matches!(class, CONT_LOW | CONT_MID) => NEED1,
            AFTER_F0 if matches!(class, CONT_MID | CONT_HIGH) => NEED2,
            AFTER_F4 if class == CONT_LOW => NEED2,
            _ => ERROR,
        }
    }

    /// `NEXT[state << 4 | class]` (16 × 16 entries, so a `u8` index is always in bounds; the
    /// unused ones are `ERROR`).
    #[allow(
        clippy::as_conversions,
        clippy::cast_possible_truncation,
        reason = "const evaluation of a table: every value is in range"
    )]
    static NEXT: [u8; 256] = {
        let mut t = [ERROR; 256];
        let mut i = 0;
        while i < 256 {
            let (state, class) = ((i >> 4) as u8, (i & 15) as u8);
            if state <= ERROR && class <= INVALID {
                #[allow(clippy::indexing_slicing, reason = "const evaluation: a bad index fails the build")]
                {
                    t[i] = next(state, class);
                }
            }
            i += 1;
        }
        t
    };

    /// The state after a byte of class `class` (from any state; `ERROR` stays).
    #[inline]
    pub(super) fn step(state: u8, class: u8) -> u8 {
        NEXT.get(usize::from((state << 4) | (class & 15))).copied().unwrap_or(ERROR)
    }
}

/// What one pass over a raw path produced.
struct Decoded {
    len: usize,
    malformed: bool,
    /// `slash[k]` = position of the (k+1)-th `/` in the output, or `len` past the last one.
    slash: [usize; SLOTS],
    segments: usize,
    /// Running hash of each segment (see [`fingerprint`]).
    hashes: [u64; HASH_SLOTS],
}

/// What the decoder needs to know of a byte, looked up once per raw and once per decoded byte
/// (public data, see [`utf8`]): its hex value (bits 0–3) and whether it is a hex digit, `%`,
/// `#`, `/`, `.`, a byte no path may hold decoded (a control byte or `\`), and its UTF-8 class
/// (bits 12–15).
mod info {
    pub(super) const HEX: u16 = 1 << 4;
    pub(super) const PERCENT: u16 = 1 << 5;
    pub(super) const HASH: u16 = 1 << 6;
    pub(super) const SLASH: u16 = 1 << 7;
    pub(super) const DOT: u16 = 1 << 8;
    pub(super) const FORBIDDEN: u16 = 1 << 9;
    /// A byte that a path needing no decoding and no UTF-8 check has none of: `%`, `#`, `\\`,
    /// a control byte, or a byte ≥ 0x80.
    pub(super) const SPECIAL: u16 = 1 << 10;

    #[allow(
        clippy::as_conversions,
        clippy::cast_possible_truncation,
        reason = "const evaluation of a table: every value is in range"
    )]
    const fn of(b: u8) -> u16 {
        let (value, hex) = match b {
            b'0'..=b'9' => (b.wrapping_sub(b'0'), HEX),
            b'a'..=b'f' => (b.wrapping_sub(b'a' - 10), HEX),
            b'A'..=b'F' => (b.wrapping_sub(b'A' - 10), HEX),
            _ => (0, 0),
        };
        let flag = match b {
            b'%' => PERCENT,
            b'#' => HASH,
            b'/' => SLASH,
            b'.' => DOT,
            b'\\' | 0x00..=0x1f | 0x7f => FORBIDDEN,
            _ => 0,
        };
        let special = if matches!(flag, PERCENT | HASH | FORBIDDEN) || b >= 0x80 { SPECIAL } else { 0 };
        (value as u16) | hex | flag | special | ((super::utf8::class_of(b) as u16) << 12)
    }

    #[allow(
        clippy::as_conversions,
        clippy::cast_possible_truncation,
        reason = "const evaluation of a table: every value is in range"
    )]
    static TABLE: [u16; 256] = {
        let mut t = [0u16; 256];
        let mut i = 0;
        while i < 256 {
            #[allow(clippy::indexing_slicing, reason = "const evaluation: a bad index fails the build")]
            {
                t[i] = of(i as u8);
            }
            i += 1;
        }
        t
    };

    #[inline]
    pub(super) fn get(b: u8) -> u16 {
        TABLE.get(usize::from(b)).copied().unwrap_or(FORBIDDEN)
    }
}

/// Dot segments and empty segments, one byte at a time: the segment being written is just
/// opened by a `/` (0), `.` (1), `..` (2) or anything else (3). `SEG[state << 2 | kind]`, with
/// kind 0 for an ordinary byte, 1 for `/` and 2 for `.` (bits 7 and 8 of [`info`]), gives the
/// next state, plus 4 when a `/` closes an empty, `.` or `..` segment.
const SEG_OTHER: u8 = 3;
const SEG_BAD: u8 = 4;
#[allow(
    clippy::as_conversions,
    clippy::cast_possible_truncation,
    reason = "const evaluation of a table: every value is in range"
)]
static SEG: [u8; 16] = {
    let mut t = [SEG_OTHER; 16];
    let mut state = 0;
    while state < 4 {
        #[allow(clippy::indexing_slicing, reason = "const evaluation: a bad index fails the build")]
        {
            t[state << 2] = SEG_OTHER;
            t[(state << 2) | 1] = if state < 3 { SEG_BAD } else { 0 };
            t[(state << 2) | 2] = if state < 3 { state as u8 + 1 } else { SEG_OTHER };
        }
        state += 1;
    }
    t
};

/// Escape states: outside an escape (0), after its `%` (1), after its first digit (2).
const ESC_NONE: u8 = 0;

/// The masks (plain, first digit, second digit) of each escape state, read from memory: as
/// values the optimizer cannot see, they stay masks, where comparisons of the state became
/// branches whose arms differ by an instruction (so an escape cost more than a plain byte).
static ESC_MASKS: [[u16; 3]; 4] = [[0xffff, 0, 0], [0, 0xffff, 0], [0, 0, 0xffff], [0, 0, 0]];

#[inline]
fn m16(b: bool) -> u16 {
    0u16.wrapping_sub(u16::from(b))
}

/// Decodes every escape of `path` (the path part of a target, at most [`MAX_PATH`] bytes)
/// into `out` (at least `path.len() + 1` bytes, or the path is malformed) and checks it.
///
/// A path of printable ASCII without `%`, `#` and `\\` (what most clients send) has nothing
/// to decode and is valid UTF-8: it is copied and only its segments are checked. Every other
/// path goes through the decoder and the UTF-8 check. Which of the two a path takes depends
/// on its own bytes (public); within each, every byte costs the same, so equally long paths of
/// one kind cost the same.
fn decode(path: &[u8], out: &mut [u8]) -> Decoded {
    let mut kind = 0u16;
    for &c in path {
        kind |= info::get(c);
    }
    let (len, bad) = if kind & info::SPECIAL == 0 {
        let room = out.len() > path.len();
        match out.get_mut(..path.len()) {
            Some(dst) if room => {
                dst.copy_from_slice(path);
                (path.len(), false)
            }
            _ => (0, true),
        }
    } else {
        unescape(path, out)
    };
    // The checks read as many bytes as the raw path has (those past `len` take no part), so
    // that a path costs what its raw length says, however many escapes it holds.
    let scanned = out.get(..path.len().max(len)).unwrap_or(&[]);
    let (seg_bad, slash, segments, hashes) =
        if kind & info::SPECIAL == 0 { segments::<false>(scanned, len) } else { segments::<true>(scanned, len) };
    Decoded { len, malformed: bad | seg_bad, slash, segments, hashes }
}

/// Decodes every escape of `path` into `out`: (length, malformed). Malformed: a raw `#`, a `%`
/// without two hex digits (also at the end), an escaped `/`, and `\\` or a control byte, raw or
/// escaped.
fn unescape(path: &[u8], out: &mut [u8]) -> (usize, bool) {
    use info::{FORBIDDEN, HASH, HEX, SLASH};
    let last = out.len().saturating_sub(1);
    // Bits of `info` that made the path malformed.
    let mut bad = m16(out.len() <= path.len());
    let mut w = 0usize;
    let mut esc = ESC_NONE;
    // The high digit of the escape being read.
    let mut high = 0u8;
    for &c in path {
        let ic = info::get(c);
        let [plain, digit1, digit2] = ESC_MASKS.get(usize::from(esc & 3)).copied().unwrap_or([0; 3]);
        let percent = plain & 0u16.wrapping_sub((ic >> 5) & 1);
        // A byte comes out for a plain byte other than `%`, and for an escape's last digit.
        let emit = (plain & !percent) | digit2;
        let digit = u8::try_from(ic & 15).unwrap_or(0);
        let b = sel8(u8::try_from(digit2 & 0xff).unwrap_or(0), (high << 4) | digit, c);
        let ib = info::get(b);
        bad |= (plain & ic & HASH) | ((digit1 | digit2) & !ic & HEX) | (digit2 & ib & SLASH) | (emit & ib & FORBIDDEN);
        if let Some(d) = out.get_mut(w.min(last)) {
            *d = b;
        }
        w = w.wrapping_add(usize::from(emit & 1));
        high = sel8(u8::try_from(digit1 & 0xff).unwrap_or(0), digit, high);
        esc = u8::from(percent != 0) | (u8::from(digit1 != 0) << 1);
    }
    (w.min(last), (bad != 0) | (esc != ESC_NONE))
}

/// Checks the segments of the decoded path `scanned[..len]` (it starts with `/`; no segment
/// is empty inside or `.` or `..`) and, with `DECODED` (the path went through the decoder),
/// that it is valid UTF-8; returns (malformed, slash table, number of `/`). Bytes of `scanned`
/// past `len` (only a decoded path has them) are read with the same work and ignored. Every `/` here is a raw one: an escaped one is malformed already.
/// It also hashes every segment ([`fingerprint`]): slot `k` for segment `k` below
/// [`MAX_PATTERN_SEGMENTS`].
fn segments<const DECODED: bool>(scanned: &[u8], len: usize) -> (bool, [usize; SLOTS], usize, [u64; HASH_SLOTS]) {
    let mut bad = 0u8;
    let mut hashes = [0u64; HASH_SLOTS];
    let mut h = 0u64;
    let mut seg = SEG_OTHER;
    let mut utf = utf8::START;
    let mut slash = [0usize; SLOTS];
    let mut count = 0usize;
    for (j, &b) in scanned.iter().enumerate() {
        let inside = if DECODED { m8(j < len) } else { 0xff };
        let ib = info::get(b);
        let kind = u8::try_from((ib >> 7) & 3).unwrap_or(0) & inside;
        let next = SEG.get(usize::from(((seg << 2) | kind) & 15)).copied().unwrap_or(SEG_BAD);
        bad |= next & inside;
        seg = sel8(inside, next & 3, seg);
        if DECODED {
            let class = u8::try_from(ib >> 12).unwrap_or(0);
            utf = sel8(inside, utf8::step(utf, class), utf);
        }
        let is_slash = kind == 1;
        let slot = count.min(SLOTS - 1);
        if let Some(s) = slash.get_mut(slot) {
            *s = selz(is_slash, j, *s);
        }
        // A `/` starts the hash of segment `count`; any other byte extends the current one.
        h = sel64(is_slash, seg_seed(count), hash_step(h, b));
        count = count.wrapping_add(usize::from(is_slash));
        // Segment `count - 1` (before the first `/`, and past the table, the overflow slot;
        // bytes past `len`, the junk slot).
        let seg = selz(count == 0, HASH_OVERFLOW, count.wrapping_sub(1).min(HASH_OVERFLOW));
        let hslot = if DECODED { selz(j < len, seg, HASH_JUNK) } else { seg };
        if let Some(s) = hashes.get_mut(hslot) {
            *s = h;
        }
    }
    // A `/` closing a bad segment; empty or relative; a trailing `.` or `..` segment; a cut
    // UTF-8 sequence.
    let malformed = (bad & SEG_BAD != 0)
        | (len == 0)
        | (scanned.first() != Some(&b'/'))
        | (seg == 1)
        | (seg == 2)
        | (utf != utf8::START);
    for (k, s) in slash.iter_mut().enumerate() {
        *s = selz(k >= count, len, *s);
    }
    (malformed, slash, count, hashes)
}

/// Hash slots: one per pattern segment, then an overflow slot (segments past the table),
/// the zero slot (what a pattern without `*` reads for its star) and a junk slot (bytes of a
/// decoded path's scratch past its end).
const HASH_SLOTS: usize = MAX_PATTERN_SEGMENTS + 3;
const HASH_OVERFLOW: usize = MAX_PATTERN_SEGMENTS;
const HASH_ZERO: usize = MAX_PATTERN_SEGMENTS + 1;
const HASH_JUNK: usize = MAX_PATTERN_SEGMENTS + 2;
/// Size of the per-request fingerprint tables: a power of two at least [`HASH_SLOTS`].
const FP_TABLE: usize = HASH_SLOTS.next_power_of_two();

/// FNV-1a (64 bits) over a segment's bytes, seeded by the segment's index so that equal
/// literals at different positions hash apart. A filter on public data, not a MAC: a
/// collision only costs an exact check (see [`NormPath::candidate`]).
const FNV_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

#[inline]
fn seg_seed(k: usize) -> u64 {
    FNV_BASIS ^ u64::try_from(k).unwrap_or(0).wrapping_shl(40)
}

#[inline]
fn hash_step(h: u64, b: u8) -> u64 {
    (h ^ u64::from(b)).wrapping_mul(FNV_PRIME)
}

#[inline]
fn fold(h: u64) -> u32 {
    u32::try_from((h ^ (h >> 32)) & 0xffff_ffff).unwrap_or(0)
}

#[inline]
fn sel64(c: bool, a: u64, b: u64) -> u64 {
    let mask = 0u64.wrapping_sub(u64::from(c));
    (a & mask) | (b & !mask)
}

/// The fingerprint of segment `k` holding `seg` (the same function at load and per request).
fn fingerprint(k: usize, seg: &[u8]) -> u32 {
    fold(seg.iter().fold(seg_seed(k), |h, &b| hash_step(h, b)))
}

/// A normalized request path with its segment table.
#[derive(Clone)]
pub(crate) struct NormPath<'r> {
    /// The normalized path (a prefix of `padded`).
    bytes: &'r [u8],
    /// The scratch buffer holding `bytes` and at least 8 more bytes, for word reads.
    padded: &'r [u8],
    malformed: bool,
    /// `slash[k]` = position of the (k+1)-th `/`, or `len` past the last one.
    slash: [usize; SLOTS],
    segments: usize,
    /// Fingerprint of each segment (slot layout of [`HASH_SLOTS`]; the zero slot is 0).
    fp: [u32; FP_TABLE],
    /// `prefix[s]`: the fingerprints of segments `0..s` XORed.
    prefix: [u32; FP_TABLE],
}

impl core::fmt::Debug for NormPath<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("NormPath")
            .field("path", &core::str::from_utf8(self.as_bytes()))
            .field("malformed", &self.malformed)
            .field("segments", &self.segments)
            .finish()
    }
}

/// The path part of a request target: up to the first `?`, found without an early exit.
fn path_part(raw: &[u8]) -> &[u8] {
    let mut q = raw.len();
    for (i, &c) in raw.iter().enumerate().rev() {
        q = selz(c == b'?', i, q);
    }
    raw.get(..q).unwrap_or(raw)
}

impl<'r> NormPath<'r> {
    /// Scratch bytes [`NormPath::new`] needs for the raw target `raw` (at most [`BUF`]).
    pub(crate) fn scratch_need(raw: &[u8]) -> usize {
        Self::room_for(raw.len().min(MAX_PATH))
    }

    /// Scratch for a path of `len` bytes: the path and a word of slack (the decoder needs one
    /// byte more than the path, a run shorter than a word reads a whole one).
    const fn room_for(len: usize) -> usize {
        len.saturating_add(8)
    }

    /// Normalizes and checks a raw request path into `scratch`, which must hold at least
    /// [`NormPath::scratch_need`] bytes (a shorter one makes the path malformed).
    pub(crate) fn new(raw: &'r [u8], scratch: &'r mut [u8]) -> Self {
        let path = path_part(raw);
        let too_long = path.len() > MAX_PATH;
        let path = path.get(..MAX_PATH).unwrap_or(path);
        let short = scratch.len() < Self::room_for(path.len());
        let d = decode(path, scratch);
        let padded: &'r [u8] = scratch;
        let bytes = padded.get(..d.len).unwrap_or(&[]);
        let mut fp = [0u32; FP_TABLE];
        for (f, &h) in fp.iter_mut().zip(&d.hashes) {
            *f = fold(h);
        }
        if let Some(z) = fp.get_mut(HASH_ZERO) {
            *z = 0;
        }
        let mut prefix = [0u32; FP_TABLE];
        let mut acc = 0u32;
        for (p, &f) in prefix.iter_mut().skip(1).take(MAX_PATTERN_SEGMENTS).zip(&fp) {
            acc ^= f;
            *p = acc;
        }
        NormPath {
            bytes,
            padded,
            malformed: too_long | short | d.malformed,
            slash: d.slash,
            segments: d.segments,
            fp,
            prefix,
        }
    }

    /// Whether the path is malformed (decision row 1).
    pub(crate) const fn malformed(&self) -> bool {
        self.malformed
    }

    /// The normalized path.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.bytes
    }

    /// (start, length, exists) of segment `k`.
    #[inline]
    fn segment(&self, k: usize, len: usize) -> (usize, usize, bool) {
        let start = self.slash.get(k).copied().unwrap_or(len).wrapping_add(1);
        let end = self.slash.get(k.wrapping_add(1)).copied().unwrap_or(len);
        (start, end.saturating_sub(start), k < self.segments)
    }

    /// Differences between `pattern[start..start + n]` and the path bytes from offset `at`, a
    /// word at a time (zero when they are equal; bytes past the path are compared with
    /// scratch contents, so callers check that the run lies inside the path; a run reaching
    /// past the scratch buffer differs). A run of 8 bytes or more ends with one word read at
    /// its last 8 bytes (overlapping the word before it); a shorter one takes the 8 pattern
    /// bytes that end where it ends, shifted down, when there are 8, and is assembled byte by
    /// byte only at the very start of a short pattern.
    #[inline(always)]
    fn run_diff(&self, at: usize, pattern: &[u8], start: usize, n: usize) -> u64 {
        fn load(w: &[u8; 8]) -> u64 {
            u64::from_le_bytes(*w)
        }
        let end = start.wrapping_add(n);
        let (Some(upto), Some(path)) = (pattern.get(..end), self.padded.get(at..).and_then(|p| p.get(..n.max(8))))
        else {
            return u64::MAX;
        };
        let run = upto.get(start..).unwrap_or(&[]);
        let mut diff = 0u64;
        let words = n / 8;
        let (p, r) = (path.as_chunks::<8>().0, run.as_chunks::<8>().0);
        for (a, b) in p.iter().zip(r).take(words) {
            diff |= load(a) ^ load(b);
        }
        if !n.is_multiple_of(8) {
            let head = path.first_chunk().map_or(0, load);
            match (path.get(..n).and_then(<[u8]>::last_chunk), upto.last_chunk()) {
                (Some(a), Some(b)) if n >= 8 => diff |= load(a) ^ load(b),
                (_, Some(b)) => {
                    let shift = u32::try_from(8usize.wrapping_sub(n).wrapping_mul(8)).unwrap_or(0);
                    diff |= (head ^ (load(b) >> shift)) & low_bytes(n);
                }
                _ => {
                    let w = run.iter().rev().fold(0u64, |w, &b| (w << 8) | u64::from(b));
                    diff |= (head ^ w) & low_bytes(n);
                }
            }
        }
        diff
    }

    /// [`NormPath::run_diff`] of a whole run.
    #[inline]
    fn slice_diff(&self, at: usize, run: &[u8]) -> u64 {
        self.run_diff(at, run, 0, run.len())
    }

    /// Whether `pattern`, of shape `shape` (both from load), matches. The work depends on the
    /// pattern only.
    ///
    /// The pattern is cut at its `*` segments into runs of literal bytes. The first run is
    /// compared with the path from offset 0, each later one from the `/` that ends the
    /// preceding `*` segment, a word at a time; each run must lie inside the path, each `*`
    /// needs its segment to exist and be non-empty, the last run must end where a path
    /// segment ends, and the segment count must equal the pattern's (or reach it, with a
    /// trailing `/**`). The shape gives the first `*`; a pattern with several is searched for
    /// the others.
    pub(crate) fn matches(&self, pattern: &str, shape: Shape) -> bool {
        let len = self.bytes.len();
        let body = pattern.as_bytes().get(..usize::from(shape.body)).unwrap_or(&[]);
        if body.is_empty() {
            // `/**` matches every path (and an unusable shape, with `tail` false, none).
            return shape.tail;
        }
        let segments = usize::from(shape.segments);
        let count_ok = if shape.tail { self.segments >= segments } else { self.segments == segments };
        // Where the path's segment `segments - 1` ends: the last run must end there.
        let end = self.slash.get(segments).copied().unwrap_or(len);
        let pat = pattern.as_bytes();
        if shape.star == u16::MAX {
            // One run, the whole body, from offset 0.
            return (self.run_diff(0, pat, 0, body.len()) == 0) & (body.len() == end) & count_ok;
        }
        if !shape.several {
            // Two runs around one `*` standing for segment `k`: the first from offset 0 (its
            // bytes equal the path's, so its last `/` is the path's `k`-th), the second from
            // the `/` that ends segment `k`.
            let star = usize::from(shape.star);
            let k = usize::from(shape.star_segment);
            let (_, seg_len, exists) = self.segment(k, len);
            let at = self.slash.get(k.wrapping_add(1)).copied().unwrap_or(len);
            let second = body.len().saturating_sub(star).saturating_sub(1);
            // A `*` that ends the pattern leaves no second run.
            let diff = self.run_diff(0, pat, 0, star)
                | if second == 0 { 0 } else { self.run_diff(at, pat, star.wrapping_add(1), second) };
            return (diff == 0) & (star <= len) & exists & (seg_len > 0) & (at.wrapping_add(second) == end) & count_ok;
        }
        let (mut ok, mut diff) = (true, 0u64);
        // The current run starts at path offset `at`; `star` is the next `*`: its offset in
        // `rest` and the index of the segment it stands for.
        let (mut at, mut rest) = (0usize, body);
        let mut star = (shape.star != u16::MAX).then(|| (usize::from(shape.star), usize::from(shape.star_segment)));
        while let Some((offset, k)) = star {
            let run = rest.get(..offset).unwrap_or(&[]);
            diff |= self.slice_diff(at, run);
            let (_, seg_len, exists) = self.segment(k, len);
            ok &= (at.wrapping_add(run.len()) <= len) & exists & (seg_len > 0);
            at = self.slash.get(k.wrapping_add(1)).copied().unwrap_or(len);
            rest = rest.get(offset.wrapping_add(1)..).unwrap_or(&[]);
            star = if shape.several {
                rest.iter().position(|&c| c == b'*').map(|i| {
                    let slashes = rest.get(..i).unwrap_or(&[]).iter().filter(|&&c| c == b'/').count();
                    (i, k.wrapping_add(slashes))
                })
            } else {
                None
            };
        }
        diff |= self.slice_diff(at, rest);
        // The last run ends where segment `segments - 1` ends (so inside the path).
        ok &= at.wrapping_add(rest.len()) == end;
        ok & (diff == 0) & count_ok
    }
}

impl NormPath<'_> {
    /// The fast form's filter: whether a pattern of shape `shape` (at most one `*`) may
    /// match, from the segment count and the fingerprints of its literal segments, in a few
    /// instructions and without reading the pattern. Never false when [`NormPath::matches`]
    /// is true (equal segments hash equal, and the `*` segment is XORed back out of the
    /// path's prefix); a true answer is only a candidate, which [`NormPath::verify`] checks.
    /// Everything here is public (the path and the policy).
    #[inline]
    pub(crate) fn candidate(&self, shape: Shape) -> bool {
        let s = usize::from(shape.segments);
        // Equal counts, or at least as many with a trailing `/**`.
        let count_ok = self.segments.min(selz(shape.tail, s, usize::MAX)) == s;
        // Indices masked to the tables' power-of-two size, so no bounds check per rule (a
        // valid shape's are below it anyway).
        let pre = self.prefix.get(s & (FP_TABLE - 1)).copied().unwrap_or(0);
        // A pattern without `*` names the zero slot (see [`Shape::of`]).
        let star = self.fp.get(usize::from(shape.star_segment) & (FP_TABLE - 1)).copied().unwrap_or(0);
        count_ok & ((pre ^ star) == shape.fp)
    }

    /// The exact check of a fast-form pattern (as [`NormPath::matches`] decides it), with work
    /// that depends on `width` alone: `width` bytes are compared, whatever the pattern (the
    /// caller passes the longest fast-form body of the policy, so every rule's check costs the
    /// same). Bytes past the body are masked out; a byte after the `*` is compared with the
    /// path from the `/` that ends the `*` segment.
    #[allow(clippy::similar_names, reason = "pattern byte and path byte")]
    pub(crate) fn verify(&self, pattern: &str, shape: Shape, width: usize) -> bool {
        let len = self.bytes.len();
        let pat = pattern.as_bytes();
        let body = usize::from(shape.body);
        let segments = usize::from(shape.segments);
        let count_ok = (self.segments == segments) | (shape.tail & (self.segments > segments));
        let end = self.slash.get(segments).copied().unwrap_or(len);
        let has_star = shape.star != u16::MAX;
        let star = usize::from(shape.star);
        let k = usize::from(shape.star_segment);
        let (_, seg_len, exists) = self.segment(k, len);
        let at = self.slash.get(k.wrapping_add(1)).copied().unwrap_or(len);
        // Path offset minus pattern offset after the `*`.
        let shift = at.wrapping_sub(star).wrapping_sub(1);
        let last_pat = pat.len().saturating_sub(1);
        let last_path = self.padded.len().saturating_sub(1);
        let mut diff = 0u8;
        for j in 0..width {
            let after = has_star & (j > star);
            let pi = j.wrapping_add(selz(after, shift, 0)).min(last_path);
            let a = pat.get(j.min(last_pat)).copied().unwrap_or(0);
            let b = self.padded.get(pi).copied().unwrap_or(0);
            let counted = (j < body) & !(has_star & (j == star));
            diff |= (a ^ b) & m8(counted);
        }
        let second = body.saturating_sub(star).saturating_sub(1);
        let plain = (body == end) & (body <= width);
        let starred = (star <= len) & exists & (seg_len > 0) & (at.wrapping_add(second) == end) & (body <= width);
        // Combined without branches, so that checking one rule costs what checking another
        // does whatever their shapes.
        let shaped = (has_star & starred) | (!has_star & plain);
        let nonempty = (diff == 0) & shaped & count_ok;
        // `/**` (an empty body) matches every path.
        ((body == 0) & shape.tail) | ((body != 0) & nonempty)
    }
}

/// What matching needs to know about a valid pattern, worked out once at load
/// ([`Shape::of`]) so that a request does not scan the pattern for `*` and `/` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shape {
    /// Length of the pattern without its trailing `/**`.
    body: u16,
    /// Offset of the body's first `*`, or `u16::MAX` when it has none.
    star: u16,
    /// Index of the segment that `*` stands for.
    star_segment: u8,
    /// Segments of the body (each `/` opens one).
    segments: u8,
    /// The pattern ends with `/**`.
    tail: bool,
    /// The body has more than one `*`.
    several: bool,
    /// The fingerprints of the body's literal segments, XORed (see [`NormPath::candidate`]).
    fp: u32,
}

impl Shape {
    /// The shape of a valid, normalized pattern (as load accepts).
    pub(crate) fn of(pattern: &str) -> Self {
        let pat = pattern.as_bytes();
        let (body, tail) = match pat.strip_suffix(b"/**") {
            Some(body) => (body, true),
            None => (pat, false),
        };
        // One pass: segments so far, the first `*` and its segment, whether there are more.
        // A pattern without `*` names the zero hash slot as its star segment, so that the
        // fast form's filter reads it without a select (the matcher ignores it there).
        let (mut segments, mut first, mut star_segment, mut several) = (0usize, None, HASH_ZERO, false);
        for (i, &c) in body.iter().enumerate() {
            if c == b'/' {
                segments = segments.saturating_add(1);
            } else if c == b'*' {
                several |= first.is_some();
                if first.is_none() {
                    first = Some(i);
                    star_segment = segments.saturating_sub(1);
                }
            }
        }
        // Load has checked the pattern (at most MAX_PATH bytes and MAX_PATTERN_SEGMENTS
        // segments), so every value fits its field; saturating keeps that an invariant, not a
        // panic.
        let u16_of = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
        let u8_of = |n: usize| u8::try_from(n).unwrap_or(u8::MAX);
        Self {
            body: u16_of(body.len()),
            star: first.map_or(u16::MAX, u16_of),
            star_segment: u8_of(star_segment),
            segments: u8_of(segments),
            tail,
            several,
            fp: literal_fingerprint(body),
        }
    }

    /// Whether matching takes the fast form ([`NormPath::candidate`], then one
    /// [`NormPath::verify`]): at most one `*` in the body. Others go through
    /// [`NormPath::matches`] on every request.
    pub(crate) const fn fast(self) -> bool {
        !self.several
    }

    /// Length of the body (the pattern without its trailing `/**`).
    #[cfg(test)]
    pub(crate) fn body_len(self) -> usize {
        usize::from(self.body)
    }
}

/// What the fast form needs of the policy as a whole, worked out at load from the rules'
/// shapes ([`FastForm::of`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct FastForm {
    /// The longest fast-form body: the width of every [`NormPath::verify`].
    pub(crate) width: u16,
    /// A fast-form rule (the first), checked when no rule is a candidate; `None` when the
    /// policy has no fast-form rule.
    pub(crate) stand_in: Option<u16>,
}

impl FastForm {
    /// That of a policy without rules (an empty engine's).
    pub(crate) const EMPTY: Self = Self { width: 0, stand_in: None };

    /// From the shapes of a policy's rules, in rule order.
    pub(crate) fn of(shapes: &[Shape]) -> Self {
        let width = shapes.iter().filter(|s| s.fast()).map(|s| s.body).max().unwrap_or(0);
        let stand_in = shapes.iter().position(|s| s.fast()).and_then(|i| u16::try_from(i).ok());
        Self { width, stand_in }
    }
}

/// The per-rule table of the fast form, worked out at load: the fingerprints of the body's
/// literal segments, by position, XORed (a `*` segment contributes nothing).
fn literal_fingerprint(body: &[u8]) -> u32 {
    let mut fp = 0u32;
    if body.is_empty() {
        return fp;
    }
    for (k, seg) in body.split(|&c| c == b'/').skip(1).enumerate() {
        if seg != b"*" {
            fp ^= fingerprint(k, seg);
        }
    }
    fp
}

/// A mask of the low `n` bytes (`n` ≤ 8), without a branch.
#[inline]
fn low_bytes(n: usize) -> u64 {
    let bits = u32::try_from((n & 7).wrapping_mul(8)).unwrap_or(0);
    let full = 0u64.wrapping_sub(u64::from(n >= 8));
    (1u64 << bits).wrapping_sub(1) | full
}

/// Why a path pattern is not valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PatternError {
    /// It does not start with `/`.
    NoLeadingSlash,
    /// Empty segment (`//`) or a trailing `/`.
    EmptySegment,
    /// `**` somewhere other than the whole last segment.
    MisplacedDoubleStar,
    /// `*` inside a literal (`a*b`); `*` must be a whole segment.
    PartialWildcard,
    /// A `.` or `..` segment (also escaped, `%2e`).
    DotSegment,
    /// A raw `#`: clients never send a fragment, and servers cut the path there.
    Fragment,
    /// A raw `?`: rules match the path, the query is not part of it.
    Query,
    /// A `%` not followed by two hex digits.
    MalformedEscape,
    /// `%2F`: an escaped `/`, which servers disagree on (requests with it are malformed).
    EscapedSlash,
    /// A `\`, raw or escaped (`%5C`).
    Backslash,
    /// A control byte or NUL, raw or escaped (`%00`–`%1F`, `%7F`).
    ControlByte,
    /// `%2A`: an escaped `*`. A `*` in a pattern is always a wildcard; it cannot be matched
    /// literally.
    EscapedStar,
    /// The decoded pattern is not valid UTF-8 (an overlong form, a surrogate, a stray byte).
    InvalidUtf8,
    /// More than [`MAX_PATTERN_SEGMENTS`] segments.
    TooManySegments,
    /// Longer than the path limit (or the output buffer).
    TooLong,
}

impl PatternError {
    /// A one-line explanation.
    #[must_use]
    pub const fn message(self) -> &'static str {
        match self {
            Self::NoLeadingSlash => "a path pattern must start with `/`",
            Self::EmptySegment => "a path pattern may not contain `//` or end with `/`",
            Self::MisplacedDoubleStar => "`**` is only allowed as the whole last segment (`/prefix/**`)",
            Self::PartialWildcard => "`*` must be a whole segment (`/a/*/b`), not part of one",
            Self::DotSegment => "a path pattern may not have `.` or `..` segments (also escaped, `%2e`)",
            Self::Fragment => "a path pattern may not contain a raw `#` (a fragment, never sent to servers)",
            Self::Query => "a path pattern may not contain a raw `?` (rules match the path; the query is ignored)",
            Self::MalformedEscape => "a `%` in a path pattern must start an escape of two hex digits",
            Self::EscapedSlash => "a path pattern may not contain `%2F` (an escaped `/`)",
            Self::Backslash => "a path pattern may not contain `\\` or `%5C`",
            Self::ControlByte => "a path pattern may not contain a control byte or NUL, raw or escaped",
            Self::EscapedStar => "`%2A` decodes to `*`, and a `*` in a pattern cannot be matched literally",
            Self::InvalidUtf8 => "a path pattern's escapes must decode to valid UTF-8",
            Self::TooManySegments => "a path pattern has more segments than MAX_PATTERN_SEGMENTS",
            Self::TooLong => "a path pattern is longer than MAX_PATH",
        }
    }
}

/// Checks a pattern as the compiler stores it (decoded, see [`normalize_pattern`]): the shape
/// of its segments, and no byte that no valid request path can hold (`\`, control bytes).
/// The engine checks every rule with this at load. In a stored pattern `%`, `?` and `#` are
/// ordinary bytes: there is nothing left to decode.
///
/// # Errors
/// The first problem found.
pub fn check_pattern(pattern: &str) -> Result<(), PatternError> {
    let p = pattern.as_bytes();
    if p.len() > MAX_PATH {
        return Err(PatternError::TooLong);
    }
    if p.first() != Some(&b'/') {
        return Err(PatternError::NoLeadingSlash);
    }
    if p.contains(&b'\\') {
        return Err(PatternError::Backslash);
    }
    if p.iter().any(|&c| control(c)) {
        return Err(PatternError::ControlByte);
    }
    if p == b"/" {
        return Ok(());
    }
    let body = p.strip_suffix(b"/**").unwrap_or(p);
    let mut segments = 0usize;
    for seg in body.split(|&c| c == b'/').skip(1) {
        if seg.is_empty() {
            return Err(PatternError::EmptySegment);
        }
        if seg == b"." || seg == b".." {
            return Err(PatternError::DotSegment);
        }
        if seg == b"**" || (seg.windows(2).any(|w| w == b"**")) {
            return Err(PatternError::MisplacedDoubleStar);
        }
        if seg != b"*" && seg.contains(&b'*') {
            return Err(PatternError::PartialWildcard);
        }
        segments = segments.saturating_add(1);
    }
    if segments > MAX_PATTERN_SEGMENTS {
        return Err(PatternError::TooManySegments);
    }
    Ok(())
}

/// Decodes a pattern as written in a policy into the form the compiler stores, in `out` (at
/// least `pattern.len()` bytes): every escape decoded once, exactly as request paths are, so
/// `/caf%C3%A9` and `/café` are one pattern. Refuses what a request path may not hold (a raw
/// `#` or `?`, a malformed escape, `%2F`, `\`, control bytes, dot segments, invalid UTF-8) and
/// `%2A`, and then checks the decoded form with [`check_pattern`].
///
/// # Errors
/// The first problem found.
pub fn normalize_pattern<'o>(pattern: &str, out: &'o mut [u8]) -> Result<&'o str, PatternError> {
    let raw = pattern.as_bytes();
    if raw.len() > MAX_PATH || out.len() < raw.len() {
        return Err(PatternError::TooLong);
    }
    if raw.first() != Some(&b'/') {
        return Err(PatternError::NoLeadingSlash);
    }
    let mut w = 0usize;
    let mut i = 0usize;
    while let Some(&c) = raw.get(i) {
        let b = match c {
            b'#' => return Err(PatternError::Fragment),
            b'?' => return Err(PatternError::Query),
            b'%' => {
                let digit = |k: usize| raw.get(k).copied().map(hex).filter(|h| h.1).map(|h| h.0);
                let (Some(h1), Some(h2)) = (digit(i.saturating_add(1)), digit(i.saturating_add(2))) else {
                    return Err(PatternError::MalformedEscape);
                };
                i = i.saturating_add(2);
                match (h1 << 4) | h2 {
                    b'/' => return Err(PatternError::EscapedSlash),
                    b'*' => return Err(PatternError::EscapedStar),
                    d => d,
                }
            }
            c => c,
        };
        if b == b'\\' {
            return Err(PatternError::Backslash);
        }
        if control(b) {
            return Err(PatternError::ControlByte);
        }
        *out.get_mut(w).ok_or(PatternError::TooLong)? = b;
        w = w.saturating_add(1);
        i = i.saturating_add(1);
    }
    let decoded = out.get(..w).ok_or(PatternError::TooLong)?;
    let text = core::str::from_utf8(decoded).map_err(|_| PatternError::InvalidUtf8)?;
    check_pattern(text)?;
    Ok(text)
}

/// A request path as Warden decides on it (see the [module documentation](self)): the path
/// part of a raw request target with every escape decoded once, or malformed (decision row 1,
/// 403 `malformed_path`). This is the path rules are matched on, computed by the code the
/// engine runs; hosts and tools use it to log or compare what Warden decided on. No heap: the
/// value holds a buffer of [`MAX_PATH`] bytes and a little more.
///
/// ```
/// use warden::path::RequestPath;
///
/// assert_eq!(RequestPath::new(b"/caf%C3%A9/api%3Arun?x=1").as_str(), Some("/café/api:run"));
/// assert_eq!(RequestPath::new(b"/docs/..#").as_str(), None);
/// assert_eq!(RequestPath::new(b"/a%2Fb").as_str(), None);
/// ```
#[derive(Clone)]
pub struct RequestPath {
    buf: [u8; BUF],
    len: usize,
    malformed: bool,
}

impl RequestPath {
    /// Decodes and checks the path part of `raw` (a request target in origin form, with or
    /// without its query), exactly as [`Engine::evaluate`](crate::Engine::evaluate) does.
    #[must_use]
    pub fn new(raw: &[u8]) -> Self {
        let mut buf = [0u8; BUF];
        let np = NormPath::new(raw, &mut buf);
        let (len, malformed) = (np.as_bytes().len(), np.malformed());
        Self { buf, len, malformed }
    }

    /// The decoded path, or `None` when the path is malformed.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        if self.malformed {
            return None;
        }
        // Valid UTF-8 whenever it is not malformed (checked by the decoder).
        self.buf.get(..self.len).and_then(|b| core::str::from_utf8(b).ok())
    }

    /// Whether the path is malformed (403 `malformed_path`).
    #[must_use]
    pub const fn is_malformed(&self) -> bool {
        self.malformed
    }
}

impl core::fmt::Debug for RequestPath {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("RequestPath").field(&self.as_str()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(raw: &[u8]) -> (bool, std::vec::Vec<u8>) {
        let mut scratch = [0u8; BUF];
        let np = NormPath::new(raw, &mut scratch);
        (np.malformed(), np.as_bytes().to_vec())
    }

    extern crate std;

    fn m(pattern: &str, path: &str) -> bool {
        check_pattern(pattern).unwrap();
        let mut scratch = [0u8; BUF];
        let np = NormPath::new(path.as_bytes(), &mut scratch);
        assert!(!np.malformed(), "{path} is malformed");
        np.matches(pattern, Shape::of(pattern))
    }

    #[test]
    fn exact_star_and_tail_patterns() {
        assert!(m("/", "/"));
        assert!(!m("/", "/a"));
        assert!(m("/health", "/health"));
        assert!(!m("/health", "/health/"));
        assert!(!m("/health", "/healthz"));
        assert!(m("/a/*", "/a/b"));
        assert!(!m("/a/*", "/a"));
        assert!(!m("/a/*", "/a/"));
        assert!(!m("/a/*", "/a/b/c"));
        assert!(m("/a/*/c", "/a/xyz/c"));
        assert!(m("/admin/**", "/admin"));
        assert!(m("/admin/**", "/admin/"));
        assert!(m("/admin/**", "/admin/x/y/z"));
        assert!(!m("/admin/**", "/administrator"));
        assert!(!m("/admin/**", "/"));
        assert!(m("/**", "/"));
        assert!(m("/**", "/anything/at/all"));
    }

    #[test]
    fn query_is_dropped_and_every_escape_is_decoded_once() {
        assert!(m("/admin/**", "/%61dmin/x?y=1"));
        assert!(m("/api/v1/jobs:run", "/api/v1/jobs%3Arun"));
        assert!(m("/api/v1/jobs:run", "/api/v1/jobs%3arun"));
        assert!(m("/caf\u{e9}/admin/**", "/caf%C3%A9/admin/x"));
        assert!(m("/caf\u{e9}/admin/**", "/caf%c3%a9/admin/x"));
        assert!(m("/caf\u{e9}/admin/**", "/caf\u{e9}/admin/x"));
        assert!(m("/files/a b", "/files/a%20b"));
        assert!(m("/a+b", "/a+b"));
        // A decoded `%` is an ordinary byte: decoding happens once.
        assert_eq!(norm(b"/a%2541").1, b"/a%41");
        assert!(m("/a%41", "/a%2541"));
        assert!(!m("/aA", "/a%2541"));
        // `?` and `#` that were escaped are bytes of the path, not a query or a fragment.
        assert_eq!(norm(b"/a%3Fb?c").1, b"/a?b");
        assert_eq!(norm(b"/a%23b").1, b"/a#b");
        assert_eq!(norm(b"/a%2dz?q").1, b"/a-z");
        assert_eq!(norm(b"/a%e2%82%ac").1, "/a\u{20ac}".as_bytes());
        // A `#` after the query's `?` belongs to the query, which is dropped.
        assert_eq!(norm(b"/a?b#c"), (false, b"/a".to_vec()));
        // Decoding leaves bytes in the scratch past the path: never matched.
        assert!(!m("/a1", "/%61"));
        assert!(!m("/a/b2", "/a/%62"));
    }

    #[test]
    fn malformed_paths() {
        for bad in [
            &b""[..],
            b"admin",
            b"*",
            b"http://h/admin",
            b"//admin",
            b"/a//b",
            b"/a/./b",
            b"/a/../b",
            b"/..",
            b"/.",
            b"/a/%2e%2e/b",
            b"/a/%2E/b",
            b"/a/.%2e",
            b"/a/%2e.",
            b"/a/%2E%2e/",
            b"/a%2fb",
            b"/a%2Fb",
            b"/a%5cb",
            b"/a%5Cb",
            b"/a\\b",
            b"/a\x00b",
            b"/a\x1fb",
            b"/a\x7fb",
            b"/a\tb",
            b"/a%00",
            b"/a%0a",
            b"/a%1F",
            b"/a%7f",
            b"/a#b",
            b"/a#",
            b"/docs/..#",
            b"/a/b#?c",
            b"/%",
            b"/%a",
            b"/%zz",
            b"/a%g0",
            b"/a%0g",
            b"/a%?b",
            b"/a%4?1",
            b"/%%41",
            // Not UTF-8 after decoding: overlong, surrogate, too high, stray or cut bytes.
            b"/%C0%AE",
            b"/%C0%AF",
            b"/%E0%80%AE",
            b"/%F0%80%80%AE",
            b"/%ED%A0%80",
            b"/%F4%90%80%80",
            b"/%F5%80%80%80",
            b"/%FF",
            b"/%80",
            b"/caf%C3",
            b"/caf%C3/x",
            b"/caf\xc3",
            b"/\xe2\x82",
        ] {
            assert!(norm(bad).0, "{:?} should be malformed", std::string::String::from_utf8_lossy(bad));
        }
        let long = [b'a'; MAX_PATH + 1];
        let mut p = [b'/'; MAX_PATH + 1];
        p[1..].copy_from_slice(&long[1..]);
        assert!(norm(&p).0);
        assert!(!norm(&p[..MAX_PATH]).0);
        for good in [
            &b"/"[..],
            b"/a/.b",
            b"/a/..b",
            b"/a/...",
            b"/a.",
            b"/a/b/",
            b"/a?//..\\",
            b"/a?%zz#",
            b"/a%2Eb",
            b"/a/%2e%2e%2e",
            b"/a;/..;/b",
            b"/%C3%A9",
            b"/%E2%82%AC",
            b"/%F0%9F%A6%80",
            b"/%F4%8F%BF%BF",
            b"/%ED%9F%BF",
            b"/%EF%BF%BF",
            b"/\xc3\xa9",
        ] {
            assert!(!norm(good).0, "{:?} should be fine", std::string::String::from_utf8_lossy(good));
        }
    }

    #[test]
    fn decoding_agrees_with_a_plain_decoder_on_every_escape() {
        for b in 0..=255u8 {
            for raw in [std::format!("/a%{b:02X}"), std::format!("/a%{b:02x}")] {
                let (malformed, out) = norm(raw.as_bytes());
                let banned = b < 0x20 || b == 0x7f || b == b'/' || b == b'\\' || b >= 0x80;
                assert_eq!(malformed, banned, "{raw}");
                if !malformed {
                    assert_eq!(out, [b'/', b'a', b], "{raw}");
                }
            }
        }
    }

    #[test]
    fn request_path_is_the_engine_view() {
        assert_eq!(RequestPath::new(b"/api/v1/jobs%3Arun?x").as_str(), Some("/api/v1/jobs:run"));
        assert_eq!(RequestPath::new(b"/api/v1/orders/42#/x").as_str(), None);
        assert!(RequestPath::new(b"/a%00").is_malformed());
        assert_eq!(std::format!("{:?}", RequestPath::new(b"/x")), "RequestPath(Some(\"/x\"))");
    }

    #[test]
    fn pattern_errors() {
        assert_eq!(check_pattern("admin"), Err(PatternError::NoLeadingSlash));
        assert_eq!(check_pattern("/a//b"), Err(PatternError::EmptySegment));
        assert_eq!(check_pattern("/a/"), Err(PatternError::EmptySegment));
        assert_eq!(check_pattern("/a/**/b"), Err(PatternError::MisplacedDoubleStar));
        assert_eq!(check_pattern("/a/b**"), Err(PatternError::MisplacedDoubleStar));
        assert_eq!(check_pattern("/a*"), Err(PatternError::PartialWildcard));
        assert_eq!(check_pattern("/a/../b"), Err(PatternError::DotSegment));
        assert_eq!(check_pattern("/a\\b"), Err(PatternError::Backslash));
        assert_eq!(check_pattern("/a\u{0}b"), Err(PatternError::ControlByte));
        // A stored pattern is decoded: `%`, `?` and `#` are ordinary bytes there.
        assert_eq!(check_pattern("/100%/a?b#c"), Ok(()));
        assert_eq!(check_pattern("/%61"), Ok(()));
        assert_eq!(check_pattern("/a/**"), Ok(()));
        assert_eq!(check_pattern("/**"), Ok(()));
        let deep = "/a".repeat(MAX_PATTERN_SEGMENTS + 1);
        assert_eq!(check_pattern(&deep), Err(PatternError::TooManySegments));
    }

    fn normalized(pattern: &str) -> Result<std::string::String, PatternError> {
        let mut out = [0u8; 64];
        normalize_pattern(pattern, &mut out).map(std::string::String::from)
    }

    #[test]
    fn patterns_decode_like_paths() {
        assert_eq!(normalized("/caf%C3%A9/admin/**").as_deref(), Ok("/caf\u{e9}/admin/**"));
        assert_eq!(normalized("/caf\u{e9}/admin/**").as_deref(), Ok("/caf\u{e9}/admin/**"));
        assert_eq!(normalized("/api/v1/jobs%3arun").as_deref(), Ok("/api/v1/jobs:run"));
        assert_eq!(normalized("/%61dmin/*").as_deref(), Ok("/admin/*"));
        assert_eq!(normalized("/a%2541").as_deref(), Ok("/a%41"));
        assert_eq!(normalized("/a%3Fb%23c").as_deref(), Ok("/a?b#c"));
        assert_eq!(normalized("/a#b"), Err(PatternError::Fragment));
        assert_eq!(normalized("/a?b"), Err(PatternError::Query));
        assert_eq!(normalized("/a%zz"), Err(PatternError::MalformedEscape));
        assert_eq!(normalized("/a%4"), Err(PatternError::MalformedEscape));
        assert_eq!(normalized("/a%"), Err(PatternError::MalformedEscape));
        assert_eq!(normalized("/a%2fb"), Err(PatternError::EscapedSlash));
        assert_eq!(normalized("/a%5Cb"), Err(PatternError::Backslash));
        assert_eq!(normalized("/a\\b"), Err(PatternError::Backslash));
        assert_eq!(normalized("/a%00"), Err(PatternError::ControlByte));
        assert_eq!(normalized("/a%7F"), Err(PatternError::ControlByte));
        assert_eq!(normalized("/a\tb"), Err(PatternError::ControlByte));
        assert_eq!(normalized("/a/%2e%2E/b"), Err(PatternError::DotSegment));
        assert_eq!(normalized("/a/.%2e"), Err(PatternError::DotSegment));
        assert_eq!(normalized("/a/%2A"), Err(PatternError::EscapedStar));
        assert_eq!(normalized("/a/%2a%2a"), Err(PatternError::EscapedStar));
        assert_eq!(normalized("/%C0%AE"), Err(PatternError::InvalidUtf8));
        assert_eq!(normalized("/%ED%A0%80"), Err(PatternError::InvalidUtf8));
        assert_eq!(normalized("/%FF"), Err(PatternError::InvalidUtf8));
        assert_eq!(normalized("api"), Err(PatternError::NoLeadingSlash));
        let mut short = [0u8; 2];
        assert_eq!(normalize_pattern("/abc", &mut short), Err(PatternError::TooLong));
    }

    #[test]
    fn every_stored_pattern_is_its_own_normal_form_once_percent_is_escaped() {
        // What the compiler stores, written back with `%` escaped, compiles to itself.
        for stored in ["/caf\u{e9}/**", "/a%41", "/a?b#c/*", "/api/v1/jobs:run", "/"] {
            check_pattern(stored).unwrap();
            assert_eq!(
                normalized(&stored.replace('%', "%25").replace('?', "%3F").replace('#', "%23")).as_deref(),
                Ok(stored)
            );
        }
    }

    /// The matching rules of the module documentation, written the obvious way.
    fn reference(pattern: &str, path: &[u8]) -> bool {
        let segs: std::vec::Vec<&[u8]> = path.split(|&c| c == b'/').skip(1).collect();
        let (body, tail) = match pattern.strip_suffix("/**") {
            Some(b) => (b, true),
            None => (pattern, false),
        };
        let pats: std::vec::Vec<&str> = if body.is_empty() { std::vec![] } else { body.split('/').skip(1).collect() };
        if if tail { segs.len() < pats.len() } else { segs.len() != pats.len() } {
            return false;
        }
        pats.iter().zip(&segs).all(|(p, s)| if *p == "*" { !s.is_empty() } else { p.as_bytes() == *s })
    }

    #[test]
    #[cfg_attr(miri, ignore = "75 000 pattern/path pairs take many minutes under miri")]
    fn word_matching_agrees_with_the_reference_on_every_small_case() {
        let mut patterns = std::vec![std::string::String::from("/"), "/**".into()];
        let parts = ["a", "bc", "*", "abcdefgh", "abcdefghi"];
        for x in parts {
            patterns.push(std::format!("/{x}"));
            patterns.push(std::format!("/{x}/**"));
            for y in parts {
                patterns.push(std::format!("/{x}/{y}"));
                patterns.push(std::format!("/{x}/{y}/**"));
                for z in parts {
                    patterns.push(std::format!("/{x}/{y}/{z}"));
                }
            }
        }
        let mut paths = std::vec![std::string::String::from("/")];
        let segs = ["a", "b", "bc", "abcdefgh", "abcdefghi", "abcdefghij", ""];
        for x in segs {
            paths.push(std::format!("/{x}"));
            for y in segs {
                paths.push(std::format!("/{x}/{y}"));
                for z in segs {
                    paths.push(std::format!("/{x}/{y}/{z}"));
                }
            }
        }
        for pat in &patterns {
            check_pattern(pat).unwrap();
            for path in &paths {
                let mut scratch = [0u8; BUF];
                let np = NormPath::new(path.as_bytes(), &mut scratch);
                if np.malformed() {
                    continue;
                }
                let shape = Shape::of(pat);
                let expect = reference(pat, path.as_bytes());
                assert_eq!(np.matches(pat, shape), expect, "{pat} vs {path}");
                if shape.fast() {
                    // The filter has no false negatives, and the exact check (at any width
                    // that covers the body) decides like the matcher.
                    assert!(!expect || np.candidate(shape), "{pat} vs {path}: filtered out");
                    for width in [shape.body_len(), shape.body_len() + 9] {
                        assert_eq!(np.verify(pat, shape, width), expect, "{pat} vs {path} at width {width}");
                    }
                }
            }
        }
    }

    #[test]
    fn fingerprints_filter_out_other_literals() {
        let mut scratch = [0u8; BUF];
        let np = NormPath::new(b"/r07/item/x", &mut scratch);
        for (pat, expect) in [
            ("/r07/**", true),
            ("/r07/*/x", true),
            ("/r07/item/x", true),
            ("/r08/**", false),
            ("/r07/itex/x", false),
            ("/item/r07/x", false),
            ("/r07/*/y", false),
        ] {
            assert_eq!(np.candidate(Shape::of(pat)), expect, "{pat}");
        }
    }

    #[test]
    fn long_paths_match_by_count_beyond_the_slot_table() {
        let deep = "/a".repeat(MAX_PATTERN_SEGMENTS + 5);
        assert!(m("/a/**", &deep));
        assert!(!m("/a/*", &deep));
        assert!(m("/a/a/a/**", &deep));
    }
}
