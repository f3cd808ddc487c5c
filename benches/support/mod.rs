//! Fixtures shared by the criterion benches, the instruction counts (`benches/icount.rs`), the
//! allocation test (`tests/alloc.rs`) and the peers crate (`benches/peers/`): a generated
//! policy of N rules described as plain data (so the peers can express the same rules as Cedar
//! policies and casbin lines), its compiled blob, one HS256 token, and the benchmarked requests.
//!
//! The generated policy: rule `i` of `0..N-1` protects `/api/v1/svc{i}/…` with one of four
//! pattern shapes (literal, `*`, `*` in the middle, `/**`), a role `svc{i % 32}-reader` or
//! `admin`, every other rule an `ip_allow` of `10.0.0.0/8`, every third rule a list of
//! origins; `[defaults]` denies `203.0.113.0/24` everywhere. The last rule, `target`, is the one
//! the allowed requests hit: `GET|POST /api/v1/target/items/*`, bearer, API key or Basic, roles
//! `orders:read` or `admin`, from `10.0.0.0/8`, origins `https://console.example.com` and
//! `https://*.example.com`. Placing it last is the worst case for engines that stop at the
//! first match; Warden examines every rule either way.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::std_instead_of_core,
    reason = "bench fixture: each bench or test uses a part of it, and setup may fail loudly"
)]

use std::net::IpAddr;

use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use warden::policy::{
    Alg, CorsSettings, Credential, CredentialKind, IpRange, KeySpec, MethodSet, OriginPattern, OriginSet, PolicyBody,
    PublicKey, RangeSet, RoleSet, Rule, Scheme, Settings,
};
use warden::{Engine, Header, KeyMaterial, Request};

/// Fixed "now" of every request (2026-01-01T00:00:00Z).
pub const NOW: u64 = 1_767_225_600;
/// Key id of the HS256 key (the token's `kid`).
pub const KID: &str = "2026-q4";
/// HS256 secret, 32 bytes. Bench fixture only.
pub const HS256_SECRET: &[u8; 32] = b"bench-only-hs256-secret-32-bytes";
/// Required `iss`.
pub const ISSUER: &str = "https://auth.example.com";
/// Required `aud`.
pub const AUDIENCE: &str = "edge-api";
/// The API key of credential `ci-bot` (roles `orders:read`, `deployer`). Bench fixture only.
pub const API_KEY: &str = "wk_bench_DhPFDAtn1ATuO8PS9G3ud6eiQgwxjftNci2uyCG7ODw";
/// Basic user and password (roles `admin`). Bench fixture only.
pub const BASIC_USER: &str = "admin";
/// Basic password.
pub const BASIC_PASSWORD: &str = "bench-admin-password";
/// PBKDF2-HMAC-SHA256 iterations of the Basic credential: the dev value of the example policy
/// (production hashes from `warden credential hash-password` use 600 000, and a Basic
/// decision costs about 2 SHA-256 compressions per iteration).
pub const PBKDF2_ITERATIONS: u32 = 1000;
const BASIC_SALT: &[u8; 16] = b"bench-salt-16byt";

/// The subject's roles in the token: the target rule needs `orders:read` or `admin`.
pub const TOKEN_ROLES: &[&str] = &["orders:read", "svc03-reader"];
/// The IP of an allowed request.
pub const CLIENT_IP: &str = "10.1.2.3";
/// An IP inside the default deny range.
pub const BLOCKED_IP: &str = "203.0.113.9";
/// The origin of the allowed requests.
pub const ORIGIN: &str = "https://console.example.com";
/// The path of the allowed requests.
pub const TARGET_PATH: &str = "/api/v1/target/items/42";
/// Origins listed by every third rule and by the target rule.
pub const ORIGINS: &[&str] = &["https://console.example.com", "https://*.example.com"];
/// The default deny range.
pub const DENY: (&str, u8) = ("203.0.113.0", 24);
/// The allow range of every other rule and of the target.
pub const ALLOW: (&str, u8) = ("10.0.0.0", 8);

/// One rule, as plain data.
#[derive(Debug, Clone)]
pub struct RuleSpec {
    /// Unique name.
    pub name: String,
    /// Methods; empty means any.
    pub methods: Vec<&'static str>,
    /// Warden path pattern.
    pub path: String,
    /// Accepted schemes; empty = public.
    pub auth: Vec<Scheme>,
    /// At least one of these roles.
    pub roles_any: Vec<String>,
    /// Whether the rule allows only [`ALLOW`].
    pub ip_allow: bool,
    /// Whether the rule lists [`ORIGINS`].
    pub origins: bool,
}

/// The `n` rules of the generated policy (`n >= 1`); the last is `target`.
pub fn rules(n: usize) -> Vec<RuleSpec> {
    use Scheme::{ApiKey, Basic, Bearer};
    let mut out = Vec::with_capacity(n);
    for i in 0..n.saturating_sub(1) {
        let (path, methods, auth) = match i % 4 {
            0 => (format!("/api/v1/svc{i:03}/items/*"), vec!["GET", "POST"], vec![Bearer, ApiKey]),
            1 => (format!("/api/v1/svc{i:03}/**"), vec!["GET"], vec![Bearer]),
            2 => (format!("/api/v1/svc{i:03}/items/*/history"), vec!["GET"], vec![Bearer, Basic]),
            _ => (format!("/api/v1/svc{i:03}/status"), vec!["GET", "HEAD"], vec![Bearer, ApiKey]),
        };
        out.push(RuleSpec {
            name: format!("svc{i:03}"),
            methods,
            path,
            auth,
            roles_any: vec![format!("svc{:02}-reader", i % 32), "admin".into()],
            ip_allow: i % 2 == 0,
            origins: i % 3 == 0,
        });
    }
    out.push(RuleSpec {
        name: "target".into(),
        methods: vec!["GET", "POST"],
        path: "/api/v1/target/items/*".into(),
        auth: vec![Bearer, ApiKey, Basic],
        roles_any: vec!["orders:read".into(), "admin".into()],
        ip_allow: true,
        origins: true,
    });
    out
}

/// Every role name the rules and credentials use, in table order.
pub fn role_names() -> Vec<String> {
    let mut v: Vec<String> = vec!["admin".into(), "orders:read".into(), "deployer".into()];
    v.extend((0..32).map(|i| format!("svc{i:02}-reader")));
    v
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

fn range(ip: &str, prefix: u8) -> IpRange {
    match ip.parse::<IpAddr>().unwrap() {
        IpAddr::V4(v4) => IpRange { addr: v4.to_ipv6_mapped().octets(), prefix: prefix + 96, v4: true },
        IpAddr::V6(v6) => IpRange { addr: v6.octets(), prefix, v4: false },
    }
}

/// The PBKDF2 hash of [`BASIC_PASSWORD`] as stored in the policy.
pub fn password_hash() -> [u8; 32] {
    warden::internal::pbkdf2_sha256(BASIC_PASSWORD.as_bytes(), BASIC_SALT, PBKDF2_ITERATIONS)
}

/// The compiled-policy body of `rules` (strings are leaked: fixtures live for the process).
pub fn body(rules: &[RuleSpec]) -> PolicyBody<'static> {
    let roles = role_names();
    let role = |name: &str| roles.iter().position(|r| r == name).unwrap();
    let methods: Vec<&'static str> = vec!["GET", "POST", "HEAD"];
    let method = |m: &str| methods.iter().position(|x| *x == m).unwrap();
    let mut compiled = heapless::Vec::new();
    for r in rules {
        let rule = Rule {
            name: leak(&r.name),
            methods: MethodSet(r.methods.iter().fold(0, |s, m| s | 1 << method(m))),
            any_method: r.methods.is_empty(),
            path: leak(&r.path),
            auth: r.auth.iter().copied().collect(),
            roles_any: RoleSet(r.roles_any.iter().fold(0, |s, n| s | 1 << role(n))),
            roles_all: RoleSet::EMPTY,
            ip_allow: RangeSet(if r.ip_allow { 0b10 } else { 0 }),
            ip_deny: RangeSet(0b01),
            origins: OriginSet(if r.origins { 0b11 } else { 0 }),
            require_mfa: false,
            max_auth_age_s: None,
        };
        compiled.push(rule).map_err(|_| "too many rules").unwrap();
    }
    let cred = |id: &'static str, roles: &[&str], kind| Credential {
        id,
        roles: RoleSet(roles.iter().fold(0, |s, n| s | 1 << role(n))),
        kind,
    };
    PolicyBody {
        name: "generated",
        realm: "edge-api",
        settings: Settings::DEFAULT,
        cors: CorsSettings { allow_credentials: true, ..CorsSettings::DEFAULT },
        methods: methods.into_iter().collect(),
        roles: roles.iter().map(|r| leak(r)).collect(),
        keys: [KeySpec {
            id: KID,
            alg: Alg::Hs256,
            issuer: Some(ISSUER),
            audience: Some(AUDIENCE),
            roles_claim: "roles",
            public_key: PublicKey::Secret,
        }]
        .into_iter()
        .collect(),
        credentials: [
            cred(
                "ci-bot",
                &["orders:read", "deployer"],
                CredentialKind::ApiKey { sha256: Sha256::digest(API_KEY).into() },
            ),
            cred(
                "metrics",
                &["svc00-reader"],
                CredentialKind::ApiKey { sha256: Sha256::digest("wk_bench_metrics_key").into() },
            ),
            cred(
                "admin",
                &["admin"],
                CredentialKind::Basic {
                    user: BASIC_USER,
                    iterations: PBKDF2_ITERATIONS,
                    salt: BASIC_SALT,
                    hash: password_hash(),
                },
            ),
        ]
        .into_iter()
        .collect(),
        ranges: [range(DENY.0, DENY.1), range(ALLOW.0, ALLOW.1)].into_iter().collect(),
        origins: [
            OriginPattern::Exact { scheme: "https", host: "console.example.com", port: None },
            OriginPattern::Subdomains { scheme: "https", suffix: "example.com", port: None },
        ]
        .into_iter()
        .collect(),
        rules: compiled,
    }
}

/// The compiled policy of the generated `n`-rule policy.
pub fn blob(n: usize) -> Vec<u8> {
    encode(&body(&rules(n)))
}

/// Encodes a body as an unsigned compiled policy.
pub fn encode(body: &PolicyBody<'_>) -> Vec<u8> {
    let mut out = vec![0u8; 1 << 18];
    let len = warden::blob::encode(body, None, &mut out).unwrap();
    out.truncate(len);
    out
}

/// The keyring of the generated policy.
pub fn keyring() -> [KeyMaterial<'static>; 1] {
    [KeyMaterial { id: KID, secret: HS256_SECRET }]
}

/// Loads a generated blob.
pub fn engine(blob: &[u8]) -> Engine<'_> {
    Engine::load(blob, &keyring()).unwrap()
}

/// A compact HS256 JWS of `header` and `claims` (JSON texts) under `secret`.
pub fn hs256(header: &str, claims: &str, secret: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        Base64UrlUnpadded::encode_string(header.as_bytes()),
        Base64UrlUnpadded::encode_string(claims.as_bytes())
    );
    let mut m = Hmac::<Sha256>::new_from_slice(secret).unwrap();
    m.update(input.as_bytes());
    format!("{input}.{}", Base64UrlUnpadded::encode_string(&m.finalize().into_bytes()))
}

/// Claims of the shared token, with the given roles and `exp`.
pub fn claims(roles: &[&str], exp: u64) -> String {
    let roles: Vec<String> = roles.iter().map(|r| format!("\"{r}\"")).collect();
    format!(
        r#"{{"iss":"{ISSUER}","sub":"alice@example.com","aud":"{AUDIENCE}","iat":{},"nbf":{},"exp":{exp},"jti":"0b7c1f4e-5a8d-4c47-9a55-5a0f3e9d2c11","roles":[{}]}}"#,
        NOW - 60,
        NOW - 60,
        roles.join(",")
    )
}

/// The JOSE header of the shared token.
pub const JOSE_HEADER: &str = r#"{"alg":"HS256","typ":"JWT","kid":"2026-q4"}"#;

/// `exp` of the shared token. Far ahead of [`NOW`] because `jsonwebtoken` (in the peers
/// crate) validates against the real clock; Warden takes `now` from the request.
pub const EXP: u64 = 2_000_000_000;

/// The shared HS256 token: valid from `NOW - 60` to [`EXP`], roles [`TOKEN_ROLES`].
pub fn token() -> String {
    hs256(JOSE_HEADER, &claims(TOKEN_ROLES, EXP), HS256_SECRET)
}

/// The token's signing input (`header.payload`) and its decoded signature.
pub fn signing_input_and_tag(token: &str) -> (Vec<u8>, Vec<u8>) {
    let dot = token.rfind('.').unwrap();
    (token.as_bytes()[..dot].to_vec(), Base64UrlUnpadded::decode_vec(&token[dot + 1..]).unwrap())
}

/// A request as owned data; [`Case::with`] lends it to the engine.
#[derive(Debug, Clone)]
pub struct Case {
    /// Bench name.
    pub name: &'static str,
    /// Method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Headers (name, value).
    pub headers: Vec<(String, String)>,
    /// Client IP.
    pub ip: Option<IpAddr>,
    /// Expected status and reason.
    pub expect: (u16, &'static str),
}

impl Case {
    /// Calls `f` with the request.
    pub fn with<R>(&self, f: impl FnOnce(&Request<'_>) -> R) -> R {
        let headers: Vec<Header<'_>> =
            self.headers.iter().map(|(n, v)| Header::new(n.as_bytes(), v.as_bytes())).collect();
        let req = Request {
            method: self.method.as_bytes(),
            path: self.path.as_bytes(),
            client_ip: self.ip,
            headers: &headers,
            now: NOW,
        };
        f(&req)
    }
}

/// Headers every request carries besides the credential: what a browser or client sends.
fn common_headers() -> Vec<(String, String)> {
    [
        ("host", "api.example.com"),
        ("user-agent", "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"),
        ("accept", "application/json"),
        ("accept-encoding", "gzip, deflate, br"),
        ("origin", ORIGIN),
    ]
    .iter()
    .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
    .collect()
}

fn case(
    name: &'static str,
    method: &str,
    path: &str,
    auth: Option<(&str, String)>,
    expect: (u16, &'static str),
) -> Case {
    let mut headers = common_headers();
    if let Some((n, v)) = auth {
        headers.push((n.to_owned(), v));
    }
    Case { name, method: method.into(), path: path.into(), headers, ip: Some(CLIENT_IP.parse().unwrap()), expect }
}

/// The benchmarked requests against the generated policy (any size), in a fixed order. Names
/// carry no rule count; callers add it.
pub fn cases() -> Vec<Case> {
    let bearer = |t: &str| Some(("authorization", format!("Bearer {t}")));
    let token = token();
    let expired = hs256(JOSE_HEADER, &claims(TOKEN_ROLES, NOW - 3600), HS256_SECRET);
    // Same length as the valid token; one signature character changed (still canonical).
    let mut bad_sig = token.clone().into_bytes();
    let at = bad_sig.len() - 10;
    bad_sig[at] = if bad_sig[at] == b'A' { b'B' } else { b'A' };
    let bad_sig = String::from_utf8(bad_sig).unwrap();
    let no_role = hs256(JOSE_HEADER, &claims(&["svc03-reader", "svc04-reader"], EXP), HS256_SECRET);
    let basic = format!("Basic {}", Base64::encode_string(format!("{BASIC_USER}:{BASIC_PASSWORD}").as_bytes()));
    let mut ip = case("ip_403", "GET", TARGET_PATH, bearer(&token), (403, "ip_blocked"));
    ip.ip = Some(BLOCKED_IP.parse().unwrap());
    let mut preflight = case("preflight", "OPTIONS", TARGET_PATH, None, (200, "preflight"));
    preflight.headers.push(("access-control-request-method".into(), "POST".into()));
    preflight.headers.push(("access-control-request-headers".into(), "authorization, content-type".into()));
    vec![
        case("jwt_allow", "GET", TARGET_PATH, bearer(&token), (200, "allowed")),
        case("api_key_allow", "GET", TARGET_PATH, Some(("x-api-key", API_KEY.into())), (200, "allowed")),
        case("basic_allow", "GET", TARGET_PATH, Some(("authorization", basic)), (200, "allowed")),
        case("expired_401", "GET", TARGET_PATH, bearer(&expired), (401, "token_expired")),
        case("bad_signature_401", "GET", TARGET_PATH, bearer(&bad_sig), (401, "token_bad_signature")),
        case("insufficient_role_403", "GET", TARGET_PATH, bearer(&no_role), (403, "insufficient_role")),
        ip,
        preflight,
        case("no_match_403", "GET", "/internal/metrics/cpu", bearer(&token), (403, "no_matching_rule")),
    ]
}

/// Evaluates `case` and checks the expected status and reason (setup-time sanity check).
pub fn assert_expected(engine: &Engine<'_>, case: &Case) {
    let got = case.with(|r| {
        let d = engine.evaluate(r);
        (d.status(), d.reason().as_str())
    });
    assert_eq!(got, case.expect, "case {}", case.name);
}

/// The example policy of the repository (`policies/edge-api.toml`, compiled), its dev keys
/// and requests of every kind against it (its dev credentials are in `edge-api.cases.toml`).
pub mod example {
    use base64ct::{Base64, Base64Unpadded, Base64Url, Base64UrlUnpadded, Encoding};

    use super::{Case, NOW, hs256};

    /// The compiled example policy.
    pub const BLOB: &[u8] = include_bytes!("../../policies/edge-api.wdn");
    const KEYS: &str = include_str!("../../policies/edge-api.keys.toml");
    /// PBKDF2 iterations of the example's Basic credentials (dev value).
    pub const PBKDF2_ITERATIONS: u32 = 1000;

    /// (id, secret) of every key in `edge-api.keys.toml` (a tiny reader for its three lines).
    pub fn keys() -> Vec<(&'static str, Vec<u8>)> {
        let mut out = Vec::new();
        let mut id = None;
        let value = |line: &'static str| line.split_once('=').map(|(_, v)| v.trim().trim_matches('"')).unwrap();
        for line in KEYS.lines().map(str::trim) {
            if line.starts_with("id =") {
                id = Some(value(line));
            } else if line.starts_with("secret_hex =") {
                let hex = value(line);
                let bytes =
                    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
                out.push((id.take().unwrap(), bytes));
            } else if line.starts_with("secret_b64 =") {
                let b = value(line);
                let bytes = Base64::decode_vec(b)
                    .or_else(|_| Base64Unpadded::decode_vec(b))
                    .or_else(|_| Base64Url::decode_vec(b))
                    .or_else(|_| Base64UrlUnpadded::decode_vec(b))
                    .unwrap();
                out.push((id.take().unwrap(), bytes));
            }
        }
        out
    }

    /// Loads the example with its keys (leaked: fixtures live for the process).
    pub fn engine() -> warden::Engine<'static> {
        let keys: &'static [(&'static str, Vec<u8>)] = Box::leak(keys().into_boxed_slice());
        let ring: Vec<warden::KeyMaterial<'static>> =
            keys.iter().map(|(id, s)| warden::KeyMaterial { id, secret: s.as_slice() }).collect();
        warden::Engine::load(BLOB, &ring).unwrap()
    }

    fn token(roles: &[&str], exp: u64, secret: &[u8]) -> String {
        let roles: Vec<String> = roles.iter().map(|r| format!("\"{r}\"")).collect();
        let claims = format!(
            r#"{{"sub":"alice","iss":"https://auth.example.com","aud":"edge-api","iat":{NOW},"exp":{exp},"roles":[{}]}}"#,
            roles.join(",")
        );
        hs256(r#"{"alg":"HS256","typ":"JWT","kid":"2026-q4"}"#, &claims, secret)
    }

    fn case(
        name: &'static str,
        method: &str,
        path: &str,
        ip: &str,
        headers: &[(&str, String)],
        expect: (u16, &'static str),
    ) -> Case {
        let mut all: Vec<(String, String)> = vec![
            ("host".into(), "api.example.com".into()),
            ("user-agent".into(), "curl/8.11.1".into()),
            ("accept".into(), "application/json".into()),
        ];
        all.extend(headers.iter().map(|(n, v)| ((*n).to_owned(), v.clone())));
        Case { name, method: method.into(), path: path.into(), headers: all, ip: Some(ip.parse().unwrap()), expect }
    }

    /// Public-key tokens of the example's identity provider (policies/idp.jwks.json), valid until
    /// 2100 so that other libraries' clock checks pass too: (alg, kid, token). Made with
    /// `warden token mint --keys policies/edge-api.keys.toml --policy policies/edge-api.toml
    /// --now 1767225600 --exp 4102444800 --kid KID --sub alice --roles orders:read`.
    pub const PUBLIC_KEY_TOKENS: [(&str, &str, &str); 3] = [
        (
            "ES256",
            "idp-es256",
            "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImlkcC1lczI1NiJ9.eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vaWRwLmV4YW1wbGUuY29tIiwiYXVkIjoiZWRnZS1hcGkiLCJpYXQiOjE3NjcyMjU2MDAsImV4cCI6NDEwMjQ0NDgwMCwicm9sZXMiOlsib3JkZXJzOnJlYWQiXX0.nxClfsu3kLLGpTdJobs_iUxu9Ip9wJqaxpghZVCiTXqqp-k8DCixBnIc3S6u-LiziVMb-exqz13WuKog9FEr1w",
        ),
        (
            "EdDSA",
            "idp",
            "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCIsImtpZCI6ImlkcCJ9.eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vaWRwLmV4YW1wbGUuY29tIiwiYXVkIjoiZWRnZS1hcGkiLCJpYXQiOjE3NjcyMjU2MDAsImV4cCI6NDEwMjQ0NDgwMCwicm9sZXMiOlsib3JkZXJzOnJlYWQiXX0.IqxlsKIinnWJ_EC-TaB60bFVzmZZpOarOaJ6HalpLp9iSemDadvxa6cg4-htr05udR_TnjV_1rfuLdDPWG4oDw",
        ),
        (
            "RS256",
            "idp-rs256",
            "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImlkcC1yczI1NiJ9.eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vaWRwLmV4YW1wbGUuY29tIiwiYXVkIjoiZWRnZS1hcGkiLCJpYXQiOjE3NjcyMjU2MDAsImV4cCI6NDEwMjQ0NDgwMCwicm9sZXMiOlsib3JkZXJzOnJlYWQiXX0.eTIVSe40AhuFiGe6_ljeTvEQVUvNVZ4qN3g3Ymz1u1bUCXt0JTTX3aBMqKJmdlK7niwFmboX1zmEdR5eHk4r4rEoPoX3oZ9_XtQ56jx0jptXXq7ix0XxxswoHbE-9acREjCImWguEpyBc8r6EaYFE7plIhrCmYGyAXUtDiPD91t04Oc9tAQ5gK4tHpxWa2rEzYlgngyPfShNXHJGVelUz9hEOp47S3sWdMIkaxNgSKzoB7nYUs49_7AYXt48rag2it1fzsTd1JdcWJ6lIrN4-_wcdD8rNOQFrsnpxokXZqATcHWqNmB7z2icpmw3A3T_mR64tM0NLv0teWFwUJvsnw",
        ),
    ];

    /// The same token with one signature character changed (still canonical base64url).
    pub fn tampered(token: &str) -> String {
        let mut bad = token.to_owned().into_bytes();
        let at = bad.len() - 10;
        bad[at] = if bad[at] == b'A' { b'B' } else { b'A' };
        String::from_utf8(bad).unwrap()
    }

    /// Requests of every benchmarked kind against the example policy.
    pub fn cases() -> Vec<Case> {
        let keys = keys();
        let secret = &keys.iter().find(|(id, _)| *id == "2026-q4").unwrap().1;
        let exp = NOW + 3600;
        let good = token(&["orders:read"], exp, secret);
        let expired = token(&["orders:read"], NOW - 3600, secret);
        let mut bad = good.clone().into_bytes();
        let at = bad.len() - 10;
        bad[at] = if bad[at] == b'A' { b'B' } else { b'A' };
        let bad = String::from_utf8(bad).unwrap();
        let no_role = token(&["partner"], exp, secret);
        let origin = ("origin", "https://console.example.com".to_owned());
        let bearer = |t: &str| ("authorization", format!("Bearer {t}"));
        let basic = format!("Basic {}", Base64::encode_string(b"auditor:dev-auditor-password"));
        let orders = "/api/v1/orders/42";
        let ip = "198.18.0.7";
        vec![
            case("jwt_allow", "GET", orders, ip, &[origin.clone(), bearer(&good)], (200, "allowed")),
            case("es256_allow", "GET", orders, ip, &[origin.clone(), bearer(PUBLIC_KEY_TOKENS[0].2)], (200, "allowed")),
            case("eddsa_allow", "GET", orders, ip, &[origin.clone(), bearer(PUBLIC_KEY_TOKENS[1].2)], (200, "allowed")),
            case("rs256_allow", "GET", orders, ip, &[origin.clone(), bearer(PUBLIC_KEY_TOKENS[2].2)], (200, "allowed")),
            case(
                "rs256_bad_signature_401",
                "GET",
                orders,
                ip,
                &[origin.clone(), bearer(&tampered(PUBLIC_KEY_TOKENS[2].2))],
                (401, "token_bad_signature"),
            ),
            case(
                "api_key_allow",
                "POST",
                "/deploy/web",
                "192.0.2.10",
                &[("x-api-key", "wk_DhPFDAtn1ATuO8PS9G3ud6eiQgwxjftNci2uyCG7ODw".into())],
                (200, "allowed"),
            ),
            case("basic_allow", "GET", "/api/v1/reports/2025/q4", ip, &[("authorization", basic)], (200, "allowed")),
            case("expired_401", "GET", orders, ip, &[origin.clone(), bearer(&expired)], (401, "token_expired")),
            case("bad_signature_401", "GET", orders, ip, &[origin.clone(), bearer(&bad)], (401, "token_bad_signature")),
            case(
                "insufficient_role_403",
                "GET",
                orders,
                ip,
                &[origin.clone(), bearer(&no_role)],
                (403, "insufficient_role"),
            ),
            case("ip_403", "GET", orders, "203.0.113.9", &[origin.clone(), bearer(&good)], (403, "ip_blocked")),
            case(
                "preflight",
                "OPTIONS",
                orders,
                ip,
                &[
                    ("origin", "https://shop.example.com".into()),
                    ("access-control-request-method", "PUT".into()),
                    ("access-control-request-headers", "authorization, content-type".into()),
                ],
                (200, "preflight"),
            ),
            case("no_match_403", "GET", "/internal/metrics/cpu", ip, &[bearer(&good)], (403, "no_matching_rule")),
        ]
    }
}
