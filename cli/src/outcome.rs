//! A decision as owned data: what `eval --json` prints (README, "JSON output"), what `eval` shows to people,
//! and what `test` compares with a case's expectations.

use serde::Serialize;
use warden::Decision;

/// `cors` of `eval --json`: allow-origin and allow-credentials, plus the preflight headers on
/// a preflight Allow. Present on an Allow and on a 401/403 decided after the origin check
/// (the rule lists origins and an allowed one was sent); `null` otherwise. The keys are always the same five.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CorsOutcome {
    /// `Access-Control-Allow-Origin`.
    pub allow_origin: String,
    /// `Access-Control-Allow-Credentials: true` when set.
    pub allow_credentials: bool,
    /// `Access-Control-Allow-Methods` (preflight only).
    pub allow_methods: Option<Vec<String>>,
    /// `Access-Control-Allow-Headers` (preflight only).
    pub allow_headers: Option<Vec<String>>,
    /// `Access-Control-Max-Age` (preflight only).
    pub max_age_s: Option<u32>,
}

/// The decision, in the field order of `eval --json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// `allow`, `unauthorized` or `forbidden`.
    pub decision: &'static str,
    /// 200, 401 or 403.
    pub status: u16,
    /// The reason identifier.
    pub reason: &'static str,
    /// Governing rule.
    pub rule: Option<String>,
    /// Authenticated subject.
    pub subject: Option<String>,
    /// Role names.
    pub roles: Vec<String>,
    /// Token expires within the refresh window.
    pub refresh_advised: bool,
    /// `WWW-Authenticate` values.
    pub challenges: Vec<String>,
    /// CORS answer.
    pub cors: Option<CorsOutcome>,
    /// The path rules were matched on: the request path with the query dropped and every
    /// escape decoded once ([`warden::path::RequestPath`]); `None` when it is malformed.
    pub path: Option<String>,
}

impl Outcome {
    /// Copies what a decision carries, with the decoded form of `raw_path`, the path of the
    /// request it decided.
    #[must_use]
    pub fn of(d: &Decision<'_>, raw_path: &[u8]) -> Self {
        let decision = match d {
            Decision::Allow(_) => "allow",
            Decision::Unauthorized(_) => "unauthorized",
            Decision::Forbidden(_) => "forbidden",
        };
        let cors = d.cors().map(|c| {
            let pre = c.preflight();
            CorsOutcome {
                allow_origin: c.allow_origin().to_string(),
                allow_credentials: c.allow_credentials(),
                allow_methods: pre.map(|p| p.allow_methods().iter().map(str::to_string).collect()),
                allow_headers: pre.map(|p| {
                    p.allow_headers().split(',').map(str::trim).filter(|h| !h.is_empty()).map(str::to_string).collect()
                }),
                max_age_s: pre.map(|p| p.max_age_s()),
            }
        });
        Self {
            decision,
            status: d.status(),
            reason: d.reason().as_str(),
            rule: d.rule().map(str::to_string),
            subject: d.subject().map(str::to_string),
            roles: d.roles().iter().map(str::to_string).collect(),
            refresh_advised: d.refresh_advised(),
            challenges: d.challenges().map(|c| c.to_string()).collect(),
            cors,
            path: warden::path::RequestPath::new(raw_path).as_str().map(str::to_string),
        }
    }

    /// Exit code of `eval` for this decision (0 allow, 2 for 401, 3 for 403).
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        match self.status {
            200 => crate::exit::OK,
            401 => crate::exit::UNAUTHORIZED,
            _ => crate::exit::FORBIDDEN,
        }
    }

    /// The human-readable block `eval` prints.
    #[must_use]
    pub fn render(&self) -> String {
        let dash = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
        let mut out = format!(
            "decision: {} ({})\nreason:   {}\nrule:     {}\nsubject:  {}\nroles:    {}\n",
            self.decision,
            self.status,
            self.reason,
            dash(&self.rule),
            dash(&self.subject),
            if self.roles.is_empty() { "-".into() } else { self.roles.join(", ") },
        );
        if self.refresh_advised {
            out.push_str("refresh:  advised (the token expires soon)\n");
        }
        for c in &self.challenges {
            out.push_str(&format!("WWW-Authenticate: {c}\n"));
        }
        if let Some(c) = &self.cors {
            out.push_str(&format!("Access-Control-Allow-Origin: {}\n", c.allow_origin));
            if c.allow_credentials {
                out.push_str("Access-Control-Allow-Credentials: true\n");
            }
            if let Some(m) = &c.allow_methods {
                out.push_str(&format!("Access-Control-Allow-Methods: {}\n", m.join(", ")));
            }
            if let Some(h) = &c.allow_headers {
                out.push_str(&format!("Access-Control-Allow-Headers: {}\n", h.join(", ")));
            }
            if let Some(a) = c.max_age_s {
                out.push_str(&format!("Access-Control-Max-Age: {a}\n"));
            }
            // A 401/403 with a CORS answer is for the page to read, challenge included.
            if self.status != 200 {
                out.push_str("Access-Control-Expose-Headers: WWW-Authenticate\n");
            }
            out.push_str("Vary: Origin\n");
        }
        out
    }
}
