//! `eval --explain`: the decision table (docs/policy.md, "How a request is decided") with the
//! outcome of each row for one request, from the engine's own trace
//! ([`warden::Engine::explain`]).
//!
//! The engine computes every row for every request (that is what keeps it constant-time), so
//! rows after the deciding one have outcomes too; they are marked as not deciding. The trace
//! says which check failed, so it is for the policy author, never for clients.

use serde::Serialize;
use warden::{Check, CheckOutcome};

use crate::outcome::Outcome;

/// What each row of the decision table checks, in words a policy author knows.
pub const ROWS: [&str; 18] = [
    "path is malformed (#, //, . or .., bad %, %2f, %5c, \\, control byte, not UTF-8, too long)",
    "CORS preflight (OPTIONS + origin + access-control-request-method)",
    "no rule matches method and path",
    "client IP is in the rule's deny list",
    "client IP is outside the rule's allow list",
    "origin is sent and not in the rule's origins",
    "rule needs auth and no credential is presented",
    "credentials in more than one scheme, or a header twice",
    "presented scheme is not accepted by the rule",
    "header, token or Basic value does not parse",
    "API key, Basic user or password is wrong",
    "token alg is not the key's / kid is unknown",
    "token signature (MAC or public-key) does not verify",
    "token expired / not yet valid",
    "token iss / aud mismatch",
    "step-up needed: no mfa in amr / auth too old",
    "role requirement not met",
    "otherwise: allow",
];

/// One row of `eval --explain --json`'s `explain` array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExplainRow {
    /// Row number of the decision table, 1 to 18.
    pub row: u8,
    /// What the row checks.
    pub check: String,
    /// `holds`, `clear` or `n/a` (the row does not apply to this request).
    pub outcome: &'static str,
    /// Whether this row decided (the first that holds).
    pub decides: bool,
}

/// The rows for a decision, from the engine's per-row checks.
#[must_use]
pub fn rows(checks: &[Check]) -> Vec<ExplainRow> {
    let deciding = checks.iter().find(|c| c.outcome == CheckOutcome::Holds).map(|c| c.row);
    checks
        .iter()
        .map(|c| ExplainRow {
            row: c.row,
            check: usize::from(c.row)
                .checked_sub(1)
                .and_then(|i| ROWS.get(i))
                .copied()
                .unwrap_or_else(|| c.name())
                .to_string(),
            outcome: match c.outcome {
                CheckOutcome::Holds => "holds",
                CheckOutcome::Clear => "clear",
                CheckOutcome::NotApplicable => "n/a",
            },
            decides: Some(c.row) == deciding,
        })
        .collect()
}

/// The explanation lines for people.
#[must_use]
pub fn explain(checks: &[Check], outcome: &Outcome) -> Vec<String> {
    let rows = rows(checks);
    let deciding = rows.iter().find(|r| r.decides).map(|r| r.row);
    let mut lines = vec![
        "explain (the decision table of docs/policy.md; every row as the engine computed it, the first that holds decides):"
            .to_string(),
    ];
    lines.push(match &outcome.path {
        Some(p) => format!("  path {p:?} (query dropped, every escape decoded once: what the rules matched)"),
        None => "  path malformed (row 1): no rule was matched on it".to_string(),
    });
    for r in &rows {
        let after = deciding.is_some_and(|d| r.row > d);
        let state = match r.outcome {
            "holds" if r.decides => format!("HOLDS -> decides {} {}", outcome.status, outcome.reason),
            "holds" => "holds (not deciding)".to_string(),
            "clear" if after => "clear (not deciding)".to_string(),
            other => other.to_string(),
        };
        lines.push(format!("  {:>2}  {:<84} {state}", r.row, r.check));
    }
    lines.push(cors_line(checks, outcome));
    lines
}

/// Why the decision does or does not carry a CORS answer.
fn cors_line(checks: &[Check], outcome: &Outcome) -> String {
    let row = |n: u8| checks.iter().find(|c| c.row == n).map(|c| c.outcome);
    match &outcome.cors {
        Some(c) if outcome.status == 200 => {
            format!("  CORS: answered for the allowed origin {} (Access-Control-Allow-Origin)", c.allow_origin)
        }
        Some(c) => format!(
            "  CORS: answered for the allowed origin {}: the denial came after the origin check, so the page \
             may read it (Access-Control-Expose-Headers: WWW-Authenticate)",
            c.allow_origin
        ),
        None if row(1) == Some(CheckOutcome::Holds) || outcome.rule.is_none() => {
            "  CORS: no answer (no rule governs the request)".to_string()
        }
        None if outcome.status == 403 && outcome.reason != "insufficient_role" => {
            "  CORS: no answer (decided at or before the origin check)".to_string()
        }
        None => "  CORS: no answer (the rule lists no origins, or no origin was sent)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(reason: &'static str, status: u16) -> Outcome {
        Outcome {
            decision: "x",
            status,
            reason,
            rule: None,
            subject: None,
            roles: vec![],
            refresh_advised: false,
            challenges: vec![],
            cors: None,
            path: Some("/".into()),
        }
    }

    fn checks(holds: &[u8], na: &[u8]) -> Vec<Check> {
        (1..=18u8)
            .map(|row| Check {
                row,
                outcome: if holds.contains(&row) {
                    CheckOutcome::Holds
                } else if na.contains(&row) {
                    CheckOutcome::NotApplicable
                } else {
                    CheckOutcome::Clear
                },
            })
            .collect()
    }

    #[test]
    fn the_first_holding_row_decides() {
        let lines = explain(&checks(&[14, 17, 18], &[2, 11]), &outcome("token_expired", 401));
        assert_eq!(lines.len(), 21);
        assert_eq!(lines[1], "  path \"/\" (query dropped, every escape decoded once: what the rules matched)");
        assert!(lines[3].ends_with("n/a"), "{}", lines[3]);
        assert!(lines[14].ends_with("clear"), "{}", lines[14]);
        assert!(lines[15].ends_with("HOLDS -> decides 401 token_expired"), "{}", lines[15]);
        assert!(lines[18].ends_with("holds (not deciding)"), "{}", lines[18]);
        assert!(lines[17].ends_with("clear (not deciding)"), "{}", lines[17]);
    }

    #[test]
    fn the_last_line_says_why_a_denial_is_or_is_not_readable_by_the_page() {
        let mut o = outcome("credentials_missing", 401);
        o.rule = Some("orders".into());
        let cors = crate::outcome::CorsOutcome {
            allow_origin: "https://shop.example.com".into(),
            allow_credentials: true,
            allow_methods: None,
            allow_headers: None,
            max_age_s: None,
        };
        let last = |o: &Outcome| explain(&checks(&[7, 18], &[2]), o).pop().unwrap();
        assert!(last(&o).contains("no answer (the rule lists no origins"), "{}", last(&o));
        o.cors = Some(cors);
        assert!(last(&o).contains("answered for the allowed origin https://shop.example.com"), "{}", last(&o));
        assert!(last(&o).contains("Access-Control-Expose-Headers: WWW-Authenticate"), "{}", last(&o));
        let mut blocked = outcome("ip_blocked", 403);
        blocked.rule = Some("orders".into());
        assert!(last(&blocked).contains("at or before the origin check"), "{}", last(&blocked));
    }
}
