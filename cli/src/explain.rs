//! `eval --explain`: the decision table of SPEC §4 with what happened at each row.
//!
//! The engine decides in constant time and reports only the final decision, so the outcome of
//! each row is *implied* by it: rows before the deciding row passed, the deciding row decided,
//! rows after it were not reached. Rows that do not apply to the request (claims checks for an
//! API key, authentication for a public rule) say so. Everything is built in [`explain`], so a
//! richer per-check trace from the engine can replace the data source in one place.

use warden::Reason;

use crate::outcome::Outcome;
use crate::request::RequestSpec;

/// The rows of SPEC §4: (number, what is checked).
pub const ROWS: [(u8, &str); 18] = [
    (1, "path is well-formed (no //, . or .., %2f, %5c, \\, control bytes; within MAX_PATH)"),
    (2, "CORS preflight (OPTIONS + origin + access-control-request-method) answered per §5"),
    (3, "a rule matches method and path"),
    (4, "client IP not in the rule's deny list"),
    (5, "client IP inside the rule's allow list (if it has one)"),
    (6, "origin allowed (if the rule lists origins and an origin is sent)"),
    (7, "credentials presented (rule needs auth)"),
    (8, "credentials in one scheme, no header twice"),
    (9, "presented scheme accepted by the rule"),
    (10, "header, token or Basic value parses"),
    (11, "API key / Basic user and password known"),
    (12, "token alg is the key's alg, kid known"),
    (13, "token MAC verifies"),
    (14, "token exp / nbf within leeway"),
    (15, "token iss / aud match the key"),
    (16, "step-up: mfa in amr, auth age within max_auth_age_s"),
    (17, "role requirement met"),
    (18, "allow"),
];

/// The row that produces `reason` (row 2 decides every preflight).
#[must_use]
pub fn deciding_row(reason: &str, preflight: bool) -> u8 {
    if preflight && reason != "malformed_path" {
        return 2;
    }
    match reason {
        "malformed_path" => 1,
        "preflight" => 2,
        "no_matching_rule" | "method_not_allowed" => 3,
        "ip_blocked" => 4,
        "ip_not_allowed" => 5,
        "origin_not_allowed" => 6,
        "credentials_missing" => 7,
        "credentials_ambiguous" => 8,
        "scheme_not_accepted" => 9,
        "credentials_malformed" => 10,
        "credentials_invalid" => 11,
        "token_algorithm_rejected" | "token_unknown_key" => 12,
        "token_bad_signature" => 13,
        "token_expired" | "token_not_yet_valid" => 14,
        "token_issuer_mismatch" | "token_audience_mismatch" => 15,
        "mfa_required" | "auth_too_old" => 16,
        "insufficient_role" => 17,
        _ => 18,
    }
}

/// Which scheme the request presents, as far as its headers say.
fn presented(request: &RequestSpec, api_key_header: &str) -> Option<&'static str> {
    let auth = request.header("authorization").map(|v| v.trim_start().to_ascii_lowercase());
    match auth {
        Some(a) if a.starts_with("bearer") => Some("bearer"),
        Some(a) if a.starts_with("basic") => Some("basic"),
        Some(_) => Some("other"),
        None if request.header(api_key_header).is_some() => Some("api_key"),
        None => None,
    }
}

/// The explanation lines for a request and its decision.
#[must_use]
pub fn explain(request: &RequestSpec, outcome: &Outcome, api_key_header: &str) -> Vec<String> {
    let preflight = request.is_preflight();
    let decides = deciding_row(outcome.reason, preflight);
    let public = outcome.reason == "public";
    let scheme = presented(request, api_key_header);
    let mut lines = vec!["explain (SPEC §4 decision table; each row's outcome follows from the decision):".to_string()];
    for (n, what) in ROWS {
        let state = if n == decides {
            match Reason::from_name(outcome.reason) {
                Some(r) if n == 2 && outcome.reason != "preflight" => format!("decides: preflight refused, {} {}", r.status(), r.as_str()),
                Some(r) => format!("decides: {} {}", r.status(), r.as_str()),
                None => "decides".into(),
            }
        } else if n > decides {
            "not reached".into()
        } else if n == 2 {
            "pass (not a preflight)".into()
        } else if public && (7..=17).contains(&n) {
            "skipped (public rule)".into()
        } else if (12..=16).contains(&n) && scheme != Some("bearer") {
            "n/a (no token)".into()
        } else if n == 11 && scheme == Some("bearer") {
            "n/a (token)".into()
        } else {
            "pass".into()
        };
        lines.push(format!("  {n:>2}  {what:<86} {state}"));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(headers: &[(&str, &str)], method: &str) -> RequestSpec {
        RequestSpec {
            method: method.into(),
            path: "/".into(),
            ip: None,
            headers: headers.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
            now: 0,
        }
    }

    fn outcome(reason: &'static str, status: u16) -> Outcome {
        Outcome { decision: "x", status, reason, rule: None, subject: None, roles: vec![], refresh_advised: false, challenges: vec![], cors: None }
    }

    #[test]
    fn rows_before_pass_the_deciding_row_decides_the_rest_are_not_reached() {
        let lines = explain(&req(&[("authorization", "Bearer x")], "GET"), &outcome("token_expired", 401), "x-api-key");
        assert_eq!(lines.len(), 19);
        assert!(lines[13].ends_with("pass"), "{}", lines[13]);
        assert!(lines[14].ends_with("decides: 401 token_expired"), "{}", lines[14]);
        assert!(lines[15].ends_with("not reached"));
    }

    #[test]
    fn every_reason_has_a_row() {
        for r in Reason::all() {
            let row = deciding_row(r.as_str(), false);
            assert!((1..=18).contains(&row));
            assert_eq!(row == 18, matches!(r.as_str(), "allowed" | "public"), "{r}");
        }
    }

    #[test]
    fn public_and_api_key_rows_say_not_applicable() {
        let lines = explain(&req(&[], "GET"), &outcome("public", 200), "x-api-key");
        assert!(lines[7].ends_with("skipped (public rule)"));
        let lines = explain(&req(&[("X-Api-Key", "k")], "GET"), &outcome("allowed", 200), "x-api-key");
        assert!(lines[12].ends_with("n/a (no token)"));
        assert!(lines[11].ends_with("pass"));
        let lines = explain(&req(&[("origin", "https://a"), ("access-control-request-method", "GET")], "OPTIONS"), &outcome("ip_blocked", 403), "x-api-key");
        assert!(lines[2].ends_with("decides: preflight refused, 403 ip_blocked"), "{}", lines[2]);
    }
}
