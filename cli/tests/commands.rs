//! The `warden` commands end to end: exit codes, `eval --json` shape, `test`, `inspect`, keys
//! files, and the credential / key / token helpers round-tripping through the engine.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::std_instead_of_core, reason = "test code")]

mod common;

use common::{NOW, eval_example, eval_json, repo, run, run_with_stdin};

fn mint(extra: &[&str]) -> String {
    let now = NOW.to_string();
    let mut args = vec!["token", "mint", "--keys", "policies/edge-api.keys.toml", "--now", now.as_str()];
    args.extend_from_slice(extra);
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    let token = out.trim().to_string();
    assert_eq!(token.split('.').count(), 3, "{token}");
    token
}

fn reader_token() -> String {
    mint(&[
        "--kid",
        "2026-q4",
        "--sub",
        "alice",
        "--roles",
        "orders:read",
        "--iss",
        "https://auth.example.com",
        "--aud",
        "edge-api",
    ])
}

fn keys_of(v: &serde_json::Value) -> Vec<String> {
    v.as_object().expect("object").keys().cloned().collect()
}

#[test]
fn eval_json_is_exactly_the_spec_object_for_a_minted_token() {
    let auth = format!("Authorization: Bearer {}", reader_token());
    let (code, out, _) = eval_example(&["--method", "GET", "--path", "/api/v1/orders/42", "--header", &auth, "--json"]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "{\"decision\":\"allow\",\"status\":200,\"reason\":\"allowed\",\"rule\":\"orders-read\",\"subject\":\"alice\",\
         \"roles\":[\"orders:read\"],\"refresh_advised\":false,\"challenges\":[],\"cors\":null,\"path\":\"/api/v1/orders/42\"}\n"
    );
}

#[test]
fn eval_exit_codes_follow_the_decision() {
    let (code, j) = eval_json(&["--method", "GET", "--path", "/health"]);
    assert_eq!((code, j["decision"].as_str()), (0, Some("allow")));
    let (code, j) = eval_json(&["--method", "GET", "--path", "/api/v1/orders/1"]);
    assert_eq!(code, 2);
    assert_eq!(j["decision"], "unauthorized");
    assert_eq!(j["status"], 401);
    assert_eq!(j["reason"], "credentials_missing");
    assert_eq!(j["subject"], serde_json::Value::Null);
    assert_eq!(j["challenges"], serde_json::json!(["Bearer realm=\"edge-api\"", "ApiKey realm=\"edge-api\""]));
    let (code, j) = eval_json(&["--method", "GET", "--path", "/nope"]);
    assert_eq!(code, 3);
    assert_eq!(j["decision"], "forbidden");
    assert_eq!(j["rule"], serde_json::Value::Null);
    assert_eq!(
        keys_of(&j),
        ["decision", "status", "reason", "rule", "subject", "roles", "refresh_advised", "challenges", "cors", "path"]
    );
}

#[test]
fn preflight_json_adds_methods_headers_and_max_age_after_the_cors_pair() {
    let (code, j) = eval_json(&[
        "--method",
        "OPTIONS",
        "--path",
        "/api/v1/orders/42",
        "-H",
        "Origin: https://shop.example.com",
        "-H",
        "Access-Control-Request-Method: PUT",
    ]);
    assert_eq!(code, 0);
    assert_eq!(j["reason"], "preflight");
    let cors = &j["cors"];
    assert_eq!(keys_of(cors), ["allow_origin", "allow_credentials", "allow_methods", "allow_headers", "max_age_s"]);
    assert_eq!(cors["allow_origin"], "https://shop.example.com");
    assert_eq!(cors["allow_credentials"], true);
    let mut methods: Vec<&str> =
        cors["allow_methods"].as_array().expect("array").iter().map(|m| m.as_str().expect("str")).collect();
    methods.sort_unstable();
    assert_eq!(methods, ["DELETE", "PATCH", "POST", "PUT"]);
    assert_eq!(cors["allow_headers"], serde_json::json!(["authorization", "content-type", "x-api-key"]));
    assert_eq!(cors["max_age_s"], 600);
}

#[test]
fn denials_a_page_may_read_carry_cors_in_json_and_text() {
    let origin = "Origin: https://shop.example.com";
    // 401 (after the origin check): the CORS pair, as on an Allow.
    let (code, j) = eval_json(&["--method", "POST", "--path", "/api/v1/orders", "-H", origin]);
    assert_eq!((code, j["reason"].as_str()), (2, Some("credentials_missing")));
    assert_eq!(j["cors"]["allow_origin"], "https://shop.example.com");
    assert_eq!(j["cors"]["allow_credentials"], true);
    // 403 insufficient_role (row 17) too.
    let auth = format!("Authorization: Bearer {}", reader_token());
    let (code, j) = eval_json(&["--method", "POST", "--path", "/api/v1/orders", "-H", origin, "-H", &auth]);
    assert_eq!((code, j["reason"].as_str()), (3, Some("insufficient_role")));
    assert_eq!(j["cors"]["allow_origin"], "https://shop.example.com");
    // A 403 of the network checks does not.
    let (code, j) = eval_json(&["--method", "GET", "--path", "/health", "--ip", "203.0.113.9", "-H", origin]);
    assert_eq!((code, j["reason"].as_str()), (3, Some("ip_blocked")));
    assert_eq!(j["cors"], serde_json::Value::Null);
    // The text, with --explain, shows the headers a host sends and why.
    let (code, out, _) = eval_example(&["--method", "POST", "--path", "/api/v1/orders", "-H", origin, "--explain"]);
    assert_eq!(code, 2);
    for line in [
        "Access-Control-Allow-Origin: https://shop.example.com",
        "Access-Control-Allow-Credentials: true",
        "Access-Control-Expose-Headers: WWW-Authenticate",
        "Vary: Origin",
        "CORS: answered for the allowed origin https://shop.example.com",
    ] {
        assert!(out.contains(line), "{line} not in\n{out}");
    }
}

#[test]
fn cors_has_the_same_five_keys_every_time_with_nulls_outside_preflights() {
    let auth = format!("Authorization: Bearer {}", reader_token());
    let (_, j) = eval_json(&[
        "--method",
        "GET",
        "--path",
        "/api/v1/orders/1",
        "-H",
        &auth,
        "-H",
        "Origin: https://a.example.com",
    ]);
    assert_eq!(
        keys_of(&j["cors"]),
        ["allow_origin", "allow_credentials", "allow_methods", "allow_headers", "max_age_s"]
    );
    assert_eq!(j["cors"]["allow_origin"], "https://a.example.com");
    for k in ["allow_methods", "allow_headers", "max_age_s"] {
        assert_eq!(j["cors"][k], serde_json::Value::Null, "{k}");
    }
}

#[test]
fn human_eval_shows_challenges_and_explain_shows_the_deciding_row() {
    let (code, out, _) = eval_example(&["--method", "GET", "--path", "/admin/users", "--ip", "10.1.2.3", "--explain"]);
    assert_eq!(code, 2);
    assert!(out.contains("decision: unauthorized (401)"), "{out}");
    assert!(out.contains("reason:   credentials_missing"), "{out}");
    assert!(out.contains("WWW-Authenticate: Basic realm=\"edge-api\", charset=\"UTF-8\""), "{out}");
    let row7 = out.lines().find(|l| l.trim_start().starts_with("7 ")).expect("row 7");
    assert!(row7.ends_with("HOLDS -> decides 401 credentials_missing"), "{row7}");
    let row3 = out.lines().find(|l| l.trim_start().starts_with("3 ")).expect("row 3");
    assert!(row3.ends_with("clear"), "{row3}");
}

#[test]
fn explain_with_json_is_an_explain_array_inside_the_one_object() {
    let (code, out, _) = eval_example(&["--method", "GET", "--path", "/health", "--json", "--explain"]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 1);
    let j: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    assert_eq!(
        keys_of(&j),
        [
            "decision",
            "status",
            "reason",
            "rule",
            "subject",
            "roles",
            "refresh_advised",
            "challenges",
            "cors",
            "path",
            "explain"
        ]
    );
    let rows = j["explain"].as_array().expect("explain array");
    assert_eq!(rows.len(), 18);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(keys_of(row), ["row", "check", "outcome", "decides"]);
        assert_eq!(row["row"], i + 1);
        assert!(["holds", "clear", "n/a"].contains(&row["outcome"].as_str().expect("outcome")), "{row}");
    }
    let deciding: Vec<&serde_json::Value> = rows.iter().filter(|r| r["decides"] == true).collect();
    assert_eq!(deciding.len(), 1);
    assert_eq!((&deciding[0]["row"], &deciding[0]["outcome"]), (&18.into(), &"holds".into()));
    // Without --explain, no `explain` key: the object is the ten keys of the decision.
    let (_, j) = eval_json(&["--method", "GET", "--path", "/health"]);
    assert_eq!(keys_of(&j).len(), 10);
}

#[test]
fn compiled_and_source_policies_decide_alike() {
    let auth = format!("Authorization: Bearer {}", reader_token());
    let now = NOW.to_string();
    let mut outs = Vec::new();
    for policy in ["policies/edge-api.toml", "policies/edge-api.wdn", "policies/edge-api.signed.wdn"] {
        let (code, out, err) = run(&[
            "eval",
            policy,
            "--keys",
            "policies/edge-api.keys.toml",
            "--method",
            "POST",
            "--path",
            "/api/v1/orders",
            "-H",
            &auth,
            "--now",
            &now,
            "--json",
        ]);
        assert_eq!(code, 3, "{err}");
        outs.push(out);
    }
    assert!(outs.iter().all(|o| *o == outs[0]), "{outs:?}");
    assert!(outs[0].contains("insufficient_scope"), "{}", outs[0]);
}

#[test]
fn verify_key_refuses_unsigned_and_accepts_signed() {
    let base = ["--keys", "policies/edge-api.keys.toml", "--method", "GET", "--path", "/health", "--now", "1767225600"];
    let key = ["--verify-key", "policies/edge-api.bundle-key.dev"];
    let mut a = vec!["eval", "policies/edge-api.wdn"];
    a.extend(base);
    a.extend(key);
    let (code, _, err) = run(&a);
    assert_eq!(code, 1);
    assert!(err.contains("not signed"), "{err}");
    let mut a = vec!["eval", "policies/edge-api.signed.wdn"];
    a.extend(base);
    a.extend(key);
    assert_eq!(run(&a).0, 0);
}

#[test]
fn the_example_cases_all_pass() {
    let (code, out, err) = run(&["test", "policies/edge-api.toml"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let summary = out.lines().last().expect("summary");
    assert!(summary.ends_with(" passed, 0 failed"), "{summary}");
    let passed: usize = summary.split(' ').next().and_then(|n| n.parse().ok()).expect("count");
    assert!(passed >= 60, "{passed}");
}

#[test]
fn the_example_cases_cover_every_reason() {
    let text = std::fs::read_to_string(repo("policies/edge-api.cases.toml")).expect("cases");
    let file = warden_cli::cases::parse(&text).expect("valid case file");
    for reason in warden::Reason::all() {
        assert!(file.cases.iter().any(|c| c.expect.reason == reason.as_str()), "no case for {reason}");
    }
}

#[test]
fn a_failing_case_exits_4_and_says_why() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = dir.path().join("c.toml");
    let keys = repo("policies/edge-api.keys.toml");
    std::fs::write(
        &cases,
        format!("keys = {:?}\n", keys.to_str().expect("utf-8"))
            + "now = 1767225600\n[[case]]\nname = \"wrong on purpose\"\nmethod = \"GET\"\npath = \"/health\"\nexpect = \"403\"\nreason = \"ip_blocked\"\n\
         [[case]]\nname = \"right\"\nmethod = \"GET\"\npath = \"/health\"\nexpect = \"allow\"\nreason = \"public\"\nrule = \"public-docs\"\n",
    )
    .expect("write");
    let (code, out, _) = run(&["test", "policies/edge-api.toml", cases.to_str().expect("utf-8")]);
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("FAIL"), "{out}");
    assert!(out.contains("expected 403 ip_blocked, got 200 public"), "{out}");
    assert!(out.contains("rule: expected \"public-docs\", got \"health\""), "{out}");
    assert!(out.trim_end().ends_with("0 passed, 2 failed"), "{out}");
    let (code, out, _) = run(&["test", "policies/edge-api.toml", cases.to_str().expect("utf-8"), "--json"]);
    assert_eq!(code, 4);
    let j: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(keys_of(&j), ["ok", "passed", "failed", "cases"]);
    assert_eq!(
        keys_of(&j["cases"][0]),
        [
            "name",
            "method",
            "path",
            "ip",
            "credential",
            "expected_status",
            "expected_reason",
            "actual",
            "pass",
            "mismatches"
        ]
    );
    assert_eq!(keys_of(&j["cases"][0]["actual"]).len(), 10);
    assert_eq!(j["ok"], false);
    assert_eq!(j["failed"], 2);
    assert_eq!(j["cases"][0]["actual"]["reason"], "public");
}

#[test]
fn an_invalid_case_file_is_an_input_error_with_a_position() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = dir.path().join("c.toml");
    std::fs::write(&cases, "now = 1\n[[case]]\nname = \"x\"\nmethod = \"GET\"\npath = \"/\"\nexpect = \"allow\"\nreason = \"public\"\nexpcet = 1\n")
        .expect("write");
    let (code, _, err) = run(&["test", "policies/edge-api.toml", cases.to_str().expect("utf-8")]);
    assert_eq!(code, 1);
    assert!(err.contains("unknown field `expcet`"), "{err}");
    assert!(err.contains("c.toml:8:1"), "{err}");
}

#[test]
fn keys_file_errors_have_positions_and_never_show_the_secret() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = dir.path().join("k.toml");
    std::fs::write(&keys, "[[key]]\nid = \"2026-q4\"\nsecret_hex = \"s3cr3t-not-hex\"\n").expect("write");
    let (code, _, err) = run(&[
        "eval",
        "policies/edge-api.toml",
        "--keys",
        keys.to_str().expect("utf-8"),
        "--method",
        "GET",
        "--path",
        "/health",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("k.toml:3:14"), "{err}");
    assert!(err.contains("is not hex"), "{err}");
    assert!(!err.contains("s3cr3t"), "secret leaked: {err}");
}

#[test]
fn missing_and_short_keys_are_named_by_id() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = dir.path().join("k.toml");
    std::fs::write(
        &keys,
        "[[key]]\nid = \"2026-q4\"\nsecret_hex = \"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"\n\
         [[key]]\nid = \"partner-hs384\"\nsecret_b64 = \"c2hvcnQ\"\n[[key]]\nid = \"ops-hs512\"\nsecret_b64 = \"c2hvcnQ\"\n",
    )
    .expect("write");
    let args = |k: &str| run(&["eval", "policies/edge-api.toml", "--keys", k, "--method", "GET", "--path", "/health"]);
    let (code, _, err) = args(keys.to_str().expect("utf-8"));
    assert_eq!(code, 1);
    assert!(err.contains("key `partner-hs384`") && err.contains("48 bytes"), "{err}");
    let (code, _, err) = run(&["eval", "policies/edge-api.toml", "--method", "GET", "--path", "/health"]);
    assert_eq!(code, 1);
    assert!(err.contains("key `2026-q4`") && err.contains("none was given: pass --keys FILE"), "{err}");
    assert!(!err.contains("the keys file has no secret"), "{err}");
}

#[test]
fn tokens_with_several_audiences_amr_and_no_kid_are_minted_and_checked() {
    let t = mint(&[
        "--kid",
        "ops-hs512",
        "--alg",
        "HS512",
        "--no-kid",
        "--sub",
        "ops",
        "--aud",
        "a",
        "--aud",
        "b",
        "--amr",
        "pwd",
        "--amr",
        "mfa",
        "--ttl",
        "15m",
    ]);
    let payload = t.split('.').nth(1).expect("payload");
    let json = base64_url_decode(payload);
    let claims: serde_json::Value = serde_json::from_slice(&json).expect("claims json");
    assert_eq!(claims["aud"], serde_json::json!(["a", "b"]));
    assert_eq!(claims["amr"], serde_json::json!(["pwd", "mfa"]));
    assert_eq!(claims["exp"], NOW + 900);
    let header: serde_json::Value =
        serde_json::from_slice(&base64_url_decode(t.split('.').next().expect("header"))).expect("header json");
    assert_eq!(header, serde_json::json!({"alg": "HS512", "typ": "JWT"}));
    // The key names no audience, so a token that names some is not for it (RFC 7519 §4.1.3).
    let auth = format!("Authorization: Bearer {t}");
    let (code, j) = eval_json(&["--method", "GET", "--path", "/api/x", "-H", &auth]);
    assert_eq!((code, j["reason"].as_str()), (2, Some("token_audience_mismatch")), "{j}");
    let t = mint(&["--kid", "ops-hs512", "--alg", "HS512", "--no-kid", "--sub", "ops", "--amr", "mfa"]);
    let auth = format!("Authorization: Bearer {t}");
    let (code, j) = eval_json(&["--method", "GET", "--path", "/api/x", "-H", &auth]);
    assert_eq!(code, 0, "{j}");
    assert_eq!(j["subject"], "ops");
}

fn base64_url_decode(s: &str) -> Vec<u8> {
    warden_cli::encoding::from_b64_any(s).expect("base64url")
}

/// A one-rule policy in a temp dir; returns the policy path.
fn temp_policy(dir: &std::path::Path, credentials: &str, key: &str, auth: &str) -> String {
    let p = dir.join("p.toml");
    std::fs::write(
        &p,
        format!(
            "version = 1\nname = \"t\"\n{key}\n{credentials}\n[[rule]]\nname = \"r\"\nmethods = [\"GET\"]\npath = \"/**\"\nauth = {auth}\n"
        ),
    )
    .expect("write policy");
    p.to_str().expect("utf-8").to_string()
}

#[test]
fn credential_new_makes_a_key_the_engine_accepts() {
    let (code, out, _) = run(&["credential", "new", "--id", "robot", "--roles", "a,b"]);
    assert_eq!(code, 0);
    let key = out.lines().find(|l| l.starts_with("wk_")).expect("key line").to_string();
    assert_eq!(key.len(), 3 + 43, "{key}");
    let policy_lines: String =
        out.lines().skip_while(|l| !l.starts_with("[[credential]]")).map(|l| format!("{l}\n")).collect();
    assert!(policy_lines.contains("roles = [\"a\", \"b\"]"), "{policy_lines}");
    assert!(!policy_lines.contains(&key), "the key must not be in the policy lines");
    let dir = tempfile::tempdir().expect("tempdir");
    let p = temp_policy(dir.path(), &policy_lines, "", "[\"api_key\"]");
    let header = format!("X-Api-Key: {key}");
    let (code, out, err) = run(&["eval", &p, "--method", "GET", "--path", "/x", "-H", &header, "--json"]);
    assert_eq!(code, 0, "{out} {err}");
    let j: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(j["subject"], "robot");
    assert_eq!(j["roles"], serde_json::json!(["a", "b"]));
    let (code, _, _) = run(&["eval", &p, "--method", "GET", "--path", "/x", "-H", "X-Api-Key: wk_other", "--json"]);
    assert_eq!(code, 2);
    let (_, again, _) = run(&["credential", "new", "--id", "robot"]);
    assert_ne!(again.lines().find(|l| l.starts_with("wk_")), Some(key.as_str()), "keys must be fresh");
}

#[test]
fn hash_password_makes_a_basic_credential_the_engine_accepts() {
    let (code, out, err) =
        run_with_stdin(&["credential", "hash-password", "--iterations", "1000", "--user", "ann"], "open sesame\n");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("$pbkdf2-sha256$i=1000$"), "{out}");
    assert!(!out.contains("open sesame"));
    let dir = tempfile::tempdir().expect("tempdir");
    let p = temp_policy(dir.path(), &format!("[[credential]]\nid = \"ann\"\n{out}"), "", "[\"basic\"]");
    let basic = |pw: &str| {
        use base64::Engine as _;
        format!("Authorization: Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("ann:{pw}")))
    };
    let (code, out, _) = run(&["eval", &p, "--method", "GET", "--path", "/", "-H", &basic("open sesame"), "--json"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("\"subject\":\"ann\""), "{out}");
    let (code, out, _) = run(&["eval", &p, "--method", "GET", "--path", "/", "-H", &basic("open sesame!"), "--json"]);
    assert_eq!(code, 2);
    assert!(out.contains("credentials_invalid"), "{out}");
}

#[test]
fn hash_password_takes_nothing_from_argv_and_refuses_an_empty_password() {
    assert_eq!(run(&["credential", "hash-password", "hunter2"]).0, 1);
    let (code, _, err) = run_with_stdin(&["credential", "hash-password"], "\n");
    assert_eq!(code, 1);
    assert!(err.contains("empty password"), "{err}");
}

#[test]
fn key_new_makes_a_keys_file_that_signs_and_verifies() {
    for (alg, len) in [("HS256", 32usize), ("HS384", 48), ("HS512", 64)] {
        let (code, out, _) = run(&["key", "new", "--alg", alg, "--id", "fresh"]);
        assert_eq!(code, 0);
        let dir = tempfile::tempdir().expect("tempdir");
        let keys = dir.path().join("k.toml");
        std::fs::write(&keys, &out).expect("write keys");
        let ring = warden_cli::keys::parse(&out).expect("valid keys file");
        assert_eq!(ring.get("fresh").map(<[u8]>::len), Some(len));
        let k = keys.to_str().expect("utf-8");
        let p = temp_policy(dir.path(), "", &format!("[[key]]\nid = \"fresh\"\nalg = \"{alg}\""), "[\"bearer\"]");
        let (code, token, err) = run(&["token", "mint", "--keys", k, "--kid", "fresh", "--alg", alg, "--sub", "s"]);
        assert_eq!(code, 0, "{err}");
        let auth = format!("Authorization: Bearer {}", token.trim());
        let (code, out, _) = run(&["eval", &p, "--keys", k, "--method", "GET", "--path", "/", "-H", &auth, "--json"]);
        assert_eq!(code, 0, "{alg}: {out}");
    }
}

#[test]
fn usage_errors_exit_1_and_help_exits_0() {
    assert_eq!(run(&[]).0, 1);
    assert_eq!(run(&["frobnicate"]).0, 1);
    assert_eq!(run(&["eval", "policies/edge-api.toml"]).0, 1, "missing --method/--path");
    assert_eq!(run(&["key", "new", "--alg", "RS999"]).0, 1);
    assert_eq!(run(&["token", "mint", "--keys", "x", "--kid", "k", "--sub", "s", "--ttl", "1w"]).0, 1);
    let (code, out, _) = run(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("compile"));
}

#[test]
fn inspect_shows_version_signature_sizes_tables_and_rules() {
    let (code, out, _) = run(&["inspect", "policies/edge-api.wdn"]);
    assert_eq!(code, 0);
    for needle in ["format version: 2", "signature:      unsigned", "body sha256:", "admin-console", "/admin/**"] {
        assert!(out.contains(needle), "{needle}: {out}");
    }
    let rules = out.lines().find(|l| l.trim_start().starts_with("rules ")).expect("rules table line");
    assert!(rules.contains(" 12 / "), "{rules}");
    let (_, out, _) = run(&["inspect", "policies/edge-api.signed.wdn", "--json"]);
    let j: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        keys_of(&j),
        [
            "format_version",
            "signature",
            "header_bytes",
            "body_bytes",
            "total_bytes",
            "body_sha256",
            "name",
            "realm",
            "tables",
            "keys",
            "credentials",
            "origins",
            "rules"
        ]
    );
    assert_eq!(j["signature"], "signed");
    assert_eq!(j["header_bytes"], 92);
    assert_eq!(keys_of(&j["tables"]), ["methods", "roles", "keys", "credentials", "ranges", "origins", "rules"]);
    assert_eq!(keys_of(&j["tables"]["rules"]), ["count", "capacity"]);
    assert_eq!(j["tables"]["rules"]["count"], 12);
    assert_eq!(j["rules"].as_array().map(Vec::len), Some(12));
    assert_eq!(
        keys_of(&j["rules"][0]),
        [
            "name",
            "methods",
            "path",
            "auth",
            "roles_any",
            "roles_all",
            "ip_allow",
            "ip_deny",
            "origins",
            "require_mfa",
            "max_auth_age_s"
        ]
    );
    assert_eq!(keys_of(&j["keys"][0]), ["id", "alg", "issuer", "audience", "roles_claim", "kty", "bits", "thumbprint"]);
    assert_eq!((&j["keys"][0]["kty"], &j["keys"][0]["bits"]), (&"hmac".into(), &serde_json::Value::Null));
    assert_eq!(keys_of(&j["credentials"][0]), ["id", "kind", "user", "iterations", "roles"]);
    assert!(!out.contains("dadc9de4"), "inspect must not print credential digests");
    let (_, out, _) = run(&["inspect", "policies/edge-api.wdn", "--json"]);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&out).expect("json")["signature"], "unsigned");
    // A verify key and an unsigned blob: a failure, so an {"error"} object.
    let (code, out, _) =
        run(&["inspect", "policies/edge-api.wdn", "--verify-key", "policies/edge-api.bundle-key.dev", "--json"]);
    assert_eq!(code, 1);
    let j: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(keys_of(&j), ["error"]);
    assert!(j["error"].as_str().expect("text").contains("not signed"), "{j}");
}

#[test]
fn compile_writes_beside_the_policy_and_refuses_a_short_sign_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("edge.toml");
    std::fs::copy(repo("policies/edge-api.toml"), &p).expect("copy");
    std::fs::copy(repo("policies/idp.jwks.json"), dir.path().join("idp.jwks.json")).expect("copy the JWK Set");
    let (code, _, err) = run(&["compile", p.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{err}");
    let blob = std::fs::read(dir.path().join("edge.wdn")).expect("default output");
    assert_eq!(blob, std::fs::read(repo("policies/edge-api.wdn")).expect("committed"));
    let key = dir.path().join("short.key");
    std::fs::write(&key, "00112233").expect("write");
    let (code, _, err) = run(&["compile", p.to_str().expect("utf-8"), "--sign-key", key.to_str().expect("utf-8")]);
    assert_eq!(code, 1);
    assert!(err.contains("at least 32"), "{err}");
}

#[test]
fn a_corrupt_blob_is_an_input_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("bad.wdn");
    let mut blob = std::fs::read(repo("policies/edge-api.wdn")).expect("blob");
    let last = blob.len() - 1;
    blob[last] ^= 1;
    std::fs::write(&p, &blob).expect("write");
    let (code, _, err) = run(&["inspect", p.to_str().expect("utf-8")]);
    assert_eq!(code, 1);
    assert!(err.contains("SHA-256"), "{err}");
    let (code, _, _) = run(&["eval", p.to_str().expect("utf-8"), "--method", "GET", "--path", "/health"]);
    assert_eq!(code, 1);
}

#[test]
fn mint_with_policy_takes_alg_issuer_audience_and_roles_claim_from_the_key() {
    // partner-hs384 is HS384, has an issuer and an audience, and reads roles from "groups":
    // without --policy each of these would have to be given by hand.
    let token =
        mint(&["--policy", "policies/edge-api.toml", "--kid", "partner-hs384", "--sub", "acme", "--roles", "partner"]);
    let header: serde_json::Value =
        serde_json::from_slice(&base64_url_decode(token.split('.').next().expect("header"))).expect("header json");
    assert_eq!(header["alg"], "HS384");
    let claims: serde_json::Value =
        serde_json::from_slice(&base64_url_decode(token.split('.').nth(1).expect("claims"))).expect("claims json");
    assert_eq!(claims["iss"], "https://partners.example.net");
    assert_eq!(claims["aud"], "edge-api-partners");
    assert_eq!(claims["groups"], serde_json::json!(["partner"]));
    assert_eq!(claims.get("roles"), None);
    let auth = format!("Authorization: Bearer {token}");
    let (code, j) = eval_json(&["--method", "GET", "--path", "/partners/acme/feed", "-H", &auth]);
    assert_eq!((code, &j["reason"], &j["subject"]), (0, &serde_json::json!("allowed"), &serde_json::json!("acme")));

    // Explicit flags still win over the policy's values (here: to make a bad token).
    let token = mint(&["--policy", "policies/edge-api.wdn", "--kid", "partner-hs384", "--sub", "acme", "--iss", "x"]);
    let auth = format!("Authorization: Bearer {token}");
    let (code, j) = eval_json(&["--method", "GET", "--path", "/partners/acme/feed", "-H", &auth]);
    assert_eq!((code, &j["reason"]), (2, &serde_json::json!("token_issuer_mismatch")));

    let (code, _, err) = run(&[
        "token",
        "mint",
        "--keys",
        "policies/edge-api.keys.toml",
        "--policy",
        "policies/edge-api.toml",
        "--kid",
        "nope",
        "--key",
        "2026-q4",
        "--sub",
        "s",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("has no key `nope`"), "{err}");
}

/// Runs a command that was given `--json` and parses its stdout as exactly one object.
fn json_of(args: &[&str], stdin: &str) -> (i32, serde_json::Value) {
    let (code, out, err) = run_with_stdin(args, stdin);
    assert_eq!(out.lines().count(), 1, "one line of JSON: {out:?} (stderr {err})");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out:?}"));
    assert!(j.is_object(), "{j}");
    (code, j)
}

#[test]
fn every_command_answers_json_with_one_object_errors_included() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("e.wdn");
    let out = out.to_str().expect("utf-8");

    let (code, j) = json_of(&["compile", "policies/edge-api.toml", "-o", out, "--json"], "");
    assert_eq!(code, 0);
    assert_eq!(keys_of(&j), ["ok", "output", "bytes", "signed", "body_sha256", "errors", "warnings"]);
    assert_eq!((&j["ok"], &j["output"], &j["signed"]), (&true.into(), &out.into(), &false.into()));
    let written = std::fs::read(out).expect("compiled file written");
    assert_eq!(j["bytes"], written.len());
    assert_eq!(written, std::fs::read(repo("policies/edge-api.wdn")).expect("committed blob"), "deterministic");

    let bad = repo("cli/tests/fixtures/error-cidr-malformed.toml");
    let bad_out = dir.path().join("bad.wdn");
    let (code, j) =
        json_of(&["compile", bad.to_str().expect("utf-8"), "-o", bad_out.to_str().expect("utf-8"), "--json"], "");
    assert_eq!(code, 1);
    assert_eq!((&j["ok"], &j["output"]), (&false.into(), &serde_json::Value::Null));
    assert_eq!(keys_of(&j), ["ok", "output", "bytes", "signed", "body_sha256", "errors", "warnings", "error"]);
    assert_eq!(j["errors"][0]["line"], 19);
    assert!(!bad_out.exists(), "nothing is written for a policy with errors");

    let (code, j) = json_of(&["credential", "new", "--id", "robot", "--roles", "a,b", "--json"], "");
    assert_eq!(code, 0);
    assert_eq!(keys_of(&j), ["id", "api_key", "api_key_sha256", "roles", "policy"]);
    let key = j["api_key"].as_str().expect("api_key");
    let digest = warden_cli::encoding::hex(&<sha2::Sha256 as sha2::Digest>::digest(key.as_bytes()));
    assert_eq!(j["api_key_sha256"], digest);
    assert!(j["policy"].as_str().expect("policy lines").contains(&digest));
    assert!(!j["policy"].as_str().expect("policy lines").contains(key));

    let (code, j) = json_of(&["credential", "hash-password", "--iterations", "1000", "--json"], "pw\n");
    assert_eq!(code, 0);
    assert_eq!(keys_of(&j), ["basic_password", "iterations", "basic_user"]);
    assert!(j["basic_password"].as_str().expect("hash").starts_with("$pbkdf2-sha256$i=1000$"), "{j}");
    assert_eq!(j["basic_user"], serde_json::Value::Null);

    let (code, j) = json_of(&["key", "new", "--alg", "HS512", "--id", "k", "--json"], "");
    assert_eq!(code, 0);
    assert_eq!(keys_of(&j), ["id", "alg", "secret_b64", "keys_file"]);
    let ring = warden_cli::keys::parse(j["keys_file"].as_str().expect("keys_file")).expect("valid keys file");
    assert_eq!(ring.get("k").map(<[u8]>::len), Some(64));

    let now = NOW.to_string();
    let (code, j) = json_of(
        &[
            "token",
            "mint",
            "--keys",
            "policies/edge-api.keys.toml",
            "--kid",
            "ops-hs512",
            "--alg",
            "HS512",
            "--sub",
            "ops",
            "--now",
            &now,
            "--ttl",
            "60",
            "--json",
        ],
        "",
    );
    assert_eq!(code, 0);
    assert_eq!(keys_of(&j), ["token", "header", "claims"]);
    assert_eq!(j["header"]["alg"], "HS512");
    assert_eq!(j["claims"]["exp"], NOW + 60);
    assert_eq!(j["token"].as_str().expect("token").split('.').count(), 3);

    for args in [
        &["compile", "missing.toml", "--json"][..],
        // Command lines clap refuses: a bad value, a bad duration, an unknown flag, a missing
        // argument, an unknown command.
        &["eval", "policies/edge-api.toml", "--method", "GET", "--path", "/", "--ip", "300.1.1.1", "--json"],
        &["token", "mint", "--keys", "k", "--kid", "k", "--sub", "s", "--ttl", "1y", "--json"],
        &["check", "policies/edge-api.toml", "--frobnicate", "--json"],
        &["eval", "policies/edge-api.toml", "--path", "/", "--json"],
        &["frobnicate", "--json"],
        &["inspect", "policies/edge-api.toml", "--json"],
        &["check", "cli/tests/fixtures/error-version.toml", "--json"],
        &["eval", "missing.toml", "--method", "GET", "--path", "/", "--json"],
        &["test", "missing.toml", "--json"],
        &["inspect", "missing.wdn", "--json"],
        &["token", "mint", "--keys", "missing.toml", "--kid", "k", "--sub", "s", "--json"],
    ] {
        let (code, j) = json_of(args, "");
        assert_eq!(code, 1, "{args:?}");
        let text = j["error"].as_str().unwrap_or_else(|| panic!("{args:?}: no error text in {j}"));
        assert!(!text.is_empty() && !text.contains('\n'), "{args:?}: {j}");
    }
    let (_, j) = json_of(&["eval", "policies/edge-api.toml", "--path", "/", "--json"], "");
    assert!(j["error"].as_str().expect("text").contains("--method"), "the missing argument is named: {j}");
    let (_, j) = json_of(&["eval", "x", "--method", "GET", "--path", "/", "--ip", "300.1.1.1", "--json"], "");
    assert!(j["error"].as_str().expect("text").contains("300.1.1.1"), "the bad value is named: {j}");
    let (_, j) = json_of(&["check", "cli/tests/fixtures/error-version.toml", "--json"], "");
    assert_eq!(keys_of(&j), ["ok", "errors", "warnings", "error"]);
    assert_eq!(keys_of(&j["errors"][0]), ["message", "file", "line", "column", "help"]);
    let (code, j) = json_of(&["check", "policies/edge-api.toml", "--json"], "");
    assert_eq!((code, keys_of(&j)), (0, vec!["ok".to_string(), "errors".into(), "warnings".into()]));

    let (code, j) = json_of(&["key", "bundle", "--json"], "");
    assert_eq!(code, 0);
    assert_eq!(keys_of(&j), ["secret_hex", "key_file", "output"]);
    assert_eq!(j["secret_hex"].as_str().expect("hex").len(), 64);
}

#[test]
fn bundle_keys_from_key_bundle_and_key_new_sign_and_verify() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = dir.path().join("bundle.key");
    let b = bundle.to_str().expect("utf-8");
    let (code, _, err) = run(&["key", "bundle", "-o", b]);
    assert_eq!(code, 0, "{err}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&bundle).expect("written").permissions().mode();
        assert_eq!(mode & 0o077, 0, "only the owner may read a signing key: {mode:o}");
    }
    assert_eq!(run(&["key", "bundle", "-o", b]).0, 1, "an existing key file is never overwritten");
    let (_, hmac_key, _) = run(&["key", "new", "--alg", "HS256", "--id", "bundle"]);
    let from_key_new = dir.path().join("from-key-new.toml");
    std::fs::write(&from_key_new, &hmac_key).expect("write");
    for key in [bundle.clone(), from_key_new] {
        let k = key.to_str().expect("utf-8");
        let out = dir.path().join("p.wdn");
        let o = out.to_str().expect("utf-8");
        let (code, _, err) = run(&["compile", "policies/edge-api.toml", "-o", o, "--sign-key", k]);
        assert_eq!(code, 0, "{k}: {err}");
        let (code, out, err) = run(&["inspect", o, "--verify-key", k, "--json"]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("\"signature\":\"verified\""), "{out}");
        // And the other key does not verify it.
        let (code, _, _) = run(&["inspect", o, "--verify-key", "policies/edge-api.bundle-key.dev"]);
        assert_eq!(code, 1);
    }
    let two = dir.path().join("two.toml");
    std::fs::write(&two, format!("{hmac_key}[[key]]\nid = \"x\"\nsecret_hex = \"{}\"\n", "ab".repeat(32)))
        .expect("write");
    let (code, _, err) =
        run(&["compile", "policies/edge-api.toml", "-o", "/dev/null", "--sign-key", two.to_str().expect("utf-8")]);
    assert_eq!(code, 1);
    assert!(err.contains("holds one key"), "{err}");
}

#[test]
fn check_prints_one_summary_line() {
    let (code, out, err) = run(&["check", "cli/tests/fixtures/warning-shadowed-rule.toml"]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(!err.contains("0 errors"), "no second summary on stderr: {err}");
    let (code, out, err) = run(&["check", "cli/tests/fixtures/error-version.toml"]);
    assert_eq!(code, 1);
    assert!(out.is_empty(), "{out}");
    assert_eq!(err.lines().filter(|l| l.contains("error") && l.contains("warning")).count(), 1, "{err}");
}

#[test]
fn the_test_table_shows_whole_names_the_ip_and_the_credential_kind() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = dir.path().join("c.toml");
    let keys = repo("policies/edge-api.keys.toml");
    let name = "a case name that is much longer than forty-four characters, in full";
    std::fs::write(
        &cases,
        format!(
            "keys = {:?}\nnow = 1767225600\n[[case]]\nname = \"{name}\"\nmethod = \"GET\"\npath = \"/metrics\"\nip = \"10.1.2.3\"\n\
             headers = {{ x-api-key = \"wk_nope\" }}\nexpect = \"401\"\nreason = \"credentials_invalid\"\n",
            keys.to_str().expect("utf-8")
        ),
    )
    .expect("write");
    let (code, out, _) = run(&["test", "policies/edge-api.toml", cases.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{out}");
    let head = out.lines().next().expect("header");
    assert!(head.contains("| ip ") && head.contains("| credential "), "{head}");
    let row = out.lines().nth(2).expect("row");
    assert!(row.starts_with(name), "{row}");
    assert!(row.contains("| 10.1.2.3 ") && row.contains("| api_key "), "{row}");
    let (_, out, _) = run(&["test", "policies/edge-api.toml", cases.to_str().expect("utf-8"), "--json"]);
    let j: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!((&j["cases"][0]["ip"], &j["cases"][0]["credential"]), (&"10.1.2.3".into(), &"api_key".into()));
}

#[test]
fn docs_and_output_stand_alone_without_the_spec() {
    for doc in [
        "README.md",
        "docs/policy.md",
        "docs/format.md",
        "docs/embedded.md",
        "SECURITY.md",
        "CONSTANT_TIME.md",
        "cli/src/explain.rs",
    ] {
        let text = std::fs::read_to_string(repo(doc)).expect("doc");
        assert!(!text.contains("SPEC"), "{doc} refers to a document users do not have");
    }
    let policy = std::fs::read_to_string(repo("docs/policy.md")).expect("policy.md");
    assert!(policy.contains("## How a request is decided") && policy.contains("### CORS preflight"));
    let (_, out, _) = eval_example(&["--method", "GET", "--path", "/health", "--explain"]);
    assert!(out.contains("docs/policy.md") && !out.contains("SPEC") && !out.contains('§'), "{out}");
    for cmd in [&["--help"][..], &["eval", "--help"], &["check", "--help"], &["key", "bundle", "--help"]] {
        let (_, out, _) = run(cmd);
        assert!(!out.contains("SPEC"), "{cmd:?}: {out}");
    }
}

#[test]
fn a_firmware_builds_capacities_are_checked_before_flashing() {
    let firmware = repo("examples/cortex-m/.cargo/config.toml");
    let firmware = firmware.to_str().expect("UTF-8 path");
    // The example policy fits the firmware it is flashed into.
    let (code, _, err) = run(&["check", "policies/edge-api.toml", "--capacities", firmware]);
    assert_eq!(code, 0, "{err}");
    // A 19-rule policy compiles for this build and is refused for a WARDEN_MAX_RULES=16 one,
    // with the capacity, the need and the limit.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::from("version = 1\nname = \"gw\"\n");
    for i in 0..19 {
        text.push_str(&format!("[[rule]]\nname = \"r{i}\"\nmethods = [\"GET\"]\npath = \"/p{i}\"\nauth = []\n"));
    }
    let policy = dir.path().join("gw.toml");
    std::fs::write(&policy, text).expect("write");
    let policy = policy.to_str().expect("UTF-8 path");
    assert_eq!(run(&["check", policy]).0, 0);
    let (code, _, err) = run(&["check", policy, "--capacities", firmware]);
    assert_eq!(code, 1, "{err}");
    // miette wraps long lines: compare the words.
    let words = err.split_whitespace().filter(|w| *w != "│").collect::<Vec<_>>().join(" ");
    assert!(words.contains("the policy needs 19, WARDEN_MAX_RULES there is 16"), "{err}");
    let out = dir.path().join("gw.wdn");
    let out = out.to_str().expect("UTF-8 path");
    let (code, json, _) = run(&["compile", policy, "-o", out, "--capacities", firmware, "--json"]);
    assert_eq!(code, 1);
    let j: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(j["ok"], false);
    assert!(j["errors"][0]["message"].as_str().is_some_and(|m| m.contains("WARDEN_MAX_RULES there is 16")), "{j}");
    assert!(!std::path::Path::new(out).exists(), "nothing written");
    // A file the build would refuse is refused too.
    let bad = dir.path().join("config.toml");
    std::fs::write(&bad, "[env]\nWARDEN_MAX_RULES = \"2000\"\n").expect("write");
    let (code, _, err) = run(&["check", policy, "--capacities", bad.to_str().expect("UTF-8 path")]);
    assert_eq!(code, 1);
    assert!(err.contains("WARDEN_MAX_RULES = \"2000\" is not a number in 1..=1024"), "{err}");
}

#[test]
fn only_token_mint_reads_the_private_jwks_of_a_keys_file() {
    // A keys file installed beside a policy on a server may name dev private keys that were not
    // installed: eval and test need the HMAC secrets only; token mint says what is missing.
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = dir.path().join("keys.toml");
    let text = std::fs::read_to_string(repo("policies/edge-api.keys.toml")).expect("keys");
    assert!(text.contains("private_jwks = [\"idp.dev-private.jwks.json\"]"));
    std::fs::write(&keys, &text).expect("write keys");
    let keys = keys.to_str().expect("utf-8");
    let (code, out, err) =
        run(&["eval", "policies/edge-api.wdn", "--keys", keys, "--method", "GET", "--path", "/health", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, _, err) = run(&[
        "token",
        "mint",
        "--keys",
        keys,
        "--policy",
        "policies/edge-api.toml",
        "--kid",
        "idp-es256",
        "--sub",
        "s",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("idp.dev-private.jwks.json"), "{err}");
}
