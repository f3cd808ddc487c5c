//! `.ci/run` prints the summary of the stages so far and names the failing stage when one
//! fails, then exits non-zero. Checked on the script's own stage machinery (everything before
//! its first helper function) with two made-up stages, so nothing of the real CI runs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::std_instead_of_core, reason = "test code")]

mod common;

#[test]
fn a_failing_stage_prints_the_summary_so_far_and_its_name() {
    let script = std::fs::read_to_string(common::repo(".ci/run")).expect(".ci/run");
    let prelude: String =
        script.lines().take_while(|l| !l.starts_with("have_apt_pkg()")).map(|l| format!("{l}\n")).collect();
    assert!(prelude.contains("stage()"), "the stage machinery comes first in .ci/run");
    let dir = tempfile::tempdir().expect("tempdir");
    let ci = dir.path().join(".ci");
    std::fs::create_dir(&ci).expect("mkdir");
    let path = ci.join("run");
    std::fs::write(
        &path,
        format!(
            "{prelude}ok_stage() {{ echo fine; }}\nbad_stage() {{ false; echo not-reached; }}\n\
             stage \"first one\" ok_stage\nstage \"second one\" bad_stage\nstage \"third one\" ok_stage\nsummary\n"
        ),
    )
    .expect("write");
    let out = std::process::Command::new("bash").arg(&path).output().expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(!stdout.contains("not-reached") && !stdout.contains("stage: third one"), "{stdout}");
    let summary = stdout.split("=== summary").nth(1).expect("a summary is printed");
    assert!(summary.contains("first one"), "{summary}");
    assert!(summary.contains("second one") && summary.contains("FAILED (exit 1)"), "{summary}");
    assert!(summary.contains("total: "), "{summary}");
    assert!(stdout.trim_end().ends_with("FAILED: stage \"second one\" (exit 1)"), "{stdout}");
}

#[test]
fn the_c_server_stage_uses_the_release_binary_of_the_readme_command() {
    let script = std::fs::read_to_string(common::repo(".ci/run")).expect(".ci/run");
    let stage = script.split("ffi_c_server() {").nth(1).and_then(|s| s.split("\n}\n").next()).expect("stage");
    assert!(stage.contains("WARDEN=$TARGET_DIR/release/warden"), "{stage}");
    assert!(!stage.contains("debug/warden"), "no second, debug build of the CLI: {stage}");
    let readme = std::fs::read_to_string(common::repo("README.md")).expect("README");
    assert!(readme.contains("$ cargo run --release -p warden-cli -- test policies/edge-api.toml"));
}
