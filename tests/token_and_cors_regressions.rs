//! Regression tests for the token, credential and CORS disagreements of issue 11: where
//! Warden decided otherwise than RFC 7519, RFC 9470, RFC 9110, the Fetch standard and the JWT
//! libraries and browsers in front of it. Each test reproduces one class, named for the rule
//! it pins (two of them were authorization bypasses).

#![allow(clippy::unwrap_used, clippy::std_instead_of_core, reason = "test code")]

mod common;

use common::*;
use warden::policy::Alg;

const H512: &str = r#"{"alg":"HS512","kid":"k512"}"#;

/// An HS512 token of key `k512` (no `audience`, no `issuer` configured) with these claims.
fn k512(claims: &str) -> String {
    jws(Alg::Hs512, H512, claims, SECRET_512)
}

/// A step-up token of key `k256` (role admin, `amr` mfa) with these extra claims; `iat` and
/// `exp` as given (JSON number text).
fn step_up(iat: &str, exp: &str, extra: &str) -> String {
    let claims = format!(
        r#"{{"sub":"alice","iss":"{ISSUER}","aud":"edge-api","roles":["admin"],"amr":["pwd","mfa"],"iat":{iat},"exp":{exp}{extra}}}"#
    );
    jws(Alg::Hs256, r#"{"alg":"HS256","kid":"k256"}"#, &claims, SECRET_256)
}

fn k256_dates(iat: &str, nbf: Option<&str>, exp: &str) -> String {
    let nbf = nbf.map(|n| format!(r#","nbf":{n}"#)).unwrap_or_default();
    let claims = format!(
        r#"{{"sub":"alice","iss":"{ISSUER}","aud":"edge-api","roles":["reader"],"iat":{iat}{nbf},"exp":{exp}}}"#
    );
    jws(Alg::Hs256, r#"{"alg":"HS256","kid":"k256"}"#, &claims, SECRET_256)
}

fn items(token: &str) -> Outcome {
    let blob = blob();
    req("GET", "/items/1").bearer(token).eval(&engine(&blob))
}

/// Bypass 3 of issue 11: a token minted for another service (its `aud`) was accepted by every
/// service holding a key without `audience`. RFC 7519 §4.1.3: a present `aud` the recipient
/// does not identify with MUST be rejected.
#[test]
fn aud_on_a_key_without_audience_is_an_audience_mismatch() {
    let blob = blob();
    let e = engine(&blob);
    let exp = NOW + 600;
    let echo = |claims: String| req("GET", "/echo/x").bearer(&k512(&claims)).eval(&e);
    for aud in [r#""billing-service""#, r#"["billing-service"]"#, r#"["billing-service","other"]"#, "[]", r#""""#] {
        let o = echo(format!(r#"{{"sub":"mallory","aud":{aud},"exp":{exp}}}"#));
        assert_eq!((o.status, o.reason), (401, "token_audience_mismatch"), "aud {aud}");
        assert!(o.challenges[0].contains("the token audience is not accepted"), "{:?}", o.challenges);
    }
    // Absent, or `null` (how libraries write a claim they do not have): no audience to refuse.
    for claims in [format!(r#"{{"sub":"ops","exp":{exp}}}"#), format!(r#"{{"sub":"ops","aud":null,"exp":{exp}}}"#)] {
        let o = echo(claims.clone());
        assert_eq!((o.status, o.reason, o.subject.as_deref()), (200, "allowed", Some("ops")), "{claims}");
    }
    // A key with an audience: an empty array names none, so it is not the key's either.
    let claims = format!(r#"{{"sub":"alice","iss":"{ISSUER}","aud":[],"roles":["reader"],"exp":{exp}}}"#);
    let o = items(&jws(Alg::Hs256, r#"{"alg":"HS256","kid":"k256"}"#, &claims, SECRET_256));
    assert_eq!(o.reason, "token_audience_mismatch");
}

/// Without `kid`, every key of the token's algorithm is tried and the claims rules of the key
/// that verified apply: an `aud` is then refused by that key even though another key of the
/// policy could have had an audience.
#[test]
fn aud_without_kid_is_checked_by_the_key_that_verified() {
    let claims = format!(r#"{{"sub":"mallory","aud":"billing-service","exp":{}}}"#, NOW + 600);
    let t = jws(Alg::Hs512, r#"{"alg":"HS512"}"#, &claims, SECRET_512);
    let blob = blob();
    assert_eq!(req("GET", "/echo/x").bearer(&t).eval(&engine(&blob)).reason, "token_audience_mismatch");
}

/// Bypass 4 of issue 11: a freshly issued token whose user authenticated four hours ago
/// passed a one-hour `max_auth_age_s`, because the age was measured from `iat`. RFC 9470 §4
/// (and OpenID Connect `max_age`) measure from `auth_time`; `iat` only stands in when the
/// token has no `auth_time`.
#[test]
fn max_auth_age_is_measured_from_auth_time() {
    let blob = blob();
    let e = engine(&blob);
    let danger = |t: &str| req("DELETE", "/admin/x").bearer(t).eval(&e);
    let now = NOW.to_string();
    let four_hours_ago = format!(r#","auth_time":{}"#, NOW - 4 * 3600);
    let o = danger(&step_up(&now, &(NOW + 600).to_string(), &four_hours_ago));
    assert_eq!((o.status, o.reason), (401, "auth_too_old"));
    assert!(o.challenges[0].ends_with("max_age=3600"), "{:?}", o.challenges);
    // A recent authentication in an older token is what counts.
    let recent = format!(r#","auth_time":{}"#, NOW - 1800);
    assert_eq!(danger(&step_up(&(NOW - 3000).to_string(), &(NOW + 600).to_string(), &recent)).reason, "allowed");
    // The age limit is inclusive, and `auth_time` is a NumericDate (floored like the others).
    let exactly = format!(r#","auth_time":{}"#, NOW - 3600);
    assert_eq!(danger(&step_up(&now, &(NOW + 600).to_string(), &exactly)).reason, "allowed");
    let just_over = format!(r#","auth_time":{}.999"#, NOW - 3601);
    assert_eq!(danger(&step_up(&now, &(NOW + 600).to_string(), &just_over)).reason, "auth_too_old");
    // No auth_time: iat stands in; neither: fail closed.
    assert_eq!(danger(&step_up(&(NOW - 7200).to_string(), &(NOW + 600).to_string(), "")).reason, "auth_too_old");
    let claims = format!(
        r#"{{"sub":"alice","iss":"{ISSUER}","aud":"edge-api","roles":["admin"],"amr":["mfa"],"exp":{}}}"#,
        NOW + 600
    );
    let no_dates = jws(Alg::Hs256, r#"{"alg":"HS256","kid":"k256"}"#, &claims, SECRET_256);
    assert_eq!(danger(&no_dates).reason, "auth_too_old");
}

/// `auth_time` later than now + leeway cannot be measured from: `auth_too_old` where an age is
/// required (within the leeway it counts as now). `null`, a string or a duplicate is malformed,
/// as for the other NumericDates.
#[test]
fn future_null_and_mistyped_auth_time() {
    let blob = blob();
    let e = engine(&blob);
    let danger = |extra: &str| {
        req("DELETE", "/admin/x").bearer(&step_up(&NOW.to_string(), &(NOW + 600).to_string(), extra)).eval(&e).reason
    };
    assert_eq!(danger(&format!(r#","auth_time":{}"#, NOW + 61)), "auth_too_old");
    assert_eq!(danger(&format!(r#","auth_time":{}"#, NOW + 60)), "allowed");
    for bad in ["null", r#""1800000000""#, "-1", "true", "[1800000000]"] {
        assert_eq!(danger(&format!(r#","auth_time":{bad}"#)), "credentials_malformed", "auth_time {bad}");
    }
    assert_eq!(danger(&format!(r#","auth_time":{NOW},"auth_\u0074ime":{NOW}"#)), "credentials_malformed");
    // A rule without max_auth_age_s does not read it, but a malformed claim is malformed anywhere.
    let t = token(&format!(r#","roles":["reader"],"auth_time":{}"#, NOW + 9999));
    assert_eq!(items(&t).reason, "allowed");
    assert_eq!(items(&token(r#","roles":["reader"],"auth_time":null"#)).reason, "credentials_malformed");
}

/// RFC 7519 §2: a NumericDate is a JSON number, "non-integer values can be represented";
/// PyJWT writes `time.time()` floats. Fractions and exponents are accepted and floored.
#[test]
fn numeric_dates_with_fractions_or_exponents_are_floored() {
    let iat = (NOW - 100).to_string();
    for exp in [
        format!("{}.123456", NOW + 600),
        format!("{}.5e0", NOW + 600),
        "1.8000006e9".to_string(),
        "18000006E+2".to_string(),
        "18000006000000e-4".to_string(),
        format!("{}.0", NOW + 600),
    ] {
        let o = items(&k256_dates(&iat, None, &exp));
        assert_eq!((o.status, o.reason), (200, "allowed"), "exp {exp}");
    }
    for iat in ["1799999900.9", "1.7999999e9", "0.0", "-0", "1e-5", "0e400"] {
        assert_eq!(items(&k256_dates(iat, None, &(NOW + 600).to_string())).reason, "allowed", "iat {iat}");
    }
    // Flooring, not rounding: exp = now − leeway + 0.9 is expired (exp ≤ now − leeway).
    assert_eq!(items(&k256_dates(&iat, None, &format!("{}.9", NOW - 60))).reason, "token_expired");
    assert_eq!(items(&k256_dates(&iat, None, &format!("{}.9", NOW - 59))).reason, "allowed");
    // nbf = now + leeway + 0.9 floors to now + leeway, which is not after it.
    let exp = (NOW + 600).to_string();
    assert_eq!(items(&k256_dates(&iat, Some(&format!("{}.9", NOW + 60)), &exp)).reason, "allowed");
    assert_eq!(items(&k256_dates(&iat, Some(&format!("{}.0", NOW + 61)), &exp)).reason, "token_not_yet_valid");
}

/// Negative, overflowing (non-finite as a double) and above 2^53 are malformed, and so is a
/// `null` `exp`, `nbf` or `iat`: RFC 7519 says each "MUST be a number".
#[test]
fn negative_huge_and_null_numeric_dates_are_malformed() {
    let iat = (NOW - 100).to_string();
    for exp in [
        "-1",
        "-0.5",
        "-1e-9",
        "9007199254740993",
        "9007199254740992.5",
        "1e16",
        "1e400",
        "1e999999999999999999999",
        "null",
    ] {
        assert_eq!(items(&k256_dates(&iat, None, exp)).reason, "credentials_malformed", "exp {exp}");
    }
    let exp = (NOW + 600).to_string();
    for bad in ["null", "-1", "1e309", r#""1""#] {
        assert_eq!(items(&k256_dates(bad, None, &exp)).reason, "credentials_malformed", "iat {bad}");
        assert_eq!(items(&k256_dates(&iat, Some(bad), &exp)).reason, "credentials_malformed", "nbf {bad}");
    }
    // 2^53 itself is the largest accepted value (it is not above 2^53): a date far in the future.
    assert_eq!(items(&k256_dates(&iat, None, "9007199254740992")).reason, "allowed");
    assert_eq!(items(&k256_dates(&iat, Some("9007199254740992"), &exp)).reason, "token_not_yet_valid");
}

/// A `sub` with a control byte or NUL (raw DEL, or any escape of 0x00–0x1F and 0x7F) is
/// malformed: C hosts read NUL-terminated strings and copy subjects into headers.
#[test]
fn sub_with_a_control_byte_or_nul_is_malformed() {
    for sub in [
        r#""a\u0000b""#,
        r#""\u001f""#,
        r#""\u007F""#,
        "\"a\x7fb\"",
        r#""a\nb""#,
        r#""a\r\nX-Warden-Roles: admin""#,
        r#""\t""#,
    ] {
        let claims =
            format!(r#"{{"sub":{sub},"iss":"{ISSUER}","aud":"edge-api","roles":["reader"],"exp":{}}}"#, NOW + 600);
        let o = items(&jws(Alg::Hs256, r#"{"alg":"HS256","kid":"k256"}"#, &claims, SECRET_256));
        assert_eq!((o.status, o.reason), (401, "credentials_malformed"), "sub {sub}");
    }
    for (sub, want) in [(r#""caf\u00e9 au lait""#, "café au lait"), (r#""a\/b""#, "a/b"), (r#""\u0080""#, "\u{80}")] {
        let claims =
            format!(r#"{{"sub":{sub},"iss":"{ISSUER}","aud":"edge-api","roles":["reader"],"exp":{}}}"#, NOW + 600);
        let o = items(&jws(Alg::Hs256, r#"{"alg":"HS256","kid":"k256"}"#, &claims, SECRET_256));
        assert_eq!((o.reason, o.subject.as_deref()), ("allowed", Some(want)), "sub {sub}");
    }
}

/// SPEC §5: `access-control-request-method` must be one RFC 9110 method token; a list, an
/// empty value or spaces are `no_matching_rule` and never reach allow-methods (a
/// `methods = ["*"]` rule echoed them).
#[test]
fn preflight_request_method_must_be_one_method_token() {
    let blob = blob();
    let e = engine(&blob);
    let preflight = |m: &str| {
        req("OPTIONS", "/echo/x")
            .header("origin", "https://console.example.com")
            .header("access-control-request-method", m)
            .eval(&e)
    };
    for bad in ["PATCH, DELETE", "PATCH,DELETE", "", "GET POST", "GET\tPOST", "GE(T", "GET\r\nX: y", "G\u{e9}T"] {
        let o = preflight(bad);
        assert_eq!((o.status, o.reason, o.allow_methods), (403, "no_matching_rule", None), "{bad:?}");
    }
    let o = preflight("PATCH");
    assert_eq!((o.reason, o.allow_methods.as_deref()), ("preflight", Some("PATCH")));
    // Header values are trimmed of surrounding spaces and tabs first (RFC 9110 §5.5).
    let o = preflight(" PATCH\t");
    assert_eq!((o.reason, o.allow_methods.as_deref()), ("preflight", Some("PATCH")));
    // Twice is never one method.
    let o = req("OPTIONS", "/echo/x")
        .header("origin", "https://console.example.com")
        .header("access-control-request-method", "GET")
        .header("access-control-request-method", "GET")
        .eval(&e);
    assert_eq!(o.reason, "no_matching_rule");
}

/// A request method that is not a token matches no rule either, `methods = ["*"]` included.
#[test]
fn a_method_that_is_not_a_token_matches_no_rule() {
    let blob = blob();
    let e = engine(&blob);
    let t = token("");
    for bad in ["", "GET POST", "PATCH, DELETE", "GET\0"] {
        let o = req(bad, "/echo/x").bearer(&t).eval(&e);
        assert_eq!((o.status, o.reason), (403, "method_not_allowed"), "{bad:?}");
    }
    assert_eq!(req("PROPFIND", "/echo/x").bearer(&t).eval(&e).reason, "allowed");
}

/// SPEC §5: hosts are read as browsers serialize them (WHATWG URL), and `_` is a valid host
/// character; such origins were never allowed and could not be listed.
#[test]
fn origins_with_underscores_in_the_host_are_valid() {
    use warden::origin::{is_valid_origin, parse_pattern};
    for good in ["https://my_app.example.com", "https://_dmarc.example.com", "http://a_b:8080", "https://_.example.com"]
    {
        assert!(is_valid_origin(good.as_bytes()), "{good}");
        assert!(parse_pattern(good).is_ok(), "{good}");
    }
    assert!(parse_pattern("https://*.my_corp.example.com").is_ok());
    let blob = blob();
    let o = req("GET", "/items/1")
        .header("x-api-key", API_KEY_READER)
        .header("origin", "https://my_app.example.com")
        .eval(&engine(&blob));
    assert_eq!((o.reason, o.cors_origin.as_deref()), ("allowed", Some("https://my_app.example.com")));
    // Still never an empty label, a space or a percent sign.
    for bad in ["https://a_.", "https://a b.example.com", "https://a%5fb.example.com", "https://_..example.com"] {
        assert!(!is_valid_origin(bad.as_bytes()), "{bad}");
    }
}

/// SPEC §6: the `ApiKey` challenge names a scheme, so `Authorization: ApiKey <key>` presents an
/// API key (scheme names are case-insensitive); with the API-key header too it is ambiguous.
#[test]
fn authorization_apikey_presents_an_api_key() {
    let blob = blob();
    let e = engine(&blob);
    for scheme in ["ApiKey", "apikey", "APIKEY"] {
        let o = req("GET", "/items/1").header("authorization", format!("{scheme} {API_KEY_READER}")).eval(&e);
        assert_eq!((o.reason, o.subject.as_deref()), ("allowed", Some("reader-bot")), "{scheme}");
    }
    let o = req("GET", "/items/1").header("authorization", "ApiKey wk_nobody").eval(&e);
    assert_eq!(o.reason, "credentials_invalid");
    let o = req("GET", "/items/1")
        .header("authorization", format!("ApiKey {API_KEY_READER}"))
        .header("x-api-key", API_KEY_READER)
        .eval(&e);
    assert_eq!(o.reason, "credentials_ambiguous");
    assert_eq!(req("GET", "/items/1").header("authorization", "ApiKey").eval(&e).reason, "credentials_malformed");
    // A rule that takes no API keys refuses the scheme.
    let o = req("GET", "/admin/x").header("authorization", format!("ApiKey {API_KEY_READER}")).eval(&e);
    assert_eq!(o.reason, "scheme_not_accepted");
}

/// SPEC §3: GET also admits HEAD (servers run GET handlers for HEAD, and nginx's
/// `limit_except GET` allows both).
#[test]
fn head_is_admitted_by_rules_that_list_get() {
    let blob = blob();
    let e = engine(&blob);
    assert_eq!(req("HEAD", "/health").eval(&e).reason, "public");
    let o = req("HEAD", "/items/1").header("x-api-key", API_KEY_READER).eval(&e);
    assert_eq!((o.reason, o.rule.as_deref()), ("allowed", Some("items")));
    // A rule without GET does not take HEAD: the path has rules, the method none of them.
    assert_eq!(req("HEAD", "/deploy/web").header("x-api-key", API_KEY_CI).eval(&e).reason, "method_not_allowed");
    // `head` is not HEAD (methods are case-sensitive).
    assert_eq!(req("head", "/health").eval(&e).reason, "method_not_allowed");
    // A preflight for HEAD finds the GET rule; allow-methods lists the rule's methods (HEAD is
    // CORS-safelisted, browsers need not see it there).
    let o = req("OPTIONS", "/items/1")
        .header("origin", "https://console.example.com")
        .header("access-control-request-method", "HEAD")
        .eval(&e);
    assert_eq!((o.reason, o.rule.as_deref(), o.allow_methods.as_deref()), ("preflight", Some("items"), Some("GET")));
}

/// JSON escapes mean what every JSON library reads: an escaped `kid` or `alg` is the same
/// string, an escaped member name is the same member (so `"ex\u0070"` duplicates `exp`), and a
/// member name differing in case is another member.
#[test]
fn escaped_jose_members_mean_what_json_libraries_read() {
    let claims =
        format!(r#"{{"sub":"alice","iss":"{ISSUER}","aud":"edge-api","roles":["reader"],"exp":{}}}"#, NOW + 600);
    let signed = |header: &str, claims: &str| items(&jws(Alg::Hs256, header, claims, SECRET_256)).reason;
    assert_eq!(signed(r#"{"alg":"HS256","kid":"k\u0032\u00356"}"#, &claims), "allowed");
    assert_eq!(signed(r#"{"alg":"HS\u0032\u00356","kid":"k256"}"#, &claims), "allowed");
    assert_eq!(signed(r#"{"\u0061lg":"HS256","kid":"k256"}"#, &claims), "allowed");
    assert_eq!(signed(r#"{"alg":"HS256","kid":"k256\u0000"}"#, &claims), "token_unknown_key");
    assert_eq!(signed(r#"{"Alg":"HS256","kid":"k256"}"#, &claims), "credentials_malformed");
    assert_eq!(signed(r#"{"alg":"HS256","\u0061lg":"none","kid":"k256"}"#, &claims), "credentials_malformed");
    assert_eq!(signed(r#"{"alg":"HS256","kid":"k256","cr\u0069t":["exp"]}"#, &claims), "credentials_malformed");
    let h = r#"{"alg":"HS256","kid":"k256"}"#;
    let dup = claims.replace(r#""exp":"#, &format!(r#""ex\u0070":{},"exp":"#, NOW + 9999));
    assert_eq!(signed(h, &dup), "credentials_malformed");
    let dup_aud = claims.replace(r#""aud":"edge-api""#, r#""aud":"edge-api","\u0061ud":"other""#);
    assert_eq!(signed(h, &dup_aud), "credentials_malformed");
    let escaped_aud = claims.replace(r#""aud":"edge-api""#, r#""aud":"edge\u002dapi""#);
    assert_eq!(signed(h, &escaped_aud), "allowed");
    // More aud values than the engine reads is malformed, not a partial read.
    let many: Vec<String> = (0..65).map(|i| format!("\"a{i}\"")).collect();
    let huge_aud = claims.replace(r#""aud":"edge-api""#, &format!(r#""aud":[{},"edge-api"]"#, many.join(",")));
    assert_eq!(signed(h, &huge_aud), "credentials_malformed");
}

/// The leeway boundaries are those of RFC 7519 and PyJWT: expired when `exp ≤ now − leeway`,
/// not yet valid when `nbf > now + leeway`.
#[test]
fn leeway_boundaries_match_the_libraries() {
    let iat = (NOW - 100).to_string();
    let exp_at = |d: i64| items(&k256_dates(&iat, None, &(NOW.cast_signed() + d).to_string())).reason;
    assert_eq!(exp_at(-60), "token_expired");
    assert_eq!(exp_at(-59), "allowed");
    let exp = (NOW + 600).to_string();
    let nbf_at = |d: u64| items(&k256_dates(&iat, Some(&(NOW + d).to_string()), &exp)).reason;
    assert_eq!(nbf_at(60), "allowed");
    assert_eq!(nbf_at(61), "token_not_yet_valid");
}
