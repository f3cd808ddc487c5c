//! Helpers shared by the CLI integration tests.
#![allow(
    dead_code,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers; each test binary uses a different subset"
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The fixed `now` of policies/edge-api.cases.toml (2026-01-01T00:00:00Z).
pub(crate) const NOW: u64 = 1_767_225_600;

/// The repository root.
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("cli/ has a parent").to_path_buf()
}

/// A path under the repository root.
pub(crate) fn repo(rel: &str) -> PathBuf {
    root().join(rel)
}

/// `warden` run from the repository root (the binary cargo built for these tests).
pub(crate) fn warden() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_warden"));
    c.current_dir(root()).env("NO_COLOR", "1");
    c
}

/// Runs `warden` with `args` and returns (exit code, stdout, stderr).
pub(crate) fn run(args: &[&str]) -> (i32, String, String) {
    run_with_stdin(args, "")
}

/// As [`run`], feeding `stdin`.
pub(crate) fn run_with_stdin(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = warden()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("warden runs");
    // A command that does not read stdin may have exited already: a broken pipe is fine.
    let _ = child.stdin.take().expect("stdin").write_all(stdin.as_bytes());
    let out = child.wait_with_output().expect("warden runs");
    (
        out.status.code().expect("warden exits normally"),
        String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    )
}

/// `eval` of the example policy with its dev keys at [`NOW`]; returns (exit code, stdout,
/// stderr).
pub(crate) fn eval_example(extra: &[&str]) -> (i32, String, String) {
    let now = NOW.to_string();
    let mut args = vec!["eval", "policies/edge-api.toml", "--keys", "policies/edge-api.keys.toml", "--now", &now];
    args.extend_from_slice(extra);
    run(&args)
}

/// `eval --json` of the example policy at [`NOW`]; returns (exit code, parsed JSON).
pub(crate) fn eval_json(extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec!["--json"];
    args.extend_from_slice(extra);
    let (code, out, err) = eval_example(&args);
    let json = serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out:?}, stderr {err}"));
    (code, json)
}
