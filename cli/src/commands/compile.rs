//! `warden compile POLICY.toml [-o OUT.wdn] [--sign-key FILE]`.

use std::path::PathBuf;

use clap::Args;

use super::CommandResult;
use crate::bundle::read_bundle_key;
use crate::diag::{Report, Snippets, SourceFile};
use crate::exit;

/// Arguments of `compile`.
#[derive(Debug, Args)]
pub struct CompileArgs {
    /// Policy source (`.toml`).
    pub policy: PathBuf,
    /// Output file (default: the policy path with `.wdn`).
    #[arg(short, long, value_name = "OUT.wdn")]
    pub output: Option<PathBuf>,
    /// Sign with this bundle key (a file of hex or base64 text, at least 32 bytes).
    #[arg(long, value_name = "FILE")]
    pub sign_key: Option<PathBuf>,
}

/// Runs `compile`.
///
/// # Errors
/// Unreadable input, a policy with errors, an unusable key, an unwritable output.
pub fn run(a: &CompileArgs) -> CommandResult {
    let text = std::fs::read_to_string(&a.policy).map_err(|e| format!("cannot read {}: {e}", a.policy.display()))?;
    let sign_key = a.sign_key.as_deref().map(read_bundle_key).transpose()?;
    let out = crate::compile::compile(&text);
    let report = Report {
        file: SourceFile::new(a.policy.display().to_string(), text, Snippets::Allowed),
        diagnostics: out.diagnostics,
    };
    report.eprint();
    let Some(compiled) = out.compiled else {
        return Err(format!("{} was not compiled", a.policy.display()));
    };
    let bytes = compiled.encode(sign_key.as_deref())?;
    let output = a.output.clone().unwrap_or_else(|| a.policy.with_extension("wdn"));
    std::fs::write(&output, &bytes).map_err(|e| format!("cannot write {}: {e}", output.display()))?;
    errln!(
        "compiled {} -> {} ({} bytes, {})",
        a.policy.display(),
        output.display(),
        bytes.len(),
        if sign_key.is_some() { "signed" } else { "unsigned" }
    );
    Ok(exit::OK)
}
