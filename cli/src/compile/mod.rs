//! The policy compiler: policy source (docs/policy.md) in, compiled policy (`warden::policy`) out.
//!
//! The compiler resolves everything the engine would otherwise interpret: role names become
//! bits, IP ranges, origins and methods are pooled into deduplicated tables in order of first
//! use, `[defaults]` are merged into every rule, and strings are normalized. It refuses, with a
//! positioned diagnostic that names the fix, everything the core's loader would refuse, so a
//! policy that compiles always loads.

use core::net::IpAddr;
use core::ops::Range;

use ipnet::IpNet;
use serde_spanned::Spanned;
use warden::Capacity;
use warden::capacity::{Capacities, MAX_NAME};
use warden::path::{PatternError, normalize_pattern};
use warden::policy::{
    Alg, CorsSettings, Credential, CredentialKind, IpRange, KeySpec, MethodSet, OnNoMatch, OriginSet, PolicyBody,
    RangeSet, RoleSet, Rule, Scheme, Settings,
};
use warden::{EncodeError, KeyMaterial};

use crate::capacities::TargetCapacities;
use crate::diag::Diagnostic;
use crate::lint::{self, CredentialFacts, RuleFacts};
use crate::password::{self, HashError};
use crate::source::{self, PolicySource, StrList};

mod compiled;
mod credentials;
mod keys;
mod network;
mod rules;
mod settings;

/// Default `[key] roles_claim`.
pub const DEFAULT_ROLES_CLAIM: &str = "roles";

/// Headers the engine reads itself; the API-key header may not be one of them.
const RESERVED_HEADERS: [&str; 3] = ["authorization", "origin", "access-control-request-method"];

/// A compiled policy with owned strings; [`Compiled::body`] borrows it as the core's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compiled {
    name: String,
    realm: String,
    leeway_s: u32,
    refresh_window_s: u32,
    api_key_header: String,
    cors_headers: String,
    cors_max_age_s: u32,
    cors_credentials: bool,
    methods: Vec<String>,
    roles: Vec<String>,
    keys: Vec<OwnedKey>,
    credentials: Vec<OwnedCredential>,
    ranges: Vec<IpRange>,
    /// Normalized origin pattern texts, parsed again by [`Compiled::body`].
    origins: Vec<String>,
    rules: Vec<OwnedRule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct OwnedKey {
    id: String,
    alg: Alg,
    issuer: Option<String>,
    audience: Option<String>,
    roles_claim: String,
    /// `None` for an HMAC key (its secret is in the keys file).
    public_key: Option<crate::jwks::OwnedPublicKey>,
}

#[derive(Clone, PartialEq, Eq)]
struct OwnedCredential {
    id: String,
    roles: RoleSet,
    kind: OwnedKind,
}

impl core::fmt::Debug for OwnedCredential {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Digests and hashes are secret inputs (CONSTANT_TIME.md): never in debug output.
        f.debug_struct("OwnedCredential").field("id", &self.id).field("roles", &self.roles).finish_non_exhaustive()
    }
}

#[derive(Clone, PartialEq, Eq)]
enum OwnedKind {
    ApiKey([u8; 32]),
    Basic { user: String, hash: password::PasswordHash },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct OwnedRule {
    name: String,
    methods: MethodSet,
    any_method: bool,
    path: String,
    auth: Vec<Scheme>,
    roles_any: RoleSet,
    roles_all: RoleSet,
    ip_allow: RangeSet,
    ip_deny: RangeSet,
    origins: OriginSet,
    require_mfa: bool,
    max_auth_age_s: Option<u32>,
}

/// What compiling a source gives: the compiled policy (when there is no error) and every
/// diagnostic, in source order.
#[derive(Debug)]
pub struct Output {
    /// The compiled policy, `None` if any diagnostic is an error.
    pub compiled: Option<Compiled>,
    /// Errors and warnings.
    pub diagnostics: Vec<Diagnostic>,
}

/// Compiles policy source text that names no other files (a `jwks` entry is an error).
#[must_use]
pub fn compile(text: &str) -> Output {
    compile_in(text, None, None)
}

/// Compiles policy source text for a build with other capacities as well as this one (the
/// policy must fit both: this build encodes it, the target loads it). Like [`compile`], the
/// text may name no other files.
#[must_use]
pub fn compile_for(text: &str, target: Option<&TargetCapacities>) -> Output {
    compile_in(text, None, target)
}

/// Compiles the policy file `path` whose text is `text`; `jwks` files are read relative to
/// the file's directory.
#[must_use]
pub fn compile_at(text: &str, path: &std::path::Path) -> Output {
    compile_file(text, path, None)
}

/// [`compile_at`], checked against another build's capacities as well (`--capacities`).
#[must_use]
pub fn compile_file(text: &str, path: &std::path::Path, target: Option<&TargetCapacities>) -> Output {
    compile_in(text, Some(path.parent().unwrap_or(std::path::Path::new("")).to_path_buf()), target)
}

fn compile_in(text: &str, base: Option<std::path::PathBuf>, target: Option<&TargetCapacities>) -> Output {
    let src = match source::parse_policy(text) {
        Ok(src) => src,
        Err(d) => return Output { compiled: None, diagnostics: vec![*d] },
    };
    let mut c = Compiler { base, target: target.cloned(), ..Compiler::default() };
    let compiled = c.policy(&src);
    c.diags.sort_by_key(|d| d.span.as_ref().map_or(0, |s| s.start));
    let has_errors = c.diags.iter().any(Diagnostic::is_error);
    let compiled = if has_errors { None } else { compiled };
    if let Some(p) = &compiled {
        // Belt and braces: the loader must accept whatever the compiler accepts.
        if let Err(e) = p.self_check() {
            c.diags.push(
                Diagnostic::error(None, format!("internal compiler error: the core refuses the compiled policy: {e}"))
                    .with_help("please report this with the policy that caused it"),
            );
            return Output { compiled: None, diagnostics: c.diags };
        }
    }
    Output { compiled, diagnostics: c.diags }
}

/// A table deduplicated in order of first appearance, remembering where each entry came from.
#[derive(Debug)]
struct Table<T> {
    items: Vec<T>,
    spans: Vec<Range<usize>>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Self { items: Vec::new(), spans: Vec::new() }
    }
}

impl<T: PartialEq> Table<T> {
    fn intern(&mut self, item: T, span: Range<usize>) -> usize {
        if let Some(i) = self.items.iter().position(|x| *x == item) {
            return i;
        }
        self.items.push(item);
        self.spans.push(span);
        self.items.len().saturating_sub(1)
    }
}

#[derive(Debug, Default)]
struct Compiler {
    diags: Vec<Diagnostic>,
    methods: Table<String>,
    roles: Table<String>,
    ranges: Table<IpRange>,
    origins: Table<String>,
    rule_names: Vec<String>,
    /// Directory that `jwks` paths are relative to; `None`: the source names no files.
    base: Option<std::path::PathBuf>,
    /// Position of each compiled key's `[[key]]` table (for the capacity error).
    key_spans: Vec<Range<usize>>,
    /// Another build's capacities to check against (`--capacities`).
    target: Option<TargetCapacities>,
}

/// A value with where it came from.
type At<T> = (T, Range<usize>);

fn name_ok(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_NAME && !s.chars().any(char::is_control)
}

fn quotable(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_NAME && s.bytes().all(|c| (0x20..0x7f).contains(&c) && c != b'"' && c != b'\\')
}

/// RFC 6749 §3.3 scope-token characters (what a role name may contain).
fn role_ok(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_NAME && s.bytes().all(|c| (0x21..0x7f).contains(&c) && c != b'"' && c != b'\\')
}

fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

fn is_token(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_NAME && s.bytes().all(is_tchar)
}

const STANDARD_METHODS: [&str; 9] = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"];

impl Compiler {
    fn error_count(&self) -> usize {
        self.diags.iter().filter(|d| d.is_error()).count()
    }

    fn error(&mut self, span: Range<usize>, message: impl Into<String>, help: impl Into<String>) {
        self.diags.push(Diagnostic::error(Some(span), message).with_help(help));
    }

    fn warn(&mut self, span: Range<usize>, message: impl Into<String>, help: impl Into<String>) {
        self.diags.push(Diagnostic::warning(Some(span), message).with_help(help));
    }

    fn name(&mut self, s: &Spanned<String>, what: &str) -> String {
        let v = s.get_ref();
        if !name_ok(v) {
            self.error(
                s.span(),
                format!("{what} must be 1 to {MAX_NAME} bytes without control characters"),
                format!("give the {what} a short printable name"),
            );
        }
        v.clone()
    }

    fn policy(&mut self, src: &PolicySource) -> Option<Compiled> {
        if *src.version.get_ref() != 1 {
            self.error(
                src.version.span(),
                format!("policy language version {} is not supported", src.version.get_ref()),
                "write `version = 1` (the only version this warden knows)",
            );
        }
        let name = self.name(&src.name, "the policy name");
        let realm = match &src.realm {
            Some(r) => {
                if !quotable(r.get_ref()) {
                    self.error(
                        r.span(),
                        "the realm must be 1 to 255 printable ASCII characters without `\"` or `\\`",
                        "use a plain name such as \"edge-api\" (it is quoted in every WWW-Authenticate challenge)",
                    );
                }
                r.get_ref().clone()
            }
            None => {
                if !quotable(&name) {
                    self.error(src.name.span(), "the realm defaults to the policy name, which is not usable in a challenge (printable ASCII without `\"` or `\\`)", "add `realm = \"…\"` with a plain ASCII name");
                }
                name.clone()
            }
        };

        let (leeway_s, refresh_window_s, api_key_header) = self.settings(src);
        let errors_before_cors = self.error_count();
        let (cors_headers, cors_max_age_s, cors_credentials) = self.cors(src);
        let cors_list = (self.error_count() == errors_before_cors)
            .then(|| cors_headers.split(", ").filter(|h| !h.is_empty()).map(str::to_string).collect());
        let keys = self.keys(src);
        let (credentials, cred_facts) = self.credentials(src);

        let defaults = src.defaults.as_ref().map(Spanned::get_ref);
        let errors_before_defaults = self.error_count();
        let default_deny = self.ranges(defaults.and_then(|d| d.ip_deny.as_ref()), false);
        let default_allow = self.ranges(defaults.and_then(|d| d.ip_allow.as_ref()), true);
        let default_origins = self.origin_list(defaults.and_then(|d| d.origins.as_ref()), cors_credentials);
        let defaults_broken = self.error_count() > errors_before_defaults;

        let mut rules = Vec::new();
        let mut facts = Vec::new();
        for (i, r) in src.rule.iter().enumerate() {
            let (rule, fact) = self.rule(r, i, &default_deny, &default_allow, &default_origins);
            rules.push(rule);
            facts.push(fact);
        }
        if src.rule.is_empty() {
            self.diags.push(
                Diagnostic::warning(
                    Some(src.name.span()),
                    "the policy has no rules: every request gets 403 no_matching_rule",
                )
                .with_help("add [[rule]] tables"),
            );
        }

        self.capacities(src);
        let policy_facts = lint::PolicyFacts {
            // A key table with an error still counts: its error is the finding.
            has_keys: !keys.is_empty() || !src.key.is_empty(),
            credentials: cred_facts,
            api_key_header: api_key_header.clone(),
            cors_headers: cors_list,
            defaults_broken,
        };
        self.diags.extend(lint::rules(&facts, &policy_facts, &self.roles.items));

        Some(Compiled {
            name,
            realm,
            leeway_s,
            refresh_window_s,
            api_key_header,
            cors_headers,
            cors_max_age_s,
            cors_credentials,
            methods: core::mem::take(&mut self.methods.items),
            roles: core::mem::take(&mut self.roles.items),
            keys,
            credentials,
            ranges: core::mem::take(&mut self.ranges.items),
            origins: core::mem::take(&mut self.origins.items),
            rules,
        })
    }

    /// Each table against this build's capacities and, with `--capacities`, the target's.
    fn capacities(&mut self, src: &PolicySource) {
        let target = self.target.clone();
        for what in Capacity::ALL {
            let (len, spans): (usize, Vec<Range<usize>>) = match what {
                Capacity::Methods => (self.methods.items.len(), self.methods.spans.clone()),
                Capacity::Roles => (self.roles.items.len(), self.roles.spans.clone()),
                Capacity::Ranges => (self.ranges.items.len(), self.ranges.spans.clone()),
                Capacity::Origins => (self.origins.items.len(), self.origins.spans.clone()),
                // Every JWK of a `jwks` set is a key of its own.
                Capacity::Keys => (self.key_spans.len(), self.key_spans.clone()),
                Capacity::Credentials => (src.credential.len(), src.credential.iter().map(Spanned::span).collect()),
                Capacity::Rules => (src.rule.len(), src.rule.iter().map(Spanned::span).collect()),
                _ => continue,
            };
            let name = what.what();
            let own = Capacities::THIS_BUILD.get(what);
            if len > own {
                self.diags.push(
                    Diagnostic::error(spans.get(own).cloned(), format!("too many {name}: {len}, but {} is {own}", what.constant()))
                        .with_help(format!("reduce the {name} to at most {own}, or build the core with a larger `{}` (docs/policy.md, Capacities)", what.variable())),
                );
            }
            if let Some(t) = &target {
                let limit = t.limits.get(what);
                // Over this build's own limit too: that error already says it.
                if len > limit && len <= own {
                    self.diags.push(
                        Diagnostic::error(
                            spans.get(limit).cloned(),
                            format!("too many {name} for the build of {}: the policy needs {len}, {} there is {limit}", t.file, what.variable()),
                        )
                        .with_help(format!(
                            "that build refuses this policy at load (CapacityExceeded): reduce the {name} to at most {limit}, or set {}=\"{len}\" (or more) in {}",
                            what.variable(),
                            t.file
                        )),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "version = 1\nname = \"t\"\n";

    fn errors(text: &str) -> Vec<Diagnostic> {
        compile(text).diagnostics.into_iter().filter(Diagnostic::is_error).collect()
    }

    fn one_error(text: &str) -> (String, String) {
        let e = errors(text);
        assert_eq!(e.len(), 1, "{e:#?}");
        let span = e[0].span.clone().expect("positioned");
        (e[0].message.clone(), text[span].to_string())
    }

    fn rule(extra: &str) -> String {
        format!(
            "{BASE}[[key]]\nid = \"k\"\nalg = \"HS256\"\n[[rule]]\nname = \"r\"\nmethods = [\"GET\"]\npath = \"/a/**\"\nauth = [\"bearer\"]\n{extra}\n"
        )
    }

    #[test]
    fn origins_with_underscores_compile_as_browsers_send_them() {
        // WHATWG URL hosts may hold `_` (SPEC §5); such origins must be listable.
        let out = compile(&rule("origins = [\"https://My_App.example.com\", \"https://*.dev_corp.example.com:8443\"]"));
        assert!(errors(&rule("origins = [\"https://my_app.example.com\"]")).is_empty());
        let compiled = out.compiled.expect("compiles");
        let body = compiled.body().expect("body");
        assert_eq!(
            body.origins.as_slice(),
            &[
                warden::policy::OriginPattern::Exact { scheme: "https", host: "my_app.example.com", port: None },
                warden::policy::OriginPattern::Subdomains {
                    scheme: "https",
                    suffix: "dev_corp.example.com",
                    port: Some(8443),
                },
            ]
        );
    }

    #[test]
    fn defaults_are_merged_into_every_rule() {
        let text = format!(
            "{BASE}[defaults]\nip_deny = [\"203.0.113.0/24\"]\nip_allow = [\"10.0.0.0/8\"]\norigins = [\"https://A.example.com:443\"]\n\
             [[rule]]\nname = \"own\"\nmethods = [\"GET\"]\npath = \"/a\"\nauth = []\nip_deny = [\"192.0.2.1/32\"]\nip_allow = [\"2001:db8::/32\"]\norigins = [\"http://b.example.com:8080\"]\n\
             [[rule]]\nname = \"inherits\"\nmethods = [\"*\"]\npath = \"/b\"\nauth = []\n"
        );
        let out = compile(&text);
        assert!(out.diagnostics.iter().all(|d| !d.is_error()), "{:#?}", out.diagnostics);
        let p = out.compiled.unwrap();
        let body = p.body().unwrap();
        // Table order: first use, rule by rule (own deny, default deny, allow, origins).
        assert_eq!(body.ranges.len(), 4);
        assert_eq!(body.ranges[0].prefix, 128);
        assert!(body.ranges[0].v4);
        let own = &body.rules[0];
        assert_eq!(own.ip_deny, RangeSet(0b11));
        assert_eq!(own.ip_allow, RangeSet(0b100));
        assert_eq!(body.origins.len(), 2);
        assert_eq!(&p.origins, &["http://b.example.com:8080".to_string(), "https://a.example.com".to_string()]);
        let inh = &body.rules[1];
        assert!(inh.any_method && inh.methods.is_empty());
        assert_eq!(inh.ip_deny, RangeSet(0b10));
        assert_eq!(inh.ip_allow, RangeSet(0b1000));
        assert_eq!(inh.origins, OriginSet(0b10));
    }

    #[test]
    fn tables_are_deduplicated() {
        let text = format!(
            "{BASE}[[credential]]\nid = \"c\"\napi_key_sha256 = \"{}\"\nroles = [\"b\", \"a\"]\n\
             [[rule]]\nname = \"x\"\nmethods = [\"GET\", \"POST\"]\npath = \"/x\"\nauth = [\"api_key\"]\nroles_any = [\"a\"]\nip_allow = [\"10.0.0.0/8\"]\n\
             [[rule]]\nname = \"y\"\nmethods = [\"POST\"]\npath = \"/y\"\nauth = [\"api_key\"]\nroles_all = [\"b\"]\nip_allow = [\"10.0.0.0/8\"]\n",
            "ab".repeat(32)
        );
        let out = compile(&text);
        let p = out.compiled.unwrap_or_else(|| panic!("{:#?}", out.diagnostics));
        let body = p.body().unwrap();
        assert_eq!(body.methods.as_slice(), &["GET", "POST"]);
        assert_eq!(body.roles.as_slice(), &["b", "a"]);
        assert_eq!(body.ranges.len(), 1);
        assert_eq!(body.rules[0].roles_any, RoleSet(0b10));
        assert_eq!(body.rules[1].roles_all, RoleSet(0b01));
        assert_eq!(body.rules[1].methods, MethodSet(0b10));
    }

    #[test]
    fn compiling_twice_gives_the_same_bytes() {
        let text = rule("roles_any = [\"admin\"]\nrequire_mfa = true");
        let a = compile(&text).compiled.unwrap().encode(None).unwrap();
        let b = compile(&text).compiled.unwrap().encode(None).unwrap();
        assert_eq!(a, b);
        assert_eq!(&a[..4], b"WRDN");
    }

    #[test]
    fn cidr_errors_and_mapped_ranges() {
        let (m, at) = one_error(&rule("ip_allow = [\"10.0.0.1/8\"]"));
        assert!(m.contains("host bits"), "{m}");
        assert_eq!(at, "\"10.0.0.1/8\"");
        let e = errors(&rule("ip_allow = [\"10.0.0.1/8\"]"));
        assert_eq!(e[0].help.as_deref(), Some("did you mean 10.0.0.0/8?"));
        let e = errors(&rule("ip_allow = [\"::ffff:10.0.0.1/104\"]"));
        assert_eq!(e[0].help.as_deref(), Some("did you mean 10.0.0.0/8?"));
        let (m, _) = one_error(&rule("ip_allow = [\"10.0.0.300/8\"]"));
        assert!(m.contains("not an IP range"));
        let (m, _) = one_error(&rule("ip_deny = [\"::ffff:0:0/80\"]"));
        assert!(m.contains("shorter than 96"), "{m}");
        let out = compile(&rule("ip_deny = [\"::ffff:10.0.0.0/104\", \"10.0.0.0/8\"]"));
        assert!(
            errors(&rule("ip_deny = [\"::ffff:10.0.0.0/104\", \"10.0.0.0/8\"]"))
                .iter()
                .any(|d| d.message.contains("twice")),
            "{:#?}",
            out.diagnostics
        );
        let p = compile(&rule("ip_deny = [\"::ffff:10.0.0.0/104\"]")).compiled.unwrap();
        assert_eq!(
            p.ranges[0],
            IpRange { addr: "::ffff:10.0.0.0".parse::<core::net::Ipv6Addr>().unwrap().octets(), prefix: 104, v4: true }
        );
    }

    #[test]
    fn token_only_checks_need_bearer() {
        let text = format!(
            "{BASE}[[rule]]\nname = \"r\"\nmethods = [\"GET\"]\npath = \"/\"\nauth = [\"api_key\"]\nrequire_mfa = true\nmax_auth_age_s = 60\n"
        );
        let e = errors(&text);
        assert_eq!(e.len(), 2, "{e:#?}");
        assert!(e[0].message.contains("require_mfa"));
        assert!(e[1].message.contains("max_auth_age_s"));
    }

    #[test]
    fn plaintext_password_is_refused_without_echo() {
        let text = format!("{BASE}[[credential]]\nid = \"a\"\nbasic_user = \"a\"\nbasic_password = \"hunter2\"\n");
        let (m, at) = one_error(&text);
        assert!(m.contains("plaintext"));
        assert!(!m.contains("hunter2"));
        assert_eq!(at, "\"hunter2\"");
    }

    #[test]
    fn a_table_with_an_error_brings_no_warnings_about_what_it_grants() {
        // The plaintext password is the only finding: its credential still counts as the
        // Basic user that grants `admin`.
        let text = format!(
            "{BASE}[[credential]]\nid = \"a\"\nbasic_user = \"a\"\nbasic_password = \"hunter2\"\nroles = [\"admin\"]\n\
             [[rule]]\nname = \"r\"\nmethods = [\"GET\"]\npath = \"/a/**\"\nauth = [\"basic\"]\nroles_any = [\"admin\"]\n"
        );
        let d = compile(&text).diagnostics;
        assert_eq!(d.len(), 1, "{d:#?}");
        assert!(d[0].message.contains("plaintext"));
        // A rule with an error is not reported as shadowed, nor does it shadow.
        let text = format!(
            "{BASE}[[rule]]\nname = \"bad\"\nmethods = [\"GET\"]\npath = \"/**\"\nauth = [\"nope\"]\n\
             [[rule]]\nname = \"ok\"\nmethods = [\"GET\"]\npath = \"/a\"\nauth = []\n\
             [[rule]]\nname = \"worse\"\nmethods = [\"GET\"]\npath = \"/a\"\nauth = [\"nope\"]\n"
        );
        let d = compile(&text).diagnostics;
        assert_eq!(d.iter().filter(|d| !d.is_error()).count(), 0, "{d:#?}");
    }

    #[test]
    fn leading_zeros_are_refused_everywhere_but_in_ipv6_hex() {
        for (list, bad, fixed) in [
            ("ip_allow", "010.0.0.0/8", "10.0.0.0/8"),
            ("ip_deny", "10.0.0.01", "10.0.0.1"),
            ("ip_allow", "10.0.0.0/08", "10.0.0.0/8"),
            ("ip_deny", "::ffff:10.0.00.1", "::ffff:10.0.0.1"),
            ("ip_allow", "2001:db8::/032", "2001:db8::/32"),
        ] {
            let (m, at) = one_error(&rule(&format!("{list} = [\"{bad}\"]")));
            assert!(m.contains("leading zero"), "{bad}: {m}");
            assert_eq!(at, format!("\"{bad}\""));
            let e = errors(&rule(&format!("{list} = [\"{bad}\"]")));
            assert!(e[0].help.as_deref().unwrap_or("").contains(&format!("\"{fixed}\"")), "{bad}: {e:?}");
        }
        let text = format!("{BASE}[defaults]\nip_deny = [\"192.168.001.0/24\"]\n");
        assert!(one_error(&text).0.contains("leading zero"));
        assert!(errors(&rule("ip_allow = [\"2001:0db8::/32\", \"0.0.0.0/1\", \"10.0.0.0/8\"]")).is_empty());
    }

    #[test]
    fn wildcards_directly_on_a_public_suffix_warn() {
        let check = |o: &str| -> usize {
            let text = format!(
                "{BASE}[[rule]]\nname = \"r\"\nmethods = [\"GET\"]\npath = \"/\"\nauth = []\norigins = [\"{o}\"]\n"
            );
            compile(&text).diagnostics.iter().filter(|d| !d.is_error() && d.message.contains("a public suffix")).count()
        };
        for o in ["https://*.com", "https://*.github.io", "https://*.co.uk", "http://*.COM:8080"] {
            assert_eq!(check(o), 1, "{o}");
        }
        for o in ["https://*.example.com", "https://*.example.co.uk", "https://*.internal", "https://a.com"] {
            assert_eq!(check(o), 0, "{o}");
        }
    }

    #[test]
    fn salt_lengths_must_agree() {
        let a = password::format(b"x", &[1u8; 16], 1);
        let b = password::format(b"x", &[1u8; 8], 1);
        let text = format!(
            "{BASE}[[credential]]\nid = \"a\"\nbasic_user = \"a\"\nbasic_password = \"{a}\"\n[[credential]]\nid = \"b\"\nbasic_user = \"b\"\nbasic_password = \"{b}\"\n"
        );
        let (m, _) = one_error(&text);
        assert!(m.contains("same salt length"), "{m}");
    }

    #[test]
    fn a_key_set_without_audience_warns_once_naming_the_table() {
        let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let rule = "[[rule]]\nname = \"r\"\nmethods = [\"GET\"]\npath = \"/\"\nauth = [\"bearer\"]\n";
        let warnings = |text: &str, dir: &str| -> Vec<String> {
            let out = compile_at(text, &repo.join(dir).join("p.toml"));
            assert!(out.compiled.is_some(), "{:#?}", out.diagnostics);
            out.diagnostics.iter().filter(|d| !d.is_error()).map(|d| d.message.clone()).collect()
        };
        // Nine keys in the example set, one warning, at the table's `jwks`.
        let text = format!("{BASE}[[key]]\nid = \"idp\"\nalg = \"EdDSA\"\njwks = \"idp.jwks.json\"\n{rule}");
        let w = warnings(&text, "policies");
        assert_eq!(w.len(), 1, "{w:#?}");
        assert!(w[0].starts_with("key table `idp` (`jwks = \"idp.jwks.json\"`) has no `audience`"), "{}", w[0]);
        // Without an `id`, the file names it.
        let text = format!("{BASE}[[key]]\njwks = \"jwks/valid.jwks.json\"\n{rule}");
        let w = warnings(&text, "cli/tests/fixtures");
        assert_eq!(w.len(), 1, "{w:#?}");
        assert!(w[0].starts_with("the key set `jwks/valid.jwks.json` has no `audience`"), "{}", w[0]);
        // With an audience, none.
        let text = format!("{BASE}[[key]]\njwks = \"jwks/valid.jwks.json\"\naudience = \"a\"\n{rule}");
        assert!(warnings(&text, "cli/tests/fixtures").is_empty());
    }

    #[test]
    fn capacity_errors_name_the_constant() {
        use warden::capacity::MAX_RULES;
        let mut text = BASE.to_string();
        for i in 0..=MAX_RULES {
            text.push_str(&format!("[[rule]]\nname = \"r{i}\"\nmethods = [\"GET\"]\npath = \"/p{i}\"\nauth = []\n"));
        }
        let e = errors(&text);
        assert_eq!(e.len(), 1, "{e:#?}");
        assert!(e[0].message.contains(&format!("MAX_RULES is {MAX_RULES}")), "{}", e[0].message);
    }

    #[test]
    fn another_builds_capacities_are_checked_with_the_need_and_the_limit() {
        let mut text = BASE.to_string();
        for i in 0..19 {
            text.push_str(&format!("[[rule]]\nname = \"r{i}\"\nmethods = [\"GET\"]\npath = \"/p{i}\"\nauth = []\n"));
        }
        let firmware = TargetCapacities {
            file: "firmware/.cargo/config.toml".into(),
            limits: Capacities { rules: 16, ..Capacities::defaults() },
        };
        let out = compile_for(&text, Some(&firmware));
        assert!(out.compiled.is_none());
        let e: Vec<_> = out.diagnostics.iter().filter(|d| d.is_error()).collect();
        assert_eq!(e.len(), 1, "{e:#?}");
        assert_eq!(
            e[0].message,
            "too many rules for the build of firmware/.cargo/config.toml: the policy needs 19, WARDEN_MAX_RULES there is 16"
        );
        assert!(e[0].help.as_deref().is_some_and(|h| h.contains("WARDEN_MAX_RULES=\"19\"")), "{:?}", e[0].help);
        // It points at the first rule that does not fit, the 17th.
        let at = e[0].span.clone().unwrap().start;
        assert!(text[at..].starts_with("[[rule]]\nname = \"r16\""), "{}", &text[at..at + 30]);
        // Room for them: the same policy compiles.
        let roomy = TargetCapacities { limits: Capacities { rules: 19, ..firmware.limits }, ..firmware };
        assert!(compile_for(&text, Some(&roomy)).compiled.is_some());
    }

    #[test]
    fn methods_star_alone_and_tokens() {
        let t = |m: &str| format!("{BASE}[[rule]]\nname = \"r\"\nmethods = {m}\npath = \"/\"\nauth = []\n");
        assert!(one_error(&t("[\"*\", \"GET\"]")).0.contains("cannot be combined"));
        assert!(one_error(&t("[\"GE T\"]")).0.contains("not an HTTP method"));
        assert!(one_error(&t("[]")).0.contains("at least one"));
        assert!(errors(&t("[\"*\"]")).is_empty());
    }
}
