//! The command line (clap) and one module per command.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub mod check;
pub mod compile;
pub mod credential;
pub mod eval;
pub mod inspect;
pub mod key;
pub mod test;
pub mod token;

/// What a command returns: an exit code, or a message for stderr (exit 1).
pub type CommandResult = Result<u8, String>;

/// The Warden tool: compile, check and try auth policies.
#[derive(Debug, Parser)]
#[command(name = "warden", version, about, propagate_version = true)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a policy and compile it into a `.wdn` file.
    Compile(compile::CompileArgs),
    /// Check a policy: errors and warnings only.
    Check(check::CheckArgs),
    /// Decide one request.
    Eval(eval::EvalArgs),
    /// Run a case file against a policy.
    Test(test::TestArgs),
    /// Show what a compiled policy holds.
    Inspect(inspect::InspectArgs),
    /// Make API keys and Basic password hashes.
    #[command(subcommand)]
    Credential(credential::CredentialCommand),
    /// Make HMAC keys for the keys file.
    #[command(subcommand)]
    Key(key::KeyCommand),
    /// Make test tokens.
    #[command(subcommand)]
    Token(token::TokenCommand),
}

/// A policy path argument.
#[derive(Debug, Clone, Args)]
pub struct PolicyArg {
    /// Policy source (`.toml`).
    pub policy: PathBuf,
}

/// What every command prints under `--json` when it fails (exit 1).
#[derive(Debug, serde::Serialize)]
pub struct ErrorJson<'a> {
    /// What went wrong, in one line.
    pub error: &'a str,
}

/// Runs a parsed command line.
///
/// # Errors
/// A message for stderr; the exit code is then 1.
pub fn dispatch(cli: Cli) -> CommandResult {
    match cli.command {
        Command::Compile(a) => compile::run(&a),
        Command::Check(a) => check::run(&a),
        Command::Eval(a) => eval::run(&a),
        Command::Test(a) => test::run(&a),
        Command::Inspect(a) => inspect::run(&a),
        Command::Credential(c) => credential::run(&c),
        Command::Key(c) => key::run(&c),
        Command::Token(c) => token::run(&c),
    }
}

/// Writes one line of JSON to stdout.
///
/// # Errors
/// If serialization fails.
pub fn print_json<T: serde::Serialize>(value: &T) -> Result<(), String> {
    let text = serde_json::to_string(value).map_err(|e| format!("cannot write JSON: {e}"))?;
    outln!("{text}");
    Ok(())
}

/// Fresh random bytes from the operating system.
///
/// # Errors
/// If the OS has no randomness to give.
pub fn random_bytes(n: usize) -> Result<Vec<u8>, String> {
    let mut out = vec![0u8; n];
    getrandom::fill(&mut out).map_err(|e| format!("no randomness from the operating system: {e}"))?;
    Ok(out)
}
