//! Random policies (within capacities) and random requests, drawn from a stream of bytes.
//!
//! Every choice reads the next byte of a [`Source`]; an exhausted source answers 0, the
//! first (simplest) option. Proptest generates the byte vectors and shrinks them towards
//! shorter and smaller, which shrinks the policy and the request with them; the fuzz targets
//! feed libFuzzer's input to the same functions.
//!
//! Requests are built to reach every row of the decision table: paths from the rules'
//! patterns (and attack shapes), addresses inside and outside the ranges (IPv4, IPv6,
//! IPv4-mapped), origins from the patterns and near misses, API keys and Basic users of the
//! policy and wrong ones, and JWTs minted here with random headers, claims and signatures.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::std_instead_of_core,
    clippy::too_many_lines,
    reason = "a test generator"
)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use sha2::{Digest, Sha256};
use warden::policy::{
    Alg, CorsSettings, Credential, CredentialKind, IpRange, KeySpec, MethodSet, OnNoMatch, OriginPattern, OriginSet,
    PolicyBody, RangeSet, RoleSet, Rule, Scheme, Settings,
};

use super::ModelRequest;

/// The time every generated request is made at.
pub const NOW: u64 = 1_800_000_000;

/// A stream of choices.
#[derive(Debug)]
pub struct Source<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Source<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }
    pub fn byte(&mut self) -> u8 {
        let b = self.bytes.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }
    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        if n <= 256 {
            usize::from(self.byte()) % n
        } else {
            (usize::from(self.byte()) << 8 | usize::from(self.byte())) % n
        }
    }
    /// True about `percent` % of the time (false when exhausted).
    pub fn chance(&mut self, percent: u8) -> bool {
        let b = self.byte();
        u16::from(b) * 100 >= 256 * u16::from(100 - percent.min(100)) && b != 0
    }
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.byte()).collect()
    }
    /// A subset of `0..n` as a bit mask.
    pub fn subset(&mut self, n: usize, percent: u8) -> u64 {
        (0..n).filter(|_| self.chance(percent)).fold(0, |m, i| m | 1 << i)
    }
}

// ---------------------------------------------------------------------------------------------
// Policies

#[derive(Debug, Clone)]
pub enum CredSpec {
    ApiKey { key: String },
    Basic { user: String, password: String, iterations: u32, salt: Vec<u8>, hash: [u8; 32] },
}

#[derive(Debug, Clone)]
pub struct KeyGenSpec {
    pub id: String,
    pub alg: Alg,
    pub issuer: Option<&'static str>,
    pub audience: Option<&'static str>,
    pub roles_claim: &'static str,
    /// HMAC secret (empty for a public key).
    pub secret: Vec<u8>,
    /// A public key's signer (`None` for HMAC).
    pub signer: Option<TestSigner>,
}

/// Fixed public keys for generated policies, with their private halves for signing: the RSA
/// key of RFC 7515 A.2, the P-256 key of RFC 7515 A.3, the Ed25519 key of RFC 8037 A.4, and a
/// P-384 key from a fixed scalar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestSigner {
    Rsa,
    P256,
    P384,
    Ed25519,
}

const A2_N: &str = "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
const A2_D: &str = "Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ";
const A2_P: &str = "4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc";
const A2_Q: &str = "uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc";
const A3_D: &str = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";
const A4_D: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
const P384_D: [u8; 48] = [0x5a; 48];

fn b64d(s: &str) -> Vec<u8> {
    Base64UrlUnpadded::decode_vec(s).unwrap()
}

/// A deterministic "random" source for PSS salts (the model needs reproducible tokens, not
/// secret ones).
struct Counter(u64);

impl rand_core::TryRng for Counter {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(self.try_next_u64()? as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        Ok(self.0)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for b in dst {
            *b = (self.try_next_u64()? >> 56) as u8;
        }
        Ok(())
    }
}

impl rand_core::TryCryptoRng for Counter {}

fn rsa_private() -> &'static rsa::PrivateKey {
    static KEY: std::sync::OnceLock<rsa::PrivateKey> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        let u = |s: &str| rsa::BoxedUint::from_be_slice_vartime(&b64d(s));
        rsa::PrivateKey::from_components(u(A2_N), rsa::BoxedUint::from(65537u64), u(A2_D), vec![u(A2_P), u(A2_Q)])
            .unwrap()
    })
}

impl TestSigner {
    /// The algorithms this key signs.
    pub fn algs(self) -> &'static [Alg] {
        match self {
            Self::Rsa => &[Alg::Rs256, Alg::Rs384, Alg::Rs512, Alg::Ps256, Alg::Ps384, Alg::Ps512],
            Self::P256 => &[Alg::Es256],
            Self::P384 => &[Alg::Es384],
            Self::Ed25519 => &[Alg::EdDsa],
        }
    }

    /// The public key as the policy stores it.
    pub fn public(self) -> warden::policy::PublicKey<'static> {
        use std::sync::OnceLock;
        static N: OnceLock<Vec<u8>> = OnceLock::new();
        static P256: OnceLock<Vec<u8>> = OnceLock::new();
        static P384: OnceLock<Vec<u8>> = OnceLock::new();
        match self {
            Self::Rsa => warden::policy::PublicKey::Rsa { n: N.get_or_init(|| b64d(A2_N)), e: 65537 },
            Self::P256 => warden::policy::PublicKey::Ec {
                sec1: P256.get_or_init(|| {
                    let k = p256::ecdsa::SigningKey::from_slice(&b64d(A3_D)).unwrap();
                    k.verifying_key().to_sec1_point(false).as_bytes().to_vec()
                }),
            },
            Self::P384 => warden::policy::PublicKey::Ec {
                sec1: P384.get_or_init(|| {
                    let k = p384::ecdsa::SigningKey::from_slice(&P384_D).unwrap();
                    k.verifying_key().to_sec1_point(false).as_bytes().to_vec()
                }),
            },
            Self::Ed25519 => {
                let d: [u8; 32] = b64d(A4_D).try_into().unwrap();
                warden::policy::PublicKey::Ed25519 {
                    a: ed25519_dalek::SigningKey::from_bytes(&d).verifying_key().to_bytes(),
                }
            }
        }
    }

    /// A signature of `input` with `alg`; empty when this key does not sign `alg`.
    pub fn sign(self, alg: Alg, input: &[u8], salt_seed: u64) -> Vec<u8> {
        use rsa::signature::{RandomizedSigner, SignatureEncoding, Signer};
        use rsa::{pkcs1v15 as p1, pss};
        let k = || rsa_private().clone();
        let mut rng = Counter(salt_seed);
        match (self, alg) {
            (Self::Rsa, Alg::Rs256) => p1::SigningKey::<Sha256>::new(k()).sign(input).to_vec(),
            (Self::Rsa, Alg::Rs384) => p1::SigningKey::<sha2::Sha384>::new(k()).sign(input).to_vec(),
            (Self::Rsa, Alg::Rs512) => p1::SigningKey::<sha2::Sha512>::new(k()).sign(input).to_vec(),
            (Self::Rsa, Alg::Ps256) => pss::SigningKey::<Sha256>::new(k()).sign_with_rng(&mut rng, input).to_vec(),
            (Self::Rsa, Alg::Ps384) => {
                pss::SigningKey::<sha2::Sha384>::new(k()).sign_with_rng(&mut rng, input).to_vec()
            }
            (Self::Rsa, Alg::Ps512) => {
                pss::SigningKey::<sha2::Sha512>::new(k()).sign_with_rng(&mut rng, input).to_vec()
            }
            (Self::P256, Alg::Es256) => {
                let s: p256::ecdsa::Signature = p256::ecdsa::SigningKey::from_slice(&b64d(A3_D)).unwrap().sign(input);
                s.to_bytes().to_vec()
            }
            (Self::P384, Alg::Es384) => {
                let s: p384::ecdsa::Signature = p384::ecdsa::SigningKey::from_slice(&P384_D).unwrap().sign(input);
                s.to_bytes().to_vec()
            }
            (Self::Ed25519, Alg::EdDsa) => {
                let d: [u8; 32] = b64d(A4_D).try_into().unwrap();
                ed25519_dalek::SigningKey::from_bytes(&d).sign(input).to_bytes().to_vec()
            }
            _ => Vec::new(),
        }
    }
}

impl KeyGenSpec {
    /// A signature by this key with `alg`: its MAC, or its private key's signature.
    pub fn sign(&self, alg: Alg, input: &[u8], seed: u64) -> Vec<u8> {
        match self.signer {
            Some(s) => s.sign(alg, input, seed),
            None => super::mac(alg, &self.secret, input),
        }
    }
}

#[derive(Debug, Clone)]
pub struct RuleSpec {
    pub name: String,
    pub methods: u32,
    pub any_method: bool,
    pub path: String,
    pub auth: Vec<Scheme>,
    pub roles_any: u64,
    pub roles_all: u64,
    pub ip_allow: u64,
    pub ip_deny: u64,
    pub origins: u64,
    pub require_mfa: bool,
    pub max_auth_age_s: Option<u32>,
}

/// An owned policy; [`PolicySpec::body`] borrows it as the compiled types.
#[derive(Debug, Clone)]
pub struct PolicySpec {
    pub leeway_s: u32,
    pub refresh_window_s: u32,
    pub api_key_header: &'static str,
    pub allow_credentials: bool,
    pub methods: Vec<&'static str>,
    pub roles: Vec<&'static str>,
    pub keys: Vec<KeyGenSpec>,
    pub creds: Vec<(String, u64, CredSpec)>,
    pub ranges: Vec<IpRange>,
    pub origins: Vec<OriginPattern<'static>>,
    pub rules: Vec<RuleSpec>,
}

const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "get", "HEAD"];
const ROLES: &[&str] = &["admin", "reader", "writer", "ops", "billing", "guest", "a:b"];
const ISSUERS: &[&str] = &["https://auth.example.com", "https://idp.test", "iss\u{e9}"];
const AUDIENCES: &[&str] = &["edge-api", "other", "api"];
const ROLE_CLAIMS: &[&str] = &["roles", "groups", "perms"];
// Stored (decoded) pattern segments: `%`, `?` and `#` are ordinary bytes there.
const SEGMENTS: &[&str] =
    &["api", "v1", "admin", "items", "users", "*", "caf\u{e9}", "a b", "x.y", "~u", "jobs:run", "100%", "q?#"];
const USERS: &[&str] = &["admin", "alice", "bob", "\u{e9}mile"];
const WORDS: &[&str] = &[
    "a",
    "b",
    "x",
    "item",
    "42",
    "admin",
    "v1",
    "api",
    "users",
    "caf%c3%a9",
    "%7Eu",
    "~u",
    "a%20b",
    "%2541",
    "%2A",
    "a+b",
];

fn v4_range(a: [u8; 4], prefix: u8) -> IpRange {
    IpRange { addr: Ipv4Addr::from(a).to_ipv6_mapped().octets(), prefix: prefix + 96, v4: true }
}

fn v6_range(a: &str, prefix: u8) -> IpRange {
    IpRange { addr: a.parse::<Ipv6Addr>().unwrap().octets(), prefix, v4: false }
}

fn range_pool() -> Vec<IpRange> {
    vec![
        v4_range([10, 0, 0, 0], 8),
        v4_range([10, 1, 0, 0], 16),
        v4_range([192, 168, 1, 0], 24),
        v4_range([203, 0, 113, 0], 24),
        v4_range([198, 51, 100, 7], 32),
        v4_range([0, 0, 0, 0], 0),
        v6_range("2001:db8::", 32),
        v6_range("2001:db8:1::", 48),
        v6_range("::", 0),
        v6_range("::1", 128),
        v6_range("fe80::", 10),
        v6_range("::ffff:0:0", 96),
    ]
}

fn origin_pool() -> Vec<OriginPattern<'static>> {
    vec![
        OriginPattern::Exact { scheme: "https", host: "console.example.com", port: None },
        OriginPattern::Exact { scheme: "http", host: "localhost", port: Some(8080) },
        OriginPattern::Subdomains { scheme: "https", suffix: "example.com", port: None },
        OriginPattern::Subdomains { scheme: "https", suffix: "example.com", port: Some(8443) },
        OriginPattern::Exact { scheme: "http", host: "[::1]", port: Some(8080) },
        OriginPattern::Exact { scheme: "https", host: "my_app.example.com", port: None },
        OriginPattern::Null,
        OriginPattern::Any,
    ]
}

/// A subset of a pool, in pool order, as chosen items.
fn sub_pool<T: Clone>(src: &mut Source<'_>, pool: &[T], percent: u8) -> Vec<T> {
    pool.iter().filter(|_| src.chance(percent)).cloned().collect()
}

fn pattern(src: &mut Source<'_>) -> String {
    if src.chance(8) {
        return if src.chance(50) { "/".into() } else { "/**".into() };
    }
    let n = 1 + src.below(4);
    let mut p = String::new();
    for _ in 0..n {
        p.push('/');
        p.push_str(src.pick(SEGMENTS));
    }
    if src.chance(40) {
        p.push_str("/**");
    }
    p
}

fn mask_within(src: &mut Source<'_>, n: usize, percent: u8) -> u64 {
    src.subset(n, percent)
}

pub fn gen_policy(src: &mut Source<'_>) -> PolicySpec {
    let mut methods = sub_pool(src, METHODS, 50);
    if methods.is_empty() {
        methods.push("GET");
    }
    let roles = sub_pool(src, ROLES, 60);
    let nkeys = src.below(4);
    let keys: Vec<KeyGenSpec> = (0..nkeys)
        .map(|i| {
            // A third of the keys are public keys (one of the fixed test keys); none under miri,
            // where one RSA signature takes minutes.
            let signer = if !cfg!(miri) && src.chance(35) {
                Some(src.pick(&[TestSigner::Rsa, TestSigner::P256, TestSigner::P384, TestSigner::Ed25519]))
            } else {
                None
            };
            let alg = match signer {
                Some(s) => src.pick(s.algs()),
                None => src.pick(&[Alg::Hs256, Alg::Hs384, Alg::Hs512]),
            };
            let len = if signer.is_some() { 0 } else { alg.output_len() + src.below(9) };
            KeyGenSpec {
                signer,
                id: if i == 0 && src.chance(20) { "k\u{e9}".into() } else { format!("k{i}") },
                alg,
                issuer: if src.chance(40) { Some(src.pick(ISSUERS)) } else { None },
                audience: if src.chance(40) { Some(src.pick(AUDIENCES)) } else { None },
                roles_claim: src.pick(ROLE_CLAIMS),
                secret: src.bytes(len),
            }
        })
        .collect();
    let salt_len = 8 + src.below(9);
    let ncreds = src.below(5);
    let mut creds = Vec::new();
    let mut users_taken = Vec::new();
    for i in 0..ncreds {
        let roles_mask = mask_within(src, roles.len(), 40);
        let spec = if src.chance(50) {
            CredSpec::ApiKey { key: format!("wk_{}_{:08x}", i, src.u32()) }
        } else {
            let user = src.pick(USERS);
            if users_taken.contains(&user) {
                CredSpec::ApiKey { key: format!("wk_{}_{:08x}", i, src.u32()) }
            } else {
                users_taken.push(user);
                let password = format!("pw-{:x}", src.u32() % 4096);
                let iterations = 1 + u32::try_from(src.below(3)).unwrap();
                let salt = src.bytes(salt_len);
                let hash = super::pbkdf2_sha256(password.as_bytes(), &salt, iterations);
                CredSpec::Basic { user: user.into(), password, iterations, salt, hash }
            }
        };
        creds.push((format!("cred-{i}"), roles_mask, spec));
    }
    let ranges = sub_pool(src, &range_pool(), 40);
    let origins = sub_pool(src, &origin_pool(), 40);
    let nrules = 1 + src.below(8);
    let rules = (0..nrules)
        .map(|i| {
            let any_method = src.chance(15);
            let mut m = if any_method { 0 } else { u32::try_from(mask_within(src, methods.len(), 40)).unwrap() };
            if !any_method && m == 0 {
                m = 1 << src.below(methods.len());
            }
            let mut auth: Vec<Scheme> = Vec::new();
            if !src.chance(20) {
                for _ in 0..1 + src.below(3) {
                    let s = src.pick(&[Scheme::Bearer, Scheme::ApiKey, Scheme::Basic]);
                    if !auth.contains(&s) {
                        auth.push(s);
                    }
                }
            }
            let bearer = auth.contains(&Scheme::Bearer);
            RuleSpec {
                name: format!("rule-{i}"),
                methods: m,
                any_method,
                path: pattern(src),
                roles_any: mask_within(src, roles.len(), 25),
                roles_all: if src.chance(20) { mask_within(src, roles.len(), 20) } else { 0 },
                ip_allow: if src.chance(30) { mask_within(src, ranges.len(), 40) } else { 0 },
                ip_deny: if src.chance(30) { mask_within(src, ranges.len(), 30) } else { 0 },
                origins: if src.chance(40) { mask_within(src, origins.len(), 50) } else { 0 },
                require_mfa: bearer && src.chance(25),
                max_auth_age_s: if bearer && src.chance(25) { Some(src.pick(&[0, 60, 3600])) } else { None },
                auth,
            }
        })
        .collect();
    PolicySpec {
        leeway_s: src.pick(&[0, 1, 60]),
        refresh_window_s: src.pick(&[0, 300]),
        api_key_header: src.pick(&["x-api-key", "api-key"]),
        allow_credentials: src.chance(50),
        methods,
        roles,
        keys,
        creds,
        ranges,
        origins,
        rules,
    }
}

impl PolicySpec {
    /// The compiled-policy form, borrowing `self`.
    pub fn body(&self) -> PolicyBody<'_> {
        PolicyBody {
            name: "generated",
            realm: "gen-realm",
            settings: Settings {
                leeway_s: self.leeway_s,
                refresh_window_s: self.refresh_window_s,
                api_key_header: self.api_key_header,
                on_no_match: OnNoMatch::Forbid,
            },
            cors: CorsSettings {
                allow_headers: "authorization, content-type",
                max_age_s: 600,
                allow_credentials: self.allow_credentials,
            },
            methods: self.methods.iter().copied().collect(),
            roles: self.roles.iter().copied().collect(),
            keys: self
                .keys
                .iter()
                .map(|k| KeySpec {
                    id: &k.id,
                    alg: k.alg,
                    issuer: k.issuer,
                    audience: k.audience,
                    roles_claim: k.roles_claim,
                    public_key: k.signer.map_or(warden::policy::PublicKey::Secret, TestSigner::public),
                })
                .collect(),
            credentials: self
                .creds
                .iter()
                .map(|(id, roles, spec)| Credential {
                    id,
                    roles: RoleSet(*roles),
                    kind: match spec {
                        CredSpec::ApiKey { key } => CredentialKind::ApiKey { sha256: Sha256::digest(key).into() },
                        CredSpec::Basic { user, iterations, salt, hash, .. } => {
                            CredentialKind::Basic { user, iterations: *iterations, salt, hash: *hash }
                        }
                    },
                })
                .collect(),
            ranges: self.ranges.iter().copied().collect(),
            origins: self.origins.iter().cloned().collect(),
            rules: self
                .rules
                .iter()
                .map(|r| Rule {
                    name: &r.name,
                    methods: MethodSet(r.methods),
                    any_method: r.any_method,
                    path: &r.path,
                    auth: r.auth.iter().copied().collect(),
                    roles_any: RoleSet(r.roles_any),
                    roles_all: RoleSet(r.roles_all),
                    ip_allow: RangeSet(r.ip_allow),
                    ip_deny: RangeSet(r.ip_deny),
                    origins: OriginSet(r.origins),
                    require_mfa: r.require_mfa,
                    max_auth_age_s: r.max_auth_age_s,
                })
                .collect(),
        }
    }

    /// The keyring: (id, secret).
    pub fn keyring(&self) -> Vec<(String, Vec<u8>)> {
        self.keys.iter().filter(|k| k.signer.is_none()).map(|k| (k.id.clone(), k.secret.clone())).collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Requests

const ATTACK_PATHS: &[&str] = &[
    "",
    "x",
    "/",
    "//",
    "/a//b",
    "/./a",
    "/a/.",
    "/a/..",
    "/a/../admin",
    "/%2e%2e/admin",
    "/%2E/x",
    "/a/.%2e/b",
    "/a%2fb",
    "/a%2F..",
    "/a%5cb",
    "/a%5C",
    "/a\\b",
    "/a\u{0}b",
    "/a\tb",
    "/a\u{7f}",
    "/%",
    "/%zz",
    "/%%41dmin",
    "/%41DMIN",
    "/a?x=/../..",
    "/admin?",
    "/a/...",
    "/..a",
    "/caf%c3%a9",
    "/\u{e9}",
    "/a#b",
    "/docs/..#",
    "/a/b#?c",
    "/%C0%AE",
    "/%E0%80%AE",
    "/%ED%A0%80",
    "/%F4%90%80%80",
    "/%FF",
    "/caf%C3",
    "/a%00",
    "/a%0A",
    "/a%7f",
    "/a%3Fb",
    "/a%23b",
    "/a%2541",
    "/a%4",
    "/a%?",
    "/a;/..;/b",
];

/// A stored pattern literal as a client may send it: `%`, `?` and `#` (bytes of the decoded
/// path) always escaped, and sometimes every byte that is not unreserved, as browsers do.
fn encode_literal(src: &mut Source<'_>, literal: &str) -> String {
    let all = src.chance(30);
    let mut out = Vec::new();
    for &b in literal.as_bytes() {
        let unreserved = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
        if matches!(b, b'%' | b'?' | b'#') || (all && !unreserved) {
            out.extend_from_slice(format!("%{b:02X}").as_bytes());
        } else {
            out.push(b);
        }
    }
    // Only ASCII bytes were replaced, by ASCII: still UTF-8.
    String::from_utf8(out).unwrap()
}

fn fill_pattern(src: &mut Source<'_>, pattern: &str) -> String {
    let mut out = String::new();
    let (body, tail) = match pattern.strip_suffix("/**") {
        Some(b) => (b, true),
        None => (pattern, false),
    };
    if body == "/" {
        return "/".into();
    }
    for seg in body.split('/').skip(1) {
        out.push('/');
        if seg == "*" {
            if src.chance(5) {
                continue; // an empty segment where one is required
            }
            out.push_str(src.pick(WORDS));
        } else {
            out.push_str(&encode_literal(src, seg));
        }
    }
    if tail {
        for _ in 0..src.below(4) {
            out.push('/');
            out.push_str(src.pick(WORDS));
        }
        if src.chance(10) {
            out.push('/');
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// Percent-encodes the byte at a chosen position (in either hex case).
fn percent_one(src: &mut Source<'_>, path: &[u8]) -> Vec<u8> {
    if path.len() < 2 {
        return path.to_vec();
    }
    let at = 1 + src.below(path.len() - 1);
    let enc = if src.chance(50) { format!("%{:02x}", path[at]) } else { format!("%{:02X}", path[at]) };
    let mut out = path[..at].to_vec();
    out.extend_from_slice(enc.as_bytes());
    out.extend_from_slice(&path[at + 1..]);
    out
}

fn gen_path(src: &mut Source<'_>, rule: &RuleSpec) -> Vec<u8> {
    match src.below(30) {
        0 => src.pick(ATTACK_PATHS).as_bytes().to_vec(),
        1 => {
            let mut p = b"/".to_vec();
            p.extend((0..src.below(12)).map(|_| src.pick(b"/.%2eaAfF5c?#\\\x00 ~\xc3\xa9")));
            p
        }
        2 => {
            let n = warden::capacity::MAX_PATH - 2 + src.below(5);
            let mut p = vec![b'a'; n];
            p[0] = b'/';
            p
        }
        _ => {
            let mut p = fill_pattern(src, &rule.path).into_bytes();
            if src.chance(20) {
                p = percent_one(src, &p);
            }
            if src.chance(10) {
                p.extend_from_slice(src.pick(&["?q=1", "?", "?x=/../", "#frag", "?a#b"]).as_bytes());
            }
            if src.chance(8) {
                let attack = src.pick(&["/..", "/.", "//", "/%2e%2E", "/%2f", "%00", "%C0%AE", "%", "#"]);
                p.extend_from_slice(attack.as_bytes());
            }
            p
        }
    }
}

fn gen_method(src: &mut Source<'_>, policy: &PolicySpec, rule: &RuleSpec) -> Vec<u8> {
    let own: Vec<&str> =
        policy.methods.iter().enumerate().filter(|(i, _)| rule.methods >> i & 1 == 1).map(|(_, m)| *m).collect();
    match src.below(10) {
        0 => src
            .pick(&[
                "OPTIONS",
                "HEAD",
                "HEAD",
                "get",
                "",
                "TRACE",
                "GET ",
                "PATCH, DELETE",
                "GET,POST",
                "G\u{e9}T",
                "GET\0",
            ])
            .as_bytes()
            .to_vec(),
        1 | 2 => policy.methods[src.below(policy.methods.len())].as_bytes().to_vec(),
        _ if !own.is_empty() => own[src.below(own.len())].as_bytes().to_vec(),
        _ => src.pick(&["GET", "POST", "PATCH"]).as_bytes().to_vec(),
    }
}

fn addr_in(src: &mut Source<'_>, r: &IpRange) -> IpAddr {
    let net = u128::from_be_bytes(r.addr);
    let host_bits = 128 - u32::from(r.prefix);
    let noise = u128::from(src.u32()) | u128::from(src.u32()) << 32 | u128::from(src.u32()) << 96;
    let host = if host_bits == 0 { 0 } else { noise & (u128::MAX >> (128 - host_bits)) };
    let v6 = Ipv6Addr::from(net | host);
    if r.v4 {
        let v4 = v6.to_ipv4_mapped().unwrap();
        if src.chance(25) { IpAddr::V6(v4.to_ipv6_mapped()) } else { IpAddr::V4(v4) }
    } else {
        IpAddr::V6(v6)
    }
}

fn gen_ip(src: &mut Source<'_>, policy: &PolicySpec) -> Option<IpAddr> {
    match src.below(8) {
        0 => None,
        1 => Some(IpAddr::V4(Ipv4Addr::from(src.u32()))),
        2 => Some(src.pick(&[
            "127.0.0.1",
            "::1",
            "::",
            "0.0.0.1",
            "::ffff:10.1.2.3",
            "::10.1.2.3",
            "64:ff9b::a01:203",
            "2002:a01:203::1",
            "fe80::1",
            "203.0.113.255",
            "10.255.255.255",
            "11.0.0.0",
        ]))
        .map(|s| s.parse().unwrap()),
        3 => Some(IpAddr::V6(Ipv6Addr::from(u128::from(src.u32()) << 96 | u128::from(src.u32())))),
        _ if !policy.ranges.is_empty() => {
            let r = policy.ranges[src.below(policy.ranges.len())];
            Some(addr_in(src, &r))
        }
        _ => Some(IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3))),
    }
}

const ORIGINS: &[&str] = &[
    "null",
    "NULL",
    "",
    "https://console.example.com",
    "https://console.example.com/",
    "https://console.example.com/path",
    "https://user@console.example.com",
    "https://console.example.com:443",
    "https://console.example.com:0443",
    "https://console.example.com:",
    "HTTPS://CONSOLE.EXAMPLE.COM",
    "http://console.example.com",
    "https://example.com",
    "https://evil-example.com",
    "https://example.com.evil.com",
    "https://a.example.com",
    "https://a.b.example.com:8443",
    "https://a.example.com:8443",
    "https://.example.com",
    "https://a..example.com",
    "http://localhost:8080",
    "http://localhost",
    "http://[::1]:8080",
    "http://[::1]",
    "http://[:::]:8080",
    "http://[1:2:3:4:5:6:7:8:9]:8080",
    "http://[::1",
    "http://[zz]:8080",
    "https://*.example.com",
    "https://console.example.com?x",
    "https://xn--caf-dma.example.com",
    "https://caf\u{e9}.example.com",
    "ftp://a.example.com",
    "https:/console.example.com",
    "https://my_app.example.com",
    "https://MY_APP.example.com",
    "https://_.example.com",
    "http://a_b:8080",
    "https://a_.",
    "https://a%5fb.example.com",
];

fn gen_origin(src: &mut Source<'_>) -> String {
    let base = src.pick(ORIGINS).to_string();
    if src.chance(10) { base.to_ascii_uppercase() } else { base }
}

fn b64url(data: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(data)
}

fn number_claim(src: &mut Source<'_>, leeway: u64) -> String {
    let offsets: [i64; 12] = [-7200, -3600, -301, -61, -60, -59, -1, 0, 1, 59, 60, 3600];
    let date = match src.below(12) {
        0 => {
            return src
                .pick(&[
                    "\"1800000000\"",
                    "1.5",
                    "-1",
                    "-0",
                    "-0.0",
                    "-0.5",
                    "1e3",
                    "1E+3",
                    "1e-5",
                    "1e400",
                    "1e99999999999999999999",
                    "null",
                    "true",
                    "9007199254740991",
                    "9007199254740992",
                    "9007199254740992.5",
                    "9007199254740991.5",
                    "9007199254740993",
                    "18446744073709551616",
                    "0",
                    "0e400",
                    "[1]",
                    "1800000000.0",
                    "1.8e9",
                    "1.8000036e9",
                    "18000036E+2",
                    "1800003600000e-3",
                ])
                .to_string();
        }
        1 => {
            let l = i64::try_from(leeway).unwrap();
            i64::try_from(NOW).unwrap() + src.pick(&[-l - 1, -l, -l + 1, l - 1, l, l + 1])
        }
        _ => i64::try_from(NOW).unwrap() + src.pick(&offsets),
    };
    date_text(src, date)
}

/// A date as a JSON number: mostly an integer, sometimes as `time.time()` floats (PyJWT) or
/// in exponent form, which must floor to the same second.
fn date_text(src: &mut Source<'_>, date: i64) -> String {
    match src.below(8) {
        0 => format!("{date}.{}", src.pick(&["0", "5", "999999", "000001", "25"])),
        1 => {
            let digits = date.to_string();
            let (head, tail) = digits.split_at(1);
            format!("{head}.{tail}{}e{}", src.pick(&["", "0", "7"]), tail.len())
        }
        _ => date.to_string(),
    }
}

/// `s` as a JSON string literal.
pub fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A string claim value, sometimes escaped where it does not need to be.
fn escaped_maybe(src: &mut Source<'_>, s: &str) -> String {
    if src.chance(15) && !s.is_empty() {
        let first = s.chars().next().unwrap();
        format!("\"\\u{:04x}{}\"", first as u32, &json_str(&s[first.len_utf8()..])[1..])
    } else {
        json_str(s)
    }
}

fn string_or_array(src: &mut Source<'_>, values: &[String]) -> String {
    if values.len() == 1 && src.chance(40) {
        return escaped_maybe(src, &values[0]);
    }
    let items: Vec<String> = values.iter().map(|v| escaped_maybe(src, v)).collect();
    format!("[{}]", items.join(","))
}

/// Claims that pass every check for `key` and `rule` (roles still random).
fn happy_claims(src: &mut Source<'_>, key: &KeyGenSpec, rule: &RuleSpec, policy: &PolicySpec) -> Vec<String> {
    let now = i64::try_from(NOW).unwrap();
    let exp = now + 3600 - i64::from(src.pick(&[0u16, 3500, 3599]));
    let exp = date_text(src, exp);
    let mut c = vec![format!("\"exp\":{exp}")];
    let iat = now - i64::from(src.pick(&[0u16, 30, 59, 3000]));
    c.push(format!("\"iat\":{}", date_text(src, iat)));
    if src.chance(20) {
        let auth_time = iat - i64::from(src.pick(&[0u16, 10, 4 * 3600]));
        c.push(format!("\"auth_time\":{}", date_text(src, auth_time)));
    }
    if src.chance(30) {
        c.push(format!("\"nbf\":{}", NOW - 10));
    }
    let sub = src.pick(&["alice", "bob", "svc:deploy"]);
    c.push(format!("\"sub\":{}", escaped_maybe(src, sub)));
    if let Some(i) = key.issuer {
        c.push(format!("\"iss\":{}", escaped_maybe(src, i)));
    }
    if let Some(a) = key.audience {
        c.push(format!("\"aud\":[\"other\",{}]", json_str(a)));
    } else if src.chance(15) {
        // A key without audience refuses every aud (RFC 7519 §4.1.3), `null` excepted.
        c.push(format!("\"aud\":{}", src.pick(&["\"other\"", "[]", "null", "[\"edge-api\"]"])));
    }
    if rule.require_mfa && src.chance(15) {
        c.push("\"amr\":[\"pwd\"]".into()); // happy but for the step-up
    } else if rule.require_mfa || src.chance(30) {
        c.push("\"amr\":[\"pwd\",\"mfa\"]".into());
    }
    let mut names: Vec<String> = Vec::new();
    for (i, r) in policy.roles.iter().enumerate() {
        let wanted = (rule.roles_any | rule.roles_all) >> i & 1 == 1;
        if (wanted && src.chance(70)) || src.chance(15) {
            names.push((*r).to_string());
        }
    }
    if !names.is_empty() {
        c.push(format!("{}:{}", json_str(key.roles_claim), string_or_array(src, &names)));
    }
    c
}

fn gen_token(src: &mut Source<'_>, policy: &PolicySpec, rule: &RuleSpec) -> String {
    let key = if policy.keys.is_empty() { None } else { Some(&policy.keys[src.below(policy.keys.len())]) };
    if let (Some(k), true) = (key, src.chance(50)) {
        let mut header = vec![format!("\"alg\":\"{}\"", k.alg.name())];
        if src.chance(80) {
            header.push(format!("\"kid\":{}", json_str(&k.id)));
        }
        let claims = happy_claims(src, k, rule, policy);
        let input = format!(
            "{}.{}",
            b64url(format!("{{{}}}", header.join(",")).as_bytes()),
            b64url(format!("{{{}}}", claims.join(",")).as_bytes())
        );
        let sig = b64url(&k.sign(k.alg, input.as_bytes(), u64::from(src.u32())));
        return format!("{input}.{sig}");
    }
    // Header.
    let alg_name = match src.below(8) {
        0 => src.pick(&["none", "None", "hs256", "HS256 ", "RS256", "", "HS1024", "EDDSA", "ES512"]).to_string(),
        1 => src.pick(&["HS256", "HS384", "HS512", "RS256", "PS384", "ES256", "ES384", "EdDSA"]).to_string(),
        _ => key.map_or("HS256", |k| k.alg.name()).to_string(),
    };
    let mut header = vec![format!("\"alg\":{}", escaped_maybe(src, &alg_name))];
    match src.below(6) {
        0 => {}
        1 => header.push(format!("\"kid\":{}", json_str(src.pick(&["nope", "", "../../etc/passwd", "k9"])))),
        _ => {
            if let Some(k) = key {
                header.push(format!("\"kid\":{}", escaped_maybe(src, &k.id)));
            }
        }
    }
    if src.chance(30) {
        header.push("\"typ\":\"JWT\"".into());
    }
    if src.chance(4) {
        header.push(
            src.pick(&[
                "\"crit\":[\"exp\"]",
                "\"b64\":false",
                "\"alg\":\"none\"",
                "\"kid\":1",
                "\"jku\":\"https://x\"",
            ])
            .into(),
        );
    }
    // Claims.
    let leeway = u64::from(policy.leeway_s);
    let mut claims = Vec::new();
    if !src.chance(5) {
        claims.push(format!("\"exp\":{}", number_claim(src, leeway)));
    }
    if src.chance(40) {
        claims.push(format!("\"nbf\":{}", number_claim(src, leeway)));
    }
    if src.chance(60) {
        claims.push(format!("\"iat\":{}", number_claim(src, leeway)));
    }
    if src.chance(25) {
        claims.push(format!("\"auth_time\":{}", number_claim(src, leeway)));
    }
    if src.chance(80) {
        let sub = match src.below(7) {
            0 => "a".repeat(250 + src.below(10)),
            1 => "al\"ice\\\u{e9}".into(),
            2 => src.pick(&["a\u{0}b", "\u{1f}", "a\u{7f}", "x\r\nX-Warden-Roles: admin", "\t", "\u{80}"]).into(),
            _ => "alice".into(),
        };
        claims.push(format!("\"sub\":{}", escaped_maybe(src, &sub)));
    }
    if src.chance(5) {
        claims.push("\"sub\":5".into());
    }
    if src.chance(8) {
        let name = src.pick(&[
            "exp",
            "nbf",
            "iat",
            "auth_time",
            "iss",
            "sub",
            "aud",
            "amr",
            "scope",
            "roles",
            "groups",
            "typ",
        ]);
        claims.push(format!("\"{name}\":null"));
    }
    if src.chance(60) {
        let iss = match (key.and_then(|k| k.issuer), src.below(4)) {
            (Some(i), 0..=2) => i.to_string(),
            _ => src.pick(ISSUERS).to_string(),
        };
        claims.push(format!("\"iss\":{}", escaped_maybe(src, &iss)));
    }
    // A key without audience refuses every aud: give its tokens one less often.
    if src.chance(if key.and_then(|k| k.audience).is_some() { 60 } else { 15 }) {
        let mut auds: Vec<String> = (0..1 + src.below(3)).map(|_| src.pick(AUDIENCES).to_string()).collect();
        if let (Some(a), true) = (key.and_then(|k| k.audience), src.chance(60)) {
            auds.push(a.into());
        }
        let v = if src.chance(5) {
            src.pick(&["5", "[1]", "{}", "[]", "[\"\"]"]).to_string()
        } else {
            string_or_array(src, &auds)
        };
        claims.push(format!("\"aud\":{v}"));
    }
    if src.chance(50) {
        let amr: Vec<String> = (0..src.below(3)).map(|_| json_str(src.pick(&["mfa", "pwd", "otp", "MFA"]))).collect();
        let v = if src.chance(5) { "\"mfa\"".to_string() } else { format!("[{}]", amr.join(",")) };
        claims.push(format!("\"amr\":{v}"));
    }
    if src.chance(70) {
        let claim = match (key, src.below(4)) {
            (Some(k), 0..=2) => k.roles_claim,
            _ => src.pick(ROLE_CLAIMS),
        };
        let mut names: Vec<String> = (0..src.below(4)).map(|_| src.pick(ROLES).to_string()).collect();
        if src.chance(10) {
            names.push("x".repeat(300));
        }
        let v =
            if src.chance(5) { src.pick(&["{\"a\":1}", "[1]", "7"]).to_string() } else { string_or_array(src, &names) };
        claims.push(format!("{}:{v}", json_str(claim)));
    }
    if src.chance(25) {
        let words: Vec<&str> = (0..src.below(4)).map(|_| src.pick(ROLES)).collect();
        let sep = src.pick(&[" ", "  ", "\\u0020"]);
        claims.push(format!("\"scope\":\"{}\"", words.join(sep)));
    }
    if src.chance(5) {
        let dup = claims.first().cloned().unwrap_or_default();
        claims.push(dup);
    }
    if src.chance(3) {
        claims.push(format!("\"deep\":{}1{}", "[".repeat(14 + src.below(4)), "]".repeat(14 + src.below(4))));
    }
    let ws = if src.chance(10) { " \r\n" } else { "" };
    let header_json = format!("{{{ws}{}}}", header.join(","));
    let claims_json = format!("{{{}{ws}}}", claims.join(&format!(",{ws}")));
    let mut h64 = b64url(header_json.as_bytes());
    let p64 = b64url(claims_json.as_bytes());
    if src.chance(3) {
        h64.push('=');
    }
    let input = format!("{h64}.{p64}");
    // Signature.
    let seed = u64::from(src.u32());
    let signature: Option<Vec<u8>> = match (key, src.below(10)) {
        (_, 0) => None,
        (Some(k), 1) => {
            Some(super::mac(k.alg, b"not-the-secret-but-long-enough-for-any-hmac-0123456789abcdef", input.as_bytes()))
        }
        // HMAC with the key's bytes under another HMAC alg; for a public key, the HMAC of its
        // public bytes (the CVE-2016-10555 forgery) under HS256.
        (Some(k), 2) => Some(match k.signer {
            None => super::mac(src.pick(&[Alg::Hs256, Alg::Hs384, Alg::Hs512]), &k.secret, input.as_bytes()),
            Some(s) => super::mac(Alg::Hs256, &format!("{:?}", s.public()).into_bytes(), input.as_bytes()),
        }),
        // Another algorithm of the same key (RS256 key signing PS256, …).
        (Some(k), 3) => Some(k.signer.map_or_else(
            || super::mac(k.alg, &k.secret, input.as_bytes()),
            |s| s.sign(src.pick(s.algs()), input.as_bytes(), seed),
        )),
        (Some(k), _) => Some(k.sign(k.alg, input.as_bytes(), seed)),
        (None, _) => Some(super::mac(Alg::Hs256, b"no-key-in-policy-secret-32-bytes", input.as_bytes())),
    };
    let mut sig = signature.map_or_else(String::new, |s| b64url(&s));
    match src.below(20) {
        0 => sig.truncate(sig.len() / 2),
        1 => sig.push_str("AAAA"),
        2 => sig = "A".repeat(90 + src.below(4)),
        3 => sig.push('='),
        4 if !sig.is_empty() => {
            // Flip a character in the middle (stays canonical).
            let mid = sig.len() / 2;
            let c = if &sig[mid..=mid] == "A" { "B" } else { "A" };
            sig.replace_range(mid..=mid, c);
        }
        _ => {}
    }
    let mut token = format!("{input}.{sig}");
    if src.chance(3) {
        token = src.pick(&["a.b", "a.b.c.d", "..", "x.y.z", "e30.e30.", "eyJhbGciOiJIUzI1NiJ9..x"]).to_string();
    }
    token
}

fn gen_credential_headers(src: &mut Source<'_>, policy: &PolicySpec, rule: &RuleSpec) -> Vec<(String, Vec<u8>)> {
    let api = policy.api_key_header;
    // Mostly a scheme the rule accepts.
    let choice = match rule.auth.get(src.below(rule.auth.len().max(1))) {
        Some(Scheme::ApiKey) if src.chance(70) => 1,
        Some(Scheme::Basic) if src.chance(70) => 3,
        Some(Scheme::Bearer) if src.chance(70) => 5,
        _ => src.below(12),
    };
    let cred_of = |src: &mut Source<'_>, pred: fn(&CredSpec) -> bool| {
        let list: Vec<&CredSpec> = policy.creds.iter().map(|c| &c.2).filter(|c| pred(c)).collect();
        if list.is_empty() { None } else { Some(list[src.below(list.len())].clone()) }
    };
    match choice {
        0 => vec![],
        1 | 2 => {
            let key = match cred_of(src, |c| matches!(c, CredSpec::ApiKey { .. })) {
                Some(CredSpec::ApiKey { key }) if !src.chance(20) => key,
                _ => src.pick(&["wk_unknown", "", "k\u{7f}ey", "wk_0_00000000"]).into(),
            };
            if src.chance(30) {
                // SPEC §6: the scheme the ApiKey challenge names.
                let scheme = src.pick(&["ApiKey", "apikey", "APIKEY", "ApiKey  ", "Api-Key"]);
                return vec![("authorization".into(), format!("{scheme} {key}").into_bytes())];
            }
            vec![(api.into(), key.into_bytes())]
        }
        3 | 4 => {
            let (user, password) = match cred_of(src, |c| matches!(c, CredSpec::Basic { .. })) {
                Some(CredSpec::Basic { user, password, .. }) => match src.below(5) {
                    0 => (user, "wrong".to_string()),
                    1 => ("mallory".to_string(), password),
                    _ => (user, password),
                },
                _ => ("admin".to_string(), "pw".to_string()),
            };
            let value = match src.below(12) {
                0 => "Basic !!!!".to_string(),
                1 => format!("Basic {}", Base64::encode_string(b"nocolon")),
                2 => format!("Basic {}", Base64::encode_string(format!("{user}:pa\u{1}ss").as_bytes())),
                3 => format!("Basic {}", Base64UrlUnpadded::encode_string(format!("{user}:{password}").as_bytes())),
                4 => format!("basic   {}", Base64::encode_string(format!("{user}:{password}").as_bytes())),
                5 => format!("Basic {}", Base64::encode_string(&[0xff, b':', 0xfe])),
                _ => format!("Basic {}", Base64::encode_string(format!("{user}:{password}").as_bytes())),
            };
            vec![("authorization".into(), value.into_bytes())]
        }
        5..=8 => {
            let token = gen_token(src, policy, rule);
            let scheme = src.pick(&["Bearer", "Bearer", "bearer", "BEARER", "Bearer "]);
            vec![("authorization".into(), format!("{scheme} {token}").into_bytes())]
        }
        9 => vec![(
            "authorization".into(),
            src.pick(&["", "Bearer", "Digest x=1", "Bea\"rer t", "Bearer\tt", "Basic", "Negotiate abc", "ApiKey"])
                .into(),
        )],
        10 => {
            // Two credentials: two schemes or one header twice.
            let mut a = gen_credential_headers(src, policy, rule);
            let mut b = gen_credential_headers(src, policy, rule);
            a.append(&mut b);
            a
        }
        _ => vec![(api.into(), b"x".repeat(warden::capacity::MAX_HEADER_VALUE + src.below(2)))],
    }
}

fn name_case(src: &mut Source<'_>, name: &str) -> String {
    match src.below(8) {
        0 => name.to_ascii_uppercase(),
        1 => name.chars().enumerate().map(|(i, c)| if i == 0 { c.to_ascii_uppercase() } else { c }).collect(),
        _ => name.into(),
    }
}

pub fn gen_request(src: &mut Source<'_>, policy: &PolicySpec) -> ModelRequest {
    let rule = &policy.rules[src.below(policy.rules.len())];
    let mut method = gen_method(src, policy, rule);
    let path = gen_path(src, rule);
    let ip = gen_ip(src, policy);
    let mut headers: Vec<(String, Vec<u8>)> = Vec::new();
    if src.chance(35) {
        headers.push(("origin".into(), gen_origin(src).into_bytes()));
        if src.chance(5) {
            headers.push(("origin".into(), gen_origin(src).into_bytes()));
        }
    }
    if src.chance(20) {
        method = b"OPTIONS".to_vec();
        if !headers.iter().any(|h| h.0 == "origin") && src.chance(80) {
            headers.push(("origin".into(), gen_origin(src).into_bytes()));
        }
        let m = gen_method(src, policy, rule);
        headers.push(("access-control-request-method".into(), m));
    }
    if !(rule.auth.is_empty() && src.chance(50)) {
        headers.extend(gen_credential_headers(src, policy, rule));
    }
    if src.chance(20) {
        headers.push(("content-type".into(), b"application/json".to_vec()));
    }
    let headers = headers
        .into_iter()
        .map(|(n, mut v)| {
            if src.chance(10) {
                v.insert(0, b' ');
                v.push(b'\t');
            }
            (name_case(src, &n).into_bytes(), v)
        })
        .collect();
    let now = if src.chance(5) { src.pick(&[0, u64::MAX, NOW + 1_000_000]) } else { NOW };
    ModelRequest { method, path, ip, headers, now }
}
