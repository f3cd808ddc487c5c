//! `warden test POLICY.toml [CASES.toml] [--json]`: run a case file, print a table.

use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;

use super::{CommandResult, print_json};
use crate::bundle;
use crate::cases::{self, Case, mismatches};
use crate::diag::{Report, Snippets, SourceFile};
use crate::exit;
use crate::keys::{self, Keyring, KeysFrom};
use crate::outcome::Outcome;
use crate::request::RequestSpec;

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
    ip: Option<String>,
    credential: &'static str,
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

/// The scheme of the credential a request presents, as the table shows it: `bearer`,
/// `basic`, `api_key`, `none`, or `several` (which the engine refuses as ambiguous).
fn credential_kind(r: &RequestSpec, api_key_header: &str) -> &'static str {
    let mut kinds: Vec<&'static str> = Vec::new();
    for (name, value) in &r.headers {
        let kind = if name.eq_ignore_ascii_case("authorization") {
            let scheme = value.split_whitespace().next().unwrap_or("");
            match scheme.to_ascii_lowercase().as_str() {
                "bearer" => "bearer",
                "basic" => "basic",
                "apikey" => "api_key",
                _ => "other",
            }
        } else if name.eq_ignore_ascii_case(api_key_header) {
            "api_key"
        } else {
            continue;
        };
        kinds.push(kind);
    }
    match kinds.as_slice() {
        [] => "none",
        [one] => one,
        _ => "several",
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
    let keys_path = file.keys.as_ref().map(|k| cases_path.parent().unwrap_or(Path::new(".")).join(k));
    let keyring = match &keys_path {
        Some(k) => keys::load(k)?,
        None => Keyring::default(),
    };
    let from = match &keys_path {
        Some(p) => KeysFrom::File(p),
        None => KeysFrom::Nowhere("name it with `keys = \"FILE\"` at the top of the case file"),
    };
    let blob = bundle::load_blob(&a.policy, false)?;
    let engine = bundle::engine(&blob, &keyring, from, None)?;
    let api_key_header = warden::blob::decode_body(&blob)
        .map(|(_, b)| b.settings.api_key_header.to_string())
        .unwrap_or_else(|_| warden::policy::Settings::DEFAULT.api_key_header.to_string());

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
                    ip: c.request.ip.map(|ip| ip.to_string()),
                    credential: credential_kind(&c.request, &api_key_header),
                    expected_status: c.expect.status,
                    expected_reason: &c.expect.reason,
                    actual: o,
                    pass: m.is_empty(),
                    mismatches: m.clone(),
                })
                .collect(),
        })?;
    } else {
        let rows: Vec<[String; 6]> = results
            .iter()
            .map(|(c, o, m)| {
                [
                    printable(&c.name),
                    truncate(&printable(&format!("{} {}", c.request.method, c.request.path)), 48),
                    c.request.ip.map_or_else(|| "-".to_string(), |ip| ip.to_string()),
                    credential_kind(&c.request, &api_key_header).to_string(),
                    format!("{} {} → {} {}", c.expect.status, c.expect.reason, o.status, o.reason),
                    if m.is_empty() { "PASS".into() } else { "FAIL".into() },
                ]
            })
            .collect();
        let head = ["case", "request", "ip", "credential", "expected → actual", "result"];
        let widths: Vec<usize> = (0..head.len())
            .map(|i| {
                rows.iter()
                    .filter_map(|r| r.get(i))
                    .chain(head.get(i).map(|h| (*h).to_string()).as_ref())
                    .map(|s| s.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: &[String]| -> String {
            let padded: Vec<String> = cells
                .iter()
                .zip(&widths)
                .map(|(s, w)| format!("{s}{}", " ".repeat(w.saturating_sub(s.chars().count()))))
                .collect();
            padded.join(" | ").trim_end().to_string()
        };
        outln!("{}", line(&head.map(str::to_string)));
        outln!("{}", widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("-+-"));
        let indent = widths.first().copied().unwrap_or(0);
        for (row, (_, _, m)) in rows.iter().zip(&results) {
            outln!("{}", line(row));
            for mismatch in m {
                outln!("{}   ↳ {mismatch}", " ".repeat(indent));
            }
        }
        outln!();
        outln!("{passed} passed, {failed} failed");
    }
    Ok(if failed == 0 { exit::OK } else { exit::TEST_FAILED })
}
