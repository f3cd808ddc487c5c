//! Golden test: every `policies/*.toml` policy recompiles to its committed `.wdn` byte for
//! byte (and, where a dev bundle key sits beside it, to its committed `.signed.wdn`).
//!
//! After an intended change of the compiler or the format, regenerate them with
//! `WARDEN_BLESS=1 cargo test -p warden-cli --test golden` and commit the result.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::std_instead_of_core, reason = "test code")]

mod common;

use std::path::{Path, PathBuf};

const BLESS: &str = "WARDEN_BLESS=1 cargo test -p warden-cli --test golden";

fn policies() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(common::repo("policies"))
        .expect("policies/ exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.ends_with(".toml") && !name.ends_with(".keys.toml") && !name.ends_with(".cases.toml")
        })
        .collect();
    v.sort();
    v
}

fn compile(policy: &Path, sign_key: Option<&[u8]>) -> Vec<u8> {
    let text = std::fs::read_to_string(policy).expect("read policy");
    let out = warden_cli::compile::compile_at(&text, policy);
    let compiled =
        out.compiled.unwrap_or_else(|| panic!("{} does not compile: {:#?}", policy.display(), out.diagnostics));
    compiled.encode(sign_key).expect("encode")
}

fn check(expected_path: &Path, fresh: &[u8], failures: &mut Vec<String>) {
    if std::env::var_os("WARDEN_BLESS").is_some() {
        std::fs::write(expected_path, fresh).expect("write blessed blob");
        return;
    }
    match std::fs::read(expected_path) {
        Ok(committed) if committed == fresh => {}
        Ok(committed) => failures.push(format!(
            "{} differs from a fresh compile ({} committed bytes, {} fresh)",
            expected_path.display(),
            committed.len(),
            fresh.len()
        )),
        Err(e) => failures.push(format!("{}: {e}", expected_path.display())),
    }
}

#[test]
fn committed_blobs_match_a_fresh_compile() {
    let all = policies();
    assert!(!all.is_empty(), "no policies found");
    let mut failures = Vec::new();
    for policy in &all {
        let stem = policy.file_stem().and_then(|s| s.to_str()).expect("UTF-8 name").to_string();
        check(&policy.with_file_name(format!("{stem}.wdn")), &compile(policy, None), &mut failures);
        let key_file = policy.with_file_name(format!("{stem}.bundle-key.dev"));
        if key_file.exists() {
            let key = warden_cli::bundle::read_bundle_key(&key_file).expect("dev bundle key");
            check(&policy.with_file_name(format!("{stem}.signed.wdn")), &compile(policy, Some(&key)), &mut failures);
        }
    }
    assert!(
        failures.is_empty(),
        "\n{}\n\nIf the change is intended, regenerate with:\n    {BLESS}\n",
        failures.join("\n")
    );
}

#[test]
fn the_compiler_is_deterministic() {
    for policy in policies() {
        assert_eq!(compile(&policy, None), compile(&policy, None), "{}", policy.display());
    }
}

#[test]
fn the_committed_signed_blob_verifies_only_with_its_key() {
    let (code, out, _) = common::run(&[
        "inspect",
        "policies/edge-api.signed.wdn",
        "--verify-key",
        "policies/edge-api.bundle-key.dev",
        "--json",
    ]);
    assert_eq!(code, 0);
    let j: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(j["signature"], "verified");
    let dir = tempfile::tempdir().expect("tempdir");
    let other = dir.path().join("other.key");
    std::fs::write(&other, "00".repeat(32)).expect("write key");
    let (code, _, err) =
        common::run(&["inspect", "policies/edge-api.signed.wdn", "--verify-key", other.to_str().expect("utf-8")]);
    assert_eq!(code, 1);
    assert!(err.contains("does not verify with the given key"), "{err}");
    let (code, out, _) = common::run(&[
        "inspect",
        "policies/edge-api.signed.wdn",
        "--verify-key",
        other.to_str().expect("utf-8"),
        "--json",
    ]);
    assert_eq!(code, 1);
    let j: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert!(j["error"].as_str().expect("error").contains("does not verify"), "{out}");
}

#[test]
fn the_hmac_only_example_is_the_example_less_its_jwk_set() {
    // policies/edge-api-hmac.toml is a copy of edge-api.toml for the firmware's HMAC-only size
    // builds: it must stay that copy (name aside) as the example grows, or the flash figures
    // measure a different policy.
    let read = |name: &str| -> toml::Table {
        toml::from_str(&std::fs::read_to_string(common::repo(&format!("policies/{name}"))).expect("read"))
            .expect("toml")
    };
    let mut full = read("edge-api.toml");
    let mut hmac = read("edge-api-hmac.toml");
    let keys = full.get_mut("key").and_then(toml::Value::as_array_mut).expect("[[key]] tables");
    let before = keys.len();
    keys.retain(|k| k.get("jwks").is_none());
    assert!(keys.len() < before, "edge-api.toml has a JWK Set key");
    for t in [&mut full, &mut hmac] {
        t.remove("name");
    }
    assert_eq!(hmac, full, "edge-api-hmac.toml differs from edge-api.toml beyond its JWK Set key and name");
}
