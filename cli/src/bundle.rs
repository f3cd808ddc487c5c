//! Getting a compiled policy for `eval` and `test`: a `.wdn` file as is, or a `.toml` policy
//! compiled on the fly through the same encoder, so both take the same path into the engine.

use std::path::Path;

use warden::Engine;

use crate::compile;
use crate::diag::{Report, Snippets, SourceFile};
use crate::keys::{self, Keyring};

/// Whether the bytes are a compiled policy (start with the `WRDN` magic).
#[must_use]
pub fn is_compiled(bytes: &[u8]) -> bool {
    bytes.starts_with(&warden::blob::MAGIC)
}

/// Reads a policy file and returns compiled-policy bytes. Source diagnostics are printed;
/// warnings only when `show_warnings`.
///
/// # Errors
/// A one-line message (after the diagnostics).
pub fn load_blob(path: &Path, show_warnings: bool) -> Result<Vec<u8>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if is_compiled(&bytes) {
        return Ok(bytes);
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("{} is neither a compiled policy nor UTF-8 TOML", path.display()))?;
    let out = compile::compile_at(&text, path);
    let file = SourceFile::new(path.display().to_string(), text, Snippets::Allowed);
    let shown: Vec<_> = out.diagnostics.into_iter().filter(|d| d.is_error() || show_warnings).collect();
    if !shown.is_empty() {
        Report { file, diagnostics: shown }.eprint();
    }
    let compiled = out.compiled.ok_or_else(|| format!("{} does not compile", path.display()))?;
    compiled.encode(None)
}

/// Key ids of a compiled policy, in order (for explaining load errors).
#[must_use]
pub fn key_ids(blob: &[u8]) -> Vec<String> {
    warden::blob::decode_body(blob).map(|(_, b)| b.keys.iter().map(|k| k.id.to_string()).collect()).unwrap_or_default()
}

/// Loads the engine, verifying the signature when a verify key is given.
///
/// # Errors
/// The load error, with key ids instead of key numbers.
pub fn engine<'a>(
    blob: &'a [u8],
    keyring: &Keyring,
    from: keys::KeysFrom<'_>,
    verify_key: Option<&[u8]>,
) -> Result<Engine<'a>, String> {
    let material = keyring.material();
    let loaded = match verify_key {
        Some(k) => Engine::load_verified(blob, &material, k),
        None => Engine::load(blob, &material),
    };
    loaded.map_err(|e| {
        let ids = key_ids(blob);
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        format!("cannot load the policy: {}", keys::explain_load_error(&e, &ids, from))
    })
}

/// Reads a bundle key file: hex or base64 text (`#` lines are comments), as `warden key
/// bundle` writes it, or a keys file with exactly one `[[key]]`, as `warden key new` writes
/// it. At least 32 bytes.
///
/// # Errors
/// A message that never contains the key.
pub fn read_bundle_key(path: &Path) -> Result<Vec<u8>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read key file {}: {e}", path.display()))?;
    let min = warden::blob::MIN_BUNDLE_KEY;
    if text.lines().any(|l| l.trim() == "[[key]]") {
        let ring = keys::parse(&text).map_err(|_| format!("{}: not a valid keys file", path.display()))?;
        return match ring.keys.as_slice() {
            [one] if one.secret.len() >= min => Ok(one.secret.clone()),
            [_] => Err(format!("{}: the key is shorter than {min} bytes", path.display())),
            many => Err(format!(
                "{}: a bundle key file holds one key, this keys file has {} (`warden key bundle` makes one)",
                path.display(),
                many.len()
            )),
        };
    }
    crate::encoding::read_key_text(&text, min).map_err(|e| format!("{}: {e}", path.display()))
}
