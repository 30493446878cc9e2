//! IPv4 networks and IPv6 formatting helpers.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// An IPv4 network: a base address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Net4 {
    pub(crate) base: u32,
    pub(crate) len: u8,
}

impl Net4 {
    pub(crate) const fn new(base: u32, len: u8) -> Self {
        Self { base, len }
    }

    /// The number of addresses in the network.
    pub(crate) fn size(self) -> u64 {
        1u64 << (32 - u32::from(self.len.min(32)))
    }

    #[cfg(test)]
    pub(crate) fn mask(self) -> u32 {
        if self.len == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(self.len.min(32)))
        }
    }

    #[cfg(test)]
    pub(crate) fn contains(self, ip: u32) -> bool {
        ip & self.mask() == self.base
    }
}

impl fmt::Display for Net4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.base), self.len)
    }
}

pub(crate) const fn v4(a: u8, b: u8, c: u8, d: u8) -> u32 {
    u32::from_be_bytes([a, b, c, d])
}

pub(crate) fn ip4(ip: u32) -> String {
    Ipv4Addr::from(ip).to_string()
}

/// `ip-10-1-2-3`, the host part of AWS DNS names.
pub(crate) fn dashed(ip: u32) -> String {
    let [a, b, c, d] = ip.to_be_bytes();
    format!("{a}-{b}-{c}-{d}")
}

pub(crate) fn ip6(ip: u128) -> String {
    Ipv6Addr::from(ip).to_string()
}

pub(crate) fn net6(base: u128, len: u8) -> String {
    format!("{}/{len}", Ipv6Addr::from(base))
}

/// The smallest `k` with `2^k >= n` (0 for `n <= 1`).
pub(crate) fn ceil_log2(n: u64) -> u8 {
    if n <= 1 {
        0
    } else {
        (64 - (n - 1).leading_zeros()) as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_contains() {
        let n = Net4::new(v4(10, 1, 0, 0), 16);
        assert_eq!(n.to_string(), "10.1.0.0/16");
        assert!(n.contains(v4(10, 1, 255, 3)));
        assert!(!n.contains(v4(10, 2, 0, 0)));
        assert_eq!(n.size(), 65536);
        assert_eq!(Net4::new(0, 0).to_string(), "0.0.0.0/0");
        assert!(Net4::new(0, 0).contains(v4(8, 8, 8, 8)));
        assert_eq!(ceil_log2(1), 0);
        assert_eq!(ceil_log2(2), 1);
        assert_eq!(ceil_log2(5), 3);
        assert_eq!(ceil_log2(8), 3);
        assert_eq!(dashed(v4(10, 0, 1, 2)), "10-0-1-2");
        assert_eq!(
            net6(0x2600_1f18_0000_0000_0000_0000_0000_0000, 56),
            "2600:1f18::/56"
        );
    }
}
