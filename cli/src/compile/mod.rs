//! The policy compiler: policy source (SPEC §3) in, compiled policy (`warden::policy`) out.
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
use warden::capacity::{
    MAX_CREDENTIALS, MAX_KEYS, MAX_METHODS, MAX_NAME, MAX_ORIGINS, MAX_RANGES, MAX_ROLES, MAX_RULES,
};
use warden::path::normalize_pattern;
use warden::policy::{
    Alg, CorsSettings, Credential, CredentialKind, IpRange, KeySpec, MethodSet, OnNoMatch, OriginSet, PolicyBody,
    RangeSet, RoleSet, Rule, Scheme, Settings,
};
use warden::{EncodeError, KeyMaterial};

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
        // Digests and hashes are secret inputs (SPEC §7): never in debug output.
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
    compile_in(text, None)
}

/// Compiles the policy file `path` whose text is `text`; `jwks` files are read relative to
/// the file's directory.
#[must_use]
pub fn compile_at(text: &str, path: &std::path::Path) -> Output {
    compile_in(text, Some(path.parent().unwrap_or(std::path::Path::new("")).to_path_buf()))
}

fn compile_in(text: &str, base: Option<std::path::PathBuf>) -> Output {
    let src = match source::parse_policy(text) {
        Ok(src) => src,
        Err(d) => return Output { compiled: None, diagnostics: vec![*d] },
    };
    let mut c = Compiler { base, ..Compiler::default() };
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
}

/// (what, constant, count, limit, position of the first entry over the limit).
type CapacityRow<'a> = (&'a str, &'a str, usize, usize, Option<Range<usize>>);

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

/// RFC 9110 §5.6.2 token characters.
fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

fn is_token(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_NAME && s.bytes().all(is_tchar)
}

const STANDARD_METHODS: [&str; 9] = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"];

impl Compiler {
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
        let (cors_headers, cors_max_age_s, cors_credentials) = self.cors(src);
        let keys = self.keys(src);
        let (credentials, cred_facts) = self.credentials(src);

        let defaults = src.defaults.as_ref().map(Spanned::get_ref);
        let default_deny = self.ranges(defaults.and_then(|d| d.ip_deny.as_ref()), false);
        let default_allow = self.ranges(defaults.and_then(|d| d.ip_allow.as_ref()), true);
        let default_origins = self.origin_list(defaults.and_then(|d| d.origins.as_ref()), cors_credentials);

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
        let policy_facts =
            lint::PolicyFacts { has_keys: !keys.is_empty() || !src.key.is_empty(), credentials: cred_facts };
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

    fn capacities(&mut self, src: &PolicySource) {
        let over = |len: usize, max: usize| len > max;
        let report = |this: &mut Self,
                      what: &str,
                      constant: &str,
                      len: usize,
                      max: usize,
                      span: Option<Range<usize>>| {
            this.diags.push(
                Diagnostic::error(span, format!("too many {what}: {len}, but {constant} is {max}"))
                    .with_help(format!("reduce the {what} to at most {max}, or build the core with a larger `WARDEN_{constant}` (docs/policy.md, Capacities)")),
            );
        };
        let tables: [CapacityRow<'_>; 4] = [
            (
                "distinct methods",
                "MAX_METHODS",
                self.methods.items.len(),
                MAX_METHODS,
                self.methods.spans.get(MAX_METHODS).cloned(),
            ),
            (
                "distinct roles",
                "MAX_ROLES",
                self.roles.items.len(),
                MAX_ROLES,
                self.roles.spans.get(MAX_ROLES).cloned(),
            ),
            (
                "distinct IP ranges",
                "MAX_RANGES",
                self.ranges.items.len(),
                MAX_RANGES,
                self.ranges.spans.get(MAX_RANGES).cloned(),
            ),
            (
                "distinct origins",
                "MAX_ORIGINS",
                self.origins.items.len(),
                MAX_ORIGINS,
                self.origins.spans.get(MAX_ORIGINS).cloned(),
            ),
        ];
        for (what, constant, len, max, span) in tables {
            if over(len, max) {
                report(self, what, constant, len, max, span);
            }
        }
        // Every JWK of a `jwks` set is a key of its own.
        let keys = self.key_spans.len();
        if over(keys, MAX_KEYS) {
            let at = self.key_spans.get(MAX_KEYS).cloned();
            report(self, "keys (HMAC keys plus every JWK of the key sets)", "MAX_KEYS", keys, MAX_KEYS, at);
        }
        if over(src.credential.len(), MAX_CREDENTIALS) {
            report(
                self,
                "credentials",
                "MAX_CREDENTIALS",
                src.credential.len(),
                MAX_CREDENTIALS,
                src.credential.get(MAX_CREDENTIALS).map(Spanned::span),
            );
        }
        if over(src.rule.len(), MAX_RULES) {
            report(self, "rules", "MAX_RULES", src.rule.len(), MAX_RULES, src.rule.get(MAX_RULES).map(Spanned::span));
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
    fn capacity_errors_name_the_constant() {
        let mut text = BASE.to_string();
        for i in 0..=MAX_RULES {
            text.push_str(&format!("[[rule]]\nname = \"r{i}\"\nmethods = [\"GET\"]\npath = \"/p{i}\"\nauth = []\n"));
        }
        let e = errors(&text);
        assert_eq!(e.len(), 1, "{e:#?}");
        assert!(e[0].message.contains(&format!("MAX_RULES is {MAX_RULES}")), "{}", e[0].message);
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
