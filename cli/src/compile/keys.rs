//! `[[key]]` tables.

use super::*;

impl Compiler {
    pub(super) fn keys(&mut self, src: &PolicySource) -> Vec<OwnedKey> {
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
}
