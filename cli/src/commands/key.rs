//! `warden key new --alg HS256 [--id ID]`: a fresh HMAC secret in keys-file form.

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
}

impl KeyCommand {
    /// Whether `--json` was given.
    #[must_use]
    pub const fn wants_json(&self) -> bool {
        let Self::New { json, .. } = self;
        *json
    }
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
    let KeyCommand::New { alg, id, json } = c;
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
        print_json(&serde_json::json!({
            "id": id,
            "alg": alg.name(),
            "secret_b64": secret,
            "keys_file": table,
        }))?;
        return Ok(exit::OK);
    }
    outln!("# {} key \"{id}\": add this table to the keys file (never to the policy).", alg.name());
    outln!("# The policy names it with:  [[key]]  id = \"{id}\"  alg = \"{}\"", alg.name());
    out!("{table}");
    Ok(exit::OK)
}
