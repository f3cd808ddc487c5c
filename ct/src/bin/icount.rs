//! Instruction counts of `Engine::evaluate` per request class (SPEC §7.2), with callgrind.
//!
//! `icount run` is meant to run under
//! `valgrind --tool=callgrind --collect-atstart=no --toggle-collect='warden::engine::Engine::evaluate'`:
//! it evaluates every classed case of `warden_ct::cases()` once to warm up, then once more,
//! asking callgrind for a dump named `class/case` after each evaluation, so each dump holds the
//! instructions executed inside `evaluate` for one request.
//!
//! The same run under `--toggle-collect='warden::engine::Engine::verdict'` counts only the
//! secret-handling half (every check, up to the declassification).
//!
//! `icount check VERDICT_DUMPS EVALUATE_DUMPS EXPECTATIONS` prints both counts per case and
//! checks the committed expectations: lines `phase group equal|unequal case…`. It fails when a
//! group expected equal has different counts, when a group names a case that was not
//! measured, or when a measured case is in no `verdict` group.

#![allow(
    clippy::unwrap_used,
    clippy::std_instead_of_core,
    reason = "a test harness: a failed expectation is a failed check"
)]

use std::collections::BTreeMap;
use std::ffi::CString;
use std::process::ExitCode;

use warden_ct::{Case, Fixture, blob_of, cases, classes_policy, keyring, keyring_secrets, reason, rules32_policy, vg};

fn run() -> ExitCode {
    let secrets = keyring_secrets();
    let keys = keyring(&secrets);
    let blobs = [(Fixture::Classes, blob_of(&classes_policy())), (Fixture::Rules32, blob_of(&rules32_policy()))];
    let engines: Vec<(Fixture, warden::Engine<'_>)> =
        blobs.iter().map(|(f, b)| (*f, warden::Engine::load(b, &keys).unwrap())).collect();
    let classed: Vec<Case> = cases().into_iter().filter(|c| c.class.is_some()).collect();
    let engine_of = |c: &Case| &engines.iter().find(|(f, _)| *f == c.fixture).unwrap().1;
    // Warm up: first calls detect CPU features and fault pages in.
    for case in &classed {
        let headers = case.header_list();
        let d = engine_of(case).evaluate(&case.request(&headers));
        assert_eq!(reason(&d), case.expect, "{}", case.name);
    }
    vg::zero_stats();
    for case in &classed {
        let headers = case.header_list();
        let request = case.request(&headers);
        let d = engine_of(case).evaluate(std::hint::black_box(&request));
        let label = CString::new(case.name.as_str()).unwrap();
        vg::dump_stats_at(&label);
        let _ = std::hint::black_box(d);
    }
    if !vg::running_on_valgrind() {
        eprintln!("icount: not under callgrind, nothing was counted");
    }
    ExitCode::SUCCESS
}

/// `label -> Ir` from every dump file in `dir`.
fn read_dumps(dir: &str) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let label = text.lines().find_map(|l| l.strip_prefix("desc: Trigger: Client Request: "));
        let total = text
            .lines()
            .find_map(|l| l.strip_prefix("summary: ").or_else(|| l.strip_prefix("totals: ")))
            .and_then(|t| t.split_whitespace().next())
            .and_then(|n| n.parse::<u64>().ok());
        if let (Some(label), Some(total)) = (label, total) {
            let name = label.trim().rsplit('/').next().unwrap_or("").to_string();
            out.insert(name, total);
        }
    }
    out
}

/// One line of the expectations file: `phase group equal|unequal case…`.
struct Group<'a> {
    phase: &'a str,
    name: &'a str,
    equal: bool,
    cases: Vec<&'a str>,
}

fn parse_expectations(text: &str) -> Result<Vec<Group<'_>>, String> {
    let mut groups = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let [phase, name, expect, cases @ ..] = words.as_slice() else {
            return Err(format!("line {}: want `phase group equal|unequal case...`", n + 1));
        };
        let equal = match *expect {
            "equal" => true,
            "unequal" => false,
            other => return Err(format!("line {}: `{other}` is neither equal nor unequal", n + 1)),
        };
        if !matches!(*phase, "verdict" | "evaluate") || cases.len() < 2 {
            return Err(format!("line {}: phase is verdict|evaluate and a group has two cases or more", n + 1));
        }
        groups.push(Group { phase, name, equal, cases: cases.to_vec() });
    }
    Ok(groups)
}

fn check(verdict_dir: &str, evaluate_dir: &str, expectations: &str) -> ExitCode {
    let phases = [("verdict", read_dumps(verdict_dir)), ("evaluate", read_dumps(evaluate_dir))];
    let text = std::fs::read_to_string(expectations).unwrap();
    let groups = match parse_expectations(&text) {
        Ok(g) => g,
        Err(e) => {
            println!("icount: FAIL: {expectations}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let classed: Vec<Case> = cases().into_iter().filter(|c| c.class.is_some()).collect();
    let mut failures = Vec::new();

    // The table: every classed case, both phases, by length class.
    let mut current = "";
    for case in &classed {
        let class = case.class.unwrap_or("");
        if class != current {
            println!("{:<34} {:>9} {:>10}", format!("length class {class}:"), "verdict", "evaluate");
            current = class;
        }
        let count = |i: usize| phases[i].1.get(&case.name).copied();
        let (Some(v), Some(e)) = (count(0), count(1)) else {
            failures.push(format!("no callgrind dump for {}", case.name));
            continue;
        };
        println!("  {:<32} {v:>9} {e:>10}  {}", case.name, case.expect);
        if !groups.iter().any(|g| g.phase == "verdict" && g.cases.contains(&case.name.as_str())) {
            failures.push(format!("{} is in no verdict group of {expectations}", case.name));
        }
    }

    for g in &groups {
        let counts = &phases.iter().find(|p| p.0 == g.phase).unwrap().1;
        let mut values = Vec::new();
        for c in &g.cases {
            match counts.get(*c) {
                Some(&n) => values.push(n),
                None => failures.push(format!("group {} names {c}, which was not measured", g.name)),
            }
        }
        let min = values.iter().copied().min().unwrap_or(0);
        let max = values.iter().copied().max().unwrap_or(0);
        let spread = max - min;
        let state = if spread == 0 { "equal".to_string() } else { format!("spread {spread} Ir") };
        println!("{} {:<28} {:<8} -> {state}", g.phase, g.name, if g.equal { "equal" } else { "unequal" });
        if g.equal && spread != 0 {
            failures.push(format!("{} group {} is expected equal but spreads {spread} Ir", g.phase, g.name));
        }
        if !g.equal && spread == 0 {
            println!("  note: {} group {} is now equal: mark it equal in {expectations}", g.phase, g.name);
        }
    }
    if failures.is_empty() {
        println!("icount: every group meets its expectation");
        ExitCode::SUCCESS
    } else {
        for f in &failures {
            println!("icount: FAIL: {f}");
        }
        ExitCode::FAILURE
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["run"] => run(),
        ["check", verdict, evaluate, expectations] => check(verdict, evaluate, expectations),
        _ => {
            eprintln!("usage: icount run | icount check VERDICT_DUMPS EVALUATE_DUMPS EXPECTATIONS");
            ExitCode::from(2)
        }
    }
}
