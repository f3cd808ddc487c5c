//! Relations between path patterns, for the compiler's warnings: is every path that some
//! patterns all match also matched by one of some others ([`uncovered`], with a witness path
//! when not), which gives shadowing by one rule or by several together, overlap, and the
//! paths that fall through a rule ending in `*`.
//!
//! Patterns are in the normal form of `warden::path::normalize_pattern`, and mean what the
//! engine makes of them: `/` is the path `/`; every other pattern is a list of segments, each a
//! literal or `*` (one non-empty segment), optionally followed by `/**` (zero or more further
//! segments, including an empty last one: `/admin/**` matches `/admin/`). Literals are compared
//! byte for byte, which is exact because both sides are normalized. A request path is `/` or
//! non-empty segments with an optional trailing `/` (`//` is refused before any rule is tried).
//!
//! The search walks all patterns segment by segment. At each depth only the literals that
//! some pattern has there, "any other non-empty segment", an empty last segment and the end
//! of the path can make a difference, so trying those few is exact, and a state (how far each
//! pattern got) that was shown covered is not searched again.

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

/// One step of a path in a witness: a segment the search chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step<'a> {
    /// A literal segment of some pattern.
    Literal(&'a str),
    /// A non-empty segment that is none of the patterns' literals.
    Other,
    /// An empty last segment (a trailing `/`, or the path `/` itself).
    Empty,
}

/// The answer of [`uncovered`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage<'a> {
    /// Every path in the intersection is matched by one of the others.
    Covered,
    /// A path in the intersection that none of the others matches.
    Uncovered(Vec<Step<'a>>),
    /// The search was cut short (it never is for policies within the capacities).
    Unknown,
}

/// Where a pattern's matching stands after some segments: the next body segment, or past
/// the body (`Tail` when a `/**` follows, `End` otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Head<'p, 'a> {
    Segment(&'p Segment<'a>),
    Tail,
    End,
}

/// A position in one pattern: (pattern index, body segments consumed).
type Residual = (usize, usize);

/// The search state of [`uncovered`]: the residuals of the patterns every path must match
/// (all of them), and of the patterns that may cover it (any one).
type State = (Vec<Residual>, Vec<Residual>);

struct Search<'p, 'a> {
    patterns: &'p [&'p Pattern<'a>],
    covered: std::collections::HashSet<State>,
    budget: usize,
}

impl<'p, 'a> Search<'p, 'a> {
    fn head(&self, (p, at): Residual) -> Head<'p, 'a> {
        let Some(pattern) = self.patterns.get(p) else { return Head::End };
        match pattern.body.get(at) {
            Some(s) => Head::Segment(s),
            None if pattern.tail => Head::Tail,
            None => Head::End,
        }
    }

    /// Whether the residual matches a path that ends here.
    fn accepts_end(&self, r: Residual) -> bool {
        matches!(self.head(r), Head::Tail | Head::End)
    }

    /// Whether the residual matches one empty segment and then the end.
    fn accepts_empty_last(&self, (p, at): Residual) -> bool {
        match self.head((p, at)) {
            Head::Tail => true,
            Head::Segment(Segment::Literal("")) => self.head((p, at.saturating_add(1))) == Head::End,
            Head::Segment(_) | Head::End => false,
        }
    }

    /// The residual after one non-empty segment `step`, if it matches it.
    fn advance(&self, (p, at): Residual, step: &Step<'a>) -> Option<Residual> {
        match (self.head((p, at)), step) {
            (Head::Tail, _) => Some((p, at)),
            (Head::Segment(Segment::Star), Step::Literal(_) | Step::Other) => Some((p, at.saturating_add(1))),
            (Head::Segment(Segment::Literal(x)), Step::Literal(y)) if x == y => Some((p, at.saturating_add(1))),
            _ => None,
        }
    }

    fn run(&mut self, must: Vec<Residual>, mut any: Vec<Residual>, root: bool) -> Coverage<'a> {
        if any.iter().any(|r| self.head(*r) == Head::Tail) {
            return Coverage::Covered;
        }
        any.sort_unstable();
        any.dedup();
        let state = (must, any);
        if self.covered.contains(&state) {
            return Coverage::Covered;
        }
        if self.budget == 0 {
            return Coverage::Unknown;
        }
        self.budget = self.budget.saturating_sub(1);
        let (must, any) = &state;
        // Every request path has at least one segment (`/` is one empty segment).
        if !root && must.iter().all(|r| self.accepts_end(*r)) && !any.iter().any(|r| self.head(*r) == Head::End) {
            return Coverage::Uncovered(Vec::new());
        }
        if must.iter().all(|r| self.accepts_empty_last(*r)) && !any.iter().any(|r| self.accepts_empty_last(*r)) {
            return Coverage::Uncovered(vec![Step::Empty]);
        }
        let mut steps: Vec<Step<'a>> = Vec::new();
        for r in must.iter().chain(any) {
            if let Head::Segment(Segment::Literal(l)) = self.head(*r)
                && !l.is_empty()
                && !steps.contains(&Step::Literal(l))
            {
                steps.push(Step::Literal(l));
            }
        }
        steps.push(Step::Other);
        let mut unknown = false;
        for step in steps {
            let Some(next_must) = must.iter().map(|r| self.advance(*r, &step)).collect::<Option<Vec<_>>>() else {
                continue;
            };
            let next_any = any.iter().filter_map(|r| self.advance(*r, &step)).collect();
            match self.run(next_must, next_any, false) {
                Coverage::Covered => {}
                Coverage::Uncovered(mut rest) => {
                    rest.insert(0, step);
                    return Coverage::Uncovered(rest);
                }
                Coverage::Unknown => unknown = true,
            }
        }
        if unknown {
            return Coverage::Unknown;
        }
        self.covered.insert(state);
        Coverage::Covered
    }
}

/// Whether every path that all of `must` match is matched by at least one of `any`; if not,
/// a witness path (see [`render`]). `must` must not be empty.
#[must_use]
pub fn uncovered<'a>(must: &[&Pattern<'a>], any: &[&Pattern<'a>]) -> Coverage<'a> {
    let patterns: Vec<&Pattern<'a>> = must.iter().chain(any).copied().collect();
    let mut search = Search { patterns: &patterns, covered: std::collections::HashSet::new(), budget: 200_000 };
    let m: Vec<Residual> = (0..must.len()).map(|p| (p, 0)).collect();
    let a: Vec<Residual> = (must.len()..patterns.len()).map(|p| (p, 0)).collect();
    if must.is_empty() {
        return Coverage::Covered;
    }
    search.run(m, a, true)
}

/// A witness as a path, naming "other" segments with a word that no pattern uses.
#[must_use]
pub fn render(steps: &[Step<'_>], literals_in_use: &[&str]) -> String {
    let mut other = "x".to_string();
    let mut n = 1u32;
    while literals_in_use.contains(&other.as_str()) {
        other = format!("x{n}");
        n = n.saturating_add(1);
    }
    let segments: Vec<&str> = steps
        .iter()
        .map(|s| match s {
            Step::Literal(l) => l,
            Step::Other => other.as_str(),
            Step::Empty => "",
        })
        .collect();
    format!("/{}", segments.join("/"))
}

impl<'a> Pattern<'a> {
    /// The literal segments of the pattern.
    pub fn literals(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.body.iter().filter_map(|s| match s {
            Segment::Literal(l) => Some(*l),
            Segment::Star => None,
        })
    }

    /// Whether the pattern ends in a `*` segment (and no `/**`): it matches one segment at
    /// that depth and nothing below it.
    #[must_use]
    pub fn ends_in_star(&self) -> bool {
        !self.tail && self.body.last() == Some(&Segment::Star)
    }

    /// The same pattern followed by `/**`: everything at or below it.
    #[must_use]
    pub fn with_tail(&self) -> Self {
        Self { body: self.body.clone(), tail: true }
    }
}

/// Whether `earlier` matches every path that `later` matches.
#[must_use]
pub fn covers(earlier: &Pattern<'_>, later: &Pattern<'_>) -> bool {
    uncovered(&[later], &[earlier]) == Coverage::Covered
}

/// Whether some path matches both patterns.
#[must_use]
pub fn overlaps(a: &Pattern<'_>, b: &Pattern<'_>) -> bool {
    matches!(uncovered(&[a, b], &[]), Coverage::Uncovered(_))
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
