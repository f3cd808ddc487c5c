//! Tokens minted by PyJWT (the JWT library of most Python services) decided by Warden on the
//! example policy, beside the `jsonwebtoken` interop test: `time.time()` float dates, `aud` as a
//! string and as an array, with and without `kid`, every algorithm (HS256/384/512 with the keys
//! file's secrets; RS256/384/512, PS256/384/512, ES256, ES384 and EdDSA with the identity
//! provider's dev private keys, `policies/idp.dev-private.jwks.json`), and the failures (wrong
//! audience, expired, not yet valid, wrong issuer, wrong key, step-up age) with the reasons
//! SPEC §4 gives. PyJWT's own verdict on each token, with the same key, issuer, audience and
//! leeway, is checked too, so every place the two disagree is written down here.
//!
//! Needs a Python with PyJWT: the `.ci/run` stage `interop_pyjwt` makes a venv under `target/`
//! from `interop/pyjwt-requirements.txt` (pinned, hash-checked) and runs
//! `WARDEN_PYJWT_PYTHON=target/pyjwt-venv/bin/python cargo test -p warden-cli --test interop_pyjwt -- --ignored`.
//!
//! Each scenario names the key that signs it by a [`Signer`]: an HMAC secret (PyJWT gets it as
//! an `oct` JWK) or a private JWK (PyJWT signs with it through `cryptography` and verifies with
//! its public half, the JWK the policy compiled).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use warden::{Engine, Header, Request};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Who signs a scenario's token.
#[derive(Clone, Copy)]
enum Signer {
    /// The HMAC secret of this key id in `policies/edge-api.keys.toml`.
    Hmac(&'static str),
    /// The private JWK of this key id in the dev private keys the keys file names.
    Private(&'static str),
}

/// What PyJWT's own `decode` says of the token, with the key's issuer, audience and the
/// policy's leeway.
#[derive(Clone, Copy)]
enum PyJwt {
    Accepts,
    /// The exception class PyJWT raises.
    Raises(&'static str),
}

struct Scenario {
    name: &'static str,
    alg: &'static str,
    signer: Signer,
    /// The key PyJWT is told to verify with and whose issuer and audience it requires (the
    /// policy key the token is meant for).
    meant_for: &'static str,
    kid: Option<&'static str>,
    /// Payload; `{"now+": N}` is PyJWT-side `time.time() + N`, a float.
    claims: Value,
    method: &'static str,
    path: &'static str,
    ip: Option<&'static str>,
    /// Warden's decision: status and reason.
    warden: (u16, &'static str),
    pyjwt: PyJwt,
}

fn now_plus(seconds: f64) -> Value {
    json!({ "now+": seconds })
}

/// Claims valid for `2026-q4` (iss, aud `edge-api`), role `orders:read`, float dates.
fn reader(aud: Value) -> Value {
    json!({
        "sub": "py-reader", "iss": "https://auth.example.com", "aud": aud,
        "iat": now_plus(0.0), "exp": now_plus(600.0), "roles": ["orders:read"],
    })
}

fn with(mut claims: Value, name: &str, value: Value) -> Value {
    claims[name] = value;
    claims
}

fn scenarios() -> Vec<Scenario> {
    let s = |name, alg, signer, meant_for, kid, claims, path, warden, pyjwt| Scenario {
        name,
        alg,
        signer,
        meant_for,
        kid,
        claims,
        method: "GET",
        path,
        ip: None,
        warden,
        pyjwt,
    };
    use PyJwt::{Accepts, Raises};
    use Signer::Hmac;
    let q4 = Hmac("2026-q4");
    let order = "/api/v1/orders/7";
    let allowed = (200, "allowed");
    let partner = json!({
        "sub": "py-partner", "iss": "https://partners.example.net", "aud": ["edge-api-partners"],
        "iat": now_plus(0.0), "exp": now_plus(600.0), "groups": ["partner"],
    });
    let ops = json!({ "sub": "py-ops", "iat": now_plus(0.0), "exp": now_plus(600.0), "roles": ["orders:read"] });
    let step_up = |auth_time: f64| {
        json!({
            "sub": "py-admin", "iss": "https://auth.example.com", "aud": "edge-api", "roles": ["admin"],
            "amr": ["pwd", "mfa"], "iat": now_plus(0.0), "exp": now_plus(600.0), "auth_time": now_plus(auth_time),
        })
    };
    let mut v = vec![
        // Allowed: float dates, both aud shapes, with and without kid, every HMAC algorithm.
        s(
            "hs256 aud string",
            "HS256",
            q4,
            "2026-q4",
            Some("2026-q4"),
            reader(json!("edge-api")),
            order,
            allowed,
            Accepts,
        ),
        s(
            "hs256 aud array",
            "HS256",
            q4,
            "2026-q4",
            Some("2026-q4"),
            reader(json!(["other", "edge-api"])),
            order,
            allowed,
            Accepts,
        ),
        s("hs256 without kid", "HS256", q4, "2026-q4", None, reader(json!("edge-api")), order, allowed, Accepts),
        s(
            "hs384 aud array",
            "HS384",
            Hmac("partner-hs384"),
            "partner-hs384",
            Some("partner-hs384"),
            partner.clone(),
            "/partners/acme/feed",
            allowed,
            Accepts,
        ),
        s(
            "hs384 without kid",
            "HS384",
            Hmac("partner-hs384"),
            "partner-hs384",
            None,
            partner,
            "/partners/acme/feed",
            allowed,
            Accepts,
        ),
        s(
            "hs512 no aud",
            "HS512",
            Hmac("ops-hs512"),
            "ops-hs512",
            Some("ops-hs512"),
            ops.clone(),
            order,
            allowed,
            Accepts,
        ),
        s("hs512 without kid", "HS512", Hmac("ops-hs512"), "ops-hs512", None, ops.clone(), order, allowed, Accepts),
        s(
            "expired within the leeway",
            "HS256",
            q4,
            "2026-q4",
            Some("2026-q4"),
            with(reader(json!("edge-api")), "exp", now_plus(-30.5)),
            order,
            allowed,
            Accepts,
        ),
        // Python writes tiny floats in exponent form: 1e-05 floors to 0, a date long past.
        s(
            "iat in exponent form",
            "HS256",
            q4,
            "2026-q4",
            Some("2026-q4"),
            with(reader(json!("edge-api")), "iat", json!(1e-5)),
            order,
            allowed,
            Accepts,
        ),
        // Refused by both, for the same reason.
        s(
            "aud for another service on a key without audience",
            "HS512",
            Hmac("ops-hs512"),
            "ops-hs512",
            Some("ops-hs512"),
            with(ops.clone(), "aud", json!("billing-service")),
            order,
            (401, "token_audience_mismatch"),
            Raises("InvalidAudienceError"),
        ),
        s(
            "other audience",
            "HS256",
            q4,
            "2026-q4",
            Some("2026-q4"),
            reader(json!(["other-service"])),
            order,
            (401, "token_audience_mismatch"),
            Raises("InvalidAudienceError"),
        ),
        s(
            "expired beyond the leeway",
            "HS256",
            q4,
            "2026-q4",
            Some("2026-q4"),
            with(reader(json!("edge-api")), "exp", now_plus(-61.5)),
            order,
            (401, "token_expired"),
            Raises("ExpiredSignatureError"),
        ),
        s(
            "nbf beyond the leeway",
            "HS256",
            q4,
            "2026-q4",
            Some("2026-q4"),
            with(reader(json!("edge-api")), "nbf", now_plus(120.5)),
            order,
            (401, "token_not_yet_valid"),
            Raises("ImmatureSignatureError"),
        ),
        s(
            "iat in the future",
            "HS256",
            q4,
            "2026-q4",
            Some("2026-q4"),
            with(reader(json!("edge-api")), "iat", now_plus(3600.25)),
            order,
            (401, "token_not_yet_valid"),
            Raises("ImmatureSignatureError"),
        ),
        s(
            "other issuer",
            "HS256",
            q4,
            "2026-q4",
            Some("2026-q4"),
            with(reader(json!("edge-api")), "iss", json!("https://evil.example.com")),
            order,
            (401, "token_issuer_mismatch"),
            Raises("InvalidIssuerError"),
        ),
        s(
            "signed with another key",
            "HS256",
            Hmac("ops-hs512"),
            "2026-q4",
            Some("2026-q4"),
            reader(json!("edge-api")),
            order,
            (401, "token_bad_signature"),
            Raises("InvalidSignatureError"),
        ),
        s(
            "null nbf",
            "HS256",
            q4,
            "2026-q4",
            Some("2026-q4"),
            with(reader(json!("edge-api")), "nbf", Value::Null),
            order,
            (401, "credentials_malformed"),
            Raises("DecodeError"),
        ),
        // Where they disagree, Warden refuses (SPEC §6, RFC 7519 §4.1.3); PyJWT accepts.
        s(
            "empty aud array on a key without audience",
            "HS512",
            Hmac("ops-hs512"),
            "ops-hs512",
            Some("ops-hs512"),
            with(ops.clone(), "aud", json!([])),
            order,
            (401, "token_audience_mismatch"),
            Accepts,
        ),
        s(
            "sub with a NUL",
            "HS256",
            q4,
            "2026-q4",
            Some("2026-q4"),
            with(reader(json!("edge-api")), "sub", json!("py\u{0}admin")),
            order,
            (401, "credentials_malformed"),
            Accepts,
        ),
        s(
            "exp above 2^53",
            "HS256",
            q4,
            "2026-q4",
            Some("2026-q4"),
            with(reader(json!("edge-api")), "exp", json!(1e16)),
            order,
            (401, "credentials_malformed"),
            Accepts,
        ),
        s(
            "exp as a numeric string",
            "HS256",
            q4,
            "2026-q4",
            Some("2026-q4"),
            with(reader(json!("edge-api")), "exp", json!("9999999999")),
            order,
            (401, "credentials_malformed"),
            Accepts,
        ),
    ];
    // Step-up (RFC 9470): PyJWT does not read auth_time, so it accepts both.
    for (name, auth_time, warden) in [
        ("auth_time ten minutes ago", -600.3, (200, "allowed")),
        ("auth_time four hours ago", -14400.7, (401, "auth_too_old")),
    ] {
        let mut sc =
            s(name, "HS256", q4, "2026-q4", Some("2026-q4"), step_up(auth_time), "/admin/users", warden, Accepts);
        sc.ip = Some("10.1.2.3");
        v.push(sc);
    }
    v.extend(public_key_scenarios());
    v
}

/// Claims the identity provider's keys require (iss, aud `edge-api`), role `orders:read`.
fn idp_reader() -> Value {
    json!({
        "sub": "py-idp-reader", "iss": "https://idp.example.com", "aud": "edge-api",
        "iat": now_plus(0.0), "exp": now_plus(600.0), "roles": ["orders:read"],
    })
}

/// Every public-key algorithm with and without `kid`, and the failures of each family.
fn public_key_scenarios() -> Vec<Scenario> {
    use PyJwt::{Accepts, Raises};
    use Signer::Private;
    let s = |name: &'static str, alg, signer, meant_for, kid, claims, warden, pyjwt| Scenario {
        name,
        alg,
        signer,
        meant_for,
        kid,
        claims,
        method: "GET",
        path: "/api/v1/orders/7",
        ip: None,
        warden,
        pyjwt,
    };
    let allowed = (200, "allowed");
    let mut v = Vec::new();
    // The Ed25519 JWK of the set has no kid: it is the key `idp` (the table's id).
    for (alg, kid, with_kid, without_kid) in [
        ("RS256", "idp-rs256", "rs256 with kid", "rs256 without kid"),
        ("RS384", "idp-rs384", "rs384 with kid (3072 bits)", "rs384 without kid"),
        ("RS512", "idp-rs512", "rs512 with kid (4096 bits)", "rs512 without kid"),
        ("PS256", "idp-ps256", "ps256 with kid", "ps256 without kid"),
        ("PS384", "idp-ps384", "ps384 with kid", "ps384 without kid"),
        ("PS512", "idp-ps512", "ps512 with kid", "ps512 without kid"),
        ("ES256", "idp-es256", "es256 with kid", "es256 without kid"),
        ("ES384", "idp-es384", "es384 with kid", "es384 without kid"),
        ("EdDSA", "idp", "eddsa with kid", "eddsa without kid"),
    ] {
        v.push(s(with_kid, alg, Private(kid), kid, Some(kid), idp_reader(), allowed, Accepts));
        v.push(s(without_kid, alg, Private(kid), kid, None, idp_reader(), allowed, Accepts));
    }
    v.extend([
        // Another RSA key of the set signs for the RS256 key's kid.
        s(
            "rs256 signed by another RSA key",
            "RS256",
            Private("idp-ps256"),
            "idp-rs256",
            Some("idp-rs256"),
            idp_reader(),
            (401, "token_bad_signature"),
            Raises("InvalidSignatureError"),
        ),
        s(
            "ps256 for another audience",
            "PS256",
            Private("idp-ps256"),
            "idp-ps256",
            Some("idp-ps256"),
            with(idp_reader(), "aud", json!(["billing-service"])),
            (401, "token_audience_mismatch"),
            Raises("InvalidAudienceError"),
        ),
        s(
            "es256 expired beyond the leeway",
            "ES256",
            Private("idp-es256"),
            "idp-es256",
            Some("idp-es256"),
            with(idp_reader(), "exp", now_plus(-90.5)),
            (401, "token_expired"),
            Raises("ExpiredSignatureError"),
        ),
        s(
            "es384 from another issuer",
            "ES384",
            Private("idp-es384"),
            "idp-es384",
            Some("idp-es384"),
            with(idp_reader(), "iss", json!("https://auth.example.com")),
            (401, "token_issuer_mismatch"),
            Raises("InvalidIssuerError"),
        ),
        s(
            "eddsa without the role",
            "EdDSA",
            Private("idp"),
            "idp",
            None,
            with(idp_reader(), "roles", json!(["guest"])),
            (403, "insufficient_role"),
            Accepts,
        ),
        s(
            "eddsa not yet valid",
            "EdDSA",
            Private("idp"),
            "idp",
            Some("idp"),
            with(idp_reader(), "nbf", now_plus(300.25)),
            (401, "token_not_yet_valid"),
            Raises("ImmatureSignatureError"),
        ),
    ]);
    v
}

fn private_key<'k>(keyring: &'k warden_cli::keys::Keyring, id: &str) -> &'k warden_cli::testkeys::PrivateJwk {
    keyring.private.iter().find(|k| k.kid == id).unwrap_or_else(|| panic!("no private JWK {id}"))
}

/// The JWK the scenario signs with.
fn signing_jwk(signer: Signer, keyring: &warden_cli::keys::Keyring) -> Value {
    match signer {
        Signer::Hmac(id) => {
            let secret = keyring.get(id).unwrap_or_else(|| panic!("no secret for {id}"));
            json!({ "kty": "oct", "k": warden_cli::encoding::b64url_nopad(secret) })
        }
        Signer::Private(id) => private_key(keyring, id).private_jwk(),
    }
}

/// The JWK PyJWT verifies with: the secret of an HMAC key, the public JWK of the others.
fn verify_jwk(id: &'static str, keyring: &warden_cli::keys::Keyring) -> Value {
    if keyring.get(id).is_some() {
        signing_jwk(Signer::Hmac(id), keyring)
    } else {
        private_key(keyring, id).public_jwk()
    }
}

/// Runs the PyJWT side: tokens and PyJWT's verdicts, and the `time.time()` they were made at.
fn mint_with_pyjwt(python: &str, scenarios: &[Scenario], engine: &Engine<'_>) -> Value {
    let keyring = warden_cli::keys::load_with_private(&root().join("policies/edge-api.keys.toml")).unwrap();
    let leeway = engine.policy().settings.leeway_s;
    let list: Vec<Value> = scenarios
        .iter()
        .map(|sc| {
            let key = engine.policy().keys.iter().find(|k| k.id == sc.meant_for).expect("a policy key");
            json!({
                "name": sc.name, "alg": sc.alg, "kid": sc.kid, "claims": sc.claims,
                "signing_jwk": signing_jwk(sc.signer, &keyring),
                "verify_jwk": verify_jwk(sc.meant_for, &keyring),
                "issuer": key.issuer, "audience": key.audience, "leeway": leeway,
            })
        })
        .collect();
    let script = root().join("cli/tests/interop/pyjwt_tokens.py");
    let mut child = Command::new(python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    let input = serde_json::to_vec(&json!({ "scenarios": list })).unwrap();
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{script:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("the script prints one JSON object")
}

#[test]
#[ignore = "needs PyJWT: the .ci/run stage interop_pyjwt sets WARDEN_PYJWT_PYTHON to a venv's python"]
fn pyjwt_tokens_are_decided_as_the_spec_says() {
    let python = std::env::var("WARDEN_PYJWT_PYTHON")
        .expect("WARDEN_PYJWT_PYTHON must name a python with PyJWT (see the module docs)");
    let blob = std::fs::read(root().join("policies/edge-api.wdn")).unwrap();
    let keyring = warden_cli::keys::load(&root().join("policies/edge-api.keys.toml")).unwrap();
    let engine = Engine::load(&blob, &keyring.material()).unwrap();
    let scenarios = scenarios();
    let minted = mint_with_pyjwt(&python, &scenarios, &engine);
    let now_f = minted["now"].as_f64().expect("now");
    // Warden's clock is whole seconds, as hosts pass it.
    assert!(now_f > 1.7e9 && now_f < 1e10, "time.time() = {now_f}");
    #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "checked range above")]
    let now = now_f.floor() as u64;
    eprintln!("PyJWT {} at time.time() = {now_f}", minted["pyjwt"]);
    let tokens = minted["tokens"].as_array().expect("tokens");
    assert_eq!(tokens.len(), scenarios.len());
    let mut failures = Vec::new();
    for (sc, t) in scenarios.iter().zip(tokens) {
        let token = t["token"].as_str().unwrap();
        let payload = warden_cli::encoding::from_b64_any(token.split('.').nth(1).unwrap()).unwrap();
        // PyJWT wrote the header the scenario asks for: its algorithm, and a kid or none.
        let header: Value =
            serde_json::from_slice(&warden_cli::encoding::from_b64_any(token.split('.').next().unwrap()).unwrap())
                .unwrap();
        assert_eq!((header["alg"].as_str(), header["kid"].as_str()), (Some(sc.alg), sc.kid), "{}", sc.name);
        let auth = format!("Bearer {token}");
        let headers = [Header::new(b"authorization", auth.as_bytes())];
        let mut request = Request::new(sc.method.as_bytes(), sc.path.as_bytes(), now).with_headers(&headers);
        if let Some(ip) = sc.ip {
            request = request.with_client_ip(ip.parse().unwrap());
        }
        let d = engine.evaluate(&request);
        let got = (d.status(), d.reason().as_str());
        let py = t["pyjwt"].as_str().unwrap();
        let py_want = match sc.pyjwt {
            PyJwt::Accepts => "accepted",
            PyJwt::Raises(class) => class,
        };
        let line = format!(
            "{:<52} warden {} {:<24} pyjwt {:<24} {}",
            sc.name,
            got.0,
            got.1,
            py,
            String::from_utf8_lossy(&payload)
        );
        eprintln!("{line}");
        if got != sc.warden {
            failures.push(format!("{}: Warden {got:?}, SPEC says {:?}", sc.name, sc.warden));
        }
        if py != py_want {
            failures.push(format!("{}: PyJWT {py}, expected {py_want}", sc.name));
        }
    }
    // The float dates really were floats (PyJWT writes what time.time() gives it).
    let first = warden_cli::encoding::from_b64_any(tokens[0]["token"].as_str().unwrap().split('.').nth(1).unwrap());
    let claims: Value = serde_json::from_slice(&first.unwrap()).unwrap();
    assert!(claims["exp"].is_f64(), "exp was written as {}", claims["exp"]);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
