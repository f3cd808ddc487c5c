//! Case files for `warden test` (docs/policy.md, "Case files").
//!
//! ```toml
//! keys = "edge-api.keys.toml"   # relative to this file; optional when the policy has no [[key]]
//! now = 1767225600              # default for cases without their own `now`
//!
//! [[case]]
//! name = "admin with token"
//! method = "GET"
//! path = "/admin/users"
//! ip = "10.1.2.3"                                   # optional
//! headers = { authorization = "Bearer eyJ…" }       # optional; a list repeats a header
//! expect = "allow"                                  # allow | 401 | 403
//! reason = "allowed"
//! # optional checks:
//! rule = "admin-console"        # "" = no rule
//! subject = "alice"             # "" = no subject
//! roles = ["admin"]             # exact list
//! challenges = ["Bearer realm=\"edge-api\""]       # exact values, in order
//! challenge_contains = ["error=\"invalid_token\""] # each found in some challenge
//! refresh_advised = false
//! cors_origin = "https://console.example.com"      # "" = no CORS answer
//! ```

use core::net::IpAddr;
use core::ops::Range;
use std::collections::BTreeMap;

use serde::Deserialize;
use serde_spanned::Spanned;

use crate::diag::Diagnostic;
use crate::outcome::Outcome;
use crate::request::RequestSpec;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFileSource {
    keys: Option<Spanned<String>>,
    now: Option<Spanned<u64>>,
    #[serde(default)]
    case: Vec<Spanned<CaseSource>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum HeaderValue {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseSource {
    name: Spanned<String>,
    method: Spanned<String>,
    path: Spanned<String>,
    ip: Option<Spanned<String>>,
    now: Option<Spanned<u64>>,
    headers: Option<Spanned<BTreeMap<String, Spanned<HeaderValue>>>>,
    expect: Spanned<String>,
    reason: Spanned<String>,
    rule: Option<Spanned<String>>,
    subject: Option<Spanned<String>>,
    roles: Option<Spanned<Vec<String>>>,
    challenges: Option<Spanned<Vec<String>>>,
    challenge_contains: Option<Spanned<Vec<String>>>,
    refresh_advised: Option<Spanned<bool>>,
    cors_origin: Option<Spanned<String>>,
}

/// What a case expects.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Expectation {
    /// 200, 401 or 403.
    pub status: u16,
    /// Reason identifier.
    pub reason: String,
    /// `Some(None)` = no rule.
    pub rule: Option<Option<String>>,
    /// `Some(None)` = no subject.
    pub subject: Option<Option<String>>,
    /// Exact role list.
    pub roles: Option<Vec<String>>,
    /// Exact challenges.
    pub challenges: Option<Vec<String>>,
    /// Substrings each found in some challenge.
    pub challenge_contains: Vec<String>,
    /// `refresh_advised`.
    pub refresh_advised: Option<bool>,
    /// `Some(None)` = no CORS answer.
    pub cors_origin: Option<Option<String>>,
}

/// One case.
#[derive(Debug, Clone)]
pub struct Case {
    /// Case name.
    pub name: String,
    /// The request.
    pub request: RequestSpec,
    /// What must come out.
    pub expect: Expectation,
    /// Where the case starts in the file.
    pub span: Range<usize>,
}

/// A parsed case file.
#[derive(Debug, Clone)]
pub struct CaseFile {
    /// `keys` path as written (relative to the case file).
    pub keys: Option<String>,
    /// The cases.
    pub cases: Vec<Case>,
}

fn none_if_empty(s: &Spanned<String>) -> Option<String> {
    let v = s.get_ref();
    if v.is_empty() { None } else { Some(v.clone()) }
}

/// Parses a case file.
///
/// # Errors
/// Positioned diagnostics.
pub fn parse(text: &str) -> Result<CaseFile, Vec<Diagnostic>> {
    let src: CaseFileSource = crate::source::parse(text, "the keys file named by `keys`").map_err(|d| vec![*d])?;
    let mut diags = Vec::new();
    let mut cases = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for c in &src.case {
        let span = c.span();
        let c = c.get_ref();
        let name = c.name.get_ref().clone();
        if names.contains(&name) {
            diags.push(
                Diagnostic::error(Some(c.name.span()), format!("case name `{name}` is used twice"))
                    .with_help("give every case its own name"),
            );
        }
        names.push(name.clone());
        let now = match (c.now.as_ref(), src.now.as_ref()) {
            (Some(n), _) | (None, Some(n)) => *n.get_ref(),
            (None, None) => {
                diags.push(
                    Diagnostic::error(Some(c.name.span()), format!("case `{name}` has no `now`"))
                        .with_help("add `now = <unix seconds>` to the case, or once at the top of the file"),
                );
                0
            }
        };
        let ip = match &c.ip {
            Some(ip) => match ip.get_ref().parse::<IpAddr>() {
                Ok(a) => Some(a),
                Err(_) => {
                    diags.push(
                        Diagnostic::error(Some(ip.span()), "`ip` is not an IP address")
                            .with_help("write e.g. \"10.1.2.3\" or \"2001:db8::1\" (no prefix length)"),
                    );
                    None
                }
            },
            None => None,
        };
        let mut headers = Vec::new();
        for (hname, value) in c.headers.as_ref().map(|h| h.get_ref().iter()).into_iter().flatten() {
            match value.get_ref() {
                HeaderValue::One(v) => headers.push((hname.clone(), v.clone())),
                HeaderValue::Many(vs) => headers.extend(vs.iter().map(|v| (hname.clone(), v.clone()))),
            }
        }
        let status = match c.expect.get_ref().as_str() {
            "allow" => 200,
            "401" => 401,
            "403" => 403,
            other => {
                diags.push(
                    Diagnostic::error(
                        Some(c.expect.span()),
                        format!("`expect = \"{}\"` is not allow, 401 or 403", other.escape_debug()),
                    )
                    .with_help("write expect = \"allow\", \"401\" or \"403\""),
                );
                0
            }
        };
        match warden::Reason::from_name(c.reason.get_ref()) {
            Some(r) if status != 0 && r.status() != status => diags.push(
                Diagnostic::error(
                    Some(c.reason.span()),
                    format!("reason `{}` comes with status {}, not {}", r.as_str(), r.status(), status),
                )
                .with_help("make `expect` and `reason` agree"),
            ),
            Some(_) => {}
            None => {
                let all: Vec<&str> = warden::Reason::all().map(|r| r.as_str()).collect();
                diags.push(
                    Diagnostic::error(
                        Some(c.reason.span()),
                        format!("unknown reason `{}`", c.reason.get_ref().escape_debug()),
                    )
                    .with_help(format!("one of: {}", all.join(", "))),
                );
            }
        }
        cases.push(Case {
            name,
            request: RequestSpec {
                method: c.method.get_ref().clone(),
                path: c.path.get_ref().clone(),
                ip,
                headers,
                now,
            },
            expect: Expectation {
                status,
                reason: c.reason.get_ref().clone(),
                rule: c.rule.as_ref().map(none_if_empty),
                subject: c.subject.as_ref().map(none_if_empty),
                roles: c.roles.as_ref().map(|r| r.get_ref().clone()),
                challenges: c.challenges.as_ref().map(|r| r.get_ref().clone()),
                challenge_contains: c.challenge_contains.as_ref().map(|r| r.get_ref().clone()).unwrap_or_default(),
                refresh_advised: c.refresh_advised.as_ref().map(|b| *b.get_ref()),
                cors_origin: c.cors_origin.as_ref().map(none_if_empty),
            },
            span,
        });
    }
    if src.case.is_empty() {
        diags.push(Diagnostic::error(None, "the case file has no [[case]]").with_help("add [[case]] tables"));
    }
    if diags.is_empty() { Ok(CaseFile { keys: src.keys.map(|k| k.into_inner()), cases }) } else { Err(diags) }
}

fn show<T: core::fmt::Debug>(v: &Option<T>) -> String {
    match v {
        Some(x) => format!("{x:?}"),
        None => "none".into(),
    }
}

/// Every way `actual` differs from `expect`, one line each; empty = pass.
#[must_use]
pub fn mismatches(expect: &Expectation, actual: &Outcome) -> Vec<String> {
    let mut out = Vec::new();
    if expect.status != actual.status || expect.reason != actual.reason {
        out.push(format!("expected {} {}, got {} {}", expect.status, expect.reason, actual.status, actual.reason));
    }
    if let Some(rule) = &expect.rule
        && *rule != actual.rule
    {
        out.push(format!("rule: expected {}, got {}", show(rule), show(&actual.rule)));
    }
    if let Some(subject) = &expect.subject
        && *subject != actual.subject
    {
        out.push(format!("subject: expected {}, got {}", show(subject), show(&actual.subject)));
    }
    if let Some(roles) = &expect.roles
        && *roles != actual.roles
    {
        out.push(format!("roles: expected {roles:?}, got {:?}", actual.roles));
    }
    if let Some(ch) = &expect.challenges
        && *ch != actual.challenges
    {
        out.push(format!("challenges: expected {ch:?}, got {:?}", actual.challenges));
    }
    for needle in &expect.challenge_contains {
        if !actual.challenges.iter().any(|c| c.contains(needle.as_str())) {
            out.push(format!("no challenge contains {needle:?}; got {:?}", actual.challenges));
        }
    }
    if let Some(r) = expect.refresh_advised
        && r != actual.refresh_advised
    {
        out.push(format!("refresh_advised: expected {r}, got {}", actual.refresh_advised));
    }
    if let Some(origin) = &expect.cors_origin {
        let got = actual.cors.as_ref().map(|c| c.allow_origin.clone());
        if *origin != got {
            out.push(format!("cors_origin: expected {}, got {}", show(origin), show(&got)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "keys = \"k.toml\"\nnow = 100\n[[case]]\nname = \"a\"\nmethod = \"GET\"\npath = \"/\"\nheaders = { authorization = [\"Bearer x\", \"Bearer y\"], origin = \"https://a.example.com\" }\nexpect = \"401\"\nreason = \"credentials_ambiguous\"\n";

    #[test]
    fn parses_defaults_and_repeated_headers() {
        let f = parse(FILE).unwrap();
        assert_eq!(f.keys.as_deref(), Some("k.toml"));
        let c = &f.cases[0];
        assert_eq!(c.request.now, 100);
        assert_eq!(c.request.headers.iter().filter(|(n, _)| n == "authorization").count(), 2);
        assert_eq!(c.expect.status, 401);
    }

    #[test]
    fn bad_fields_are_positioned_errors() {
        let d = parse(&FILE.replace("reason = \"credentials_ambiguous\"", "reason = \"allowed\"")).unwrap_err();
        assert!(d[0].message.contains("status 200"), "{d:?}");
        let d = parse(&FILE.replace("expect =", "expected =")).unwrap_err();
        assert_eq!(d[0].message, "unknown field `expected`");
        assert!(d[0].span.is_some());
        let d = parse(&FILE.replace("now = 100\n", "")).unwrap_err();
        assert!(d[0].message.contains("no `now`"));
    }

    #[test]
    fn mismatches_list_every_difference() {
        let actual = Outcome {
            decision: "forbidden",
            status: 403,
            reason: "insufficient_role",
            rule: Some("r".into()),
            subject: Some("s".into()),
            roles: vec!["a".into()],
            refresh_advised: false,
            challenges: vec!["Bearer realm=\"x\", error=\"insufficient_scope\"".into()],
            cors: None,
            path: Some("/".into()),
        };
        let mut e = Expectation { status: 403, reason: "insufficient_role".into(), ..Default::default() };
        assert!(mismatches(&e, &actual).is_empty());
        e.rule = Some(None);
        e.roles = Some(vec![]);
        e.challenge_contains = vec!["insufficient_scope".into(), "nope".into()];
        e.cors_origin = Some(Some("https://a".into()));
        let m = mismatches(&e, &actual);
        assert_eq!(m.len(), 4, "{m:?}");
    }
}
