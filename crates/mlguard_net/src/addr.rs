//! IPv4 and IPv6 addresses, CIDR blocks and address intervals, one numeric type for both.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    pub fn bits(self) -> u8 {
        match self {
            Family::V4 => 32,
            Family::V6 => 128,
        }
    }
    pub fn max(self) -> u128 {
        match self {
            Family::V4 => u32::MAX as u128,
            Family::V6 => u128::MAX,
        }
    }
}

/// An address of either family as a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ip {
    pub fam: Family,
    pub v: u128,
}

impl Ip {
    pub fn parse(s: &str) -> Option<Ip> {
        match s.trim().parse::<IpAddr>().ok()? {
            IpAddr::V4(a) => Some(Ip { fam: Family::V4, v: u32::from(a) as u128 }),
            IpAddr::V6(a) => Some(Ip { fam: Family::V6, v: u128::from(a) }),
        }
    }
}

impl fmt::Display for Ip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.fam {
            Family::V4 => write!(f, "{}", Ipv4Addr::from(self.v as u32)),
            Family::V6 => write!(f, "{}", Ipv6Addr::from(self.v)),
        }
    }
}

/// A CIDR block, normalised (host bits cleared, as AWS stores them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cidr {
    pub fam: Family,
    pub base: u128,
    pub len: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        let s = s.trim();
        let (addr, len) = match s.split_once('/') {
            Some((a, l)) => (a, Some(l.parse::<u8>().ok()?)),
            None => (s, None),
        };
        let ip = Ip::parse(addr)?;
        let len = len.unwrap_or(ip.fam.bits());
        if len > ip.fam.bits() {
            return None;
        }
        Some(Cidr::new(ip.fam, ip.v, len))
    }

    pub fn new(fam: Family, v: u128, len: u8) -> Cidr {
        let mask = mask(fam, len);
        Cidr { fam, base: v & mask, len }
    }

    pub fn host(ip: Ip) -> Cidr {
        Cidr { fam: ip.fam, base: ip.v, len: ip.fam.bits() }
    }

    pub fn all(fam: Family) -> Cidr {
        Cidr { fam, base: 0, len: 0 }
    }

    pub fn first(&self) -> u128 {
        self.base
    }

    pub fn last(&self) -> u128 {
        self.base | (!mask(self.fam, self.len) & self.fam.max())
    }

    pub fn contains(&self, ip: Ip) -> bool {
        ip.fam == self.fam && ip.v & mask(self.fam, self.len) == self.base
    }

    pub fn contains_cidr(&self, other: &Cidr) -> bool {
        other.fam == self.fam && other.len >= self.len && other.base & mask(self.fam, self.len) == self.base
    }

    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.contains_cidr(other) || other.contains_cidr(self)
    }

    pub fn interval(&self) -> Interval {
        Interval { fam: self.fam, lo: self.first(), hi: self.last() }
    }
}

fn mask(fam: Family, len: u8) -> u128 {
    let bits = fam.bits();
    if len == 0 {
        0
    } else {
        (fam.max() >> (bits - len)) << (bits - len)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", Ip { fam: self.fam, v: self.base }, self.len)
    }
}

/// An inclusive range of addresses of one family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval {
    pub fam: Family,
    pub lo: u128,
    pub hi: u128,
}

impl Interval {
    pub fn contains(&self, ip: Ip) -> bool {
        ip.fam == self.fam && self.lo <= ip.v && ip.v <= self.hi
    }

    pub fn rep(&self) -> Ip {
        Ip { fam: self.fam, v: self.lo }
    }

    /// The smallest list of CIDR blocks covering exactly this interval.
    pub fn to_cidrs(&self) -> Vec<Cidr> {
        let mut out = Vec::new();
        let bits = self.fam.bits() as u32;
        let mut lo = self.lo;
        loop {
            // largest block aligned at lo that does not pass hi
            let mut size_bits = if lo == 0 { bits } else { lo.trailing_zeros().min(bits) };
            loop {
                let last = if size_bits >= 128 { u128::MAX } else { lo + ((1u128 << size_bits) - 1) };
                if last <= self.hi && (size_bits < 128 || lo == 0) {
                    break;
                }
                size_bits -= 1;
            }
            let len = (bits - size_bits) as u8;
            out.push(Cidr { fam: self.fam, base: lo, len });
            let last = if size_bits >= 128 { u128::MAX } else { lo + ((1u128 << size_bits) - 1) };
            if last >= self.hi {
                break;
            }
            lo = last + 1;
        }
        out
    }

    /// Splits this interval at the edges of `c` that fall strictly inside it.
    /// Returns `None` when `c` contains the interval or misses it.
    pub fn split_by(&self, c: &Cidr) -> Option<Vec<Interval>> {
        if c.fam != self.fam {
            return None;
        }
        let (a, b) = (c.first(), c.last());
        if b < self.lo || a > self.hi || (a <= self.lo && b >= self.hi) {
            return None;
        }
        let mut out = Vec::with_capacity(3);
        let mut lo = self.lo;
        if a > lo {
            out.push(Interval { fam: self.fam, lo, hi: a - 1 });
            lo = a;
        }
        let mid_hi = b.min(self.hi);
        out.push(Interval { fam: self.fam, lo, hi: mid_hi });
        if mid_hi < self.hi {
            out.push(Interval { fam: self.fam, lo: mid_hi + 1, hi: self.hi });
        }
        Some(out)
    }
}

/// Address blocks that are not reachable on the public internet (IANA special-purpose
/// registries, RFC 6890 and successors). An internet gateway drops traffic to these.
pub fn non_public_v4() -> &'static [(&'static str, u32, u8)] {
    &[
        ("0.0.0.0/8", 0x0000_0000, 8),
        ("10.0.0.0/8", 0x0A00_0000, 8),
        ("100.64.0.0/10", 0x6440_0000, 10),
        ("127.0.0.0/8", 0x7F00_0000, 8),
        ("169.254.0.0/16", 0xA9FE_0000, 16),
        ("172.16.0.0/12", 0xAC10_0000, 12),
        ("192.0.0.0/24", 0xC000_0000, 24),
        ("192.0.2.0/24", 0xC000_0200, 24),
        ("192.168.0.0/16", 0xC0A8_0000, 16),
        ("198.18.0.0/15", 0xC612_0000, 15),
        ("224.0.0.0/4", 0xE000_0000, 4),
        ("240.0.0.0/4", 0xF000_0000, 4),
    ]
}

/// The special-purpose IPv4 blocks as CIDRs.
pub fn non_public_v4_cidrs() -> Vec<Cidr> {
    non_public_v4().iter().map(|(_, b, l)| Cidr::new(Family::V4, *b as u128, *l)).collect()
}

/// IPv6 global unicast space as AWS assigns it (2000::/3).
pub fn global_unicast_v6() -> Cidr {
    Cidr::new(Family::V6, 0x2000u128 << 112, 3)
}

/// Whether an address is routable on the public internet.
pub fn is_public(ip: Ip) -> bool {
    match ip.fam {
        Family::V4 => !non_public_v4_cidrs().iter().any(|c| c.contains(ip)),
        Family::V6 => global_unicast_v6().contains(ip),
    }
}

/// The public internet of one family, as intervals.
pub fn internet(fam: Family) -> Vec<Interval> {
    match fam {
        Family::V6 => vec![global_unicast_v6().interval()],
        Family::V4 => {
            let mut blocked: Vec<Interval> = non_public_v4_cidrs().iter().map(|c| c.interval()).collect();
            blocked.sort();
            let mut out = Vec::new();
            let mut lo: u128 = 0;
            for b in blocked {
                if b.lo > lo {
                    out.push(Interval { fam, lo, hi: b.lo - 1 });
                }
                lo = lo.max(b.hi + 1);
            }
            if lo <= Family::V4.max() {
                out.push(Interval { fam, lo, hi: Family::V4.max() });
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Cidr {
        Cidr::parse(s).unwrap_or_else(|| Cidr::all(Family::V4))
    }

    #[test]
    fn parse_and_contain() {
        let v = c("10.0.1.7/16");
        assert_eq!(v.to_string(), "10.0.0.0/16");
        assert!(v.contains(Ip::parse("10.0.255.255").unwrap_or(Ip { fam: Family::V4, v: 0 })));
        assert!(!v.contains(Ip::parse("10.1.0.0").unwrap_or(Ip { fam: Family::V4, v: 0 })));
        assert!(c("0.0.0.0/0").contains_cidr(&v));
        let v6 = c("2600:1f18:abcd::/56");
        assert_eq!(v6.fam, Family::V6);
        assert!(c("::/0").contains_cidr(&v6));
        assert!(!c("0.0.0.0/0").contains_cidr(&v6));
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("nonsense").is_none());
    }

    #[test]
    fn interval_to_cidrs_is_exact() {
        let iv = Interval { fam: Family::V4, lo: 10, hi: 300 };
        let cs = iv.to_cidrs();
        let covered: u128 = cs.iter().map(|c| c.last() - c.first() + 1).sum();
        assert_eq!(covered, 291);
        assert_eq!(cs.first().map(|c| c.first()), Some(10));
        assert_eq!(cs.last().map(|c| c.last()), Some(300));
        let all = Cidr::all(Family::V6).interval().to_cidrs();
        assert_eq!(all, vec![Cidr::all(Family::V6)]);
        let all4 = Cidr::all(Family::V4).interval().to_cidrs();
        assert_eq!(all4, vec![Cidr::all(Family::V4)]);
    }

    #[test]
    fn internet_excludes_private() {
        let net = internet(Family::V4);
        let ten = Ip::parse("10.1.2.3").unwrap_or(Ip { fam: Family::V4, v: 0 });
        let pub_ip = Ip::parse("203.0.113.9").unwrap_or(Ip { fam: Family::V4, v: 0 });
        assert!(!net.iter().any(|i| i.contains(ten)));
        assert!(net.iter().any(|i| i.contains(pub_ip)));
        assert!(!is_public(ten));
        assert!(is_public(pub_ip));
    }
}
