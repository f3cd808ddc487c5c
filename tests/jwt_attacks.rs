//! JWT attack catalogue (RFC 8725 and the JWT CVE history): every token gets a decision with
//! the right reason, and none panics.

#![allow(clippy::unwrap_used, clippy::std_instead_of_core, reason = "test code")]

mod common;

use base64ct::{Base64UrlUnpadded, Encoding};
use common::*;
use warden::policy::Alg;

const H256: &str = r#"{"alg":"HS256","typ":"JWT","kid":"k256"}"#;

fn claims(extra: &str) -> String {
    format!(r#"{{"sub":"alice","iss":"{ISSUER}","aud":"edge-api","roles":["reader"],"exp":{}{extra}}}"#, NOW + 600)
}

fn reason(token: &str) -> &'static str {
    let blob = blob();
    let e = engine(&blob);
    req("GET", "/items/1").bearer(token).eval(&e).reason
}

fn unsigned(header: &str, claims: &str) -> String {
    format!(
        "{}.{}.",
        Base64UrlUnpadded::encode_string(header.as_bytes()),
        Base64UrlUnpadded::encode_string(claims.as_bytes())
    )
}

#[test]
fn the_baseline_token_is_allowed() {
    assert_eq!(reason(&jws(Alg::Hs256, H256, &claims(""), SECRET_256)), "allowed");
}

#[test]
fn alg_none_in_any_spelling_is_rejected() {
    for alg in ["none", "None", "NONE", "nOnE", ""] {
        let h = format!(r#"{{"alg":"{alg}","kid":"k256"}}"#);
        assert_eq!(reason(&unsigned(&h, &claims(""))), "token_algorithm_rejected", "{alg}");
        let h = format!(r#"{{"alg":"{alg}"}}"#);
        assert_eq!(reason(&unsigned(&h, &claims(""))), "token_algorithm_rejected", "{alg} without kid");
    }
    for alg in ["RS256", "ES256", "hs256", "HS256 "] {
        let h = format!(r#"{{"alg":"{alg}","kid":"k256"}}"#);
        assert_eq!(reason(&jws(Alg::Hs256, &h, &claims(""), SECRET_256)), "token_algorithm_rejected", "{alg}");
    }
}

#[test]
fn algorithm_switching_is_rejected() {
    let h = r#"{"alg":"HS512","kid":"k256"}"#;
    assert_eq!(reason(&jws(Alg::Hs512, h, &claims(""), SECRET_256)), "token_algorithm_rejected");
}

#[test]
fn signature_tampering_is_bad_signature() {
    let good = jws(Alg::Hs256, H256, &claims(""), SECRET_256);
    let (input, sig) = good.rsplit_once('.').unwrap();
    assert_eq!(reason(&format!("{input}.")), "token_bad_signature", "empty signature");
    assert_eq!(reason(&format!("{input}.{}", &sig[..20])), "token_bad_signature", "truncated");
    assert_eq!(reason(&format!("{input}.{sig}{sig}")), "token_bad_signature", "over-long");
    let other = jws(Alg::Hs256, H256, &claims(""), b"a-different-secret-of-enough-len!!");
    assert_eq!(reason(&other), "token_bad_signature", "another key");
    let tampered = jws(Alg::Hs256, H256, &claims(""), SECRET_256);
    let (h, rest) = tampered.split_once('.').unwrap();
    let (_, s) = rest.split_once('.').unwrap();
    let forged_payload = Base64UrlUnpadded::encode_string(claims("").replace("reader", "admin").as_bytes());
    assert_eq!(reason(&format!("{h}.{forged_payload}.{s}")), "token_bad_signature", "tampered payload");
    // Flip each bit of the signature's last byte.
    let mut raw = Base64UrlUnpadded::decode_vec(sig).unwrap();
    for bit in 0..8 {
        raw[31] ^= 1 << bit;
        assert_eq!(reason(&format!("{input}.{}", Base64UrlUnpadded::encode_string(&raw))), "token_bad_signature");
        raw[31] ^= 1 << bit;
    }
}

#[test]
fn encoding_attacks_are_malformed() {
    let good = jws(Alg::Hs256, H256, &claims(""), SECRET_256);
    let malformed = [
        format!("{good}="),
        format!("{good}.extra"),
        good.replacen('.', "..", 1),
        good.replace('-', "+").replace('_', "/") + "*",
        "a.b.c.d.e".to_string(),
        format!(".{}", good.split_once('.').unwrap().1),
        "a".repeat(7000),
        good.replacen('e', "é", 1),
        format!("{}=.{}", good.split_once('.').unwrap().0, good.split_once('.').unwrap().1),
    ];
    for t in &malformed {
        assert_eq!(reason(t), "credentials_malformed", "{t}");
    }
}

#[test]
fn hostile_json_is_malformed() {
    let deep = format!(r#"{{"sub":"a","exp":{},"x":{}1{}}}"#, NOW + 60, "[".repeat(64), "]".repeat(64));
    let cases = [
        claims(r#","exp":1"#),
        format!(r#"{{"sub":"a","exp":"{}"}}"#, NOW + 600),
        format!(r#"{{"sub":"a","exp":-{}.5}}"#, NOW + 600),
        r#"{"sub":"a","exp":-1}"#.to_string(),
        r#"{"sub":"a","exp":18446744073709551616}"#.to_string(),
        r#"{"sub":"a","exp":1e16}"#.to_string(),
        r#"{"sub":"a","exp":null}"#.to_string(),
        r#"{"sub":"a"}"#.to_string(),
        claims(r#","aud":5"#),
        deep,
        "not json".to_string(),
        "[1,2]".to_string(),
    ];
    for c in &cases {
        assert_eq!(reason(&jws(Alg::Hs256, H256, c, SECRET_256)), "credentials_malformed", "{c}");
    }
    let dup_header = r#"{"alg":"HS256","alg":"none","kid":"k256"}"#;
    assert_eq!(reason(&jws(Alg::Hs256, dup_header, &claims(""), SECRET_256)), "credentials_malformed");
    let crit = r#"{"alg":"HS256","kid":"k256","crit":["exp"]}"#;
    assert_eq!(reason(&jws(Alg::Hs256, crit, &claims(""), SECRET_256)), "credentials_malformed");
}

#[test]
fn audience_edge_cases() {
    assert_eq!(
        reason(&jws(Alg::Hs256, H256, &claims("").replace(r#""aud":"edge-api","#, ""), SECRET_256)),
        "token_audience_mismatch"
    );
    let with = |aud: &str| claims("").replace(r#""aud":"edge-api""#, &format!(r#""aud":{aud}"#));
    assert_eq!(reason(&jws(Alg::Hs256, H256, &with("[]"), SECRET_256)), "token_audience_mismatch");
    assert_eq!(reason(&jws(Alg::Hs256, H256, &with(r#"[""]"#), SECRET_256)), "token_audience_mismatch");
    assert_eq!(reason(&jws(Alg::Hs256, H256, &with(r#""EDGE-API""#), SECRET_256)), "token_audience_mismatch");
    assert_eq!(reason(&jws(Alg::Hs256, H256, &with(r#"["a","edge-api"]"#), SECRET_256)), "allowed");
}

#[test]
fn kid_is_only_a_table_lookup() {
    for kid in ["../../dev/null", "' OR 1=1 --", &"k".repeat(300), ""] {
        let h = format!(r#"{{"alg":"HS256","kid":{}}}"#, serde_escape(kid));
        assert_eq!(reason(&jws(Alg::Hs256, &h, &claims(""), SECRET_256)), "token_unknown_key", "{kid}");
    }
    // Embedded keys are ignored, not trusted.
    let h = r#"{"alg":"HS256","kid":"k256","jwk":{"kty":"oct","k":"AAAA"},"jku":"https://evil/"}"#;
    assert_eq!(reason(&jws(Alg::Hs256, h, &claims(""), SECRET_256)), "allowed");
}

fn serde_escape(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

#[test]
fn time_arithmetic_does_not_overflow() {
    let blob = blob();
    let e = engine(&blob);
    let t = jws(
        Alg::Hs256,
        H256,
        &format!(
            r#"{{"sub":"a","iss":"{ISSUER}","aud":"edge-api","roles":["reader"],"exp":9007199254740991,"iat":0}}"#
        ),
        SECRET_256,
    );
    assert_eq!(req("GET", "/items/1").bearer(&t).now(u64::MAX).eval(&e).reason, "token_expired");
    assert_eq!(req("GET", "/items/1").bearer(&t).now(9007199254740991 + 59).eval(&e).reason, "allowed");
    assert_eq!(req("GET", "/items/1").bearer(&t).now(9007199254740991 + 60).eval(&e).reason, "token_expired");
    assert_eq!(req("GET", "/items/1").bearer(&t).now(0).eval(&e).reason, "allowed");
}
