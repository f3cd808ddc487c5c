//! The rule warnings checked against the engine itself: on random policies, a rule is reported
//! as never used exactly when no request of a representative set reaches it, and every request
//! a "falls through" warning names does reach the weaker rule it names.
//!
//! The patterns use the literals `a` and `b` at most three segments deep, so requests over
//! `a`, `b`, one other segment and a trailing `/`, up to five segments, reach every rule that
//! any request can reach. Policies never list `HEAD` (GET admits HEAD in the engine; the lint
//! treats it so, and without an explicit HEAD rule the answer is the same either way).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::std_instead_of_core, reason = "test code")]

use std::collections::BTreeSet;

use warden::{Engine, Request};
use warden_cli::compile::compile;

const PATTERNS: [&str; 16] = [
    "/", "/**", "/a", "/a/**", "/a/*", "/*", "/*/**", "/a/b", "/a/*/b", "/*/b", "/a/b/**", "/*/*", "/b/**", "/a/*/**",
    "/b/*", "/a/b/*",
];
const METHODS: [&str; 6] =
    ["[\"GET\"]", "[\"POST\"]", "[\"*\"]", "[\"GET\", \"POST\"]", "[\"PUT\"]", "[\"GET\", \"PUT\"]"];
const REQUEST_METHODS: [&str; 5] = ["GET", "HEAD", "POST", "PUT", "DELETE"];

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }
}

fn paths() -> Vec<String> {
    let mut out = vec!["/".to_string()];
    let mut layer = vec![String::new()];
    for _ in 0..5 {
        let mut next = Vec::new();
        for p in &layer {
            for s in ["a", "b", "zz"] {
                next.push(format!("{p}/{s}"));
            }
        }
        for p in &next {
            out.push(p.clone());
            out.push(format!("{p}/"));
        }
        layer = next;
    }
    out
}

/// The rules `warden check` says are never used.
fn never_used(messages: &[String]) -> BTreeSet<String> {
    messages
        .iter()
        .filter_map(|m| {
            m.strip_prefix("rule `").and_then(|r| r.split_once("` is never used")).map(|(n, _)| n.to_string())
        })
        .collect()
}

#[test]
fn never_used_means_no_request_reaches_the_rule() {
    let mut rng = Rng(0x5eed_1234_abcd_9876);
    let paths = paths();
    let mut shadowed_seen = 0usize;
    let mut union_seen = 0usize;
    for _ in 0..300 {
        let n = 3 + rng.below(4);
        let mut text = String::from("version = 1\nname = \"t\"\n");
        for i in 0..n {
            let path = PATTERNS[rng.below(PATTERNS.len())];
            let methods = METHODS[rng.below(METHODS.len())];
            text.push_str(&format!("[[rule]]\nname = \"r{i}\"\nmethods = {methods}\npath = \"{path}\"\nauth = []\n"));
        }
        let out = compile(&text);
        let compiled = out.compiled.unwrap_or_else(|| panic!("{text}: {:#?}", out.diagnostics));
        let messages: Vec<String> = out.diagnostics.iter().map(|d| d.message.clone()).collect();
        let warned = never_used(&messages);
        union_seen += messages.iter().filter(|m| m.contains("together match")).count();
        let blob = compiled.encode(None).unwrap();
        let engine = Engine::load(&blob, &[]).unwrap();
        let mut reached = BTreeSet::new();
        for m in REQUEST_METHODS {
            for p in &paths {
                if let Some(rule) = engine.evaluate(&Request::new(m.as_bytes(), p.as_bytes(), 0)).rule() {
                    reached.insert(rule.to_string());
                }
            }
        }
        let unreached: BTreeSet<String> = (0..n).map(|i| format!("r{i}")).filter(|r| !reached.contains(r)).collect();
        assert_eq!(warned, unreached, "\n{text}\nwarnings: {messages:#?}");
        shadowed_seen += warned.len();
    }
    assert!(
        shadowed_seen > 100 && union_seen > 5,
        "the random policies exercise the lint: {shadowed_seen} {union_seen}"
    );
}

#[test]
fn every_request_that_falls_through_a_star_rule_reaches_the_weaker_rule() {
    let mut rng = Rng(0x0bad_cafe_f00d_0001);
    let mut seen = 0usize;
    for _ in 0..300 {
        let n = 2 + rng.below(3);
        let mut text =
            String::from("version = 1\nname = \"t\"\n[[key]]\nid = \"k\"\nalg = \"HS256\"\naudience = \"t\"\n");
        for i in 0..n {
            let path = PATTERNS[rng.below(PATTERNS.len())];
            let methods = METHODS[rng.below(METHODS.len())];
            // Every other rule public: those are weaker than the protected ones.
            let auth = if rng.below(2) == 0 { "[]" } else { "[\"bearer\"]" };
            text.push_str(&format!(
                "[[rule]]\nname = \"r{i}\"\nmethods = {methods}\npath = \"{path}\"\nauth = {auth}\n"
            ));
        }
        let out = compile(&text);
        let compiled = out.compiled.unwrap_or_else(|| panic!("{text}: {:#?}", out.diagnostics));
        let blob = compiled.encode(None).unwrap();
        let secret = [7u8; 32];
        let engine = Engine::load(&blob, &[warden::KeyMaterial { id: "k", secret: &secret }]).unwrap();
        for d in &out.diagnostics {
            let Some((_, rest)) = d.message.split_once("which is one segment only: `") else { continue };
            let (request, rest) = rest.split_once('`').unwrap();
            let target = rest.split_once("falls through to `").unwrap().1.split_once('`').unwrap().0;
            let (method, path) = request.split_once(' ').unwrap_or(("DELETE", request));
            let got = engine.evaluate(&Request::new(method.as_bytes(), path.as_bytes(), 0)).rule();
            assert_eq!(got, Some(target), "{}\n{text}", d.message);
            seen += 1;
        }
    }
    assert!(seen > 20, "the random policies exercise the lint: {seen}");
}
