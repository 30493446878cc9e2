//! Protocols and sets of ports (or ICMP types) as sorted disjoint ranges.

use std::fmt;

/// An IP protocol as the security-group and network-ACL APIs name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Proto {
    Tcp,
    Udp,
    Icmp,
    Icmpv6,
    Other(u8),
}

impl Proto {
    pub fn number(self) -> u8 {
        match self {
            Proto::Tcp => 6,
            Proto::Udp => 17,
            Proto::Icmp => 1,
            Proto::Icmpv6 => 58,
            Proto::Other(n) => n,
        }
    }

    pub fn from_number(n: u8) -> Proto {
        match n {
            6 => Proto::Tcp,
            17 => Proto::Udp,
            1 => Proto::Icmp,
            58 => Proto::Icmpv6,
            n => Proto::Other(n),
        }
    }

    /// Whether the protocol has ports (TCP, UDP) or ICMP types, which rules can restrict.
    pub fn has_ports(self) -> bool {
        matches!(self, Proto::Tcp | Proto::Udp | Proto::Icmp | Proto::Icmpv6)
    }

    pub fn is_icmp(self) -> bool {
        matches!(self, Proto::Icmp | Proto::Icmpv6)
    }

    pub fn name(self) -> String {
        match self {
            Proto::Tcp => "tcp".into(),
            Proto::Udp => "udp".into(),
            Proto::Icmp => "icmp".into(),
            Proto::Icmpv6 => "icmpv6".into(),
            Proto::Other(n) => format!("proto-{n}"),
        }
    }
}

/// A protocol field of a rule: `-1` (all), or one protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtoMatch {
    All,
    One(Proto),
}

impl ProtoMatch {
    /// Parses `-1`, `all`, `tcp`, `udp`, `icmp`, `icmpv6` or a protocol number.
    pub fn parse(s: &str) -> Option<ProtoMatch> {
        let s = s.trim().to_ascii_lowercase();
        match s.as_str() {
            "-1" | "all" => Some(ProtoMatch::All),
            "tcp" => Some(ProtoMatch::One(Proto::Tcp)),
            "udp" => Some(ProtoMatch::One(Proto::Udp)),
            "icmp" => Some(ProtoMatch::One(Proto::Icmp)),
            "icmpv6" => Some(ProtoMatch::One(Proto::Icmpv6)),
            n => n.parse::<u8>().ok().map(|n| ProtoMatch::One(Proto::from_number(n))),
        }
    }

    pub fn matches(self, p: Proto) -> bool {
        match self {
            ProtoMatch::All => true,
            ProtoMatch::One(q) => q == p,
        }
    }
}

impl fmt::Display for ProtoMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtoMatch::All => f.write_str("all protocols"),
            ProtoMatch::One(p) => f.write_str(&p.name()),
        }
    }
}

/// A set of 16-bit values (ports, or ICMP types) as sorted, disjoint, non-adjacent ranges.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct PortSet(Vec<(u16, u16)>);

impl PortSet {
    pub fn empty() -> PortSet {
        PortSet(Vec::new())
    }

    pub fn all() -> PortSet {
        PortSet(vec![(0, u16::MAX)])
    }

    pub fn range(lo: u16, hi: u16) -> PortSet {
        if lo > hi {
            PortSet::empty()
        } else {
            PortSet(vec![(lo, hi)])
        }
    }

    pub fn single(p: u16) -> PortSet {
        PortSet(vec![(p, p)])
    }

    pub fn ranges(&self) -> &[(u16, u16)] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn is_all(&self) -> bool {
        self.0 == [(0, u16::MAX)]
    }

    pub fn contains(&self, p: u16) -> bool {
        self.0.iter().any(|&(a, b)| a <= p && p <= b)
    }

    pub fn count(&self) -> u32 {
        self.0.iter().map(|&(a, b)| (b - a) as u32 + 1).sum()
    }

    pub fn first(&self) -> Option<u16> {
        self.0.first().map(|r| r.0)
    }

    pub fn intersect(&self, o: &PortSet) -> PortSet {
        let mut out = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < self.0.len() && j < o.0.len() {
            let (a1, b1) = self.0[i];
            let (a2, b2) = o.0[j];
            let lo = a1.max(a2);
            let hi = b1.min(b2);
            if lo <= hi {
                out.push((lo, hi));
            }
            if b1 < b2 {
                i += 1;
            } else {
                j += 1;
            }
        }
        PortSet(out)
    }

    pub fn union(&self, o: &PortSet) -> PortSet {
        let mut all: Vec<(u16, u16)> = self.0.iter().chain(o.0.iter()).copied().collect();
        all.sort_unstable();
        let mut out: Vec<(u16, u16)> = Vec::with_capacity(all.len());
        for (a, b) in all {
            if let Some(last) = out.last_mut() {
                if (a as u32) <= last.1 as u32 + 1 {
                    last.1 = last.1.max(b);
                    continue;
                }
            }
            out.push((a, b));
        }
        PortSet(out)
    }

    pub fn subtract(&self, o: &PortSet) -> PortSet {
        let mut out = Vec::new();
        for &(a, b) in &self.0 {
            let mut lo = a as u32;
            let hi = b as u32;
            for &(c, d) in &o.0 {
                let (c, d) = (c as u32, d as u32);
                if d < lo || c > hi {
                    continue;
                }
                if c > lo {
                    out.push((lo as u16, (c - 1) as u16));
                }
                lo = d + 1;
                if lo > hi {
                    break;
                }
            }
            if lo <= hi {
                out.push((lo as u16, hi as u16));
            }
        }
        PortSet(out)
    }
}

impl fmt::Display for PortSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("none");
        }
        if self.is_all() {
            return f.write_str("all");
        }
        let parts: Vec<String> =
            self.0.iter().map(|&(a, b)| if a == b { a.to_string() } else { format!("{a}-{b}") }).collect();
        f.write_str(&parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn model(s: &PortSet) -> Vec<bool> {
        let mut v = vec![false; 65536];
        for &(a, b) in s.ranges() {
            for p in a..=b {
                v[p as usize] = true;
            }
        }
        v
    }

    fn arb() -> impl Strategy<Value = PortSet> {
        proptest::collection::vec((0u16..2000, 0u16..200), 0..6).prop_map(|rs| {
            rs.into_iter().fold(PortSet::empty(), |acc, (a, w)| acc.union(&PortSet::range(a, a.saturating_add(w))))
        })
    }

    proptest! {
        #[test]
        fn set_algebra_matches_a_bitmap(a in arb(), b in arb()) {
            let (ma, mb) = (model(&a), model(&b));
            let i = model(&a.intersect(&b));
            let u = model(&a.union(&b));
            let d = model(&a.subtract(&b));
            for p in 0..2300usize {
                prop_assert_eq!(i[p], ma[p] && mb[p]);
                prop_assert_eq!(u[p], ma[p] || mb[p]);
                prop_assert_eq!(d[p], ma[p] && !mb[p]);
            }
        }
    }

    #[test]
    fn display() {
        assert_eq!(PortSet::range(22, 22).union(&PortSet::range(80, 443)).to_string(), "22,80-443");
        assert_eq!(PortSet::all().to_string(), "all");
        assert_eq!(PortSet::all().subtract(&PortSet::range(0, 65534)).to_string(), "65535");
    }
}
