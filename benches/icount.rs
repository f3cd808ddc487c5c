//! Instruction counts of the core under valgrind's callgrind, gated against a committed
//! baseline: wall-clock numbers on shared machines drift, instruction counts do not.
//!
//! ```text
//! cargo bench --bench icount                 # measure, compare with benches/icount.baseline
//! cargo bench --bench icount -- --update     # measure and rewrite the baseline
//! ```
//!
//! The driver (this binary without `--case`) runs itself once per case under
//! `valgrind --tool=callgrind --toggle-collect=<the measured function>`, so only the work
//! inside [`icount_measured_region`] is counted: setup (building the blob, the request,
//! loading the engine for evaluation cases) is not. It fails when a case costs more than
//! [`TOLERANCE_PERCENT`] above its baseline, or has none. Under valgrind, `sha2` takes its
//! portable backend (valgrind hides the SHA extensions from CPUID), so these counts measure
//! the software SHA-256 path; they are for regression gating and for ratios between cases,
//! not for conversion into time.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::std_instead_of_core,
    reason = "bench driver: setup failures should stop it loudly"
)]

mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use warden::Engine;

/// A case may grow by at most this much over its baseline.
const TOLERANCE_PERCENT: u64 = 10;
const BASELINE: &str = "benches/icount.baseline";

/// Everything callgrind counts happens inside this function (the driver toggles collection on
/// its entry and exit). Kept out of line so the symbol exists in the optimized binary.
#[inline(never)]
fn icount_measured_region(f: &dyn Fn() -> u64) -> u64 {
    black_box(f())
}

/// Case names: generated-policy decisions, scaling, load, and two reference points.
fn case_names() -> Vec<String> {
    let mut v = Vec::new();
    for c in support::cases() {
        v.push(format!("{}_32_rules", c.name));
    }
    for n in [8, 128] {
        for which in ["jwt_allow", "api_key_allow", "no_match_403"] {
            v.push(format!("{which}_{n}_rules"));
        }
    }
    for c in support::example::cases() {
        v.push(format!("example_{}", c.name));
    }
    for n in [8, 32, 128] {
        v.push(format!("load_{n}_rules"));
    }
    v.push("load_example".into());
    v.push("ref_hmac_sha256_fresh_key".into());
    v.push("ref_hmac_sha256_precomputed_pads".into());
    v
}

/// Runs one case: setup outside, the measured work inside [`icount_measured_region`].
fn run_case(name: &str) -> u64 {
    if name == "load_example" {
        let keys = support::example::keys();
        let ring: Vec<warden::KeyMaterial<'_>> =
            keys.iter().map(|(id, s)| warden::KeyMaterial { id, secret: s.as_slice() }).collect();
        return icount_measured_region(&|| {
            Engine::load(black_box(support::example::BLOB), &ring).map(|e| e.policy().rules.len() as u64).unwrap_or(0)
        });
    }
    if let Some(which) = name.strip_prefix("example_") {
        let engine = support::example::engine();
        let case = support::example::cases().into_iter().find(|c| c.name == which).unwrap();
        support::assert_expected(&engine, &case);
        return case
            .with(|req| icount_measured_region(&|| u64::from(black_box(&engine).evaluate(black_box(req)).status())));
    }
    if let Some(rest) = name.strip_prefix("load_") {
        let n: usize = rest.trim_end_matches("_rules").parse().unwrap();
        let blob = support::blob(n);
        let keys = support::keyring();
        return icount_measured_region(&|| {
            Engine::load(black_box(&blob), &keys).map(|e| e.policy().rules.len() as u64).unwrap_or(0)
        });
    }
    if let Some(which) = name.strip_prefix("ref_hmac_sha256_") {
        let (input, tag) = support::signing_input_and_tag(&support::token());
        let pads = Hmac::<Sha256>::new_from_slice(support::HS256_SECRET).unwrap();
        let fresh = which == "fresh_key";
        return icount_measured_region(&|| {
            let mut m = if fresh {
                Hmac::<Sha256>::new_from_slice(black_box(support::HS256_SECRET)).unwrap()
            } else {
                pads.clone()
            };
            m.update(black_box(&input));
            u64::from(m.verify_slice(&tag).is_ok())
        });
    }
    let (case, n) = name.rsplit_once('_').map(|(head, _)| head).and_then(|h| h.rsplit_once('_')).unwrap();
    let n: usize = n.parse().unwrap();
    let case = support::cases().into_iter().find(|c| c.name == case).unwrap();
    let blob = support::blob(n);
    let engine = support::engine(&blob);
    support::assert_expected(&engine, &case);
    case.with(|req| icount_measured_region(&|| u64::from(black_box(&engine).evaluate(black_box(req)).status())))
}

/// Runs `exe --case name` under callgrind and returns the instructions counted.
fn measure(exe: &Path, name: &str, dir: &Path) -> u64 {
    let out = dir.join(format!("callgrind.{name}.out"));
    let status = Command::new("valgrind")
        .args(["--tool=callgrind", "--collect-atstart=no", "--toggle-collect=*::icount_measured_region"])
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg("--log-file=/dev/null")
        .arg(exe)
        .args(["--case", name])
        .status()
        .expect("valgrind runs (apt-get install valgrind)");
    assert!(status.success(), "valgrind failed on case {name}: {status}");
    let text = std::fs::read_to_string(&out).unwrap();
    let total = text
        .lines()
        .find_map(|l| l.strip_prefix("summary:").or_else(|| l.strip_prefix("totals:")))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("callgrind output has a summary line");
    assert!(total > 0, "case {name}: nothing counted; is the toggle symbol present?");
    total
}

fn read_baseline(path: &Path) -> BTreeMap<String, u64> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            Some((it.next()?.to_owned(), it.next()?.parse().ok()?))
        })
        .collect()
}

fn write_baseline(path: &Path, counts: &[(String, u64)]) {
    let mut s = String::from(
        "# Instructions counted by callgrind per case (benches/icount.rs), for this repository's\n\
         # toolchain and Cargo.lock. Regenerate: cargo bench --bench icount -- --update\n",
    );
    for (name, n) in counts {
        writeln!(s, "{name} {n}").unwrap();
    }
    std::fs::write(path, s).unwrap();
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--case") {
        let name = args.get(i + 1).expect("--case NAME");
        black_box(run_case(name));
        return ExitCode::SUCCESS;
    }
    let update = args.iter().any(|a| a == "--update");
    if Command::new("valgrind").arg("--version").output().is_err() {
        eprintln!("icount: valgrind not found; install it (apt-get install valgrind) to count instructions");
        return ExitCode::FAILURE;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let exe = std::env::current_exe().unwrap();
    let dir = std::env::temp_dir().join(format!("warden-icount-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let baseline_path = root.join(BASELINE);
    let baseline = read_baseline(&baseline_path);

    let mut counts = Vec::new();
    let mut failed = false;
    println!("{:<38} {:>12} {:>12} {:>8}", "case", "instructions", "baseline", "change");
    for name in case_names() {
        let n = measure(&exe, &name, &dir);
        let (base, change, verdict) = match baseline.get(&name) {
            Some(&b) => {
                let pct = (n as f64 - b as f64) * 100.0 / b as f64;
                let over = n.saturating_mul(100) > b.saturating_mul(100 + TOLERANCE_PERCENT);
                (b.to_string(), format!("{pct:+.1}%"), if over { "  REGRESSION" } else { "" })
            }
            None => ("-".into(), "new".into(), "  NO BASELINE"),
        };
        if !update && !verdict.is_empty() {
            failed = true;
        }
        println!("{name:<38} {n:>12} {base:>12} {change:>8}{verdict}");
        counts.push((name, n));
    }
    let _ = std::fs::remove_dir_all(&dir);
    if update {
        write_baseline(&baseline_path, &counts);
        println!("icount: wrote {}", baseline_path.display());
        return ExitCode::SUCCESS;
    }
    if failed {
        println!(
            "icount: a case grew by more than {TOLERANCE_PERCENT}% or has no baseline. If that is intended, \
             run `cargo bench --bench icount -- --update` and commit {BASELINE} with the reason."
        );
        return ExitCode::FAILURE;
    }
    println!("icount: every case within {TOLERANCE_PERCENT}% of {BASELINE}");
    ExitCode::SUCCESS
}
