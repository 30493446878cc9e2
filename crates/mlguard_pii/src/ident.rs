//! Identifiers: what a type of sensitive data looks like, and how a match is confirmed.
//!
//! The managed identifiers are modelled on Amazon Macie's managed data identifiers
//! (type names, categories and keyword requirements from "Quick reference: Managed data
//! identifiers by type", <https://docs.aws.amazon.com/macie/latest/user/mdis-reference-quick.html>).
//! Patterns are ASCII-only byte patterns: every one runs in one multi-pattern lazy DFA.

use mlguard_core::Severity;
use serde::Serialize;

/// The sensitive-data category, as Macie's `sensitiveData[].category` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Category {
    Credentials,
    Financial,
    Personal,
    CustomIdentifier,
}

impl Category {
    /// Macie's `sensitiveData[].category` value.
    pub fn macie(self) -> &'static str {
        match self {
            Category::Credentials => "CREDENTIALS",
            Category::Financial => "FINANCIAL_INFORMATION",
            Category::Personal => "PERSONAL_INFORMATION",
            Category::CustomIdentifier => "CUSTOM_IDENTIFIER",
        }
    }

    /// The suffix of Macie's finding type `SensitiveData:S3Object/<suffix>`.
    pub fn finding_suffix(self) -> &'static str {
        match self {
            Category::Credentials => "Credentials",
            Category::Financial => "Financial",
            Category::Personal => "Personal",
            Category::CustomIdentifier => "CustomIdentifier",
        }
    }

    /// The mlguard rule that reports this category.
    pub fn rule_id(self) -> &'static str {
        match self {
            Category::Credentials => "PII-001",
            Category::Financial => "PII-002",
            Category::Personal => "PII-003",
            Category::CustomIdentifier => "PII-004",
        }
    }
}

/// Where an identifier comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    Managed,
    Custom,
    Gitleaks,
}

/// The check a pattern match must pass to count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Validator {
    None,
    CreditCard,
    Iban,
    Aba,
    Ssn,
    Itin,
    Ipv4,
    Ipv6,
    Mac,
    Date,
    Jwt,
    BasicAuth,
    Phone,
    /// Shannon entropy of the match at least this many bits per byte, and at least one digit.
    Entropy(f64),
}

/// How a detection was found, and so how likely it is to be what its type says.
///
/// Checksum-validated types and types found as Macie finds them (a keyword nearby when
/// Macie requires one) are `High`. Person names and postal addresses have no checksum:
/// they are `High` with a keyword or column/JSON-path context *and* corroboration (a name
/// from the census lists, a complete street line), `Medium` with only one of the two, and
/// `Low` on the pattern alone (see [`Shape`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

/// How a match is confirmed beyond its validator: person names and postal addresses are
/// judged on their words and their context, and get a [`Confidence`] that says how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Everything else: the validator decides, the confidence is `High`.
    Plain,
    /// A full name (given name and family name); see `validate::name`.
    Name,
    /// A street line; see `validate::street`.
    Street,
    /// A postcode or ZIP code, only with a keyword or context; see `validate::postcode`.
    Postcode,
}

/// Whether a keyword must be near the match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeywordRule {
    Never,
    Always,
}

/// One type of sensitive data.
#[derive(Debug, Clone)]
pub struct Identifier {
    /// The type as reports name it: `USA_SOCIAL_SECURITY_NUMBER`, a custom identifier's name, a gitleaks rule id.
    pub name: String,
    pub category: Category,
    pub origin: Origin,
    pub pattern: String,
    /// Lowercased, `_`/`-`/`.` read as spaces.
    pub keywords: Vec<String>,
    pub keyword_rule: KeywordRule,
    /// How many characters before the match a keyword may start (Macie: 30 for managed identifiers).
    pub max_distance: usize,
    /// Matches containing any of these (case-sensitive) are ignored.
    pub ignore_words: Vec<String>,
    pub validator: Validator,
    /// Custom identifiers: severity by occurrence count, highest threshold first met wins.
    pub severity_levels: Vec<(u64, Severity)>,
    /// `Shape::Plain` but for person names and postal addresses.
    pub shape: Shape,
}

/// Normalises a keyword or a column name / JSON path for keyword comparison.
pub fn normalize_keyword(s: &str) -> String {
    s.chars().map(|c| if matches!(c, '_' | '-' | '.' | '$' | '[' | ']') { ' ' } else { c.to_ascii_lowercase() }).collect()
}

struct M {
    name: &'static str,
    cat: Category,
    pat: &'static str,
    kw: &'static [&'static str],
    rule: KeywordRule,
    v: Validator,
    shape: Shape,
}

const fn m(name: &'static str, cat: Category, pat: &'static str, kw: &'static [&'static str], rule: KeywordRule, v: Validator) -> M {
    M { name, cat, pat, kw, rule, v, shape: Shape::Plain }
}

const fn shaped(name: &'static str, pat: &'static str, kw: &'static [&'static str], rule: KeywordRule, shape: Shape) -> M {
    M { name, cat: Category::Personal, pat, kw, rule, v: Validator::None, shape }
}

use Category::{Credentials as C, Financial as F, Personal as P};
use KeywordRule::{Always, Never};

const ABA_KW: &[&str] = &["aba", "routing", "rtn", "abartn", "transit number", "routing number"];
const ITIN_KW: &[&str] = &["itin", "taxpayer", "tax id", "tax identification"];
const SSN_KW: &[&str] = &["ssn", "social security", "ssa number", "social security number", "soc sec"];

/// E-mail addresses. The scanner finds them from their `@` and relies on this form (see
/// `engine::AtSign`): a local part of 1 to 64 bytes of `[A-Za-z0-9._%+-]` after a word
/// boundary, the `@`, then a domain that holds neither `@` nor a line break.
pub(crate) const EMAIL_PAT: &str = r"\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,24}\b";

/// The managed identifiers, in priority order (when two match at the same place, the earlier is tried first).
const MANAGED: &[M] = &[
    m("AWS_CREDENTIALS", C, r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|APKA)[A-Z2-7]{16}\b", &[], Never, Validator::None),
    // A secret access key: 40 base64 characters, not part of a longer base64 run (checked by the validator).
    m("AWS_CREDENTIALS", C, "[A-Za-z0-9/+]{40}", &["aws secret", "secret access key", "secret_access_key", "secretaccesskey", "aws_secret", "secret key"], Always, Validator::Entropy(4.0)),
    m("OPENSSH_PRIVATE_KEY", C, r"-----BEGIN OPENSSH PRIVATE KEY-----(?:[A-Za-z0-9+/=\s\\]*-----END OPENSSH PRIVATE KEY-----)?", &[], Never, Validator::None),
    m("PGP_PRIVATE_KEY", C, r"-----BEGIN PGP PRIVATE KEY BLOCK-----(?:[A-Za-z0-9+/=:\s\\.,()-]*-----END PGP PRIVATE KEY BLOCK-----)?", &[], Never, Validator::None),
    m("PKCS", C, r"-----BEGIN (?:RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY-----(?:[A-Za-z0-9+/=:\s\\,-]*-----END (?:RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY-----)?", &[], Never, Validator::None),
    m("PUTTY_PRIVATE_KEY", C, r"PuTTY-User-Key-File-[23]: ", &[], Never, Validator::None),
    m("JSON_WEB_TOKEN", C, r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{0,512}", &[], Never, Validator::Jwt),
    m("GOOGLE_CLOUD_API_KEY", C, r"\bAIza[0-9A-Za-z_-]{35}", &[], Never, Validator::None),
    m("HTTP_BASIC_AUTH_HEADER", C, r"(?i:authorization)[ \t]*:[ \t]*(?i:basic)[ \t]+[A-Za-z0-9+/]{4,}={0,2}", &[], Never, Validator::BasicAuth),
    // Unbroken, in groups of four (`4111 1111 1111 1111`, 19-digit `4-4-4-4-3`), or Amex/Diners `4-6-5`/`4-6-4`.
    m("CREDIT_CARD_NUMBER", F, r"\b[0-9]{12,19}\b|\b[0-9]{4}(?:[ -][0-9]{4}){2,3}(?:[ -][0-9]{1,4})?\b|\b[0-9]{4}[ -][0-9]{6}[ -][0-9]{4,5}\b", &[], Never, Validator::CreditCard),
    m("IBAN", F, r"\b[A-Z]{2}[0-9]{2}(?:[ -]?[A-Z0-9]{4}){2,7}(?:[ -]?[A-Z0-9]{1,4})?\b", &[], Never, Validator::Iban),
    m("SWIFT_CODE", F, r"\b[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?\b", &["swift", "bic", "bank identifier"], Always, Validator::None),
    m("USA_ABA_ROUTING_NUMBER", F, r"\b[0-9]{4}-[0-9]{4}-[0-9]\b", ABA_KW, Never, Validator::Aba),
    m("USA_ABA_ROUTING_NUMBER", F, r"\b[0-9]{9}\b", ABA_KW, Always, Validator::Aba),
    m("EMAIL_ADDRESS", P, EMAIL_PAT, &[], Never, Validator::None),
    // With separators an SSN needs no keyword; nine bare digits do.
    m("USA_SOCIAL_SECURITY_NUMBER", P, r"\b[0-9]{3}-[0-9]{2}-[0-9]{4}\b|\b[0-9]{3} [0-9]{2} [0-9]{4}\b|\b[0-9]{3}\.[0-9]{2}\.[0-9]{4}\b", SSN_KW, Never, Validator::Ssn),
    m("USA_SOCIAL_SECURITY_NUMBER", P, r"\b[0-9]{9}\b", SSN_KW, Always, Validator::Ssn),
    m("USA_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", P, r"\b9[0-9]{2}-[5-9][0-9]-[0-9]{4}\b|\b9[0-9]{2} [5-9][0-9] [0-9]{4}\b", ITIN_KW, Never, Validator::Itin),
    m("USA_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", P, r"\b9[0-9]{2}[5-9][0-9]{5}\b", ITIN_KW, Always, Validator::Itin),
    m("BANK_ACCOUNT_NUMBER", F, r"\b[0-9]{8,17}\b", &["account number", "acct", "bank account", "account no", "checking", "savings", "account #", "account"], Always, Validator::None),
    m("PHONE_NUMBER", P, r"(?:\+1[ .-]?|\b001[ .-]?)?(?:\([2-9][0-9]{2}\)|\b[2-9][0-9]{2})[ .-]?[2-9][0-9]{2}[ .-]?[0-9]{4}(?:[ ]?(?:x|ext\.?)[ ]?[0-9]{1,6})?\b|\+[1-9][0-9]{0,2}[ .-]?(?:\([0-9]{1,4}\)[ .-]?)?[0-9]{1,4}(?:[ .-]?[0-9]{2,4}){1,4}(?:[ ]?(?:x|ext\.?)[ ]?[0-9]{1,6})?\b", &[], Never, Validator::Phone),
    // National numbers with a trunk `0` (UK, France, Germany ...) look like any number: keyword required.
    m("PHONE_NUMBER", P, r"(?:\(0[0-9]{1,4}\)|\b0[0-9]{1,4})[ .-]?[0-9]{2,8}(?:[ .-]?[0-9]{2,4}){0,3}\b", &["phone", "tel", "mobile", "cell", "call", "fax", "contact number"], Always, Validator::Phone),
    m("IP_ADDRESS", P, r"\b[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\b", &[], Never, Validator::Ipv4),
    m("MAC_ADDRESS", P, r"\b[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}\b|\b[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){5}\b|\b[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\b", &[], Never, Validator::Mac),
    // At least two colons; an embedded IPv4 tail is tried first. Boundaries are checked by the validator.
    m("IP_ADDRESS", P, r"(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9A-Fa-f]{0,4})", &[], Never, Validator::Ipv6),
    m("USA_PASSPORT_NUMBER", P, r"\b[A-Z]?[0-9]{8,9}\b", &["passport"], Always, Validator::None),
    m("DRIVERS_LICENSE", P, r"\b[A-Z]{0,2}[0-9]{5,13}[A-Z]?\b|\b[A-Z][0-9]{3}-[0-9]{3}-[0-9]{2}-[0-9]{3}-[0-9]\b", &["driver", "driving", "licence", "license", "dl#", "dln", "dl number", "dl no"], Always, Validator::None),
    // Person names and postal addresses come last: anything else at the same place is tried first.
    shaped("NAME", NAME_PAT, NAME_KW, Never, Shape::Name),
    shaped("ADDRESS", STREET_PAT, ADDRESS_KW, Never, Shape::Street),
    m("DATE_OF_BIRTH", P, r"\b[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}\b|\b[0-9]{1,2}[-/.][0-9]{1,2}[-/.](?:[0-9]{4}|[0-9]{2})\b", &["dob", "birth", "born", "bday", "birthday", "date of birth"], Always, Validator::Date),
    // A postcode alone says little: only next to a keyword or in an address/postcode column.
    shaped("ADDRESS", POSTCODE_PAT, POSTCODE_KW, Always, Shape::Postcode),
];

// Byte patterns for UTF-8 text (the sets run without Unicode classes): an upper-case letter
// is ASCII or a Latin-1/Latin Extended-A capital (`É`, `Ö`, `Ł` ...), a lower-case one
// ASCII or any other letter of those blocks (close enough: the lists and context decide).
macro_rules! up {
    () => {
        r"(?:[A-Z]|\xC3[\x80-\x9E]|[\xC4\xC5][\x80-\xBF])"
    };
}
macro_rules! low {
    () => {
        r"(?:[a-z]|\xC3[\x9F-\xBF]|[\xC4\xC5][\x80-\xBF])"
    };
}
/// A capitalised word: `Smith`, `O'Brien`, `McDonald`, `Müller`, `Hans-Jürgen`.
macro_rules! word {
    () => {
        concat!(up!(), r"(?:", low!(), r"|(?:'|\xE2\x80\x99)", up!(), r")(?:", low!(), r"|", up!(), r"|-", up!(), r")*")
    };
}

/// Optional titles, then two to four capitalised words, possibly with particles (`van`,
/// `de la`) and middle initials (`Hans D. Schlosser`).
const NAME_PAT: &str = concat!(
    r"(?:(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Herr|Frau|Mme|Mlle|Univ\.Prof|Dipl\.-Ing)\.? )*",
    word!(),
    r"(?: (?:(?:van|von|der|den|de|del|della|da|di|du|le|la|des|dos|das|ten|ter|zu) )*(?:",
    up!(),
    r"\. )?",
    word!(),
    r")+"
);
const NAME_KW: &[&str] = &[
    "name", "full name", "first name", "last name", "surname", "given name", "family name", "customer", "client", "patient",
    "employee", "contact", "person", "dear", "attn", "signed", "cardholder", "account holder", "passenger", "recipient",
    "sender", "beneficiary", "author", "applicant", "prénom", "vorname", "nachname",
];

/// Street suffixes: the USPS street suffix names and abbreviations (Publication 28,
/// appendix C1, a work of the US government) and the common British ones.
macro_rules! suffix {
    () => {
        r"(?:Alley|Aly|Annex|Arcade|Avenue|Ave|Av|Bayou|Beach|Bend|Bluffs|Bluff|Bottom|Boulevard|Blvd|Branch|Bridge|Brooks|Brook|Burgs|Burg|Bypass|Camp|Canyon|Cape|Causeway|Centers|Center|Centre|Circles|Circle|Cir|Cliffs|Cliff|Close|Club|Commons|Common|Corners|Corner|Course|Courts|Court|Ct|Coves|Cove|Creek|Crescent|Cres|Crest|Crossing|Crossroads|Crossroad|Curve|Dale|Dam|Divide|Drives|Drive|Dr|Estates|Estate|Expressway|Expy|Extensions|Extension|Falls|Fall|Ferry|Fields|Field|Flats|Flat|Fords|Ford|Forest|Forges|Forge|Forks|Fork|Fort|Freeway|Fwy|Gardens|Garden|Gateway|Glens|Glen|Greens|Green|Groves|Grove|Harbors|Harbor|Harbours|Harbour|Haven|Heights|Hts|Highway|Hwy|Hills|Hill|Hollow|Inlet|Islands|Island|Isle|Junctions|Junction|Keys|Key|Knolls|Knoll|Lakes|Lake|Land|Landing|Lane|Ln|Lights|Light|Loaf|Locks|Lock|Lodge|Loop|Mall|Manors|Manor|Meadows|Meadow|Mews|Mills|Mill|Mission|Motorway|Mount|Mountains|Mountain|Neck|Orchard|Oval|Overpass|Parks|Park|Parkways|Parkway|Pkwy|Pass|Passage|Path|Pike|Pines|Pine|Place|Pl|Plains|Plain|Plaza|Points|Point|Ports|Port|Prairie|Radial|Ramp|Ranch|Rapids|Rapid|Rest|Ridges|Ridge|River|Roads|Road|Rd|Route|Rte|Row|Rue|Run|Shoals|Shoal|Shores|Shore|Skyway|Springs|Spring|Spurs|Spur|Squares|Square|Sq|Station|Stravenue|Stream|Streets|Street|St|Summit|Terrace|Ter|Throughway|Trace|Track|Trafficway|Trail|Trl|Trailer|Tunnel|Turnpike|Underpass|Unions|Union|Valleys|Valley|Viaduct|Via|Views|View|Villages|Village|Ville|Vista|Walks|Walk|Wall|Ways|Way|Wells|Well|Wharf|Wynd)"
    };
}

/// A street line: `1777 Kramer Court`, `37406 Jacob Stream Suite 158`, `Flat 98m, Jones
/// Knolls`, `Drubinstraße 47-26`, `Friedlinde-Riehl-Gasse 4-7`, `8, rue Jeanne Henry`.
const STREET_PAT: &str = concat!(
    // US/UK: number (or Flat/Studio/Unit/Apartment n), one to three words, a suffix.
    r"(?:(?:Flat|Studio|Unit|Apartment|Apt\.|Apt|Suite) [0-9]{1,5}[A-Za-z]?,? |[0-9]{1,6}[A-Za-z]?,? )(?:",
    word!(),
    r" )+",
    suffix!(),
    r"\b(?: (?:Apt\.|Suite|Unit) [0-9]{1,5})?",
    // German: a compound or separate street word, then the house number.
    r"|(?:",
    word!(),
    r"(?:stra\xC3\x9Fe|strasse|str\.|weg|gasse|platz|allee|ring|damm|ufer|chaussee|steig|pfad|markt|graben|-Stra\xC3\x9Fe|-Strasse|-Weg|-Gasse|-Platz|-Allee|-Ring|-Damm|-Ufer|-Chaussee|-Steig|-Pfad|-Markt|-Graben)",
    r"|(?:Am|An der|Auf dem|Im|In der|Zum|Zur) ",
    word!(),
    r") [0-9]{1,4}[a-z]?(?:[-/][0-9]{1,4}[a-z]?)?",
    // French: number, voie, name.
    r"|[0-9]{1,4}(?: ?(?:bis|ter))?,? (?:rue|avenue|av\.|boulevard|bd|chemin|all(?:\xC3\xA9)e|impasse|place|quai|route|cours|square|voie|passage|rond-point) (?:(?:de la|de l'|du|des|de|d'|la|le) ?)?",
    word!(),
    r"(?: ",
    word!(),
    r")*",
    // French without a number: the voie and its name, then the postcode.
    r"|(?:rue|avenue|boulevard|chemin|all(?:\xC3\xA9)e|impasse|place|quai|route|cours|square|voie|passage) (?:(?:de la|de l'|du|des|de|d'|la|le) ?)?",
    word!(),
    r"(?: ",
    word!(),
    r")*, [0-9]{5}\b"
);
const ADDRESS_KW: &[&str] = &["address", "addr", "street", "residence", "domicile", "mailing", "ship to", "shipping", "billing", "lives at", "adresse", "anschrift", "strasse"];

/// Postcodes: US ZIP and ZIP+4, UK postcodes, and the 5-digit codes of Germany and France.
const POSTCODE_PAT: &str = r"\b[0-9]{5}(?:-[0-9]{4})?\b|\b[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}\b";
const POSTCODE_KW: &[&str] = &["zip", "zip code", "zipcode", "postcode", "post code", "postal code", "postal", "plz", "postleitzahl", "code postal", "address", "addr"];

/// The managed identifiers, in priority order.
pub fn managed() -> Vec<Identifier> {
    MANAGED
        .iter()
        .map(|d| Identifier {
            name: d.name.to_string(),
            category: d.cat,
            origin: Origin::Managed,
            pattern: d.pat.to_string(),
            keywords: d.kw.iter().map(|k| normalize_keyword(k)).collect(),
            keyword_rule: d.rule,
            max_distance: 30,
            ignore_words: Vec::new(),
            validator: d.v,
            severity_levels: Vec::new(),
            shape: d.shape,
        })
        .collect()
}

/// The distinct managed type names, for `--format` documentation and tests.
pub fn managed_types() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = MANAGED.iter().map(|d| d.name).collect();
    v.dedup();
    v.sort_unstable();
    v.dedup();
    v
}
