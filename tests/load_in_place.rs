//! Loading in place (`Engine::empty` + `Engine::load_into`): the same engine as `Engine::load`,
//! and an empty or failed engine denies every request (a failed load never fails open).

#![allow(clippy::unwrap_used, clippy::std_instead_of_core, reason = "test code")]

mod common;

use std::sync::Mutex;

use common::*;
use warden::{Engine, KeyMaterial, LoadError, SignatureState};

/// Requests of every kind that the test policy allows (public, preflight, token, API key, Basic).
fn allowed_requests() -> Vec<Req> {
    vec![
        req("GET", "/health"),
        req("GET", "/open/x").header("origin", "https://www.example.com"),
        req("OPTIONS", "/items/1")
            .header("origin", "https://console.example.com")
            .header("access-control-request-method", "GET"),
        req("GET", "/items/1").bearer(&token(r#","roles":["reader"]"#)),
        req("GET", "/items/1").header("x-api-key", API_KEY_READER),
        req("GET", "/items/1").header("authorization", basic(BASIC_USER, BASIC_PASSWORD)),
    ]
}

/// Every request of `allowed_requests`, and a malformed path, is denied, never allowed.
fn assert_denies_everything(engine: &Engine<'_>) {
    assert!(!engine.is_loaded());
    assert!(engine.policy().rules.is_empty() && engine.policy().keys.is_empty());
    assert!(engine.policy().credentials.is_empty());
    for r in allowed_requests() {
        let o = r.eval(engine);
        assert_eq!((o.status, o.reason), (403, "no_matching_rule"), "{} {:?}", r.method, r.path);
    }
    let o = req("GET", "/a/%2e%2e/%2e%2e/b").eval(engine);
    assert_eq!(o.status, 403);
}

#[test]
fn the_test_requests_are_allowed_by_a_loaded_engine() {
    // Proves the requests above exercise allows, so the denials below mean something.
    let blob = blob();
    let e = engine(&blob);
    for r in allowed_requests() {
        assert_eq!(r.eval(&e).status, 200, "{} {:?}", r.method, r.path);
    }
}

#[test]
fn an_empty_engine_denies_every_request() {
    assert_denies_everything(&Engine::empty());
}

#[test]
fn load_into_gives_the_engine_load_gives() {
    let blob = blob();
    let by_value = engine(&blob);
    let mut in_place = Engine::empty();
    in_place.load_into(&blob, &keyring()).unwrap();
    assert!(in_place.is_loaded() && by_value.is_loaded());
    assert_eq!(in_place.policy(), by_value.policy());
    assert_eq!(in_place.info(), by_value.info());
    assert_eq!(in_place.signature(), SignatureState::Unsigned);
    for r in allowed_requests().into_iter().chain([req("DELETE", "/items/1"), req("GET", "/nowhere")]) {
        assert_eq!(r.eval(&in_place), r.eval(&by_value));
    }

    let key = b"dev-bundle-key-0123456789abcdef0123";
    let signed = blob_of(&body(), Some(key));
    let mut verified = Engine::empty();
    verified.load_verified_into(&signed, &keyring(), key).unwrap();
    assert_eq!(verified.signature(), SignatureState::Verified);
    let mut unverified = Engine::empty();
    unverified.load_into(&signed, &keyring()).unwrap();
    assert_eq!(unverified.signature(), SignatureState::SignedUnverified);
}

/// A blob, a keyring, a verify key and the load error they give.
type Failure<'a> = (&'a [u8], &'a [KeyMaterial<'a>], Option<&'a [u8]>, LoadError);

#[test]
fn a_failed_load_into_empties_an_engine_that_held_a_policy() {
    let blob = blob();
    let key = b"dev-bundle-key-0123456789abcdef0123";
    let signed = blob_of(&body(), Some(key));
    let mut flipped = blob.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    let [a, b, _] = keyring();
    let short = [a, b, KeyMaterial { id: "k512", secret: &[7u8; 63] }];
    // Refused at the header, at the digest, by the keyring after a whole body was decoded and
    // validated, and by the signature check.
    let failures: [Failure<'_>; 5] = [
        (&blob[..10], &keyring(), None, LoadError::Truncated),
        (&flipped, &keyring(), None, LoadError::DigestMismatch),
        (&blob, &[a, b], None, LoadError::KeyMissing { key: 2 }),
        (&blob, &short, None, LoadError::KeyTooShort { key: 2, min: 64 }),
        (&signed, &keyring(), Some(b"another-bundle-key-0123456789abcdef"), LoadError::SignatureInvalid),
    ];
    for (bytes, ring, verify, expected) in failures {
        let mut e = Engine::empty();
        e.load_into(&blob, &keyring()).unwrap();
        assert!(e.is_loaded());
        let got = match verify {
            Some(k) => e.load_verified_into(bytes, ring, k),
            None => e.load_into(bytes, ring),
        };
        assert_eq!(got, Err(expected));
        assert_denies_everything(&e);
        assert_eq!(e.signature(), SignatureState::Unsigned);
        // And it loads again afterwards.
        e.load_into(&blob, &keyring()).unwrap();
        assert_eq!(req("GET", "/health").eval(&e).status, 200);
    }
}

#[test]
fn load_into_replaces_the_previous_policy_whole() {
    let big = blob();
    let mut small_body = body();
    small_body.rules.truncate(1);
    small_body.credentials.clear();
    small_body.origins.clear();
    for r in &mut small_body.rules {
        r.origins = warden::policy::OriginSet::EMPTY;
    }
    let small = blob_of(&small_body, None);
    let mut e = Engine::empty();
    e.load_into(&big, &keyring()).unwrap();
    e.load_into(&small, &keyring()).unwrap();
    assert_eq!(*e.policy(), small_body);
    assert_eq!(e.info(), engine(&small).info());
    assert_eq!(req("GET", "/health").eval(&e).status, 200);
    let o = req("GET", "/items/1").header("x-api-key", API_KEY_READER).eval(&e);
    assert_eq!((o.status, o.reason), (403, "no_matching_rule"));
}

static SHARED: Mutex<Engine<'static>> = Mutex::new(Engine::empty());

#[test]
fn a_static_engine_is_loaded_in_place() {
    let blob: &'static [u8] = Vec::leak(blob());
    let mut e = SHARED.lock().unwrap();
    assert_denies_everything(&e);
    e.load_into(blob, &keyring()).unwrap();
    assert_eq!(req("GET", "/health").eval(&e).status, 200);
}

#[test]
fn empty_in_makes_an_empty_engine_in_uninitialised_memory() {
    let blob = blob();
    let mut slot = std::mem::MaybeUninit::<Engine<'_>>::uninit();
    let e = Engine::empty_in(&mut slot);
    assert_denies_everything(e);
    e.load_into(&blob, &keyring()).unwrap();
    assert_eq!(req("GET", "/health").eval(e).status, 200);
}
