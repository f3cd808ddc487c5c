//! `warden token mint`: compact JWS tokens for testing policies: HMAC (HS256/384/512) with a
//! secret of the keys file, or a public-key algorithm with a private test JWK (`warden key new`)
//! that the keys file names in `private_jwks` or that `--keys` gives directly.
//!
//! With `--policy`, the token is made for that policy's key `--kid`: its `alg`, `iss`,
//! `aud` and roles claim name are taken from the key's table unless given on the command
//! line, so the token passes the key checks of the policy it is meant for.
//!
//! Besides the claims a policy reads, a few flags exist only to make deliberately bad tokens
//! for negative tests: `--key` signs with another key's secret, `--header-alg` writes another
//! `alg` into the header (`none` leaves the signature empty), `--drop` removes a claim and
//! `--claim NAME=JSON` sets any claim to any JSON value.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use hmac::{KeyInit, Mac};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;
use warden::policy::Alg;

use super::key::AlgArg;
use super::{CommandResult, print_json};
use crate::bundle;
use crate::encoding::b64url_nopad;
use crate::exit;
use crate::keys;
use crate::request::system_now;

/// `token` subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Print a signed JWT.
    Mint(Box<MintArgs>),
}

/// Arguments of `token mint`.
#[derive(Debug, Args)]
pub struct MintArgs {
    /// Keys file holding the secret (or naming private JWK files), or a private JWK Set file.
    #[arg(long, value_name = "FILE")]
    pub keys: PathBuf,
    /// Policy (`.toml` or `.wdn`) whose key `--kid` gives the defaults of `--alg`, `--iss`,
    /// `--aud` and `--roles-claim`.
    #[arg(long, value_name = "POLICY")]
    pub policy: Option<PathBuf>,
    /// Key id: written as the header `kid` and, unless `--key` is given, the secret used.
    #[arg(long, value_name = "K")]
    pub kid: String,
    /// Sign with this key's secret instead of the `--kid` one (negative tests).
    #[arg(long, value_name = "ID")]
    pub key: Option<String>,
    /// Subject (`sub`).
    #[arg(long, value_name = "S")]
    pub sub: String,
    /// Roles, comma-separated, written as an array claim.
    #[arg(long, value_delimiter = ',', value_name = "a,b")]
    pub roles: Vec<String>,
    /// Name of the roles claim (default: the policy key's `roles_claim`, else `roles`).
    #[arg(long, value_name = "NAME")]
    pub roles_claim: Option<String>,
    /// `scope` claim (space-separated roles).
    #[arg(long, value_name = "\"a b\"")]
    pub scope: Option<String>,
    /// Lifetime: `30s`, `15m`, `1h`, `2d` or seconds; `exp = now + ttl`.
    #[arg(long, default_value = "1h", value_parser = parse_ttl)]
    pub ttl: u64,
    /// An `amr` value; repeat for more (an array either way).
    #[arg(long, value_name = "VALUE")]
    pub amr: Vec<String>,
    /// `iss` claim (default: the policy key's `issuer`, if any).
    #[arg(long)]
    pub iss: Option<String>,
    /// `aud` value; one gives a string, several an array (default: the policy key's
    /// `audience`, if any).
    #[arg(long)]
    pub aud: Vec<String>,
    /// Signing algorithm (default: the policy key's `alg`, else HS256).
    #[arg(long, value_enum)]
    pub alg: Option<AlgArg>,
    /// Issue time for the token (default: the system clock).
    #[arg(long, value_name = "UNIX")]
    pub now: Option<u64>,
    /// `nbf` claim.
    #[arg(long, value_name = "UNIX")]
    pub nbf: Option<u64>,
    /// `exp` claim (default: now + ttl).
    #[arg(long, value_name = "UNIX")]
    pub exp: Option<u64>,
    /// `iat` claim (default: now).
    #[arg(long, value_name = "UNIX")]
    pub iat: Option<u64>,
    /// Leave `kid` out of the header.
    #[arg(long)]
    pub no_kid: bool,
    /// Write this `alg` into the header instead (negative tests; `none` = no signature).
    #[arg(long, value_name = "ALG")]
    pub header_alg: Option<String>,
    /// Remove a claim (e.g. `exp`, `iat`) after the others are set.
    #[arg(long, value_name = "CLAIM")]
    pub drop: Vec<String>,
    /// Set a claim to a JSON value, e.g. `--claim 'exp="soon"'` (applied last but before --drop).
    #[arg(long, value_name = "NAME=JSON")]
    pub claim: Vec<String>,
    /// Print one JSON object (`token`, `header`, `claims`) instead of the token alone.
    #[arg(long)]
    pub json: bool,
}

#[derive(serde::Serialize)]
struct MintJson<'a> {
    token: &'a str,
    header: &'a Object,
    claims: &'a Object,
}

/// A JSON object that keeps its members in the order they were set (the header and claims
/// read as written: `alg`, `typ`, `kid`; `sub`, `iss`, …).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Object(Vec<(String, Value)>);

impl Object {
    /// Sets a member, in place when it exists.
    pub fn insert(&mut self, name: String, value: Value) {
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some(member) => member.1 = value,
            None => self.0.push((name, value)),
        }
    }

    /// Removes a member.
    pub fn remove(&mut self, name: &str) {
        self.0.retain(|(n, _)| n != name);
    }

    /// A member's value.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
}

impl Serialize for Object {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// A minted token and what it says.
#[derive(Debug)]
pub struct Minted {
    /// The compact serialization.
    pub token: String,
    /// The JOSE header.
    pub header: Object,
    /// The claims.
    pub claims: Object,
}

/// What the policy's key `kid` configures, as owned values.
struct KeyDefaults {
    alg: Alg,
    issuer: Option<String>,
    audience: Option<String>,
    roles_claim: String,
}

fn policy_key(path: &std::path::Path, kid: &str) -> Result<KeyDefaults, String> {
    let blob = bundle::load_blob(path, false)?;
    let (_, body) = warden::blob::decode_body(&blob)
        .map_err(|e| format!("{} is not a usable compiled policy: {e}", path.display()))?;
    let key = body.keys.iter().find(|k| k.id == kid).ok_or_else(|| {
        let ids: Vec<&str> = body.keys.iter().map(|k| k.id).collect();
        format!("the policy {} has no key `{kid}` (its keys: {})", path.display(), ids.join(", "))
    })?;
    Ok(KeyDefaults {
        alg: key.alg,
        issuer: key.issuer.map(str::to_string),
        audience: key.audience.map(str::to_string),
        roles_claim: key.roles_claim.to_string(),
    })
}

/// Parses `30s`, `15m`, `1h`, `2d` or plain seconds.
///
/// # Errors
/// A message naming the accepted forms.
pub fn parse_ttl(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (digits, unit) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (s.get(..i).unwrap_or(""), c),
        _ => (s, 's'),
    };
    let n: u64 = digits.parse().map_err(|_| format!("{s:?} is not a duration (30s, 15m, 1h, 2d or seconds)"))?;
    let mult = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return Err(format!("{s:?}: the unit must be s, m, h or d")),
    };
    n.checked_mul(mult).ok_or_else(|| format!("{s:?} is too long"))
}

fn mac(alg: Alg, key: &[u8], data: &[u8]) -> Result<Vec<u8>, String> {
    let bad = |_| "the key cannot be used for HMAC".to_string();
    Ok(match alg {
        Alg::Hs256 => {
            let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).map_err(bad)?;
            m.update(data);
            m.finalize().into_bytes().to_vec()
        }
        Alg::Hs384 => {
            let mut m = hmac::Hmac::<sha2::Sha384>::new_from_slice(key).map_err(bad)?;
            m.update(data);
            m.finalize().into_bytes().to_vec()
        }
        Alg::Hs512 => {
            let mut m = hmac::Hmac::<sha2::Sha512>::new_from_slice(key).map_err(bad)?;
            m.update(data);
            m.finalize().into_bytes().to_vec()
        }
        other => return Err(format!("{} is not an HMAC algorithm", other.name())),
    })
}

/// Builds the token.
///
/// # Errors
/// A missing key or a bad `--claim`.
pub fn mint(a: &MintArgs) -> Result<Minted, String> {
    let keyring = keys::load_with_private(&a.keys)?;
    let signer = a.key.as_deref().unwrap_or(&a.kid);
    let secret = keyring.get(signer);
    let private = keyring.private.iter().find(|k| k.kid == signer);
    if secret.is_none() && private.is_none() {
        return Err(format!("{} has no key `{signer}` (neither a secret nor a private JWK)", a.keys.display()));
    }
    let defaults = a.policy.as_deref().map(|p| policy_key(p, &a.kid)).transpose()?;
    let alg = match (a.alg, &defaults, private) {
        (Some(alg), _, _) => alg.alg(),
        (None, Some(d), _) => d.alg,
        (None, None, Some(p)) if secret.is_none() => p.alg,
        (None, None, _) => Alg::Hs256,
    };
    let iss = a.iss.clone().or_else(|| defaults.as_ref().and_then(|d| d.issuer.clone()));
    let aud = match (&a.aud[..], defaults.as_ref().and_then(|d| d.audience.clone())) {
        ([], Some(one)) => vec![one],
        (given, _) => given.to_vec(),
    };
    let roles_claim = a
        .roles_claim
        .clone()
        .or_else(|| defaults.as_ref().map(|d| d.roles_claim.clone()))
        .unwrap_or_else(|| crate::compile::DEFAULT_ROLES_CLAIM.to_string());
    let now = match a.now {
        Some(n) => n,
        None => system_now()?,
    };

    let mut header = Object::default();
    header.insert("alg".into(), Value::from(a.header_alg.clone().unwrap_or_else(|| alg.name().to_string())));
    header.insert("typ".into(), Value::from("JWT"));
    if !a.no_kid {
        header.insert("kid".into(), Value::from(a.kid.clone()));
    }

    let mut claims = Object::default();
    claims.insert("sub".into(), Value::from(a.sub.clone()));
    if let Some(iss) = iss {
        claims.insert("iss".into(), Value::from(iss));
    }
    match aud.as_slice() {
        [] => {}
        [one] => {
            claims.insert("aud".into(), Value::from(one.clone()));
        }
        many => {
            claims.insert("aud".into(), Value::from(many.to_vec()));
        }
    }
    claims.insert("iat".into(), Value::from(a.iat.unwrap_or(now)));
    if let Some(nbf) = a.nbf {
        claims.insert("nbf".into(), Value::from(nbf));
    }
    let exp = match a.exp {
        Some(e) => e,
        None => now.checked_add(a.ttl).ok_or("now + ttl overflows")?,
    };
    claims.insert("exp".into(), Value::from(exp));
    if !a.roles.is_empty() {
        claims.insert(roles_claim, Value::from(a.roles.clone()));
    }
    if let Some(scope) = &a.scope {
        claims.insert("scope".into(), Value::from(scope.clone()));
    }
    if !a.amr.is_empty() {
        claims.insert("amr".into(), Value::from(a.amr.clone()));
    }
    for c in &a.claim {
        let (name, json) = c.split_once('=').ok_or_else(|| format!("--claim {c:?} is not NAME=JSON"))?;
        let value: Value = serde_json::from_str(json)
            .map_err(|e| format!("--claim {name}: {json:?} is not JSON ({e}); quote strings: 'name=\"text\"'"))?;
        claims.insert(name.to_string(), value);
    }
    for d in &a.drop {
        claims.remove(d);
    }

    let json = |m: &Object| serde_json::to_string(m).map_err(|e| e.to_string());
    let signing_input =
        format!("{}.{}", b64url_nopad(json(&header)?.as_bytes()), b64url_nopad(json(&claims)?.as_bytes()));
    let unsigned = a.header_alg.as_deref().is_some_and(|h| h.eq_ignore_ascii_case("none"));
    let signature = match (unsigned, secret, private) {
        (true, _, _) => Vec::new(),
        (false, Some(secret), _) if alg.is_hmac() => mac(alg, secret, signing_input.as_bytes())?,
        (false, _, Some(key)) if !alg.is_hmac() => key.sign(alg, signing_input.as_bytes())?,
        (false, _, _) => {
            return Err(format!(
                "key `{signer}` cannot sign {}: HMAC needs a secret of the keys file, the other algorithms a private JWK",
                alg.name()
            ));
        }
    };
    Ok(Minted { token: format!("{signing_input}.{}", b64url_nopad(&signature)), header, claims })
}

/// Runs `token`.
///
/// # Errors
/// As [`mint`].
pub fn run(c: &TokenCommand) -> CommandResult {
    let TokenCommand::Mint(a) = c;
    let minted = mint(a)?;
    if a.json {
        print_json(&MintJson { token: &minted.token, header: &minted.header, claims: &minted.claims })?;
    } else {
        outln!("{}", minted.token);
    }
    Ok(exit::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_units() {
        assert_eq!(parse_ttl("30s"), Ok(30));
        assert_eq!(parse_ttl("15m"), Ok(900));
        assert_eq!(parse_ttl("1h"), Ok(3600));
        assert_eq!(parse_ttl("2d"), Ok(172_800));
        assert_eq!(parse_ttl("45"), Ok(45));
        assert!(parse_ttl("1w").is_err());
        assert!(parse_ttl("h").is_err());
        assert!(parse_ttl("-1h").is_err());
    }

    #[test]
    fn hs256_matches_rfc_4231_case_2() {
        let m = mac(Alg::Hs256, b"Jefe", b"what do ya want for nothing?").unwrap();
        assert_eq!(crate::encoding::hex(&m), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
}
