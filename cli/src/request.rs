//! A request as the tool's users describe it (command-line flags or a case), turned into the
//! core's borrowed [`warden::Request`].

use core::net::IpAddr;

use warden::{Header, Request};

/// An owned request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSpec {
    /// Method token, as given (case-sensitive).
    pub method: String,
    /// Path, with any query.
    pub path: String,
    /// Client address.
    pub ip: Option<IpAddr>,
    /// Headers in order; a name may repeat.
    pub headers: Vec<(String, String)>,
    /// Unix seconds.
    pub now: u64,
}

impl RequestSpec {
    /// Calls `f` with the core's view of this request.
    pub fn with_request<R>(&self, f: impl FnOnce(&Request<'_>) -> R) -> R {
        let headers: Vec<Header<'_>> =
            self.headers.iter().map(|(n, v)| Header::new(n.as_bytes(), v.as_bytes())).collect();
        let request = Request {
            method: self.method.as_bytes(),
            path: self.path.as_bytes(),
            client_ip: self.ip,
            headers: &headers,
            now: self.now,
        };
        f(&request)
    }

    /// The value of the first header called `name` (case-insensitive).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Whether this is a CORS preflight (row 2 of the decision table).
    #[must_use]
    pub fn is_preflight(&self) -> bool {
        self.method == "OPTIONS"
            && self.header("origin").is_some()
            && self.header("access-control-request-method").is_some()
    }
}

/// Parses `Name: value` as given to `--header`.
///
/// # Errors
/// A message when there is no colon or the name is empty.
pub fn parse_header_arg(arg: &str) -> Result<(String, String), String> {
    let (name, value) = arg.split_once(':').ok_or_else(|| format!("--header {arg:?} is not `Name: value`"))?;
    let name = name.trim();
    if name.is_empty() {
        return Err("--header needs a name before the `:`".into());
    }
    Ok((name.to_string(), value.trim().to_string()))
}

/// The current time in Unix seconds.
///
/// # Errors
/// If the system clock is before 1970.
pub fn system_now() -> Result<u64, String> {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .map_err(|_| "the system clock is before 1970; pass --now".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_args_split_at_the_first_colon() {
        assert_eq!(
            parse_header_arg("Origin: https://a.example.com").unwrap(),
            ("Origin".into(), "https://a.example.com".into())
        );
        assert_eq!(parse_header_arg("x:").unwrap(), ("x".into(), String::new()));
        assert!(parse_header_arg("novalue").is_err());
        assert!(parse_header_arg(": v").is_err());
    }

    #[test]
    fn preflight_needs_all_three() {
        let mut r = RequestSpec {
            method: "OPTIONS".into(),
            path: "/".into(),
            ip: None,
            headers: vec![("Origin".into(), "https://a".into())],
            now: 0,
        };
        assert!(!r.is_preflight());
        r.headers.push(("Access-Control-Request-Method".into(), "GET".into()));
        assert!(r.is_preflight());
        r.method = "GET".into();
        assert!(!r.is_preflight());
    }
}
