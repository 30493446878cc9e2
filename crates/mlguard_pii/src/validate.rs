//! Validators: checksums and issuer rules that turn a pattern match into a detection.
//!
//! Every function takes the matched bytes and never panics on any input.

/// Up to 32 digit values, on the stack (validators run on every candidate).
#[derive(Debug, Clone, Copy)]
pub struct Digits {
    buf: [u8; 32],
    len: usize,
}

impl std::ops::Deref for Digits {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// The ASCII digits of `s` as values 0–9, ignoring everything else; more than 32 digits
/// give an empty result (no identifier is that long).
pub fn digits(s: &[u8]) -> Digits {
    let mut d = Digits { buf: [0; 32], len: 0 };
    for &b in s {
        if b.is_ascii_digit() {
            if d.len == d.buf.len() {
                return Digits { buf: [0; 32], len: 0 };
            }
            d.buf[d.len] = b - b'0';
            d.len += 1;
        }
    }
    d
}

/// The Luhn (mod 10) check used by payment card numbers (ISO/IEC 7812-1 annex B).
pub fn luhn(d: &[u8]) -> bool {
    if d.is_empty() {
        return false;
    }
    // From the right, in pairs: the last digit of each as it is, the one before it doubled.
    let mut sum = 0u32;
    for pair in d.rchunks(2) {
        if let [a, b] = pair {
            let v = 2 * u32::from(*a);
            sum += if v > 9 { v - 9 } else { v } + u32::from(*b);
        } else {
            sum += pair.iter().map(|&x| u32::from(x)).sum::<u32>();
        }
    }
    sum.is_multiple_of(10)
}

fn prefix_num(d: &[u8], n: usize) -> u32 {
    d.iter().take(n).fold(0u32, |a, &x| a * 10 + u32::from(x))
}

/// The card network of a number by its issuer identification prefix and length, if any.
///
/// Prefix ranges and lengths as published by the networks and summarised in
/// ISO/IEC 7812 registries (e.g. Mastercard's 2-series 222100–272099 since 2017,
/// Visa's 19-digit PANs, Maestro 12–19 digits).
pub fn card_network(d: &[u8]) -> Option<&'static str> {
    let len = d.len();
    // The prefixes from the first six digits at once (dividing it is what taking fewer does).
    if len >= 6 {
        return network(prefix_num(d, 6), len);
    }
    network_of(prefix_num(d, 1), prefix_num(d, 2), prefix_num(d, 3), prefix_num(d, 4), prefix_num(d, 6), len)
}

/// [`card_network`] of a number of `len >= 6` digits whose first six are `p6`.
fn network(p6: u32, len: usize) -> Option<&'static str> {
    network_of(p6 / 100_000, p6 / 10_000, p6 / 1_000, p6 / 100, p6, len)
}

/// [`card_network`] from the number's first 1, 2, 3, 4 and 6 digits (`p1` is its first digit).
fn network_of(p1: u32, p2: u32, p3: u32, p4: u32, p6: u32, len: usize) -> Option<&'static str> {
    if p1 == 4 && matches!(len, 13 | 16 | 19) {
        return Some("visa");
    }
    if ((51..=55).contains(&p2) || (2221..=2720).contains(&p4)) && len == 16 {
        return Some("mastercard");
    }
    if (p2 == 34 || p2 == 37) && len == 15 {
        return Some("amex");
    }
    // UATP (prefix 1, 15 digits) and Dankort (5019, 16 digits).
    if p1 == 1 && len == 15 {
        return Some("uatp");
    }
    if p4 == 5019 && len == 16 {
        return Some("dankort");
    }
    if (p4 == 6011 || (644..=649).contains(&p3) || p2 == 65 || (622126..=622925).contains(&p6)) && (16..=19).contains(&len) {
        return Some("discover");
    }
    if (3528..=3589).contains(&p4) && (16..=19).contains(&len) {
        return Some("jcb");
    }
    if ((300..=305).contains(&p3) || p2 == 36 || p2 == 38 || p2 == 39) && (14..=19).contains(&len) {
        return Some("diners");
    }
    if matches!(p4, 1800 | 2131) && len == 15 {
        return Some("jcb");
    }
    if (matches!(p4, 5018 | 5020 | 5038 | 5893 | 6304 | 6390 | 6759 | 6761 | 6762 | 6763) || (56..=58).contains(&p2)) && (12..=19).contains(&len) {
        return Some("maestro");
    }
    if p2 == 62 && (16..=19).contains(&len) {
        return Some("unionpay");
    }
    None
}

/// A payment card number: a known network's prefix and length, and the Luhn check.
pub fn credit_card(s: &[u8]) -> bool {
    // The digits on the stack (the slot wraps past 32; the count then says it is no card).
    let mut buf = [0u8; 32];
    let mut n = 0usize;
    for &b in s {
        let x = b.wrapping_sub(b'0');
        if x <= 9 {
            buf[n & 31] = x;
            n += 1;
        }
    }
    // Every network's numbers have 12 to 19 digits (see `card_network`).
    if !(12..=19).contains(&n) {
        return false;
    }
    let d = &buf[..n];
    // All-same-digit numbers pass Luhn for some lengths; they are test fillers, not cards.
    if d.iter().all(|&x| x == d[0]) {
        return false;
    }
    network(prefix_num(d, 6), n).is_some() && luhn(d)
}

/// IBAN lengths by country (SWIFT IBAN registry, release 99, 2025).
const IBAN_LENGTHS: &[(&[u8; 2], usize)] = &[
    (b"AD", 24), (b"AE", 23), (b"AL", 28), (b"AT", 20), (b"AZ", 28), (b"BA", 20), (b"BE", 16), (b"BG", 22),
    (b"BH", 22), (b"BI", 27), (b"BR", 29), (b"BY", 28), (b"CH", 21), (b"CR", 22), (b"CY", 28), (b"CZ", 24),
    (b"DE", 22), (b"DJ", 27), (b"DK", 18), (b"DO", 28), (b"EE", 20), (b"EG", 29), (b"ES", 24), (b"FI", 18),
    (b"FK", 18), (b"FO", 18), (b"FR", 27), (b"GB", 22), (b"GE", 22), (b"GI", 23), (b"GL", 18), (b"GR", 27),
    (b"GT", 28), (b"HN", 28), (b"HR", 21), (b"HU", 28), (b"IE", 22), (b"IL", 23), (b"IQ", 23), (b"IS", 26),
    (b"IT", 27), (b"JO", 30), (b"KW", 30), (b"KZ", 20), (b"LB", 28), (b"LC", 32), (b"LI", 21), (b"LT", 20),
    (b"LU", 20), (b"LV", 21), (b"LY", 25), (b"MC", 27), (b"MD", 24), (b"ME", 22), (b"MK", 19), (b"MN", 20),
    (b"MR", 27), (b"MT", 31), (b"MU", 30), (b"NI", 28), (b"NL", 18), (b"NO", 15), (b"OM", 23), (b"PK", 24),
    (b"PL", 28), (b"PS", 29), (b"PT", 25), (b"QA", 29), (b"RO", 24), (b"RS", 22), (b"RU", 33), (b"SA", 24),
    (b"SC", 31), (b"SD", 18), (b"SE", 24), (b"SI", 19), (b"SK", 24), (b"SM", 27), (b"SO", 23), (b"ST", 25),
    (b"SV", 28), (b"TL", 23), (b"TN", 24), (b"TR", 26), (b"UA", 29), (b"VA", 22), (b"VG", 24), (b"XK", 20),
    (b"YE", 30),
];

/// An IBAN: registered country and length, and the ISO 13616 mod-97 check equal to 1.
pub fn iban(s: &[u8]) -> bool {
    // The letters and digits, upper-cased, on the stack: no IBAN has more than 34.
    let mut buf = [0u8; 34];
    let mut n = 0;
    for &b in s {
        if b.is_ascii_alphanumeric() {
            let Some(d) = buf.get_mut(n) else { return false };
            *d = b.to_ascii_uppercase();
            n += 1;
        }
    }
    let c = &buf[..n];
    if c.len() < 15 {
        return false;
    }
    // The table is sorted by country (a test checks): a binary search.
    let Ok(k) = IBAN_LENGTHS.binary_search_by(|(cc, _)| (cc[0], cc[1]).cmp(&(c[0], c[1]))) else { return false };
    let len = IBAN_LENGTHS[k].1;
    if c.len() != len || !c[2].is_ascii_digit() || !c[3].is_ascii_digit() {
        return false;
    }
    // The number mod 97, reduced only when it grows past 10^16 (each step multiplies by at
    // most 100 and adds at most 35, so it stays below 2^64).
    let mut rem: u64 = 0;
    for &b in c[4..].iter().chain(c[..4].iter()) {
        let v = if b.is_ascii_digit() { u64::from(b - b'0') } else { u64::from(b - b'A') + 10 };
        rem = if v >= 10 { rem * 100 + v } else { rem * 10 + v };
        if rem >= 10_000_000_000_000_000 {
            rem %= 97;
        }
    }
    rem % 97 == 1
}

/// An ABA routing transit number: a Federal Reserve prefix and the 3-7-1 weighted checksum.
pub fn aba_routing(s: &[u8]) -> bool {
    let d = digits(s);
    if d.len() != 9 {
        return false;
    }
    let p = prefix_num(&d, 2);
    if !(p <= 12 || (21..=32).contains(&p) || (61..=72).contains(&p) || p == 80) {
        return false;
    }
    let w = [3u32, 7, 1];
    let sum: u32 = d.iter().enumerate().map(|(i, &x)| u32::from(x) * w[i % 3]).sum();
    sum.is_multiple_of(10) && sum != 0
}

/// A US Social Security number that the SSA could have issued.
///
/// Area 000, 666 and 900–999, group 00 and serial 0000 are never issued (SSA,
/// "Social Security Number Randomization", 2011); 078-05-1120 (the Woolworth wallet
/// card), 219-09-9999 (an SSA advertisement) and 123-45-6789 were publicised and are
/// rejected, as are numbers of one repeated digit.
pub fn ssn(s: &[u8]) -> bool {
    // The nine digits as one number, read in one pass with no copy.
    let (mut n, mut k) = (0u32, 0usize);
    for &b in s {
        let x = b.wrapping_sub(b'0');
        if x <= 9 {
            if k == 9 {
                return false;
            }
            n = n * 10 + u32::from(x);
            k += 1;
        }
    }
    if k != 9 {
        return false;
    }
    let (area, group, serial) = (n / 1_000_000, n / 10_000 % 100, n % 10_000);
    if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 {
        return false;
    }
    if matches!(n, 78_051_120 | 219_099_999 | 123_456_789) {
        return false;
    }
    // Nine equal digits are a multiple of 111,111,111, and no other nine-digit number is.
    !n.is_multiple_of(111_111_111)
}

/// A US Individual Taxpayer Identification Number: 9XX-GG-XXXX with group 50–65, 70–88, 90–92 or 94–99 (IRS).
pub fn itin(s: &[u8]) -> bool {
    let d = digits(s);
    if d.len() != 9 || d[0] != 9 {
        return false;
    }
    let g = prefix_num(&d[3..], 2);
    (50..=65).contains(&g) || (70..=88).contains(&g) || (90..=92).contains(&g) || (94..=99).contains(&g)
}

/// A dotted-quad IPv4 address with every octet at most 255 and no leading zeros beyond one digit.
pub fn ipv4(s: &[u8]) -> bool {
    let Ok(t) = std::str::from_utf8(s) else { return false };
    t.parse::<std::net::Ipv4Addr>().is_ok()
}

/// An IPv6 address in any RFC 4291 text form (`::` alone is not reported).
pub fn ipv6(s: &[u8]) -> bool {
    let Ok(t) = std::str::from_utf8(s) else { return false };
    t.parse::<std::net::Ipv6Addr>().is_ok() && t.bytes().any(|b| b.is_ascii_hexdigit()) && t.matches(':').count() >= 2
}

/// A MAC address other than the all-zero and broadcast addresses.
pub fn mac(s: &[u8]) -> bool {
    let hex: Vec<u8> = s.iter().filter(|b| b.is_ascii_hexdigit()).map(u8::to_ascii_lowercase).collect();
    hex.len() == 12 && !hex.iter().all(|&b| b == b'0') && !hex.iter().all(|&b| b == b'f')
}

/// A calendar date in one of the forms the date-of-birth pattern accepts, years 1900–2099.
pub fn date(s: &[u8]) -> bool {
    let parts: Vec<u32> = s
        .split(|b| matches!(b, b'-' | b'/' | b'.'))
        .map(|p| std::str::from_utf8(p).ok().and_then(|t| t.parse().ok()).unwrap_or(u32::MAX))
        .collect();
    if parts.len() != 3 || parts.contains(&u32::MAX) {
        return false;
    }
    // yyyy-mm-dd, or mm/dd/yyyy and dd/mm/yyyy (either is accepted when both are valid dates).
    let (y, a, b) = if parts[0] > 31 { (parts[0], parts[1], parts[2]) } else { (parts[2], parts[0], parts[1]) };
    let y = if y < 100 { y + 1900 } else { y };
    let ok = |m: u32, d: u32| (1..=12).contains(&m) && (1..=31).contains(&d);
    (1900..=2099).contains(&y) && (ok(a, b) || ok(b, a))
}

/// Shannon entropy in bits per byte, as gitleaks computes it over the secret.
pub fn entropy(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in s {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts.iter().filter(|&&c| c > 0).map(|&c| {
        let p = f64::from(c) / n;
        -p * p.log2()
    }).sum()
}

/// Decodes base64 (standard or URL-safe alphabet, padding optional); `None` if it is not base64.
pub fn base64_decode(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0u32;
    for &b in s {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// A JSON Web Token: the header decodes to a JSON object naming an `alg`.
pub fn jwt(s: &[u8]) -> bool {
    let Some(head) = s.split(|&b| b == b'.').next() else { return false };
    let Some(h) = base64_decode(head) else { return false };
    match serde_json::from_slice::<serde_json::Value>(&h) {
        Ok(serde_json::Value::Object(m)) => m.contains_key("alg"),
        _ => false,
    }
}

/// An HTTP basic-auth header: the credentials decode to `user:password`.
pub fn basic_auth(s: &[u8]) -> bool {
    let Some(pos) = s.iter().rposition(|b| b.is_ascii_whitespace()) else { return false };
    match base64_decode(&s[pos + 1..]) {
        Some(d) => d.contains(&b':') && d.len() >= 3 && d.iter().all(|b| (0x20..0x7f).contains(b)),
        None => false,
    }
}

/// A US phone number in the North American Numbering Plan, or an international number with 8–15 digits (ITU-T E.164).
pub fn phone(s: &[u8]) -> bool {
    // An extension (`x123`, `ext. 123`) is not part of the number.
    // The digit count and the first seven digits (all the rules look at), no copy.
    let mut d = [0u8; 7];
    let mut n = 0;
    for &b in s {
        if b == b'x' || b == b'e' {
            break;
        }
        let x = b.wrapping_sub(b'0');
        if x <= 9 {
            if let Some(slot) = d.get_mut(n) {
                *slot = x;
            }
            n += 1;
        }
    }
    if n > 15 {
        return false;
    }
    // (A leading `x` or `e` cuts everything: no digits.)
    if s.first() == Some(&b'+') {
        return (8..=15).contains(&n);
    }
    if n == 13 && d[..3] == [0, 0, 1] {
        // `001` is the international prefix from the US followed by a NANP number.
        return nanp(&d[3..], 10);
    }
    if n > 0 && d[0] == 0 {
        // A national number with a trunk prefix (UK, France, Germany ...): 10–12 digits.
        return (10..=12).contains(&n);
    }
    nanp(&d, n)
}

/// A NANP number of `n` digits whose first ones (at least four) are `d`.
fn nanp(d: &[u8], n: usize) -> bool {
    let (d, n) = if n == 11 && d.first() == Some(&1) { (&d[1..], 10) } else { (d, n) };
    // NANP: area code and exchange start with 2–9; N11 area codes are service codes.
    n == 10 && d.len() >= 4 && d[0] >= 2 && d[3] >= 2 && !(d[1] == 1 && d[2] == 1)
}

/// The census name lists (`data/given-names.txt`, `data/surnames.txt`: US Census Bureau
/// 1990 name frequency files, public domain), as sets of lowercase names.
struct NameLists {
    given: NameSet,
    family: NameSet,
}

/// FNV-1a: names are short and not attacker-chosen keys of a long-lived map.
#[derive(Default)]
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type NameSet = std::collections::HashSet<&'static [u8], std::hash::BuildHasherDefault<Fnv>>;

fn name_lists() -> &'static NameLists {
    static LISTS: std::sync::OnceLock<NameLists> = std::sync::OnceLock::new();
    LISTS.get_or_init(|| {
        let read = |t: &'static str| t.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::as_bytes).collect();
        NameLists { given: read(include_str!("../data/given-names.txt")), family: read(include_str!("../data/surnames.txt")) }
    })
}

/// Whether a word (or one part of a hyphenated word) is in a list, compared in ASCII lowercase.
fn listed(word: &[u8], list: &NameSet) -> bool {
    word.split(|&b| b == b'-').any(|part| {
        let mut buf = [0u8; 32];
        if part.is_empty() || part.len() > buf.len() {
            return false;
        }
        for (d, s) in buf.iter_mut().zip(part) {
            *d = s.to_ascii_lowercase();
        }
        list.contains(&buf[..part.len()])
    })
}

const TITLES: &[&str] = &["Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof", "Sir", "Dame", "Herr", "Frau", "Mme", "Mlle", "Univ.Prof", "Dipl.-Ing"];
const PARTICLES: &[&str] = &["van", "von", "der", "den", "de", "del", "della", "da", "di", "du", "le", "la", "des", "dos", "das", "ten", "ter", "zu"];

/// Judges a NAME match (titles, then capitalised words and particles, single spaces):
/// returns the span to report within `m` and how sure it is.
///
/// With `context` (a name keyword within 30 characters before, or a column or JSON path
/// such as `name`, `customer`) or a title (`Dr`, `Mrs` ...), any two or more capitalised
/// words are a name: `High` if the first word is a census given name or the last a census
/// surname, else `Medium`. Without either, only a census given name followed (possibly
/// after middle words) by a census surname is reported, from the given name on, `Low`.
/// A lone word is never a name (Macie's NAME is a full name), nor are more than five words.
pub fn name(m: &[u8], context: bool) -> Option<(usize, usize, crate::ident::Confidence)> {
    use crate::ident::Confidence;
    let lists = name_lists();
    let mut buf = [(0usize, 0usize); 5];
    let mut n = 0;
    let mut title = false;
    let mut at = 0;
    for tok in m.split(|&b| b == b' ') {
        let (a, z) = (at, at + tok.len());
        at = z + 1;
        let bare = tok.strip_suffix(b".").unwrap_or(tok);
        if n == 0 && TITLES.iter().any(|t| t.as_bytes() == bare) {
            title = true;
        } else if !(tok.is_empty() || (tok[0].is_ascii_lowercase() && PARTICLES.iter().any(|p| p.as_bytes() == tok)) || (tok.len() == 2 && tok[1] == b'.')) {
            if n == buf.len() {
                return None;
            }
            buf[n] = (a, z);
            n += 1;
        }
    }
    let words = &buf[..n];
    if n < 2 {
        return None;
    }
    let (first, last) = (words[0], words[words.len() - 1]);
    if context || title {
        // The surname list is looked at only when the given name is not listed.
        let conf = if listed(&m[first.0..first.1], &lists.given) || listed(&m[last.0..last.1], &lists.family) { Confidence::High } else { Confidence::Medium };
        return Some((0, m.len(), conf));
    }
    if !listed(&m[last.0..last.1], &lists.family) {
        return None;
    }
    // The first census given name that leaves at least one word before the surname; short
    // words that are also given names (`An`, `Al`, `Le`) are taken for what they usually are.
    let i = words[..words.len() - 1].iter().position(|&(a, z)| z - a >= 3 && listed(&m[a..z], &lists.given))?;
    Some((words[i].0, m.len(), Confidence::Low))
}

/// Judges a street-line ADDRESS match: `High` next to a keyword or in an address column
/// or JSON path, `Medium` on the pattern alone (a number, capitalised words and a street
/// suffix; a German street word and a house number; a French voie).
pub fn street(context: bool) -> crate::ident::Confidence {
    if context {
        crate::ident::Confidence::High
    } else {
        crate::ident::Confidence::Medium
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `credit_card` before the length check and the prefixes from one number.
    fn credit_card_simple(s: &[u8]) -> bool {
        let d = digits(s);
        if d.windows(2).all(|w| w[0] == w[1]) {
            return false;
        }
        let len = d.len();
        let p = |n| prefix_num(&d, n);
        let network = (p(1) == 4 && matches!(len, 13 | 16 | 19))
            || (((51..=55).contains(&p(2)) || (2221..=2720).contains(&p(4))) && len == 16)
            || ((p(2) == 34 || p(2) == 37) && len == 15)
            || (d.first() == Some(&1) && len == 15)
            || (p(4) == 5019 && len == 16)
            || ((p(4) == 6011 || (644..=649).contains(&p(3)) || p(2) == 65 || (622126..=622925).contains(&p(6))) && (16..=19).contains(&len))
            || ((3528..=3589).contains(&p(4)) && (16..=19).contains(&len))
            || (((300..=305).contains(&p(3)) || p(2) == 36 || p(2) == 38 || p(2) == 39) && (14..=19).contains(&len))
            || (matches!(p(4), 1800 | 2131) && len == 15)
            || ((matches!(p(4), 5018 | 5020 | 5038 | 5893 | 6304 | 6390 | 6759 | 6761 | 6762 | 6763) || (56..=58).contains(&p(2))) && (12..=19).contains(&len))
            || (p(2) == 62 && (16..=19).contains(&len));
        network && luhn(&d)
    }

    /// `ssn` as it was: the digits copied out first.
    fn ssn_simple(s: &[u8]) -> bool {
        let d = digits(s);
        if d.len() != 9 {
            return false;
        }
        let area = prefix_num(&d, 3);
        let group = prefix_num(&d[3..], 2);
        let serial = prefix_num(&d[5..], 4);
        if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 {
            return false;
        }
        let n = prefix_num(&d, 9);
        if matches!(n, 78_051_120 | 219_099_999 | 123_456_789) {
            return false;
        }
        !d.windows(2).all(|w| w[0] == w[1])
    }

    /// `phone` as it was: the digits copied out first.
    fn phone_simple(s: &[u8]) -> bool {
        fn nanp(d: &[u8]) -> bool {
            let d = if d.len() == 11 && d[0] == 1 { &d[1..] } else { d };
            d.len() == 10 && d[0] >= 2 && d[3] >= 2 && !(d[1] == 1 && d[2] == 1)
        }
        let cut = s.iter().position(|&b| b == b'x' || b == b'e').unwrap_or(s.len());
        let s = &s[..cut];
        let d = digits(s);
        if s.first() == Some(&b'+') {
            return (8..=15).contains(&d.len());
        }
        if d.starts_with(&[0, 0, 1]) && d.len() == 13 {
            return nanp(&d[3..]);
        }
        if d.first() == Some(&0) {
            return (10..=12).contains(&d.len());
        }
        nanp(&d)
    }

    proptest::proptest! {
        #[test]
        fn ssn_as_before(s in proptest::collection::vec(proptest::sample::select(b"0123456789000111666999 -.".to_vec()), 0..40)) {
            proptest::prop_assert_eq!(ssn(&s), ssn_simple(&s), "{}", String::from_utf8_lossy(&s));
        }

        #[test]
        fn ssn_nine_digits_as_before(d in "[0-9]{9}", lead in proptest::sample::select(vec!["", "0", "9", "666", "078", "219", "123", "111"])) {
            let s = format!("{lead}{}", &d[lead.len()..]);
            proptest::prop_assert_eq!(ssn(s.as_bytes()), ssn_simple(s.as_bytes()), "{}", s);
        }

        #[test]
        fn phone_as_before(s in proptest::collection::vec(proptest::sample::select(b"0123456789001122 -.()+xe".to_vec()), 0..40)) {
            proptest::prop_assert_eq!(phone(&s), phone_simple(&s), "{}", String::from_utf8_lossy(&s));
        }

        #[test]
        fn phone_numbers_as_before(d in "(\\+|001|1|0)?[0-9 ().-]{6,20}( ?(x|ext\\.?) ?[0-9]{1,6})?") {
            proptest::prop_assert_eq!(phone(d.as_bytes()), phone_simple(d.as_bytes()), "{}", d);
        }

        #[test]
        /// The prefixes divided out of the first six digits are the prefixes read digit by digit.
        fn card_network_as_before(d in proptest::collection::vec(0u8..10, 0..22)) {
            let p = |n| prefix_num(&d, n);
            proptest::prop_assert_eq!(card_network(&d), network_of(p(1), p(2), p(3), p(4), p(6), d.len()));
        }
    }

    /// `luhn` as it was: digit by digit from the right.
    fn luhn_simple(d: &[u8]) -> bool {
        if d.is_empty() {
            return false;
        }
        let mut sum = 0u32;
        for (i, &x) in d.iter().rev().enumerate() {
            let mut v = u32::from(x);
            if i % 2 == 1 {
                v *= 2;
                if v > 9 {
                    v -= 9;
                }
            }
            sum += v;
        }
        sum.is_multiple_of(10)
    }

    proptest::proptest! {
        #[test]
        fn luhn_as_before(d in proptest::collection::vec(proptest::strategy::Strategy::prop_map(proptest::prelude::any::<u8>(), |x| if x < 200 { x % 10 } else { x }), 0..24)) {
            proptest::prop_assert_eq!(luhn(&d), luhn_simple(&d));
        }
    }

    #[test]
    fn same_digit_ssns_and_cards() {
        for x in b'0'..=b'9' {
            assert!(!ssn(&[x; 9]));
            assert!(!credit_card(&[x; 16]));
        }
        assert!(ssn(b"111-11-1112"));
    }

    #[test]
    fn iban_table_is_sorted() {
        assert!(IBAN_LENGTHS.windows(2).all(|w| w[0].0 < w[1].0));
    }

    proptest::proptest! {
        #[test]
        fn credit_card_as_before(s in proptest::collection::vec(proptest::sample::select(b"0123456789123456 -".to_vec()), 0..40), lead in proptest::sample::select(vec!["", "4", "5", "3", "6", "2", "1", "62", "35", "30", "65", "6011", "5019", "2221", "1800"])) {
            let mut v = lead.as_bytes().to_vec();
            v.extend(s);
            proptest::prop_assert_eq!(credit_card(&v), credit_card_simple(&v), "{}", String::from_utf8_lossy(&v));
        }

        /// Numbers made to pass Luhn, so that the network rules decide.
        #[test]
        fn luhn_valid_cards_as_before(body in "[0-9]{11,18}") {
            let mut d: Vec<u8> = body.bytes().map(|b| b - b'0').collect();
            d.push(0);
            let check = (0..10).find(|&k| { *d.last_mut().unwrap_or(&mut 0) = k; luhn(&d) }).unwrap_or(0);
            let s: String = body.chars().chain(std::iter::once(char::from(b'0' + check))).collect();
            proptest::prop_assert_eq!(credit_card(s.as_bytes()), credit_card_simple(s.as_bytes()), "{}", s);
        }
    }

    #[test]
    fn cards() {
        for ok in ["4111 1111 1111 1111", "5555555555554444", "2223003122003222", "378282246310005", "6011111111111117", "4222222222222", "3530111333300000", "6759649826438453", "4000000000000000006"] {
            assert!(credit_card(ok.as_bytes()), "{ok}");
        }
        for bad in ["4111 1111 1111 1112", "1234567812345678", "2721003122003222", "0000000000000000", "5555555555554445"] {
            assert!(!credit_card(bad.as_bytes()), "{bad}");
        }
    }

    /// An independent statement of the IBAN rule (ISO 13616): letters and digits only,
    /// upper-cased; the country's length; check digits numeric; the first four characters moved
    /// to the end, letters written as 10..35, and the resulting decimal number mod 97 is 1
    /// (reduced here in chunks of up to 9 digits, not digit by digit as the validator does).
    fn iban_reference(s: &[u8]) -> bool {
        let c: String = s.iter().filter(|b| b.is_ascii_alphanumeric()).map(|b| char::from(b.to_ascii_uppercase())).collect();
        if c.len() < 15 || !IBAN_LENGTHS.iter().any(|(cc, len)| c.starts_with(&String::from_utf8_lossy(&cc[..])[..]) && c.len() == *len) {
            return false;
        }
        if !c[2..4].bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        let digits: String = c[4..].chars().chain(c[..4].chars()).map(|ch| ch.to_digit(36).map(|v| v.to_string()).unwrap_or_default()).collect();
        let mut rem: u64 = 0;
        for chunk in digits.as_bytes().chunks(9) {
            let part: u64 = std::str::from_utf8(chunk).ok().and_then(|p| p.parse().ok()).unwrap_or(0);
            rem = (rem * 10u64.pow(chunk.len() as u32) + part) % 97;
        }
        rem == 1
    }

    proptest::proptest! {
        #[test]
        fn iban_as_the_reference(s in proptest::collection::vec(proptest::sample::select(b"GBDE89 WEST0123456789-xz".to_vec()), 0..50)) {
            proptest::prop_assert_eq!(iban(&s), iban_reference(&s));
        }

        /// Valid German IBANs built from random 18-digit account parts (check digits computed),
        /// accepted by both; changing one digit of the account part makes both refuse it.
        #[test]
        fn valid_ibans_as_the_reference(bban in "[0-9]{18}", at in 0usize..18, bump in 1u8..10) {
            let check = (2..=98).find(|k| iban_reference(format!("DE{k:02}{bban}").as_bytes()));
            let Some(k) = check else { return Err(proptest::test_runner::TestCaseError::fail("no check digits fit")) };
            let good = format!("DE{k:02}{bban}");
            proptest::prop_assert!(iban(good.as_bytes()), "{}", good);
            let mut bad = good.into_bytes();
            bad[4 + at] = b'0' + (bad[4 + at] - b'0' + bump) % 10;
            proptest::prop_assert_eq!(iban(&bad), iban_reference(&bad));
            proptest::prop_assert!(!iban(&bad), "{}", String::from_utf8_lossy(&bad));
        }
    }

    #[test]
    fn iban_long_inputs_as_the_reference() {
        for s in [&b"GB82 WEST 1234 5698 7654 32"[..], b"GB82WEST12345698765432GB82WEST12345698765432", b"MT84MALT011000012345MTLCAST001S", b"MT84MALT011000012345MTLCAST001S1", b"LC55HEMM000100010012001200023015", b"RU0304452522540817810538091310419", b"RU03044525225408178105380913104199"] {
            assert_eq!(iban(s), iban_reference(s), "{}", String::from_utf8_lossy(s));
        }
        // The reference is not a constant: it accepts the known-good ones.
        assert!(iban_reference(b"GB82 WEST 1234 5698 7654 32") && iban_reference(b"DE89370400440532013000"));
    }

    #[test]
    fn ibans() {
        assert!(iban(b"GB82 WEST 1234 5698 7654 32"));
        assert!(iban(b"DE89370400440532013000"));
        assert!(!iban(b"DE89370400440532013001"));
        assert!(!iban(b"ZZ89370400440532013000"));
    }

    #[test]
    fn aba_and_ssn() {
        assert!(aba_routing(b"121000358"));
        assert!(aba_routing(b"0711-0130-7"));
        assert!(!aba_routing(b"421042111"));
        assert!(!aba_routing(b"1234-0000-0"));
        assert!(ssn(b"078-05-1121"));
        assert!(!ssn(b"078-05-1120"));
        assert!(!ssn(b"666-12-3456"));
        assert!(!ssn(b"900-12-3456"));
        assert!(!ssn(b"123-00-3456"));
        assert!(!ssn(b"123-45-0000"));
        assert!(!ssn(b"111-11-1111"));
        assert!(itin(b"911-70-1234"));
        assert!(!itin(b"911-89-1234"));
    }

    #[test]
    fn others() {
        assert!(ipv4(b"192.168.0.1"));
        assert!(!ipv4(b"256.1.1.1"));
        assert!(ipv6(b"2001:db8::1"));
        assert!(!ipv6(b"::"));
        assert!(!ipv6(b"12:30:45"));
        assert!(date(b"1984-02-29"));
        assert!(date(b"12/31/1999"));
        assert!(!date(b"13/13/1999"));
        assert!(jwt(b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc"));
        assert!(!jwt(b"eyJub3QiOiJqd3QifQ.eyJzdWIiOiIxIn0.abc"));
        assert!(basic_auth(b"Authorization: Basic dXNlcjpwYXNz"));
        assert!(!basic_auth(b"Authorization: Basic bm9jb2xvbg"));
        assert!(phone(b"(415) 555-2671"));
        assert!(!phone(b"(115) 555-2671"));
        assert!(phone(b"+44 20 7946 0958"));
        assert!(entropy(b"aaaa") < 0.01 && entropy(b"abcd") > 1.99);
    }

    #[test]
    fn names() {
        use crate::ident::Confidence::{High, Low, Medium};
        assert_eq!(name(b"Jane Smith", true), Some((0, 10, High)));
        assert_eq!(name(b"Zorblax Quuxington", true), Some((0, 18, Medium)));
        assert_eq!(name(b"Jane", true), None);
        assert_eq!(name(b"Contact Jane Smith", false), Some((8, 18, Low)));
        assert_eq!(name(b"Quarterly Report", false), None);
        assert_eq!(name(b"Dr. Zorblax Quuxington", false), Some((0, 22, Medium)));
        assert_eq!(name(b"Anna van der Berg", true), Some((0, 17, High)));
        assert_eq!(name(b"Hans D. Schlosser", false), Some((0, 17, Low)));
        assert_eq!(name(b"An Schuh", false), None);
    }
}
