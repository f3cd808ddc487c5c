//! `warden`, the Warden tool: the policy compiler (`compile`, `check`), a request evaluator
//! (`eval`), a case runner (`test`), a compiled-policy viewer (`inspect`) and the helpers that
//! make credentials, keys and test tokens.
//!
//! The binary is a thin `main` over [`run`]; every concern has its own module: source types
//! ([`source`]), the compiler ([`compile`], [`lint`], [`coverage`]), diagnostics ([`diag`]),
//! keys files ([`keys`]), case files ([`cases`]), decisions as data ([`outcome`],
//! [`explain`]), and one module per command under [`commands`].

/// `print!` that never panics: output to a closed pipe (`warden … | head`) is dropped.
macro_rules! out {
    ($($t:tt)*) => { $crate::write_out(false, format_args!($($t)*)) };
}
/// `println!` that never panics.
macro_rules! outln {
    () => { $crate::write_out(false, format_args!("\n")) };
    ($($t:tt)*) => { $crate::write_out(false, format_args!("{}\n", format_args!($($t)*))) };
}
/// `eprint!` that never panics.
macro_rules! err {
    ($($t:tt)*) => { $crate::write_out(true, format_args!($($t)*)) };
}
/// `eprintln!` that never panics.
macro_rules! errln {
    () => { $crate::write_out(true, format_args!("\n")) };
    ($($t:tt)*) => { $crate::write_out(true, format_args!("{}\n", format_args!($($t)*))) };
}

pub mod bundle;
pub mod capacities;
pub mod cases;
pub mod commands;
pub mod compile;
pub mod coverage;
pub mod diag;
pub mod encoding;
pub mod explain;
pub mod jwks;
pub mod keys;
pub mod lint;
pub mod outcome;
pub mod password;
pub mod request;
pub mod source;
pub mod testkeys;

use std::ffi::OsString;

use clap::Parser;

/// Exit codes (README, "The tool `warden`").
pub mod exit {
    /// Success, or an Allow decision.
    pub const OK: u8 = 0;
    /// Usage or input error.
    pub const INPUT: u8 = 1;
    /// Decision 401.
    pub const UNAUTHORIZED: u8 = 2;
    /// Decision 403.
    pub const FORBIDDEN: u8 = 3;
    /// A test case failed.
    pub const TEST_FAILED: u8 = 4;
}

/// Writes to stdout (or stderr), ignoring errors: a reader that went away (a closed pipe) is
/// not a reason to panic, and the exit code still tells the outcome.
#[doc(hidden)]
pub fn write_out(stderr: bool, args: core::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = if stderr { std::io::stderr().lock().write_fmt(args) } else { std::io::stdout().lock().write_fmt(args) };
}

/// Whether the command line asks for `--json` (before any `--`), read from the raw arguments
/// so that a command line clap refuses is answered in JSON too.
fn asks_for_json(args: &[OsString]) -> bool {
    args.iter().skip(1).take_while(|a| *a != "--").any(|a| a == "--json")
}

/// Runs the tool with these arguments (the first is the program name) and returns the exit
/// code. Output goes to stdout and stderr.
///
/// Under `--json`, every failure (exit 1), including a command line that does not parse, is
/// one `{"error": "…"}` object on stdout; the same message goes to stderr.
pub fn run<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let json = asks_for_json(&args);
    let cli = match commands::Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => exit::OK,
                _ => exit::INPUT,
            };
            // Printing can only fail when stdout/stderr is closed; the exit code still tells.
            let _ = e.print();
            if json && code != exit::OK {
                // clap's first paragraph, on one line: "the following required arguments
                // were not provided: --method <M>".
                let text = e.render().to_string();
                let first: Vec<&str> = text.lines().map(str::trim).take_while(|l| !l.is_empty()).collect();
                let joined = first.join(" ");
                let message = joined.strip_prefix("error: ").unwrap_or(&joined);
                let _ = commands::print_json(&commands::ErrorJson { error: message });
            }
            return code;
        }
    };
    match commands::dispatch(cli) {
        Ok(code) => code,
        Err(message) => {
            errln!("error: {message}");
            if json {
                // `--json` promises one object on stdout, failures included.
                let _ = commands::print_json(&commands::ErrorJson { error: &message });
            }
            exit::INPUT
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_asked_for_before_a_double_dash_only() {
        let args = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        assert!(asks_for_json(&args(&["warden", "eval", "--json", "--ip", "x"])));
        assert!(!asks_for_json(&args(&["warden", "eval", "--", "--json"])));
        assert!(!asks_for_json(&args(&["--json", "eval"])), "the program name is not an argument");
    }
}
