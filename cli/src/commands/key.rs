//! `warden key new --alg HS256 [--id ID]`: a fresh HMAC secret in keys-file form;
//! `warden key new --alg ES256|ES384|EdDSA|RS256|… [--id ID] [-o FILE]`: a fresh private
//! JWK for testing, written to a dev-key file (appended when it exists), and the public JWK Set
//! of that file printed for the policy's `jwks` file;
//! `warden key bundle [-o FILE]`: a fresh bundle signing key for `compile --sign-key` and
//! `--verify-key`.

use std::path::{Path, PathBuf};

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
        #[arg(short, long, visible_alias = "out", value_name = "FILE")]
        output: Option<PathBuf>,
        /// RSA modulus size in bits (2048 to 4096).
        #[arg(long, default_value_t = 2048)]
        bits: usize,
        /// Print one JSON object (HMAC: `id`, `alg`, `secret_b64`, `keys_file`; public-key:
        /// `id`, `alg`, `private_jwks_file`, `thumbprint`, `public_jwks`).
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
struct PrivateKeyJson<'a> {
    id: &'a str,
    alg: &'a str,
    private_jwks_file: String,
    thumbprint: &'a str,
    public_jwks: &'a testkeys::JwkSetDocument,
}

#[derive(serde::Serialize)]
struct BundleJson<'a> {
    secret_hex: &'a str,
    key_file: &'a str,
    output: Option<String>,
}

/// Algorithms on the command line.
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
    let (alg, id, out, bits, json) = match c {
        KeyCommand::New { alg, id, output, bits, json } => (alg, id, output, bits, json),
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
    if !alg.is_hmac() {
        return new_private(alg, &id, out.as_ref(), *bits, *json);
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
        print_json(&PrivateKeyJson {
            id,
            alg: alg.name(),
            private_jwks_file: path.display().to_string(),
            thumbprint: &thumbprint,
            public_jwks: &public,
        })?;
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
