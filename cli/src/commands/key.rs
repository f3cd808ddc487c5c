//! `warden key new --alg HS256 [--id ID]`: a fresh HMAC secret in keys-file form;
//! `warden key new --alg ES256|ES384|EdDSA|RS256|… [--id ID] [--out FILE]`: a fresh private
//! JWK for testing, written to a dev-key file (appended when it exists), and the public JWK Set
//! of that file printed for the policy's `jwks` file.

use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use warden::policy::Alg;

use super::{CommandResult, print_json, random_bytes};
use crate::encoding::{b64_standard_padded, hex};
use crate::exit;
use crate::testkeys::{self, PrivateJwk};

/// `key` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Print a fresh random secret as a keys-file `[[key]]` table.
    New {
        /// Algorithm. HMAC: the secret is as long as its output (32/48/64 bytes); the others
        /// make a private test key.
        #[arg(long, value_enum)]
        alg: AlgArg,
        /// Key id (the JWT `kid`); default: a random one.
        #[arg(long)]
        id: Option<String>,
        /// Public-key algorithms: the private JWK Set file to write (appended to when it is
        /// already one); default `KID.dev-private.jwks.json`.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// RSA modulus size in bits (2048 to 4096).
        #[arg(long, default_value_t = 2048)]
        bits: usize,
        /// Print one JSON object (HMAC: `id`, `alg`, `secret_b64`, `keys_file`; public-key:
        /// `id`, `alg`, `private_jwks_file`, `thumbprint`, `public_jwks`).
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
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    #[value(name = "RS256")]
    Rs256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    #[value(name = "RS384")]
    Rs384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    #[value(name = "RS512")]
    Rs512,
    /// RSASSA-PSS with SHA-256.
    #[value(name = "PS256")]
    Ps256,
    /// RSASSA-PSS with SHA-384.
    #[value(name = "PS384")]
    Ps384,
    /// RSASSA-PSS with SHA-512.
    #[value(name = "PS512")]
    Ps512,
    /// ECDSA P-256 with SHA-256.
    #[value(name = "ES256")]
    Es256,
    /// ECDSA P-384 with SHA-384.
    #[value(name = "ES384")]
    Es384,
    /// Ed25519.
    #[value(name = "EdDSA")]
    EdDsa,
}

impl AlgArg {
    /// The core's algorithm.
    #[must_use]
    pub const fn alg(self) -> Alg {
        match self {
            Self::Hs256 => Alg::Hs256,
            Self::Hs384 => Alg::Hs384,
            Self::Hs512 => Alg::Hs512,
            Self::Rs256 => Alg::Rs256,
            Self::Rs384 => Alg::Rs384,
            Self::Rs512 => Alg::Rs512,
            Self::Ps256 => Alg::Ps256,
            Self::Ps384 => Alg::Ps384,
            Self::Ps512 => Alg::Ps512,
            Self::Es256 => Alg::Es256,
            Self::Es384 => Alg::Es384,
            Self::EdDsa => Alg::EdDsa,
        }
    }
}

/// Runs `key`.
///
/// # Errors
/// No randomness.
pub fn run(c: &KeyCommand) -> CommandResult {
    let KeyCommand::New { alg, id, out, bits, json } = c;
    let alg = alg.alg();
    let id = match id {
        Some(id) => id.clone(),
        None => format!("key-{}", hex(&random_bytes(4)?)),
    };
    if id.is_empty() || id.chars().any(char::is_control) || id.contains('"') || id.contains('\\') {
        return Err("--id must be printable, without quotes or backslashes".into());
    }
    if !alg.is_hmac() {
        return new_private(alg, &id, out.as_ref(), *bits, *json);
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

/// A fresh private test key appended to (or starting) a dev-key file; prints the file's public
/// JWK Set.
fn new_private(alg: Alg, id: &str, out: Option<&PathBuf>, bits: usize, json: bool) -> CommandResult {
    let path = out.cloned().unwrap_or_else(|| PathBuf::from(format!("{id}.dev-private.jwks.json")));
    let mut keys = if path.exists() {
        let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if !text.contains(testkeys::TEST_ONLY) {
            return Err(format!("{} exists and is not a Warden dev-key file: refusing to change it", path.display()));
        }
        testkeys::parse_private_set(&text).map_err(|e| format!("{}: {e}", path.display()))?
    } else {
        Vec::new()
    };
    if keys.iter().any(|k| k.kid == id) {
        return Err(format!("{} already has a key `{id}`; choose another --id", path.display()));
    }
    let key = PrivateJwk::generate(alg, id, bits)?;
    let thumbprint = key.public().thumbprint();
    keys.push(key);
    let private = serde_json::to_string_pretty(&testkeys::private_set(&keys)).map_err(|e| e.to_string())?;
    std::fs::write(&path, format!("{private}\n")).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let public = testkeys::public_set(&keys);
    if json {
        print_json(&serde_json::json!({
            "id": id,
            "alg": alg.name(),
            "private_jwks_file": path.display().to_string(),
            "thumbprint": thumbprint,
            "public_jwks": public,
        }))?;
        return Ok(exit::OK);
    }
    errln!(
        "# {} test key \"{id}\" (thumbprint {thumbprint}) written to {}: DEV KEY, tests only.",
        alg.name(),
        path.display()
    );
    errln!("# Name that file in a keys file (private_jwks = [\"…\"]) or give it to `warden token mint --keys`.");
    errln!("# The public JWK Set of the file follows on stdout: save it as the policy's `jwks` file.");
    outln!("{}", serde_json::to_string_pretty(&public).map_err(|e| e.to_string())?);
    Ok(exit::OK)
}
