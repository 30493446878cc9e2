//! Typed condition values: numbers, dates and IP ranges, parsed without further dependencies.
//!
//! - Numbers are integers or decimals
//!   (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Numeric>),
//!   compared as `f64`.
//! - Dates are "one of the W3C implementations of the ISO 8601 date formats or in epoch (UNIX)
//!   time" (`…#Conditions_Date`): `YYYY-MM`, `YYYY-MM-DD`, `YYYY-MM-DDThh:mm[:ss[.s…]]` with `Z`,
//!   `±hh:mm`, `±hhmm` or no zone (UTC), or a number of seconds since 1970 (digits, optionally
//!   with a fraction). They compare as nanoseconds since the epoch.
//! - IP ranges are CIDR blocks, IPv4 or IPv6; "If you specify an IP address without the
//!   associated routing prefix, IAM uses the default prefix value of `/32`" (`…#Conditions_IPAddress`),
//!   `/128` for IPv6. Host bits below the prefix are ignored; the families never match each other.

use std::net::IpAddr;

/// A number from a policy or a request.
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E')) {
        return None;
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Nanoseconds since 1970-01-01T00:00:00Z.
pub(crate) type Instant = i128;

const NANOS: i128 = 1_000_000_000;

/// An ISO 8601 (W3C profile) date-time or epoch seconds.
pub(crate) fn parse_date(s: &str) -> Option<Instant> {
    let t = s.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return parse_epoch(t);
    }
    parse_iso(t)
}

fn parse_epoch(t: &str) -> Option<Instant> {
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty() || whole.len() > 18 || frac.contains('.') {
        return None;
    }
    let secs: i128 = whole.parse().ok()?;
    Some(secs * NANOS + fraction_nanos(frac)?)
}

/// Up to nine digits of a fraction of a second, as nanoseconds (further digits are ignored).
fn fraction_nanos(frac: &str) -> Option<i128> {
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut n: i128 = 0;
    for i in 0..9 {
        n = n * 10 + frac.as_bytes().get(i).map_or(0, |b| i128::from(b - b'0'));
    }
    Some(n)
}

fn digits(s: &str, n: usize) -> Option<(i64, &str)> {
    let head = s.get(..n)?;
    if !head.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((head.parse().ok()?, &s[n..]))
}

fn parse_iso(t: &str) -> Option<Instant> {
    let (year, rest) = digits(t, 4)?;
    let rest = rest.strip_prefix('-')?;
    let (month, rest) = digits(rest, 2)?;
    let (day, rest) = match rest.strip_prefix('-') {
        Some(r) => digits(r, 2)?,
        None if rest.is_empty() => (1, rest),
        None => return None,
    };
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut secs = days_from_civil(year, month, day) * 86_400;
    let mut nanos: i128 = 0;
    if let Some(time) = rest.strip_prefix('T').or_else(|| rest.strip_prefix('t')) {
        let (hour, r) = digits(time, 2)?;
        let r = r.strip_prefix(':')?;
        let (minute, mut r) = digits(r, 2)?;
        let mut second = 0;
        if let Some(s) = r.strip_prefix(':') {
            let (sec, after) = digits(s, 2)?;
            second = sec;
            r = after;
            if let Some(f) = r.strip_prefix('.') {
                let end = f.find(|c: char| !c.is_ascii_digit()).unwrap_or(f.len());
                if end == 0 {
                    return None;
                }
                nanos = fraction_nanos(&f[..end])?;
                r = &f[end..];
            }
        }
        if hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        secs += hour * 3600 + minute * 60 + second;
        secs -= zone_offset(r)?;
    } else if !rest.is_empty() {
        return None;
    }
    Some(i128::from(secs) * NANOS + nanos)
}

/// Seconds east of UTC for `Z`, `±hh:mm`, `±hhmm`, `±hh` or nothing.
fn zone_offset(z: &str) -> Option<i64> {
    if z.is_empty() || z == "Z" || z == "z" {
        return Some(0);
    }
    let sign = match z.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (h, r) = digits(&z[1..], 2)?;
    let r = r.strip_prefix(':').unwrap_or(r);
    let (m, r) = if r.is_empty() { (0, r) } else { digits(r, 2)? };
    if !r.is_empty() || h > 23 || m > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`,
/// <https://howardhinnant.github.io/date_algorithms.html#days_from_civil>). Public because the
/// CloudTrail reader converts `eventTime` with it on its hot path.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// An IPv4 or IPv6 CIDR block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr {
    v6: bool,
    addr: u128,
    len: u8,
}

impl Cidr {
    /// `203.0.113.0/24`, `2001:DB8:1234:5678::/64`, or a bare address.
    pub(crate) fn parse(s: &str) -> Option<Cidr> {
        let t = s.trim();
        let (ip, len) = match t.split_once('/') {
            Some((ip, len)) if !len.is_empty() && len.bytes().all(|b| b.is_ascii_digit()) => {
                (ip, Some(len.parse::<u8>().ok()?))
            }
            Some(_) => return None,
            None => (t, None),
        };
        let (v6, addr) = ip_bits(ip.parse().ok()?);
        let max = if v6 { 128 } else { 32 };
        let len = len.unwrap_or(max);
        if len > max {
            return None;
        }
        let width = if v6 { 128 } else { 32 };
        let mask = if len == 0 { 0 } else { (u128::MAX << (128 - u32::from(len))) >> (128 - width) };
        Some(Cidr { v6, addr: addr & mask, len })
    }

    /// Whether `ip` lies in the block.
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        let (v6, bits) = ip_bits(ip);
        if v6 != self.v6 {
            return false;
        }
        if self.len == 0 {
            return true;
        }
        let width: u32 = if v6 { 128 } else { 32 };
        let shift = width - u32::from(self.len);
        (bits >> shift) == (self.addr >> shift)
    }
}

fn ip_bits(ip: IpAddr) -> (bool, u128) {
    match ip {
        IpAddr::V4(a) => (false, u128::from(u32::from(a))),
        IpAddr::V6(a) => (true, u128::from(a)),
    }
}

/// A request's IP address (a bare address; a `/len` suffix is tolerated and ignored).
pub(crate) fn parse_ip(s: &str) -> Option<IpAddr> {
    let t = s.trim();
    let t = t.split_once('/').map_or(t, |(ip, _)| ip);
    t.parse().ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn check_date(text: &str, expected: Option<i128>) {
        assert_eq!(parse_date(text), expected.map(|s| s * NANOS), "parse_date({text:?})");
    }

    #[test]
    fn dates_iso_and_epoch() {
        check_date("1970-01-01T00:00:00Z", Some(0));
        check_date("2020-01-01T00:00:01Z", Some(1_577_836_801));
        check_date("2020-01-01", Some(1_577_836_800));
        check_date("2020-01", Some(1_577_836_800));
        check_date("2020-01-01T00:00Z", Some(1_577_836_800));
        check_date("2020-01-01T01:00:00+01:00", Some(1_577_836_800));
        check_date("2019-12-31T19:00:00-0500", Some(1_577_836_800));
        check_date("2020-01-01T00:00:00", Some(1_577_836_800));
        check_date("1577836800", Some(1_577_836_800));
        check_date("2024-02-29T12:00:00Z", Some(1_709_208_000));
        check_date("1969-12-31T23:59:59Z", Some(-1));
        check_date("2023-02-29", None);
        check_date("2020-13-01", None);
        check_date("2020-01-01T24:00:00Z", None);
        check_date("2020-01-01T00:00:00Q", None);
        check_date("yesterday", None);
        check_date("", None);
        assert_eq!(parse_date("2020-01-01T00:00:00.5Z"), Some(1_577_836_800 * NANOS + 500_000_000));
        assert_eq!(parse_date("1577836800.25"), Some(1_577_836_800 * NANOS + 250_000_000));
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number("10"), Some(10.0));
        assert_eq!(parse_number("-2.5"), Some(-2.5));
        assert_eq!(parse_number("1e3"), Some(1000.0));
        assert_eq!(parse_number("ten"), None);
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number(""), None);
    }

    fn check_ip(cidr: &str, ip: &str, expected: bool) {
        let c = Cidr::parse(cidr).unwrap_or_else(|| panic!("bad CIDR {cidr}"));
        let a = parse_ip(ip).unwrap_or_else(|| panic!("bad IP {ip}"));
        assert_eq!(c.contains(a), expected, "{cidr} contains {ip}");
    }

    #[test]
    fn cidr_blocks() {
        check_ip("203.0.113.0/24", "203.0.113.255", true);
        check_ip("203.0.113.0/24", "203.0.114.0", false);
        check_ip("203.0.113.7", "203.0.113.7", true);
        check_ip("203.0.113.7", "203.0.113.8", false);
        check_ip("203.0.113.7/24", "203.0.113.200", true);
        check_ip("0.0.0.0/0", "8.8.8.8", true);
        check_ip("0.0.0.0/0", "2001:db8::1", false);
        check_ip("2001:DB8:1234:5678::/64", "2001:db8:1234:5678:ffff::1", true);
        check_ip("2001:DB8:1234:5678::/64", "2001:db8:1234:5679::1", false);
        check_ip("::/0", "::1", true);
        check_ip("2001:db8::1", "2001:db8::1", true);
        assert_eq!(Cidr::parse("10.0.0.0/33"), None);
        assert_eq!(Cidr::parse("10.0.0.0/"), None);
        assert_eq!(Cidr::parse("10.0.0/8"), None);
        assert_eq!(Cidr::parse("not an ip"), None);
    }
}
