//! Every case of the example policy's case file, decided through the C ABI: the expectations
//! of the case hold, and every value read back through the accessors equals the core's own
//! decision for the same request.
#![allow(unsafe_code, reason = "calling the C ABI is unsafe by definition; each block states why it is sound")]
#![allow(clippy::expect_used, clippy::panic, reason = "reading the case file: a malformed case is a failed test")]

mod common;

use common::*;

const CASES: &str = include_str!("../../policies/edge-api.cases.toml");

fn strings(v: &toml::Value) -> Vec<String> {
    v.as_array().expect("an array").iter().map(|s| s.as_str().expect("a string").to_owned()).collect()
}

fn request(case: &toml::Table, default_now: u64) -> Req {
    let mut r = req(case["method"].as_str().expect("method"), case["path"].as_str().expect("path"));
    if let Some(ip) = case.get("ip") {
        r = r.ip(ip.as_str().expect("ip"));
    }
    r = r.now(case.get("now").map_or(default_now, |n| u64::try_from(n.as_integer().expect("now")).expect("now")));
    if let Some(headers) = case.get("headers") {
        for (name, value) in headers.as_table().expect("headers table") {
            match value {
                toml::Value::String(v) => r = r.header(name, v),
                other => {
                    for v in strings(other) {
                        r = r.header(name, v);
                    }
                }
            }
        }
    }
    r
}

#[test]
#[cfg_attr(miri, ignore = "a hundred evaluations, PBKDF2 included: minutes under miri")]
fn every_example_case_holds_through_the_c_abi() {
    let doc: toml::Table = CASES.parse().expect("the case file parses");
    let default_now = u64::try_from(doc["now"].as_integer().expect("now")).expect("now");
    let loaded = load();
    let ring = keyring();
    let core = core_engine(&ring);
    let cases = doc["case"].as_array().expect("[[case]] tables");
    assert!(cases.len() >= 100, "the example's case file covers every reason");
    for case in cases {
        let case = case.as_table().expect("a table");
        let name = case["name"].as_str().expect("name");
        let r = request(case, default_now);
        let got = parity(&loaded, &core, &r);
        let status = match case["expect"].as_str().expect("expect") {
            "allow" => 200,
            "401" => 401,
            "403" => 403,
            other => panic!("{name}: expect = {other:?}"),
        };
        assert_eq!(got.status, status, "{name}");
        assert_eq!(reason_name(got.reason), case["reason"].as_str().expect("reason"), "{name}");
        let optional = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        if let Some(rule) = case.get("rule") {
            assert_eq!(got.rule, optional(rule.as_str().expect("rule")), "{name}");
        }
        if let Some(subject) = case.get("subject") {
            assert_eq!(got.subject, optional(subject.as_str().expect("subject")), "{name}");
        }
        if let Some(roles) = case.get("roles") {
            assert_eq!(got.roles, strings(roles), "{name}");
        }
        if let Some(challenges) = case.get("challenges") {
            assert_eq!(got.challenges, strings(challenges), "{name}");
        }
        if let Some(parts) = case.get("challenge_contains") {
            for part in strings(parts) {
                assert!(got.challenges.iter().any(|c| c.contains(&part)), "{name}: {part}");
            }
        }
        if let Some(refresh) = case.get("refresh_advised") {
            assert_eq!(Some(got.refresh_advised), refresh.as_bool(), "{name}");
        }
        if let Some(origin) = case.get("cors_origin") {
            let want = optional(origin.as_str().expect("cors_origin"));
            assert_eq!(got.cors.map(|c| c.allow_origin), want, "{name}");
        }
    }
}
