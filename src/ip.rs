//! Client addresses and IP ranges (decision rows 4 and 5).
//!
//! Addresses and ranges are compared as 128-bit values; IPv4 lives in the IPv4-mapped block
//! (`::ffff:0:0/96`) with a family flag, so `::ffff:10.1.2.3` is `10.1.2.3` and an IPv4 range
//! never matches a native IPv6 address (nor the other way round). Every range is tested on
//! every request; the result is a bit set the rules are masked against.

use core::net::IpAddr;

use crate::policy::{IpRange, RangeSet};

/// A canonical client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Addr {
    value: u128,
    v4: bool,
}

impl Addr {
    /// Canonicalizes: IPv4 and IPv4-mapped IPv6 become IPv4.
    pub(crate) fn new(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self { value: u128::from(v4.to_ipv6_mapped()), v4: true },
            IpAddr::V6(v6) => Self { value: u128::from(v6), v4: v6.to_ipv4_mapped().is_some() },
        }
    }
}

fn mask(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128u32.saturating_sub(u32::from(prefix))).unwrap_or(0)
}

/// Whether `addr` is inside `range`.
fn contains(range: &IpRange, addr: Addr) -> bool {
    let m = mask(range.prefix);
    (range.v4 == addr.v4) & ((addr.value & m) == (u128::from_be_bytes(range.addr) & m))
}

/// Bit `i` set when the address is in `ranges[i]`; empty without an address.
pub(crate) fn hits(addr: Option<Addr>, ranges: &[IpRange]) -> RangeSet {
    let mut set = 0u64;
    let present = addr.is_some();
    let a = addr.unwrap_or(Addr { value: 0, v4: false });
    for (i, r) in ranges.iter().enumerate() {
        let hit = present & contains(r, a);
        let bit = u32::try_from(i).ok().and_then(|i| 1u64.checked_shl(i)).unwrap_or(0);
        set |= bit & 0u64.wrapping_sub(u64::from(hit));
    }
    RangeSet(set)
}

/// Whether a compiled range is canonical: prefix in bounds, host bits zero, and IPv4 ranges
/// inside the mapped block with a prefix of at least 96.
#[must_use]
pub(crate) fn is_canonical(range: &IpRange) -> bool {
    let value = u128::from_be_bytes(range.addr);
    let in_bounds = range.prefix <= 128;
    let host_clear = value & !mask(range.prefix) == 0;
    let v4_ok = !range.v4 || (range.prefix >= 96 && value >> 32 == 0xffff);
    in_bounds && host_clear && v4_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::{Ipv4Addr, Ipv6Addr};

    fn v4(a: [u8; 4], prefix: u8) -> IpRange {
        IpRange { addr: Ipv4Addr::from(a).to_ipv6_mapped().octets(), prefix: prefix + 96, v4: true }
    }
    fn v6(a: Ipv6Addr, prefix: u8) -> IpRange {
        IpRange { addr: a.octets(), prefix, v4: false }
    }
    fn hit(r: IpRange, ip: &str) -> bool {
        hits(Some(Addr::new(ip.parse().unwrap())), &[r]).contains(0)
    }

    #[test]
    fn ipv4_prefixes() {
        assert!(hit(v4([10, 0, 0, 0], 8), "10.200.1.1"));
        assert!(!hit(v4([10, 0, 0, 0], 8), "11.0.0.1"));
        assert!(hit(v4([192, 0, 2, 7], 32), "192.0.2.7"));
        assert!(!hit(v4([192, 0, 2, 7], 32), "192.0.2.8"));
        assert!(hit(v4([0, 0, 0, 0], 0), "203.0.113.9"));
    }

    #[test]
    fn mapped_ipv6_is_ipv4_and_families_do_not_mix() {
        assert!(hit(v4([10, 0, 0, 0], 8), "::ffff:10.1.2.3"));
        assert!(!hit(v4([0, 0, 0, 0], 0), "2001:db8::1"));
        assert!(!hit(v6(Ipv6Addr::UNSPECIFIED, 0), "10.0.0.1"));
        assert!(hit(v6(Ipv6Addr::UNSPECIFIED, 0), "2001:db8::1"));
        assert!(hit(v6("2001:db8::".parse().unwrap(), 32), "2001:db8:ffff::1"));
        assert!(!hit(v6("2001:db8::".parse().unwrap(), 32), "2001:db9::1"));
        assert!(hit(v6("2001:db8::1".parse().unwrap(), 128), "2001:db8::1"));
        assert!(!hit(v6("2001:db8::1".parse().unwrap(), 128), "2001:db8::2"));
        // `::1` is not `0.0.0.1`: only mapped addresses are IPv4.
        assert!(!hit(v4([0, 0, 0, 1], 32), "::1"));
    }

    #[test]
    fn no_address_hits_nothing() {
        assert_eq!(hits(None, &[v4([0, 0, 0, 0], 0)]), RangeSet::EMPTY);
    }

    #[test]
    fn canonical_ranges() {
        assert!(is_canonical(&v4([10, 0, 0, 0], 8)));
        assert!(!is_canonical(&v4([10, 0, 0, 1], 8)));
        assert!(!is_canonical(&IpRange { addr: [0; 16], prefix: 129, v4: false }));
        assert!(!is_canonical(&IpRange { addr: [0; 16], prefix: 100, v4: true }));
    }
}
