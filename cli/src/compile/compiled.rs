//! The compiled policy: the core's type, the encoded bytes, the load self-check.

use super::*;

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
                    public_key: k.public_key.as_ref().map_or(warden::policy::PublicKey::Secret, |p| p.as_core()),
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

    /// Ids of the HMAC keys, the ones that need a secret from the keys file.
    #[must_use]
    pub fn hmac_key_ids(&self) -> Vec<&str> {
        self.keys.iter().filter(|k| k.public_key.is_none()).map(|k| k.id.as_str()).collect()
    }

    /// Loads the encoded policy with throw-away secrets, to prove the core accepts it.
    pub(super) fn self_check(&self) -> Result<(), String> {
        let blob = self.encode(None)?;
        let secret = [0x5au8; 64];
        let keyring: Vec<KeyMaterial<'_>> = self
            .keys
            .iter()
            .filter(|k| k.public_key.is_none())
            .map(|k| KeyMaterial { id: &k.id, secret: &secret })
            .collect();
        warden::Engine::load(&blob, &keyring).map(|_| ()).map_err(|e| e.to_string())
    }
}
