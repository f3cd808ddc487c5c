//! `[[credential]]` tables, and the role lists that they and the rules name.

use super::*;

impl Compiler {
    pub(super) fn role_list(&mut self, list: Option<&StrList>, what: &str) -> (RoleSet, Vec<At<usize>>) {
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

    pub(super) fn credentials(&mut self, src: &PolicySource) -> (Vec<OwnedCredential>, Vec<CredentialFacts>) {
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

    pub(super) fn digest(&mut self, d: &Spanned<String>) -> [u8; 32] {
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
}
