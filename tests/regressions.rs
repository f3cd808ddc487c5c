//! Regression tests for core bugs found by the assurance work (reference model, fuzzing,
//! instruction counts). Each test names the bug it pins.

#![allow(clippy::unwrap_used, clippy::std_instead_of_core, reason = "test code")]

mod common;

use warden::origin::is_valid_origin;

/// Found by the model-vs-engine property test: an IPv6 literal that is not an IPv6 address
/// (`[1:2:3:4:5:6:7:8:9]`, `[:::]`) passed the origin syntax check, so a rule with origin `*`
/// answered a preflight for it, against SPEC §5 ("a header value that is not a valid origin
/// serialization is never allowed").
#[test]
fn ipv6_origin_literals_must_be_ipv6_addresses() {
    for bad in ["http://[1:2:3:4:5:6:7:8:9]:8080", "http://[:::]", "http://[1::2::3]", "http://[::g]", "http://[:]"] {
        assert!(!is_valid_origin(bad.as_bytes()), "{bad}");
    }
    for good in ["http://[::1]:8080", "https://[2001:db8::7]", "http://[::ffff:10.1.2.3]"] {
        assert!(is_valid_origin(good.as_bytes()), "{good}");
    }
}

mod issue_11_paths {
    //! Issue 11, bypasses 1 and 2: the engine decided on a path the servers behind it do not
    //! route. Each test is one reproduction, on a policy with rules written for the path.

    use super::common::{blob_of, body, engine, req, rule};
    use warden::policy::Scheme;

    fn policy() -> Vec<u8> {
        let mut b = body();
        // Stored as the compiler stores them: decoded.
        let mut rules: Vec<_> = b.rules.iter().cloned().collect();
        rules.insert(0, rule("jobs-run", &[1], "/api/v1/jobs:run", &[Scheme::Basic]));
        rules.insert(1, rule("cafe-admin", &[0], "/caf\u{e9}/admin/**", &[Scheme::Basic]));
        rules.push(rule("api", &[0, 1], "/api/**", &[]));
        rules.push(rule("rest", &[0, 1], "/**", &[]));
        b.rules = rules.into_iter().collect();
        blob_of(&b, None)
    }

    /// A raw `#` was part of the path (`/api/v1/orders/42#/x` matched `/api/**`), while nginx
    /// and gunicorn cut the path there; `/docs/..#` hid its dot segment from the check.
    #[test]
    fn a_raw_hash_is_malformed() {
        let blob = policy();
        let e = engine(&blob);
        for p in ["/api/v1/orders/42#/x", "/docs/..#", "/health#", "/a#/../admin"] {
            let o = req("GET", p).eval(&e);
            assert_eq!((o.status, o.reason), (403, "malformed_path"), "{p}");
        }
        // After the query's `?` a `#` is query, and the query is dropped.
        assert_eq!(req("GET", "/health?x#y").eval(&e).reason, "public");
    }

    /// Only unreserved escapes were decoded, so `%3A` and `%C3%A9` skipped the rules written
    /// for `:` and `é` and fell to a broader public rule.
    #[test]
    fn every_escape_is_decoded_before_rules_match() {
        let blob = policy();
        let e = engine(&blob);
        for p in ["/api/v1/jobs%3Arun", "/api/v1/jobs%3arun", "/api/v1/jobs:run", "/api/v1/jobs%3Arun?x=%zz"] {
            let o = req("POST", p).eval(&e);
            assert_eq!((o.reason, o.rule.as_deref()), ("credentials_missing", Some("jobs-run")), "{p}");
        }
        for p in ["/caf%C3%A9/admin/x", "/caf%c3%a9/admin", "/caf\u{e9}/admin/x", "/caf%C3%A9/%61dmin/"] {
            let o = req("GET", p).eval(&e);
            assert_eq!((o.reason, o.rule.as_deref()), ("credentials_missing", Some("cafe-admin")), "{p}");
        }
    }

    #[test]
    fn escapes_servers_refuse_or_disagree_on_are_malformed() {
        let blob = policy();
        let e = engine(&blob);
        for p in [
            "/caf%C3%A9/admin%00",
            "/caf%C3%A9/admin%0d%0a",
            "/caf%C3%A9/admin%7F",
            "/caf%C3/admin",
            "/caf%C0%AE/admin",
            "/caf%C3%A9/admin/%ED%B0%80",
            "/caf%C3%A9/admin/%",
            "/caf%C3%A9/admin/%4",
            "/caf%C3%A9/admin/%g1",
            "/caf%C3%A9/.%2E/x",
            "/x/%2e%2E/caf%C3%A9/admin",
        ] {
            let o = req("GET", p).eval(&e);
            assert_eq!((o.status, o.reason), (403, "malformed_path"), "{p}");
        }
    }
}
