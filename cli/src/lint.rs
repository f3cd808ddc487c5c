//! Warnings about policies that compile but probably do not say what their author meant
//! (SPEC §3): shadowed rules, roles nobody can hold, public rules in front of protected ones,
//! schemes with nothing to verify them.

use core::ops::Range;

use warden::policy::{MethodSet, RoleSet, Scheme};

use crate::coverage::{Pattern, covers, overlaps};
use crate::diag::Diagnostic;

/// What the warnings need to know about one rule.
#[derive(Debug, Clone)]
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
    /// Method bits.
    pub methods: MethodSet,
    /// `["*"]`.
    pub any_method: bool,
    /// `auth = []`.
    pub public: bool,
    /// Roles the rule names (role index, position), from `roles_any` and `roles_all`.
    pub roles: Vec<(usize, Range<usize>)>,
}

impl RuleFacts {
    fn accepts(&self, scheme: Scheme) -> bool {
        self.auth_spans.iter().any(|(s, _)| *s == scheme)
    }
}

/// What one credential grants and how it is presented.
#[derive(Debug, Clone, Copy)]
pub struct CredentialFacts {
    /// Roles granted.
    pub roles: RoleSet,
    /// `ApiKey` or `Basic`.
    pub scheme: Scheme,
}

/// Policy-wide facts.
#[derive(Debug, Clone)]
pub struct PolicyFacts {
    /// Whether the policy has any `[[key]]`.
    pub has_keys: bool,
    /// The credentials.
    pub credentials: Vec<CredentialFacts>,
}

fn methods_superset(a: &RuleFacts, b: &RuleFacts) -> bool {
    a.any_method || (!b.any_method && (b.methods.0 & !a.methods.0) == 0)
}

fn methods_meet(a: &RuleFacts, b: &RuleFacts) -> bool {
    a.any_method || b.any_method || (a.methods.0 & b.methods.0) != 0
}

fn line_hint(r: &RuleFacts) -> String {
    format!("rule `{}`", r.name)
}

/// Every warning about the rules, in rule order.
#[must_use]
pub fn rules(rules: &[RuleFacts], policy: &PolicyFacts, role_names: &[String]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let patterns: Vec<Pattern<'_>> = rules.iter().map(|r| Pattern::parse(&r.path)).collect();
    let mut shadowed = vec![false; rules.len()];
    for (j, later) in rules.iter().enumerate() {
        let shadow =
            rules.iter().zip(&patterns).take(j).find(|(earlier, p)| {
                methods_superset(earlier, later) && patterns.get(j).is_some_and(|lp| covers(p, lp))
            });
        if let Some((earlier, _)) = shadow {
            if let Some(s) = shadowed.get_mut(j) {
                *s = true;
            }
            out.push(
                Diagnostic::warning(
                    Some(later.path_span.clone()),
                    format!(
                        "rule `{}` is never used: {} comes first and matches every request it matches",
                        later.name,
                        line_hint(earlier)
                    ),
                )
                .with_help(format!(
                    "move `{}` above `{}`, or narrow the earlier rule's path or methods",
                    later.name, earlier.name
                ))
                .with_label("shadowed"),
            );
        }
    }
    for (i, public) in rules.iter().enumerate().filter(|(_, r)| r.public) {
        for (j, protected) in rules.iter().enumerate().skip(i.saturating_add(1)).filter(|(_, r)| !r.public) {
            if shadowed.get(j).copied().unwrap_or(false) {
                continue;
            }
            let (Some(pp), Some(qp)) = (patterns.get(i), patterns.get(j)) else { continue };
            if methods_meet(public, protected) && overlaps(pp, qp) {
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
    for r in rules {
        let bearer = r.accepts(Scheme::Bearer) && policy.has_keys;
        // Roles on a public rule are an error of their own (see the compiler).
        for (role, span) in r.roles.iter().filter(|_| !r.public) {
            let by_credential = policy.credentials.iter().any(|c| c.roles.contains(*role) && r.accepts(c.scheme));
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
                Scheme::ApiKey | Scheme::Basic => policy.credentials.iter().any(|c| c.scheme == *scheme),
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
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(name: &str, methods: u32, any: bool, path: &str, auth: &[Scheme], roles: &[usize]) -> RuleFacts {
        RuleFacts {
            name: name.into(),
            name_span: 0..1,
            path_span: 0..1,
            auth_spans: auth.iter().map(|s| (*s, 0..1)).collect(),
            path: path.into(),
            methods: MethodSet(methods),
            any_method: any,
            public: auth.is_empty(),
            roles: roles.iter().map(|r| (*r, 0..1)).collect(),
        }
    }

    fn facts(has_keys: bool) -> PolicyFacts {
        PolicyFacts { has_keys, credentials: vec![CredentialFacts { roles: RoleSet(0b1), scheme: Scheme::ApiKey }] }
    }

    fn messages(r: &[RuleFacts], p: &PolicyFacts) -> Vec<String> {
        rules(r, p, &["ops".into(), "admin".into()]).into_iter().map(|d| d.message).collect()
    }

    #[test]
    fn a_broader_earlier_rule_shadows() {
        let r = [
            rule("all", 0, true, "/api/**", &[Scheme::ApiKey], &[]),
            rule("one", 0b1, false, "/api/x", &[Scheme::ApiKey], &[]),
        ];
        let m = messages(&r, &facts(false));
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].starts_with("rule `one` is never used"));
        // Narrower methods do not shadow.
        let r = [
            rule("get", 0b1, false, "/api/**", &[Scheme::ApiKey], &[]),
            rule("post", 0b10, false, "/api/x", &[Scheme::ApiKey], &[]),
        ];
        assert!(messages(&r, &facts(false)).is_empty());
    }

    #[test]
    fn public_rule_in_front_of_a_protected_one_warns_but_not_behind() {
        let front = [
            rule("pub", 0b1, false, "/admin/health", &[], &[]),
            rule("adm", 0, true, "/admin/**", &[Scheme::ApiKey], &[]),
        ];
        let m = messages(&front, &facts(false));
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].contains("public rule `pub` comes before `adm`"));
        let behind =
            [rule("adm", 0, true, "/admin/**", &[Scheme::ApiKey], &[]), rule("static", 0b1, false, "/**", &[], &[])];
        assert!(messages(&behind, &facts(false)).is_empty());
    }

    #[test]
    fn roles_nobody_can_hold() {
        let r = [rule("x", 0b1, false, "/x", &[Scheme::ApiKey], &[0, 1])];
        let m = messages(&r, &facts(false));
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].contains("role `admin`"));
        let r = [rule("x", 0b1, false, "/x", &[Scheme::ApiKey, Scheme::Bearer], &[0, 1])];
        assert!(messages(&r, &facts(true)).is_empty());
        // A bearer rule without keys: the role and the scheme both warn.
        let m = messages(&r, &facts(false));
        assert_eq!(m.len(), 2, "{m:?}");
    }
}
