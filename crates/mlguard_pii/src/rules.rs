//! The `PII-*` rules: one per Macie finding category.

use mlguard_core::{Practice, RuleDoc, Severity};

const WA: &str = "SEC07-BP02 Apply data protection controls based on data sensitivity";
const DOCS: &[(&str, &str)] = &[
    ("Amazon Macie: managed data identifiers", "https://docs.aws.amazon.com/macie/latest/user/managed-data-identifiers.html"),
    ("Amazon Macie: types of sensitive data findings", "https://docs.aws.amazon.com/macie/latest/user/findings-types.html"),
];

pub static PII_001: RuleDoc = RuleDoc {
    id: "PII-001",
    severity: Severity::High,
    practice: Practice::SensitiveData,
    title: "Credentials in training data",
    what: "Finds credentials in data files: AWS access keys (and secret keys next to a keyword), PEM, OpenSSH, PGP and PuTTY private keys, JSON Web Tokens, Google Cloud API keys, HTTP basic-auth headers, and every secret a gitleaks rule file describes.",
    why: "A model trained on a secret can repeat it to anyone who prompts for it, and the data set itself becomes a credential store nobody rotates.",
    example: "A JSON Lines fine-tuning set with `\"text\": \"export AWS_ACCESS_KEY_ID=AKIA...\"` copied from a support ticket.",
    remediation: "Rotate the credential, then remove it from the data (`mlguard redact` with `redact` or `replace` for the type) before training.",
    well_architected: WA,
    docs: DOCS,
};

pub static PII_002: RuleDoc = RuleDoc {
    id: "PII-002",
    severity: Severity::Medium,
    practice: Practice::SensitiveData,
    title: "Financial information in training data",
    what: "Finds payment card numbers (issuer prefix, length and Luhn check), IBANs (mod-97), US ABA routing numbers (checksum), SWIFT codes and bank account numbers next to a keyword. Severity is medium, high from 100 occurrences in one file.",
    why: "Card and account numbers in training data fall under PCI DSS and banking secrecy rules, and models can memorise and regurgitate them.",
    example: "A CSV export with a `card_number` column.",
    remediation: "Drop or tokenize the columns before training (`mlguard redact` with `drop`, `hash` or `mask`).",
    well_architected: WA,
    docs: DOCS,
};

pub static PII_003: RuleDoc = RuleDoc {
    id: "PII-003",
    severity: Severity::Medium,
    practice: Practice::SensitiveData,
    title: "Personal information in training data",
    what: "Finds email addresses, phone numbers, US Social Security numbers (SSA validity rules), ITINs, passport and driver's licence numbers and dates of birth next to a keyword, IP and MAC addresses, and person names and postal addresses with a confidence that says how they were found (high: a keyword or a column such as `name` or `address` and a census name or a complete street line; medium: one of the two; low: a census given name and surname with no context). Severity is medium, high from 100 occurrences in one file.",
    why: "Personal data in training sets is regulated (GDPR, CCPA, HIPAA) and can be extracted from trained models.",
    example: "Chat logs with customers' email addresses and phone numbers used for fine-tuning.",
    remediation: "Redact, mask or hash the values (`mlguard redact`) or drop the columns before training.",
    well_architected: WA,
    docs: DOCS,
};

pub static PII_004: RuleDoc = RuleDoc {
    id: "PII-004",
    severity: Severity::High,
    practice: Practice::SensitiveData,
    title: "Custom sensitive data identifier matched",
    what: "Reports matches of the organisation's own identifiers (`--identifiers FILE`), with Macie's custom data identifier semantics: regex, keywords within a maximum distance, ignore words, severity by occurrence count.",
    why: "Internal identifiers (employee ids, patient numbers, project code names) are sensitive to the organisation even when no public pattern covers them.",
    example: "`EMP-[0-9]{6}` employee ids in a support-ticket corpus.",
    remediation: "Remove or pseudonymise the values before training (`mlguard redact` with an operator for the identifier's name).",
    well_architected: WA,
    docs: DOCS,
};

/// Every `PII-*` rule, for `all_rules()`.
pub static RULES: &[&RuleDoc] = &[&PII_001, &PII_002, &PII_003, &PII_004];
