//! A policy built in code (independent of the compiler), dev keys and request helpers shared
//! by the core's integration tests.
#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test file uses a different part; the module is private to each test crate"
)]

use std::net::IpAddr;

use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256, Sha384, Sha512};
use warden::policy::*;
use warden::{Decision, Engine, Header, KeyMaterial, Request};

/// Dev secrets for the test policy's keys. Test fixtures only.
pub const SECRET_256: &[u8] = b"dev-only-hs256-secret-0123456789abcdef";
pub const SECRET_384: &[u8] = b"dev-only-hs384-secret-0123456789abcdef0123456789";
pub const SECRET_512: &[u8] = b"dev-only-hs512-secret-0123456789abcdef0123456789abcdef0123456789";
pub const API_KEY_CI: &str = "wk_dev_ci_bot_key";
pub const API_KEY_READER: &str = "wk_dev_reader_key";
pub const BASIC_USER: &str = "admin";
pub const BASIC_PASSWORD: &str = "correct horse battery staple";
pub const BASIC_SALT: &[u8] = b"dev-salt-16bytes";
// Under miri (an interpreter) 1 000 PBKDF2 iterations take minutes per Basic check.
pub const ITERATIONS: u32 = if cfg!(miri) { 2 } else { 1000 };
pub const NOW: u64 = 1_800_000_000;
pub const ISSUER: &str = "https://auth.example.com";

pub fn keyring() -> [KeyMaterial<'static>; 3] {
    [
        KeyMaterial { id: "k256", secret: SECRET_256 },
        KeyMaterial { id: "k384", secret: SECRET_384 },
        KeyMaterial { id: "k512", secret: SECRET_512 },
    ]
}

fn range(addr: IpAddr, prefix: u8) -> IpRange {
    match addr {
        IpAddr::V4(v4) => IpRange { addr: v4.to_ipv6_mapped().octets(), prefix: prefix + 96, v4: true },
        IpAddr::V6(v6) => IpRange { addr: v6.octets(), prefix, v4: false },
    }
}

fn set(bits: &[usize]) -> u64 {
    bits.iter().fold(0, |s, b| s | 1 << b)
}

pub fn password_hash() -> [u8; 32] {
    warden::internal::pbkdf2_sha256(BASIC_PASSWORD.as_bytes(), BASIC_SALT, ITERATIONS)
}

pub fn rule(name: &'static str, methods: &[usize], path: &'static str, auth: &[Scheme]) -> Rule<'static> {
    Rule {
        name,
        methods: MethodSet(set(methods) as u32),
        any_method: methods.is_empty(),
        path,
        auth: auth.iter().copied().collect(),
        roles_any: RoleSet::EMPTY,
        roles_all: RoleSet::EMPTY,
        ip_allow: RangeSet::EMPTY,
        ip_deny: RangeSet(1), // the "defaults" deny range 0 is merged into every rule
        origins: OriginSet::EMPTY,
        require_mfa: false,
        max_auth_age_s: None,
    }
}

/// Methods: 0 GET, 1 POST, 2 DELETE. Roles: 0 admin, 1 deployer, 2 reader, 3 ops.
/// Ranges: 0 203.0.113.0/24 (default deny), 1 10.0.0.0/8, 2 2001:db8::/32, 3 198.51.100.7/32.
/// Origins: 0 https://console.example.com, 1 https://*.example.com, 2 null.
pub fn body() -> PolicyBody<'static> {
    use Scheme::*;
    let mut admin = rule("admin-console", &[0, 1], "/admin/**", &[Bearer, Basic]);
    admin.roles_any = RoleSet(set(&[0]));
    admin.ip_allow = RangeSet(set(&[1, 2]));
    admin.origins = OriginSet(set(&[0, 1]));
    let mut step_up = rule("admin-danger", &[2], "/admin/**", &[Bearer]);
    step_up.roles_any = RoleSet(set(&[0]));
    step_up.require_mfa = true;
    step_up.max_auth_age_s = Some(3600);
    let mut deploy = rule("deploy", &[1], "/deploy/*", &[ApiKey, Bearer]);
    deploy.roles_all = RoleSet(set(&[1]));
    deploy.ip_deny = RangeSet(set(&[0, 3]));
    let mut items = rule("items", &[0], "/items/**", &[Bearer, ApiKey, Basic]);
    items.roles_any = RoleSet(set(&[2, 0]));
    items.origins = OriginSet(set(&[0, 1]));
    let mut echo = rule("echo", &[], "/echo/**", &[Bearer]);
    echo.origins = OriginSet(set(&[2, 0]));
    let mut open = rule("open-cors", &[0], "/open/*", &[]);
    open.origins = OriginSet(set(&[1]));
    PolicyBody {
        name: "test",
        realm: "edge-api",
        settings: Settings::DEFAULT,
        cors: CorsSettings { allow_credentials: true, ..CorsSettings::DEFAULT },
        methods: ["GET", "POST", "DELETE"].into_iter().collect(),
        roles: ["admin", "deployer", "reader", "ops"].into_iter().collect(),
        keys: [
            KeySpec {
                id: "k256",
                alg: Alg::Hs256,
                issuer: Some(ISSUER),
                audience: Some("edge-api"),
                roles_claim: "roles",
                public_key: PublicKey::Secret,
            },
            KeySpec {
                id: "k384",
                alg: Alg::Hs384,
                issuer: None,
                audience: None,
                roles_claim: "groups",
                public_key: PublicKey::Secret,
            },
            KeySpec {
                id: "k512",
                alg: Alg::Hs512,
                issuer: None,
                audience: None,
                roles_claim: "roles",
                public_key: PublicKey::Secret,
            },
        ]
        .into_iter()
        .collect(),
        credentials: [
            Credential {
                id: "ci-bot",
                roles: RoleSet(set(&[1])),
                kind: CredentialKind::ApiKey { sha256: Sha256::digest(API_KEY_CI).into() },
            },
            Credential {
                id: "reader-bot",
                roles: RoleSet(set(&[2])),
                kind: CredentialKind::ApiKey { sha256: Sha256::digest(API_KEY_READER).into() },
            },
            Credential {
                id: "admin-basic",
                roles: RoleSet(set(&[0])),
                kind: CredentialKind::Basic {
                    user: BASIC_USER,
                    iterations: ITERATIONS,
                    salt: BASIC_SALT,
                    hash: password_hash(),
                },
            },
        ]
        .into_iter()
        .collect(),
        ranges: [
            range("203.0.113.0".parse().unwrap(), 24),
            range("10.0.0.0".parse().unwrap(), 8),
            range("2001:db8::".parse().unwrap(), 32),
            range("198.51.100.7".parse().unwrap(), 32),
        ]
        .into_iter()
        .collect(),
        origins: [
            OriginPattern::Exact { scheme: "https", host: "console.example.com", port: None },
            OriginPattern::Subdomains { scheme: "https", suffix: "example.com", port: None },
            OriginPattern::Null,
        ]
        .into_iter()
        .collect(),
        rules: [rule("health", &[0], "/health", &[]), admin, step_up, deploy, items, echo, open].into_iter().collect(),
    }
}

pub fn blob() -> Vec<u8> {
    blob_of(&body(), None)
}

pub fn blob_of(body: &PolicyBody<'_>, sign_key: Option<&[u8]>) -> Vec<u8> {
    let mut out = vec![0u8; 1 << 16];
    let n = warden::blob::encode(body, sign_key, &mut out).unwrap();
    out.truncate(n);
    out
}

pub fn engine(blob: &[u8]) -> Engine<'_> {
    Engine::load(blob, &keyring()).unwrap()
}

/// A compact JWS with the given header and claims JSON, signed with `secret` under `alg`.
pub fn jws(alg: Alg, header_json: &str, claims_json: &str, secret: &[u8]) -> String {
    let h = Base64UrlUnpadded::encode_string(header_json.as_bytes());
    let p = Base64UrlUnpadded::encode_string(claims_json.as_bytes());
    let input = format!("{h}.{p}");
    let tag: Vec<u8> = match alg {
        Alg::Hs256 => {
            let mut m = Hmac::<Sha256>::new_from_slice(secret).unwrap();
            m.update(input.as_bytes());
            m.finalize().into_bytes().to_vec()
        }
        Alg::Hs384 => {
            let mut m = Hmac::<Sha384>::new_from_slice(secret).unwrap();
            m.update(input.as_bytes());
            m.finalize().into_bytes().to_vec()
        }
        Alg::Hs512 => {
            let mut m = Hmac::<Sha512>::new_from_slice(secret).unwrap();
            m.update(input.as_bytes());
            m.finalize().into_bytes().to_vec()
        }
        // No MAC: public-key tokens are signed with their private keys (tests/pk_tokens.rs).
        _ => Vec::new(),
    };
    format!("{input}.{}", Base64UrlUnpadded::encode_string(&tag))
}

/// A valid HS256 token for key `k256` with these extra claims (JSON members, comma-led).
pub fn token(extra: &str) -> String {
    let claims = format!(
        r#"{{"sub":"alice","iss":"{ISSUER}","aud":"edge-api","iat":{},"exp":{}{extra}}}"#,
        NOW - 100,
        NOW + 3600
    );
    jws(Alg::Hs256, r#"{"alg":"HS256","typ":"JWT","kid":"k256"}"#, &claims, SECRET_256)
}

pub fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", Base64::encode_string(format!("{user}:{password}").as_bytes()))
}

/// Builds and evaluates a request.
pub struct Req {
    pub method: String,
    pub path: Vec<u8>,
    pub headers: Vec<(String, Vec<u8>)>,
    pub ip: Option<IpAddr>,
    pub now: u64,
}

pub fn req(method: &str, path: &str) -> Req {
    Req {
        method: method.into(),
        path: path.as_bytes().into(),
        headers: vec![],
        ip: Some("10.1.2.3".parse().unwrap()),
        now: NOW,
    }
}

impl Req {
    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.headers.push((name.into(), value.as_ref().to_vec()));
        self
    }
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", format!("Bearer {token}"))
    }
    pub fn ip(mut self, ip: &str) -> Self {
        self.ip = Some(ip.parse().unwrap());
        self
    }
    pub fn no_ip(mut self) -> Self {
        self.ip = None;
        self
    }
    pub fn now(mut self, now: u64) -> Self {
        self.now = now;
        self
    }
    pub fn raw_path(mut self, path: &[u8]) -> Self {
        self.path = path.to_vec();
        self
    }

    /// Evaluates and returns (status, reason, rule, subject, roles, challenges, cors origin).
    pub fn eval(&self, engine: &Engine<'_>) -> Outcome {
        let headers: Vec<Header<'_>> = self.headers.iter().map(|(n, v)| Header::new(n.as_bytes(), v)).collect();
        let r = Request {
            method: self.method.as_bytes(),
            path: &self.path,
            client_ip: self.ip,
            headers: &headers,
            now: self.now,
        };
        let d = engine.evaluate(&r);
        Outcome::of(&d)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub status: u16,
    pub reason: &'static str,
    pub rule: Option<String>,
    pub subject: Option<String>,
    pub roles: Vec<String>,
    pub challenges: Vec<String>,
    pub cors_origin: Option<String>,
    pub refresh_advised: bool,
    pub allow_methods: Option<String>,
}

impl Outcome {
    pub fn of(d: &Decision<'_>) -> Self {
        Outcome {
            status: d.status(),
            reason: d.reason().as_str(),
            rule: d.rule().map(Into::into),
            subject: d.subject().map(Into::into),
            roles: d.roles().iter().map(Into::into).collect(),
            challenges: d.challenges().map(|c| c.to_string()).collect(),
            cors_origin: d.cors().map(|c| c.allow_origin().into()),
            refresh_advised: d.refresh_advised(),
            allow_methods: d.cors().and_then(|c| c.preflight()).map(|p| {
                let mut buf = [0u8; 128];
                p.allow_methods().render(&mut buf).unwrap().to_string()
            }),
        }
    }
}
