//! Request paths: hygiene (decision row 1), normalization, and rule path patterns.
//!
//! # Normalization
//! The query (from `?`) is dropped. Percent-escapes of unreserved characters
//! (`A–Z a–z 0–9 - . _ ~`, RFC 3986 §2.3) are decoded, every other escape is kept with
//! uppercase hex (RFC 3986 §6.2.2), so `/%61dmin` and `/admin` are the same path to a rule, as
//! they are to the server behind Warden.
//!
//! # Malformed paths
//! A path is malformed (403 `malformed_path`) when it is empty or does not start with `/`, has
//! an empty segment inside (`//`), a `.` or `..` segment (also as `%2e`), an encoded `/` or `\`
//! (`%2f`, `%5c`, any case), a raw `\`, a control byte (0x00–0x1F, 0x7F), or is longer than
//! [`MAX_PATH`] bytes before the query.
//!
//! # Patterns
//! A pattern is `/`, or `/` followed by segments separated by `/`: a literal, `*` (exactly one
//! non-empty segment) or, as the last segment only, `**` (zero or more segments). So
//! `/admin/**` matches `/admin`, `/admin/`, `/admin/x/y` but not `/administrator`; `/a/*`
//! matches `/a/b` but not `/a` or `/a/`. Literals are normalized like paths.
//!
//! # Timing
//! Normalization visits every byte with the same operations whatever the byte is, and a
//! pattern is compared with a fixed amount of work that depends on the pattern alone, so the
//! time spent on rules does not depend on which rule matched.

use crate::capacity::{MAX_PATH, MAX_PATTERN_SEGMENTS};

/// Scratch for the normalized path: the path plus slack, so that the three-byte writes of
/// normalization never need a bounds branch and pattern matching can read whole 8-byte words.
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

#[inline]
fn upper(c: u8) -> u8 {
    let is_lower = c.wrapping_sub(b'a') < 26;
    c ^ (m8(is_lower) & 0x20)
}

#[inline]
fn unreserved(c: u8) -> bool {
    let alpha = (c | 0x20).wrapping_sub(b'a') < 26;
    let digit = c.wrapping_sub(b'0') < 10;
    alpha | digit | (c == b'-') | (c == b'.') | (c == b'_') | (c == b'~')
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

/// Percent-normalizes `raw` into `out`; returns (length, saw an encoded separator).
/// `out` must be at least `raw.len() + 3` long (extra bytes are scratch).
fn normalize_into(raw: &[u8], out: &mut [u8]) -> (usize, bool) {
    let mut w = 0usize;
    let mut skip = 0u8;
    let mut encoded_sep = false;
    let last = out.len().saturating_sub(3);
    for (i, &c) in raw.iter().enumerate() {
        let c1 = raw.get(i.wrapping_add(1)).copied().unwrap_or(0);
        let c2 = raw.get(i.wrapping_add(2)).copied().unwrap_or(0);
        let (h1, v1) = hex(c1);
        let (h2, v2) = hex(c2);
        let active = skip == 0;
        let pct = active & (c == b'%') & v1 & v2;
        let dec = (h1 << 4) | h2;
        let unres = unreserved(dec);
        encoded_sep |= pct & ((dec == b'/') | (dec == b'\\'));
        let b0 = sel8(m8(pct & unres), dec, sel8(m8(pct), b'%', c));
        let at = w.min(last);
        if let Some(dst) = out.get_mut(at..at.wrapping_add(3)) {
            dst.copy_from_slice(&[b0, upper(c1), upper(c2)]);
        }
        let count = usize::from(active).wrapping_add(usize::from(pct & !unres).wrapping_mul(2));
        w = w.wrapping_add(count).min(last);
        skip = sel8(m8(pct), 2, skip.saturating_sub(1));
    }
    (w, encoded_sep)
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
    /// Normalizes and checks a raw request path into `scratch`, which must hold at least
    /// [`BUF`] bytes (a shorter one makes every path malformed).
    pub(crate) fn new(raw: &'r [u8], scratch: &'r mut [u8]) -> Self {
        let path = path_part(raw);
        let too_long = path.len() > MAX_PATH;
        let path = path.get(..MAX_PATH).unwrap_or(path);

        let mut raw_bad = false;
        let mut percent = false;
        for &c in path {
            raw_bad |= (c < 0x20) | (c == 0x7f) | (c == b'\\');
            percent |= c == b'%';
        }

        // Decoding is needed only when there is a `%` (public: the request's own bytes);
        // otherwise the path is copied, so matching can read words past its end.
        let short = scratch.len() < BUF;
        let (len, encoded_sep) = if short {
            (0, false)
        } else if percent {
            normalize_into(path, scratch)
        } else {
            if let Some(dst) = scratch.get_mut(..path.len()) {
                dst.copy_from_slice(path);
            }
            (path.len(), false)
        };
        let padded: &'r [u8] = scratch;
        let bytes = padded.get(..len).unwrap_or(&[]);
        let mut np = NormPath { bytes, padded, malformed: false, slash: [0; SLOTS], segments: 0 };

        let b = np.bytes;
        let len = b.len();
        let at = |j: usize| b.get(j).copied().unwrap_or(0);
        let mut bad_shape = (len == 0) | (at(0) != b'/');
        let mut count = 0usize;
        let mut slash_pos = [0usize; SLOTS];
        for j in 0..len {
            let c = at(j);
            let p1 = if j >= 1 { at(j.wrapping_sub(1)) } else { 0 };
            let p2 = if j >= 2 { at(j.wrapping_sub(2)) } else { 0 };
            let next = j.wrapping_add(1);
            let n1 = sel8(m8(next < len), at(next), b'/');
            let slash = c == b'/';
            bad_shape |= slash & (p1 == b'/');
            bad_shape |= (c == b'.') & (p1 == b'/') & (n1 == b'/');
            bad_shape |= (c == b'.') & (p1 == b'.') & (p2 == b'/') & (n1 == b'/');
            let slot = count.min(SLOTS - 1);
            if let Some(s) = slash_pos.get_mut(slot) {
                *s = selz(slash, j, *s);
            }
            count = count.wrapping_add(usize::from(slash));
        }
        for (k, s) in slash_pos.iter_mut().enumerate() {
            *s = selz(k >= count, len, *s);
        }
        np.slash = slash_pos;
        np.segments = count;
        np.malformed = too_long | raw_bad | encoded_sep | bad_shape | short;
        np
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

    /// The 8 bytes of the scratch buffer from `at` (clamped into the buffer), little-endian.
    #[inline]
    fn word(&self, at: usize) -> u64 {
        let at = at.min(self.padded.len().saturating_sub(8));
        let w = self.padded.get(at..at.wrapping_add(8)).and_then(|w| <[u8; 8]>::try_from(w).ok());
        u64::from_le_bytes(w.unwrap_or([0; 8]))
    }

    /// Differences between `run` and the path bytes from offset `at`, a word at a time
    /// (zero when they are equal; bytes past the path are compared with scratch contents, so
    /// callers check that the run lies inside the path).
    #[inline]
    fn run_diff(&self, at: usize, run: &[u8]) -> u64 {
        let mut diff = 0u64;
        let mut at = at;
        let mut chunks = run.chunks_exact(8);
        for c in &mut chunks {
            diff |= self.word(at) ^ u64::from_le_bytes(<[u8; 8]>::try_from(c).unwrap_or([0; 8]));
            at = at.wrapping_add(8);
        }
        let tail = chunks.remainder();
        if !tail.is_empty() {
            let w = tail.iter().rev().fold(0u64, |w, &b| (w << 8) | u64::from(b));
            diff |= (self.word(at) ^ w) & low_bytes(tail.len());
        }
        diff
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
        let (mut ok, mut diff) = (true, 0u64);
        // The current run starts at path offset `at`; `star` is the next `*`: its offset in
        // `rest` and the index of the segment it stands for.
        let (mut at, mut rest) = (0usize, body);
        let mut star = (shape.star != u16::MAX).then(|| (usize::from(shape.star), usize::from(shape.star_segment)));
        while let Some((offset, k)) = star {
            let run = rest.get(..offset).unwrap_or(&[]);
            diff |= self.run_diff(at, run);
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
        diff |= self.run_diff(at, rest);
        // The last run ends where segment `segments - 1` ends (so inside the path).
        let segments = usize::from(shape.segments);
        ok &= at.wrapping_add(rest.len()) == self.slash.get(segments).copied().unwrap_or(len);
        ok & (diff == 0) & if shape.tail { self.segments >= segments } else { self.segments == segments }
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
        let (mut segments, mut first, mut star_segment, mut several) = (0usize, None, 0usize, false);
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
        }
    }
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
    /// A `.` or `..` segment, a `\`, an encoded `/` or `\`, a control byte, `?` or `#`.
    Unsafe,
    /// More than [`MAX_PATTERN_SEGMENTS`] segments.
    TooManySegments,
    /// Longer than the path limit.
    TooLong,
    /// Percent-escapes are not in normal form (unreserved characters encoded, lowercase hex).
    NotNormalized,
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
            Self::Unsafe => {
                "a path pattern may not contain `.`/`..` segments, `\\`, `%2f`, `%5c`, `?`, `#` or control bytes"
            }
            Self::TooManySegments => "a path pattern has more segments than MAX_PATTERN_SEGMENTS",
            Self::TooLong => "a path pattern is longer than MAX_PATH",
            Self::NotNormalized => "a path pattern's percent-escapes are not normalized",
        }
    }
}

/// Checks that `pattern` is a valid path pattern in normal form (as [`normalize_pattern`]
/// produces). The engine checks every rule with this at load.
///
/// # Errors
/// The first problem found.
pub fn check_pattern(pattern: &str) -> Result<(), PatternError> {
    let mut buf = [0u8; BUF];
    let n = normalize_pattern(pattern, &mut buf)?;
    if buf.get(..n) != Some(pattern.as_bytes()) {
        return Err(PatternError::NotNormalized);
    }
    Ok(())
}

/// Checks `pattern` and writes its normal form into `out` (at least [`MAX_PATH`]` + 4` bytes);
/// returns the normal form's length. Used by the compiler.
///
/// # Errors
/// The first problem found.
pub fn normalize_pattern(pattern: &str, out: &mut [u8]) -> Result<usize, PatternError> {
    let raw = pattern.as_bytes();
    if raw.len() > MAX_PATH {
        return Err(PatternError::TooLong);
    }
    if out.len() < raw.len().saturating_add(3) {
        return Err(PatternError::TooLong);
    }
    if raw.first() != Some(&b'/') {
        return Err(PatternError::NoLeadingSlash);
    }
    if raw.iter().any(|&c| c < 0x20 || c == 0x7f || c == b'\\' || c == b'?' || c == b'#') {
        return Err(PatternError::Unsafe);
    }
    let (len, encoded_sep) = normalize_into(raw, out);
    if encoded_sep {
        return Err(PatternError::Unsafe);
    }
    let norm = out.get(..len).ok_or(PatternError::TooLong)?;
    if norm == b"/" {
        return Ok(len);
    }
    let (body, _tail) = match norm.strip_suffix(b"/**") {
        Some(body) => (body, true),
        None => (norm, false),
    };
    let mut segments = 0usize;
    for seg in body.split(|&c| c == b'/').skip(1) {
        if seg.is_empty() {
            return Err(PatternError::EmptySegment);
        }
        if seg == b"." || seg == b".." {
            return Err(PatternError::Unsafe);
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
    Ok(len)
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
    fn query_is_ignored_and_unreserved_escapes_are_decoded() {
        assert!(m("/admin/**", "/%61dmin/x?y=1"));
        assert!(m("/files/a%20b", "/files/a%20b"));
        assert!(m("/caf%C3%A9", "/caf%c3%a9"));
        // Decoding leaves the escape's digits in the scratch past the path: never matched.
        assert!(!m("/a1", "/%61"));
        assert!(!m("/a/b2", "/a/%62"));
        assert_eq!(norm(b"/a%2dz?q").1, b"/a-z");
        assert_eq!(norm(b"/a%e2%82%ac").1, b"/a%E2%82%AC");
    }

    #[test]
    fn malformed_paths() {
        for bad in [
            &b""[..],
            b"admin",
            b"//admin",
            b"/a//b",
            b"/a/./b",
            b"/a/../b",
            b"/..",
            b"/.",
            b"/a/%2e%2e/b",
            b"/a/%2E/b",
            b"/a/.%2e",
            b"/a%2fb",
            b"/a%2Fb",
            b"/a%5cb",
            b"/a%5Cb",
            b"/a\\b",
            b"/a\x00b",
            b"/a\x1fb",
            b"/a\x7fb",
            b"/a\tb",
        ] {
            assert!(norm(bad).0, "{:?} should be malformed", core::str::from_utf8(bad));
        }
        let long = [b'a'; MAX_PATH + 1];
        let mut p = [b'/'; MAX_PATH + 1];
        p[1..].copy_from_slice(&long[1..]);
        assert!(norm(&p).0);
        assert!(!norm(&p[..MAX_PATH]).0);
        for good in [&b"/"[..], b"/a/.b", b"/a/..b", b"/a/...", b"/a.", b"/a/b/", b"/%zz", b"/a?//..\\"] {
            assert!(!norm(good).0, "{:?} should be fine", core::str::from_utf8(good));
        }
    }

    #[test]
    fn pattern_errors() {
        assert_eq!(check_pattern("admin"), Err(PatternError::NoLeadingSlash));
        assert_eq!(check_pattern("/a//b"), Err(PatternError::EmptySegment));
        assert_eq!(check_pattern("/a/"), Err(PatternError::EmptySegment));
        assert_eq!(check_pattern("/a/**/b"), Err(PatternError::MisplacedDoubleStar));
        assert_eq!(check_pattern("/a/b**"), Err(PatternError::MisplacedDoubleStar));
        assert_eq!(check_pattern("/a*"), Err(PatternError::PartialWildcard));
        assert_eq!(check_pattern("/a/../b"), Err(PatternError::Unsafe));
        assert_eq!(check_pattern("/a%2fb"), Err(PatternError::Unsafe));
        assert_eq!(check_pattern("/a?b"), Err(PatternError::Unsafe));
        assert_eq!(check_pattern("/%61"), Err(PatternError::NotNormalized));
        assert_eq!(check_pattern("/a/**"), Ok(()));
        assert_eq!(check_pattern("/**"), Ok(()));
        let deep = "/a".repeat(MAX_PATTERN_SEGMENTS + 1);
        assert_eq!(check_pattern(&deep), Err(PatternError::TooManySegments));
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
                assert_eq!(np.matches(pat, Shape::of(pat)), reference(pat, path.as_bytes()), "{pat} vs {path}");
            }
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
