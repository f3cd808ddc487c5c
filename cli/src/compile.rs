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

/// Compiles policy source text.
#[must_use]
pub fn compile(text: &str) -> Output {
    compile_for(text, None)
}

/// Compiles policy source text for a build with other capacities as well as this one (the
/// policy must fit both: this build encodes it, the target loads it).
#[must_use]
pub fn compile_for(text: &str, target: Option<&TargetCapacities>) -> Output {
    let src = match source::parse_policy(text) {
        Ok(src) => src,
        Err(d) => return Output { compiled: None, diagnostics: vec![*d] },
    };
    let mut c = Compiler { target: target.cloned(), ..Compiler::default() };
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

fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

fn is_token(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_NAME && s.bytes().all(is_tchar)
}

/// Whether `host` is itself a public suffix (`com`, `co.uk`, `github.io`): an entry of the
/// Public Suffix List, ICANN or private section, as the `psl` crate compiles it in.
fn is_public_suffix(host: &str) -> bool {
    psl::suffix(host.as_bytes()).is_some_and(|s| s.is_known() && s.as_bytes() == host.as_bytes())
}

/// When an address or prefix length has a decimal number with a leading zero (`010.0.0.0/8`,
/// `10.0.0.01`, `::ffff:10.0.0.01`, `/08`), the text with those zeros removed; `None` when
/// there is none. IPv6 hex groups may have leading zeros (`2001:0db8::`): hex is never read as
/// octal, so they are not ambiguous.
fn without_leading_zeros(text: &str) -> Option<String> {
    fn strip(n: &str) -> (&str, bool) {
        let t = n.trim_start_matches('0');
        let t = if t.is_empty() && !n.is_empty() { "0" } else { t };
        (t, t.len() != n.len())
    }
    let (addr, prefix) = match text.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (text, None),
    };
    let mut changed = false;
    // The dotted-decimal part: all of an IPv4 address, or the tail after the last `:`.
    let (head, dotted) = match addr.rfind(':') {
        Some(i) => addr.split_at(i.saturating_add(1)),
        None => ("", addr),
    };
    let mut fixed = head.to_string();
    if dotted.contains('.') {
        let parts: Vec<&str> = dotted
            .split('.')
            .map(|p| {
                let all_digits = !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit());
                if all_digits {
                    let (t, c) = strip(p);
                    changed |= c;
                    t
                } else {
                    p
                }
            })
            .collect();
        fixed.push_str(&parts.join("."));
    } else {
        fixed.push_str(dotted);
    }
    if let Some(p) = prefix {
        let all_digits = !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit());
        let p = if all_digits {
            let (t, c) = strip(p);
            changed |= c;
            t
        } else {
            p
        };
        fixed.push('/');
        fixed.push_str(p);
    }
    changed.then_some(fixed)
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
            has_keys: !keys.is_empty(),
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

    fn settings(&mut self, src: &PolicySource) -> (u32, u32, String) {
        let default = Settings::DEFAULT;
        let Some(s) = src.settings.as_ref().map(Spanned::get_ref) else {
            return (default.leeway_s, default.refresh_window_s, default.api_key_header.into());
        };
        let leeway = s.leeway_s.as_ref().map_or(default.leeway_s, |v| *v.get_ref());
        let refresh = s.refresh_window_s.as_ref().map_or(default.refresh_window_s, |v| *v.get_ref());
        let header = match &s.api_key_header {
            Some(h) => {
                let lower = h.get_ref().to_ascii_lowercase();
                if !is_token(&lower) {
                    self.error(
                        h.span(),
                        "`api_key_header` is not a valid HTTP header name",
                        "use letters, digits and `-`, e.g. \"x-api-key\"",
                    );
                } else if RESERVED_HEADERS.contains(&lower.as_str()) {
                    self.error(
                        h.span(),
                        format!(
                            "`api_key_header` may not be `{lower}`: the engine reads that header for something else"
                        ),
                        "use a header of its own, e.g. \"x-api-key\"",
                    );
                }
                lower
            }
            None => default.api_key_header.into(),
        };
        if let Some(m) = &s.on_no_match
            && m.get_ref() != "forbid"
        {
            self.error(
                m.span(),
                format!("`on_no_match = \"{}\"` is not supported", m.get_ref()),
                "write `on_no_match = \"forbid\"` (unmatched requests get 403), or leave it out",
            );
        }
        (leeway, refresh, header)
    }

    fn cors(&mut self, src: &PolicySource) -> (String, u32, bool) {
        let cors = src.cors.as_ref().map(Spanned::get_ref);
        let default = CorsSettings::DEFAULT;
        let max_age = cors.and_then(|c| c.max_age_s.as_ref()).map_or(default.max_age_s, |v| *v.get_ref());
        let credentials =
            cors.and_then(|c| c.allow_credentials.as_ref()).map_or(default.allow_credentials, |v| *v.get_ref());
        let headers = match cors.and_then(|c| c.allow_headers.as_ref()) {
            None => default.allow_headers.into(),
            Some(list) => {
                let mut seen: Vec<String> = Vec::new();
                for h in list.get_ref() {
                    let lower = h.get_ref().to_ascii_lowercase();
                    if !is_token(&lower) {
                        self.error(
                            h.span(),
                            "not a valid HTTP header name",
                            "use letters, digits and `-`, e.g. \"content-type\"",
                        );
                    } else if seen.contains(&lower) {
                        self.error(h.span(), format!("header `{lower}` is listed twice"), "remove the second one");
                    } else {
                        seen.push(lower);
                    }
                }
                seen.join(", ")
            }
        };
        (headers, max_age, credentials)
    }

    fn keys(&mut self, src: &PolicySource) -> Vec<OwnedKey> {
        let mut out: Vec<OwnedKey> = Vec::new();
        let mut ids: Vec<(String, Range<usize>)> = Vec::new();
        for k in &src.key {
            let k = k.get_ref();
            let id = self.name(&k.id, "a key id");
            if ids.iter().any(|(x, _)| *x == id) {
                self.error(
                    k.id.span(),
                    format!("key id `{id}` is used twice"),
                    "give every [[key]] its own id (it is the JWT `kid`)",
                );
            }
            ids.push((id.clone(), k.id.span()));
            let alg = match Alg::from_name(k.alg.get_ref().as_bytes()) {
                Some(a) => a,
                None => {
                    let v = k.alg.get_ref();
                    let help = if v.eq_ignore_ascii_case("none") {
                        "unsigned tokens are never accepted (RFC 8725); use \"HS256\", \"HS384\" or \"HS512\""
                            .to_string()
                    } else if Alg::from_name(v.to_ascii_uppercase().as_bytes()).is_some() {
                        format!("algorithm names are case-sensitive: write \"{}\"", v.to_ascii_uppercase())
                    } else {
                        "use \"HS256\", \"HS384\" or \"HS512\" (HMAC; asymmetric algorithms are not supported)"
                            .to_string()
                    };
                    self.error(k.alg.span(), format!("unknown alg `{v}`"), help);
                    Alg::Hs256
                }
            };
            let mut opt = |v: &Option<Spanned<String>>, what: &str| -> Option<String> {
                let v = v.as_ref()?;
                if v.get_ref().is_empty() || v.get_ref().len() > MAX_NAME || v.get_ref().chars().any(char::is_control) {
                    self.error(
                        v.span(),
                        format!("`{what}` must be 1 to {MAX_NAME} bytes without control characters"),
                        format!("remove `{what}` to not check it, or give the exact value tokens carry"),
                    );
                }
                Some(v.get_ref().clone())
            };
            let issuer = opt(&k.issuer, "issuer");
            let audience = opt(&k.audience, "audience");
            if audience.is_none() {
                self.warn(
                    k.id.span(),
                    format!(
                        "key `{id}` has no `audience`: every service that holds this key accepts its tokens that carry no `aud`"
                    ),
                    "add `audience = \"<this service>\"`, so that a token minted for another service is refused (RFC 7519 §4.1.3)",
                );
            }
            let roles_claim = match &k.roles_claim {
                Some(c) => {
                    if !role_ok(c.get_ref()) {
                        self.error(
                            c.span(),
                            "`roles_claim` must be a claim name of printable ASCII without spaces, `\"` or `\\`",
                            "e.g. \"roles\" or \"groups\"",
                        );
                    }
                    c.get_ref().clone()
                }
                None => DEFAULT_ROLES_CLAIM.into(),
            };
            out.push(OwnedKey { id, alg, issuer, audience, roles_claim });
        }
        out
    }

    fn role_list(&mut self, list: Option<&StrList>, what: &str) -> (RoleSet, Vec<At<usize>>) {
        let mut set = RoleSet::EMPTY;
        let mut at = Vec::new();
        for r in list.map(|l| l.get_ref().as_slice()).unwrap_or(&[]) {
            let name = r.get_ref();
            if !role_ok(name) {
                self.error(
                    r.span(),
                    format!("role `{}` is not a valid role name", name.escape_debug()),
                    "role names are OAuth scope tokens (RFC 6749 §3.3): printable ASCII without spaces, `\"` or `\\`",
                );
                continue;
            }
            let i = self.roles.intern(name.clone(), r.span());
            if set.contains(i) {
                self.error(r.span(), format!("role `{name}` is listed twice in `{what}`"), "remove the second one");
            }
            set = set.with(i);
            at.push((i, r.span()));
        }
        (set, at)
    }

    fn credentials(&mut self, src: &PolicySource) -> (Vec<OwnedCredential>, Vec<CredentialFacts>) {
        let mut out = Vec::new();
        let mut facts = Vec::new();
        let mut ids: Vec<String> = Vec::new();
        let mut users: Vec<String> = Vec::new();
        let mut digests: Vec<[u8; 32]> = Vec::new();
        let mut salt_len: Option<(usize, String)> = None;
        for c in &src.credential {
            let table_span = c.span();
            let c = c.get_ref();
            let id = self.name(&c.id, "a credential id");
            if ids.contains(&id) {
                self.error(
                    c.id.span(),
                    format!("credential id `{id}` is used twice"),
                    "give every [[credential]] its own id (it is the subject of API-key requests)",
                );
            }
            ids.push(id.clone());
            let (roles, _) = self.role_list(c.roles.as_ref(), "roles");
            let kind = match (&c.api_key_sha256, &c.basic_user, &c.basic_password) {
                (Some(d), None, None) => {
                    let digest = self.digest(d);
                    if digests.contains(&digest) && digest != [0; 32] {
                        self.error(
                            d.span(),
                            format!("credential `{id}` has the same api_key_sha256 as an earlier credential"),
                            "one API key must name one credential: generate a new key with `warden credential new`",
                        );
                    }
                    digests.push(digest);
                    Some(OwnedKind::ApiKey(digest))
                }
                (None, Some(u), Some(p)) => {
                    let user = u.get_ref();
                    if user.is_empty()
                        || user.len() > MAX_NAME
                        || user.contains(':')
                        || user.chars().any(char::is_control)
                    {
                        self.error(
                            u.span(),
                            "`basic_user` must be 1 to 255 bytes without `:` or control characters",
                            "RFC 7617 splits user and password at the first `:`, so a user id cannot contain one",
                        );
                    } else if users.contains(user) {
                        self.error(
                            u.span(),
                            format!("Basic user `{user}` is defined twice"),
                            "each Basic user needs exactly one [[credential]]",
                        );
                    }
                    users.push(user.clone());
                    match password::parse(p.get_ref()) {
                        Ok(hash) => {
                            match &salt_len {
                                Some((len, first)) if *len != hash.salt.len() => {
                                    let msg = format!(
                                        "this salt is {} bytes but credential `{first}` uses {len}: every Basic credential of a policy must have the same salt length",
                                        hash.salt.len()
                                    );
                                    self.error(p.span(), msg, "re-hash with `warden credential hash-password` (16-byte salts), so that an unknown user costs the same work as a known one");
                                }
                                Some(_) => {}
                                None => salt_len = Some((hash.salt.len(), id.clone())),
                            }
                            Some(OwnedKind::Basic { user: user.clone(), hash })
                        }
                        Err(e) => {
                            let help = match e {
                                HashError::Plaintext => {
                                    "never put a password in a policy: run `warden credential hash-password` and paste the `$pbkdf2-sha256$…` string it prints"
                                }
                                _ => "run `warden credential hash-password` and paste its output unchanged",
                            };
                            self.error(p.span(), e.message(), help);
                            None
                        }
                    }
                }
                (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                    self.error(
                        c.id.span(),
                        format!("credential `{id}` has both an API key digest and a Basic user"),
                        "split it into two [[credential]] tables, one per way of presenting it",
                    );
                    None
                }
                (None, Some(u), None) => {
                    self.error(
                        u.span(),
                        format!("credential `{id}` has `basic_user` but no `basic_password`"),
                        "add `basic_password = \"$pbkdf2-sha256$…\"` from `warden credential hash-password`",
                    );
                    None
                }
                (None, None, Some(p)) => {
                    self.error(
                        p.span(),
                        format!("credential `{id}` has `basic_password` but no `basic_user`"),
                        "add `basic_user = \"…\"`",
                    );
                    None
                }
                (None, None, None) => {
                    self.error(
                        table_span,
                        format!("credential `{id}` has neither `api_key_sha256` nor `basic_user` + `basic_password`"),
                        "add `api_key_sha256` (from `warden credential new`) or a Basic user and password hash",
                    );
                    None
                }
            };
            // A table with an error still counts for what it was meant to grant, so that its
            // error does not bring warnings about roles or schemes nobody else provides.
            let schemes = match &kind {
                Some(OwnedKind::ApiKey(_)) => vec![Scheme::ApiKey],
                Some(OwnedKind::Basic { .. }) => vec![Scheme::Basic],
                None => {
                    let mut meant = Vec::new();
                    if c.api_key_sha256.is_some() {
                        meant.push(Scheme::ApiKey);
                    }
                    if c.basic_user.is_some() || c.basic_password.is_some() {
                        meant.push(Scheme::Basic);
                    }
                    if meant.is_empty() {
                        meant = vec![Scheme::ApiKey, Scheme::Basic];
                    }
                    meant
                }
            };
            facts.push(CredentialFacts { roles, schemes });
            if let Some(kind) = kind {
                out.push(OwnedCredential { id, roles, kind });
            }
        }
        (out, facts)
    }

    fn digest(&mut self, d: &Spanned<String>) -> [u8; 32] {
        let v = d.get_ref();
        if v.len() == 64
            && let Some(bytes) = crate::encoding::from_hex(v)
        {
            let mut out = [0u8; 32];
            out.copy_from_slice(&bytes);
            return out;
        }
        let help = if v.starts_with("wk_") {
            "this looks like the API key itself: put only its SHA-256 here (`warden credential new` prints both)"
        } else {
            "write the SHA-256 of the key as 64 hex digits (`warden credential new` prints it)"
        };
        self.error(d.span(), "`api_key_sha256` is not 64 hex digits", help);
        [0; 32]
    }

    /// Parses a list of CIDRs; `allow` lists warn about `/0`.
    fn ranges(&mut self, list: Option<&StrList>, allow: bool) -> Vec<At<IpRange>> {
        let mut out = Vec::new();
        for item in list.map(|l| l.get_ref().as_slice()).unwrap_or(&[]) {
            if let Some(r) = self.cidr(item) {
                if allow && r.prefix == if r.v4 { 96 } else { 0 } {
                    let all = if r.v4 { "IPv4" } else { "IPv6" };
                    self.warn(
                        item.span(),
                        format!("`{}` in an allow list allows every {all} address", item.get_ref()),
                        "leave `ip_allow` out (no list = any address) or list the networks you mean",
                    );
                }
                if out.iter().any(|(x, _)| *x == r) {
                    self.error(
                        item.span(),
                        format!("range `{}` is listed twice", item.get_ref()),
                        "remove the second one",
                    );
                }
                out.push((r, item.span()));
            }
        }
        out
    }

    fn cidr(&mut self, item: &Spanned<String>) -> Option<IpRange> {
        let text = item.get_ref().trim();
        if let Some(fixed) = without_leading_zeros(text) {
            self.error(
                item.span(),
                format!("`{}` has a number with a leading zero", text.escape_debug()),
                format!(
                    "C parsers (inet_aton) read `010` as octal 8 and others as decimal 10 (CVE-2021-29922): write the number without leading zeros, e.g. \"{fixed}\" if you mean decimal"
                ),
            );
            return None;
        }
        let net: IpNet = match text.parse::<IpNet>() {
            Ok(n) => n,
            Err(_) => match text.parse::<IpAddr>() {
                Ok(a) => IpNet::from(a),
                Err(_) => {
                    self.error(
                        item.span(),
                        format!("`{}` is not an IP range", text.escape_debug()),
                        "write an address with a prefix length, e.g. \"10.0.0.0/8\" or \"2001:db8::/32\"",
                    );
                    return None;
                }
            },
        };
        let (addr, prefix, v4) = match net {
            IpNet::V4(n) => (n.network().to_ipv6_mapped().octets(), n.prefix_len().saturating_add(96), true),
            IpNet::V6(n) => {
                let mapped = n.addr().to_ipv4_mapped().is_some();
                if mapped && n.prefix_len() < 96 {
                    self.error(
                        item.span(),
                        format!("`{text}` is an IPv4-mapped range with a prefix shorter than 96"),
                        "write the IPv4 range instead (e.g. \"10.0.0.0/8\"); mapped addresses are treated as IPv4",
                    );
                    return None;
                }
                (n.network().octets(), n.prefix_len(), mapped)
            }
        };
        if net.addr() != net.network() {
            let fixed = match net {
                IpNet::V6(n) if n.addr().to_ipv4_mapped().is_some() => {
                    let v4 = n.network().to_ipv4_mapped().map(|a| a.to_string()).unwrap_or_default();
                    format!("{v4}/{}", n.prefix_len().saturating_sub(96))
                }
                other => other.trunc().to_string(),
            };
            self.error(item.span(), format!("`{text}` has host bits set"), format!("did you mean {fixed}?"));
            return None;
        }
        Some(IpRange { addr, prefix, v4 })
    }

    /// Parses a list of origin patterns into normalized texts.
    fn origin_list(&mut self, list: Option<&StrList>, credentials: bool) -> Vec<At<String>> {
        let mut out: Vec<At<String>> = Vec::new();
        for item in list.map(|l| l.get_ref().as_slice()).unwrap_or(&[]) {
            let Some(norm) = self.origin(item, credentials) else { continue };
            if out.iter().any(|(x, _)| *x == norm) {
                self.error(
                    item.span(),
                    format!("origin `{norm}` is listed twice"),
                    "remove the second one (origins compare case-insensitively, without the default port)",
                );
            }
            out.push((norm, item.span()));
        }
        out
    }

    fn origin(&mut self, item: &Spanned<String>, credentials: bool) -> Option<String> {
        let mut text = item.get_ref().to_ascii_lowercase();
        // RFC 6454: the default port is the same origin as no port. An IPv6 host ends in `]`,
        // so a trailing `:443`/`:80` is always the port.
        for (scheme, port) in [("https://", ":443"), ("http://", ":80")] {
            if text.starts_with(scheme) && text.ends_with(port) {
                text.truncate(text.len().saturating_sub(port.len()));
            }
        }
        match warden::origin::parse_pattern(&text) {
            Ok(p) => {
                match p {
                    warden::policy::OriginPattern::Any => {
                        let extra = if credentials {
                            " and, with `allow_credentials = true`, read its users' data"
                        } else {
                            ""
                        };
                        self.warn(item.span(), format!("origin `*` lets every web site call this API from a browser{extra}"), "list the origins that may call it, e.g. \"https://app.example.com\" or \"https://*.example.com\"");
                    }
                    warden::policy::OriginPattern::Null => {
                        self.warn(item.span(), "origin `null` is sent by sandboxed iframes, file: pages and some redirects: any site can produce it", "list real origins instead of `null`");
                    }
                    warden::policy::OriginPattern::Subdomains { scheme, suffix, port } if is_public_suffix(suffix) => {
                        let port = port.map(|p| format!(":{p}")).unwrap_or_default();
                        self.warn(
                            item.span(),
                            format!("`{text}` allows every site under `{suffix}`, a public suffix: anyone can register a name there"),
                            format!("list the sites you mean, e.g. \"{scheme}://app.{suffix}{port}\" or \"{scheme}://*.yours.{suffix}{port}\" (Public Suffix List, crate `psl`)"),
                        );
                    }
                    _ => {}
                }
                Some(text)
            }
            Err(e) => {
                let help = if text.ends_with('/') {
                    format!("remove the trailing slash: \"{}\"", text.trim_end_matches('/'))
                } else {
                    "write `scheme://host[:port]`, `scheme://*.domain`, `*` or `null`, e.g. \"https://console.example.com\"".into()
                };
                self.error(
                    item.span(),
                    format!("`{}` is not an origin: {}", item.get_ref().escape_debug(), e.message()),
                    help,
                );
                None
            }
        }
    }

    fn methods(&mut self, list: &StrList) -> (MethodSet, bool) {
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

    fn auth(&mut self, list: &StrList) -> Vec<At<Scheme>> {
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

    fn rule(
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

    /// Each table against this build's capacities and, with `--capacities`, the target's.
    fn capacities(&mut self, src: &PolicySource) {
        let target = self.target.clone();
        for what in Capacity::ALL {
            let (len, spans): (usize, Vec<Range<usize>>) = match what {
                Capacity::Methods => (self.methods.items.len(), self.methods.spans.clone()),
                Capacity::Roles => (self.roles.items.len(), self.roles.spans.clone()),
                Capacity::Ranges => (self.ranges.items.len(), self.ranges.spans.clone()),
                Capacity::Origins => (self.origins.items.len(), self.origins.spans.clone()),
                Capacity::Keys => (src.key.len(), src.key.iter().map(Spanned::span).collect()),
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

impl Compiled {
    /// The compiled policy as the core's type, borrowing from `self`.
    ///
    /// # Errors
    /// Only if a table is over its capacity, which [`compile`] refuses first.
    pub fn body(&self) -> Result<PolicyBody<'_>, String> {
        fn fill<T, const N: usize>(
            items: impl IntoIterator<Item = T>,
            what: &str,
        ) -> Result<heapless::Vec<T, N>, String> {
            let mut v = heapless::Vec::new();
            for item in items {
                v.push(item).map_err(|_| format!("too many {what} (capacity {N})"))?;
            }
            Ok(v)
        }
        let mut origins = heapless::Vec::new();
        for o in &self.origins {
            let p = warden::origin::parse_pattern(o).map_err(|e| e.message().to_string())?;
            origins.push(p).map_err(|_| "too many origins".to_string())?;
        }
        Ok(PolicyBody {
            name: &self.name,
            realm: &self.realm,
            settings: Settings {
                leeway_s: self.leeway_s,
                refresh_window_s: self.refresh_window_s,
                api_key_header: &self.api_key_header,
                on_no_match: OnNoMatch::Forbid,
            },
            cors: CorsSettings {
                allow_headers: &self.cors_headers,
                max_age_s: self.cors_max_age_s,
                allow_credentials: self.cors_credentials,
            },
            methods: fill(self.methods.iter().map(String::as_str), "methods")?,
            roles: fill(self.roles.iter().map(String::as_str), "roles")?,
            keys: fill(
                self.keys.iter().map(|k| KeySpec {
                    id: &k.id,
                    alg: k.alg,
                    issuer: k.issuer.as_deref(),
                    audience: k.audience.as_deref(),
                    roles_claim: &k.roles_claim,
                }),
                "keys",
            )?,
            credentials: fill(
                self.credentials.iter().map(|c| Credential {
                    id: &c.id,
                    roles: c.roles,
                    kind: match &c.kind {
                        OwnedKind::ApiKey(sha256) => CredentialKind::ApiKey { sha256: *sha256 },
                        OwnedKind::Basic { user, hash } => CredentialKind::Basic {
                            user,
                            iterations: hash.iterations,
                            salt: &hash.salt,
                            hash: hash.hash,
                        },
                    },
                }),
                "credentials",
            )?,
            ranges: fill(self.ranges.iter().copied(), "ranges")?,
            origins,
            rules: fill(
                self.rules
                    .iter()
                    .map(|r| -> Result<Rule<'_>, String> {
                        Ok(Rule {
                            name: &r.name,
                            methods: r.methods,
                            any_method: r.any_method,
                            path: &r.path,
                            auth: fill(r.auth.iter().copied(), "schemes")?,
                            roles_any: r.roles_any,
                            roles_all: r.roles_all,
                            ip_allow: r.ip_allow,
                            ip_deny: r.ip_deny,
                            origins: r.origins,
                            require_mfa: r.require_mfa,
                            max_auth_age_s: r.max_auth_age_s,
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                "rules",
            )?,
        })
    }

    /// The compiled-policy bytes, signed when `sign_key` is given. Deterministic.
    ///
    /// # Errors
    /// A message for an encoding failure (a too-short signing key, a policy too large).
    pub fn encode(&self, sign_key: Option<&[u8]>) -> Result<Vec<u8>, String> {
        let body = self.body()?;
        let mut size = 64 * 1024;
        loop {
            let mut out = vec![0u8; size];
            match warden::blob::encode(&body, sign_key, &mut out) {
                Ok(n) => {
                    out.truncate(n);
                    return Ok(out);
                }
                Err(EncodeError::BufferTooSmall) if size < 256 * 1024 * 1024 => size = size.saturating_mul(4),
                Err(e) => return Err(e.to_string()),
            }
        }
    }

    /// Key ids in policy order (the loader's key numbers index this).
    #[must_use]
    pub fn key_ids(&self) -> Vec<&str> {
        self.keys.iter().map(|k| k.id.as_str()).collect()
    }

    /// Loads the encoded policy with throw-away secrets, to prove the core accepts it.
    fn self_check(&self) -> Result<(), String> {
        let blob = self.encode(None)?;
        let secret = [0x5au8; 64];
        let keyring: Vec<KeyMaterial<'_>> =
            self.keys.iter().map(|k| KeyMaterial { id: &k.id, secret: &secret }).collect();
        warden::Engine::load(&blob, &keyring).map(|_| ()).map_err(|e| e.to_string())
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
