//! Compiled-policy loading: any bytes give a typed load error or an engine that decides
//! requests without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden::{Engine, Header, KeyMaterial, Request};

const SECRET: [u8; 64] = [7; 64];

fuzz_target!(|data: &[u8]| {
    let _ = warden::blob::decode_body(data);
    let _ = Engine::load_verified(data, &[], &[9; 32]);
    // Secrets for the example's key ids and a few more, long enough for any algorithm.
    let ids = ["2026-q4", "partner-hs384", "ops-hs512", "k0", "k1"];
    let keyring: Vec<KeyMaterial<'_>> = ids.iter().map(|id| KeyMaterial { id, secret: &SECRET }).collect();
    for n in [0, ids.len()] {
        if let Ok(engine) = Engine::load(data, &keyring[..n]) {
            for (method, path, headers) in [
                ("GET", "/health", vec![]),
                ("GET", "/api/v1/orders/1", vec![Header::new(b"authorization", b"Bearer a.b.c")]),
                ("POST", "/deploy/x", vec![Header::new(b"x-api-key", b"k")]),
                (
                    "OPTIONS",
                    "/api/x",
                    vec![
                        Header::new(b"origin", b"https://a.example.com"),
                        Header::new(b"access-control-request-method", b"GET"),
                    ],
                ),
                ("GET", "/admin", vec![Header::new(b"authorization", b"Basic YTpi")]),
            ] {
                let r = Request {
                    method: method.as_bytes(),
                    path: path.as_bytes(),
                    client_ip: None,
                    headers: &headers,
                    now: 1,
                };
                let d = engine.evaluate(&r);
                assert_eq!(d.reason().status(), d.status());
            }
        }
    }
});
