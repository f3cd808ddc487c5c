//! Criterion benches of the core: every decision kind on a generated 32-rule policy, policy
//! load, and rule-count scaling (8, 32, 128 rules). `cargo bench --bench core`; see
//! BENCHMARKS.md for the numbers of the last run and how to read them.

#![allow(clippy::unwrap_used, clippy::std_instead_of_core, reason = "bench code")]

mod support;

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use warden::Engine;

/// Each decision kind on the 32-rule policy: `<case>_32_rules`, e.g. `jwt_allow_32_rules`.
fn decisions(c: &mut Criterion) {
    let blob = support::blob(32);
    let engine = support::engine(&blob);
    for case in support::cases() {
        support::assert_expected(&engine, &case);
        let name = match case.name {
            "basic_allow" => format!("basic_allow_32_rules_pbkdf2_{}", support::PBKDF2_ITERATIONS),
            n => format!("{n}_32_rules"),
        };
        case.with(|req| {
            c.bench_function(&name, |b| b.iter(|| black_box(&engine).evaluate(black_box(req)).status()));
        });
    }
}

/// Each decision kind on the example policy (`policies/edge-api.wdn`): `example/<case>`.
fn example(c: &mut Criterion) {
    let engine = support::example::engine();
    let mut g = c.benchmark_group("example");
    for case in support::example::cases() {
        support::assert_expected(&engine, &case);
        let name = match case.name {
            "basic_allow" => format!("basic_allow_pbkdf2_{}", support::example::PBKDF2_ITERATIONS),
            n => n.to_owned(),
        };
        case.with(|req| {
            g.bench_function(&name, |b| b.iter(|| black_box(&engine).evaluate(black_box(req)).status()));
        });
    }
    g.finish();
}

/// Loading a compiled policy: header, digest, body decode, validation, key precomputation.
fn load(c: &mut Criterion) {
    let mut g = c.benchmark_group("load");
    for n in [8usize, 32, 128] {
        let blob = support::blob(n);
        let keys = support::keyring();
        g.bench_with_input(BenchmarkId::from_parameter(format!("{n}_rules")), &blob, |b, blob| {
            b.iter(|| Engine::load(black_box(blob), &keys).map(|e| e.policy().rules.len()).unwrap_or(0));
        });
    }
    let keys = support::example::keys();
    let ring: Vec<warden::KeyMaterial<'_>> =
        keys.iter().map(|(id, s)| warden::KeyMaterial { id, secret: s.as_slice() }).collect();
    g.bench_function("example", |b| {
        b.iter(|| Engine::load(black_box(support::example::BLOB), &ring).map(|e| e.policy().rules.len()).unwrap_or(0));
    });
    g.finish();
}

/// JWT and API-key allows as the rule count grows; the matching rule is always the last.
fn scaling(c: &mut Criterion) {
    let cases = support::cases();
    for which in ["jwt_allow", "api_key_allow", "no_match_403"] {
        let case = cases.iter().find(|c| c.name == which).unwrap();
        let mut g = c.benchmark_group(format!("scaling_{which}"));
        for n in [8usize, 32, 128] {
            let blob = support::blob(n);
            let engine = support::engine(&blob);
            support::assert_expected(&engine, case);
            case.with(|req| {
                g.bench_function(BenchmarkId::from_parameter(n), |b| {
                    b.iter(|| black_box(&engine).evaluate(black_box(req)).status());
                });
            });
        }
        g.finish();
    }
}

criterion_group!(benches, decisions, example, load, scaling);
criterion_main!(benches);
