//! `[[key]]` tables: HMAC keys (`id`, `alg`; the secret is in the keys file) and JWK Sets of
//! public keys (`jwks`, read and checked by [`crate::jwks`]).

use super::*;
use crate::jwks::{self, PublicJwk};
use crate::source::KeySource;

/// A table's claims rules, shared by every key it makes.
struct Rules {
    issuer: Option<String>,
    audience: Option<String>,
    roles_claim: String,
}

impl Compiler {
    pub(super) fn keys(&mut self, src: &PolicySource) -> Vec<OwnedKey> {
        let mut out: Vec<OwnedKey> = Vec::new();
        let mut ids: Vec<String> = Vec::new();
        for table in &src.key {
            let table_span = table.span();
            let k = table.get_ref();
            let rules = self.key_rules(k);
            let alg = k.alg.as_ref().and_then(|a| self.alg(a, k.jwks.is_some()));
            match &k.jwks {
                None => {
                    let Some(id_src) = &k.id else {
                        self.error(
                            table_span,
                            "this [[key]] has neither `id` nor `jwks`",
                            "an HMAC key needs `id` (the JWT `kid`) and `alg`; public keys come from `jwks = \"FILE.jwks.json\"`",
                        );
                        continue;
                    };
                    let id = self.name(id_src, "a key id");
                    if ids.contains(&id) {
                        self.error(
                            id_src.span(),
                            format!("key id `{id}` is used twice"),
                            "give every [[key]] its own id (it is the JWT `kid`)",
                        );
                    }
                    ids.push(id.clone());
                    if rules.audience.is_none() {
                        self.warn(
                            id_src.span(),
                            format!(
                                "key `{id}` has no `audience`: every service that holds this key accepts its tokens that carry no `aud`"
                            ),
                            "add `audience = \"<this service>\"`, so that a token minted for another service is refused (RFC 7519 §4.1.3)",
                        );
                    }
                    let Some(alg_src) = &k.alg else {
                        self.error(
                            table_span,
                            format!("key `{id}` has no `alg`"),
                            "add `alg = \"HS256\"` (or HS384, HS512); public keys come from `jwks = \"FILE\"`",
                        );
                        continue;
                    };
                    if alg.is_some_and(|a| !a.is_hmac()) {
                        self.error(
                            alg_src.span(),
                            format!("`{}` is a public-key algorithm, but this key has no `jwks`", alg_src.get_ref()),
                            "public keys come from a JWK Set file: add `jwks = \"idp.jwks.json\"` (the identity provider's jwks_uri document)",
                        );
                    }
                    let alg = alg.unwrap_or(Alg::Hs256);
                    self.key_spans.push(table_span.clone());
                    out.push(OwnedKey {
                        id,
                        alg,
                        issuer: rules.issuer.clone(),
                        audience: rules.audience.clone(),
                        roles_claim: rules.roles_claim.clone(),
                        public_key: None,
                    });
                }
                Some(file) => {
                    if let (Some(a), Some(alg_src)) = (alg, &k.alg)
                        && a.is_hmac()
                    {
                        self.error(
                            alg_src.span(),
                            format!("`{}` is an HMAC algorithm, but this key reads public keys from `jwks`", a.name()),
                            "use the algorithm the JWKs verify (RS256, PS256, ES256, EdDSA, …), or make an HMAC key a [[key]] of its own without `jwks`",
                        );
                        continue;
                    }
                    let table_id = k.id.as_ref().map(|i| self.name(i, "a key id"));
                    if rules.audience.is_none() {
                        // One warning for the table, however many keys the set holds.
                        let which = table_id.as_ref().map_or_else(
                            || format!("the key set `{}`", file.get_ref()),
                            |id| format!("key table `{id}` (`jwks = \"{}\"`)", file.get_ref()),
                        );
                        self.warn(
                            file.span(),
                            format!(
                                "{which} has no `audience`: every service that trusts these keys accepts their tokens that carry no `aud`"
                            ),
                            "add `audience = \"<this service>\"`, so that a token the identity provider minted for another service is refused (RFC 7519 §4.1.3)",
                        );
                    }
                    let Some(set) = self.read_jwks(file) else { continue };
                    for jwk in set {
                        if let Some(key) = self.jwk_key(file, &jwk, table_id.as_deref(), alg, &rules, &mut ids) {
                            self.key_spans.push(table_span.clone());
                            out.push(key);
                        }
                    }
                }
            }
        }
        out
    }

    /// The algorithm named by a table's `alg`, or `None` after an error.
    fn alg(&mut self, a: &Spanned<String>, jwks: bool) -> Option<Alg> {
        if let Some(alg) = Alg::from_name(a.get_ref().as_bytes()) {
            return Some(alg);
        }
        let v = a.get_ref();
        let known = if jwks {
            "\"RS256\", \"RS384\", \"RS512\", \"PS256\", \"PS384\", \"PS512\", \"ES256\", \"ES384\" or \"EdDSA\""
        } else {
            "\"HS256\", \"HS384\" or \"HS512\" (public keys come from `jwks`)"
        };
        let help = if v.eq_ignore_ascii_case("none") {
            format!("unsigned tokens are never accepted (RFC 8725); use {known}")
        } else if let Some(fixed) = Alg::ALL.iter().find(|x| x.name().eq_ignore_ascii_case(v)) {
            format!("algorithm names are case-sensitive: write \"{}\"", fixed.name())
        } else {
            format!("use {known}")
        };
        self.error(a.span(), format!("unknown alg `{v}`"), help);
        None
    }

    fn key_rules(&mut self, k: &KeySource) -> Rules {
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
        Rules { issuer, audience, roles_claim }
    }

    /// Reads and checks the JWK Set a `jwks` entry names; every problem is a diagnostic at the
    /// entry.
    fn read_jwks(&mut self, file: &Spanned<String>) -> Option<Vec<PublicJwk>> {
        let name = file.get_ref();
        let Some(base) = self.base.clone() else {
            self.error(
                file.span(),
                format!("cannot read the JWK Set `{name}`: this policy was given as text, not as a file"),
                "compile the policy from its file (`warden compile POLICY.toml`) so that `jwks` paths have a directory",
            );
            return None;
        };
        let path = base.join(name);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                self.error(
                    file.span(),
                    format!("cannot read the JWK Set `{name}`: {e}"),
                    "the path is relative to the policy file; download the identity provider's jwks_uri document there",
                );
                return None;
            }
        };
        match jwks::parse(&text) {
            Ok(set) => Some(set),
            Err(problems) => {
                for p in problems {
                    self.error(file.span(), format!("`{name}`: {} {}", p.which(), p.message), p.help);
                }
                None
            }
        }
    }

    /// One JWK as a key, with its id and algorithm resolved.
    fn jwk_key(
        &mut self,
        file: &Spanned<String>,
        jwk: &PublicJwk,
        table_id: Option<&str>,
        table_alg: Option<Alg>,
        rules: &Rules,
        ids: &mut Vec<String>,
    ) -> Option<OwnedKey> {
        let name = file.get_ref();
        let which = jwk.kid.as_ref().map_or_else(
            || format!("JWK #{} (no kid)", jwk.index),
            |k| format!("JWK #{} (kid \"{}\")", jwk.index, k.escape_debug()),
        );
        let Some(id) = jwk.kid.clone().or_else(|| table_id.map(str::to_string)) else {
            self.error(
                file.span(),
                format!("`{name}`: {which} has no `kid` and the [[key]] has no `id`"),
                "add `id = \"…\"` to the [[key]] (it becomes this JWK's key id), or a `kid` to the JWK",
            );
            return None;
        };
        if ids.contains(&id) {
            self.error(
                file.span(),
                format!("`{name}`: {which} has the key id `{id}`, which another key already has"),
                "every key needs its own id (a token's `kid` must name one key): fix the set or rename the other key",
            );
            return None;
        }
        ids.push(id.clone());
        let Some(alg) = jwk.alg.or(table_alg) else {
            self.error(
                file.span(),
                format!("`{name}`: {which} has no `alg` and the [[key]] has no `alg`"),
                format!("add `alg = \"…\"` to the [[key]] (this key verifies {})", jwk.key.algs()),
            );
            return None;
        };
        if !jwk.key.fits(alg) {
            self.error(
                file.span(),
                format!(
                    "`{name}`: {which} takes the table's `alg` {}, but its key verifies {}",
                    alg.name(),
                    jwk.key.algs()
                ),
                "give the JWK its own `alg`, or put keys of different types in [[key]] tables of their own",
            );
            return None;
        }
        Some(OwnedKey {
            id,
            alg,
            issuer: rules.issuer.clone(),
            audience: rules.audience.clone(),
            roles_claim: rules.roles_claim.clone(),
            public_key: Some(jwk.key.clone()),
        })
    }
}
