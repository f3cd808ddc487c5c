//! Warnings about policies that compile but probably do not say what their author meant
//! (docs/policy.md, "Diagnostics"): rules shadowed by earlier rules (one or several together),
//! public rules in front of protected ones, rules ending in `*` whose deeper paths fall
//! through to a weaker rule, roles nobody can hold, schemes with nothing to verify them, and
//! CORS rules whose credentials a browser's preflight refuses.
//!
//! No conclusion is drawn from a table that failed to compile: a rule with an error is left
//! out of every rule warning (as the shadowed rule and as a shadowing one), and a credential
//! with an error still counts for the roles and the scheme it was meant to give.
//!
//! Methods: `["*"]` admits every method, and a rule listing `GET` also admits `HEAD` (servers
//! run GET handlers for HEAD). The methods that can make a difference are the ones some rule
//! names, `HEAD`, and one stand-in for every other method token.

use core::ops::Range;

use warden::policy::{IpRange, OriginPattern, RoleSet, Scheme};

use crate::coverage::{Coverage, Pattern, overlaps, render, uncovered};
use crate::diag::Diagnostic;

/// What the warnings need to know about one rule.
#[derive(Debug, Clone, Default)]
pub struct RuleFacts {
    /// Rule name.
    pub name: String,
    /// Position of the name value.
    pub name_span: Range<usize>,
    /// Position of the path value.
    pub path_span: Range<usize>,
    /// Accepted schemes with their positions.
    pub auth_spans: Vec<(Scheme, Range<usize>)>,
    /// Normalized path pattern.
    pub path: String,
    /// Method tokens as listed (empty with `any_method`).
    pub methods: Vec<String>,
    /// `["*"]`.
    pub any_method: bool,
    /// `auth = []`.
    pub public: bool,
    /// Roles the rule names (role index, position), from `roles_any` and `roles_all`.
    pub roles: Vec<(usize, Range<usize>)>,
    /// `roles_any`.
    pub roles_any: RoleSet,
    /// `roles_all`.
    pub roles_all: RoleSet,
    /// `require_mfa`.
    pub require_mfa: bool,
    /// `max_auth_age_s`.
    pub max_auth_age_s: Option<u32>,
    /// Allowed client ranges, `[defaults]` merged in (empty = any address).
    pub ip_allow: Vec<IpRange>,
    /// Denied client ranges, `[defaults]` merged in.
    pub ip_deny: Vec<IpRange>,
    /// Allowed origins (normalized), `[defaults]` merged in (empty = not checked).
    pub origins: Vec<String>,
    /// The rule table had an error: no warning is drawn from it.
    pub broken: bool,
}

impl RuleFacts {
    fn accepts(&self, scheme: Scheme) -> bool {
        self.auth_spans.iter().any(|(s, _)| *s == scheme)
    }

    /// Whether the rule admits `method` (`None`: a method token no rule names).
    fn admits(&self, method: Option<&str>) -> bool {
        self.any_method || method.is_some_and(|m| self.methods.iter().any(|x| x == m || (m == "HEAD" && x == "GET")))
    }
}

/// What one credential grants and how it is presented.
#[derive(Debug, Clone)]
pub struct CredentialFacts {
    /// Roles granted.
    pub roles: RoleSet,
    /// The schemes it may be presented in: one, or (for a table with an error that names
    /// both kinds) both.
    pub schemes: Vec<Scheme>,
}

/// Policy-wide facts.
#[derive(Debug, Clone, Default)]
pub struct PolicyFacts {
    /// Whether the policy has any `[[key]]`.
    pub has_keys: bool,
    /// The credentials, including ones with errors (see [`CredentialFacts::schemes`]).
    pub credentials: Vec<CredentialFacts>,
    /// The API-key header (lowercase).
    pub api_key_header: String,
    /// `[cors].allow_headers` (lowercase), or `None` when that list had an error.
    pub cors_headers: Option<Vec<String>>,
    /// `[defaults]` had an error: the rules' network lists are incomplete.
    pub defaults_broken: bool,
}

/// The method classes that can make a difference between these rules.
fn method_classes(rules: &[&RuleFacts]) -> Vec<Option<String>> {
    let mut out: Vec<Option<String>> = Vec::new();
    let named = rules.iter().flat_map(|r| r.methods.iter().map(String::as_str));
    for m in named.chain(["HEAD"]) {
        if !out.iter().any(|x| x.as_deref() == Some(m)) {
            out.push(Some(m.to_string()));
        }
    }
    out.push(None);
    out
}

fn quoted_list(names: &[&str]) -> String {
    let q: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match q.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The analysis shared by the rule warnings.
struct Rules<'r> {
    rules: &'r [RuleFacts],
    patterns: Vec<Pattern<'r>>,
    classes: Vec<Option<String>>,
    literals: Vec<&'r str>,
}

impl<'r> Rules<'r> {
    fn new(rules: &'r [RuleFacts]) -> Self {
        let patterns: Vec<Pattern<'r>> = rules.iter().map(|r| Pattern::parse(&r.path)).collect();
        let live: Vec<&RuleFacts> = rules.iter().filter(|r| !r.broken).collect();
        let literals = patterns.iter().flat_map(Pattern::literals).collect();
        Self { rules, classes: method_classes(&live), patterns, literals }
    }

    fn live(&self, i: usize) -> bool {
        self.rules.get(i).is_some_and(|r| !r.broken)
    }

    /// Earlier live rules (before `before`, in `among` if given) that admit `class`.
    fn earlier(&self, before: usize, class: Option<&str>, among: Option<&[usize]>) -> Vec<&Pattern<'r>> {
        (0..before)
            .filter(|i| self.live(*i) && among.is_none_or(|a| a.contains(i)))
            .filter(|i| self.rules.get(*i).is_some_and(|r| r.admits(class)))
            .filter_map(|i| self.patterns.get(i))
            .collect()
    }

    /// Whether every request rule `j` matches is taken by the rules `among` (default: all
    /// earlier rules).
    fn taken(&self, j: usize, among: Option<&[usize]>) -> bool {
        let (Some(rule), Some(pattern)) = (self.rules.get(j), self.patterns.get(j)) else { return false };
        self.classes.iter().filter(|c| rule.admits(c.as_deref())).all(|c| {
            let earlier = self.earlier(j, c.as_deref(), among);
            uncovered(&[pattern], &earlier) == Coverage::Covered
        })
    }

    /// Whether rules `i` and `j` both match some request.
    fn meet(&self, i: usize, j: usize) -> bool {
        let (Some(a), Some(b), Some(p), Some(q)) =
            (self.rules.get(i), self.rules.get(j), self.patterns.get(i), self.patterns.get(j))
        else {
            return false;
        };
        self.classes.iter().any(|c| a.admits(c.as_deref()) && b.admits(c.as_deref())) && overlaps(p, q)
    }

    /// For each rule, the smallest set of earlier rules that together take all its requests
    /// (in rule order), or `None` when some request reaches it.
    fn shadowing(&self) -> Vec<Option<Vec<usize>>> {
        (0..self.rules.len())
            .map(|j| {
                if !self.live(j) || !self.taken(j, None) {
                    return None;
                }
                // Only the earlier rules that take some of its requests can matter; drop each
                // one the others do without.
                let mut set: Vec<usize> = (0..j).filter(|i| self.live(*i) && self.meet(*i, j)).collect();
                let mut k = 0;
                while k < set.len() {
                    let without: Vec<usize> =
                        set.iter().enumerate().filter(|(n, _)| *n != k).map(|(_, i)| *i).collect();
                    if self.taken(j, Some(&without)) {
                        set = without;
                    } else {
                        k = k.saturating_add(1);
                    }
                }
                Some(set)
            })
            .collect()
    }

    /// A request that matches rule `star` one segment deeper than its final `*` (or with a
    /// trailing `/`), is matched by rule `later`, and by no rule before `later`.
    fn falls_through(&self, star: usize, later: usize) -> Option<String> {
        let (a, b) = (self.rules.get(star)?, self.rules.get(later)?);
        let below = self.patterns.get(star)?.with_tail();
        let lp = self.patterns.get(later)?;
        for class in self.classes.iter().filter(|c| a.admits(c.as_deref()) && b.admits(c.as_deref())) {
            let earlier = self.earlier(later, class.as_deref(), None);
            if let Coverage::Uncovered(steps) = uncovered(&[&below, lp], &earlier) {
                let path = render(&steps, &self.literals);
                // `None` stands for every method no rule names; both rules take those.
                return Some(match class {
                    Some(m) => format!("`{m} {path}`"),
                    None => format!("`{path}` (any method)"),
                });
            }
        }
        None
    }
}

/// An IP address set: sorted, disjoint, inclusive intervals over the 128-bit space (IPv4 as
/// `::ffff:a.b.c.d`), and whether a request without a client address is in it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct IpSet {
    intervals: Vec<(u128, u128)>,
    no_address: bool,
}

fn interval(r: &IpRange) -> (u128, u128) {
    let start = u128::from_be_bytes(r.addr);
    let host = u32::from(128u8.saturating_sub(r.prefix));
    let mask = if host >= 128 { u128::MAX } else { (1u128 << host).saturating_sub(1) };
    (start, start | mask)
}

fn merged(mut v: Vec<(u128, u128)>) -> Vec<(u128, u128)> {
    v.sort_unstable();
    let mut out: Vec<(u128, u128)> = Vec::new();
    for (s, e) in v {
        match out.last_mut() {
            Some(last) if s <= last.1.saturating_add(1) => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

impl IpSet {
    /// What a rule's network checks (rows 4 and 5) let through.
    fn admitted(r: &RuleFacts) -> Self {
        let allow = if r.ip_allow.is_empty() {
            vec![(0, u128::MAX)]
        } else {
            merged(r.ip_allow.iter().map(interval).collect())
        };
        let deny = merged(r.ip_deny.iter().map(interval).collect());
        let mut intervals = Vec::new();
        for (mut s, e) in allow {
            let mut open = true;
            for &(ds, de) in &deny {
                if de < s || ds > e {
                    continue;
                }
                if ds > s {
                    intervals.push((s, ds.saturating_sub(1)));
                }
                if de >= e {
                    open = false;
                    break;
                }
                s = de.saturating_add(1);
            }
            if open {
                intervals.push((s, e));
            }
        }
        Self { intervals, no_address: r.ip_allow.is_empty() }
    }

    fn subset_of(&self, other: &Self) -> bool {
        (!self.no_address || other.no_address)
            && self.intervals.iter().all(|&(s, e)| other.intervals.iter().any(|&(os, oe)| os <= s && e <= oe))
    }
}

fn origin_patterns(list: &[String]) -> Vec<OriginPattern<'_>> {
    list.iter().filter_map(|o| warden::origin::parse_pattern(o).ok()).collect()
}

/// Whether origin pattern `a` allows every origin pattern `b` allows.
fn origin_covers(a: &OriginPattern<'_>, b: &OriginPattern<'_>) -> bool {
    match (a, b) {
        (OriginPattern::Any, b) => !matches!(b, OriginPattern::Null),
        (OriginPattern::Null, b) => matches!(b, OriginPattern::Null),
        (x @ OriginPattern::Exact { .. }, y) => x == y,
        (OriginPattern::Subdomains { scheme, suffix, port }, y) => {
            let under = |h: &str, strict: bool| {
                h.strip_suffix(*suffix).is_some_and(|rest| rest.ends_with('.')) || (!strict && h == *suffix)
            };
            match y {
                OriginPattern::Exact { scheme: s, host, port: p } => s == scheme && p == port && under(host, true),
                OriginPattern::Subdomains { scheme: s, suffix: x, port: p } => {
                    s == scheme && p == port && under(x, false)
                }
                OriginPattern::Any | OriginPattern::Null => false,
            }
        }
    }
}

/// The ways in which rule `b` lets through a request that rule `a` refuses (empty: `b` is at
/// least as strict as `a`). See docs/policy.md, "weaker".
fn weaker(a: &RuleFacts, b: &RuleFacts, role_names: &[String], network_known: bool) -> Vec<String> {
    let mut why = Vec::new();
    let role = |i: usize| role_names.get(i).map_or("?", String::as_str).to_string();
    if !a.public {
        if b.public {
            why.push(format!("`{}` is public", b.name));
        } else {
            for (s, _) in b.auth_spans.iter().filter(|(s, _)| !a.accepts(*s)) {
                why.push(format!("`{}` also accepts {}", b.name, s.name()));
            }
            // B's requirement implies A's when every smallest role set that satisfies B
            // satisfies A (requirements only grow with more roles).
            let minimal: Vec<RoleSet> = if b.roles_any.is_empty() {
                vec![b.roles_all]
            } else {
                b.roles_any.iter().map(|r| RoleSet(b.roles_all.0 | RoleSet::EMPTY.with(r).0)).collect()
            };
            let satisfies_a =
                |s: &RoleSet| (a.roles_all.0 & !s.0) == 0 && (a.roles_any.is_empty() || (a.roles_any.0 & s.0) != 0);
            if let Some(s) = minimal.iter().find(|s| !satisfies_a(s)) {
                let held: Vec<String> = s.iter().map(role).collect();
                let held = if held.is_empty() { "no role".to_string() } else { format!("only {}", held.join(", ")) };
                why.push(format!("`{}` lets in a subject with {held}", b.name));
            }
            if b.accepts(Scheme::Bearer) {
                if a.require_mfa && !b.require_mfa {
                    why.push(format!("`{}` does not require MFA", b.name));
                }
                if let Some(max) = a.max_auth_age_s
                    && b.max_auth_age_s.is_none_or(|m| m > max)
                {
                    why.push(format!("`{}` allows an older sign-in", b.name));
                }
            }
        }
    }
    if network_known {
        if !IpSet::admitted(b).subset_of(&IpSet::admitted(a)) {
            why.push(format!("`{}` admits client addresses that `{}` refuses", b.name, a.name));
        }
        if !a.origins.is_empty() {
            let (ao, bo) = (origin_patterns(&a.origins), origin_patterns(&b.origins));
            if b.origins.is_empty() || !bo.iter().all(|y| ao.iter().any(|x| origin_covers(x, y))) {
                why.push(format!("`{}` allows origins that `{}` refuses", b.name, a.name));
            }
        }
    }
    why
}

/// Every warning about the rules, in rule order.
#[must_use]
pub fn rules(rules: &[RuleFacts], policy: &PolicyFacts, role_names: &[String]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let analysis = Rules::new(rules);
    let shadowing = analysis.shadowing();
    let shadowed = |j: usize| shadowing.get(j).is_some_and(Option::is_some);
    for (later, by) in rules.iter().zip(&shadowing) {
        let Some(by) = by else { continue };
        let names: Vec<&str> = by.iter().filter_map(|i| rules.get(*i)).map(|r| r.name.as_str()).collect();
        let (message, help) = match names.as_slice() {
            [one] => (
                format!(
                    "rule `{}` is never used: rule `{one}` comes first and matches every request it matches",
                    later.name
                ),
                format!("move `{}` above `{one}`, or narrow the earlier rule's path or methods", later.name),
            ),
            _ => (
                format!(
                    "rule `{}` is never used: rules {} come first and together match every request it matches",
                    later.name,
                    quoted_list(&names)
                ),
                format!("move `{}` above them, or narrow the earlier rules' paths or methods", later.name),
            ),
        };
        out.push(Diagnostic::warning(Some(later.path_span.clone()), message).with_help(help).with_label("shadowed"));
    }
    for (i, public) in rules.iter().enumerate().filter(|(i, r)| r.public && analysis.live(*i)) {
        for (j, protected) in rules.iter().enumerate().skip(i.saturating_add(1)).filter(|(_, r)| !r.public) {
            if shadowed(j) || !analysis.live(j) {
                continue;
            }
            if analysis.meet(i, j) {
                out.push(
                    Diagnostic::warning(
                        Some(public.path_span.clone()),
                        format!("public rule `{}` comes before `{}`, which needs authentication, and takes some of its requests", public.name, protected.name),
                        )
                        .with_help(format!("if that is intended, narrow `{}` so it covers only the public paths; otherwise move it below `{}`", public.name, protected.name)),
                );
            }
        }
    }
    let star_rules = rules
        .iter()
        .enumerate()
        .filter(|(i, _)| analysis.live(*i) && analysis.patterns.get(*i).is_some_and(Pattern::ends_in_star));
    for (i, a) in star_rules {
        for (j, b) in rules.iter().enumerate().skip(i.saturating_add(1)) {
            if !analysis.live(j) || shadowed(j) || (a.public && b.public) {
                continue;
            }
            let why = weaker(a, b, role_names, !policy.defaults_broken);
            if why.is_empty() {
                continue;
            }
            if let Some(request) = analysis.falls_through(i, j) {
                let deeper = a.path.strip_suffix('*').unwrap_or(&a.path);
                out.push(
                    Diagnostic::warning(
                        Some(a.path_span.clone()),
                        format!(
                            "rule `{}` ends in `*`, which is one segment only: {request} falls through to `{}`, which is weaker ({})",
                            a.name,
                            b.name,
                            why.join("; ")
                        ),
                    )
                    .with_help(format!(
                        "write `{deeper}*/**` if `{}` should govern everything below `{deeper}`, or give `{}` the requirements of `{}`",
                        a.name, b.name, a.name
                    )),
                );
            }
        }
    }
    for r in rules.iter().filter(|r| !r.broken) {
        let bearer = r.accepts(Scheme::Bearer) && policy.has_keys;
        // Roles on a public rule are an error of their own (see the compiler).
        for (role, span) in r.roles.iter().filter(|_| !r.public) {
            let by_credential =
                policy.credentials.iter().any(|c| c.roles.contains(*role) && c.schemes.iter().any(|s| r.accepts(*s)));
            if !bearer && !by_credential {
                let name = role_names.get(*role).map_or("?", String::as_str);
                let why = if r.accepts(Scheme::Bearer) {
                    "the policy has no [[key]] to verify tokens"
                } else {
                    "the rule accepts no bearer tokens"
                };
                out.push(
                    Diagnostic::warning(Some(span.clone()), format!("no request can hold role `{name}` on rule `{}`: no credential it accepts grants it, and {why}", r.name))
                        .with_help(format!("grant `{name}` to a [[credential]] whose scheme the rule accepts, or accept \"bearer\" tokens")),
                );
            }
        }
        for (scheme, span) in &r.auth_spans {
            let usable = match scheme {
                Scheme::Bearer => policy.has_keys,
                Scheme::ApiKey | Scheme::Basic => policy.credentials.iter().any(|c| c.schemes.contains(scheme)),
            };
            if !usable {
                let what = match scheme {
                    Scheme::Bearer => "there is no [[key]] to verify tokens",
                    Scheme::ApiKey => "no [[credential]] has an `api_key_sha256`",
                    Scheme::Basic => "no [[credential]] has a `basic_user`",
                };
                out.push(
                    Diagnostic::warning(
                        Some(span.clone()),
                        format!("rule `{}` accepts `{}` but {what}", r.name, scheme.name()),
                    )
                    .with_help("add what verifies it, or remove the scheme from `auth`"),
                );
            }
        }
        if let Some(allowed) = &policy.cors_headers
            && !r.origins.is_empty()
        {
            for (scheme, span) in &r.auth_spans {
                let usable: Vec<&str> = match scheme {
                    Scheme::Bearer | Scheme::Basic => vec!["authorization"],
                    // `Authorization: ApiKey <key>` carries an API key too.
                    Scheme::ApiKey => vec![policy.api_key_header.as_str(), "authorization"],
                };
                if usable.iter().any(|h| allowed.iter().any(|a| a == h)) {
                    continue;
                }
                let header = usable.first().copied().unwrap_or("authorization");
                let names = quoted_list(&usable);
                let which = if usable.len() > 1 {
                    format!("neither {}", names.replace(" and ", " nor "))
                } else {
                    format!("no {names}")
                };
                out.push(
                    Diagnostic::warning(
                        Some(span.clone()),
                        format!(
                            "rule `{}` lists origins and accepts `{}`, but `[cors].allow_headers` has {which}: a browser's preflight refuses the header the page sends",
                            r.name,
                            scheme.name()
                        ),
                    )
                    .with_help(format!("add \"{header}\" to `[cors].allow_headers`")),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A rule for the tests: `methods` comma-separated or `*`; auth from `b`, `k`, `s`
    /// (bearer, api_key, basic), empty = public.
    fn rule(name: &str, methods: &str, path: &str, auth: &str) -> RuleFacts {
        let schemes = auth.chars().filter_map(|c| match c {
            'b' => Some(Scheme::Bearer),
            'k' => Some(Scheme::ApiKey),
            's' => Some(Scheme::Basic),
            _ => None,
        });
        RuleFacts {
            name: name.into(),
            name_span: 0..1,
            path_span: 0..1,
            auth_spans: schemes.map(|s| (s, 0..1)).collect(),
            path: path.into(),
            methods: if methods == "*" { Vec::new() } else { methods.split(',').map(str::to_string).collect() },
            any_method: methods == "*",
            public: auth.is_empty(),
            ..RuleFacts::default()
        }
    }

    fn with_roles(mut r: RuleFacts, any: &[usize], all: &[usize]) -> RuleFacts {
        r.roles_any = any.iter().fold(RoleSet::EMPTY, |s, i| s.with(*i));
        r.roles_all = all.iter().fold(RoleSet::EMPTY, |s, i| s.with(*i));
        r.roles = any.iter().chain(all).map(|i| (*i, 0..1)).collect();
        r
    }

    fn facts(has_keys: bool) -> PolicyFacts {
        PolicyFacts {
            has_keys,
            credentials: vec![CredentialFacts { roles: RoleSet(0b111), schemes: vec![Scheme::ApiKey, Scheme::Basic] }],
            api_key_header: "x-api-key".into(),
            cors_headers: Some(vec!["authorization".into(), "content-type".into()]),
            defaults_broken: false,
        }
    }

    fn messages(r: &[RuleFacts], p: &PolicyFacts) -> Vec<String> {
        rules(r, p, &["ops".into(), "admin".into(), "read".into()]).into_iter().map(|d| d.message).collect()
    }

    fn never_used(r: &[RuleFacts]) -> Vec<String> {
        messages(r, &facts(true)).into_iter().filter(|m| m.contains("never used")).collect()
    }

    #[test]
    fn a_broader_earlier_rule_shadows() {
        let r = [rule("all", "*", "/api/**", "k"), rule("one", "GET", "/api/x", "k")];
        let m = messages(&r, &facts(false));
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].starts_with("rule `one` is never used: rule `all` comes first"), "{m:?}");
        // Other methods do not shadow.
        let r = [rule("get", "GET", "/api/**", "k"), rule("post", "POST", "/api/x", "k")];
        assert!(messages(&r, &facts(false)).is_empty());
    }

    #[test]
    fn the_union_of_earlier_rules_shadows_and_is_named() {
        // The example: GET,POST /api/export/* after GET /api/** and POST,PUT /api/**.
        let r = [
            rule("read", "GET", "/api/**", "b"),
            rule("write", "POST,PUT", "/api/**", "b"),
            rule("export", "GET,POST", "/api/export/*", "b"),
        ];
        let m = never_used(&r);
        assert_eq!(
            m,
            [
                "rule `export` is never used: rules `read` and `write` come first and together match every request it matches"
            ]
        );
        // Paths can be split between earlier rules too: `/a/*` + `/a/*/**`-below + ... .
        let r = [
            rule("one", "GET", "/a/*", "b"),
            rule("deeper", "GET", "/a/*/*/**", "b"),
            rule("all", "GET", "/a/**", "b"),
        ];
        // `/a`, `/a/` and `/a/x/` still reach `all`.
        assert!(never_used(&r).is_empty());
        let r = [
            rule("root", "GET", "/a", "b"),
            rule("one", "GET", "/a/*", "b"),
            rule("deeper", "GET", "/a/*/**", "b"),
            rule("slash", "GET", "/a/**", "b"),
            rule("late", "GET", "/a/**", "b"),
        ];
        // `/a/` is taken by nothing but `slash`, so `slash` is needed; `late` is shadowed by
        // `slash` alone, the smallest set.
        assert_eq!(
            never_used(&r),
            ["rule `late` is never used: rule `slash` comes first and matches every request it matches"]
        );
        let r = [
            rule("root", "GET", "/a", "b"),
            rule("one", "GET", "/a/*", "b"),
            rule("deeper", "GET", "/a/*/**", "b"),
            rule("x", "GET", "/a/**", "b"),
        ];
        // Only `/a/` (an empty last segment) escapes the first three.
        assert!(never_used(&r).is_empty());
        let r = [rule("lits", "GET", "/a/b", "b"), rule("star", "GET", "/a/*", "b"), rule("x", "GET", "/a/b", "b")];
        assert_eq!(never_used(&r).len(), 1, "one earlier rule, the exact one, is enough");
    }

    #[test]
    fn methods_star_other_tokens_and_head() {
        // `*` needs every method: the named ones and all others.
        let r = [rule("get", "GET", "/**", "b"), rule("post", "POST", "/**", "b"), rule("any", "*", "/x", "b")];
        assert!(never_used(&r).is_empty());
        let r = [rule("any", "*", "/**", "b"), rule("get", "GET", "/x", "b")];
        assert_eq!(never_used(&r).len(), 1);
        // GET admits HEAD: a HEAD rule after a GET rule over the same paths is shadowed, a GET
        // rule after a HEAD one is not (GET requests reach it).
        let r = [rule("get", "GET", "/**", "b"), rule("head", "HEAD", "/x", "b")];
        assert_eq!(never_used(&r).len(), 1);
        let r = [rule("head", "HEAD", "/**", "b"), rule("get", "GET", "/x", "b")];
        assert!(never_used(&r).is_empty());
        // A later GET rule also takes HEAD: a POST+HEAD pair does not cover it.
        let r = [rule("h", "HEAD", "/**", "b"), rule("post", "POST", "/**", "b"), rule("get", "GET", "/x", "b")];
        assert!(never_used(&r).is_empty());
        // Methods are case-sensitive tokens.
        let r = [rule("get", "get", "/**", "b"), rule("upper", "GET", "/x", "b")];
        assert!(never_used(&r).is_empty());
    }

    #[test]
    fn broken_rules_draw_no_conclusions() {
        let mut bad = rule("bad", "*", "/**", "b");
        bad.broken = true;
        let r = [bad.clone(), rule("x", "GET", "/x", "b")];
        assert!(never_used(&r).is_empty(), "a rule with an error shadows nothing");
        let r = [rule("all", "*", "/**", "b"), bad];
        assert!(messages(&r, &facts(true)).is_empty(), "nor is it reported");
    }

    #[test]
    fn public_rule_in_front_of_a_protected_one_warns_but_not_behind() {
        let front = [rule("pub", "GET", "/admin/health", ""), rule("adm", "*", "/admin/**", "k")];
        let m = messages(&front, &facts(false));
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].contains("public rule `pub` comes before `adm`"));
        let behind = [rule("adm", "*", "/admin/**", "k"), rule("static", "GET", "/**", "")];
        let m = messages(&behind, &facts(false));
        assert!(m.iter().all(|m| !m.contains("public rule")), "{m:?}");
    }

    #[test]
    fn a_star_rule_followed_by_a_weaker_one_names_the_path_that_falls_through() {
        let r = [rule("a", "GET", "/a/*", "b"), rule("rest", "GET", "/**", "")];
        let m = messages(&r, &facts(true));
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].contains("rule `a` ends in `*`"), "{m:?}");
        assert!(m[0].contains("`GET /a/x/` falls through to `rest`"), "{m:?}");
        assert!(m[0].contains("`rest` is public"), "{m:?}");
        // Deeper paths that some rule in between takes do not fall through.
        let r = [rule("a", "GET", "/a/*", "b"), rule("below", "GET", "/a/**", "b"), rule("rest", "GET", "/**", "")];
        assert!(messages(&r, &facts(true)).iter().all(|m| !m.contains("ends in `*`")), "{r:?}");
        // A stricter or equal later rule is not weaker.
        let a = with_roles(rule("a", "GET", "/a/*", "b"), &[1], &[]);
        let strict = with_roles(rule("s", "GET", "/**", "b"), &[], &[1]);
        assert!(messages(&[a.clone(), strict], &facts(true)).is_empty());
        // Fewer roles, another scheme, no MFA, wider IPs: each is weaker.
        let loose = with_roles(rule("l", "GET", "/**", "b"), &[1, 2], &[]);
        let m = messages(&[a.clone(), loose], &facts(true));
        assert!(m.iter().any(|m| m.contains("lets in a subject with only read")), "{m:?}");
        let m = messages(&[a.clone(), with_roles(rule("k", "GET", "/**", "bk"), &[1], &[])], &facts(true));
        assert!(m.iter().any(|m| m.contains("`k` also accepts api_key")), "{m:?}");
        let mut mfa = a.clone();
        mfa.require_mfa = true;
        let m = messages(&[mfa, with_roles(rule("n", "GET", "/**", "b"), &[1], &[])], &facts(true));
        assert!(m.iter().any(|m| m.contains("does not require MFA")), "{m:?}");
        let mut net = a.clone();
        net.ip_allow = vec![IpRange {
            addr: core::net::Ipv4Addr::new(10, 0, 0, 0).to_ipv6_mapped().octets(),
            prefix: 104,
            v4: true,
        }];
        let m = messages(&[net, with_roles(rule("w", "GET", "/**", "b"), &[1], &[])], &facts(true));
        assert!(m.iter().any(|m| m.contains("admits client addresses")), "{m:?}");
        // Methods must meet.
        assert!(messages(&[rule("a", "GET", "/a/*", "b"), rule("p", "POST", "/**", "")], &facts(true)).is_empty());
    }

    #[test]
    fn ip_sets_subtract_deny_lists() {
        let v4 = |a: u8, prefix: u8| IpRange {
            addr: core::net::Ipv4Addr::new(a, 0, 0, 0).to_ipv6_mapped().octets(),
            prefix: 96 + prefix,
            v4: true,
        };
        let mut a = rule("a", "GET", "/", "b");
        a.ip_allow = vec![v4(10, 8)];
        let mut b = a.clone();
        b.ip_deny = vec![v4(10, 16)];
        assert!(IpSet::admitted(&b).subset_of(&IpSet::admitted(&a)));
        assert!(!IpSet::admitted(&a).subset_of(&IpSet::admitted(&b)));
        let open = rule("o", "GET", "/", "b");
        assert!(
            !IpSet::admitted(&open).subset_of(&IpSet::admitted(&a)),
            "no allow list admits requests without an address"
        );
    }

    #[test]
    fn origins_cover_by_wildcard() {
        let p = |s: &'static str| warden::origin::parse_pattern(s).unwrap();
        assert!(origin_covers(&p("https://*.example.com"), &p("https://a.example.com")));
        assert!(origin_covers(&p("https://*.example.com"), &p("https://*.a.example.com")));
        assert!(!origin_covers(&p("https://*.example.com"), &p("https://example.com")));
        assert!(!origin_covers(&p("https://*.example.com"), &p("http://a.example.com")));
        assert!(!origin_covers(&p("*"), &p("null")));
        assert!(origin_covers(&p("*"), &p("https://a.b")));
    }

    #[test]
    fn roles_nobody_can_hold() {
        let mut f = facts(false);
        f.credentials = vec![CredentialFacts { roles: RoleSet(0b1), schemes: vec![Scheme::ApiKey] }];
        let r = [with_roles(rule("x", "GET", "/x", "k"), &[0, 1], &[])];
        let m = messages(&r, &f);
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].contains("role `admin`"));
        let r = [with_roles(rule("x", "GET", "/x", "kb"), &[0, 1], &[])];
        f.has_keys = true;
        assert!(messages(&r, &f).is_empty());
        // A bearer rule without keys: the role and the scheme both warn.
        f.has_keys = false;
        assert_eq!(messages(&r, &f).len(), 2);
    }

    #[test]
    fn cors_rules_need_the_header_of_each_scheme() {
        let mut r = rule("x", "GET", "/x", "bks");
        r.origins = vec!["https://app.example.com".into()];
        let mut f = facts(true);
        assert!(messages(&[r.clone()], &f).is_empty(), "authorization serves all three schemes");
        f.cors_headers = Some(vec!["content-type".into()]);
        let m = messages(&[r.clone()], &f);
        assert_eq!(m.len(), 3, "{m:?}");
        assert!(m[1].contains("has neither `x-api-key` nor `authorization`"), "{m:?}");
        f.cors_headers = Some(vec!["x-api-key".into()]);
        let m = messages(&[r.clone()], &f);
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(m.iter().all(|m| m.contains("has no `authorization`")), "{m:?}");
        r.origins.clear();
        assert!(messages(&[r], &f).is_empty(), "no origins, no CORS");
    }
}
