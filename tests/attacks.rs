//! Attack catalogue for paths, origins and IPs: each input gets a decision, with the reason a
//! careful gateway would give.

#![allow(clippy::unwrap_used, clippy::std_instead_of_core, reason = "test code")]

mod common;

use common::*;

#[test]
fn path_attacks_are_malformed() {
    let blob = blob();
    let e = engine(&blob);
    let bad: &[&[u8]] = &[
        b"/admin/../health",
        b"/health/..",
        b"/./health",
        b"/%2e%2e/admin",
        b"/%2E%2E/admin",
        b"/.%2e/admin",
        b"/%2e/admin",
        b"/admin%2fusers",
        b"/admin%2Fusers",
        b"/admin%5cusers",
        b"/admin%5Cusers",
        b"/admin\\users",
        b"//admin",
        b"/admin//users",
        b"/admin\x00",
        b"/admin\r\n",
        b"/admin\x7f",
        b"admin",
        b"",
        b"*",
        b"http://h/admin/users",
        b"/admin#/../health",
        b"/health#",
        b"/admin%00",
        b"/admin%0a",
        b"/admin%1F",
        b"/admin%7f",
        b"/admin%",
        b"/admin%2",
        b"/admin%zz",
        b"/%C0%AEadmin",
        b"/admin/%C0%AE%C0%AE/x",
        b"/admin/%E0%80%AE",
        b"/admin/%ED%A0%80",
        b"/admin/\xff",
        b"/admin/%FF",
    ];
    for p in bad {
        let o = req("GET", "/").raw_path(p).eval(&e);
        assert_eq!((o.status, o.reason), (403, "malformed_path"), "{:?}", String::from_utf8_lossy(p));
    }
    let mut long = vec![b'/'];
    long.extend(std::iter::repeat_n(b'a', warden::capacity::MAX_PATH));
    let o = req("GET", "/").raw_path(&long).eval(&e);
    assert_eq!(o.reason, "malformed_path", "over the limit");
}

#[test]
fn encoded_letters_and_queries_cannot_dodge_a_rule() {
    let blob = blob();
    let e = engine(&blob);
    // `/%61dmin` is `/admin` to the server behind Warden, so it is to the rule.
    let o = req("GET", "/%61dmin/users").eval(&e);
    assert_eq!((o.status, o.reason, o.rule.as_deref()), (401, "credentials_missing", Some("admin-console")));
    // Every escape is decoded once: `%2561` is `%61`, not `a`.
    let o = req("GET", "/%2561dmin/users").eval(&e);
    assert_eq!(o.reason, "no_matching_rule");
    let o = req("GET", "/health?/../admin").eval(&e);
    assert_eq!((o.status, o.reason), (200, "public"));
    let o = req("GET", "/health/").eval(&e);
    assert_eq!(o.reason, "no_matching_rule", "exact patterns do not match a trailing slash");
}

#[test]
fn origin_near_misses_are_refused() {
    let blob = blob();
    let e = engine(&blob);
    let bad = [
        "https://evil-example.com",
        "https://example.com.evil.com",
        "https://example.com",
        "https://console.example.com/",
        "https://console.example.com/path",
        "https://user@console.example.com",
        "https://user:pw@console.example.com",
        "http://console.example.com",
        "https://console.example.com:8443",
        "https://console.example.com.",
        "null",
        "NULL",
        "",
        "https://",
        "*",
    ];
    for origin in bad {
        let o = req("GET", "/open/x").header("origin", origin).eval(&e);
        assert_eq!((o.status, o.reason), (403, "origin_not_allowed"), "{origin}");
        assert_eq!(o.cors_origin, None);
    }
    let good = [
        "https://console.example.com",
        "HTTPS://CONSOLE.EXAMPLE.COM",
        "https://console.example.com:443",
        "https://a.b.example.com",
    ];
    for origin in good {
        let o = req("GET", "/open/x").header("origin", origin).eval(&e);
        assert_eq!((o.status, o.cors_origin.as_deref()), (200, Some(origin)), "{origin}");
    }
    // `null` only where listed literally.
    let o = req("OPTIONS", "/echo/x").header("origin", "null").header("access-control-request-method", "GET").eval(&e);
    assert_eq!(o.reason, "preflight");
    // Two origin headers are never one valid origin.
    let o = req("GET", "/open/x")
        .header("origin", "https://a.example.com")
        .header("origin", "https://a.example.com")
        .eval(&e);
    assert_eq!(o.reason, "origin_not_allowed");
}

#[test]
fn ip_families_prefixes_and_mapping() {
    let blob = blob();
    let e = engine(&blob);
    let t = token(r#","roles":["admin"]"#);
    let admin = |ip: &str| req("GET", "/admin/x").bearer(&t).ip(ip).eval(&e).reason;
    assert_eq!(admin("10.255.255.255"), "allowed");
    assert_eq!(admin("11.0.0.0"), "ip_not_allowed");
    assert_eq!(admin("::ffff:10.1.1.1"), "allowed", "IPv4-mapped IPv6 is IPv4");
    assert_eq!(admin("::a01:101"), "ip_not_allowed", "IPv4-compatible IPv6 is not IPv4");
    assert_eq!(admin("2001:db8:1::1"), "allowed");
    assert_eq!(admin("2001:db9::1"), "ip_not_allowed");
    assert_eq!(admin("::1"), "ip_not_allowed");
    // /32 deny of one address, mapped or not.
    let deploy = |ip: &str| req("POST", "/deploy/x").header("x-api-key", API_KEY_CI).ip(ip).eval(&e).reason;
    assert_eq!(deploy("198.51.100.7"), "ip_blocked");
    assert_eq!(deploy("::ffff:198.51.100.7"), "ip_blocked");
    assert_eq!(deploy("198.51.100.8"), "allowed");
}

#[test]
fn network_checks_come_before_credentials() {
    let blob = blob();
    let e = engine(&blob);
    // A blocked client learns nothing about its (valid or invalid) credentials.
    let good = req("POST", "/deploy/x").header("x-api-key", API_KEY_CI).ip("203.0.113.1").eval(&e);
    let bad = req("POST", "/deploy/x").header("x-api-key", "nope").ip("203.0.113.1").eval(&e);
    assert_eq!(good, bad);
    assert_eq!(good.reason, "ip_blocked");
}

#[test]
fn header_limits_are_decisions_not_errors() {
    let blob = blob();
    let e = engine(&blob);
    let huge = "a".repeat(warden::capacity::MAX_HEADER_VALUE + 1);
    let o = req("GET", "/items/1").header("x-api-key", &huge).eval(&e);
    assert_eq!((o.status, o.reason), (401, "credentials_malformed"));
    let o = req("GET", "/items/1").header("authorization", format!("Bearer {huge}")).eval(&e);
    assert_eq!(o.reason, "credentials_malformed");
    let o = req("GET", "/open/x").header("origin", format!("https://{huge}.example.com")).eval(&e);
    assert_eq!(o.reason, "origin_not_allowed");
}

#[test]
fn basic_catalogue() {
    use base64ct::{Base64, Encoding};
    let blob = blob();
    let e = engine(&blob);
    let raw = |bytes: &[u8]| format!("Basic {}", Base64::encode_string(bytes));
    let cases: &[(String, &str)] = &[
        (basic(BASIC_USER, BASIC_PASSWORD), "allowed"),
        (basic(BASIC_USER, "wrong password"), "credentials_invalid"),
        (basic("nobody", BASIC_PASSWORD), "credentials_invalid"),
        (basic("", BASIC_PASSWORD), "credentials_invalid"),
        (basic(BASIC_USER, ""), "credentials_invalid"),
        (raw(b"admin-without-colon"), "credentials_malformed"),
        (raw(b"admin:\xff\xfe"), "credentials_malformed"),
        (raw(b"adm\x01in:pw"), "credentials_malformed"),
        ("Basic !!!!".to_string(), "credentials_malformed"),
        ("Basic YWRtaW46cHc".to_string(), "credentials_malformed"),
        ("Basic".to_string(), "credentials_malformed"),
        (format!("basic {}", Base64::encode_string(format!("{BASIC_USER}:{BASIC_PASSWORD}").as_bytes())), "allowed"),
        (format!("Basic {}", "QUFB".repeat(200)), "credentials_malformed"),
    ];
    for (value, reason) in cases {
        let o = req("GET", "/items/1").header("authorization", value).eval(&e);
        assert_eq!(o.reason, *reason, "{value}");
    }
    // A password containing a colon is fine: only the first colon splits (RFC 7617 §2).
    let o = req("GET", "/items/1").header("authorization", basic("nobody", "a:b")).eval(&e);
    assert_eq!(o.reason, "credentials_invalid");
}
