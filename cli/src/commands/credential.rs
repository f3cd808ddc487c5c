//! `warden credential new` (API keys) and `warden credential hash-password` (Basic).

use std::io::{BufRead, IsTerminal};

use clap::Subcommand;
use sha2::{Digest, Sha256};

use super::{CommandResult, print_json, random_bytes};
use crate::encoding::{b64url_nopad, hex};
use crate::exit;
use crate::password::{self, DEFAULT_ITERATIONS, SALT_LEN};

/// `credential` subcommands.
#[derive(Debug, Subcommand)]
pub enum CredentialCommand {
    /// Print a fresh 256-bit API key (once) and the policy lines with its SHA-256.
    New {
        /// Credential id (the subject of requests with this key).
        #[arg(long)]
        id: String,
        /// Roles to grant, comma-separated.
        #[arg(long, value_delimiter = ',')]
        roles: Vec<String>,
        /// Print one JSON object (`id`, `api_key`, `api_key_sha256`, `roles`, `policy`).
        #[arg(long)]
        json: bool,
    },
    /// Hash a Basic password read from stdin (never from the command line).
    HashPassword {
        /// PBKDF2 iterations.
        #[arg(long, default_value_t = DEFAULT_ITERATIONS, value_parser = clap::value_parser!(u32).range(1..))]
        iterations: u32,
        /// Also print the `basic_user` line for this user.
        #[arg(long)]
        user: Option<String>,
        /// Print one JSON object (`basic_password`, `iterations`, `basic_user`).
        #[arg(long)]
        json: bool,
    },
}

#[derive(serde::Serialize)]
struct NewJson<'a> {
    id: &'a str,
    api_key: &'a str,
    api_key_sha256: &'a str,
    roles: &'a [String],
    policy: &'a str,
}

#[derive(serde::Serialize)]
struct HashJson<'a> {
    basic_password: &'a str,
    iterations: u32,
    basic_user: Option<&'a str>,
}

fn toml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

fn check_roles(roles: &[String]) -> Result<(), String> {
    for r in roles {
        if r.is_empty() || !r.bytes().all(|c| (0x21..0x7f).contains(&c) && c != b'"' && c != b'\\') {
            return Err(format!(
                "role {r:?} is not a valid role name (printable ASCII, no spaces, quotes or backslashes)"
            ));
        }
    }
    Ok(())
}

/// Runs `credential`.
///
/// # Errors
/// Bad arguments, no randomness, an unreadable or empty password.
pub fn run(c: &CredentialCommand) -> CommandResult {
    match c {
        CredentialCommand::New { id, roles, json } => new_api_key(id, roles, *json),
        CredentialCommand::HashPassword { iterations, user, json } => {
            hash_password(*iterations, user.as_deref(), *json)
        }
    }
}

fn new_api_key(id: &str, roles: &[String], json: bool) -> CommandResult {
    if id.is_empty() || id.chars().any(char::is_control) {
        return Err("--id must be a non-empty printable name".into());
    }
    check_roles(roles)?;
    let key = format!("wk_{}", b64url_nopad(&random_bytes(32)?));
    let digest = hex(&Sha256::digest(key.as_bytes()));
    let role_list: Vec<String> = roles.iter().map(|r| toml_string(r)).collect();
    let policy = format!(
        "[[credential]]\nid = {}\napi_key_sha256 = \"{digest}\"\nroles = [{}]\n",
        toml_string(id),
        role_list.join(", ")
    );
    if json {
        print_json(&NewJson { id, api_key: &key, api_key_sha256: &digest, roles, policy: &policy })?;
        return Ok(exit::OK);
    }
    outln!(
        "# API key for credential {}: shown only now. Give it to the client; it is not stored anywhere.",
        toml_string(id)
    );
    outln!("{key}");
    outln!();
    outln!("# Add to the policy (the digest only):");
    out!("{policy}");
    Ok(exit::OK)
}

fn read_password() -> Result<String, String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").map_err(|e| format!("cannot read the password: {e}"))?;
        let second = rpassword::prompt_password("Again: ").map_err(|e| format!("cannot read the password: {e}"))?;
        if first != second {
            return Err("the two passwords differ".into());
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
        if line.ends_with('\n') {
            line.pop();
            if line.ends_with('\r') {
                line.pop();
            }
        }
        Ok(line)
    }
}

fn hash_password(iterations: u32, user: Option<&str>, json: bool) -> CommandResult {
    if let Some(u) = user
        && (u.is_empty() || u.contains(':') || u.chars().any(char::is_control))
    {
        return Err("--user must be non-empty, without `:` or control characters (RFC 7617)".into());
    }
    let pw = read_password()?;
    if pw.is_empty() {
        return Err("empty password".into());
    }
    if iterations < 100_000 {
        errln!("note: {iterations} iterations are fast to guess; use the default {DEFAULT_ITERATIONS} outside tests");
    }
    let salt = random_bytes(SALT_LEN)?;
    let line = password::format(pw.as_bytes(), &salt, iterations);
    if json {
        print_json(&HashJson { basic_password: &line, iterations, basic_user: user })?;
        return Ok(exit::OK);
    }
    match user {
        Some(u) => {
            outln!("basic_user = {}", toml_string(u));
            outln!("basic_password = \"{line}\"");
        }
        None => outln!("{line}"),
    }
    Ok(exit::OK)
}
