//! Helpers for calling the C ABI from Rust the way a C host does: the example policy and its
//! dev keys, engine memory from the allocator, requests as C structs, text read back through
//! the size query.
#![allow(dead_code, unreachable_pub, reason = "each test file uses a different part; private to each test crate")]
#![allow(clippy::expect_used, clippy::panic, reason = "test helpers: a failed expectation is a failed test")]

use core::alloc::Layout;
use core::ffi::c_char;
use core::net::IpAddr;
use std::alloc::{alloc_zeroed, dealloc};

use base64ct::{Base64, Base64Unpadded, Base64Url, Base64UrlUnpadded, Encoding};
use warden_ffi::*;

/// The committed example policy, compiled, unsigned and signed.
pub const BLOB: &[u8] = include_bytes!("../../../policies/edge-api.wdn");
pub const SIGNED_BLOB: &[u8] = include_bytes!("../../../policies/edge-api.signed.wdn");
const KEYS_TOML: &str = include_str!("../../../policies/edge-api.keys.toml");
const BUNDLE_KEY: &str = include_str!("../../../policies/edge-api.bundle-key.dev");

/// `now` of the example's case file (2026-01-01T00:00:00Z); the static tokens below were
/// minted for it.
pub const NOW: u64 = 1_767_225_600;

/// Dev API keys of the example policy (see the header of policies/edge-api.cases.toml).
pub const API_KEY_CI_BOT: &str = "wk_DhPFDAtn1ATuO8PS9G3ud6eiQgwxjftNci2uyCG7ODw";
pub const API_KEY_METRICS: &str = "wk_NS2r4jMboA1ZDEXLo-QAemFl_mQQidC_7lFLmd3R5W0";

/// `warden token mint --keys policies/edge-api.keys.toml --now 1767225600 --kid 2026-q4 --sub alice --roles orders:read --iss https://auth.example.com --aud edge-api`
pub const TOKEN_ALICE_READER: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6IjIwMjYtcTQifQ.eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vYXV0aC5leGFtcGxlLmNvbSIsImF1ZCI6ImVkZ2UtYXBpIiwiaWF0IjoxNzY3MjI1NjAwLCJleHAiOjE3NjcyMjkyMDAsInJvbGVzIjpbIm9yZGVyczpyZWFkIl19.VjfiBUopd3boBFATe8C1FiRbHwkpQad15cH1nZmV2EI";

/// The dev keyring as (id, secret) pairs, decoded from policies/edge-api.keys.toml.
pub fn keyring() -> Vec<(String, Vec<u8>)> {
    let doc: toml::Table = KEYS_TOML.parse().expect("keys file parses");
    let keys = doc["key"].as_array().expect("[[key]] tables");
    keys.iter()
        .map(|k| {
            let id = k["id"].as_str().expect("id").to_owned();
            let secret = if let Some(hex) = k.get("secret_hex") {
                hex_decode(hex.as_str().expect("hex"))
            } else {
                let b64 = k["secret_b64"].as_str().expect("b64");
                Base64::decode_vec(b64)
                    .or_else(|_| Base64Unpadded::decode_vec(b64))
                    .or_else(|_| Base64Url::decode_vec(b64))
                    .or_else(|_| Base64UrlUnpadded::decode_vec(b64))
                    .expect("RFC 4648 base64")
            };
            (id, secret)
        })
        .collect()
}

/// The dev bundle key that signed `SIGNED_BLOB`.
pub fn bundle_key() -> Vec<u8> {
    let hex = BUNDLE_KEY.lines().find(|l| !l.starts_with('#') && !l.trim().is_empty()).expect("key line");
    hex_decode(hex.trim())
}

pub fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
}

/// C views of a keyring; they borrow `ring`.
pub fn c_keys(ring: &[(String, Vec<u8>)]) -> Vec<warden_key> {
    ring.iter()
        .map(|(id, secret)| warden_key {
            id: id.as_ptr().cast(),
            id_len: id.len(),
            secret: secret.as_ptr(),
            secret_len: secret.len(),
        })
        .collect()
}

/// Engine memory from the allocator, as a host would get it with `aligned_alloc`.
pub struct Memory {
    ptr: *mut u8,
    layout: Layout,
}

impl Memory {
    pub fn new(size: usize, align: usize) -> Self {
        let layout = Layout::from_size_align(size, align).expect("layout");
        // SAFETY: the layout has a non-zero size.
        let ptr = unsafe { alloc_zeroed(layout) };
        assert!(!ptr.is_null());
        Self { ptr, layout }
    }

    pub fn for_engine() -> Self {
        Self::new(warden_engine_size(), warden_engine_align())
    }

    pub fn ptr(&self) -> *mut u8 {
        self.ptr
    }

    pub fn len(&self) -> usize {
        self.layout.size()
    }
}

impl Drop for Memory {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout.
        unsafe { dealloc(self.ptr, self.layout) }
    }
}

/// A loaded engine and the memory it lives in.
pub struct Loaded {
    pub memory: Memory,
    pub engine: *mut warden_engine,
}

/// Loads `blob` with `ring` into fresh memory.
pub fn try_load(blob: &'static [u8], ring: &[(String, Vec<u8>)]) -> Result<Loaded, warden_result> {
    let memory = Memory::for_engine();
    let keys = c_keys(ring);
    let mut engine = core::ptr::null_mut();
    // SAFETY: every pointer is valid for its length; the blob is 'static.
    let r = unsafe {
        warden_engine_load(
            blob.as_ptr(),
            blob.len(),
            keys.as_ptr(),
            keys.len(),
            memory.ptr().cast(),
            memory.len(),
            &mut engine,
        )
    };
    if r == warden_result::Ok { Ok(Loaded { memory, engine }) } else { Err(r) }
}

/// The example policy, loaded with its dev keys.
pub fn load() -> Loaded {
    try_load(BLOB, &keyring()).expect("the example policy loads")
}

/// A request as owned buffers; `with_c` lends C structs pointing into them.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: Vec<u8>,
    pub path: Vec<u8>,
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    pub ip: Option<IpAddr>,
    pub now: u64,
}

pub fn req(method: &str, path: &str) -> Req {
    Req { method: method.into(), path: path.into(), headers: vec![], ip: None, now: NOW }
}

impl Req {
    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.headers.push((name.into(), value.as_ref().to_vec()));
        self
    }

    pub fn ip(mut self, ip: &str) -> Self {
        self.ip = Some(ip.parse().expect("an IP address"));
        self
    }

    pub fn now(mut self, now: u64) -> Self {
        self.now = now;
        self
    }

    /// Calls `f` with a `warden_request` that points into `self`.
    pub fn with_c<T>(&self, f: impl FnOnce(&warden_request) -> T) -> T {
        let headers: Vec<warden_header> = self
            .headers
            .iter()
            .map(|(n, v)| warden_header {
                name: n.as_ptr().cast(),
                name_len: n.len(),
                value: v.as_ptr().cast(),
                value_len: v.len(),
            })
            .collect();
        let (ip_family, ip) = match self.ip {
            None => (warden_ip_family::None as u32, [0u8; 16]),
            Some(IpAddr::V4(v4)) => {
                let mut ip = [0u8; 16];
                ip[..4].copy_from_slice(&v4.octets());
                (warden_ip_family::V4 as u32, ip)
            }
            Some(IpAddr::V6(v6)) => (warden_ip_family::V6 as u32, v6.octets()),
        };
        let r = warden_request {
            method: self.method.as_ptr().cast(),
            method_len: self.method.len(),
            path: self.path.as_ptr().cast(),
            path_len: self.path.len(),
            headers: headers.as_ptr(),
            headers_len: headers.len(),
            ip_family,
            ip,
            now: self.now,
        };
        f(&r)
    }

    /// The same request for the core, borrowing `self` and `headers`.
    pub fn core<'a>(&'a self, headers: &'a mut Vec<warden::Header<'a>>) -> warden::Request<'a> {
        headers.extend(self.headers.iter().map(|(n, v)| warden::Header::new(n, v)));
        warden::Request { method: &self.method, path: &self.path, client_ip: self.ip, headers, now: self.now }
    }
}

/// A zeroed decision on the heap (it is large for a test thread's stack under miri).
pub fn new_decision() -> Box<warden_decision> {
    // SAFETY: warden_decision is plain words; all zeros is its "no decision" state.
    unsafe { Box::new(core::mem::zeroed()) }
}

/// Evaluates `r` with `engine` into `d`.
pub fn evaluate_into(engine: *const warden_engine, r: &Req, d: &mut warden_decision) -> warden_result {
    // SAFETY: the request points into `r`, alive for the call.
    r.with_c(|c| unsafe { warden_evaluate(engine, c, d) })
}

/// Evaluates `r` and returns the filled decision.
pub fn evaluate(engine: *const warden_engine, r: &Req) -> Box<warden_decision> {
    let mut d = new_decision();
    assert_eq!(evaluate_into(engine, r, &mut d), warden_result::Ok);
    d
}

/// Reads a text accessor the way C code does: a size query, then exactly that many bytes.
/// Checks the NUL and that the needed size is reported on every path.
pub fn text(f: impl Fn(*mut c_char, usize, *mut usize) -> warden_result) -> Result<Vec<u8>, warden_result> {
    let mut needed = usize::MAX;
    match f(core::ptr::null_mut(), 0, &mut needed) {
        warden_result::BufferTooSmall => {}
        other => {
            assert_eq!(needed, 0, "out_len is 0 when there is no text");
            return Err(other);
        }
    }
    assert!(needed >= 1, "the needed size includes the NUL");
    let mut buf = vec![0x55u8; needed];
    let mut written = 0usize;
    assert_eq!(f(buf.as_mut_ptr().cast(), buf.len(), &mut written), warden_result::Ok);
    assert_eq!(written, needed);
    assert_eq!(buf.pop(), Some(0), "NUL-terminated");
    Ok(buf)
}

pub fn text_string(f: impl Fn(*mut c_char, usize, *mut usize) -> warden_result) -> Result<String, warden_result> {
    text(f).map(|b| String::from_utf8(b).expect("UTF-8"))
}

/// Every value a decision carries, read through the C ABI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    pub kind: u32,
    pub status: u16,
    pub reason: u32,
    pub rule: Option<String>,
    pub subject: Option<String>,
    pub roles: Vec<String>,
    pub refresh_advised: bool,
    pub challenges: Vec<String>,
    pub cors: Option<ReadCors>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadCors {
    pub allow_origin: String,
    pub allow_credentials: bool,
    pub preflight: Option<(String, String, u32)>,
}

fn absent_as_none(r: Result<String, warden_result>) -> Option<String> {
    match r {
        Ok(s) => Some(s),
        Err(warden_result::Absent) => None,
        Err(e) => panic!("unexpected {e:?}"),
    }
}

/// Reads every accessor of `d`.
pub fn read(d: &warden_decision) -> Read {
    // SAFETY (all calls): `d` is a decision and every buffer is valid for its length.
    unsafe {
        let role_count = warden_decision_role_count(d);
        let challenge_count = warden_decision_challenge_count(d);
        let origin = absent_as_none(text_string(|b, l, o| warden_decision_cors_allow_origin(d, b, l, o)));
        let cors = origin.map(|allow_origin| {
            let methods = absent_as_none(text_string(|b, l, o| warden_decision_cors_allow_methods(d, b, l, o)));
            let headers = absent_as_none(text_string(|b, l, o| warden_decision_cors_allow_headers(d, b, l, o)));
            let mut max_age = u32::MAX;
            let r = warden_decision_cors_max_age(d, &mut max_age);
            let preflight = match (methods, headers) {
                (Some(m), Some(h)) => {
                    assert_eq!(r, warden_result::Ok);
                    Some((m, h, max_age))
                }
                (None, None) => {
                    assert_eq!((r, max_age), (warden_result::Absent, 0));
                    None
                }
                other => panic!("methods and headers come together: {other:?}"),
            };
            ReadCors { allow_origin, allow_credentials: warden_decision_cors_allow_credentials(d), preflight }
        });
        Read {
            kind: warden_decision_kind(d),
            status: warden_decision_status(d),
            reason: warden_decision_reason(d),
            rule: absent_as_none(text_string(|b, l, o| warden_decision_rule(d, b, l, o))),
            subject: absent_as_none(text_string(|b, l, o| warden_decision_subject(d, b, l, o))),
            roles: (0..role_count)
                .map(|i| text_string(|b, l, o| warden_decision_role(d, i, b, l, o)).expect("role"))
                .collect(),
            refresh_advised: warden_decision_refresh_advised(d),
            challenges: (0..challenge_count)
                .map(|i| text_string(|b, l, o| warden_decision_challenge(d, i, b, l, o)).expect("challenge"))
                .collect(),
            cors,
        }
    }
}

/// The same values taken from the core's own decision, for parity checks.
pub fn read_core(d: &warden::Decision<'_>) -> Read {
    let kind = match d {
        warden::Decision::Allow(_) => warden_kind::Allow,
        warden::Decision::Unauthorized(_) => warden_kind::Unauthorized,
        warden::Decision::Forbidden(_) => warden_kind::Forbidden,
    };
    let render = |c: warden::decision::Challenge<'_>| {
        let mut buf = vec![0u8; c.rendered_len()];
        c.render(&mut buf).expect("fits").to_owned()
    };
    Read {
        kind: kind as u32,
        status: d.status(),
        reason: warden_reason::from(d.reason()) as u32,
        rule: d.rule().map(str::to_owned),
        subject: d.subject().map(str::to_owned),
        roles: d.roles().iter().map(str::to_owned).collect(),
        refresh_advised: d.refresh_advised(),
        challenges: d.challenges().map(render).collect(),
        cors: d.cors().map(|c| ReadCors {
            allow_origin: c.allow_origin().to_owned(),
            allow_credentials: c.allow_credentials(),
            preflight: c.preflight().map(|p| {
                let mut buf = vec![0u8; 4096];
                let methods = p.allow_methods().render(&mut buf).expect("fits").to_owned();
                (methods, p.allow_headers().to_owned(), p.max_age_s())
            }),
        }),
    }
}

/// Evaluates `r` through the C ABI and directly with the core, asserts both agree on every
/// value, and returns it.
pub fn parity(loaded: &Loaded, core: &warden::Engine<'_>, r: &Req) -> Read {
    let ffi = read(&evaluate(loaded.engine, r));
    let mut headers = Vec::new();
    let direct = read_core(&core.evaluate(&r.core(&mut headers)));
    assert_eq!(ffi, direct, "C ABI and core disagree on {r:?}");
    ffi
}

/// The core engine over the same policy and keys.
pub fn core_engine(ring: &[(String, Vec<u8>)]) -> warden::Engine<'static> {
    let keys: Vec<warden::KeyMaterial<'_>> =
        ring.iter().map(|(id, secret)| warden::KeyMaterial { id, secret }).collect();
    // The engine borrows only the blob; the keyring is read during load.
    warden::Engine::load(BLOB, &keys).expect("core loads the example policy")
}

/// The name of a reason code.
pub fn reason_name(code: u32) -> String {
    // SAFETY: valid buffers.
    text_string(|b, l, o| unsafe { warden_reason_name(code, b, l, o) }).expect("a reason code")
}
