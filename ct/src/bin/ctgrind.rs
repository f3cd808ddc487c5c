//! The "ctgrind" check of SPEC §7.1: valgrind memcheck with every secret marked undefined.
//!
//! Run under `valgrind --error-exitcode=N`: the keyring's secret bytes are marked undefined
//! before `Engine::load` (memcheck follows them into the precomputed HMAC pad states), the
//! stored API-key digests and password hashes after it. Every case of `warden_ct::cases()` is
//! then evaluated; the verdict is declassified (marked defined) at the engine's one
//! declassification point, the decision is read back and its reason checked. Any branch or
//! memory address computed from a secret before that point is a memcheck error.
//!
//! Two controls show that the harness can fail:
//! - `ctgrind leaky` adds a deliberately variable-time comparison of a stored digest, which
//!   memcheck must report;
//! - `ctgrind undeclassified` evaluates with `Engine::evaluate`, which does not declassify: the
//!   decision is then built from undefined memory wherever a secret decided it, and memcheck
//!   must report every case that presents a credential (the program checks that list and
//!   prints `taint reached the decision of every credential case`).

#![allow(
    clippy::unwrap_used,
    clippy::std_instead_of_core,
    reason = "a test harness: a failed expectation is a failed check"
)]

use std::process::ExitCode;

use warden::internal::{evaluate_declassified, secret_regions};
use warden_ct::{Case, Fixture, blob_of, cases, classes_policy, keyring, keyring_secrets, reason, rules32_policy, vg};

/// An early-exit comparison: the textbook timing leak.
#[inline(never)]
fn leaky_eq(a: &[u8], b: &[u8]) -> bool {
    for (x, y) in a.iter().zip(b) {
        if x != y {
            return false;
        }
    }
    a.len() == b.len()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let leaky = args.iter().any(|a| a == "leaky");
    let undeclassified = args.iter().any(|a| a == "undeclassified");
    let native = args.iter().any(|a| a == "--native");
    if !vg::running_on_valgrind() && !native {
        eprintln!("ctgrind: not running under valgrind; run `valgrind --error-exitcode=42 ctgrind` (or pass --native)");
        return ExitCode::from(2);
    }

    // Secrets of the keyring: undefined before load.
    let secrets = keyring_secrets();
    for (_, s) in &secrets {
        vg::secret_slice(s);
    }
    let keys = keyring(&secrets);
    let blobs = [(Fixture::Classes, blob_of(&classes_policy())), (Fixture::Rules32, blob_of(&rules32_policy()))];
    let before_load = vg::error_count();
    let engines: Vec<(Fixture, warden::Engine<'_>)> =
        blobs.iter().map(|(f, b)| (*f, warden::Engine::load(b, &keys).unwrap())).collect();
    // The engines stay where they are from here on, so the marked regions stay theirs.
    let mut marked = 0usize;
    for (_, e) in &engines {
        secret_regions(e, |ptr, len| {
            vg::secret(ptr, len);
            marked += len;
        });
    }
    let load_errors = vg::error_count() - before_load;
    println!(
        "ctgrind: {} keyring bytes and {marked} stored-secret bytes marked secret",
        secrets.iter().map(|s| s.1.len()).sum::<usize>()
    );
    if load_errors > 0 {
        println!("ctgrind: {load_errors} memcheck error(s) while loading");
    }

    let mut wrong = 0usize;
    let mut leaking = Vec::new();
    let all: Vec<Case> = cases();
    for case in &all {
        let engine = &engines.iter().find(|(f, _)| *f == case.fixture).unwrap().1;
        let headers = case.header_list();
        let request = case.request(&headers);
        let before = vg::error_count();
        let decision = if undeclassified {
            engine.evaluate(&request)
        } else {
            evaluate_declassified(engine, &request, vg::public)
        };
        // Re-read through memory after the declassification (a register copy would still be
        // undefined for memcheck).
        let got = std::hint::black_box(reason(&decision));
        let errors = vg::error_count() - before;
        if errors > 0 {
            leaking.push(case.name.clone());
        }
        let ok = got == case.expect;
        if !ok {
            wrong += 1;
        }
        println!(
            "{:<32} {:<26} {}{}",
            case.name,
            got,
            if ok { "ok" } else { "EXPECTED " },
            if ok { String::new() } else { case.expect.to_string() }
        );
    }

    if undeclassified {
        // Every case that presents a credential must have tainted its decision.
        let missed: Vec<&str> = all
            .iter()
            .filter(|c| presents_credential(c) && !leaking.contains(&c.name))
            .map(|c| c.name.as_str())
            .collect();
        if missed.is_empty() {
            println!("taint reached the decision of every credential case");
        } else {
            println!("taint did NOT reach the decision of: {}", missed.join(", "));
        }
    }

    if leaky {
        // A stored digest (marked secret above), compared the wrong way.
        let stored = engines[0]
            .1
            .policy()
            .credentials
            .iter()
            .find_map(|c| match &c.kind {
                warden::policy::CredentialKind::ApiKey { sha256 } => Some(sha256.to_vec()),
                warden::policy::CredentialKind::Basic { .. } => None,
            })
            .unwrap();
        let presented = [0x55u8; 32];
        let equal = leaky_eq(std::hint::black_box(&stored), &presented);
        println!("leaky comparison: {equal}");
    }

    println!(
        "ctgrind: {} cases, {} with a wrong reason, {} with memcheck errors{}",
        all.len(),
        wrong,
        leaking.len(),
        if leaking.is_empty() { String::new() } else { format!(": {}", leaking.join(", ")) }
    );
    if wrong > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

/// Whether the case presents an API key, a Basic value or a bearer token that gets checked
/// against secrets (the decision rows after the network checks).
fn presents_credential(case: &Case) -> bool {
    let network_stop = matches!(case.expect, "ip_blocked" | "ip_not_allowed" | "origin_not_allowed" | "malformed_path");
    // Here the secret-derived result is masked with a public zero before it reaches the
    // verdict (no candidate key; a row that already decided), and memcheck tracks
    // definedness per bit: `x & 0` is defined.
    let unparsed = matches!(
        case.expect,
        "credentials_malformed"
            | "credentials_ambiguous"
            | "token_algorithm_rejected"
            | "token_unknown_key"
            | "scheme_not_accepted"
    );
    let credential = case.headers.iter().any(|(n, _)| n == "x-api-key" || n == "authorization");
    // Public-key tokens involve no secret at all: nothing to taint.
    let public_key = case.class.is_some_and(|c| matches!(c, "jwt-rs256" | "jwt-es256" | "jwt-eddsa"));
    if public_key {
        return false;
    }
    credential && !network_stop && !unparsed && case.expect != "method_not_allowed" && case.expect != "no_matching_rule"
}
