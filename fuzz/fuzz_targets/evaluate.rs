//! Request evaluation against the example policy, structure-aware: requests are built from
//! an `arbitrary` shape (methods, path segments, attack pieces, addresses, credential kinds,
//! tokens minted with the dev keys and arbitrary claims), and the engine must agree with the
//! reference model on each.
#![no_main]

use arbitrary::Arbitrary;
use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use libfuzzer_sys::fuzz_target;

use warden_fuzz_common as common;

#[derive(Arbitrary, Debug)]
enum Method {
    Get,
    Post,
    Put,
    Delete,
    Patch,
    Options,
    Head,
    Other(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum Segment {
    Word(u8),
    Raw(Vec<u8>),
    Dot,
    DotDot,
    EncodedDot,
    EncodedSlash,
    Percent(u8),
    Empty,
}

const WORDS: &[&str] = &[
    "api",
    "v1",
    "orders",
    "42",
    "items",
    "admin",
    "docs",
    "health",
    "deploy",
    "metrics",
    "users",
    "partners",
    "ops",
    "guide",
    "jobs:run",
    "jobs%3Arun",
    "caf%C3%A9",
    "%2561",
    "a#b",
];

#[derive(Arbitrary, Debug)]
enum Ip {
    None,
    V4([u8; 4]),
    V6([u8; 16]),
    Mapped([u8; 4]),
    Inside(u8, u16),
}

#[derive(Arbitrary, Debug)]
enum Credential {
    None,
    ApiKey(u8),
    RawApiKey(Vec<u8>),
    Basic(u8, bool),
    RawBasic(Vec<u8>),
    Bearer(Token),
    RawAuthorization(Vec<u8>),
    Both(u8, Token),
    /// `Authorization: ApiKey <key>` (scheme in one of several cases), maybe with the header too.
    AuthorizationApiKey(u8, u8, bool),
}

#[derive(Arbitrary, Debug)]
struct Token {
    key: u8,
    alg: u8,
    kid: u8,
    exp: i32,
    iat: Option<i32>,
    nbf: Option<i32>,
    auth_time: Option<i32>,
    /// Dates written as floats (`time.time()`) or in exponent form.
    date_form: u8,
    iss: u8,
    aud: Option<u8>,
    roles: Vec<u8>,
    scope: Option<Vec<u8>>,
    mfa: bool,
    sub: Option<String>,
    signature: u8,
}

#[derive(Arbitrary, Debug)]
struct Shape {
    method: Method,
    path: Vec<Segment>,
    query: Option<Vec<u8>>,
    ip: Ip,
    origin: Option<u8>,
    preflight: Option<Method>,
    credential: Credential,
    extra: Vec<(Vec<u8>, Vec<u8>)>,
    now: i16,
}

const ORIGINS: &[&str] = &[
    "https://console.example.com",
    "https://shop.example.com",
    "https://status.example.com",
    "https://evil-example.com",
    "https://example.com",
    "null",
    "https://console.example.com/",
    "http://console.example.com",
    "https://partner.example.net",
    "https://a.b.example.com:443",
];
const API_KEYS: &[&str] = &[
    "wk_DhPFDAtn1ATuO8PS9G3ud6eiQgwxjftNci2uyCG7ODw",
    "wk_NS2r4jMboA1ZDEXLo-QAemFl_mQQidC_7lFLmd3R5W0",
    "wk_nobody",
    "",
];
const USERS: &[(&str, &str)] = &[("admin", "dev-admin-password"), ("auditor", "dev-auditor-password"), ("nobody", "x")];
const ROLES: &[&str] =
    &["orders:read", "orders:write", "verified", "admin", "deployer", "metrics", "partner", "ops", "auditor"];
const ISSUERS: &[&str] = &["https://auth.example.com", "https://partners.example.net", "https://evil.example.com"];
const AUDIENCES: &[&str] = &["edge-api", "edge-api-partners", "other"];

fn method(m: &Method) -> Vec<u8> {
    match m {
        Method::Get => b"GET".to_vec(),
        Method::Post => b"POST".to_vec(),
        Method::Put => b"PUT".to_vec(),
        Method::Delete => b"DELETE".to_vec(),
        Method::Patch => b"PATCH".to_vec(),
        Method::Options => b"OPTIONS".to_vec(),
        Method::Head => b"HEAD".to_vec(),
        Method::Other(v) => v.clone(),
    }
}

fn token(t: &Token, keyring: &[(String, Vec<u8>)]) -> String {
    let (id, secret) = &keyring[usize::from(t.key) % keyring.len()];
    let alg = ["HS256", "HS384", "HS512", "none", "hs256"][usize::from(t.alg) % 5];
    let mut header = format!("{{\"alg\":\"{alg}\"");
    match t.kid % 3 {
        0 => header.push_str(&format!(",\"kid\":\"{id}\"")),
        1 => header.push_str(",\"kid\":\"unknown\""),
        _ => {}
    }
    header.push('}');
    let now = i64::try_from(common::NOW).unwrap_or(0);
    let date = |offset: i32| {
        let d = now + i64::from(offset);
        match t.date_form % 4 {
            0 => format!("{d}.{}", t.date_form),
            1 => {
                let digits = d.to_string();
                let (head, tail) = digits.split_at(1.min(digits.len()));
                format!("{head}.{tail}e{}", tail.len())
            }
            _ => d.to_string(),
        }
    };
    let mut claims = format!("{{\"exp\":{}", date(t.exp));
    if let Some(iat) = t.iat {
        claims.push_str(&format!(",\"iat\":{}", date(iat)));
    }
    if let Some(nbf) = t.nbf {
        claims.push_str(&format!(",\"nbf\":{}", date(nbf)));
    }
    if let Some(auth_time) = t.auth_time {
        claims.push_str(&format!(",\"auth_time\":{}", date(auth_time)));
    }
    claims.push_str(&format!(",\"iss\":\"{}\"", ISSUERS[usize::from(t.iss) % ISSUERS.len()]));
    if let Some(aud) = t.aud {
        claims.push_str(&format!(",\"aud\":[\"{}\"]", AUDIENCES[usize::from(aud) % AUDIENCES.len()]));
    }
    let roles: Vec<String> = t.roles.iter().map(|r| format!("\"{}\"", ROLES[usize::from(*r) % ROLES.len()])).collect();
    let claim = if t.key % 2 == 1 { "groups" } else { "roles" };
    claims.push_str(&format!(",\"{claim}\":[{}]", roles.join(",")));
    if let Some(scope) = &t.scope {
        let words: Vec<&str> = scope.iter().map(|r| ROLES[usize::from(*r) % ROLES.len()]).collect();
        claims.push_str(&format!(",\"scope\":\"{}\"", words.join(" ")));
    }
    if t.mfa {
        claims.push_str(",\"amr\":[\"pwd\",\"mfa\"]");
    }
    if let Some(sub) = &t.sub {
        claims.push_str(&format!(",\"sub\":{}", common::model::generate::json_str(sub)));
    }
    claims.push('}');
    let input = format!(
        "{}.{}",
        Base64UrlUnpadded::encode_string(header.as_bytes()),
        Base64UrlUnpadded::encode_string(claims.as_bytes())
    );
    let sig_alg = match alg {
        "HS384" => warden::policy::Alg::Hs384,
        "HS512" => warden::policy::Alg::Hs512,
        _ => warden::policy::Alg::Hs256,
    };
    let mut sig = match t.signature % 4 {
        0 => Base64UrlUnpadded::encode_string(&common::model::mac(
            sig_alg,
            b"wrong-secret-wrong-secret-wrong-secret-0123456789abcdef0123456789",
            input.as_bytes(),
        )),
        1 => String::new(),
        _ => Base64UrlUnpadded::encode_string(&common::model::mac(sig_alg, secret, input.as_bytes())),
    };
    if t.signature > 250 {
        sig.push('A');
    }
    format!("{input}.{sig}")
}

fn build(s: &Shape) -> common::ModelRequest {
    let e = common::example();
    let mut path = Vec::new();
    for seg in &s.path {
        path.push(b'/');
        match seg {
            Segment::Word(w) => path.extend_from_slice(WORDS[usize::from(*w) % WORDS.len()].as_bytes()),
            Segment::Raw(r) => path.extend_from_slice(r),
            Segment::Dot => path.push(b'.'),
            Segment::DotDot => path.extend_from_slice(b".."),
            Segment::EncodedDot => path.extend_from_slice(b"%2e"),
            Segment::EncodedSlash => path.extend_from_slice(b"a%2Fb"),
            Segment::Percent(b) => path.extend_from_slice(format!("%{b:02x}").as_bytes()),
            Segment::Empty => {}
        }
    }
    if path.is_empty() {
        path.push(b'/');
    }
    if let Some(q) = &s.query {
        path.push(b'?');
        path.extend_from_slice(q);
    }
    let ip = match &s.ip {
        Ip::None => None,
        Ip::V4(a) => Some(std::net::IpAddr::from(*a)),
        Ip::V6(a) => Some(std::net::IpAddr::from(*a)),
        Ip::Mapped(a) => Some(std::net::IpAddr::V6(std::net::Ipv4Addr::from(*a).to_ipv6_mapped())),
        Ip::Inside(which, low) => {
            let [hi, lo] = low.to_be_bytes();
            Some(match which % 4 {
                0 => std::net::IpAddr::from([10, 0, hi, lo]),
                1 => std::net::IpAddr::from([203, 0, 113, lo]),
                2 => "2001:db8:bad::1".parse().unwrap_or(std::net::IpAddr::from([0u8; 4])),
                _ => std::net::IpAddr::from([192, 168, hi, lo]),
            })
        }
    };
    let mut headers: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    if let Some(o) = s.origin {
        headers.push((b"Origin".to_vec(), ORIGINS[usize::from(o) % ORIGINS.len()].as_bytes().to_vec()));
    }
    let mut m = method(&s.method);
    if let Some(p) = &s.preflight {
        m = b"OPTIONS".to_vec();
        headers.push((b"access-control-request-method".to_vec(), method(p)));
    }
    let basic = |i: u8, right: bool| {
        let (u, p) = USERS[usize::from(i) % USERS.len()];
        let p = if right { p } else { "wrong" };
        format!("Basic {}", Base64::encode_string(format!("{u}:{p}").as_bytes())).into_bytes()
    };
    match &s.credential {
        Credential::None => {}
        Credential::ApiKey(i) => {
            headers.push((b"x-api-key".to_vec(), API_KEYS[usize::from(*i) % API_KEYS.len()].into()))
        }
        Credential::RawApiKey(v) => headers.push((b"X-API-KEY".to_vec(), v.clone())),
        Credential::Basic(i, right) => headers.push((b"authorization".to_vec(), basic(*i, *right))),
        Credential::RawBasic(v) => {
            let mut value = b"Basic ".to_vec();
            value.extend_from_slice(v);
            headers.push((b"authorization".to_vec(), value));
        }
        Credential::Bearer(t) => {
            headers.push((b"Authorization".to_vec(), format!("Bearer {}", token(t, &e.keyring)).into_bytes()))
        }
        Credential::RawAuthorization(v) => headers.push((b"authorization".to_vec(), v.clone())),
        Credential::Both(i, t) => {
            headers.push((b"x-api-key".to_vec(), API_KEYS[usize::from(*i) % API_KEYS.len()].into()));
            headers.push((b"authorization".to_vec(), format!("Bearer {}", token(t, &e.keyring)).into_bytes()));
        }
        Credential::AuthorizationApiKey(i, case, also_header) => {
            let key = API_KEYS[usize::from(*i) % API_KEYS.len()];
            let scheme = ["ApiKey", "apikey", "APIKEY", "Api-Key"][usize::from(*case) % 4];
            headers.push((b"authorization".to_vec(), format!("{scheme} {key}").into_bytes()));
            if *also_header {
                headers.push((b"x-api-key".to_vec(), key.into()));
            }
        }
    }
    headers.extend(s.extra.iter().cloned());
    let now = common::NOW.saturating_add_signed(i64::from(s.now));
    common::ModelRequest { method: m, path, ip, headers, now }
}

fuzz_target!(|shape: Shape| {
    common::compare_example(&build(&shape));
});
