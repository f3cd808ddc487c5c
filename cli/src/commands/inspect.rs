//! `warden inspect OUT.wdn [--verify-key FILE] [--json]`: what a compiled policy holds.

use std::path::PathBuf;

use clap::Args;
use hmac::{KeyInit, Mac};
use serde::Serialize;
use sha2::Sha256;
use warden::blob::{HEADER_LEN, SIGNATURE_LEN};
use warden::capacity;
use warden::policy::{CredentialKind, KeyFamily, OriginPattern, PolicyBody, Rule};

use super::{CommandResult, print_json};
use crate::bundle::read_bundle_key;
use crate::encoding::hex;
use crate::exit;
use crate::jwks::OwnedPublicKey;

/// Arguments of `inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Compiled policy (`.wdn`).
    pub blob: PathBuf,
    /// Check the signature with this bundle key (from `warden key bundle`).
    #[arg(long, value_name = "FILE")]
    pub verify_key: Option<PathBuf>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Table {
    count: usize,
    capacity: usize,
}

/// `tables`: one entry per table of the compiled policy.
#[derive(Serialize)]
struct Tables {
    methods: Table,
    roles: Table,
    keys: Table,
    credentials: Table,
    ranges: Table,
    origins: Table,
    rules: Table,
}

impl Tables {
    fn rows(&self) -> [(&'static str, &Table); 7] {
        [
            ("methods", &self.methods),
            ("roles", &self.roles),
            ("keys", &self.keys),
            ("credentials", &self.credentials),
            ("ranges", &self.ranges),
            ("origins", &self.origins),
            ("rules", &self.rules),
        ]
    }
}

#[derive(Serialize)]
struct RuleJson {
    name: String,
    methods: Vec<String>,
    path: String,
    auth: Vec<&'static str>,
    roles_any: Vec<String>,
    roles_all: Vec<String>,
    ip_allow: usize,
    ip_deny: usize,
    origins: usize,
    require_mfa: bool,
    max_auth_age_s: Option<u32>,
}

#[derive(Serialize)]
struct KeyJson {
    id: String,
    alg: &'static str,
    issuer: Option<String>,
    audience: Option<String>,
    roles_claim: String,
    /// `hmac` (secret in the keys file), `RSA`, `EC` or `OKP`.
    kty: &'static str,
    /// Key size in bits (RSA modulus, curve field); `null` for HMAC.
    bits: Option<usize>,
    /// RFC 7638 SHA-256 JWK thumbprint (base64url); `null` for HMAC.
    thumbprint: Option<String>,
}

#[derive(Serialize)]
struct CredentialJson {
    id: String,
    kind: &'static str,
    user: Option<String>,
    iterations: Option<u32>,
    roles: Vec<String>,
}

#[derive(Serialize)]
struct InspectJson {
    format_version: u16,
    signature: &'static str,
    header_bytes: usize,
    body_bytes: usize,
    total_bytes: usize,
    body_sha256: String,
    name: String,
    realm: String,
    tables: Tables,
    keys: Vec<KeyJson>,
    credentials: Vec<CredentialJson>,
    origins: Vec<String>,
    rules: Vec<RuleJson>,
}

fn names(table: &[&str], bits: impl Iterator<Item = usize>) -> Vec<String> {
    bits.filter_map(|i| table.get(i).map(|s| s.to_string())).collect()
}

fn rule_json(b: &PolicyBody<'_>, r: &Rule<'_>) -> RuleJson {
    RuleJson {
        name: r.name.into(),
        methods: if r.any_method { vec!["*".into()] } else { names(&b.methods, r.methods.iter()) },
        path: r.path.into(),
        auth: r.auth.iter().map(|s| s.name()).collect(),
        roles_any: names(&b.roles, r.roles_any.iter()),
        roles_all: names(&b.roles, r.roles_all.iter()),
        ip_allow: r.ip_allow.iter().count(),
        ip_deny: r.ip_deny.iter().count(),
        origins: r.origins.iter().count(),
        require_mfa: r.require_mfa,
        max_auth_age_s: r.max_auth_age_s,
    }
}

fn origin_text(o: &OriginPattern<'_>) -> String {
    let port = |p: &Option<u16>| p.map(|p| format!(":{p}")).unwrap_or_default();
    match o {
        OriginPattern::Any => "*".into(),
        OriginPattern::Null => "null".into(),
        OriginPattern::Exact { scheme, host, port: p } => format!("{scheme}://{host}{}", port(p)),
        OriginPattern::Subdomains { scheme, suffix, port: p } => format!("{scheme}://*.{suffix}{}", port(p)),
    }
}

/// Runs `inspect`. `signature` is `unsigned`, `signed` (not checked) or `verified`; with a
/// verify key, an unsigned blob or a wrong signature is an error (exit 1).
///
/// # Errors
/// An unreadable or corrupt compiled policy.
pub fn run(a: &InspectArgs) -> CommandResult {
    let blob = std::fs::read(&a.blob).map_err(|e| format!("cannot read {}: {e}", a.blob.display()))?;
    let (info, body) = warden::blob::decode_body(&blob).map_err(|e| format!("{}: {e}", a.blob.display()))?;
    let verify_key = a.verify_key.as_deref().map(read_bundle_key).transpose()?;
    let signature = match (&verify_key, info.signed) {
        (None, false) => "unsigned",
        (None, true) => "signed",
        (Some(_), false) => {
            return Err(format!("{} is not signed, and a verify key was given", a.blob.display()));
        }
        (Some(k), true) => {
            // The signature is HMAC-SHA256(bundle key, header bytes 0..60), see warden::blob.
            let header = blob.get(..HEADER_LEN).unwrap_or_default();
            let sig = blob.get(HEADER_LEN..HEADER_LEN + SIGNATURE_LEN).unwrap_or_default();
            let ok = hmac::Hmac::<Sha256>::new_from_slice(k)
                .map(|mut m| {
                    m.update(header);
                    m.verify_slice(sig).is_ok()
                })
                .unwrap_or(false);
            if !ok {
                return Err(format!("the signature of {} does not verify with the given key", a.blob.display()));
            }
            "verified"
        }
    };
    let table = |count: usize, capacity: usize| Table { count, capacity };
    let tables = Tables {
        methods: table(body.methods.len(), capacity::MAX_METHODS),
        roles: table(body.roles.len(), capacity::MAX_ROLES),
        keys: table(body.keys.len(), capacity::MAX_KEYS),
        credentials: table(body.credentials.len(), capacity::MAX_CREDENTIALS),
        ranges: table(body.ranges.len(), capacity::MAX_RANGES),
        origins: table(body.origins.len(), capacity::MAX_ORIGINS),
        rules: table(body.rules.len(), capacity::MAX_RULES),
    };
    let report = InspectJson {
        format_version: info.format_version,
        signature,
        header_bytes: info.header_len,
        body_bytes: info.body_len,
        total_bytes: blob.len(),
        body_sha256: hex(&info.body_sha256),
        name: body.name.into(),
        realm: body.realm.into(),
        tables,
        keys: body
            .keys
            .iter()
            .map(|k| KeyJson {
                id: k.id.into(),
                alg: k.alg.name(),
                issuer: k.issuer.map(str::to_string),
                audience: k.audience.map(str::to_string),
                roles_claim: k.roles_claim.into(),
                kty: match k.alg.family() {
                    KeyFamily::Hmac => "hmac",
                    KeyFamily::Rsa => "RSA",
                    KeyFamily::Ec => "EC",
                    KeyFamily::Okp => "OKP",
                },
                bits: (!k.alg.is_hmac()).then(|| k.public_key.bits()),
                thumbprint: OwnedPublicKey::from_core(k.alg, &k.public_key).map(|p| p.thumbprint()),
            })
            .collect(),
        credentials: body
            .credentials
            .iter()
            .map(|c| {
                let (kind, user, iterations) = match &c.kind {
                    CredentialKind::ApiKey { .. } => ("api_key", None, None),
                    CredentialKind::Basic { user, iterations, .. } => {
                        ("basic", Some(user.to_string()), Some(*iterations))
                    }
                };
                CredentialJson { id: c.id.into(), kind, user, iterations, roles: names(&body.roles, c.roles.iter()) }
            })
            .collect(),
        origins: body.origins.iter().map(origin_text).collect(),
        rules: body.rules.iter().map(|r| rule_json(&body, r)).collect(),
    };
    if a.json {
        print_json(&report)?;
    } else {
        print_text(&report);
    }
    Ok(exit::OK)
}

fn print_text(r: &InspectJson) {
    outln!("format version: {}", r.format_version);
    let signature = match r.signature {
        "signed" => "signed (not verified: give --verify-key to check it)",
        other => other,
    };
    outln!("signature:      {signature}");
    outln!("size:           {} bytes (header {} + body {})", r.total_bytes, r.header_bytes, r.body_bytes);
    outln!("body sha256:    {}", r.body_sha256);
    outln!("name:           {}", r.name);
    outln!("realm:          {}", r.realm);
    outln!("tables:");
    for (name, t) in r.tables.rows() {
        outln!("  {name:<12} {:>4} / {}", t.count, t.capacity);
    }
    outln!("keys:");
    for k in &r.keys {
        let iss = k.issuer.as_deref().map(|i| format!(" iss={i}")).unwrap_or_default();
        let aud = k.audience.as_deref().map(|a| format!(" aud={a}")).unwrap_or_default();
        let public = match (&k.bits, &k.thumbprint) {
            (Some(bits), Some(t)) => format!(" {} {bits} bits thumbprint={t}", k.kty),
            _ => " (secret in the keys file)".to_string(),
        };
        outln!("  {} {}{public}{iss}{aud} roles_claim={}", k.id, k.alg, k.roles_claim);
    }
    outln!("credentials:");
    for c in &r.credentials {
        let user = c.user.as_deref().map(|u| format!(" user={u}")).unwrap_or_default();
        let it = c.iterations.map(|i| format!(" iterations={i}")).unwrap_or_default();
        outln!("  {} {}{user}{it} roles=[{}]", c.id, c.kind, c.roles.join(", "));
    }
    outln!("origins: {}", if r.origins.is_empty() { "-".into() } else { r.origins.join(", ") });
    outln!("rules:");
    for (i, rule) in r.rules.iter().enumerate() {
        let auth = if rule.auth.is_empty() { "public".to_string() } else { rule.auth.join("+") };
        let mut extra = String::new();
        if !rule.roles_any.is_empty() {
            extra.push_str(&format!(" roles_any=[{}]", rule.roles_any.join(", ")));
        }
        if !rule.roles_all.is_empty() {
            extra.push_str(&format!(" roles_all=[{}]", rule.roles_all.join(", ")));
        }
        if rule.require_mfa {
            extra.push_str(" mfa");
        }
        if let Some(age) = rule.max_auth_age_s {
            extra.push_str(&format!(" max_auth_age={age}s"));
        }
        outln!(
            "  {:>2}. {} {} {} [{}]{extra} ip_allow={} ip_deny={} origins={}",
            i.saturating_add(1),
            rule.name,
            rule.methods.join(","),
            rule.path,
            auth,
            rule.ip_allow,
            rule.ip_deny,
            rule.origins
        );
    }
}
