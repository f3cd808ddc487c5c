//! `warden check POLICY.toml [--json]`: errors and warnings only.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::{CommandResult, print_json};
use crate::diag::{JsonDiagnostic, Report, Snippets, SourceFile, plural};
use crate::exit;

/// Arguments of `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Policy source (`.toml`).
    pub policy: PathBuf,
    /// Also check against another build's capacities: a `.cargo/config.toml` whose `[env]`
    /// sets `WARDEN_MAX_*` (e.g. examples/cortex-m/.cargo/config.toml); unset ones are defaults.
    #[arg(long, value_name = "FILE")]
    pub capacities: Option<PathBuf>,
    /// Print `{"ok","errors","warnings"}` instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct CheckJson {
    ok: bool,
    errors: Vec<JsonDiagnostic>,
    warnings: Vec<JsonDiagnostic>,
    /// Present exactly when the policy has errors (exit 1), like every failure under `--json`.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Runs `check`: exit 0 without errors (warnings allowed), 1 with errors.
///
/// # Errors
/// An unreadable file.
pub fn run(a: &CheckArgs) -> CommandResult {
    let text = std::fs::read_to_string(&a.policy).map_err(|e| format!("cannot read {}: {e}", a.policy.display()))?;
    let target = a.capacities.as_deref().map(crate::capacities::read).transpose()?;
    let out = crate::compile::compile_file(&text, &a.policy, target.as_ref());
    let file = SourceFile::new(a.policy.display().to_string(), text, Snippets::Allowed);
    let report = Report { file, diagnostics: out.diagnostics };
    let ok = !report.has_errors();
    if a.json {
        let (errors, warnings) = report.to_json();
        let error = (!ok).then(|| format!("{} has {}", report.file.name, plural(errors.len(), "error")));
        print_json(&CheckJson { ok, errors, warnings, error })?;
    } else {
        // One summary line: `ok (N warnings)` on stdout, or the error count on stderr.
        report.eprint_diagnostics();
        if ok {
            let warnings = report.diagnostics.len();
            outln!("{}: ok ({})", report.file.name, plural(warnings, "warning"));
        } else {
            errln!("{}", report.summary());
        }
    }
    Ok(if ok { exit::OK } else { exit::INPUT })
}
