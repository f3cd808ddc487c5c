//! The policy source (docs/policy.md) as TOML types that keep the position of every value, so that
//! the compiler can point at the exact value it refuses.
//!
//! Every table denies unknown fields: a misspelt field is an error, never silently ignored.

use core::ops::Range;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_spanned::Spanned;

use crate::diag::Diagnostic;

/// A list of strings, with the position of the list and of each element.
pub type StrList = Spanned<Vec<Spanned<String>>>;

/// A whole policy file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySource {
    /// Policy language version; only `1` exists.
    pub version: Spanned<i64>,
    /// Policy name.
    pub name: Spanned<String>,
    /// Realm in every challenge; defaults to the name.
    #[serde(default)]
    pub realm: Option<Spanned<String>>,
    /// `[settings]`.
    #[serde(default)]
    pub settings: Option<Spanned<SettingsSource>>,
    /// `[cors]`.
    #[serde(default)]
    pub cors: Option<Spanned<CorsSource>>,
    /// `[defaults]`.
    #[serde(default)]
    pub defaults: Option<Spanned<DefaultsSource>>,
    /// `[[key]]` tables.
    #[serde(default)]
    pub key: Vec<Spanned<KeySource>>,
    /// `[[credential]]` tables.
    #[serde(default)]
    pub credential: Vec<Spanned<CredentialSource>>,
    /// `[[rule]]` tables, in evaluation order.
    #[serde(default)]
    pub rule: Vec<Spanned<RuleSource>>,
}

/// `[settings]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsSource {
    /// Clock-skew tolerance (default 60).
    pub leeway_s: Option<Spanned<u32>>,
    /// Refresh window (default 300).
    pub refresh_window_s: Option<Spanned<u32>>,
    /// API-key header (default `x-api-key`).
    pub api_key_header: Option<Spanned<String>>,
    /// Only `"forbid"` (the default).
    pub on_no_match: Option<Spanned<String>>,
}

/// `[cors]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorsSource {
    /// Allowed request headers (default `["authorization", "content-type"]`).
    pub allow_headers: Option<StrList>,
    /// Preflight cache time (default 600).
    pub max_age_s: Option<Spanned<u32>>,
    /// `Access-Control-Allow-Credentials` (default false).
    pub allow_credentials: Option<Spanned<bool>>,
}

/// `[defaults]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultsSource {
    /// Added to every rule's deny list.
    pub ip_deny: Option<StrList>,
    /// Used by rules that have no allow list.
    pub ip_allow: Option<StrList>,
    /// Used by rules that list no origins.
    pub origins: Option<StrList>,
}

/// `[[key]]`: an HMAC key (`id`, `alg`; the secret is in the keys file), or the public keys of
/// a JWK Set file (`jwks`; `id` and `alg` then optional defaults for its JWKs).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySource {
    /// JWT `kid`; with `jwks`, the table's name and the key id of a JWK without `kid`.
    pub id: Option<Spanned<String>>,
    /// `HS256`, `HS384`, `HS512`; with `jwks`, the algorithm of a JWK without `alg`.
    pub alg: Option<Spanned<String>>,
    /// A JWK Set file (RFC 7517 §5) of public keys, relative to the policy file.
    pub jwks: Option<Spanned<String>>,
    /// Required `iss`.
    pub issuer: Option<Spanned<String>>,
    /// Required member of `aud`.
    pub audience: Option<Spanned<String>>,
    /// Array claim with role names (default `roles`).
    pub roles_claim: Option<Spanned<String>>,
}

/// `[[credential]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialSource {
    /// Credential id (subject of API-key requests).
    pub id: Spanned<String>,
    /// SHA-256 of an API key, 64 hex digits.
    pub api_key_sha256: Option<Spanned<String>>,
    /// Basic user id.
    pub basic_user: Option<Spanned<String>>,
    /// `$pbkdf2-sha256$i=N$salt$hash`.
    pub basic_password: Option<Spanned<String>>,
    /// Roles granted.
    pub roles: Option<StrList>,
}

/// `[[rule]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSource {
    /// Rule name.
    pub name: Spanned<String>,
    /// Methods, or `["*"]`.
    pub methods: StrList,
    /// Path pattern.
    pub path: Spanned<String>,
    /// Accepted schemes; `[]` = public.
    pub auth: StrList,
    /// At least one of these roles.
    pub roles_any: Option<StrList>,
    /// Every one of these roles.
    pub roles_all: Option<StrList>,
    /// Client ranges allowed.
    pub ip_allow: Option<StrList>,
    /// Client ranges denied.
    pub ip_deny: Option<StrList>,
    /// Allowed origins.
    pub origins: Option<StrList>,
    /// Token `amr` must contain `mfa`.
    pub require_mfa: Option<Spanned<bool>>,
    /// Longest time since the token's `iat`.
    pub max_auth_age_s: Option<Spanned<u32>>,
}

/// Field names that people put in a policy by mistake when they mean a secret.
const SECRET_FIELDS: &[&str] =
    &["secret", "secret_hex", "secret_b64", "password", "api_key", "key", "token", "plaintext"];

/// Parses TOML text into `T`, turning syntax and shape errors into a positioned diagnostic.
///
/// # Errors
/// The first error `toml` reports, with a help line.
pub fn parse<T: DeserializeOwned>(text: &str, secrets_belong_in: &str) -> Result<T, Box<Diagnostic>> {
    toml::from_str(text).map_err(|e| Box::new(toml_diagnostic(&e, secrets_belong_in)))
}

/// Parses a policy file.
///
/// # Errors
/// A positioned diagnostic.
pub fn parse_policy(text: &str) -> Result<PolicySource, Box<Diagnostic>> {
    parse(text, "the keys file (`--keys`); a policy holds only digests and password hashes")
}

fn toml_diagnostic(e: &toml::de::Error, secrets_belong_in: &str) -> Diagnostic {
    let message = e.message().trim().to_string();
    let span: Option<Range<usize>> = e.span();
    let first_line = message.lines().next().unwrap_or("").to_string();
    if let Some(field) = backticked(&first_line).into_iter().next().filter(|_| first_line.starts_with("unknown field"))
    {
        let expected = expected_names(&first_line);
        let help = if SECRET_FIELDS.contains(&field.as_str()) {
            format!(
                "secrets never go in this file: they belong in {secrets_belong_in} (`warden credential new`, `warden credential hash-password`, `warden key new` make them)"
            )
        } else if let Some(best) = closest(&field, &expected) {
            format!("did you mean `{best}`? this table accepts: {}", expected.join(", "))
        } else if expected.is_empty() {
            "remove it".to_string()
        } else {
            format!("remove it; this table accepts: {}", expected.join(", "))
        };
        return Diagnostic::error(span, format!("unknown field `{field}`"))
            .with_help(help)
            .with_label("not a known field");
    }
    if let Some(field) = backticked(&first_line).into_iter().next().filter(|_| first_line.starts_with("missing field"))
    {
        let help = match field.as_str() {
            "auth" => "add `auth = [\"bearer\"]` (or `api_key`, `basic`); write `auth = []` to make the rule public on purpose".to_string(),
            "methods" => "add `methods = [\"GET\"]` (or `[\"*\"]` for every method)".to_string(),
            "path" => "add `path = \"/prefix/**\"` (exact, `*` = one segment, trailing `/**` = the rest)".to_string(),
            "version" => "add `version = 1` at the top".to_string(),
            other => format!("add `{other} = …`"),
        };
        return Diagnostic::error(span, format!("missing field `{field}`")).with_help(help);
    }
    let is_syntax = span.is_some() && !first_line.contains("invalid type") && !first_line.contains("invalid value");
    let help = if is_syntax {
        "fix the TOML syntax here (strings need double quotes, lists use [ ], tables use [name])"
    } else {
        "give this field a value of the type it expects"
    };
    Diagnostic::error(span, first_line).with_help(help)
}

/// Words between backticks, in order.
fn backticked(s: &str) -> Vec<String> {
    s.split('`').skip(1).step_by(2).map(str::to_string).collect()
}

/// The field names after "expected" in serde's unknown-field message.
fn expected_names(s: &str) -> Vec<String> {
    match s.find("expected") {
        Some(i) => backticked(s.get(i..).unwrap_or("")),
        None => Vec::new(),
    }
}

/// The expected name closest to `word`, if it is close enough to be a typo.
fn closest(word: &str, names: &[String]) -> Option<String> {
    names
        .iter()
        .map(|n| (edit_distance(word, n), n))
        .filter(|(d, n)| *d <= 2.max(n.len() / 4) || n.starts_with(word) || word.starts_with(n.as_str()))
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n.clone())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i.saturating_add(1)];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0).saturating_add(usize::from(ca != *cb));
            let del = prev.get(j.saturating_add(1)).copied().unwrap_or(0).saturating_add(1);
            let ins = cur.get(j).copied().unwrap_or(0).saturating_add(1);
            cur.push(sub.min(del).min(ins));
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str =
        "version = 1\nname = \"p\"\n[[rule]]\nname = \"r\"\nmethods = [\"GET\"]\npath = \"/\"\nauth = []\n";

    #[test]
    fn minimal_policy_parses_with_positions() {
        let p = parse_policy(MINIMAL).unwrap();
        assert_eq!(*p.version.get_ref(), 1);
        assert_eq!(p.rule.len(), 1);
        let r = p.rule[0].get_ref();
        assert_eq!(&MINIMAL[r.path.span()], "\"/\"");
    }

    #[test]
    fn unknown_secret_field_gets_the_keys_file_help() {
        let text = format!("{MINIMAL}\n[[key]]\nid = \"k\"\nalg = \"HS256\"\nsecret = \"abc\"\n");
        let d = parse_policy(&text).unwrap_err();
        assert_eq!(d.message, "unknown field `secret`");
        assert!(d.help.as_deref().unwrap().contains("keys file"), "{d:?}");
        assert_eq!(&text[d.span.clone().unwrap()], "secret");
    }

    #[test]
    fn misspelt_field_suggests_the_right_one() {
        let text = MINIMAL.replace("methods", "method");
        let d = parse_policy(&text).unwrap_err();
        assert_eq!(d.message, "unknown field `method`");
        assert!(d.help.as_deref().unwrap().starts_with("did you mean `methods`?"), "{d:?}");
    }

    #[test]
    fn missing_auth_says_how_to_be_public() {
        let text = MINIMAL.replace("auth = []\n", "");
        let d = parse_policy(&text).unwrap_err();
        assert_eq!(d.message, "missing field `auth`");
        assert!(d.help.as_deref().unwrap().contains("auth = []"));
        assert!(d.span.is_some());
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("rule", "rules"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
