//! A reference model of SPEC §4–§6: a plain evaluator written for clarity, not speed.
//!
//! It reads the compiled policy's types (`PolicyBody`) and the keyring, and decides a request
//! the obvious way: `std::net` for addresses, `String`s, early returns, a small recursive JSON
//! parser, HMAC from the `hmac` crate, public-key signatures from RustCrypto's `rsa` (RSA:
//! none of the engine's code), `p256`/`p384` and `ed25519-dalek` (the crates the engine uses,
//! called through their ordinary `Verifier` APIs). It shares no code with the engine except the
//! public policy types and the documented capacity constants, so where the two disagree one of
//! them is wrong, and SPEC.md says which.
//!
//! Where SPEC.md is silent the model follows the engine's documented choices (module docs of
//! `token`, `credential`, `path` and `origin`): registered claims of the wrong type make a
//! token malformed, `iat` in the future is `token_not_yet_valid`, a header sent twice is
//! ambiguous, trimmed header values are compared with the header limit.
//!
//! Shared with the fuzz targets through `#[path]`: no dependency on the test helpers.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::std_instead_of_core,
    clippy::too_many_lines,
    reason = "a test oracle: clarity over the production rules"
)]

pub mod generate;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256, Sha384, Sha512};
use warden::capacity::{
    MAX_CLAIM_ELEMENTS, MAX_HEADER_VALUE, MAX_JSON_DEPTH, MAX_NAME, MAX_PATH, MAX_SUBJECT, MAX_TOKEN_HEADER,
    MAX_TOKEN_PAYLOAD,
};
use warden::policy::{Alg, CredentialKind, IpRange, OriginPattern, PolicyBody, Rule, Scheme};

/// A request, owned.
#[derive(Clone)]
pub struct ModelRequest {
    pub method: Vec<u8>,
    pub path: Vec<u8>,
    pub ip: Option<IpAddr>,
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    pub now: u64,
}

impl std::fmt::Debug for ModelRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        writeln!(f, "{} {:?} ip={:?} now={}", text(&self.method), text(&self.path), self.ip, self.now)?;
        for (n, v) in &self.headers {
            writeln!(f, "  {}: {:?}", text(n), text(v))?;
        }
        Ok(())
    }
}

/// Everything a decision says, in plain types (the engine's decision converts to this too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub status: u16,
    pub reason: String,
    pub rule: Option<String>,
    pub subject: Option<String>,
    pub roles: Vec<String>,
    pub challenges: Vec<String>,
    pub cors_origin: Option<String>,
    pub cors_credentials: Option<bool>,
    pub refresh_advised: bool,
    pub allow_methods: Option<String>,
    pub allow_headers: Option<String>,
    pub max_age: Option<u32>,
}

impl Outcome {
    /// The engine's decision in the model's terms.
    pub fn of(d: &warden::Decision<'_>) -> Self {
        let cors = d.cors();
        let pre = cors.and_then(|c| c.preflight());
        Outcome {
            status: d.status(),
            reason: d.reason().as_str().to_string(),
            rule: d.rule().map(Into::into),
            subject: d.subject().map(Into::into),
            roles: d.roles().iter().map(Into::into).collect(),
            challenges: d.challenges().map(|c| c.to_string()).collect(),
            cors_origin: cors.map(|c| c.allow_origin().into()),
            cors_credentials: cors.map(|c| c.allow_credentials()),
            refresh_advised: d.refresh_advised(),
            allow_methods: pre.map(|p| p.allow_methods().iter().collect::<Vec<_>>().join(", ")),
            allow_headers: pre.map(|p| p.allow_headers().to_string()),
            max_age: pre.map(|p| p.max_age_s()),
        }
    }

    fn deny(status: u16, reason: &str, rule: Option<&str>) -> Self {
        Outcome {
            status,
            reason: reason.into(),
            rule: rule.map(Into::into),
            subject: None,
            roles: vec![],
            challenges: vec![],
            cors_origin: None,
            cors_credentials: None,
            refresh_advised: false,
            allow_methods: None,
            allow_headers: None,
            max_age: None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Paths (row 1) and patterns (row 3)

fn hex_value(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

fn is_control(c: u8) -> bool {
    c < 0x20 || c == 0x7f
}

/// (malformed, decoded path): the query dropped, every escape decoded once (SPEC §2, row 1).
pub fn normalize_path(raw: &[u8]) -> (bool, Vec<u8>) {
    let path = match raw.iter().position(|&c| c == b'?') {
        Some(q) => &raw[..q],
        None => raw,
    };
    let mut bad = path.len() > MAX_PATH;
    let path = &path[..path.len().min(MAX_PATH)];
    let mut out = Vec::new();
    let mut i = 0;
    while i < path.len() {
        let c = path[i];
        if c == b'%' {
            match (path.get(i + 1).and_then(|&c| hex_value(c)), path.get(i + 2).and_then(|&c| hex_value(c))) {
                (Some(h), Some(l)) => {
                    let v = h * 16 + l;
                    if v == b'/' || v == b'\\' || is_control(v) {
                        bad = true;
                    }
                    out.push(v);
                    i += 3;
                }
                _ => {
                    bad = true;
                    i += 1;
                }
            }
            continue;
        }
        if c == b'#' || c == b'\\' || is_control(c) {
            bad = true;
        }
        out.push(c);
        i += 1;
    }
    if std::str::from_utf8(&out).is_err() || out.first() != Some(&b'/') {
        bad = true;
    } else {
        let segments: Vec<&[u8]> = out[1..].split(|&c| c == b'/').collect();
        for (k, s) in segments.iter().enumerate() {
            if *s == b"." || *s == b".." || (s.is_empty() && k + 1 < segments.len()) {
                bad = true;
            }
        }
    }
    (bad, out)
}

/// Whether a (normalized) path matches a rule pattern: `/`, literal segments, `*` for one
/// non-empty segment, a trailing `/**` for zero or more segments.
pub fn pattern_matches(pattern: &str, path: &[u8]) -> bool {
    let segments: Vec<&[u8]> = path[1..].split(|&c| c == b'/').collect();
    let (body, tail) = match pattern.strip_suffix("/**") {
        Some(b) => (b, true),
        None => (pattern, false),
    };
    let wanted: Vec<&str> = if body.is_empty() { vec![] } else { body[1..].split('/').collect() };
    if tail {
        if segments.len() < wanted.len() {
            return false;
        }
    } else if segments.len() != wanted.len() {
        return false;
    }
    wanted.iter().zip(&segments).all(|(w, s)| if *w == "*" { !s.is_empty() } else { w.as_bytes() == *s })
}

// ---------------------------------------------------------------------------------------------
// Addresses (rows 4–5)

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

fn in_range(range: &IpRange, ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(a) if range.v4 => {
            let net = Ipv4Addr::new(range.addr[12], range.addr[13], range.addr[14], range.addr[15]);
            let bits = u32::from(range.prefix - 96);
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
            u32::from(a) & mask == u32::from(net) & mask
        }
        IpAddr::V6(a) if !range.v4 => {
            let net = Ipv6Addr::from(range.addr);
            let bits = u32::from(range.prefix);
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
            u128::from(a) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

fn any_in(set: u64, ranges: &[IpRange], ip: Option<IpAddr>) -> bool {
    let Some(ip) = ip else { return false };
    ranges.iter().enumerate().any(|(i, r)| set >> i & 1 == 1 && in_range(r, ip))
}

// ---------------------------------------------------------------------------------------------
// Origins (row 6, §5)

#[derive(Debug, PartialEq)]
enum ReqOrigin {
    Null,
    Tuple { scheme: String, host: String, port: Option<u16> },
}

fn parse_origin(value: &[u8]) -> Option<ReqOrigin> {
    let text = std::str::from_utf8(value).ok()?;
    if text == "null" {
        return Some(ReqOrigin::Null);
    }
    let (scheme, rest) = text.split_once("://")?;
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) {
        return None;
    }
    let (host, port_text) = if let Some(after_bracket) = rest.strip_prefix('[') {
        let (inner, after) = after_bracket.split_once(']')?;
        inner.parse::<Ipv6Addr>().ok()?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        (format!("[{inner}]"), port)
    } else {
        let (host, port) = match rest.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        };
        let labels_ok = !host.is_empty()
            && host
                .split('.')
                .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        if !labels_ok {
            return None;
        }
        (host.to_string(), port)
    };
    let port = match port_text {
        None => None,
        Some(p) => {
            if p.is_empty() || p.len() > 5 || p.starts_with('0') || !p.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let n: u32 = p.parse().ok()?;
            if n == 0 || n > 65535 {
                return None;
            }
            Some(u16::try_from(n).unwrap())
        }
    };
    let scheme = scheme.to_ascii_lowercase();
    let default = match scheme.as_str() {
        "https" => Some(443),
        "http" => Some(80),
        _ => None,
    };
    let port = if port == default { None } else { port };
    Some(ReqOrigin::Tuple { scheme, host: host.to_ascii_lowercase(), port })
}

/// Whether a header value is a valid origin serialization (or `null`).
pub fn origin_is_valid(value: &[u8]) -> bool {
    parse_origin(value).is_some()
}

fn origin_allowed(o: &ReqOrigin, p: &OriginPattern<'_>) -> bool {
    match (o, p) {
        (ReqOrigin::Null, OriginPattern::Null) => true,
        (ReqOrigin::Tuple { .. }, OriginPattern::Any) => true,
        (ReqOrigin::Tuple { scheme, host, port }, OriginPattern::Exact { scheme: s, host: h, port: pp }) => {
            scheme == s && host == h && port == pp
        }
        (ReqOrigin::Tuple { scheme, host, port }, OriginPattern::Subdomains { scheme: s, suffix, port: pp }) => {
            let dotted = format!(".{suffix}");
            scheme == s && port == pp && host.len() > dotted.len() && host.ends_with(&dotted)
        }
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Base64 (RFC 4648), strict

fn b64_decode(input: &[u8], url: bool, padded: bool) -> Option<Vec<u8>> {
    let alphabet: &[u8] = if url {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    } else {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    };
    let body = if padded {
        if !input.len().is_multiple_of(4) {
            return None;
        }
        let pad = input.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 {
            return None;
        }
        &input[..input.len() - pad]
    } else {
        input
    };
    if body.len() % 4 == 1 {
        return None;
    }
    if padded && (input.len() - body.len()) != (4 - body.len() % 4) % 4 {
        return None;
    }
    let mut bits: u32 = 0;
    let mut nbits = 0;
    let mut out = Vec::new();
    for &c in body {
        let v = alphabet.iter().position(|&a| a == c)?;
        bits = (bits << 6) | u32::try_from(v).unwrap();
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push(u8::try_from((bits >> nbits) & 0xff).unwrap());
        }
    }
    // Canonical: the leftover bits are zero.
    if bits & ((1 << nbits) - 1) != 0 {
        return None;
    }
    Some(out)
}

fn decoded_len(len: usize) -> usize {
    len / 4 * 3 + (len % 4).saturating_sub(1)
}

// ---------------------------------------------------------------------------------------------
// JSON (RFC 8259), strict, bounded depth

#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Str(String),
    Num(String),
    Bool(bool),
    Null,
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> Option<()> {
        if self.peek() == Some(c) {
            self.i += 1;
            Some(())
        } else {
            None
        }
    }
    fn value(&mut self, depth: usize) -> Option<Json> {
        self.ws();
        match self.peek()? {
            b'{' => self.object(depth + 1),
            b'[' => self.array(depth + 1),
            b'"' => self.string().map(Json::Str),
            b't' => self.word("true", Json::Bool(true)),
            b'f' => self.word("false", Json::Bool(false)),
            b'n' => self.word("null", Json::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }
    fn word(&mut self, w: &str, v: Json) -> Option<Json> {
        if self.s[self.i..].starts_with(w.as_bytes()) {
            self.i += w.len();
            Some(v)
        } else {
            None
        }
    }
    fn digits(&mut self) -> Option<()> {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        (self.i > start).then_some(())
    }
    fn number(&mut self) -> Option<Json> {
        let start = self.i;
        let _ = self.eat(b'-');
        if self.eat(b'0').is_none() {
            self.digits()?;
        }
        if self.eat(b'.').is_some() {
            self.digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            self.digits()?;
        }
        Some(Json::Num(String::from_utf8(self.s[start..self.i].to_vec()).ok()?))
    }
    fn hex4(&mut self) -> Option<u32> {
        let h = std::str::from_utf8(self.s.get(self.i..self.i + 4)?).ok()?;
        if !h.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        self.i += 4;
        u32::from_str_radix(h, 16).ok()
    }
    fn string(&mut self) -> Option<String> {
        self.eat(b'"')?;
        let mut out = String::new();
        loop {
            let c = self.peek()?;
            self.i += 1;
            match c {
                b'"' => return Some(out),
                b'\\' => {
                    let e = self.peek()?;
                    self.i += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let cp = if (0xD800..0xDC00).contains(&hi) {
                                self.eat(b'\\')?;
                                self.eat(b'u')?;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return None;
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else if (0xDC00..0xE000).contains(&hi) {
                                return None;
                            } else {
                                hi
                            };
                            out.push(char::from_u32(cp)?);
                        }
                        _ => return None,
                    }
                }
                c if c < 0x20 => return None,
                _ => {
                    // Copy one UTF-8 sequence (the input was checked to be UTF-8).
                    let start = self.i - 1;
                    let mut end = self.i;
                    while end < self.s.len() && (self.s[end] & 0xC0) == 0x80 {
                        end += 1;
                    }
                    out.push_str(std::str::from_utf8(&self.s[start..end]).ok()?);
                    self.i = end;
                }
            }
        }
    }
    fn array(&mut self, depth: usize) -> Option<Json> {
        if depth > MAX_JSON_DEPTH {
            return None;
        }
        self.eat(b'[')?;
        let mut items = Vec::new();
        self.ws();
        if self.eat(b']').is_some() {
            return Some(Json::Array(items));
        }
        loop {
            items.push(self.value(depth)?);
            self.ws();
            if self.eat(b',').is_some() {
                continue;
            }
            self.eat(b']')?;
            return Some(Json::Array(items));
        }
    }
    fn object(&mut self, depth: usize) -> Option<Json> {
        if depth > MAX_JSON_DEPTH {
            return None;
        }
        self.eat(b'{')?;
        let mut members = Vec::new();
        self.ws();
        if self.eat(b'}').is_some() {
            return Some(Json::Object(members));
        }
        loop {
            self.ws();
            let k = self.string()?;
            self.ws();
            self.eat(b':')?;
            let v = self.value(depth)?;
            members.push((k, v));
            self.ws();
            if self.eat(b',').is_some() {
                continue;
            }
            self.eat(b'}')?;
            return Some(Json::Object(members));
        }
    }
}

/// Parses one JSON object (surrounding whitespace allowed) into its members, in order.
pub fn parse_object(s: &[u8]) -> Option<Vec<(String, Json)>> {
    std::str::from_utf8(s).ok()?;
    let mut p = Parser { s, i: 0 };
    p.ws();
    // The top-level object is at depth 1, as in RFC 8259 terms "one level of nesting".
    let v = p.object(1)?;
    p.ws();
    if p.i != s.len() {
        return None;
    }
    match v {
        Json::Object(m) => Some(m),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Credentials (rows 7–11)

#[derive(Debug, Clone, PartialEq)]
enum Presented {
    None,
    Ambiguous,
    Bearer(Vec<u8>),
    Basic(Vec<u8>),
    ApiKey(Vec<u8>),
    OtherScheme,
    Unparseable,
}

fn trim(v: &[u8]) -> &[u8] {
    let start = v.iter().position(|&c| c != b' ' && c != b'\t').unwrap_or(v.len());
    let end = v.iter().rposition(|&c| c != b' ' && c != b'\t').map_or(start, |e| e + 1);
    &v[start..end]
}

/// Values of the headers named `name` (case-insensitive), trimmed.
fn header_values<'r>(req: &'r ModelRequest, name: &str) -> Vec<&'r [u8]> {
    req.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes())).map(|(_, v)| trim(v)).collect()
}

/// A header the engine reads once: absent, its value, or "" (never valid) when sent twice or
/// over the length limit.
fn single(req: &ModelRequest, name: &str) -> Option<Vec<u8>> {
    let values = header_values(req, name);
    match values.as_slice() {
        [] => None,
        [v] if v.len() <= MAX_HEADER_VALUE => Some(v.to_vec()),
        _ => Some(vec![]),
    }
}

fn presented(req: &ModelRequest, api_key_header: &str) -> Presented {
    let auth = header_values(req, "authorization");
    let api = header_values(req, api_key_header);
    if auth.is_empty() && api.is_empty() {
        return Presented::None;
    }
    if (!auth.is_empty() && !api.is_empty()) || auth.len() > 1 || api.len() > 1 {
        return Presented::Ambiguous;
    }
    if let Some(key) = api.first() {
        if key.len() > MAX_HEADER_VALUE {
            return Presented::Unparseable;
        }
        return Presented::ApiKey(key.to_vec());
    }
    let v = auth[0];
    if v.is_empty() || v.len() > MAX_HEADER_VALUE {
        return Presented::Unparseable;
    }
    let (scheme, rest) = match v.iter().position(|&c| c == b' ') {
        Some(sp) => (&v[..sp], &v[sp..]),
        None => (v, &v[v.len()..]),
    };
    let tchar = |c: u8| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c);
    if scheme.is_empty() || !scheme.iter().all(|&c| tchar(c)) {
        return Presented::Unparseable;
    }
    let cred = trim_spaces_front(rest).to_vec();
    if scheme.eq_ignore_ascii_case(b"bearer") {
        Presented::Bearer(cred)
    } else if scheme.eq_ignore_ascii_case(b"basic") {
        Presented::Basic(cred)
    } else if scheme.eq_ignore_ascii_case(b"apikey") {
        // SPEC §6: the scheme the `ApiKey` challenge names.
        Presented::ApiKey(cred)
    } else {
        Presented::OtherScheme
    }
}

fn trim_spaces_front(v: &[u8]) -> &[u8] {
    let start = v.iter().position(|&c| c != b' ').unwrap_or(v.len());
    &v[start..]
}

pub fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let prf = Hmac::<Sha256>::new_from_slice(password).unwrap();
    let mut m = prf.clone();
    m.update(salt);
    m.update(&1u32.to_be_bytes());
    let mut u: [u8; 32] = m.finalize().into_bytes().into();
    let mut t = u;
    for _ in 1..iterations {
        let mut m = prf.clone();
        m.update(&u);
        u = m.finalize().into_bytes().into();
        for (a, b) in t.iter_mut().zip(u) {
            *a ^= b;
        }
    }
    t
}

/// Outcome of an API key or Basic check: malformed, or the matching credential (if any).
enum Checked {
    Malformed,
    Invalid,
    Valid(usize),
}

fn check_api_key(key: &[u8], policy: &PolicyBody<'_>) -> Checked {
    if key.is_empty() || key.iter().any(|&c| c < 0x20 || c == 0x7f) {
        return Checked::Malformed;
    }
    let digest: [u8; 32] = Sha256::digest(key).into();
    for (i, c) in policy.credentials.iter().enumerate() {
        if let CredentialKind::ApiKey { sha256 } = &c.kind
            && *sha256 == digest
        {
            return Checked::Valid(i);
        }
    }
    Checked::Invalid
}

/// RFC 7617: user-id and password, no control characters, UTF-8.
fn check_basic(encoded: &[u8], policy: &PolicyBody<'_>) -> Checked {
    let Some(decoded) = b64_decode(encoded, false, true) else { return Checked::Malformed };
    if decoded.len() > 2 * MAX_NAME + 2 {
        return Checked::Malformed;
    }
    let Some(colon) = decoded.iter().position(|&c| c == b':') else { return Checked::Malformed };
    if decoded.iter().any(|&c| c < 0x20 || c == 0x7f) || std::str::from_utf8(&decoded).is_err() {
        return Checked::Malformed;
    }
    let (user, password) = (&decoded[..colon], &decoded[colon + 1..]);
    for (i, c) in policy.credentials.iter().enumerate() {
        if let CredentialKind::Basic { user: u, iterations, salt, hash } = &c.kind
            && u.as_bytes() == user
        {
            return if pbkdf2_sha256(password, salt, *iterations) == *hash {
                Checked::Valid(i)
            } else {
                Checked::Invalid
            };
        }
    }
    Checked::Invalid
}

// ---------------------------------------------------------------------------------------------
// Tokens (rows 10, 12–16)

#[derive(Debug)]
enum TokenVerdict {
    Malformed,
    Checked(Box<TokenFacts>),
}

#[derive(Debug)]
struct TokenFacts {
    alg_rejected: bool,
    unknown_key: bool,
    mac_ok: bool,
    expired: bool,
    not_yet_valid: bool,
    issuer_ok: bool,
    audience_ok: bool,
    mfa: bool,
    iat: Option<u64>,
    auth_time: Option<u64>,
    exp: u64,
    roles: u64,
    sub: Option<String>,
}

/// A NumericDate (RFC 7519 §2) from JSON number text, floored; `None` for negative values and
/// values above 2^53 (SPEC §6). Done by moving the decimal point in the digit string.
fn numeric_date(n: &str) -> Option<u64> {
    let (negative, n) = match n.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, n),
    };
    let (mantissa, exponent) = match n.find(['e', 'E']) {
        Some(i) => (
            &n[..i],
            n[i + 1..].parse::<i64>().unwrap_or(if n[i + 1..].starts_with('-') { i64::MIN } else { i64::MAX }),
        ),
        None => (n, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{int}{frac}");
    if digits.bytes().all(|c| c == b'0') {
        return Some(0);
    }
    if negative {
        return None;
    }
    // Position of the decimal point in `digits` after applying the exponent.
    let point = i64::try_from(int.len()).unwrap().saturating_add(exponent);
    let (int_part, frac_part) = if point <= 0 {
        (String::new(), digits)
    } else if point >= i64::try_from(digits.len()).unwrap() {
        if point > 10_000 {
            return None;
        }
        (format!("{digits}{}", "0".repeat(usize::try_from(point).unwrap() - digits.len())), String::new())
    } else {
        let p = usize::try_from(point).unwrap();
        (digits[..p].to_string(), digits[p..].to_string())
    };
    let int_part = int_part.trim_start_matches('0');
    let limit = (1u64 << 53).to_string();
    let fraction = frac_part.bytes().any(|c| c != b'0');
    let above = int_part.len() > limit.len()
        || (int_part.len() == limit.len() && (int_part > limit.as_str() || (int_part == limit && fraction)));
    if above {
        return None;
    }
    Some(if int_part.is_empty() { 0 } else { int_part.parse().unwrap() })
}

/// A string or an array of at most MAX_CLAIM_ELEMENTS strings: its strings.
fn strings(v: &Json) -> Option<Vec<String>> {
    match v {
        Json::Str(s) => Some(vec![s.clone()]),
        Json::Array(items) if items.len() <= MAX_CLAIM_ELEMENTS => items
            .iter()
            .map(|i| match i {
                Json::Str(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// HMAC of `input` under `secret` with `alg`'s hash.
pub fn mac(alg: Alg, secret: &[u8], input: &[u8]) -> Vec<u8> {
    match alg {
        Alg::Hs256 => {
            let mut m = Hmac::<Sha256>::new_from_slice(secret).unwrap();
            m.update(input);
            m.finalize().into_bytes().to_vec()
        }
        Alg::Hs384 => {
            let mut m = Hmac::<Sha384>::new_from_slice(secret).unwrap();
            m.update(input);
            m.finalize().into_bytes().to_vec()
        }
        Alg::Hs512 => {
            let mut m = Hmac::<Sha512>::new_from_slice(secret).unwrap();
            m.update(input);
            m.finalize().into_bytes().to_vec()
        }
        // Not an HMAC algorithm: no MAC (public keys verify through `verify_public`).
        _ => Vec::new(),
    }
}

/// A public-key JWS signature (RFC 7518 §3.3–3.5, RFC 8037), through the crates' own verifiers:
/// PKCS#1 v1.5, PSS with a hash-length salt, ECDSA `r ‖ s`, strict Ed25519.
pub fn verify_public(alg: Alg, key: &warden::policy::PublicKey<'_>, input: &[u8], sig: &[u8]) -> bool {
    use rsa::signature::Verifier;
    use warden::policy::PublicKey as K;
    let rsa_key = |n: &[u8], e: u32| {
        rsa::PublicKey::new(rsa::BoxedUint::from_be_slice_vartime(n), rsa::BoxedUint::from(u64::from(e)))
    };
    match (alg, *key) {
        (Alg::Rs256 | Alg::Rs384 | Alg::Rs512 | Alg::Ps256 | Alg::Ps384 | Alg::Ps512, K::Rsa { n, e }) => {
            let Ok(pk) = rsa_key(n, e) else { return false };
            use rsa::{pkcs1v15 as p1, pss};
            match alg {
                Alg::Rs256 => p1::Signature::try_from(sig)
                    .is_ok_and(|s| p1::VerifyingKey::<Sha256>::new(pk).verify(input, &s).is_ok()),
                Alg::Rs384 => p1::Signature::try_from(sig)
                    .is_ok_and(|s| p1::VerifyingKey::<Sha384>::new(pk).verify(input, &s).is_ok()),
                Alg::Rs512 => p1::Signature::try_from(sig)
                    .is_ok_and(|s| p1::VerifyingKey::<Sha512>::new(pk).verify(input, &s).is_ok()),
                Alg::Ps256 => pss::Signature::try_from(sig)
                    .is_ok_and(|s| pss::VerifyingKey::<Sha256>::new(pk).verify(input, &s).is_ok()),
                Alg::Ps384 => pss::Signature::try_from(sig)
                    .is_ok_and(|s| pss::VerifyingKey::<Sha384>::new(pk).verify(input, &s).is_ok()),
                _ => pss::Signature::try_from(sig)
                    .is_ok_and(|s| pss::VerifyingKey::<Sha512>::new(pk).verify(input, &s).is_ok()),
            }
        }
        (Alg::Es256, K::Ec { sec1 }) => {
            let (Ok(k), Ok(s)) =
                (p256::ecdsa::VerifyingKey::from_sec1_bytes(sec1), p256::ecdsa::Signature::from_slice(sig))
            else {
                return false;
            };
            k.verify(input, &s).is_ok()
        }
        (Alg::Es384, K::Ec { sec1 }) => {
            let (Ok(k), Ok(s)) =
                (p384::ecdsa::VerifyingKey::from_sec1_bytes(sec1), p384::ecdsa::Signature::from_slice(sig))
            else {
                return false;
            };
            k.verify(input, &s).is_ok()
        }
        (Alg::EdDsa, K::Ed25519 { a }) => {
            let (Ok(k), Ok(s)) = (ed25519_dalek::VerifyingKey::from_bytes(&a), <[u8; 64]>::try_from(sig)) else {
                return false;
            };
            k.verify_strict(input, &ed25519_dalek::Signature::from_bytes(&s)).is_ok()
        }
        _ => false,
    }
}

fn check_token(token: &[u8], policy: &PolicyBody<'_>, keyring: &[(String, Vec<u8>)], now: u64) -> TokenVerdict {
    use TokenVerdict::Malformed;
    let parts: Vec<&[u8]> = token.split(|&c| c == b'.').collect();
    let [h64, p64, s64] = parts.as_slice() else { return Malformed };
    if h64.is_empty() || p64.is_empty() {
        return Malformed;
    }
    if decoded_len(h64.len()) > MAX_TOKEN_HEADER || decoded_len(p64.len()) > MAX_TOKEN_PAYLOAD {
        return Malformed;
    }
    let (Some(header), Some(payload)) = (b64_decode(h64, true, false), b64_decode(p64, true, false)) else {
        return Malformed;
    };
    // A signature longer than any algorithm's (RSA-4096: 512 bytes) is a bad signature (if it is
    // base64url), not malformed.
    let signature = if s64.len() % 4 != 1 && decoded_len(s64.len()) > 512 {
        if !s64.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_') {
            return Malformed;
        }
        vec![]
    } else {
        match b64_decode(s64, true, false) {
            Some(s) => s,
            None => return Malformed,
        }
    };
    let (Some(header), Some(claims)) = (parse_object(&header), parse_object(&payload)) else { return Malformed };

    // JOSE header: alg (required), kid; crit and b64 are extensions we do not understand.
    let mut alg_name = None;
    let mut kid = None;
    for (name, value) in &header {
        match (name.as_str(), value) {
            ("alg", Json::Str(s)) if alg_name.is_none() => alg_name = Some(s.clone()),
            ("kid", Json::Str(s)) if kid.is_none() => kid = Some(s.clone()),
            ("alg" | "kid" | "crit" | "b64", _) => return Malformed,
            _ => {}
        }
    }
    let Some(alg_name) = alg_name else { return Malformed };

    // Claims: registered claims of the wrong type or sent twice make the token malformed.
    let (mut exp, mut nbf, mut iat, mut auth_time): (Option<u64>, Option<u64>, Option<u64>, Option<u64>) =
        (None, None, None, None);
    let (mut iss, mut sub, mut scope): (Option<String>, Option<String>, Option<String>) = (None, None, None);
    let (mut aud, mut amr): (Option<Vec<String>>, Option<Vec<String>>) = (None, None);
    fn once<T>(slot: &Option<T>) -> bool {
        slot.is_none()
    }
    let mut role_claims: Vec<Option<Vec<String>>> = vec![None; policy.keys.len()];
    // Every claim the engine reads may appear once, whatever its value; `null` means absent
    // for every claim but `exp` (how many JWT libraries write an optional claim they lack).
    let read = |name: &str| {
        matches!(name, "exp" | "nbf" | "iat" | "auth_time" | "iss" | "sub" | "aud" | "amr" | "scope")
            || policy.keys.iter().any(|k| k.roles_claim == name)
    };
    let mut seen: Vec<&str> = Vec::new();
    for (name, value) in &claims {
        if read(name) {
            if seen.contains(&name.as_str()) {
                return Malformed;
            }
            seen.push(name);
        }
        // The dates "MUST be a number" (RFC 7519, OpenID Connect for auth_time).
        if *value == Json::Null {
            if matches!(name.as_str(), "exp" | "nbf" | "iat" | "auth_time") {
                return Malformed;
            }
            continue;
        }
        match name.as_str() {
            "exp" | "nbf" | "iat" | "auth_time" => {
                let Json::Num(n) = value else { return Malformed };
                let Some(n) = numeric_date(n) else { return Malformed };
                let slot = match name.as_str() {
                    "exp" => &mut exp,
                    "nbf" => &mut nbf,
                    "iat" => &mut iat,
                    _ => &mut auth_time,
                };
                if !once(slot) {
                    return Malformed;
                }
                *slot = Some(n);
            }
            "iss" | "sub" | "scope" => {
                let Json::Str(s) = value else { return Malformed };
                let slot = match name.as_str() {
                    "iss" => &mut iss,
                    "sub" => &mut sub,
                    _ => &mut scope,
                };
                if !once(slot) {
                    return Malformed;
                }
                *slot = Some(s.clone());
            }
            "aud" => {
                let Some(list) = strings(value) else { return Malformed };
                if !once(&aud) {
                    return Malformed;
                }
                aud = Some(list);
            }
            "amr" => {
                let Json::Array(_) = value else { return Malformed };
                let Some(list) = strings(value) else { return Malformed };
                if !once(&amr) {
                    return Malformed;
                }
                amr = Some(list);
            }
            _ => {}
        }
        for (slot, key) in role_claims.iter_mut().zip(&policy.keys) {
            if name == key.roles_claim {
                let Some(list) = strings(value) else { return Malformed };
                if slot.is_some() {
                    return Malformed;
                }
                *slot = Some(list);
            }
        }
    }
    let Some(exp) = exp else { return Malformed };
    if sub.as_ref().is_some_and(|s| s.len() > MAX_SUBJECT || s.chars().any(|c| c < ' ' || c == '\u{7f}')) {
        return Malformed;
    }

    // Row 12: alg must be the kid's key's algorithm; no kid: some key of this alg.
    // The JOSE names of RFC 7518 §3.1 and RFC 8037 §3.1 that SPEC §6 lists (case-sensitive).
    let alg = match alg_name.as_str() {
        "HS256" => Some(Alg::Hs256),
        "HS384" => Some(Alg::Hs384),
        "HS512" => Some(Alg::Hs512),
        "RS256" => Some(Alg::Rs256),
        "RS384" => Some(Alg::Rs384),
        "RS512" => Some(Alg::Rs512),
        "PS256" => Some(Alg::Ps256),
        "PS384" => Some(Alg::Ps384),
        "PS512" => Some(Alg::Ps512),
        "ES256" => Some(Alg::Es256),
        "ES384" => Some(Alg::Es384),
        "EdDSA" => Some(Alg::EdDsa),
        _ => None,
    };
    let kid_key = kid.as_ref().map(|k| policy.keys.iter().position(|key| key.id == k));
    let alg_rejected = match (alg, kid_key) {
        (None, _) => true,
        (Some(a), Some(Some(k))) => policy.keys[k].alg != a,
        (Some(a), None) => !policy.keys.iter().any(|k| k.alg == a),
        (Some(_), Some(None)) => false,
    };
    let unknown_key = !alg_rejected && matches!(kid_key, Some(None));
    let candidates: Vec<usize> = match kid_key {
        Some(Some(k)) => vec![k],
        Some(None) => vec![],
        None => (0..policy.keys.len()).filter(|&i| Some(policy.keys[i].alg) == alg).collect(),
    };

    // Row 13: the first candidate whose MAC verifies.
    let signing_input = &token[..h64.len() + 1 + p64.len()];
    let verified = if alg_rejected {
        None
    } else {
        candidates.iter().copied().find(|&i| {
            let key = &policy.keys[i];
            if !matches!(key.alg, Alg::Hs256 | Alg::Hs384 | Alg::Hs512) {
                return verify_public(key.alg, &key.public_key, signing_input, &signature);
            }
            let secret = &keyring.iter().find(|(id, _)| id == key.id).unwrap().1;
            mac(key.alg, secret, signing_input) == signature
        })
    };
    let mac_ok = verified.is_some();
    // Claims are read with the verified key's rules (any key when the MAC failed: the decision
    // is then made before they matter).
    let key_index = verified.or(candidates.first().copied()).unwrap_or(0);
    // A policy without keys rejects every token at row 12, before claims matter.
    let Some(key) = policy.keys.get(key_index) else {
        return TokenVerdict::Checked(Box::new(TokenFacts {
            alg_rejected,
            unknown_key,
            mac_ok: false,
            expired: false,
            not_yet_valid: false,
            issuer_ok: false,
            audience_ok: false,
            mfa: false,
            iat,
            auth_time,
            exp,
            roles: 0,
            sub,
        }));
    };

    let leeway = u64::from(policy.settings.leeway_s);
    let expired = exp.saturating_add(leeway) <= now;
    let late = now.saturating_add(leeway);
    let not_yet_valid = nbf.is_some_and(|n| n > late) || iat.is_some_and(|i| i > late);
    let issuer_ok = key.issuer.is_none_or(|want| iss.as_deref() == Some(want));
    // RFC 7519 §4.1.3: a present aud must name the recipient; a key without audience names none.
    let audience_ok = match key.audience {
        Some(want) => aud.as_ref().is_some_and(|a| a.iter().any(|x| x == want)),
        None => aud.is_none(),
    };
    let mfa = amr.as_ref().is_some_and(|a| a.iter().any(|x| x == "mfa"));

    let mut names: Vec<String> = role_claims.get(key_index).cloned().flatten().unwrap_or_default();
    if let Some(scope) = &scope {
        names.extend(scope.split(' ').filter(|w| !w.is_empty()).map(String::from));
    }
    let mut roles = 0u64;
    for (i, r) in policy.roles.iter().enumerate() {
        if names.iter().any(|n| n == r) {
            roles |= 1 << i;
        }
    }
    TokenVerdict::Checked(Box::new(TokenFacts {
        alg_rejected,
        unknown_key,
        mac_ok,
        expired,
        not_yet_valid,
        issuer_ok,
        audience_ok,
        mfa,
        iat,
        auth_time,
        exp,
        roles,
        sub,
    }))
}

// ---------------------------------------------------------------------------------------------
// Decisions (§4, §5)

fn role_names(policy: &PolicyBody<'_>, set: u64) -> Vec<String> {
    policy.roles.iter().enumerate().filter(|(i, _)| set >> i & 1 == 1).map(|(_, r)| r.to_string()).collect()
}

fn challenge(scheme: Scheme, realm: &str, bearer_error: &str) -> String {
    match scheme {
        Scheme::Bearer => format!("Bearer realm=\"{realm}\"{bearer_error}"),
        Scheme::Basic => format!("Basic realm=\"{realm}\", charset=\"UTF-8\""),
        Scheme::ApiKey => format!("ApiKey realm=\"{realm}\""),
    }
}

fn unauthorized(policy: &PolicyBody<'_>, rule: &Rule<'_>, reason: &str, bearer_presented: bool) -> Outcome {
    let invalid = |d: &str| {
        if bearer_presented { format!(", error=\"invalid_token\", error_description=\"{d}\"") } else { String::new() }
    };
    let bearer_error = match reason {
        "credentials_malformed" => invalid("the access token is malformed"),
        "token_algorithm_rejected" => invalid("the token signing algorithm is not accepted"),
        "token_unknown_key" => invalid("the token signing key is not known"),
        "token_bad_signature" => invalid("the token signature is invalid"),
        "token_expired" => invalid("the access token expired"),
        "token_not_yet_valid" => invalid("the access token is not yet valid"),
        "token_issuer_mismatch" => invalid("the token issuer is not accepted"),
        "token_audience_mismatch" => invalid("the token audience is not accepted"),
        "mfa_required" => ", error=\"insufficient_user_authentication\", error_description=\"multi-factor authentication is required\", acr_values=\"mfa\"".to_string(),
        "auth_too_old" => format!(
            ", error=\"insufficient_user_authentication\", error_description=\"a more recent authentication is required\", max_age={}",
            rule.max_auth_age_s.unwrap_or(0)
        ),
        _ => String::new(),
    };
    let mut o = Outcome::deny(401, reason, Some(rule.name));
    o.challenges = rule.auth.iter().map(|s| challenge(*s, policy.realm, &bearer_error)).collect();
    o
}

/// Decides `req` under `policy` with `keyring` (key id, secret).
pub fn evaluate(policy: &PolicyBody<'_>, keyring: &[(String, Vec<u8>)], req: &ModelRequest) -> Outcome {
    // Row 1.
    let (malformed, path) = normalize_path(&req.path);
    if malformed {
        return Outcome::deny(403, "malformed_path", None);
    }

    // Row 2: a preflight is OPTIONS with origin and access-control-request-method.
    let origin = single(req, "origin");
    let acrm = single(req, "access-control-request-method");
    let preflight = req.method == b"OPTIONS" && origin.is_some() && acrm.is_some();
    let method: &[u8] = if preflight { acrm.as_deref().unwrap() } else { &req.method };

    // Row 3: the first rule whose method and path match. A method is one RFC 9110 token, and
    // a rule that lists GET also takes HEAD (SPEC §3, §5).
    let tchar = |c: u8| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c);
    let is_token = !method.is_empty() && method.iter().all(|&c| tchar(c));
    let lists = |r: &Rule<'_>, name: &[u8]| {
        policy.methods.iter().enumerate().any(|(i, m)| r.methods.contains(i) && m.as_bytes() == name)
    };
    let method_ok =
        |r: &Rule<'_>| is_token && (r.any_method || lists(r, method) || (method == b"HEAD" && lists(r, b"GET")));
    let Some(rule) = policy.rules.iter().find(|r| pattern_matches(r.path, &path) && method_ok(r)) else {
        let path_matches = policy.rules.iter().any(|r| pattern_matches(r.path, &path));
        let reason = if path_matches && !preflight { "method_not_allowed" } else { "no_matching_rule" };
        return Outcome::deny(403, reason, None);
    };
    let name = Some(rule.name);

    // Rows 4–5.
    if any_in(rule.ip_deny.0, &policy.ranges, req.ip) {
        return Outcome::deny(403, "ip_blocked", name);
    }
    if !rule.ip_allow.is_empty() && !any_in(rule.ip_allow.0, &policy.ranges, req.ip) {
        return Outcome::deny(403, "ip_not_allowed", name);
    }

    // Row 6.
    let parsed_origin = origin.as_deref().and_then(parse_origin);
    let origin_listed = parsed_origin.as_ref().is_some_and(|o| {
        policy.origins.iter().enumerate().any(|(i, p)| rule.origins.contains(i) && origin_allowed(o, p))
    });
    let cors_answer = |o: &mut Outcome| {
        if !rule.origins.is_empty() && origin_listed {
            o.cors_origin = Some(String::from_utf8(origin.clone().unwrap()).unwrap());
            o.cors_credentials = Some(policy.cors.allow_credentials);
        }
    };
    if preflight {
        if rule.origins.is_empty() || !origin_listed {
            return Outcome::deny(403, "origin_not_allowed", name);
        }
        let mut o = Outcome::deny(200, "preflight", name);
        cors_answer(&mut o);
        let methods = if rule.any_method {
            String::from_utf8(method.to_vec()).unwrap_or_default()
        } else {
            let listed: Vec<&str> =
                policy.methods.iter().enumerate().filter(|(i, _)| rule.methods.contains(*i)).map(|(_, m)| *m).collect();
            listed.join(", ")
        };
        o.allow_methods = Some(methods);
        o.allow_headers = Some(policy.cors.allow_headers.to_string());
        o.max_age = Some(policy.cors.max_age_s);
        return o;
    }
    if !rule.origins.is_empty() && origin.is_some() && !origin_listed {
        return Outcome::deny(403, "origin_not_allowed", name);
    }

    // Row 18 for public rules.
    if rule.auth.is_empty() {
        let mut o = Outcome::deny(200, "public", name);
        cors_answer(&mut o);
        return o;
    }

    // Rows 7–10.
    let presented = presented(req, policy.settings.api_key_header);
    let bearer = matches!(presented, Presented::Bearer(_));
    // Every 401 comes after row 6, so it carries the CORS answer of an allowed origin.
    let fail = |reason: &str| {
        let mut o = unauthorized(policy, rule, reason, bearer);
        cors_answer(&mut o);
        o
    };
    let scheme = match &presented {
        Presented::None => return fail("credentials_missing"),
        Presented::Ambiguous => return fail("credentials_ambiguous"),
        Presented::OtherScheme => return fail("scheme_not_accepted"),
        Presented::Unparseable => return fail("credentials_malformed"),
        Presented::Bearer(_) => Scheme::Bearer,
        Presented::Basic(_) => Scheme::Basic,
        Presented::ApiKey(_) => Scheme::ApiKey,
    };
    if !rule.auth.contains(&scheme) {
        return fail("scheme_not_accepted");
    }

    // Rows 10–16, and who the subject is.
    let (subject, roles, refresh) = match &presented {
        Presented::ApiKey(key) | Presented::Basic(key) => {
            let checked = if scheme == Scheme::ApiKey { check_api_key(key, policy) } else { check_basic(key, policy) };
            match checked {
                Checked::Malformed => return fail("credentials_malformed"),
                Checked::Invalid => return fail("credentials_invalid"),
                Checked::Valid(i) => {
                    let c = &policy.credentials[i];
                    let subject = match &c.kind {
                        CredentialKind::ApiKey { .. } => c.id.to_string(),
                        CredentialKind::Basic { user, .. } => user.to_string(),
                    };
                    (Some(subject), c.roles.0, false)
                }
            }
        }
        Presented::Bearer(token) => {
            let facts = match check_token(token, policy, keyring, req.now) {
                TokenVerdict::Malformed => return fail("credentials_malformed"),
                TokenVerdict::Checked(f) => f,
            };
            let checks = [
                (facts.alg_rejected, "token_algorithm_rejected"),
                (facts.unknown_key, "token_unknown_key"),
                (!facts.mac_ok, "token_bad_signature"),
                (facts.expired, "token_expired"),
                (facts.not_yet_valid, "token_not_yet_valid"),
                (!facts.issuer_ok, "token_issuer_mismatch"),
                (!facts.audience_ok, "token_audience_mismatch"),
                (rule.require_mfa && !facts.mfa, "mfa_required"),
                // RFC 9470 §4: from auth_time, else iat; neither, or a time after now + leeway,
                // cannot be measured from.
                (
                    rule.max_auth_age_s.is_some_and(|max| {
                        let late = req.now.saturating_add(u64::from(policy.settings.leeway_s));
                        facts
                            .auth_time
                            .or(facts.iat)
                            .is_none_or(|at| at > late || req.now.saturating_sub(at) > u64::from(max))
                    }),
                    "auth_too_old",
                ),
            ];
            if let Some((_, reason)) = checks.iter().find(|(failed, _)| *failed) {
                return fail(reason);
            }
            let window = u64::from(policy.settings.refresh_window_s);
            (facts.sub.clone(), facts.roles, facts.exp < req.now.saturating_add(window))
        }
        _ => unreachable!("handled above"),
    };

    // Row 17.
    let any_ok = rule.roles_any.is_empty() || roles & rule.roles_any.0 != 0;
    let all_ok = roles & rule.roles_all.0 == rule.roles_all.0;
    if !(any_ok && all_ok) {
        let mut o = Outcome::deny(403, "insufficient_role", name);
        o.subject = subject;
        o.roles = role_names(policy, roles);
        if bearer {
            let mut scope = role_names(policy, rule.roles_all.0);
            scope.extend(role_names(policy, rule.roles_any.0 & !rule.roles_all.0));
            o.challenges = vec![format!(
                "Bearer realm=\"{}\", error=\"insufficient_scope\", scope=\"{}\"",
                policy.realm,
                scope.join(" ")
            )];
        }
        // Row 17 comes after row 6: the page may read this 403 too.
        cors_answer(&mut o);
        return o;
    }

    // Row 18.
    let mut o = Outcome::deny(200, "allowed", name);
    o.subject = subject;
    o.roles = role_names(policy, roles);
    o.refresh_advised = bearer && refresh;
    cors_answer(&mut o);
    o
}
