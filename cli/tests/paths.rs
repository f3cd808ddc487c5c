//! Issue 11, bypasses 1 and 2: Warden decides on the path as servers route it (SPEC §2). Each
//! test replays a reproduction of the issue through `warden eval --json` and checks the
//! `"path"` the rules were matched on; `tests/servers/` checks the same against a real nginx
//! and a real WSGI server.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::std_instead_of_core, reason = "test code")]

mod common;

use common::{NOW, eval_json, run};

/// The token of the issue: a valid `2026-q4` token for `mallory`, with no roles.
fn mallory() -> String {
    let now = NOW.to_string();
    let (code, out, err) = run(&[
        "token",
        "mint",
        "--keys",
        "policies/edge-api.keys.toml",
        "--policy",
        "policies/edge-api.toml",
        "--kid",
        "2026-q4",
        "--sub",
        "mallory",
        "--now",
        &now,
        "--ttl",
        "1h",
    ]);
    assert_eq!(code, 0, "{err}");
    format!("Authorization: Bearer {}", out.trim())
}

#[test]
fn a_raw_hash_is_malformed_and_not_the_api_rule() {
    // Was 200 `allowed` on rule `api`; nginx and gunicorn route it to /api/v1/orders/42.
    let (code, j) = eval_json(&["--method", "GET", "--path", "/api/v1/orders/42#/x", "-H", &mallory()]);
    assert_eq!((code, j["reason"].as_str()), (3, Some("malformed_path")), "{j}");
    assert_eq!(j["path"], serde_json::Value::Null);
    // Was 200 `public`; nginx resolves the `..` and serves `/`.
    let (code, j) = eval_json(&["--method", "GET", "--path", "/docs/..#"]);
    assert_eq!((code, j["reason"].as_str()), (3, Some("malformed_path")), "{j}");
}

#[test]
fn an_escaped_colon_reaches_the_rule_written_for_it() {
    // Was 200 `allowed` on the broader `api` rule: `%3A` was kept, so `jobs-run` never matched.
    let (code, j) = eval_json(&["--method", "POST", "--path", "/api/v1/jobs%3Arun", "-H", &mallory()]);
    assert_eq!((code, j["reason"].as_str(), j["rule"].as_str()), (3, Some("insufficient_role"), Some("jobs-run")));
    assert_eq!(j["path"], "/api/v1/jobs:run");
}

#[test]
fn escaped_and_raw_utf8_reach_a_non_ascii_rule() {
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = dir.path().join("p.toml");
    std::fs::write(
        &policy,
        "version = 1\nname = \"t\"\n\n[[rule]]\nname = \"cafe-admin\"\nmethods = [\"GET\"]\npath = \"/café/admin/**\"\n\
         auth = [\"basic\"]\n\n[[rule]]\nname = \"rest\"\nmethods = [\"GET\"]\npath = \"/**\"\nauth = []\n",
    )
    .expect("write policy");
    let policy = policy.to_str().expect("utf-8");
    for path in ["/caf%C3%A9/admin/x", "/caf%c3%a9/admin/x", "/café/admin/x", "/caf%C3%A9/%61dmin"] {
        let (code, out, err) = run(&["eval", policy, "--method", "GET", "--path", path, "--now", "1", "--json"]);
        let j: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
        assert_eq!((code, j["rule"].as_str()), (2, Some("cafe-admin")), "{path}: {j}");
        assert!(j["path"].as_str().expect("a path").starts_with("/café/admin"), "{j}");
    }
}

#[test]
fn escapes_servers_refuse_or_disagree_on_are_malformed() {
    for path in [
        "/health%00",
        "/health%0a",
        "/docs/%7F",
        "/docs/100%",
        "/docs/%zz",
        "/docs/a%2Fb",
        "/docs/a%5cb",
        "/docs/.%2e/admin",
        "/docs/%2E",
        "/docs/%C0%AE",
        "/docs/%ED%A0%80",
        "/docs/%FF",
    ] {
        let (code, j) = eval_json(&["--method", "GET", "--path", path]);
        assert_eq!(
            (code, j["reason"].as_str(), &j["path"]),
            (3, Some("malformed_path"), &serde_json::Value::Null),
            "{path}"
        );
    }
    let (code, j) = eval_json(&["--method", "GET", "--path", "/docs/%2561?x=%zz#"]);
    assert_eq!((code, j["path"].as_str()), (0, Some("/docs/%61")), "{j}");
}

#[test]
fn explain_shows_the_decoded_path_or_that_it_is_malformed() {
    let now = NOW.to_string();
    let base = ["eval", "policies/edge-api.toml", "--keys", "policies/edge-api.keys.toml", "--now", &now, "--explain"];
    let mut args = base.to_vec();
    args.extend(["--method", "GET", "--path", "/docs/caf%C3%A9?x"]);
    let (code, out, _) = run(&args);
    assert_eq!(code, 0);
    assert!(out.contains("path \"/docs/café\""), "{out}");
    let mut args = base.to_vec();
    args.extend(["--method", "GET", "--path", "/docs/%00", "--json"]);
    let (code, out, _) = run(&args);
    assert_eq!(code, 3);
    let j: serde_json::Value = serde_json::from_str(&out).expect("one object");
    assert_eq!(j["path"], serde_json::Value::Null);
    args.pop();
    let (code, out, _) = run(&args);
    assert_eq!(code, 3);
    assert!(out.contains("path malformed (row 1)"), "{out}");
}

#[test]
fn pattern_spellings_compile_to_one_rule() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut bodies = Vec::new();
    for pattern in ["/caf%C3%A9/jobs:run/*", "/café/jobs%3Arun/*", "/caf%c3%a9/jobs%3arun/*"] {
        let src = dir.path().join("p.toml");
        std::fs::write(
            &src,
            format!("version = 1\nname = \"t\"\n\n[[rule]]\nname = \"r\"\nmethods = [\"GET\"]\npath = \"{pattern}\"\nauth = []\n"),
        )
        .expect("write policy");
        let (code, out, err) = run(&["compile", src.to_str().expect("utf-8"), "--json"]);
        assert_eq!(code, 0, "{pattern}: {out} {err}");
        let j: serde_json::Value = serde_json::from_str(&out).expect("json");
        bodies.push(j["body_sha256"].as_str().expect("digest").to_string());
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:?}");
}
