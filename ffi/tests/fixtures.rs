//! Fixtures of the C tests that C cannot make itself: compiled policies whose body breaks an
//! invariant of the format yet carries a correct digest. Generated from the example policy
//! with the core's own encoder; regenerate with
//! `WARDEN_BLESS=1 cargo test -p warden-ffi --test fixtures`.

use std::path::Path;

const BLOB: &[u8] = include_bytes!("../../policies/edge-api.wdn");

/// Whether the committed fixture equals `bytes` (after writing it, when blessing).
fn current(name: &str, bytes: &[u8]) -> std::io::Result<bool> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c/fixtures").join(name);
    if std::env::var_os("WARDEN_BLESS").is_some() {
        std::fs::write(&path, bytes)?;
    }
    Ok(std::fs::read(&path)? == bytes)
}

#[test]
#[cfg_attr(miri, ignore = "file system access")]
fn policy_invalid_fixture_has_two_rules_with_one_name() {
    let (_, mut body) = warden::blob::decode_body(BLOB).expect("the example decodes");
    body.rules[1].name = body.rules[0].name;
    let mut out = vec![0u8; BLOB.len() + 64];
    let n = warden::blob::encode(&body, None, &mut out).expect("encodes");
    out.truncate(n);
    assert!(matches!(warden::Engine::load(&out, &[]), Err(warden::LoadError::Invalid(_))));
    assert!(
        current("policy-invalid.wdn", &out).expect("read the fixture"),
        "policy-invalid.wdn is stale; regenerate with WARDEN_BLESS=1 cargo test -p warden-ffi --test fixtures"
    );
}
