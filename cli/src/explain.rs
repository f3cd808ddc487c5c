//! `eval --explain`: the decision table of SPEC §4 with the outcome of each row for one
//! request, from the engine's own trace ([`warden::Engine::explain`]).
//!
//! The engine computes every row for every request (that is what keeps it constant-time), so
//! rows after the deciding one have outcomes too; they are marked as not deciding. The trace
//! says which check failed, so it is for the policy author, never for clients.

use warden::{Check, CheckOutcome};

use crate::outcome::Outcome;

/// What each row of SPEC §4 checks, in words a policy author knows.
pub const ROWS: [&str; 18] = [
    "path is malformed (#, //, . or .., bad %, %2f, %5c, \\, control byte, not UTF-8, too long)",
    "CORS preflight (OPTIONS + origin + access-control-request-method), answered per §5",
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
    "token MAC does not verify",
    "token expired / not yet valid",
    "token iss / aud mismatch",
    "step-up needed: no mfa in amr / auth too old",
    "role requirement not met",
    "otherwise: allow",
];

/// The explanation lines for a decision and the engine's per-row checks.
#[must_use]
pub fn explain(checks: &[Check], outcome: &Outcome) -> Vec<String> {
    let deciding = checks.iter().find(|c| c.outcome == CheckOutcome::Holds).map(|c| c.row);
    let mut lines =
        vec!["explain (SPEC §4, every row as the engine computed it; the first that holds decides):".to_string()];
    lines.push(match &outcome.path {
        Some(p) => format!("  path {p:?} (query dropped, every escape decoded once: what the rules matched)"),
        None => "  path malformed (row 1): no rule was matched on it".to_string(),
    });
    for c in checks {
        let what = usize::from(c.row).checked_sub(1).and_then(|i| ROWS.get(i)).copied().unwrap_or_else(|| c.name());
        let after = deciding.is_some_and(|d| c.row > d);
        let state = match c.outcome {
            CheckOutcome::Holds if Some(c.row) == deciding => {
                format!("HOLDS -> decides {} {}", outcome.status, outcome.reason)
            }
            CheckOutcome::Holds => "holds (not deciding)".to_string(),
            CheckOutcome::Clear if after => "clear (not deciding)".to_string(),
            CheckOutcome::Clear => "clear".to_string(),
            CheckOutcome::NotApplicable => "n/a".to_string(),
        };
        lines.push(format!("  {:>2}  {what:<84} {state}", c.row));
    }
    lines
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
        assert_eq!(lines.len(), 20);
        assert_eq!(lines[1], "  path \"/\" (query dropped, every escape decoded once: what the rules matched)");
        assert!(lines[3].ends_with("n/a"), "{}", lines[3]);
        assert!(lines[14].ends_with("clear"), "{}", lines[14]);
        assert!(lines[15].ends_with("HOLDS -> decides 401 token_expired"), "{}", lines[15]);
        assert!(lines[18].ends_with("holds (not deciding)"), "{}", lines[18]);
        assert!(lines[17].ends_with("clear (not deciding)"), "{}", lines[17]);
    }
}
