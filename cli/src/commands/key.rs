//! `warden key new --alg HS256 [--id ID]`: a fresh HMAC secret in keys-file form;
//! `warden key bundle [-o FILE]`: a fresh bundle signing key for `compile --sign-key` and
//! `--verify-key`.

use std::path::{Path, PathBuf};

use clap::{Subcommand, ValueEnum};
use warden::policy::Alg;

use super::{CommandResult, print_json, random_bytes};
use crate::encoding::{b64_standard_padded, hex};
use crate::exit;

/// `key` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Print a fresh random secret as a keys-file `[[key]]` table.
    New {
        /// Algorithm; the secret is as long as its output (32/48/64 bytes).
        #[arg(long, value_enum)]
        alg: AlgArg,
        /// Key id (the JWT `kid`); default: a random one.
        #[arg(long)]
        id: Option<String>,
        /// Print one JSON object (`id`, `alg`, `secret_b64`, `keys_file`).
        #[arg(long)]
        json: bool,
    },
    /// Make a bundle signing key (32 random bytes as hex) for `compile --sign-key` and
    /// `--verify-key`.
    Bundle {
        /// Write the key file here (created, never overwritten; mode 0600) instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Print one JSON object (`secret_hex`, `key_file`, `output`).
        #[arg(long)]
        json: bool,
    },
}

#[derive(serde::Serialize)]
struct KeyJson<'a> {
    id: &'a str,
    alg: &'a str,
    secret_b64: &'a str,
    keys_file: &'a str,
}

#[derive(serde::Serialize)]
struct BundleJson<'a> {
    secret_hex: &'a str,
    key_file: &'a str,
    output: Option<String>,
}

/// HMAC algorithms on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AlgArg {
    /// HMAC-SHA-256.
    #[value(name = "HS256")]
    Hs256,
    /// HMAC-SHA-384.
    #[value(name = "HS384")]
    Hs384,
    /// HMAC-SHA-512.
    #[value(name = "HS512")]
    Hs512,
}

impl AlgArg {
    /// The core's algorithm.
    #[must_use]
    pub const fn alg(self) -> Alg {
        match self {
            Self::Hs256 => Alg::Hs256,
            Self::Hs384 => Alg::Hs384,
            Self::Hs512 => Alg::Hs512,
        }
    }
}

/// Runs `key`.
///
/// # Errors
/// No randomness.
pub fn run(c: &KeyCommand) -> CommandResult {
    let (alg, id, json) = match c {
        KeyCommand::New { alg, id, json } => (alg, id, json),
        KeyCommand::Bundle { output, json } => return bundle(output.as_deref(), *json),
    };
    let alg = alg.alg();
    let id = match id {
        Some(id) => id.clone(),
        None => format!("key-{}", hex(&random_bytes(4)?)),
    };
    if id.is_empty() || id.chars().any(char::is_control) || id.contains('"') || id.contains('\\') {
        return Err("--id must be printable, without quotes or backslashes".into());
    }
    let secret = b64_standard_padded(&random_bytes(alg.output_len())?);
    let table = format!("[[key]]\nid = \"{id}\"\nsecret_b64 = \"{secret}\"\n");
    if *json {
        print_json(&KeyJson { id: &id, alg: alg.name(), secret_b64: &secret, keys_file: &table })?;
        return Ok(exit::OK);
    }
    outln!("# {} key \"{id}\": add this table to the keys file (never to the policy).", alg.name());
    outln!("# The policy names it with:  [[key]]  id = \"{id}\"  alg = \"{}\"", alg.name());
    out!("{table}");
    Ok(exit::OK)
}

/// `key bundle`: the key as a file `compile --sign-key` and `--verify-key` read.
fn bundle(output: Option<&Path>, json: bool) -> CommandResult {
    let secret = hex(&random_bytes(warden::blob::MIN_BUNDLE_KEY)?);
    let file = format!(
        "# Warden bundle signing key. `warden compile --sign-key` signs policies with it; hosts load\n\
         # them with it as the verify key. A secret: keep it out of repositories and policies.\n{secret}\n"
    );
    if let Some(path) = output {
        write_new_private(path, &file)?;
    }
    if json {
        print_json(&BundleJson {
            secret_hex: &secret,
            key_file: &file,
            output: output.map(|p| p.display().to_string()),
        })?;
    } else if let Some(path) = output {
        errln!("wrote a bundle signing key to {}", path.display());
    } else {
        out!("{file}");
    }
    Ok(exit::OK)
}

/// Creates `path` (never overwriting) readable by its owner only, and writes `text`.
fn write_new_private(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    f.write_all(text.as_bytes()).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
