//! Published test vectors through the engine's own code paths.

#![allow(clippy::unwrap_used, clippy::std_instead_of_core, reason = "test code")]

mod common;

use common::*;
use warden::policy::{Alg, KeySpec, PublicKey};
use warden::{Engine, KeyMaterial};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

#[test]
fn rfc_4231_test_cases_1_to_7_for_hs256_hs384_hs512() {
    let data = include_str!("data/rfc4231.txt");
    let mut checked = 0;
    for line in data.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let f: Vec<&str> = line.split(' ').collect();
        let alg = Alg::from_name(f[1].as_bytes()).unwrap();
        let (tag, len) = warden::internal::hmac(alg, &hex(f[2]), &hex(f[3]));
        assert_eq!(len, alg.output_len());
        let want = hex(f[4]);
        assert_eq!(&tag[..want.len()], &want[..], "RFC 4231 case {} {}", f[0], f[1]);
        checked += 1;
    }
    assert_eq!(checked, 21);
}

/// RFC 7515 Appendix A.1: the HS256 example, with its JWK `k` as the key.
#[test]
fn rfc_7515_appendix_a1_verifies_before_exp_and_is_expired_after() {
    const TOKEN: &str = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const K: &str = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
    use base64ct::{Base64UrlUnpadded, Encoding};
    let key = Base64UrlUnpadded::decode_vec(K).unwrap();
    let mut body = body();
    body.keys = [KeySpec {
        id: "rfc7515",
        alg: Alg::Hs256,
        issuer: Some("joe"),
        audience: None,
        roles_claim: "roles",
        public_key: PublicKey::Secret,
    }]
    .into_iter()
    .collect();
    body.rules[4].roles_any = warden::policy::RoleSet::EMPTY;
    let blob = blob_of(&body, None);
    let e = Engine::load(&blob, &[KeyMaterial { id: "rfc7515", secret: &key }]).unwrap();
    let exp = 1_300_819_380;
    let o = req("GET", "/items/1").bearer(TOKEN).now(exp - 61).eval(&e);
    assert_eq!((o.status, o.reason, o.subject), (200, "allowed", None));
    let o = req("GET", "/items/1").bearer(TOKEN).now(exp + 60).eval(&e);
    assert_eq!(o.reason, "token_expired");
    // Re-encoding the header canonically breaks the MAC: bytes are verified as received.
    let canonical = TOKEN.replacen(
        TOKEN.split('.').next().unwrap(),
        &Base64UrlUnpadded::encode_string(br#"{"typ":"JWT","alg":"HS256"}"#),
        1,
    );
    assert_eq!(req("GET", "/items/1").bearer(&canonical).now(exp - 61).eval(&e).reason, "token_bad_signature");
}

#[test]
fn rfc_7617_basic_example_credentials_decode() {
    // RFC 7617 §2: "Aladdin:open sesame" is QWxhZGRpbjpvcGVuIHNlc2FtZQ== (unknown user here).
    let blob = blob();
    let e = engine(&blob);
    let o = req("GET", "/items/1").header("authorization", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==").eval(&e);
    assert_eq!(o.reason, "credentials_invalid");
    assert_eq!(basic("Aladdin", "open sesame"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
}
