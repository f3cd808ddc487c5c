//! The engine against the reference model (tests/model): random policies within capacities,
//! compiled with `warden::blob::encode` and loaded with `Engine::load`, and random requests
//! for each, compared on decision, reason, rule, subject, roles, challenges and CORS answer.
//!
//! `PROPTEST_CASES` sets the number of policies (default 64), `WARDEN_MODEL_REQUESTS` the
//! requests per policy (default 100), and `WARDEN_MODEL_MIN` the number of comparisons the
//! run must reach (CI: 100 000; the documented long run: 1 000 000, see CONSTANT_TIME.md).

#![allow(clippy::unwrap_used, clippy::std_instead_of_core, reason = "test code")]

mod model;

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use model::generate::{Source, gen_policy, gen_request};
use model::{Outcome, evaluate};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use warden::{Engine, Header, KeyMaterial, Request};

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[test]
fn engine_agrees_with_the_reference_model_on_random_policies_and_requests() {
    // Under miri (an interpreter, thousands of times slower) a token run still covers the code.
    let (default_policies, default_requests) = if cfg!(miri) { (2, 4) } else { (64, 100) };
    let policies = u32::try_from(env_number("PROPTEST_CASES", default_policies)).unwrap();
    let per_policy = usize::try_from(env_number("WARDEN_MODEL_REQUESTS", default_requests)).unwrap();
    let minimum = env_number("WARDEN_MODEL_MIN", 0);
    let compared = AtomicU64::new(0);
    let reasons: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());
    let config = Config { cases: policies, failure_persistence: None, ..Config::default() };
    let strategy = (vec(any::<u8>(), 0..1024), vec(vec(any::<u8>(), 0..384), per_policy..=per_policy));
    let result = TestRunner::new(config).run(&strategy, |(policy_bytes, requests)| {
        let spec = gen_policy(&mut Source::new(&policy_bytes));
        let body = spec.body();
        let mut blob = vec![0u8; 1 << 17];
        let n = warden::blob::encode(&body, None, &mut blob).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        blob.truncate(n);
        let keyring = spec.keyring();
        let material: Vec<KeyMaterial<'_>> = keyring.iter().map(|(id, secret)| KeyMaterial { id, secret }).collect();
        let engine = Engine::load(&blob, &material)
            .map_err(|e| TestCaseError::fail(format!("generated policy does not load: {e:?}\n{spec:#?}")))?;
        for bytes in &requests {
            let req = gen_request(&mut Source::new(bytes), &spec);
            let headers: Vec<Header<'_>> = req.headers.iter().map(|(n, v)| Header::new(n, v)).collect();
            let request =
                Request { method: &req.method, path: &req.path, client_ip: req.ip, headers: &headers, now: req.now };
            let got = Outcome::of(&engine.evaluate(&request));
            let want = evaluate(&body, &keyring, &req);
            prop_assert_eq!(&got, &want, "engine (left) and model (right) disagree on\n{:#?}\nunder\n{:#?}", req, spec);
            compared.fetch_add(1, Ordering::Relaxed);
            *reasons.lock().unwrap().entry(want.reason.clone()).or_default() += 1;
        }
        Ok(())
    });
    let n = compared.load(Ordering::Relaxed);
    eprintln!("model vs engine: {n} requests compared over {policies} policies");
    let reasons = reasons.into_inner().unwrap();
    for (reason, count) in &reasons {
        eprintln!("  {reason:<26} {count}");
    }
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(n >= minimum, "only {n} comparisons, {minimum} required");
    // A run of CI size must reach every reason of the decision table, so that the generator
    // cannot silently stop exercising a row.
    if minimum >= 100_000 {
        let missing: Vec<&str> =
            warden::Reason::all().map(|r| r.as_str()).filter(|r| !reasons.contains_key(*r)).collect();
        assert!(missing.is_empty(), "no generated request reached {missing:?}");
    }
}
