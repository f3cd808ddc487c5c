//! `warden eval POLICY --method M --path P [--header 'Name: value']… [--keys FILE] …`: one
//! decision, exit 0 / 2 / 3 for Allow / 401 / 403.

use core::net::IpAddr;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::{CommandResult, print_json};
use crate::bundle;
use crate::explain::{ExplainRow, explain, rows};
use crate::keys::{self, Keyring, KeysFrom};
use crate::outcome::Outcome;
use crate::request::{RequestSpec, parse_header_arg, system_now};

/// Arguments of `eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Policy: source (`.toml`, compiled on the fly) or compiled (`.wdn`).
    pub policy: PathBuf,
    /// Keys file with the HMAC secrets of the policy's `[[key]]`s.
    #[arg(long, value_name = "FILE")]
    pub keys: Option<PathBuf>,
    /// Request method (case-sensitive).
    #[arg(long, value_name = "M")]
    pub method: String,
    /// Request path (a query is allowed and ignored).
    #[arg(long, value_name = "P", allow_hyphen_values = true)]
    pub path: String,
    /// A request header, `Name: value`; repeat for more.
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE", allow_hyphen_values = true)]
    pub headers: Vec<String>,
    /// Client IP address.
    #[arg(long, value_name = "ADDR")]
    pub ip: Option<IpAddr>,
    /// Current time in Unix seconds (default: the system clock).
    #[arg(long, value_name = "UNIX")]
    pub now: Option<u64>,
    /// Show the decision table with each row's outcome.
    #[arg(long)]
    pub explain: bool,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Refuse the policy unless it is signed with this bundle key (from `warden key bundle`).
    #[arg(long, value_name = "FILE")]
    pub verify_key: Option<PathBuf>,
}

/// `eval --json`: the decision, then with `--explain` the decision table's rows.
#[derive(Serialize)]
struct EvalJson<'a> {
    #[serde(flatten)]
    outcome: &'a Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    explain: Option<Vec<ExplainRow>>,
}

/// Runs `eval`.
///
/// # Errors
/// Bad input files or arguments.
pub fn run(a: &EvalArgs) -> CommandResult {
    let headers = a.headers.iter().map(|h| parse_header_arg(h)).collect::<Result<Vec<_>, _>>()?;
    let now = match a.now {
        Some(n) => n,
        None => system_now()?,
    };
    let request = RequestSpec { method: a.method.clone(), path: a.path.clone(), ip: a.ip, headers, now };
    let keyring = match &a.keys {
        Some(p) => keys::load(p)?,
        None => Keyring::default(),
    };
    let verify_key = a.verify_key.as_deref().map(bundle::read_bundle_key).transpose()?;
    let blob = bundle::load_blob(&a.policy, false)?;
    let from = match &a.keys {
        Some(p) => KeysFrom::File(p),
        None => KeysFrom::Nowhere("pass --keys FILE"),
    };
    let engine = bundle::engine(&blob, &keyring, from, verify_key.as_deref())?;
    let (outcome, checks) = request.with_request(|r| {
        if a.explain {
            let x = engine.explain(r);
            (Outcome::of(&x.decision, r.path), Some(x.checks.to_vec()))
        } else {
            (Outcome::of(&engine.evaluate(r), r.path), None)
        }
    });
    if a.json {
        print_json(&EvalJson { outcome: &outcome, explain: checks.as_deref().map(rows) })?;
    } else {
        out!("{}", outcome.render());
        for line in checks.as_deref().map(|c| explain(c, &outcome)).iter().flatten() {
            outln!("{line}");
        }
    }
    Ok(outcome.exit_code())
}
