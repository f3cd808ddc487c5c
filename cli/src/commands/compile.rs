//! `warden compile POLICY.toml [-o OUT.wdn] [--sign-key FILE] [--json]`.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::{CommandResult, print_json};
use crate::bundle::read_bundle_key;
use crate::diag::{JsonDiagnostic, Report, Snippets, SourceFile, plural};
use crate::encoding::hex;
use crate::exit;

/// Arguments of `compile`.
#[derive(Debug, Args)]
pub struct CompileArgs {
    /// Policy source (`.toml`).
    pub policy: PathBuf,
    /// Also check against another build's capacities: a `.cargo/config.toml` whose `[env]`
    /// sets `WARDEN_MAX_*` (e.g. examples/cortex-m/.cargo/config.toml); unset ones are defaults.
    #[arg(long, value_name = "FILE")]
    pub capacities: Option<PathBuf>,
    /// Output file (default: the policy path with `.wdn`).
    #[arg(short, long, value_name = "OUT.wdn")]
    pub output: Option<PathBuf>,
    /// Sign with this bundle key (from `warden key bundle`: hex or base64 text, at least 32 bytes).
    #[arg(long, value_name = "FILE")]
    pub sign_key: Option<PathBuf>,
    /// Print one JSON object (`ok`, `output`, sizes, `errors`, `warnings`) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `compile --json`: the `check --json` fields plus what was written.
#[derive(Serialize)]
struct CompileJson {
    ok: bool,
    /// The file written; `null` when the policy has errors.
    output: Option<String>,
    bytes: Option<usize>,
    signed: bool,
    body_sha256: Option<String>,
    errors: Vec<JsonDiagnostic>,
    warnings: Vec<JsonDiagnostic>,
    /// Present exactly when nothing was written (exit 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Runs `compile`.
///
/// # Errors
/// Unreadable input, a policy with errors, an unusable key, an unwritable output.
pub fn run(a: &CompileArgs) -> CommandResult {
    let text = std::fs::read_to_string(&a.policy).map_err(|e| format!("cannot read {}: {e}", a.policy.display()))?;
    let sign_key = a.sign_key.as_deref().map(read_bundle_key).transpose()?;
    let target = a.capacities.as_deref().map(crate::capacities::read).transpose()?;
    let out = crate::compile::compile_file(&text, &a.policy, target.as_ref());
    let report = Report {
        file: SourceFile::new(a.policy.display().to_string(), text, Snippets::Allowed),
        diagnostics: out.diagnostics,
    };
    let written = match out.compiled {
        Some(compiled) => {
            let bytes = compiled.encode(sign_key.as_deref())?;
            let output = a.output.clone().unwrap_or_else(|| a.policy.with_extension("wdn"));
            std::fs::write(&output, &bytes).map_err(|e| format!("cannot write {}: {e}", output.display()))?;
            Some((output, bytes))
        }
        None => None,
    };
    if a.json {
        let (errors, warnings) = report.to_json();
        let info = written.as_ref().and_then(|(_, b)| warden::blob::read_header(b).ok());
        print_json(&CompileJson {
            ok: written.is_some(),
            output: written.as_ref().map(|(o, _)| o.display().to_string()),
            bytes: written.as_ref().map(|(_, b)| b.len()),
            signed: written.is_some() && sign_key.is_some(),
            body_sha256: info.map(|i| hex(&i.body_sha256)),
            error: written
                .is_none()
                .then(|| format!("{} was not compiled: {}", a.policy.display(), plural(errors.len(), "error"))),
            errors,
            warnings,
        })?;
        return Ok(if written.is_some() { exit::OK } else { exit::INPUT });
    }
    report.eprint();
    let Some((output, bytes)) = written else {
        return Err(format!("{} was not compiled", a.policy.display()));
    };
    errln!(
        "compiled {} -> {} ({} bytes, {})",
        a.policy.display(),
        output.display(),
        bytes.len(),
        if sign_key.is_some() { "signed" } else { "unsigned" }
    );
    Ok(exit::OK)
}
