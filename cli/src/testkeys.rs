//! Private JWKs for testing: `warden key new --alg ES256|…` makes them, `warden token mint`
//! signs with them (RSA, P-256, P-384, Ed25519 through RustCrypto's signing crates).
//!
//! They live in a JWK Set file of their own (never in a policy, never in the keyring the
//! engine loads) whose `warden` member says it is for tests only. A keys file may name such
//! files (`private_jwks = ["…"]`) so that `token mint --keys` finds every test key in one place.

use std::path::Path;

use serde_json::{Map, Value};
use warden::policy::Alg;

use crate::encoding::b64url_nopad;
use crate::jwks::{Curve, OwnedPublicKey};

/// The marker every file written here carries (RFC 7517 §5 lets a JWK Set have members of its
/// own; readers ignore what they do not know).
pub const TEST_ONLY: &str =
    "DEV KEYS: private keys for tests only (warden key new); never use them in production, never put them in a policy";

/// A private key for minting test tokens.
#[derive(Clone)]
pub struct PrivateJwk {
    /// Key id (`kid`).
    pub kid: String,
    /// The algorithm it signs with.
    pub alg: Alg,
    key: PrivateKey,
}

impl core::fmt::Debug for PrivateJwk {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PrivateJwk").field("kid", &self.kid).field("alg", &self.alg).finish_non_exhaustive()
    }
}

#[derive(Clone)]
enum PrivateKey {
    Rsa(Box<rsa::PrivateKey>),
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    Ed25519(Box<ed25519_dalek::SigningKey>),
}

fn rng() -> rand_core::UnwrapErr<getrandom::SysRng> {
    rand_core::UnwrapErr(getrandom::SysRng)
}

/// A fresh random 32- or 48-byte scalar for `make`, retried until the curve accepts it.
fn ec_key<K>(len: usize, make: impl Fn(&[u8]) -> Option<K>) -> Result<K, String> {
    for _ in 0..64 {
        if let Some(k) = make(&crate::commands::random_bytes(len)?) {
            return Ok(k);
        }
    }
    Err("no usable random scalar".into())
}

impl PrivateJwk {
    /// A fresh key for `alg` (RSA: `rsa_bits`, 2048 to 4096).
    ///
    /// # Errors
    /// No randomness, an HMAC `alg`, an RSA size out of range.
    pub fn generate(alg: Alg, kid: &str, rsa_bits: usize) -> Result<Self, String> {
        let key = match alg {
            Alg::Rs256 | Alg::Rs384 | Alg::Rs512 | Alg::Ps256 | Alg::Ps384 | Alg::Ps512 => {
                if !(2048..=4096).contains(&rsa_bits) {
                    return Err(format!("--bits {rsa_bits}: Warden verifies RSA keys of 2048 to 4096 bits"));
                }
                let k = rsa::PrivateKey::new(&mut rng(), rsa_bits).map_err(|e| format!("RSA key generation: {e}"))?;
                PrivateKey::Rsa(Box::new(k))
            }
            Alg::Es256 => PrivateKey::P256(ec_key(32, |b| p256::ecdsa::SigningKey::from_slice(b).ok())?),
            Alg::Es384 => PrivateKey::P384(ec_key(48, |b| p384::ecdsa::SigningKey::from_slice(b).ok())?),
            Alg::EdDsa => {
                let seed: [u8; 32] =
                    crate::commands::random_bytes(32)?.try_into().map_err(|_| "no randomness".to_string())?;
                PrivateKey::Ed25519(Box::new(ed25519_dalek::SigningKey::from_bytes(&seed)))
            }
            Alg::Hs256 | Alg::Hs384 | Alg::Hs512 => return Err(format!("{} is an HMAC algorithm", alg.name())),
        };
        Ok(Self { kid: kid.to_string(), alg, key })
    }

    /// The public key, as a policy stores it.
    #[must_use]
    pub fn public(&self) -> OwnedPublicKey {
        match &self.key {
            PrivateKey::Rsa(k) => {
                use rsa::traits::PublicKeyParts;
                let e = k.e().to_be_bytes_trimmed_vartime();
                let e = e.iter().fold(0u32, |acc, b| acc.checked_shl(8).unwrap_or(0) | u32::from(*b));
                OwnedPublicKey::Rsa { n: k.n().to_be_bytes_trimmed_vartime().to_vec(), e }
            }
            PrivateKey::P256(k) => OwnedPublicKey::Ec {
                crv: Curve::P256,
                sec1: k.verifying_key().to_sec1_point(false).as_bytes().to_vec(),
            },
            PrivateKey::P384(k) => OwnedPublicKey::Ec {
                crv: Curve::P384,
                sec1: k.verifying_key().to_sec1_point(false).as_bytes().to_vec(),
            },
            PrivateKey::Ed25519(k) => OwnedPublicKey::Ed25519(k.verifying_key().to_bytes()),
        }
    }

    /// The public JWK (`kty`, key members, `kid`, `alg`, `use`), as an identity provider
    /// publishes it.
    #[must_use]
    pub fn public_jwk(&self) -> Value {
        let mut m = public_members(&self.public());
        m.insert("kid".into(), Value::from(self.kid.clone()));
        m.insert("alg".into(), Value::from(self.alg.name()));
        m.insert("use".into(), Value::from("sig"));
        Value::Object(m)
    }

    /// The private JWK (the public one plus the private members).
    #[must_use]
    pub fn private_jwk(&self) -> Value {
        let Value::Object(mut m) = self.public_jwk() else { return Value::Null };
        let mut put = |name: &str, bytes: &[u8]| {
            m.insert(name.into(), Value::from(b64url_nopad(bytes)));
        };
        match &self.key {
            PrivateKey::Rsa(k) => {
                use rsa::traits::PrivateKeyParts;
                put("d", &k.d().to_be_bytes_trimmed_vartime());
                if let [p, q] = k.primes() {
                    put("p", &p.to_be_bytes_trimmed_vartime());
                    put("q", &q.to_be_bytes_trimmed_vartime());
                }
                if let (Some(dp), Some(dq), Some(qi)) = (k.dp(), k.dq(), k.crt_coefficient()) {
                    put("dp", &dp.to_be_bytes_trimmed_vartime());
                    put("dq", &dq.to_be_bytes_trimmed_vartime());
                    put("qi", &qi.to_be_bytes_trimmed_vartime());
                }
            }
            PrivateKey::P256(k) => put("d", &k.to_bytes()),
            PrivateKey::P384(k) => put("d", &k.to_bytes()),
            PrivateKey::Ed25519(k) => put("d", &k.to_bytes()),
        }
        Value::Object(m)
    }

    /// The RSA private key, for tests that sign in ways `sign` does not (another hash's
    /// DigestInfo, another PSS salt length).
    #[must_use]
    pub fn rsa_key(&self) -> Option<&rsa::PrivateKey> {
        match &self.key {
            PrivateKey::Rsa(k) => Some(k),
            _ => None,
        }
    }

    /// The private key as DER, the form other JWT libraries read: PKCS#1 `RSAPrivateKey` for
    /// RSA, PKCS#8 (RFC 5208, RFC 5915, RFC 8410) for P-256, P-384 and Ed25519.
    ///
    /// # Errors
    /// An RSA key that does not encode.
    pub fn der(&self) -> Result<Vec<u8>, String> {
        // PKCS#8 PrivateKeyInfo prefixes up to the private scalar or seed (no optional fields).
        const P256: &str = "3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420";
        const P384: &str = "304e020100301006072a8648ce3d020106052b81040022043730350201010430";
        const ED25519: &str = "302e020100300506032b657004220420";
        let with = |prefix: &str, secret: &[u8]| {
            let mut der = crate::encoding::from_hex(prefix).unwrap_or_default();
            der.extend_from_slice(secret);
            der
        };
        Ok(match &self.key {
            PrivateKey::Rsa(k) => {
                use rsa::pkcs1::EncodeRsaPrivateKey;
                k.to_pkcs1_der().map_err(|e| e.to_string())?.as_bytes().to_vec()
            }
            PrivateKey::P256(k) => with(P256, &k.to_bytes()),
            PrivateKey::P384(k) => with(P384, &k.to_bytes()),
            PrivateKey::Ed25519(k) => with(ED25519, &k.to_bytes()),
        })
    }

    /// Signs a JWS signing input with `alg` (which must suit the key).
    ///
    /// # Errors
    /// An `alg` this key cannot sign with.
    pub fn sign(&self, alg: Alg, input: &[u8]) -> Result<Vec<u8>, String> {
        use rsa::signature::{RandomizedSigner, SignatureEncoding, Signer};
        let wrong = || format!("key `{}` cannot sign {}", self.kid, alg.name());
        Ok(match (&self.key, alg) {
            (PrivateKey::Rsa(k), Alg::Rs256) => {
                rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(k.as_ref().clone()).sign(input).to_vec()
            }
            (PrivateKey::Rsa(k), Alg::Rs384) => {
                rsa::pkcs1v15::SigningKey::<sha2::Sha384>::new(k.as_ref().clone()).sign(input).to_vec()
            }
            (PrivateKey::Rsa(k), Alg::Rs512) => {
                rsa::pkcs1v15::SigningKey::<sha2::Sha512>::new(k.as_ref().clone()).sign(input).to_vec()
            }
            (PrivateKey::Rsa(k), Alg::Ps256) => {
                rsa::pss::SigningKey::<sha2::Sha256>::new(k.as_ref().clone()).sign_with_rng(&mut rng(), input).to_vec()
            }
            (PrivateKey::Rsa(k), Alg::Ps384) => {
                rsa::pss::SigningKey::<sha2::Sha384>::new(k.as_ref().clone()).sign_with_rng(&mut rng(), input).to_vec()
            }
            (PrivateKey::Rsa(k), Alg::Ps512) => {
                rsa::pss::SigningKey::<sha2::Sha512>::new(k.as_ref().clone()).sign_with_rng(&mut rng(), input).to_vec()
            }
            (PrivateKey::P256(k), Alg::Es256) => {
                let s: p256::ecdsa::Signature = k.sign(input);
                s.to_bytes().to_vec()
            }
            (PrivateKey::P384(k), Alg::Es384) => {
                let s: p384::ecdsa::Signature = k.sign(input);
                s.to_bytes().to_vec()
            }
            (PrivateKey::Ed25519(k), Alg::EdDsa) => k.sign(input).to_bytes().to_vec(),
            _ => return Err(wrong()),
        })
    }
}

fn public_members(key: &OwnedPublicKey) -> Map<String, Value> {
    // The thumbprint input has exactly the required members (RFC 7638 §3.2).
    match serde_json::from_str::<Value>(&key.thumbprint_input()) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

/// A JWK Set document (RFC 7517 §5): the test-only marker first when there is one, then the
/// keys, each JWK's members in lexicographic order (as RFC 7638 orders them).
#[derive(Debug, Clone, serde::Serialize)]
pub struct JwkSetDocument {
    #[serde(skip_serializing_if = "Option::is_none")]
    warden: Option<&'static str>,
    keys: Vec<Value>,
}

impl core::fmt::Display for JwkSetDocument {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&serde_json::to_string(self).map_err(|_| core::fmt::Error)?)
    }
}

/// A JWK Set document of these keys' public JWKs.
#[must_use]
pub fn public_set(keys: &[PrivateJwk]) -> JwkSetDocument {
    JwkSetDocument { warden: None, keys: keys.iter().map(PrivateJwk::public_jwk).collect() }
}

/// A private JWK Set document, marked test-only.
#[must_use]
pub fn private_set(keys: &[PrivateJwk]) -> JwkSetDocument {
    JwkSetDocument { warden: Some(TEST_ONLY), keys: keys.iter().map(PrivateJwk::private_jwk).collect() }
}

fn member(m: &Map<String, Value>, name: &str) -> Result<Vec<u8>, String> {
    use base64::Engine as _;
    let text = m.get(name).and_then(Value::as_str).ok_or_else(|| format!("no `{name}`"))?;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).map_err(|_| format!("`{name}` is not base64url"))
}

fn uint(bytes: &[u8]) -> rsa::BoxedUint {
    rsa::BoxedUint::from_be_slice_vartime(bytes)
}

/// Reads the private keys of a JWK Set text (JWKs without private members are skipped).
///
/// # Errors
/// Not a JWK Set, or a private JWK that does not make a key.
pub fn parse_private_set(text: &str) -> Result<Vec<PrivateJwk>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let keys = v.get("keys").and_then(Value::as_array).ok_or("not a JWK Set (no `keys` array)")?;
    let mut out = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let m = k.as_object().ok_or_else(|| format!("JWK #{i} is not an object"))?;
        if !m.contains_key("d") {
            continue;
        }
        let kid = m.get("kid").and_then(Value::as_str).ok_or_else(|| format!("JWK #{i} has no `kid`"))?.to_string();
        let bad = |e: String| format!("JWK #{i} (kid \"{kid}\"): {e}");
        let alg_name = m.get("alg").and_then(Value::as_str).ok_or_else(|| bad("no `alg`".into()))?;
        let alg = Alg::from_name(alg_name.as_bytes()).ok_or_else(|| bad(format!("unknown `alg` {alg_name}")))?;
        let key = match (m.get("kty").and_then(Value::as_str), m.get("crv").and_then(Value::as_str)) {
            (Some("RSA"), _) => {
                let get = |n: &str| member(m, n).map_err(bad);
                let key = rsa::PrivateKey::from_components(
                    uint(&get("n")?),
                    uint(&get("e")?),
                    uint(&get("d")?),
                    vec![uint(&get("p")?), uint(&get("q")?)],
                )
                .map_err(|e| bad(format!("not an RSA key: {e}")))?;
                PrivateKey::Rsa(Box::new(key))
            }
            (Some("EC"), Some("P-256")) => PrivateKey::P256(
                p256::ecdsa::SigningKey::from_slice(&member(m, "d").map_err(bad)?).map_err(|e| bad(e.to_string()))?,
            ),
            (Some("EC"), Some("P-384")) => PrivateKey::P384(
                p384::ecdsa::SigningKey::from_slice(&member(m, "d").map_err(bad)?).map_err(|e| bad(e.to_string()))?,
            ),
            (Some("OKP"), Some("Ed25519")) => {
                let d: [u8; 32] =
                    member(m, "d").map_err(bad)?.try_into().map_err(|_| bad("`d` is not 32 bytes".into()))?;
                PrivateKey::Ed25519(Box::new(ed25519_dalek::SigningKey::from_bytes(&d)))
            }
            _ => return Err(bad("a key type Warden cannot sign with".into())),
        };
        let jwk = PrivateJwk { kid, alg, key };
        if !jwk.public().fits(alg) {
            return Err(format!("JWK #{i} (kid \"{}\"): `alg` {} does not fit its key", jwk.kid, alg.name()));
        }
        out.push(jwk);
    }
    Ok(out)
}

/// Reads a private JWK Set file.
///
/// # Errors
/// Unreadable, or as [`parse_private_set`].
pub fn read_private_set(path: &Path) -> Result<Vec<PrivateJwk>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse_private_set(&text).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_round_trip_through_their_private_jwk_and_verify_in_the_core() {
        for alg in [Alg::Es256, Alg::Es384, Alg::EdDsa, Alg::Rs256, Alg::Ps384] {
            let k = PrivateJwk::generate(alg, "t", 2048).unwrap();
            let text = private_set(core::slice::from_ref(&k)).to_string();
            assert!(text.contains("DEV KEYS"));
            let back = parse_private_set(&text).unwrap();
            assert_eq!(back[0].public(), k.public());
            let sig = back[0].sign(alg, b"a.b").unwrap();
            let public = k.public();
            assert_eq!(warden::internal::verify_signature_vartime(alg, &public.as_core(), b"a.b", &sig), Some(true));
            assert_eq!(warden::internal::verify_signature_vartime(alg, &public.as_core(), b"a.c", &sig), Some(false));
            // The public set passes the compiler's JWK checks.
            let set = crate::jwks::parse(&public_set(&[k]).to_string()).unwrap();
            assert_eq!(set[0].alg, Some(alg));
        }
    }
}
