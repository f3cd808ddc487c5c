//! dudect (Reparaz, Balasch, Verbauwhede, "Dude, is my code constant time?", DATE 2017):
//! Welch's t-test between the running times of two classes of requests of equal length that
//! differ only in outcome. Not a CI gate (a shared 2-core machine is noisy); the |t| values
//! and sample counts are in CONSTANT_TIME.md. |t| > 5 is a strong sign of a leak; |t| of 2–3
//! is ordinary noise here.
//!
//! `cargo run --release -p warden-ct --bin dudect` runs every bench once (100 000 samples
//! each, 60 000 for Basic); `--continuous NAME` runs one forever, printing |t| as it goes;
//! `--filter NAME` selects benches.

#![allow(clippy::unwrap_used, clippy::std_instead_of_core, reason = "a measurement program")]

use std::sync::OnceLock;

use dudect_bencher::rand::RngExt;
use dudect_bencher::{BenchRng, Class, CtRunner, ctbench_main};
use warden::{Engine, Header, Request};
use warden_ct::{Case, Fixture, blob_of, cases, classes_policy, keyring, keyring_secrets, reason, rules32_policy};

struct Fixtures {
    classes: Engine<'static>,
    rules32: Engine<'static>,
    cases: Vec<Case>,
}

fn fixtures() -> &'static Fixtures {
    static F: OnceLock<Fixtures> = OnceLock::new();
    F.get_or_init(|| {
        let secrets = keyring_secrets();
        let keys = keyring(&secrets);
        let classes: &'static [u8] = Box::leak(blob_of(&classes_policy()).into_boxed_slice());
        let rules32: &'static [u8] = Box::leak(blob_of(&rules32_policy()).into_boxed_slice());
        Fixtures {
            classes: Engine::load(classes, &keys).unwrap(),
            rules32: Engine::load(rules32, &keys).unwrap(),
            cases: cases(),
        }
    })
}

/// Times `samples` evaluations, each of a request drawn at random from class Left (`left`) or
/// Right (`right`), cases named in `warden_ct::cases()`.
fn compare(runner: &mut CtRunner, rng: &mut BenchRng, left: &str, right: &str, samples: usize) {
    let f = fixtures();
    let find = |name: &str| f.cases.iter().find(|c| c.name == name).unwrap();
    let (l, r) = (find(left), find(right));
    let engine = |c: &Case| if c.fixture == Fixture::Rules32 { &f.rules32 } else { &f.classes };
    let lh: Vec<Header<'_>> = l.header_list();
    let rh: Vec<Header<'_>> = r.header_list();
    let (lreq, rreq): (Request<'_>, Request<'_>) = (l.request(&lh), r.request(&rh));
    assert_eq!(reason(&engine(l).evaluate(&lreq)), l.expect);
    assert_eq!(reason(&engine(r).evaluate(&rreq)), r.expect);
    for _ in 0..samples {
        if rng.random::<bool>() {
            runner.run_one(Class::Left, || engine(l).evaluate(std::hint::black_box(&lreq)));
        } else {
            runner.run_one(Class::Right, || engine(r).evaluate(std::hint::black_box(&rreq)));
        }
    }
}

fn api_key_valid_vs_unknown(runner: &mut CtRunner, rng: &mut BenchRng) {
    compare(runner, rng, "api-key-allowed", "api-key-invalid", 100_000);
}

fn api_key_allowed_vs_insufficient_role(runner: &mut CtRunner, rng: &mut BenchRng) {
    compare(runner, rng, "api-key-allowed", "api-key-insufficient-role", 100_000);
}

fn jwt_valid_vs_bad_mac(runner: &mut CtRunner, rng: &mut BenchRng) {
    compare(runner, rng, "jwt-allowed", "jwt-bad-signature", 100_000);
}

fn jwt_valid_vs_expired(runner: &mut CtRunner, rng: &mut BenchRng) {
    compare(runner, rng, "jwt-allowed", "jwt-expired", 100_000);
}

fn jwt_bad_mac_vs_expired(runner: &mut CtRunner, rng: &mut BenchRng) {
    compare(runner, rng, "jwt-bad-signature", "jwt-expired", 100_000);
}

fn rule_01_vs_rule_32(runner: &mut CtRunner, rng: &mut BenchRng) {
    compare(runner, rng, "rule-01", "rule-32", 100_000);
}

fn basic_valid_vs_unknown_user(runner: &mut CtRunner, rng: &mut BenchRng) {
    compare(runner, rng, "basic-allowed", "basic-unknown-user", 60_000);
}

fn basic_wrong_password_vs_unknown_user(runner: &mut CtRunner, rng: &mut BenchRng) {
    compare(runner, rng, "basic-wrong-password", "basic-unknown-user", 60_000);
}

ctbench_main!(
    api_key_valid_vs_unknown,
    api_key_allowed_vs_insufficient_role,
    jwt_valid_vs_bad_mac,
    jwt_valid_vs_expired,
    jwt_bad_mac_vs_expired,
    rule_01_vs_rule_32,
    basic_valid_vs_unknown_user,
    basic_wrong_password_vs_unknown_user
);
