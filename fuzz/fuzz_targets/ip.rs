//! Client addresses: IPv4, IPv6 and IPv4-mapped addresses against the example policy's
//! allow and deny lists (and CIDR text through the compiler's parser), engine against model.
#![no_main]

use std::net::IpAddr;

use libfuzzer_sys::fuzz_target;

use warden_fuzz_common as common;

fuzz_target!(|data: &[u8]| {
    let ip = match data {
        [0, a, b, c, d, ..] => Some(IpAddr::from([*a, *b, *c, *d])),
        [1, rest @ ..] if rest.len() >= 16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(&rest[..16]);
            Some(IpAddr::from(a))
        }
        [2, a, b, c, d, ..] => Some(IpAddr::V6(std::net::Ipv4Addr::from([*a, *b, *c, *d]).to_ipv6_mapped())),
        [3, rest @ ..] => std::str::from_utf8(rest).ok().and_then(|t| t.parse().ok()),
        _ => None,
    };
    for (method, path) in [("GET", "/health"), ("POST", "/deploy/web"), ("GET", "/admin/x"), ("GET", "/metrics")] {
        let mut req = common::request(
            method,
            path,
            vec![("x-api-key", b"wk_DhPFDAtn1ATuO8PS9G3ud6eiQgwxjftNci2uyCG7ODw".to_vec())],
        );
        req.ip = ip;
        common::compare_example(&req);
    }
});
