//! Tokens minted by another implementation (the `jsonwebtoken` crate) verify in Warden, for
//! HS256/HS384/HS512 and every public-key algorithm (the identity provider keys of the example
//! policy), with and without `kid`, with `aud` as a string and as an array.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use std::path::Path;

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde::Serialize;
use warden::{Engine, Header as ReqHeader, Request};

const NOW: u64 = 1_767_225_600;

#[derive(Serialize)]
struct Claims<'a> {
    sub: &'a str,
    iss: Option<&'a str>,
    aud: Option<serde_json_like::Aud<'a>>,
    exp: u64,
    iat: u64,
    roles: Vec<&'a str>,
    groups: Vec<&'a str>,
}

mod serde_json_like {
    use serde::Serialize;
    #[derive(Serialize)]
    #[serde(untagged)]
    pub(crate) enum Aud<'a> {
        One(&'a str),
        Many(Vec<&'a str>),
    }
}

fn decide(token: &str, path: &str) -> (u16, &'static str, Option<String>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let blob = std::fs::read(root.join("policies/edge-api.wdn")).unwrap();
    let keyring = warden_cli::keys::load(&root.join("policies/edge-api.keys.toml")).unwrap();
    let engine = Engine::load(&blob, &keyring.material()).unwrap();
    let auth = format!("Bearer {token}");
    let headers = [ReqHeader::new(b"authorization", auth.as_bytes())];
    let request = Request::new(b"GET", path.as_bytes(), NOW).with_headers(&headers);
    let d = engine.evaluate(&request);
    (d.status(), d.reason().as_str(), d.subject().map(str::to_owned))
}

fn secret(id: &str) -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let keyring = warden_cli::keys::load(&root.join("policies/edge-api.keys.toml")).unwrap();
    keyring.get(id).unwrap().to_vec()
}

fn mint(alg: Algorithm, kid: Option<&str>, key_id: &str, claims: &Claims<'_>) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    encode(&header, claims, &EncodingKey::from_secret(&secret(key_id))).unwrap()
}

fn claims<'a>(iss: Option<&'a str>, aud: Option<serde_json_like::Aud<'a>>) -> Claims<'a> {
    Claims {
        sub: "interop",
        iss,
        aud,
        exp: NOW + 600,
        iat: NOW - 10,
        roles: vec!["orders:read"],
        groups: vec!["partner", "orders:read"],
    }
}

#[test]
fn hs256_from_jsonwebtoken_with_and_without_kid_and_both_aud_shapes() {
    use serde_json_like::Aud;
    let iss = Some("https://auth.example.com");
    for aud in [Aud::One("edge-api"), Aud::Many(vec!["other", "edge-api"])] {
        let c = claims(iss, Some(aud));
        for kid in [Some("2026-q4"), None] {
            let t = mint(Algorithm::HS256, kid, "2026-q4", &c);
            assert_eq!(decide(&t, "/api/v1/orders/7"), (200, "allowed", Some("interop".into())), "kid {kid:?}");
        }
    }
}

#[test]
fn hs384_and_hs512_from_jsonwebtoken() {
    use serde_json_like::Aud;
    let partner = claims(Some("https://partners.example.net"), Some(Aud::Many(vec!["edge-api-partners"])));
    for kid in [Some("partner-hs384"), None] {
        let t = mint(Algorithm::HS384, kid, "partner-hs384", &partner);
        assert_eq!(decide(&t, "/partners/acme/feed"), (200, "allowed", Some("interop".into())), "HS384 kid {kid:?}");
    }
    let ops = claims(None, None);
    for kid in [Some("ops-hs512"), None] {
        let t = mint(Algorithm::HS512, kid, "ops-hs512", &ops);
        assert_eq!(decide(&t, "/api/v1/orders/7"), (200, "allowed", Some("interop".into())), "HS512 kid {kid:?}");
    }
}

#[test]
fn jsonwebtoken_tokens_fail_the_same_way_warden_says() {
    use serde_json_like::Aud;
    let mut c = claims(Some("https://auth.example.com"), Some(Aud::One("edge-api")));
    c.exp = NOW - 61;
    let t = mint(Algorithm::HS256, Some("2026-q4"), "2026-q4", &c);
    assert_eq!(decide(&t, "/api/v1/orders/7").1, "token_expired");
    let c = claims(Some("https://auth.example.com"), Some(Aud::One("edge-api")));
    let t = mint(Algorithm::HS256, Some("2026-q4"), "ops-hs512", &c);
    assert_eq!(decide(&t, "/api/v1/orders/7").1, "token_bad_signature");
}

/// Every public-key algorithm: tokens that `jsonwebtoken` signs with the example identity
/// provider's dev private keys (policies/idp.dev-private.jwks.json, exported as DER) verify,
/// with `kid` and without (then tried against the policy's keys of the header's `alg`).
#[test]
fn every_public_key_algorithm_from_jsonwebtoken_with_and_without_kid() {
    use serde_json_like::Aud;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let keys = warden_cli::testkeys::read_private_set(&root.join("policies/idp.dev-private.jwks.json")).unwrap();
    let c = claims(Some("https://idp.example.com"), Some(Aud::One("edge-api")));
    let mut seen = Vec::new();
    for k in &keys {
        let der = k.der().unwrap();
        let (alg, key) = match k.alg.name() {
            "RS256" => (Algorithm::RS256, EncodingKey::from_rsa_der(&der)),
            "RS384" => (Algorithm::RS384, EncodingKey::from_rsa_der(&der)),
            "RS512" => (Algorithm::RS512, EncodingKey::from_rsa_der(&der)),
            "PS256" => (Algorithm::PS256, EncodingKey::from_rsa_der(&der)),
            "PS384" => (Algorithm::PS384, EncodingKey::from_rsa_der(&der)),
            "PS512" => (Algorithm::PS512, EncodingKey::from_rsa_der(&der)),
            "ES256" => (Algorithm::ES256, EncodingKey::from_ec_der(&der)),
            "ES384" => (Algorithm::ES384, EncodingKey::from_ec_der(&der)),
            "EdDSA" => (Algorithm::EdDSA, EncodingKey::from_ed_der(&der)),
            other => panic!("unexpected dev key algorithm {other}"),
        };
        for kid in [Some(k.kid.as_str()), None] {
            let mut header = Header::new(alg);
            header.kid = kid.map(str::to_owned);
            let t = encode(&header, &c, &key).unwrap();
            assert_eq!(decide(&t, "/api/v1/orders/7"), (200, "allowed", Some("interop".into())), "{alg:?} kid {kid:?}");
        }
        seen.push(k.alg.name());
    }
    seen.sort_unstable();
    assert_eq!(seen, ["ES256", "ES384", "EdDSA", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512"]);
}
