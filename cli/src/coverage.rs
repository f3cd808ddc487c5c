//! Relations between path patterns, for the compiler's warnings: does one pattern match every
//! path another matches (shadowing), and is there a path both match (overlap)?
//!
//! Patterns are in the normal form of `warden::path::normalize_pattern`, and mean what the
//! engine makes of them: `/` is the path `/`; every other pattern is a list of segments, each a
//! literal or `*` (one non-empty segment), optionally followed by `/**` (zero or more further
//! segments, including an empty one: `/admin/**` matches `/admin/`). Literals are compared
//! byte for byte, which is exact because both sides are normalized.

/// One segment of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment<'a> {
    /// A literal segment; empty only for the pattern `/`.
    Literal(&'a str),
    /// `*`: exactly one non-empty segment.
    Star,
}

/// A parsed pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern<'a> {
    body: Vec<Segment<'a>>,
    tail: bool,
}

impl<'a> Pattern<'a> {
    /// Parses a normalized pattern (as stored in a compiled rule).
    #[must_use]
    pub fn parse(normalized: &'a str) -> Self {
        let (body, tail) = match normalized.strip_suffix("/**") {
            Some(body) => (body, true),
            None => (normalized, false),
        };
        // `/` is one empty segment; `/**` has no body segment at all.
        let body = if body.is_empty() && tail {
            Vec::new()
        } else {
            body.split('/').skip(1).map(|s| if s == "*" { Segment::Star } else { Segment::Literal(s) }).collect()
        };
        Self { body, tail }
    }
}

/// Whether every path `b`'s segment can match is also matched by `a`'s segment.
fn segment_covers(a: &Segment<'_>, b: &Segment<'_>) -> bool {
    match (a, b) {
        (Segment::Star, Segment::Star) => true,
        (Segment::Star, Segment::Literal(l)) => !l.is_empty(),
        (Segment::Literal(x), Segment::Literal(y)) => x == y,
        (Segment::Literal(_), Segment::Star) => false,
    }
}

/// Whether some path segment matches both.
fn segments_meet(a: &Segment<'_>, b: &Segment<'_>) -> bool {
    match (a, b) {
        (Segment::Star, Segment::Star) => true,
        (Segment::Star, Segment::Literal(l)) | (Segment::Literal(l), Segment::Star) => !l.is_empty(),
        (Segment::Literal(x), Segment::Literal(y)) => x == y,
    }
}

/// Whether `earlier` matches every path that `later` matches.
#[must_use]
pub fn covers(earlier: &Pattern<'_>, later: &Pattern<'_>) -> bool {
    let prefix_covered =
        |n: usize| earlier.body.iter().zip(later.body.iter()).take(n).all(|(a, b)| segment_covers(a, b));
    if earlier.tail {
        // The later pattern's paths all have at least its body's segments; the earlier one
        // needs its own body matched and swallows the rest.
        later.body.len() >= earlier.body.len() && prefix_covered(earlier.body.len())
    } else {
        !later.tail && later.body.len() == earlier.body.len() && prefix_covered(earlier.body.len())
    }
}

/// Whether some path matches both patterns.
#[must_use]
pub fn overlaps(a: &Pattern<'_>, b: &Pattern<'_>) -> bool {
    let common = a.body.len().min(b.body.len());
    let prefix_meets = a.body.iter().zip(b.body.iter()).take(common).all(|(x, y)| segments_meet(x, y));
    if !prefix_meets {
        return false;
    }
    match (a.tail, b.tail) {
        (false, false) => a.body.len() == b.body.len(),
        // The tail absorbs the other's extra segments (and matches zero of them).
        (true, false) => b.body.len() >= a.body.len(),
        (false, true) => a.body.len() >= b.body.len(),
        (true, true) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(a: &str, b: &str) -> bool {
        covers(&Pattern::parse(a), &Pattern::parse(b))
    }
    fn o(a: &str, b: &str) -> bool {
        let r = overlaps(&Pattern::parse(a), &Pattern::parse(b));
        assert_eq!(r, overlaps(&Pattern::parse(b), &Pattern::parse(a)), "overlap is symmetric: {a} {b}");
        r
    }

    #[test]
    fn tail_covers_its_prefix_and_everything_below() {
        assert!(c("/**", "/"));
        assert!(c("/**", "/a/*/c"));
        assert!(c("/**", "/**"));
        assert!(c("/admin/**", "/admin"));
        assert!(c("/admin/**", "/admin/users/*"));
        assert!(c("/admin/**", "/admin/x/**"));
        assert!(c("/*/**", "/a/b"));
        assert!(!c("/admin/**", "/"));
        assert!(!c("/admin/**", "/administrator"));
        assert!(!c("/a/b/**", "/a/**"));
        assert!(!c("/*/**", "/"));
    }

    #[test]
    fn exact_and_star_cover_only_same_length() {
        assert!(c("/a/*", "/a/b"));
        assert!(c("/a/*", "/a/*"));
        assert!(c("/a/b", "/a/b"));
        assert!(!c("/a/b", "/a/*"));
        assert!(!c("/a/*", "/a/b/c"));
        assert!(!c("/a/*", "/a/**"));
        assert!(!c("/a", "/a/**"));
        assert!(!c("/*", "/"));
        assert!(c("/", "/"));
        assert!(!c("/", "/a"));
    }

    #[test]
    fn overlap_needs_one_common_path() {
        assert!(o("/admin/**", "/admin/health"));
        assert!(o("/admin/**", "/admin"));
        assert!(o("/**", "/"));
        assert!(o("/a/*", "/a/b"));
        assert!(o("/a/*/c", "/a/b/*"));
        assert!(o("/a/**", "/*/b/**"));
        assert!(!o("/a/*", "/a"));
        assert!(!o("/a/*", "/b/*"));
        assert!(!o("/admin/**", "/api/**"));
        assert!(!o("/a/b/**", "/a"));
        assert!(!o("/*", "/"));
        assert!(!o("/health", "/status"));
    }
}
