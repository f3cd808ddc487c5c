//! Origins (RFC 6454 §6.2 serializations) and origin patterns.
//!
//! A request `origin` is valid only as `scheme "://" host [":" port]`: no path, no trailing
//! slash, no userinfo, no query, a non-empty host of letters, digits, `-`, `_` and `.` (no
//! empty label; `_` because browsers serialize it, WHATWG URL) or a bracketed IPv6 literal, and a port of 1–65535 without leading zeros. Scheme and
//! host compare case-insensitively; a port equal to the scheme's default (`https` 443, `http`
//! 80) is the same as none. The literal `null` is its own origin. Anything else is never
//! allowed, whatever the policy lists.
//!
//! `https://*.example.com` matches one or more labels before `.example.com`: never
//! `example.com` itself, never `evil-example.com`.

use crate::ct::eq_ignore_case_public;
use crate::policy::OriginPattern;

/// A parsed, valid request origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin<'a> {
    /// `null`.
    Null,
    /// A tuple origin; scheme and host as sent (compare case-insensitively).
    Tuple { scheme: &'a [u8], host: &'a [u8], port: Option<u16> },
}

fn default_port(scheme: &[u8]) -> Option<u16> {
    if scheme.eq_ignore_ascii_case(b"https") {
        Some(443)
    } else if scheme.eq_ignore_ascii_case(b"http") {
        Some(80)
    } else {
        None
    }
}

fn valid_scheme(s: &[u8]) -> bool {
    match s.split_first() {
        Some((first, rest)) => {
            first.is_ascii_alphabetic()
                && rest.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
        }
        None => false,
    }
}

/// Bytes a host label may hold (letters, digits, `-`, `_`), by byte value.
#[allow(clippy::as_conversions, reason = "const evaluation of a table: every index is in range")]
static LABEL_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0u8;
    loop {
        #[allow(clippy::indexing_slicing, reason = "const evaluation: a bad index fails the build")]
        {
            t[c as usize] = c.is_ascii_alphanumeric() || c == b'-' || c == b'_';
        }
        if c == u8::MAX {
            break;
        }
        c += 1;
    }
    t
};

/// Labels of letters, digits, `-` and `_` separated by single dots, none empty; one pass with
/// a table lookup per byte (the header is public).
fn valid_reg_name(h: &[u8]) -> bool {
    let mut after_dot = true;
    let mut ok = !h.is_empty();
    for &c in h {
        let dot = c == b'.';
        ok &= !(dot & after_dot) & (dot | LABEL_BYTE.get(usize::from(c)).copied().unwrap_or(false));
        after_dot = dot;
    }
    ok & !after_dot
}

fn valid_ipv6_literal(h: &[u8]) -> bool {
    // RFC 3986 IP-literal: the text between the brackets must be an IPv6 address.
    h.strip_prefix(b"[").and_then(|r| r.strip_suffix(b"]")).is_some_and(valid_ipv6)
}

/// RFC 4291 §2.2 text forms (RFC 3986 `IPv6address`), without zone ids. Written out rather than
/// calling `core::net`'s parser, which costs flash on a microcontroller.
fn valid_ipv6(s: &[u8]) -> bool {
    match s.windows(2).position(|w| w == b"::") {
        None => groups(s, true) == Some(8),
        Some(i) => {
            let head = s.get(..i).unwrap_or(&[]);
            let tail = s.get(i.saturating_add(2)..).unwrap_or(&[]);
            if tail.windows(2).any(|w| w == b"::") {
                return false;
            }
            matches!((groups(head, false), groups(tail, true)), (Some(a), Some(b)) if a.saturating_add(b) <= 7)
        }
    }
}

/// Number of 16-bit groups in `a:b:c` (an empty part has none); a dotted IPv4 address may end
/// the part when `v4_last`, and counts as two.
fn groups(part: &[u8], v4_last: bool) -> Option<usize> {
    if part.is_empty() {
        return Some(0);
    }
    let mut n = 0usize;
    let mut it = part.split(|&c| c == b':').peekable();
    while let Some(g) = it.next() {
        let last = it.peek().is_none();
        if last && v4_last && g.contains(&b'.') {
            if !valid_ipv4(g) {
                return None;
            }
            n = n.saturating_add(2);
        } else if g.is_empty() || g.len() > 4 || !g.iter().all(u8::is_ascii_hexdigit) {
            return None;
        } else {
            n = n.saturating_add(1);
        }
    }
    Some(n)
}

/// Dotted-quad IPv4 without leading zeros.
fn valid_ipv4(s: &[u8]) -> bool {
    let mut parts = 0usize;
    for p in s.split(|&c| c == b'.') {
        let digits_ok = !p.is_empty() && p.len() <= 3 && p.iter().all(u8::is_ascii_digit);
        let no_leading_zero = p.len() == 1 || p.first() != Some(&b'0');
        let value = p.iter().fold(0u32, |v, &d| v.saturating_mul(10).saturating_add(u32::from(d.wrapping_sub(b'0'))));
        if !(digits_ok && no_leading_zero && value <= 255) {
            return false;
        }
        parts = parts.saturating_add(1);
    }
    parts == 4
}

fn parse_port(p: &[u8]) -> Option<u16> {
    if p.is_empty() || p.len() > 5 || p.first() == Some(&b'0') || !p.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u32 = 0;
    for &d in p {
        v = v.checked_mul(10)?.checked_add(u32::from(d.wrapping_sub(b'0')))?;
    }
    u16::try_from(v).ok().filter(|&v| v != 0)
}

/// Splits `scheme://host[:port]`, checking the syntax.
fn split(value: &[u8]) -> Option<(&[u8], &[u8], Option<u16>)> {
    let sep = value.windows(3).position(|w| w == b"://")?;
    let scheme = value.get(..sep)?;
    let rest = value.get(sep.checked_add(3)?..)?;
    if !valid_scheme(scheme) {
        return None;
    }
    // An IPv6 literal contains colons; its port follows the closing bracket.
    let (host, port) = if rest.first() == Some(&b'[') {
        let close = rest.iter().position(|&c| c == b']')?;
        let host = rest.get(..=close)?;
        let after = rest.get(close.checked_add(1)?..)?;
        let port = match after {
            [] => None,
            [b':', p @ ..] => Some(parse_port(p)?),
            _ => return None,
        };
        if !valid_ipv6_literal(host) {
            return None;
        }
        (host, port)
    } else {
        let (host, port) = match rest.iter().position(|&c| c == b':') {
            Some(colon) => (rest.get(..colon)?, Some(parse_port(rest.get(colon.checked_add(1)?..)?)?)),
            None => (rest, None),
        };
        if !valid_reg_name(host) {
            return None;
        }
        (host, port)
    };
    let port = port.filter(|&p| Some(p) != default_port(scheme));
    Some((scheme, host, port))
}

impl<'a> Origin<'a> {
    /// Parses an `origin` header value; `None` if it is not a valid serialization.
    pub(crate) fn parse(value: &'a [u8]) -> Option<Self> {
        if value == b"null" {
            return Some(Self::Null);
        }
        let (scheme, host, port) = split(value)?;
        Some(Self::Tuple { scheme, host, port })
    }

    /// Whether this origin is allowed by `pattern`. Examines the whole strings (no early exit).
    pub(crate) fn matches(&self, pattern: &OriginPattern<'_>) -> bool {
        match (self, pattern) {
            (Self::Null, OriginPattern::Null) => true,
            (Self::Null, _) | (Self::Tuple { .. }, OriginPattern::Null) => false,
            (Self::Tuple { .. }, OriginPattern::Any) => true,
            (Self::Tuple { scheme, host, port }, OriginPattern::Exact { scheme: ps, host: ph, port: pp }) => {
                eq_ignore_case_public(scheme, ps.as_bytes()) & eq_ignore_case_public(host, ph.as_bytes()) & (port == pp)
            }
            (Self::Tuple { scheme, host, port }, OriginPattern::Subdomains { scheme: ps, suffix, port: pp }) => {
                let suffix = suffix.as_bytes();
                // host = <one or more labels> "." suffix
                let cut = host.len().saturating_sub(suffix.len());
                let tail_ok = host.len() > suffix.len().saturating_add(1)
                    && host.get(cut.wrapping_sub(1)) == Some(&b'.')
                    && eq_ignore_case_public(host.get(cut..).unwrap_or(&[]), suffix);
                eq_ignore_case_public(scheme, ps.as_bytes()) & tail_ok & (port == pp)
            }
        }
    }
}

/// Why an origin pattern in a policy is not valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OriginPatternError {
    /// Not `scheme://host[:port]` (a path, trailing slash, userinfo, empty host, bad port…).
    NotAnOrigin,
    /// `*` used other than as the whole pattern or as the first label (`https://*.example.com`).
    MisplacedWildcard,
    /// Uppercase letters (patterns are stored lowercase; the compiler lowercases them).
    NotLowercase,
    /// A port equal to the scheme's default (the compiler removes it).
    DefaultPort,
}

impl OriginPatternError {
    /// A one-line explanation.
    #[must_use]
    pub const fn message(self) -> &'static str {
        match self {
            Self::NotAnOrigin => "an origin is `scheme://host[:port]` with no path, trailing slash, userinfo or query",
            Self::MisplacedWildcard => "`*` is only allowed alone or as the first label (`https://*.example.com`)",
            Self::NotLowercase => "origin patterns must be lowercase",
            Self::DefaultPort => "an origin pattern must not spell out the scheme's default port",
        }
    }
}

/// Parses a lowercase, normalized origin pattern (`*`, `null`, `https://host[:port]`,
/// `https://*.suffix[:port]`), as the compiler stores it and the loader checks it.
///
/// # Errors
/// Why it is not one.
pub fn parse_pattern(text: &str) -> Result<OriginPattern<'_>, OriginPatternError> {
    match text {
        "*" => return Ok(OriginPattern::Any),
        "null" => return Ok(OriginPattern::Null),
        _ => {}
    }
    if text.bytes().any(|c| c.is_ascii_uppercase()) {
        return Err(OriginPatternError::NotLowercase);
    }
    let sep = text.find("://").ok_or(OriginPatternError::NotAnOrigin)?;
    let scheme = text.get(..sep).ok_or(OriginPatternError::NotAnOrigin)?;
    let rest = text.get(sep.saturating_add(3)..).ok_or(OriginPatternError::NotAnOrigin)?;
    let (wild, concrete) = match rest.strip_prefix("*.") {
        Some(r) => (true, r),
        None => (false, rest),
    };
    if concrete.contains('*') {
        return Err(OriginPatternError::MisplacedWildcard);
    }
    // Validate the concrete form with the request parser.
    let mut probe = [0u8; 300];
    let probe_len = scheme.len().saturating_add(3).saturating_add(concrete.len());
    let dst = probe.get_mut(..probe_len).ok_or(OriginPatternError::NotAnOrigin)?;
    let (a, b) = dst.split_at_mut(scheme.len());
    a.copy_from_slice(scheme.as_bytes());
    let (sep3, c) = b.split_at_mut(3);
    sep3.copy_from_slice(b"://");
    c.copy_from_slice(concrete.as_bytes());
    let (_, host, port) = split(dst).ok_or(OriginPatternError::NotAnOrigin)?;
    if port.is_none() && concrete.contains(':') && !concrete.ends_with(']') {
        return Err(OriginPatternError::DefaultPort);
    }
    let host_len = host.len();
    let host = concrete.get(..host_len).ok_or(OriginPatternError::NotAnOrigin)?;
    if wild && host.starts_with('[') {
        return Err(OriginPatternError::MisplacedWildcard);
    }
    Ok(if wild {
        OriginPattern::Subdomains { scheme, suffix: host, port }
    } else {
        OriginPattern::Exact { scheme, host, port }
    })
}

/// Whether a stored pattern is in the normal form the compiler writes (the loader's check).
pub(crate) fn is_normalized(p: &OriginPattern<'_>) -> bool {
    let (scheme, host, port, wild) = match p {
        OriginPattern::Any | OriginPattern::Null => return true,
        OriginPattern::Exact { scheme, host, port } => (scheme, host, port, false),
        OriginPattern::Subdomains { scheme, suffix, port } => (scheme, suffix, port, true),
    };
    let lower = |s: &str| !s.bytes().any(|c| c.is_ascii_uppercase());
    let host_ok = valid_reg_name(host.as_bytes()) || (!wild && valid_ipv6_literal(host.as_bytes()));
    let port_ok = port.is_none_or(|p| p != 0 && Some(p) != default_port(scheme.as_bytes()));
    valid_scheme(scheme.as_bytes()) && lower(scheme) && lower(host) && host_ok && port_ok
}

/// Whether `text` parses as a request origin (for tools that want to pre-check values).
#[must_use]
pub fn is_valid_origin(text: &[u8]) -> bool {
    Origin::parse(text).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(pattern: &str, origin: &str) -> bool {
        let p = parse_pattern(pattern).unwrap();
        Origin::parse(origin.as_bytes()).is_some_and(|o| o.matches(&p))
    }

    #[test]
    fn exact_origins_compare_as_serializations() {
        assert!(allowed("https://console.example.com", "https://console.example.com"));
        assert!(allowed("https://console.example.com", "HTTPS://Console.Example.COM"));
        assert!(allowed("https://console.example.com", "https://console.example.com:443"));
        assert!(!allowed("https://console.example.com", "http://console.example.com"));
        assert!(!allowed("https://console.example.com", "https://console.example.com:8443"));
        assert!(allowed("http://localhost:8080", "http://localhost:8080"));
        assert!(!allowed("http://localhost:8080", "http://localhost"));
    }

    #[test]
    fn invalid_serializations_are_never_allowed() {
        for bad in [
            "https://console.example.com/",
            "https://console.example.com/path",
            "https://user@console.example.com",
            "https://",
            "https://:443",
            "https://console.example.com:",
            "https://console.example.com:0",
            "https://console.example.com:65536",
            "https://console.example.com:0443",
            "https://console..example.com",
            "https://.example.com",
            "console.example.com",
            "https://console.example.com?x",
            "NULL",
            "",
        ] {
            assert!(Origin::parse(bad.as_bytes()).is_none(), "{bad} parsed");
            assert!(!allowed("*", bad), "{bad} allowed by *");
        }
    }

    #[test]
    fn wildcards_need_a_label_and_a_dot() {
        let p = "https://*.example.com";
        assert!(allowed(p, "https://a.example.com"));
        assert!(allowed(p, "https://a.b.example.com"));
        assert!(!allowed(p, "https://example.com"));
        assert!(!allowed(p, "https://evil-example.com"));
        assert!(!allowed(p, "https://example.com.evil.com"));
        assert!(!allowed(p, "http://a.example.com"));
    }

    #[test]
    fn null_only_where_listed() {
        assert!(allowed("null", "null"));
        assert!(!allowed("*", "null"));
        assert!(!allowed("https://a.example.com", "null"));
    }

    #[test]
    fn ipv6_text_forms_agree_with_core_net() {
        let cases = [
            "::",
            "::1",
            "1::",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8",
            "1::8",
            "fe80::1",
            "::ffff:1.2.3.4",
            "1:2:3:4:5:6:1.2.3.4",
            "::1.2.3.4",
            "1:2:3:4:5:6:7:8:9",
            "1:2:3:4:5:6:7",
            ":::",
            "1:::2",
            "1::2::3",
            "12345::",
            "g::",
            ":1::",
            "1::2:",
            "::1.2.3.04",
            "::1.2.3",
            "::1.2.3.4.5",
            "::256.1.1.1",
            "1:2:3:4:5:6:7:1.2.3.4",
            "::ffff:1.2.3.4:5",
            "",
            ":",
            "1",
            "1.2.3.4",
            "::%25eth0",
            "1:2:3:4:5:6::1.2.3.4",
            "0:0:0:0:0:0:0:0",
            "FFFF::",
            "::ffff:255.255.255.255",
        ];
        for c in cases {
            assert_eq!(valid_ipv6(c.as_bytes()), c.parse::<core::net::Ipv6Addr>().is_ok(), "{c}");
        }
    }

    #[test]
    fn ipv6_literals() {
        assert!(allowed("http://[::1]:8080", "http://[::1]:8080"));
        assert!(Origin::parse(b"http://[::1]:80").is_some());
        assert!(Origin::parse(b"http://[zz]").is_none());
    }

    #[test]
    fn pattern_errors() {
        assert_eq!(parse_pattern("https://Example.com"), Err(OriginPatternError::NotLowercase));
        assert_eq!(parse_pattern("https://example.com/"), Err(OriginPatternError::NotAnOrigin));
        assert_eq!(parse_pattern("https://a.*.example.com"), Err(OriginPatternError::MisplacedWildcard));
        assert_eq!(parse_pattern("https://example.com:443"), Err(OriginPatternError::DefaultPort));
        assert_eq!(
            parse_pattern("https://*.example.com:8443"),
            Ok(OriginPattern::Subdomains { scheme: "https", suffix: "example.com", port: Some(8443) })
        );
    }
}
