//! `[[rule]]` tables: methods, schemes and the rule itself.

use super::*;

/// RFC 9110 §5.6.2 token characters.
/// How to fix a path pattern, for each way it can be wrong.
fn pattern_help(e: PatternError, written: &str) -> String {
    match e {
        PatternError::NoLeadingSlash => format!("write \"/{}\"", written.trim_start_matches('/')),
        PatternError::EmptySegment => {
            "remove the empty segment; write `/prefix/**` to match a path and everything below it".into()
        }
        PatternError::MisplacedDoubleStar => "use `*` for one segment in the middle, `/**` only at the end".into(),
        PatternError::PartialWildcard => {
            "use `*` as a whole segment (`/files/*`); patterns have no partial wildcards".into()
        }
        PatternError::DotSegment => {
            "write the path without `.` and `..` segments: requests with them are refused as `malformed_path`".into()
        }
        PatternError::Fragment => {
            "remove the `#…` part (clients never send a fragment), or write `%23` for a literal `#`".into()
        }
        PatternError::Query => {
            "remove the `?…` part (rules match the path; the query is ignored), or write `%3F` for a literal `?`".into()
        }
        PatternError::MalformedEscape => "write `%25` for a literal `%`; an escape is `%` and two hex digits".into(),
        PatternError::EscapedSlash => {
            "write `/` between segments: requests with `%2F` are refused as `malformed_path` (servers disagree on it)"
                .into()
        }
        PatternError::Backslash => {
            "remove the `\\`: requests with `\\` or `%5C` are refused as `malformed_path`".into()
        }
        PatternError::ControlByte => {
            "remove the control byte: requests with one (raw or escaped, `%00` included) are refused as `malformed_path`"
                .into()
        }
        PatternError::EscapedStar => {
            "a `*` cannot be matched literally: use `*` as a whole segment to match any one segment".into()
        }
        PatternError::InvalidUtf8 => {
            "escape the UTF-8 bytes of the character (`%C3%A9` for `é`) or write it as is; requests that are not UTF-8 are refused".into()
        }
        PatternError::TooManySegments => {
            format!("use at most {} segments, or end the pattern with `/**`", warden::capacity::MAX_PATTERN_SEGMENTS)
        }
        _ => "write an exact path, `*` for one segment, and `/**` at the end for the rest".into(),
    }
}

impl Compiler {
    pub(super) fn methods(&mut self, list: &StrList) -> (MethodSet, bool) {
        let items = list.get_ref();
        if items.is_empty() {
            self.error(
                list.span(),
                "a rule needs at least one method",
                "list methods such as [\"GET\", \"POST\"], or [\"*\"] for every method",
            );
            return (MethodSet::EMPTY, false);
        }
        if items.iter().any(|m| m.get_ref() == "*") {
            if items.len() > 1 {
                self.error(
                    list.span(),
                    "`*` cannot be combined with other methods",
                    "write either [\"*\"] (every method) or the list of methods",
                );
            }
            return (MethodSet::EMPTY, true);
        }
        let mut set = MethodSet::EMPTY;
        for m in items {
            let v = m.get_ref();
            if !is_token(v) {
                self.error(
                    m.span(),
                    format!("`{}` is not an HTTP method token", v.escape_debug()),
                    "methods are tokens such as \"GET\" or \"POST\" (case-sensitive)",
                );
                continue;
            }
            let upper = v.to_ascii_uppercase();
            if *v != upper && STANDARD_METHODS.contains(&upper.as_str()) {
                self.warn(
                    m.span(),
                    format!("method `{v}` is not `{upper}`: methods are case-sensitive and clients send `{upper}`"),
                    format!("write \"{upper}\""),
                );
            }
            let i = self.methods.intern(v.clone(), m.span());
            if set.contains(i) {
                self.error(m.span(), format!("method `{v}` is listed twice"), "remove the second one");
            }
            set = set.with(i);
        }
        (set, false)
    }

    pub(super) fn auth(&mut self, list: &StrList) -> Vec<At<Scheme>> {
        let mut out: Vec<At<Scheme>> = Vec::new();
        for a in list.get_ref() {
            let scheme = match a.get_ref().as_str() {
                "bearer" => Scheme::Bearer,
                "api_key" => Scheme::ApiKey,
                "basic" => Scheme::Basic,
                other => {
                    let lower = other.to_ascii_lowercase().replace('-', "_");
                    let help = if ["bearer", "api_key", "basic"].contains(&lower.as_str()) {
                        format!("write \"{lower}\"")
                    } else {
                        "use \"bearer\", \"api_key\" or \"basic\"; `auth = []` makes the rule public".into()
                    };
                    self.error(a.span(), format!("unknown auth scheme `{}`", other.escape_debug()), help);
                    continue;
                }
            };
            if out.iter().any(|(s, _)| *s == scheme) {
                self.error(
                    a.span(),
                    format!("auth scheme `{}` is listed twice", scheme.name()),
                    "remove the second one",
                );
                continue;
            }
            out.push((scheme, a.span()));
        }
        out
    }

    pub(super) fn rule(
        &mut self,
        r: &Spanned<crate::source::RuleSource>,
        index: usize,
        default_deny: &[At<IpRange>],
        default_allow: &[At<IpRange>],
        default_origins: &[At<String>],
    ) -> (OwnedRule, RuleFacts) {
        let r = r.get_ref();
        let errors_before = self.error_count();
        let name = self.name(&r.name, "a rule name");
        if self.rule_names.contains(&name) {
            self.error(
                r.name.span(),
                format!("rule name `{name}` is used twice"),
                "give every [[rule]] its own name (decisions report it)",
            );
        }
        self.rule_names.push(name.clone());
        let (methods, any_method) = self.methods(&r.methods);
        let mut buf = vec![0u8; r.path.get_ref().len()];
        let path = match normalize_pattern(r.path.get_ref(), &mut buf) {
            Ok(decoded) => decoded.to_string(),
            Err(e) => {
                self.error(
                    r.path.span(),
                    format!("invalid path pattern: {}", e.message()),
                    pattern_help(e, r.path.get_ref()),
                );
                "/".into()
            }
        };
        let auth = self.auth(&r.auth);
        let public = r.auth.get_ref().is_empty();
        let bearer = auth.iter().any(|(s, _)| *s == Scheme::Bearer);
        let (roles_any, any_at) = self.role_list(r.roles_any.as_ref(), "roles_any");
        let (roles_all, all_at) = self.role_list(r.roles_all.as_ref(), "roles_all");
        if public {
            for l in [&r.roles_any, &r.roles_all].into_iter().flatten().filter(|l| !l.get_ref().is_empty()) {
                self.error(l.span(), format!("rule `{name}` is public (`auth = []`) but requires roles"), "a public rule has no subject to hold roles: add the accepted schemes to `auth`, or remove the roles");
            }
        }
        if let Some(m) = r.require_mfa.as_ref().filter(|m| *m.get_ref())
            && !bearer
        {
            self.error(
                m.span(),
                format!("`require_mfa` on rule `{name}`, which accepts no bearer tokens"),
                "only tokens carry `amr`: add \"bearer\" to `auth`, or remove `require_mfa`",
            );
        }
        if let Some(m) = &r.max_auth_age_s
            && !bearer
        {
            self.error(
                m.span(),
                format!("`max_auth_age_s` on rule `{name}`, which accepts no bearer tokens"),
                "only tokens carry `iat`: add \"bearer\" to `auth`, or remove `max_auth_age_s`",
            );
        }

        let own_deny = self.ranges(r.ip_deny.as_ref(), false);
        let own_allow = self.ranges(r.ip_allow.as_ref(), true);
        let own_origins = self.origin_list(r.origins.as_ref(), false);
        let mut ip_deny = RangeSet::EMPTY;
        for (range, span) in own_deny.iter().chain(default_deny) {
            ip_deny = ip_deny.with(self.ranges.intern(*range, span.clone()));
        }
        let allow = if own_allow.is_empty() { default_allow } else { own_allow.as_slice() };
        let mut ip_allow = RangeSet::EMPTY;
        for (range, span) in allow {
            ip_allow = ip_allow.with(self.ranges.intern(*range, span.clone()));
        }
        let origins_src = if own_origins.is_empty() { default_origins } else { own_origins.as_slice() };
        let mut origins = OriginSet::EMPTY;
        for (o, span) in origins_src {
            origins = origins.with(self.origins.intern(o.clone(), span.clone()));
        }
        let _ = index;

        let fact = RuleFacts {
            name: name.clone(),
            name_span: r.name.span(),
            path_span: r.path.span(),
            auth_spans: auth.clone(),
            path: path.clone(),
            methods: if any_method {
                Vec::new()
            } else {
                r.methods.get_ref().iter().map(|m| m.get_ref().clone()).collect()
            },
            any_method,
            public,
            roles: any_at.into_iter().chain(all_at).collect(),
            roles_any,
            roles_all,
            require_mfa: r.require_mfa.as_ref().is_some_and(|m| *m.get_ref()),
            max_auth_age_s: r.max_auth_age_s.as_ref().map(|m| *m.get_ref()),
            ip_allow: allow.iter().map(|(range, _)| *range).collect(),
            ip_deny: own_deny.iter().chain(default_deny).map(|(range, _)| *range).collect(),
            origins: origins_src.iter().map(|(o, _)| o.clone()).collect(),
            broken: self.error_count() > errors_before,
        };
        let rule = OwnedRule {
            name,
            methods,
            any_method,
            path,
            auth: auth.into_iter().map(|(s, _)| s).collect(),
            roles_any,
            roles_all,
            ip_allow,
            ip_deny,
            origins,
            require_mfa: r.require_mfa.as_ref().is_some_and(|m| *m.get_ref()),
            max_auth_age_s: r.max_auth_age_s.as_ref().map(|m| *m.get_ref()),
        };
        (rule, fact)
    }
}
