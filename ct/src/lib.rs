//! Constant-time assurance for Warden (SPEC §7): the fixtures shared by the `ctgrind`
//! harness, the `icount` instruction-count check and the `dudect` timing program.
//!
//! Two policies are built in code, independent of the compiler:
//! - [`classes_policy`] has a rule for every decision of SPEC §4 (API key, Basic and JWT
//!   schemes, step-up, CORS, IP lists), so [`cases`] can reach every reason;
//! - [`rules32_policy`] has 32 rules of one shape, to show that the rule that governs a
//!   request does not change the work.
//!
//! Every [`Case`] names its expected reason and, where it takes part in the instruction-count
//! check, a *class*: requests of one class have the same method, path length, header names
//! and header value lengths, and differ only in what the secrets (or the public data the
//! class is about) make of them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::missing_panics_doc,
    reason = "a test harness: a failed expectation is a failed check"
)]

pub mod vg;

use std::net::IpAddr;

use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256, Sha384, Sha512};
use warden::policy::{
    Alg, CorsSettings, Credential, CredentialKind, IpRange, KeySpec, MethodSet, OriginPattern, OriginSet, PolicyBody,
    PublicKey, RangeSet, RoleSet, Rule, Scheme, Settings,
};
use warden::{Decision, Engine, Header, KeyMaterial, Request};

/// Request time of every case.
pub const NOW: u64 = 1_800_000_000;
/// HS256 secret of key `k256` (test fixture only).
pub const SECRET_256: [u8; 32] = *b"ct-fixture-hs256-secret-32-bytes";
/// HS384 secret of key `k384`.
pub const SECRET_384: [u8; 48] = *b"ct-fixture-hs384-secret-is-forty-eight-bytes-xyz";
/// HS512 secret of key `k512`.
pub const SECRET_512: [u8; 64] = *b"ct-fixture-hs512-secret-is-sixty-four-bytes-long-0123456789abcde";
/// A 32-byte secret that no key uses: tokens signed with it have a bad MAC of the right length.
pub const WRONG_256: [u8; 32] = *b"ct-fixture-wrong-secret-32-bytes";
/// API key of `ci-bot` (role `admin`).
pub const API_KEY_ADMIN: &str = "wk_ct_admin_0123456789abcdef0123456789ab";
/// API key of `guest-bot` (role `guest`), same length.
pub const API_KEY_GUEST: &str = "wk_ct_guest_0123456789abcdef0123456789ab";
/// An unknown API key of the same length.
pub const API_KEY_UNKNOWN: &str = "wk_ct_nobdy_0123456789abcdef0123456789ab";
/// Basic password of user `admin`.
pub const PASSWORD_ADMIN: &str = "correct horse battery staple";
/// Basic password of user `guest`, same length.
pub const PASSWORD_GUEST: &str = "incorrect donkey pencil clip";
/// PBKDF2 iterations of the fixture users (small: the harnesses run under valgrind).
pub const ITERATIONS: u32 = 200;
const SALT_ADMIN: &[u8] = b"ct-salt-admin-16";
const SALT_GUEST: &[u8] = b"ct-salt-guest-16";
/// Issuer required by `k256`.
pub const ISSUER: &str = "https://auth.example.com";

/// The keyring of both policies, as owned bytes (the harness marks them secret in place).
#[must_use]
pub fn keyring_secrets() -> Vec<(&'static str, Vec<u8>)> {
    vec![("k256", SECRET_256.to_vec()), ("k384", SECRET_384.to_vec()), ("k512", SECRET_512.to_vec())]
}

/// Borrows [`keyring_secrets`] as key material.
#[must_use]
pub fn keyring<'a>(secrets: &'a [(&'static str, Vec<u8>)]) -> Vec<KeyMaterial<'a>> {
    secrets.iter().map(|(id, s)| KeyMaterial { id, secret: s }).collect()
}

fn v4(a: [u8; 4], prefix: u8) -> IpRange {
    IpRange { addr: std::net::Ipv4Addr::from(a).to_ipv6_mapped().octets(), prefix: prefix + 96, v4: true }
}

fn bits(list: &[usize]) -> u64 {
    list.iter().fold(0, |s, b| s | 1 << b)
}

fn rule(name: &'static str, methods: &[usize], path: &'static str, auth: &[Scheme]) -> Rule<'static> {
    Rule {
        name,
        methods: MethodSet(u32::try_from(bits(methods)).unwrap()),
        any_method: methods.is_empty(),
        path,
        auth: auth.iter().copied().collect(),
        roles_any: RoleSet::EMPTY,
        roles_all: RoleSet::EMPTY,
        ip_allow: RangeSet::EMPTY,
        ip_deny: RangeSet(1),
        origins: OriginSet::EMPTY,
        require_mfa: false,
        max_auth_age_s: None,
    }
}

fn pbkdf2(password: &str, salt: &[u8]) -> [u8; 32] {
    warden::internal::pbkdf2_sha256(password.as_bytes(), salt, ITERATIONS)
}

fn common(rules: Vec<Rule<'static>>) -> PolicyBody<'static> {
    PolicyBody {
        name: "ct-fixture",
        realm: "edge-api",
        settings: Settings::DEFAULT,
        cors: CorsSettings { allow_credentials: true, ..CorsSettings::DEFAULT },
        methods: ["GET", "POST", "DELETE"].into_iter().collect(),
        // Role names of one length, so role claims of different roles have one length.
        roles: ["admin", "guest", "owner", "audit"].into_iter().collect(),
        keys: [
            KeySpec {
                id: "k256",
                alg: Alg::Hs256,
                issuer: Some(ISSUER),
                audience: Some("edge-api"),
                roles_claim: "roles",
                public_key: PublicKey::Secret,
            },
            // Every key names the audience the fixture tokens carry (a key without one refuses
            // every `aud`, RFC 7519 §4.1.3).
            KeySpec {
                id: "k384",
                alg: Alg::Hs384,
                issuer: None,
                audience: Some("edge-api"),
                roles_claim: "roles",
                public_key: PublicKey::Secret,
            },
            KeySpec {
                id: "k512",
                alg: Alg::Hs512,
                issuer: None,
                audience: Some("edge-api"),
                roles_claim: "roles",
                public_key: PublicKey::Secret,
            },
            KeySpec {
                id: "r256",
                alg: Alg::Rs256,
                issuer: Some(ISSUER),
                audience: Some("edge-api"),
                roles_claim: "roles",
                public_key: pk::public(Alg::Rs256),
            },
            KeySpec {
                id: "e256",
                alg: Alg::Es256,
                issuer: Some(ISSUER),
                audience: Some("edge-api"),
                roles_claim: "roles",
                public_key: pk::public(Alg::Es256),
            },
            KeySpec {
                id: "ed25",
                alg: Alg::EdDsa,
                issuer: Some(ISSUER),
                audience: Some("edge-api"),
                roles_claim: "roles",
                public_key: pk::public(Alg::EdDsa),
            },
        ]
        .into_iter()
        .collect(),
        credentials: [
            Credential {
                id: "ci-bot",
                roles: RoleSet(bits(&[0])),
                kind: CredentialKind::ApiKey { sha256: Sha256::digest(API_KEY_ADMIN).into() },
            },
            Credential {
                id: "guest-bot",
                roles: RoleSet(bits(&[1])),
                kind: CredentialKind::ApiKey { sha256: Sha256::digest(API_KEY_GUEST).into() },
            },
            Credential {
                id: "admin-basic",
                roles: RoleSet(bits(&[0])),
                kind: CredentialKind::Basic {
                    user: "admin",
                    iterations: ITERATIONS,
                    salt: SALT_ADMIN,
                    hash: pbkdf2(PASSWORD_ADMIN, SALT_ADMIN),
                },
            },
            Credential {
                id: "guest-basic",
                roles: RoleSet(bits(&[1])),
                kind: CredentialKind::Basic {
                    user: "guest",
                    iterations: ITERATIONS,
                    salt: SALT_GUEST,
                    hash: pbkdf2(PASSWORD_GUEST, SALT_GUEST),
                },
            },
        ]
        .into_iter()
        .collect(),
        ranges: [
            v4([203, 0, 113, 0], 24),
            v4([10, 0, 0, 0], 8),
            IpRange { addr: "2001:db8::".parse::<std::net::Ipv6Addr>().unwrap().octets(), prefix: 32, v4: false },
        ]
        .into_iter()
        .collect(),
        origins: [
            OriginPattern::Exact { scheme: "https", host: "console.example.com", port: None },
            OriginPattern::Subdomains { scheme: "https", suffix: "example.com", port: None },
        ]
        .into_iter()
        .collect(),
        rules: rules.into_iter().collect(),
    }
}

/// The policy with a rule for every decision class (see the crate docs).
///
/// Rules: `health` (GET /health, public), `api` (GET, POST /api/**, every scheme, role
/// `admin`, IP allow list 10.0.0.0/8 and 2001:db8::/32, origins), `step-up` (DELETE /api/**,
/// bearer with `mfa` and a one-hour auth age), `tokens` (GET /tok/**, bearer only). Every rule
/// denies 203.0.113.0/24.
#[must_use]
pub fn classes_policy() -> PolicyBody<'static> {
    use Scheme::{ApiKey, Basic, Bearer};
    let health = rule("health", &[0], "/health", &[]);
    let mut api = rule("api", &[0, 1], "/api/**", &[Bearer, ApiKey, Basic]);
    api.roles_any = RoleSet(bits(&[0]));
    api.ip_allow = RangeSet(bits(&[1, 2]));
    api.origins = OriginSet(bits(&[0, 1]));
    let mut step_up = rule("step-up", &[2], "/api/**", &[Bearer]);
    step_up.roles_any = RoleSet(bits(&[0]));
    step_up.require_mfa = true;
    step_up.max_auth_age_s = Some(3600);
    let mut tokens = rule("tokens", &[0], "/tok/**", &[Bearer]);
    tokens.roles_any = RoleSet(bits(&[0]));
    common(vec![health, api, step_up, tokens])
}

/// 32 rules of one shape: rule `rNN` is GET /rNN/**, API key or bearer, role `admin`.
#[must_use]
pub fn rules32_policy() -> PolicyBody<'static> {
    use Scheme::{ApiKey, Bearer};
    let names: Vec<&'static str> = (1..=32).map(|i| &*Box::leak(format!("r{i:02}").into_boxed_str())).collect();
    let paths: Vec<&'static str> = (1..=32).map(|i| &*Box::leak(format!("/r{i:02}/**").into_boxed_str())).collect();
    let rules = names
        .iter()
        .zip(&paths)
        .map(|(name, path)| {
            let mut r = rule(name, &[0], path, &[ApiKey, Bearer]);
            r.roles_any = RoleSet(bits(&[0]));
            r
        })
        .collect();
    common(rules)
}

/// Encodes a policy body as a compiled policy.
#[must_use]
pub fn blob_of(body: &PolicyBody<'_>) -> Vec<u8> {
    let mut out = vec![0u8; 1 << 16];
    let n = warden::blob::encode(body, None, &mut out).unwrap();
    out.truncate(n);
    out
}

/// A compact JWS of `header` and `claims` (JSON text) with an `alg` MAC under `secret`.
#[must_use]
pub fn jws(alg: Alg, header: &str, claims: &str, secret: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        Base64UrlUnpadded::encode_string(header.as_bytes()),
        Base64UrlUnpadded::encode_string(claims.as_bytes())
    );
    let tag = match alg {
        Alg::Hs256 => hmac_tag::<Hmac<Sha256>>(secret, &input),
        Alg::Hs384 => hmac_tag::<Hmac<Sha384>>(secret, &input),
        Alg::Hs512 => hmac_tag::<Hmac<Sha512>>(secret, &input),
        // Public-key tokens are signed by `jws_signed`.
        _ => Vec::new(),
    };
    format!("{input}.{}", Base64UrlUnpadded::encode_string(&tag))
}

fn hmac_tag<M: Mac + KeyInit>(secret: &[u8], input: &str) -> Vec<u8> {
    let mut m = <M as KeyInit>::new_from_slice(secret).unwrap();
    m.update(input.as_bytes());
    m.finalize().into_bytes().to_vec()
}

/// Claims of fixed width: every number has ten digits and every string a fixed length, so
/// tokens that differ in outcome have the same length.
#[derive(Debug, Clone)]
pub struct Claims {
    /// Written after every date's ten digits (`""`, or a fraction such as `".25"` as PyJWT's
    /// `time.time()` floats have), so dates of one class keep one width.
    pub fraction: &'static str,
    /// `auth_time`, if any (RFC 9470).
    pub auth_time: Option<u64>,
    /// `iss` (24 bytes).
    pub iss: &'static str,
    /// `aud` (8 bytes).
    pub aud: &'static str,
    /// `iat`.
    pub iat: u64,
    /// `nbf`.
    pub nbf: u64,
    /// `exp`.
    pub exp: u64,
    /// The one `amr` value (3 bytes).
    pub amr: &'static str,
    /// The one role (5 bytes).
    pub role: &'static str,
}

impl Default for Claims {
    fn default() -> Self {
        Self {
            fraction: "",
            auth_time: None,
            iss: ISSUER,
            aud: "edge-api",
            iat: NOW - 100,
            nbf: NOW - 100,
            exp: NOW + 3600,
            amr: "mfa",
            role: "admin",
        }
    }
}

impl Claims {
    /// The JSON text.
    #[must_use]
    pub fn json(&self) -> String {
        let f = self.fraction;
        let auth_time = self.auth_time.map(|t| format!(r#","auth_time":{t}{f}"#)).unwrap_or_default();
        format!(
            r#"{{"sub":"alice","iss":"{}","aud":"{}","iat":{}{f},"nbf":{}{f},"exp":{}{f}{auth_time},"amr":["{}"],"roles":["{}"]}}"#,
            self.iss, self.aud, self.iat, self.nbf, self.exp, self.amr, self.role
        )
    }
}

/// An HS256 token for `kid` (4 bytes) with `alg` in the header (5 bytes) MACed with `secret`.
#[must_use]
pub fn token(header_alg: &str, kid: &str, claims: &Claims, secret: &[u8]) -> String {
    jws(Alg::Hs256, &format!(r#"{{"alg":"{header_alg}","typ":"JWT","kid":"{kid}"}}"#), &claims.json(), secret)
}

/// Public-key fixture tokens: the RSA key of RFC 7515 A.2, the P-256 key of A.3 and the Ed25519
/// key of RFC 8037 A.4 (test keys with published private halves). None of this is secret.
pub mod pk {
    use base64ct::{Base64UrlUnpadded, Encoding};
    use warden::policy::{Alg, PublicKey};

    const A2_N: &str = "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
    const A2_D: &str = "Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ";
    const A2_P: &str = "4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc";
    const A2_Q: &str = "uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc";
    const A3_D: &str = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";
    const A4_D: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";

    fn b64(s: &str) -> Vec<u8> {
        Base64UrlUnpadded::decode_vec(s).unwrap()
    }

    /// The fixture's public key for `alg` (RS256, ES256 or EdDSA).
    #[must_use]
    pub fn public(alg: Alg) -> PublicKey<'static> {
        match alg {
            Alg::Rs256 => PublicKey::Rsa { n: Box::leak(b64(A2_N).into_boxed_slice()), e: 65537 },
            Alg::Es256 => {
                let k = p256::ecdsa::SigningKey::from_slice(&b64(A3_D)).unwrap();
                PublicKey::Ec {
                    sec1: Box::leak(k.verifying_key().to_sec1_point(false).as_bytes().to_vec().into_boxed_slice()),
                }
            }
            _ => {
                let d: [u8; 32] = b64(A4_D).try_into().unwrap();
                PublicKey::Ed25519 { a: ed25519_dalek::SigningKey::from_bytes(&d).verifying_key().to_bytes() }
            }
        }
    }

    /// The signature of `input` with the fixture key of `alg`.
    #[must_use]
    pub fn sign(alg: Alg, input: &str) -> Vec<u8> {
        use rsa::signature::{SignatureEncoding, Signer};
        match alg {
            Alg::Rs256 => {
                let u = |s: &str| rsa::BoxedUint::from_be_slice_vartime(&b64(s));
                let k = rsa::PrivateKey::from_components(
                    u(A2_N),
                    rsa::BoxedUint::from(65537u64),
                    u(A2_D),
                    vec![u(A2_P), u(A2_Q)],
                )
                .unwrap();
                rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(k).sign(input.as_bytes()).to_vec()
            }
            Alg::Es256 => {
                let s: p256::ecdsa::Signature =
                    p256::ecdsa::SigningKey::from_slice(&b64(A3_D)).unwrap().sign(input.as_bytes());
                s.to_bytes().to_vec()
            }
            _ => {
                let d: [u8; 32] = b64(A4_D).try_into().unwrap();
                ed25519_dalek::SigningKey::from_bytes(&d).sign(input.as_bytes()).to_bytes().to_vec()
            }
        }
    }

    /// A token for `kid` (4 bytes) signed with the fixture key of `alg`; `tamper` changes one
    /// byte in the middle of the signature (same length).
    #[must_use]
    pub fn token(alg: Alg, kid: &str, claims: &super::Claims, tamper: bool) -> String {
        let header = format!(r#"{{"alg":"{}","typ":"JWT","kid":"{kid}"}}"#, alg.name());
        let input = format!(
            "{}.{}",
            Base64UrlUnpadded::encode_string(header.as_bytes()),
            Base64UrlUnpadded::encode_string(claims.json().as_bytes())
        );
        let mut sig = sign(alg, &input);
        if tamper {
            let mid = sig.len() / 2;
            sig[mid] ^= 0x40;
        }
        format!("{input}.{}", Base64UrlUnpadded::encode_string(&sig))
    }
}

/// `Basic base64(user:password)`.
#[must_use]
pub fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", Base64::encode_string(format!("{user}:{password}").as_bytes()))
}

/// Which fixture policy a case runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fixture {
    /// [`classes_policy`].
    Classes,
    /// [`rules32_policy`].
    Rules32,
}

/// One request with its expected reason.
#[derive(Debug, Clone)]
pub struct Case {
    /// Instruction-count class (requests of equal shape), if the case takes part.
    pub class: Option<&'static str>,
    /// Unique name.
    pub name: String,
    /// Policy.
    pub fixture: Fixture,
    /// Method.
    pub method: &'static str,
    /// Path.
    pub path: String,
    /// Client address.
    pub ip: Option<IpAddr>,
    /// Headers.
    pub headers: Vec<(String, Vec<u8>)>,
    /// Expected reason identifier.
    pub expect: &'static str,
}

impl Case {
    fn new(class: Option<&'static str>, name: &str, method: &'static str, path: &str, expect: &'static str) -> Self {
        Self {
            class,
            name: name.into(),
            fixture: Fixture::Classes,
            method,
            path: path.into(),
            ip: Some("10.1.2.3".parse().unwrap()),
            headers: Vec::new(),
            expect,
        }
    }
    fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.headers.push((name.into(), value.as_ref().to_vec()));
        self
    }
    fn bearer(self, token: &str) -> Self {
        self.header("authorization", format!("Bearer {token}"))
    }
    fn ip(mut self, ip: &str) -> Self {
        self.ip = Some(ip.parse().unwrap());
        self
    }
    fn on(mut self, fixture: Fixture) -> Self {
        self.fixture = fixture;
        self
    }

    /// The headers as the engine takes them.
    #[must_use]
    pub fn header_list(&self) -> Vec<Header<'_>> {
        self.headers.iter().map(|(n, v)| Header::new(n.as_bytes(), v)).collect()
    }

    /// The request, borrowing `headers` (from [`Case::header_list`]).
    #[must_use]
    pub fn request<'a>(&'a self, headers: &'a [Header<'a>]) -> Request<'a> {
        Request { method: self.method.as_bytes(), path: self.path.as_bytes(), client_ip: self.ip, headers, now: NOW }
    }
}

/// The reason identifier of a decision.
#[must_use]
pub fn reason(d: &Decision<'_>) -> &'static str {
    d.reason().as_str()
}

/// Every case: each decision class of SPEC §4, grouped into instruction-count classes.
#[must_use]
pub fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    let c = Case::new;
    let ok = Claims::default();
    let good = |claims: &Claims| token("HS256", "k256", claims, &SECRET_256);

    // Class jwt: GET /api/x with one bearer token of one length.
    let jwt = Some("jwt");
    v.push(c(jwt, "jwt-allowed", "GET", "/api/x", "allowed").bearer(&good(&ok)));
    v.push(
        c(jwt, "jwt-bad-signature", "GET", "/api/x", "token_bad_signature")
            .bearer(&token("HS256", "k256", &ok, &WRONG_256)),
    );
    let expired = Claims { exp: NOW - 3600, ..ok.clone() };
    v.push(c(jwt, "jwt-expired", "GET", "/api/x", "token_expired").bearer(&good(&expired)));
    let early = Claims { nbf: NOW + 3600, ..ok.clone() };
    v.push(c(jwt, "jwt-not-yet-valid", "GET", "/api/x", "token_not_yet_valid").bearer(&good(&early)));
    let iss = Claims { iss: "https://auth.example.org", ..ok.clone() };
    v.push(c(jwt, "jwt-issuer-mismatch", "GET", "/api/x", "token_issuer_mismatch").bearer(&good(&iss)));
    let aud = Claims { aud: "edge-apx", ..ok.clone() };
    v.push(c(jwt, "jwt-audience-mismatch", "GET", "/api/x", "token_audience_mismatch").bearer(&good(&aud)));
    let guest = Claims { role: "guest", ..ok.clone() };
    v.push(c(jwt, "jwt-insufficient-role", "GET", "/api/x", "insufficient_role").bearer(&good(&guest)));
    v.push(c(jwt, "jwt-unknown-key", "GET", "/api/x", "token_unknown_key").bearer(&token(
        "HS256",
        "k999",
        &ok,
        &SECRET_256,
    )));
    // HS384 named in the header of a token for the HS256 key, with a 32-byte MAC.
    v.push(c(jwt, "jwt-algorithm-switched", "GET", "/api/x", "token_algorithm_rejected").bearer(&token(
        "HS384",
        "k256",
        &ok,
        &SECRET_256,
    )));
    v.push(c(jwt, "jwt-blocked-ip", "GET", "/api/x", "ip_blocked").bearer(&good(&ok)).ip("203.0.113.9"));
    v.push(c(jwt, "jwt-ip-not-allowed", "GET", "/api/x", "ip_not_allowed").bearer(&good(&ok)).ip("192.0.2.1"));

    // Classes jwt-rs256, jwt-es256, jwt-eddsa: GET /api/x, one token of each public-key
    // algorithm (public data only: no secret is involved in these decisions).
    for (alg, kid, class, short) in [
        (Alg::Rs256, "r256", "jwt-rs256", "rs256"),
        (Alg::Es256, "e256", "jwt-es256", "es256"),
        (Alg::EdDsa, "ed25", "jwt-eddsa", "eddsa"),
    ] {
        let class = Some(class);
        let t = |claims: &Claims, tamper: bool| pk::token(alg, kid, claims, tamper);
        v.push(c(class, &format!("{short}-allowed"), "GET", "/api/x", "allowed").bearer(&t(&ok, false)));
        v.push(
            c(class, &format!("{short}-bad-signature"), "GET", "/api/x", "token_bad_signature").bearer(&t(&ok, true)),
        );
        v.push(c(class, &format!("{short}-expired"), "GET", "/api/x", "token_expired").bearer(&t(&expired, false)));
        v.push(
            c(class, &format!("{short}-insufficient-role"), "GET", "/api/x", "insufficient_role")
                .bearer(&t(&guest, false)),
        );
        v.push(
            c(class, &format!("{short}-blocked-ip"), "GET", "/api/x", "ip_blocked")
                .bearer(&t(&ok, false))
                .ip("203.0.113.9"),
        );
    }

    // Class jwt-step-up: DELETE /api/x (mfa and auth age required).
    let step = Some("jwt-step-up");
    v.push(c(step, "step-up-allowed", "DELETE", "/api/x", "allowed").bearer(&good(&ok)));
    let pwd = Claims { amr: "pwd", ..ok.clone() };
    v.push(c(step, "step-up-mfa-required", "DELETE", "/api/x", "mfa_required").bearer(&good(&pwd)));
    let old = Claims { iat: NOW - 7200, nbf: NOW - 7200, ..ok.clone() };
    v.push(c(step, "step-up-auth-too-old", "DELETE", "/api/x", "auth_too_old").bearer(&good(&old)));
    v.push(c(step, "step-up-insufficient-role", "DELETE", "/api/x", "insufficient_role").bearer(&good(&guest)));
    v.push(
        c(step, "step-up-bad-signature", "DELETE", "/api/x", "token_bad_signature")
            .bearer(&token("HS256", "k256", &ok, &WRONG_256)),
    );

    // Class jwt-step-up-auth-time: the step-up class with `auth_time`, which the age is
    // measured from (RFC 9470 §4); a fresh token of an old authentication is too old.
    let at = Some("jwt-step-up-auth-time");
    let fresh = Claims { auth_time: Some(NOW - 600), ..ok.clone() };
    v.push(c(at, "auth-time-allowed", "DELETE", "/api/x", "allowed").bearer(&good(&fresh)));
    let stale = Claims { auth_time: Some(NOW - 4 * 3600), ..ok.clone() };
    v.push(c(at, "auth-time-too-old", "DELETE", "/api/x", "auth_too_old").bearer(&good(&stale)));
    let fresh_guest = Claims { role: "guest", ..fresh.clone() };
    v.push(c(at, "auth-time-insufficient-role", "DELETE", "/api/x", "insufficient_role").bearer(&good(&fresh_guest)));
    v.push(
        c(at, "auth-time-bad-signature", "DELETE", "/api/x", "token_bad_signature")
            .bearer(&token("HS256", "k256", &stale, &WRONG_256)),
    );

    // Class jwt-float: the jwt class with `time.time()`-style dates (a fraction on each).
    let float = Some("jwt-float");
    let f = Claims { fraction: ".25", ..ok.clone() };
    v.push(c(float, "float-allowed", "GET", "/api/x", "allowed").bearer(&good(&f)));
    v.push(
        c(float, "float-bad-signature", "GET", "/api/x", "token_bad_signature")
            .bearer(&token("HS256", "k256", &f, &WRONG_256)),
    );
    let f_expired = Claims { exp: NOW - 3600, ..f.clone() };
    v.push(c(float, "float-expired", "GET", "/api/x", "token_expired").bearer(&good(&f_expired)));
    let f_early = Claims { nbf: NOW + 3600, ..f.clone() };
    v.push(c(float, "float-not-yet-valid", "GET", "/api/x", "token_not_yet_valid").bearer(&good(&f_early)));
    let f_guest = Claims { role: "guest", ..f.clone() };
    v.push(c(float, "float-insufficient-role", "GET", "/api/x", "insufficient_role").bearer(&good(&f_guest)));

    // Class head: HEAD /api/x (the GET rule admits HEAD) with one bearer token of one length.
    let head = Some("head");
    v.push(c(head, "head-allowed", "HEAD", "/api/x", "allowed").bearer(&good(&ok)));
    v.push(
        c(head, "head-bad-signature", "HEAD", "/api/x", "token_bad_signature")
            .bearer(&token("HS256", "k256", &ok, &WRONG_256)),
    );
    v.push(c(head, "head-expired", "HEAD", "/api/x", "token_expired").bearer(&good(&expired)));
    v.push(c(head, "head-insufficient-role", "HEAD", "/api/x", "insufficient_role").bearer(&good(&guest)));
    v.push(c(head, "head-blocked-ip", "HEAD", "/api/x", "ip_blocked").bearer(&good(&ok)).ip("203.0.113.9"));

    // Class api-key: GET /api/x with one x-api-key of one length.
    let key = Some("api-key");
    v.push(c(key, "api-key-allowed", "GET", "/api/x", "allowed").header("x-api-key", API_KEY_ADMIN));
    v.push(c(key, "api-key-invalid", "GET", "/api/x", "credentials_invalid").header("x-api-key", API_KEY_UNKNOWN));
    v.push(
        c(key, "api-key-insufficient-role", "GET", "/api/x", "insufficient_role").header("x-api-key", API_KEY_GUEST),
    );
    v.push(
        c(key, "api-key-ip-blocked", "GET", "/api/x", "ip_blocked")
            .header("x-api-key", API_KEY_ADMIN)
            .ip("203.0.113.9"),
    );
    v.push(
        c(key, "api-key-ip-not-allowed", "GET", "/api/x", "ip_not_allowed")
            .header("x-api-key", API_KEY_ADMIN)
            .ip("192.0.2.1"),
    );
    v.push(
        c(key, "api-key-method-not-allowed", "PUT", "/api/x", "method_not_allowed").header("x-api-key", API_KEY_ADMIN),
    );

    // Class api-key-authorization: the same keys as `Authorization: ApiKey <key>`.
    let akh = Some("api-key-authorization");
    let apikey = |k: &str| format!("ApiKey {k}");
    v.push(c(akh, "apikey-scheme-allowed", "GET", "/api/x", "allowed").header("authorization", apikey(API_KEY_ADMIN)));
    v.push(
        c(akh, "apikey-scheme-invalid", "GET", "/api/x", "credentials_invalid")
            .header("authorization", apikey(API_KEY_UNKNOWN)),
    );
    v.push(
        c(akh, "apikey-scheme-insufficient-role", "GET", "/api/x", "insufficient_role")
            .header("authorization", apikey(API_KEY_GUEST)),
    );

    // Class basic: GET /api/x with one Basic value of one length.
    let bas = Some("basic");
    v.push(c(bas, "basic-allowed", "GET", "/api/x", "allowed").header("authorization", basic("admin", PASSWORD_ADMIN)));
    v.push(
        c(bas, "basic-wrong-password", "GET", "/api/x", "credentials_invalid")
            .header("authorization", basic("admin", PASSWORD_GUEST)),
    );
    v.push(
        c(bas, "basic-unknown-user", "GET", "/api/x", "credentials_invalid")
            .header("authorization", basic("nobdy", PASSWORD_ADMIN)),
    );
    v.push(
        c(bas, "basic-insufficient-role", "GET", "/api/x", "insufficient_role")
            .header("authorization", basic("guest", PASSWORD_GUEST)),
    );

    // Class origin: GET /api/x with an API key and an origin of one length.
    let org = Some("origin");
    v.push(
        c(org, "origin-allowed", "GET", "/api/x", "allowed")
            .header("x-api-key", API_KEY_ADMIN)
            .header("origin", "https://console.example.com"),
    );
    v.push(
        c(org, "origin-not-allowed", "GET", "/api/x", "origin_not_allowed")
            .header("x-api-key", API_KEY_ADMIN)
            .header("origin", "https://console.example.org"),
    );
    v.push(
        c(org, "origin-invalid-key", "GET", "/api/x", "credentials_invalid")
            .header("x-api-key", API_KEY_UNKNOWN)
            .header("origin", "https://console.example.com"),
    );

    // Class no-credentials: GET /api/x without credentials.
    let none = Some("no-credentials");
    v.push(c(none, "missing", "GET", "/api/x", "credentials_missing"));
    v.push(c(none, "missing-ip-blocked", "GET", "/api/x", "ip_blocked").ip("203.0.113.9"));
    v.push(c(none, "missing-ip-not-allowed", "GET", "/api/x", "ip_not_allowed").ip("192.0.2.1"));
    v.push(c(none, "missing-no-matching-rule", "GET", "/xyz/x", "no_matching_rule"));
    v.push(c(none, "missing-method-not-allowed", "PUT", "/api/x", "method_not_allowed"));
    v.push(c(none, "missing-malformed-path", "GET", "/api/.", "malformed_path"));

    // Class public: GET and a seven-byte path, no credentials.
    let public = Some("public");
    v.push(c(public, "public-allowed", "GET", "/health", "public"));
    v.push(c(public, "public-ip-blocked", "GET", "/health", "ip_blocked").ip("203.0.113.9"));
    v.push(c(public, "public-no-matching-rule", "GET", "/healtx", "no_matching_rule"));
    v.push(c(public, "public-method-not-allowed", "PUT", "/health", "method_not_allowed"));

    // Class preflight: OPTIONS /api/x with origin and access-control-request-method.
    let pre = Some("preflight");
    let preflight = |name: &str, origin: &str, method: &str, expect| {
        c(pre, name, "OPTIONS", "/api/x", expect)
            .header("origin", origin)
            .header("access-control-request-method", method)
    };
    v.push(preflight("preflight-allowed", "https://console.example.com", "GET", "preflight"));
    v.push(preflight("preflight-origin-not-allowed", "https://console.example.org", "GET", "origin_not_allowed"));
    v.push(preflight("preflight-no-matching-rule", "https://console.example.com", "PUT", "no_matching_rule"));
    v.push(preflight("preflight-ip-blocked", "https://console.example.com", "GET", "ip_blocked").ip("203.0.113.9"));
    // Not one method token (SPEC §5): no rule, whatever the rules' methods.
    v.push(preflight("preflight-method-not-a-token", "https://console.example.com", "G,T", "no_matching_rule"));
    v.push(
        c(None, "preflight-head", "OPTIONS", "/api/x", "preflight")
            .header("origin", "https://console.example.com")
            .header("access-control-request-method", "HEAD"),
    );

    // Class rule-position: the 32-rule policy, one API key.
    let pos = Some("rule-position");
    for i in [1, 2, 16, 31, 32] {
        v.push(
            c(pos, &format!("rule-{i:02}"), "GET", &format!("/r{i:02}/item"), "allowed")
                .header("x-api-key", API_KEY_ADMIN)
                .on(Fixture::Rules32),
        );
    }
    // HEAD finds the GET rules at every position with the same work.
    let pos_head = Some("rule-position-head");
    for i in [1, 16, 32] {
        v.push(
            c(pos_head, &format!("head-rule-{i:02}"), "HEAD", &format!("/r{i:02}/item"), "allowed")
                .header("x-api-key", API_KEY_ADMIN)
                .on(Fixture::Rules32),
        );
    }
    v.push(
        c(pos, "rule-none", "GET", "/r99/item", "no_matching_rule")
            .header("x-api-key", API_KEY_ADMIN)
            .on(Fixture::Rules32),
    );
    v.push(
        c(pos, "rule-01-method-not-allowed", "PUT", "/r01/item", "method_not_allowed")
            .header("x-api-key", API_KEY_ADMIN)
            .on(Fixture::Rules32),
    );
    v.push(
        c(pos, "rule-32-invalid-key", "GET", "/r32/item", "credentials_invalid")
            .header("x-api-key", API_KEY_UNKNOWN)
            .on(Fixture::Rules32),
    );
    v.push(
        c(pos, "rule-01-insufficient-role", "GET", "/r01/item", "insufficient_role")
            .header("x-api-key", API_KEY_GUEST)
            .on(Fixture::Rules32),
    );

    // Class escaped-path: the 32-rule policy, one API key, eleven-byte paths with escapes
    // (issue 11): decoding, and refusing what does not decode, costs the same whatever the
    // escape decodes to and whichever rule the decoded path reaches.
    let esc = Some("escaped-path");
    for (name, path, expect) in [
        ("escaped-rule-01", "/r01/%69tem", "allowed"),
        ("escaped-rule-32", "/r32/%69tem", "allowed"),
        ("escaped-rule-none", "/r99/%69tem", "no_matching_rule"),
        ("escaped-nul", "/r01/%00tem", "malformed_path"),
        ("escaped-overlong", "/r01/%C0tem", "malformed_path"),
        ("escaped-malformed", "/r01/%zztem", "malformed_path"),
        ("escaped-dot-dot", "/r01/%2e%2e", "malformed_path"),
        ("escaped-raw-hash", "/r01/%69t#m", "malformed_path"),
    ] {
        v.push(c(esc, name, "GET", path, expect).header("x-api-key", API_KEY_ADMIN).on(Fixture::Rules32));
    }

    // Outside any class: the remaining reasons, with shapes of their own.
    v.push(
        c(None, "ambiguous", "GET", "/api/x", "credentials_ambiguous")
            .header("x-api-key", API_KEY_ADMIN)
            .bearer(&good(&ok)),
    );
    v.push(c(None, "scheme-not-accepted", "GET", "/tok/x", "scheme_not_accepted").header("x-api-key", API_KEY_ADMIN));
    v.push(c(None, "malformed-bearer", "GET", "/api/x", "credentials_malformed").bearer("not-a-token"));
    v.push(c(None, "malformed-basic", "GET", "/api/x", "credentials_malformed").header("authorization", "Basic !!!!"));
    let none_alg = {
        let t = jws(Alg::Hs256, r#"{"alg":"none","kid":"k256"}"#, &ok.json(), &SECRET_256);
        format!("{}.", t.rsplit_once('.').unwrap().0)
    };
    v.push(c(None, "alg-none", "GET", "/api/x", "token_algorithm_rejected").bearer(&none_alg));
    v.push(c(None, "jwt-hs384-allowed", "GET", "/api/x", "allowed").bearer(&jws(
        Alg::Hs384,
        r#"{"alg":"HS384","kid":"k384"}"#,
        &ok.json(),
        &SECRET_384,
    )));
    v.push(c(None, "jwt-hs512-allowed", "GET", "/api/x", "allowed").bearer(&jws(
        Alg::Hs512,
        r#"{"alg":"HS512","kid":"k512"}"#,
        &ok.json(),
        &SECRET_512,
    )));
    v.push(c(None, "jwt-no-kid-allowed", "GET", "/api/x", "allowed").bearer(&jws(
        Alg::Hs512,
        r#"{"alg":"HS512"}"#,
        &ok.json(),
        &SECRET_512,
    )));
    v.push(c(None, "jwt-ipv6-allowed", "GET", "/api/x", "allowed").bearer(&good(&ok)).ip("2001:db8::7"));
    v.push(c(None, "jwt-mapped-blocked", "GET", "/api/x", "ip_blocked").bearer(&good(&ok)).ip("::ffff:203.0.113.9"));
    v.push(c(None, "percent-path-allowed", "GET", "/%61pi/x", "allowed").header("x-api-key", API_KEY_ADMIN));
    v
}

/// Loads the engine of `fixture` from `blob` with `keys`.
#[must_use]
pub fn load<'a>(blob: &'a [u8], keys: &[KeyMaterial<'_>]) -> Engine<'a> {
    Engine::load(blob, keys).unwrap()
}
