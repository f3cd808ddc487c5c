//! The request the host asks about (SPEC §2).

use core::net::IpAddr;

/// One HTTP header as received: the name is matched case-insensitively, the value is used as
/// given after trimming spaces and tabs at both ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    /// Header name.
    pub name: &'a [u8],
    /// Header value.
    pub value: &'a [u8],
}

impl<'a> Header<'a> {
    /// A header from a name and a value.
    #[must_use]
    pub const fn new(name: &'a [u8], value: &'a [u8]) -> Self {
        Self { name, value }
    }
}

/// An HTTP-style request. Every field is public input: nothing here is treated as secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    /// Method token, case-sensitive (`GET` ≠ `get`).
    pub method: &'a [u8],
    /// Request-target path; anything from `?` on is ignored.
    pub path: &'a [u8],
    /// Client address as the host trusts it; `::ffff:a.b.c.d` is treated as `a.b.c.d`.
    pub client_ip: Option<IpAddr>,
    /// Headers; the host may pass all of them, the engine reads the few it needs.
    pub headers: &'a [Header<'a>],
    /// Current time, Unix seconds. The engine never reads a clock.
    pub now: u64,
}

impl<'a> Request<'a> {
    /// A request without headers or client address.
    #[must_use]
    pub const fn new(method: &'a [u8], path: &'a [u8], now: u64) -> Self {
        Self { method, path, client_ip: None, headers: &[], now }
    }

    /// The same request with these headers.
    #[must_use]
    pub const fn with_headers(self, headers: &'a [Header<'a>]) -> Self {
        Self { headers, ..self }
    }

    /// The same request with this client address.
    #[must_use]
    pub const fn with_client_ip(self, ip: IpAddr) -> Self {
        Self { client_ip: Some(ip), ..self }
    }
}
