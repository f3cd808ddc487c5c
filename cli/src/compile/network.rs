//! IP ranges (CIDRs) and origin patterns, for `[defaults]` and the rules.

use super::*;

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
