//! IP ranges (CIDRs) and origin patterns, for `[defaults]` and the rules.

use super::*;

/// Whether `host` is itself a public suffix (`com`, `co.uk`, `github.io`): an entry of the
/// Public Suffix List, ICANN or private section, as the `psl` crate compiles it in.
fn is_public_suffix(host: &str) -> bool {
    psl::suffix(host.as_bytes()).is_some_and(|s| s.is_known() && s.as_bytes() == host.as_bytes())
}

/// When an address or prefix length has a decimal number with a leading zero (`010.0.0.0/8`,
/// `10.0.0.01`, `::ffff:10.0.0.01`, `/08`), the text with those zeros removed; `None` when
/// there is none. IPv6 hex groups may have leading zeros (`2001:0db8::`): hex is never read as
/// octal, so they are not ambiguous.
fn without_leading_zeros(text: &str) -> Option<String> {
    fn strip(n: &str) -> (&str, bool) {
        let t = n.trim_start_matches('0');
        let t = if t.is_empty() && !n.is_empty() { "0" } else { t };
        (t, t.len() != n.len())
    }
    let (addr, prefix) = match text.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (text, None),
    };
    let mut changed = false;
    // The dotted-decimal part: all of an IPv4 address, or the tail after the last `:`.
    let (head, dotted) = match addr.rfind(':') {
        Some(i) => addr.split_at(i.saturating_add(1)),
        None => ("", addr),
    };
    let mut fixed = head.to_string();
    if dotted.contains('.') {
        let parts: Vec<&str> = dotted
            .split('.')
            .map(|p| {
                let all_digits = !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit());
                if all_digits {
                    let (t, c) = strip(p);
                    changed |= c;
                    t
                } else {
                    p
                }
            })
            .collect();
        fixed.push_str(&parts.join("."));
    } else {
        fixed.push_str(dotted);
    }
    if let Some(p) = prefix {
        let all_digits = !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit());
        let p = if all_digits {
            let (t, c) = strip(p);
            changed |= c;
            t
        } else {
            p
        };
        fixed.push('/');
        fixed.push_str(p);
    }
    changed.then_some(fixed)
}

impl Compiler {
    /// Parses a list of CIDRs; `allow` lists warn about `/0`.
    pub(super) fn ranges(&mut self, list: Option<&StrList>, allow: bool) -> Vec<At<IpRange>> {
        let mut out = Vec::new();
        for item in list.map(|l| l.get_ref().as_slice()).unwrap_or(&[]) {
            if let Some(r) = self.cidr(item) {
                if allow && r.prefix == if r.v4 { 96 } else { 0 } {
                    let all = if r.v4 { "IPv4" } else { "IPv6" };
                    self.warn(
                        item.span(),
                        format!("`{}` in an allow list allows every {all} address", item.get_ref()),
                        "leave `ip_allow` out (no list = any address) or list the networks you mean",
                    );
                }
                if out.iter().any(|(x, _)| *x == r) {
                    self.error(
                        item.span(),
                        format!("range `{}` is listed twice", item.get_ref()),
                        "remove the second one",
                    );
                }
                out.push((r, item.span()));
            }
        }
        out
    }

    pub(super) fn cidr(&mut self, item: &Spanned<String>) -> Option<IpRange> {
        let text = item.get_ref().trim();
        if let Some(fixed) = without_leading_zeros(text) {
            self.error(
                item.span(),
                format!("`{}` has a number with a leading zero", text.escape_debug()),
                format!(
                    "C parsers (inet_aton) read `010` as octal 8 and others as decimal 10 (CVE-2021-29922): write the number without leading zeros, e.g. \"{fixed}\" if you mean decimal"
                ),
            );
            return None;
        }
        let net: IpNet = match text.parse::<IpNet>() {
            Ok(n) => n,
            Err(_) => match text.parse::<IpAddr>() {
                Ok(a) => IpNet::from(a),
                Err(_) => {
                    self.error(
                        item.span(),
                        format!("`{}` is not an IP range", text.escape_debug()),
                        "write an address with a prefix length, e.g. \"10.0.0.0/8\" or \"2001:db8::/32\"",
                    );
                    return None;
                }
            },
        };
        let (addr, prefix, v4) = match net {
            IpNet::V4(n) => (n.network().to_ipv6_mapped().octets(), n.prefix_len().saturating_add(96), true),
            IpNet::V6(n) => {
                let mapped = n.addr().to_ipv4_mapped().is_some();
                if mapped && n.prefix_len() < 96 {
                    self.error(
                        item.span(),
                        format!("`{text}` is an IPv4-mapped range with a prefix shorter than 96"),
                        "write the IPv4 range instead (e.g. \"10.0.0.0/8\"); mapped addresses are treated as IPv4",
                    );
                    return None;
                }
                (n.network().octets(), n.prefix_len(), mapped)
            }
        };
        if net.addr() != net.network() {
            let fixed = match net {
                IpNet::V6(n) if n.addr().to_ipv4_mapped().is_some() => {
                    let v4 = n.network().to_ipv4_mapped().map(|a| a.to_string()).unwrap_or_default();
                    format!("{v4}/{}", n.prefix_len().saturating_sub(96))
                }
                other => other.trunc().to_string(),
            };
            self.error(item.span(), format!("`{text}` has host bits set"), format!("did you mean {fixed}?"));
            return None;
        }
        Some(IpRange { addr, prefix, v4 })
    }

    /// Parses a list of origin patterns into normalized texts.
    pub(super) fn origin_list(&mut self, list: Option<&StrList>, credentials: bool) -> Vec<At<String>> {
        let mut out: Vec<At<String>> = Vec::new();
        for item in list.map(|l| l.get_ref().as_slice()).unwrap_or(&[]) {
            let Some(norm) = self.origin(item, credentials) else { continue };
            if out.iter().any(|(x, _)| *x == norm) {
                self.error(
                    item.span(),
                    format!("origin `{norm}` is listed twice"),
                    "remove the second one (origins compare case-insensitively, without the default port)",
                );
            }
            out.push((norm, item.span()));
        }
        out
    }

    pub(super) fn origin(&mut self, item: &Spanned<String>, credentials: bool) -> Option<String> {
        let mut text = item.get_ref().to_ascii_lowercase();
        // RFC 6454: the default port is the same origin as no port. An IPv6 host ends in `]`,
        // so a trailing `:443`/`:80` is always the port.
        for (scheme, port) in [("https://", ":443"), ("http://", ":80")] {
            if text.starts_with(scheme) && text.ends_with(port) {
                text.truncate(text.len().saturating_sub(port.len()));
            }
        }
        match warden::origin::parse_pattern(&text) {
            Ok(p) => {
                match p {
                    warden::policy::OriginPattern::Any => {
                        let extra = if credentials {
                            " and, with `allow_credentials = true`, read its users' data"
                        } else {
                            ""
                        };
                        self.warn(item.span(), format!("origin `*` lets every web site call this API from a browser{extra}"), "list the origins that may call it, e.g. \"https://app.example.com\" or \"https://*.example.com\"");
                    }
                    warden::policy::OriginPattern::Null => {
                        self.warn(item.span(), "origin `null` is sent by sandboxed iframes, file: pages and some redirects: any site can produce it", "list real origins instead of `null`");
                    }
                    warden::policy::OriginPattern::Subdomains { scheme, suffix, port } if is_public_suffix(suffix) => {
                        let port = port.map(|p| format!(":{p}")).unwrap_or_default();
                        self.warn(
                            item.span(),
                            format!("`{text}` allows every site under `{suffix}`, a public suffix: anyone can register a name there"),
                            format!("list the sites you mean, e.g. \"{scheme}://app.{suffix}{port}\" or \"{scheme}://*.yours.{suffix}{port}\" (Public Suffix List, crate `psl`)"),
                        );
                    }
                    _ => {}
                }
                Some(text)
            }
            Err(e) => {
                let help = if text.ends_with('/') {
                    format!("remove the trailing slash: \"{}\"", text.trim_end_matches('/'))
                } else {
                    "write `scheme://host[:port]`, `scheme://*.domain`, `*` or `null`, e.g. \"https://console.example.com\"".into()
                };
                self.error(
                    item.span(),
                    format!("`{}` is not an origin: {}", item.get_ref().escape_debug(), e.message()),
                    help,
                );
                None
            }
        }
    }
}
