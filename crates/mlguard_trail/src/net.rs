//! Source addresses: lenient parsing, private ranges, AWS `ip-ranges.json` and known networks.

use std::net::{Ipv4Addr, Ipv6Addr};

/// An address as a 128-bit number (IPv4 mapped into `::ffff:0:0/96`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Addr(pub u128);

const V4_BASE: u128 = 0xffff_0000_0000;

impl Addr {
    /// Parses an IPv4 (octets with leading zeros allowed, as CloudTrail's anonymised samples
    /// have them) or IPv6 address; `None` for service names such as `AWS Internal`.
    pub fn parse(s: &str) -> Option<Addr> {
        if s.contains(':') {
            return s.parse::<Ipv6Addr>().ok().map(|a| Addr(u128::from(a)));
        }
        let mut v: u32 = 0;
        let mut n = 0;
        for part in s.split('.') {
            if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let o: u32 = part.parse().ok()?;
            if o > 255 {
                return None;
            }
            v = (v << 8) | o;
            n += 1;
        }
        (n == 4).then_some(Addr(V4_BASE | u128::from(v)))
    }

    fn v4(self) -> Option<u32> {
        (self.0 >> 32 == 0xffff).then_some((self.0 & 0xffff_ffff) as u32)
    }

    /// Not in a private, shared, loopback, link-local or documentation range.
    pub fn is_public(self) -> bool {
        if let Some(v) = self.v4() {
            let a = Ipv4Addr::from(v);
            let o = a.octets();
            return !(a.is_private() || a.is_loopback() || a.is_link_local() || a.is_unspecified() || (o[0] == 100 && (o[1] & 0xc0) == 64) || o[0] >= 224);
        }
        let a = Ipv6Addr::from(self.0);
        let seg0 = a.segments()[0];
        !(a.is_loopback() || a.is_unspecified() || (seg0 & 0xfe00) == 0xfc00 || (seg0 & 0xffc0) == 0xfe80)
    }
}

/// A set of CIDR blocks, answered by binary search over merged intervals.
#[derive(Debug, Clone, Default)]
pub struct NetSet {
    ranges: Vec<(u128, u128)>,
}

impl NetSet {
    /// Adds `a.b.c.d/n`, an IPv6 CIDR or a single address; returns false when it does not parse.
    pub fn add(&mut self, cidr: &str) -> bool {
        let (ip, len) = match cidr.split_once('/') {
            Some((ip, l)) => (ip, l.parse::<u32>().ok()),
            None => (cidr, None),
        };
        let Some(a) = Addr::parse(ip.trim()) else { return false };
        let bits = if a.v4().is_some() { len.map(|l| l + 96).unwrap_or(128) } else { len.unwrap_or(128) };
        if bits > 128 {
            return false;
        }
        let host = if bits == 128 { 0 } else { u128::MAX >> bits };
        self.ranges.push((a.0 & !host, a.0 | host));
        true
    }

    /// Sorts and merges; call after the last [`NetSet::add`].
    pub fn finish(&mut self) {
        self.ranges.sort_unstable();
        let mut merged: Vec<(u128, u128)> = Vec::with_capacity(self.ranges.len());
        for &(lo, hi) in &self.ranges {
            match merged.last_mut() {
                Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
                _ => merged.push((lo, hi)),
            }
        }
        self.ranges = merged;
    }

    pub fn contains(&self, a: Addr) -> bool {
        let i = self.ranges.partition_point(|r| r.0 <= a.0);
        i > 0 && self.ranges.get(i - 1).map(|r| a.0 <= r.1).unwrap_or(false)
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Reads AWS's published `ip-ranges.json` (`prefixes[].ip_prefix`, `ipv6_prefixes[].ipv6_prefix`;
    /// <https://docs.aws.amazon.com/vpc/latest/userguide/aws-ip-ranges.html>).
    pub fn from_ip_ranges(text: &str) -> Result<NetSet, String> {
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let mut s = NetSet::default();
        for (list, key) in [("prefixes", "ip_prefix"), ("ipv6_prefixes", "ipv6_prefix")] {
            for p in v.get(list).and_then(|l| l.as_array()).into_iter().flatten() {
                if let Some(c) = p.get(key).and_then(|c| c.as_str()) {
                    s.add(c);
                }
            }
        }
        if s.ranges.is_empty() {
            return Err("no `prefixes[].ip_prefix` entries".into());
        }
        s.finish();
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_classifies() {
        assert!(Addr::parse("08.1.250.216").unwrap().is_public());
        assert!(!Addr::parse("10.0.1.50").unwrap().is_public());
        assert!(!Addr::parse("100.64.0.1").unwrap().is_public());
        assert_eq!(Addr::parse("AWS Internal"), None);
        assert_eq!(Addr::parse("cloudformation.amazonaws.com"), None);
        assert!(!Addr::parse("fd00::1").unwrap().is_public());
    }

    #[test]
    fn netset_contains() {
        let mut s = NetSet::default();
        assert!(s.add("52.0.0.0/11"));
        assert!(s.add("2600:1f00::/24"));
        s.finish();
        assert!(s.contains(Addr::parse("52.31.255.255").unwrap()));
        assert!(!s.contains(Addr::parse("52.32.0.0").unwrap()));
        assert!(s.contains(Addr::parse("2600:1f00::9").unwrap()));
    }
}
