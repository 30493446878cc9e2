//! Format-preserving tokenization: FF1 (NIST SP 800-38G) over AES, from the `fpe` crate,
//! so that a holder of the key can restore the original values.
//!
//! A value's letters and digits are the numerals; every other byte (`-`, spaces, `@`, `.`,
//! non-ASCII) stays in place. The alphabet follows the value: digits only → radix 10;
//! digits and upper-case letters → radix 36 over `0-9A-Z`; lower-case → `0-9a-z`; both
//! cases → radix 62. A token always falls in the same class as its input (cycle walking:
//! FF1 is applied again until it does), so [`Tokenizer::detokenize`] can tell the alphabet
//! from the token alone.
//!
//! Cycle walking also keeps tokens inside a caller's set (an `accept` predicate): for a
//! detected type, tokens match that type's pattern and pass its validator (a tokenized card
//! number passes Luhn and the issuer-prefix check), which is what lets the reverse pass find
//! them again by scanning. Cycle walking is a bijection on a set only if the input is in it,
//! so a value outside the set is refused ([`TokenError::NotInDomain`]), never tokenized.
//!
//! FF1 needs a domain of at least 1,000,000 (SP 800-38G Rev. 1): 6 digits, or 4 letters and
//! digits. Shorter values are refused ([`TokenError::TooShort`]).

use crate::ident::Validator;
use crate::validate;
use aes::cipher::{BlockCipher, BlockEncrypt, KeyInit};
use aes::{Aes128, Aes192, Aes256};
use fpe::ff1::{FlexibleNumeralString, FF1};

/// How many times FF1 is applied at most to land in the class and the caller's set.
pub const MAX_WALK: usize = 2000;

/// Why a value was not tokenized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Fewer numerals than FF1 allows for the alphabet.
    TooShort,
    /// The input is not in the set tokens must stay in (so walking would not be reversible).
    NotInDomain,
    /// No token in the set within [`MAX_WALK`] steps.
    Walk,
}

/// The alphabet of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Digits,
    Upper,
    Lower,
    Mixed,
}

impl Class {
    /// The class of a value: `None` when it has no ASCII letter or digit.
    pub fn of(v: &[u8]) -> Option<Class> {
        let (mut digit, mut up, mut lo) = (false, false, false);
        for &b in v {
            digit |= b.is_ascii_digit();
            up |= b.is_ascii_uppercase();
            lo |= b.is_ascii_lowercase();
        }
        match (up, lo) {
            (false, false) if digit => Some(Class::Digits),
            (false, false) => None,
            (true, false) => Some(Class::Upper),
            (false, true) => Some(Class::Lower),
            (true, true) => Some(Class::Mixed),
        }
    }

    pub fn radix(self) -> u32 {
        match self {
            Class::Digits => 10,
            Class::Upper | Class::Lower => 36,
            Class::Mixed => 62,
        }
    }

    /// The fewest numerals FF1 accepts: radix^n >= 1,000,000.
    pub fn min_len(self) -> usize {
        match self {
            Class::Digits => 6,
            _ => 4,
        }
    }

    fn numeral(self, b: u8) -> Option<u16> {
        let n = match b {
            b'0'..=b'9' => b - b'0',
            b'A'..=b'Z' if self == Class::Upper || self == Class::Mixed => b - b'A' + 10,
            b'a'..=b'z' if self == Class::Lower => b - b'a' + 10,
            b'a'..=b'z' if self == Class::Mixed => b - b'a' + 36,
            _ => return None,
        };
        Some(u16::from(n))
    }

    fn byte(self, n: u16) -> u8 {
        let n = n as u8;
        match (self, n) {
            (_, 0..=9) => b'0' + n,
            (Class::Lower, _) => b'a' + n - 10,
            (_, 10..=35) => b'A' + n - 10,
            _ => b'a' + n - 36,
        }
    }
}

struct Radixes<C: BlockCipher> {
    r10: FF1<C>,
    r36: FF1<C>,
    r62: FF1<C>,
}

impl<C: BlockCipher + BlockEncrypt + KeyInit + Clone> Radixes<C> {
    fn new(key: &[u8]) -> Option<Self> {
        Some(Radixes { r10: FF1::new(key, 10).ok()?, r36: FF1::new(key, 36).ok()?, r62: FF1::new(key, 62).ok()? })
    }

    fn run(&self, radix: u32, tweak: &[u8], x: Vec<u16>, encrypt: bool) -> Option<Vec<u16>> {
        let f = match radix {
            10 => &self.r10,
            36 => &self.r36,
            62 => &self.r62,
            _ => return None,
        };
        let ns = FlexibleNumeralString::from(x);
        let r = if encrypt { f.encrypt(tweak, &ns) } else { f.decrypt(tweak, &ns) };
        r.ok().map(Vec::from)
    }
}

// One per key: the size difference between the variants does not matter.
#[allow(clippy::large_enum_variant)]
enum Keyed {
    A128(Radixes<Aes128>),
    A192(Radixes<Aes192>),
    A256(Radixes<Aes256>),
}

/// FF1 under one AES key (128, 192 or 256 bits), for radix 10, 36 and 62.
pub struct Tokenizer {
    keyed: Keyed,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.write_str("Tokenizer(key withheld)")
    }
}

impl Tokenizer {
    /// A tokenizer for a raw AES key of 16, 24 or 32 bytes.
    pub fn new(key: &[u8]) -> Result<Tokenizer, String> {
        // Checked here: the cipher would panic on another length.
        let keyed = match key.len() {
            16 => Radixes::new(key).map(Keyed::A128),
            24 => Radixes::new(key).map(Keyed::A192),
            32 => Radixes::new(key).map(Keyed::A256),
            n => return Err(format!("the tokenize key is {n} bytes; FF1 over AES needs 16, 24 or 32 (32, 48 or 64 hex digits)")),
        };
        keyed.map(|keyed| Tokenizer { keyed }).ok_or_else(|| "the tokenize key is not usable".to_string())
    }

    /// A tokenizer for a key written as hex digits (whitespace around it ignored).
    pub fn from_hex(text: &str) -> Result<Tokenizer, String> {
        let t = text.trim();
        if !t.len().is_multiple_of(2) || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("the tokenize key must be hex digits (32, 48 or 64 of them)".into());
        }
        let key: Vec<u8> = (0..t.len()).step_by(2).filter_map(|i| u8::from_str_radix(&t[i..i + 2], 16).ok()).collect();
        Tokenizer::new(&key)
    }

    /// FF1 of numerals in `radix` (10, 36 or 62), one direction; exposed for the NIST sample vectors.
    pub fn ff1(&self, radix: u32, tweak: &[u8], numerals: Vec<u16>, encrypt: bool) -> Option<Vec<u16>> {
        match &self.keyed {
            Keyed::A128(r) => r.run(radix, tweak, numerals, encrypt),
            Keyed::A192(r) => r.run(radix, tweak, numerals, encrypt),
            Keyed::A256(r) => r.run(radix, tweak, numerals, encrypt),
        }
    }

    /// The token of `value`: same length, same class, separators in place, accepted by `accept`.
    /// A value with no ASCII letter or digit is its own token.
    pub fn tokenize(&self, value: &[u8], tweak: &[u8], accept: &dyn Fn(&[u8]) -> bool) -> Result<Vec<u8>, TokenError> {
        self.walk(value, tweak, accept, true)
    }

    /// The inverse of [`Tokenizer::tokenize`] with the same tweak and predicate.
    pub fn detokenize(&self, token: &[u8], tweak: &[u8], accept: &dyn Fn(&[u8]) -> bool) -> Result<Vec<u8>, TokenError> {
        self.walk(token, tweak, accept, false)
    }

    fn walk(&self, value: &[u8], tweak: &[u8], accept: &dyn Fn(&[u8]) -> bool, encrypt: bool) -> Result<Vec<u8>, TokenError> {
        let Some(class) = Class::of(value) else { return Ok(value.to_vec()) };
        let pos: Vec<usize> = value.iter().enumerate().filter(|(_, b)| b.is_ascii_alphanumeric()).map(|(i, _)| i).collect();
        if pos.len() < class.min_len() {
            return Err(TokenError::TooShort);
        }
        if !accept(value) {
            return Err(TokenError::NotInDomain);
        }
        let mut x: Vec<u16> = pos.iter().filter_map(|&i| class.numeral(value[i])).collect();
        if x.len() != pos.len() {
            return Err(TokenError::NotInDomain);
        }
        let mut out = value.to_vec();
        for _ in 0..MAX_WALK {
            x = self.ff1(class.radix(), tweak, x, encrypt).ok_or(TokenError::TooShort)?;
            for (&i, &n) in pos.iter().zip(&x) {
                out[i] = class.byte(n);
            }
            if Class::of(&out) == Some(class) && accept(&out) {
                return Ok(out);
            }
        }
        Err(TokenError::Walk)
    }
}

/// Whether `m` passes a validator (the checks the scanner applies to a match).
pub fn validates(v: Validator, m: &[u8]) -> bool {
    match v {
        Validator::None => true,
        Validator::CreditCard => validate::credit_card(m),
        Validator::Iban => validate::iban(m),
        Validator::Aba => validate::aba_routing(m),
        Validator::Ssn => validate::ssn(m),
        Validator::Itin => validate::itin(m),
        Validator::Ipv4 => validate::ipv4(m),
        Validator::Ipv6 => validate::ipv6(m),
        Validator::Mac => validate::mac(m),
        Validator::Date => validate::date(m),
        Validator::Jwt => validate::jwt(m),
        Validator::BasicAuth => validate::basic_auth(m),
        Validator::Phone => validate::phone(m),
        Validator::Entropy(min) => validate::entropy(m) >= min && m.iter().any(u8::is_ascii_digit),
    }
}
