//! `warden check` on the fixtures in `tests/fixtures/`: one per error and per warning kind.
//! Each fixture ends with `# expect: <error|warning> LINE:COL | <message part> | <help part>`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::std_instead_of_core, reason = "test code")]

mod common;

use common::run;

struct Expect {
    kind: String,
    line: u64,
    column: u64,
    message: String,
    help: String,
}

fn expectation(text: &str) -> Expect {
    let line = text.lines().rev().find_map(|l| l.strip_prefix("# expect: ")).expect("fixture has an expect line");
    let mut parts = line.splitn(3, " | ");
    let head = parts.next().expect("kind and position");
    let (kind, pos) = head.split_once(' ').expect("kind then position");
    let (l, c) = pos.split_once(':').expect("LINE:COL");
    Expect {
        kind: kind.to_string(),
        line: l.parse().expect("line"),
        column: c.parse().expect("column"),
        message: parts.next().unwrap_or("").trim().to_string(),
        help: parts.next().unwrap_or("").trim().to_string(),
    }
}

fn fixtures() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(common::repo("cli/tests/fixtures"))
        .expect("fixtures dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml") && p.file_name().is_some_and(|n| n != "valid.toml"))
        .collect();
    v.sort();
    v
}

#[test]
fn every_fixture_gives_exactly_its_diagnostic_at_its_position() {
    let all = fixtures();
    assert!(all.len() >= 45, "fixtures went missing: {}", all.len());
    let mut failures = Vec::new();
    for path in &all {
        let text = std::fs::read_to_string(path).expect("read fixture");
        let e = expectation(&text);
        let rel = path.strip_prefix(common::root()).expect("under the repo").to_string_lossy().into_owned();
        let (code, out, _) = run(&["check", "--json", &rel]);
        let json: serde_json::Value = serde_json::from_str(&out).expect("check --json prints JSON");
        let (list, other, want_code, ok) =
            if e.kind == "error" { ("errors", "warnings", 1, false) } else { ("warnings", "errors", 0, true) };
        let items = json[list].as_array().expect("list");
        let mut problems = Vec::new();
        if code != want_code {
            problems.push(format!("exit {code}, want {want_code}"));
        }
        if json["ok"] != ok {
            problems.push(format!("ok = {}", json["ok"]));
        }
        if items.len() != 1 || !json[other].as_array().expect("other list").is_empty() {
            problems.push(format!("want exactly one {}: {out}", e.kind));
        }
        if let Some(d) = items.first() {
            if d["line"] != e.line || d["column"] != e.column {
                problems.push(format!("at {}:{}, want {}:{}", d["line"], d["column"], e.line, e.column));
            }
            if !d["message"].as_str().unwrap_or("").contains(&e.message) {
                problems.push(format!("message {:?} lacks {:?}", d["message"], e.message));
            }
            if !d["help"].as_str().unwrap_or("").contains(&e.help) {
                problems.push(format!("help {:?} lacks {:?}", d["help"], e.help));
            }
            if d["file"] != rel.as_str() {
                problems.push(format!("file {}", d["file"]));
            }
        }
        if !problems.is_empty() {
            failures.push(format!("{rel}: {}", problems.join("; ")));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn human_output_shows_file_line_col_the_source_line_and_help() {
    let (code, out, err) = run(&["check", "cli/tests/fixtures/error-cidr-host-bits.toml"]);
    assert_eq!(code, 1);
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("cli/tests/fixtures/error-cidr-host-bits.toml:19:13"), "{err}");
    assert!(err.contains("ip_allow = [\"10.1.2.3/8\"]"), "{err}");
    assert!(err.contains("did you mean 10.0.0.0/8?"), "{err}");
    assert!(err.contains("1 error, 0 warnings"), "{err}");
}

#[test]
fn warnings_are_printed_and_check_still_succeeds() {
    let (code, out, err) = run(&["check", "cli/tests/fixtures/warning-shadowed-rule.toml"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("warning") && err.contains("never used"), "{err}");
    assert!(out.contains("ok (1 warning)"), "{out}");
}

#[test]
fn secrets_are_never_quoted_in_diagnostics() {
    let (code, _, err) = run(&["check", "cli/tests/fixtures/error-plaintext-password.toml"]);
    assert_eq!(code, 1);
    assert!(!err.contains("correct horse"), "the password leaked: {err}");
    assert!(err.contains(":23:18"), "{err}");
    let (_, out, _) = run(&["check", "--json", "cli/tests/fixtures/error-plaintext-password.toml"]);
    assert!(!out.contains("correct horse"), "{out}");
    let (code, _, err) = run(&["check", "cli/tests/fixtures/error-secret-in-policy.toml"]);
    assert_eq!(code, 1);
    assert!(!err.contains("00112233"), "{err}");
}

#[test]
fn valid_fixture_has_no_diagnostics_and_the_example_only_its_keyless_audience() {
    let (code, out, _) = run(&["check", "--json", "cli/tests/fixtures/valid.toml"]);
    assert_eq!(code, 0);
    assert_eq!(out.trim(), r#"{"ok":true,"errors":[],"warnings":[]}"#);
    // The example keeps one key without `audience` on purpose (internal tooling), and says so.
    let (code, out, _) = run(&["check", "--json", "policies/edge-api.toml"]);
    assert_eq!(code, 0);
    let j: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(j["errors"], serde_json::json!([]));
    let warnings = j["warnings"].as_array().expect("warnings");
    assert_eq!(warnings.len(), 1, "{out}");
    assert!(
        warnings[0]["message"].as_str().expect("message").starts_with("key `ops-hs512` has no `audience`"),
        "{out}"
    );
}

#[test]
fn compile_refuses_a_policy_with_errors_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("x.wdn");
    let (code, _, err) =
        run(&["compile", "cli/tests/fixtures/error-version.toml", "-o", out.to_str().expect("utf-8 path")]);
    assert_eq!(code, 1);
    assert!(err.contains("was not compiled"), "{err}");
    assert!(!out.exists());
}
