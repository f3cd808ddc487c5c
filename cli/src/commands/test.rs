//! `warden test POLICY.toml [CASES.toml] [--json]`: run a case file, print a table.

use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;

use super::{CommandResult, print_json};
use crate::bundle;
use crate::cases::{self, Case, mismatches};
use crate::diag::{Report, Snippets, SourceFile};
use crate::exit;
use crate::keys::{self, Keyring};
use crate::outcome::Outcome;

/// Arguments of `test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Policy: source (`.toml`) or compiled (`.wdn`).
    pub policy: PathBuf,
    /// Case file (default: `POLICY.cases.toml` beside the policy).
    pub cases: Option<PathBuf>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct CaseJson<'a> {
    name: &'a str,
    method: &'a str,
    path: &'a str,
    expected_status: u16,
    expected_reason: &'a str,
    actual: &'a Outcome,
    pass: bool,
    mismatches: Vec<String>,
}

#[derive(Serialize)]
struct TestJson<'a> {
    ok: bool,
    passed: usize,
    failed: usize,
    cases: Vec<CaseJson<'a>>,
}

/// `edge-api.toml` → `edge-api.cases.toml`.
#[must_use]
pub fn default_cases_path(policy: &Path) -> PathBuf {
    let stem = policy.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    policy.with_file_name(format!("{stem}.cases.toml"))
}

/// Control characters shown as escapes, so a case cannot garble the table.
fn printable(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect()
}

fn truncate(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(width.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Runs `test`: exit 0 when every case passes, 4 when one fails, 1 for input errors.
///
/// # Errors
/// Unreadable or invalid policy, case file or keys file.
pub fn run(a: &TestArgs) -> CommandResult {
    let cases_path = a.cases.clone().unwrap_or_else(|| default_cases_path(&a.policy));
    let text = std::fs::read_to_string(&cases_path)
        .map_err(|e| format!("cannot read case file {}: {e}", cases_path.display()))?;
    let file = cases::parse(&text).map_err(|diagnostics| {
        Report { file: SourceFile::new(cases_path.display().to_string(), text.clone(), Snippets::Never), diagnostics }
            .eprint();
        format!("case file {} is not valid", cases_path.display())
    })?;
    let keyring = match &file.keys {
        Some(k) => keys::load(&cases_path.parent().unwrap_or(Path::new(".")).join(k))?,
        None => Keyring::default(),
    };
    let blob = bundle::load_blob(&a.policy, false)?;
    let engine = bundle::engine(&blob, &keyring, None)?;

    let results: Vec<(&Case, Outcome, Vec<String>)> = file
        .cases
        .iter()
        .map(|c| {
            let outcome = c.request.with_request(|r| Outcome::of(&engine.evaluate(r), r.path));
            let m = mismatches(&c.expect, &outcome);
            (c, outcome, m)
        })
        .collect();
    let failed = results.iter().filter(|(_, _, m)| !m.is_empty()).count();
    let passed = results.len().saturating_sub(failed);

    if a.json {
        print_json(&TestJson {
            ok: failed == 0,
            passed,
            failed,
            cases: results
                .iter()
                .map(|(c, o, m)| CaseJson {
                    name: &c.name,
                    method: &c.request.method,
                    path: &c.request.path,
                    expected_status: c.expect.status,
                    expected_reason: &c.expect.reason,
                    actual: o,
                    pass: m.is_empty(),
                    mismatches: m.clone(),
                })
                .collect(),
        })?;
    } else {
        let rows: Vec<[String; 4]> = results
            .iter()
            .map(|(c, o, m)| {
                [
                    truncate(&c.name, 44),
                    truncate(&printable(&format!("{} {}", c.request.method, c.request.path)), 40),
                    format!("{} {} → {} {}", c.expect.status, c.expect.reason, o.status, o.reason),
                    if m.is_empty() { "PASS".into() } else { "FAIL".into() },
                ]
            })
            .collect();
        let head = ["case", "request", "expected → actual", "result"];
        let width =
            |i: usize| rows.iter().map(|r| r[i].chars().count()).chain([head[i].chars().count()]).max().unwrap_or(0);
        let (w0, w1, w2) = (width(0), width(1), width(2));
        let pad = |s: &str, w: usize| format!("{s}{}", " ".repeat(w.saturating_sub(s.chars().count())));
        outln!("{} | {} | {} | {}", pad(head[0], w0), pad(head[1], w1), pad(head[2], w2), head[3]);
        outln!("{}-+-{}-+-{}-+-{}", "-".repeat(w0), "-".repeat(w1), "-".repeat(w2), "-".repeat(6));
        for (row, (_, _, m)) in rows.iter().zip(&results) {
            outln!("{} | {} | {} | {}", pad(&row[0], w0), pad(&row[1], w1), pad(&row[2], w2), row[3]);
            for line in m {
                outln!("{}   ↳ {line}", " ".repeat(w0));
            }
        }
        outln!();
        outln!("{passed} passed, {failed} failed");
    }
    Ok(if failed == 0 { exit::OK } else { exit::TEST_FAILED })
}
