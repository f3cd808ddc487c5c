//! Regression tests for core bugs found by the assurance work (reference model, fuzzing,
//! instruction counts). Each test names the bug it pins.

#![allow(clippy::unwrap_used, clippy::std_instead_of_core, reason = "test code")]

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
