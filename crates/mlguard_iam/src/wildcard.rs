//! `*` and `?` wildcard matching for actions, ARNs and `StringLike` values, and policy variables.
//!
//! A [`Pattern`] is compiled once when a policy is parsed; matching is a two-pointer scan with
//! one backtrack point (the last `*` seen), so it runs in `O(pattern × text)` time whatever the
//! input: there is no regular expression and no exponential backtracking. Matching allocates
//! nothing unless the pattern holds a policy variable, which is substituted first. `*` matches any run of characters (including none, including `:`
//! and `/`), `?` exactly one character.
//!
//! - Actions match case-insensitively, service prefix and action name alike: "The prefix and
//!   the action name are case insensitive"
//!   (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html>).
//! - `Resource` ARNs match case-sensitively over the whole string. AWS documents that a `*` at
//!   the end of an ARN segment "can expand to match beyond the colon boundaries"
//!   (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html>);
//!   this module lets every `*` do so, which can only widen a match for patterns with a `*`
//!   in the middle of a segment.
//! - `ArnLike`/`ArnEquals` match each of the six colon-separated components on its own
//!   ([`arn_like`]), as the condition operator reference specifies
//!   (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN>).
//!
//! Policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'none'}`, and the literal
//! escapes `${*}`, `${?}`, `${$}`) are recognised only in policies whose `Version` is
//! `2012-10-17`; in older versions they are plain text
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html>).

use std::borrow::Cow;

use crate::Context;

/// One element of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// A character that must be present (a literal `*` or `?` comes from `${*}` / `${?}`).
    Lit(char),
    /// `*`: any run of characters.
    Star,
    /// `?`: exactly one character.
    One,
    /// `${key}` or `${key, 'default'}`, replaced by the request's single value for `key`.
    Var { key: String, default: Option<String> },
}

/// The token the matcher sees: a [`Part`] with variables already replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Lit(char),
    Star,
    One,
}

/// A compiled wildcard pattern: an action, an ARN or a `StringLike` value from a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    text: String,
    parts: Vec<Part>,
    has_vars: bool,
    /// No `${...}` was interpreted: `text` reads the same as `parts`.
    plain: bool,
}

/// A policy variable that the request cannot fill: its key is missing, or has several values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    /// The context key named by the variable.
    pub key: String,
}

impl Pattern {
    /// Compiles `text` with `*` and `?` as wildcards and no policy variables.
    pub fn new(text: &str) -> Pattern {
        let parts = text.chars().map(wild_part).collect();
        Pattern { text: text.to_owned(), parts, has_vars: false, plain: true }
    }

    /// Compiles `text` with `*` and `?` as wildcards and `${...}` as policy variables.
    pub fn with_variables(text: &str) -> Pattern {
        Self::compile(text, true)
    }

    /// Compiles `text` with policy variables, and with `*` and `?` as wildcards when `wild`
    /// (`StringEquals` has variables but no wildcards).
    pub(crate) fn compile(text: &str, wild: bool) -> Pattern {
        let mut parts = Vec::with_capacity(text.len());
        let mut has_vars = false;
        let mut plain = true;
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if let Some(after) = rest.strip_prefix("${") {
                if let Some(end) = after.find('}') {
                    let inner = &after[..end];
                    rest = &after[end + 1..];
                    plain = false;
                    match inner {
                        "*" => parts.push(Part::Lit('*')),
                        "?" => parts.push(Part::Lit('?')),
                        "$" => parts.push(Part::Lit('$')),
                        _ => {
                            has_vars = true;
                            parts.push(variable(inner));
                        }
                    }
                    continue;
                }
            }
            parts.push(if wild { wild_part(c) } else { Part::Lit(c) });
            rest = &rest[c.len_utf8()..];
        }
        Pattern { text: text.to_owned(), parts, has_vars, plain }
    }

    /// Compiles `text` with every character literal (no wildcards, no variables).
    pub(crate) fn literal(text: &str) -> Pattern {
        Pattern { text: text.to_owned(), parts: text.chars().map(Part::Lit).collect(), has_vars: false, plain: true }
    }

    /// The pattern as written in the policy.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the pattern contains a policy variable that needs a request context.
    pub fn has_variables(&self) -> bool {
        self.has_vars
    }

    /// Whether the pattern is exactly `*`.
    pub fn is_star(&self) -> bool {
        self.parts == [Part::Star]
    }

    /// Case-sensitive match of the whole of `text`; a policy variable matches nothing.
    pub fn matches(&self, text: &str) -> bool {
        self.matches_in(text, &Context::new(), false).unwrap_or(false)
    }

    /// Case-insensitive match of the whole of `text` (actions); a policy variable matches nothing.
    pub fn matches_ignore_case(&self, text: &str) -> bool {
        self.matches_in(text, &Context::new(), true).unwrap_or(false)
    }

    /// Matches `text` after replacing policy variables from `context`.
    pub fn matches_in(&self, text: &str, context: &Context, fold: bool) -> Result<bool, Unresolved> {
        if !self.has_vars {
            // The common case: no allocation.
            return Ok(glob(|p| self.parts.get(p).and_then(part_tok).map(|t| (t, p + 1)), text, fold));
        }
        let toks = self.resolve(context)?;
        Ok(glob(|p| toks.get(p).map(|&t| (t, p + 1)), text, fold))
    }

    /// The text after replacing policy variables, `*` and `?` written as such (string
    /// equality reads them literally, `ArnLike` as wildcards; a `${*}` escape thus becomes a
    /// wildcard for the ARN operators).
    pub(crate) fn resolve_text(&self, context: &Context) -> Result<Cow<'_, str>, Unresolved> {
        if self.plain {
            return Ok(Cow::Borrowed(&self.text));
        }
        let toks = self.resolve(context)?;
        Ok(Cow::Owned(
            toks.iter()
                .map(|t| match t {
                    Tok::Lit(c) => *c,
                    Tok::Star => '*',
                    Tok::One => '?',
                })
                .collect(),
        ))
    }

    fn resolve(&self, context: &Context) -> Result<Vec<Tok>, Unresolved> {
        let mut toks = Vec::with_capacity(self.parts.len());
        for part in &self.parts {
            match part {
                Part::Lit(c) => toks.push(Tok::Lit(*c)),
                Part::Star => toks.push(Tok::Star),
                Part::One => toks.push(Tok::One),
                Part::Var { key, default } => {
                    let value = match crate::lookup(context, key) {
                        Some([one]) => one.as_str(),
                        Some(_) | None => match default {
                            Some(d) => d.as_str(),
                            None => return Err(Unresolved { key: key.clone() }),
                        },
                    };
                    toks.extend(value.chars().map(Tok::Lit));
                }
            }
        }
        Ok(toks)
    }
}

/// The token of a part without variables (`None` for a variable, which `has_vars` rules out).
fn part_tok(part: &Part) -> Option<Tok> {
    match part {
        Part::Lit(c) => Some(Tok::Lit(*c)),
        Part::Star => Some(Tok::Star),
        Part::One => Some(Tok::One),
        Part::Var { .. } => None,
    }
}

fn wild_part(c: char) -> Part {
    match c {
        '*' => Part::Star,
        '?' => Part::One,
        c => Part::Lit(c),
    }
}

/// `aws:username` or `aws:username, 'default'`.
fn variable(inner: &str) -> Part {
    if let Some((key, default)) = inner.split_once(',') {
        let default = default.trim();
        if let Some(d) = default.strip_prefix('\'').and_then(|d| d.strip_suffix('\'')) {
            return Part::Var { key: key.trim().to_owned(), default: Some(d.to_owned()) };
        }
    }
    Part::Var { key: inner.trim().to_owned(), default: None }
}

/// Case-sensitive whole-string match of `text` against `pattern` (`*` and `?` wildcards),
/// without compiling or allocating.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    glob(|p| next_char_tok(pattern, p), text, false)
}

/// Case-insensitive whole-string match of an action such as `s3:GetObject` against a pattern
/// such as `S3:get*`.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    glob(|p| next_char_tok(pattern, p), action, true)
}

/// `ArnLike`/`ArnEquals`: when the pattern has the six colon-separated components of an ARN,
/// each component of `arn` must match the corresponding component of `pattern` (the sixth,
/// the resource, keeps any further colons); otherwise the whole strings are matched.
pub fn arn_like(pattern: &str, arn: &str) -> bool {
    let mut pat = pattern.splitn(6, ':');
    let mut val = arn.splitn(6, ':');
    let pat_parts: [Option<&str>; 6] = std::array::from_fn(|_| pat.next());
    if pat_parts[5].is_none() {
        return wildcard_match(pattern, arn);
    }
    pat_parts.iter().all(|p| match (p, val.next()) {
        (Some(p), Some(v)) => wildcard_match(p, v),
        _ => false,
    })
}

fn next_char_tok(pattern: &str, p: usize) -> Option<(Tok, usize)> {
    let c = pattern.get(p..)?.chars().next()?;
    let tok = match c {
        '*' => Tok::Star,
        '?' => Tok::One,
        c => Tok::Lit(c),
    };
    Some((tok, p + c.len_utf8()))
}

fn chars_eq(a: char, b: char, fold: bool) -> bool {
    a == b || (fold && a.to_lowercase().eq(b.to_lowercase()))
}

/// The matcher. `next(p)` yields the token at pattern position `p` and the position after it.
/// On a mismatch the last `*` takes one more character and matching resumes after it; a later
/// `*` supersedes an earlier one, which is what bounds the work to `O(pattern × text)`.
fn glob<F>(next: F, text: &str, fold: bool) -> bool
where
    F: Fn(usize) -> Option<(Tok, usize)>,
{
    let (mut p, mut i) = (0usize, 0usize);
    // (pattern position after the last `*`, text position that `*` has consumed up to)
    let mut resume: Option<(usize, usize)> = None;
    loop {
        let c = text.get(i..).and_then(|r| r.chars().next());
        match next(p) {
            Some((Tok::Star, np)) => {
                resume = Some((np, i));
                p = np;
                continue;
            }
            Some((tok, np)) => {
                if let Some(c) = c {
                    let ok = match tok {
                        Tok::One => true,
                        Tok::Lit(l) => chars_eq(l, c, fold),
                        Tok::Star => false,
                    };
                    if ok {
                        p = np;
                        i += c.len_utf8();
                        continue;
                    }
                }
            }
            None if c.is_none() => return true,
            None => {}
        }
        let Some((sp, si)) = resume else { return false };
        let Some(c) = text.get(si..).and_then(|r| r.chars().next()) else { return false };
        let ni = si + c.len_utf8();
        resume = Some((sp, ni));
        p = sp;
        i = ni;
    }
}

/// The actions among `known` that `pattern` covers, e.g. what `s3:Put*` means among a list of
/// actions the caller knows about (this crate ships no action catalogue).
pub fn expand_action<'k, S: AsRef<str>>(pattern: &str, known: &'k [S]) -> Vec<&'k str> {
    known.iter().map(AsRef::as_ref).filter(|a| action_matches(pattern, a)).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    /// `check(pattern, text, expected)`: the compiled and the `&str` matcher agree with `expected`.
    fn check(pattern: &str, text: &str, expected: bool) {
        assert_eq!(wildcard_match(pattern, text), expected, "wildcard_match({pattern:?}, {text:?})");
        assert_eq!(Pattern::new(pattern).matches(text), expected, "Pattern::new({pattern:?}).matches({text:?})");
        assert_eq!(
            Pattern::with_variables(pattern).matches(text),
            expected,
            "Pattern::with_variables({pattern:?}).matches({text:?})"
        );
    }

    #[test]
    fn stars_and_question_marks() {
        check("*", "", true);
        check("*", "arn:aws:s3:::bucket/key", true);
        check("", "", true);
        check("", "a", false);
        check("a", "", false);
        check("?", "", false);
        check("?", "é", true);
        check("??", "é", false);
        check("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b", true);
        check("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", false);
        check("arn:aws:s3:::*log*", "arn:aws:s3:::carlossalazar-logs", true);
        check("arn:aws:s3:::*log*", "arn:aws:s3:::carlossalazar", false);
        check("a*b*c", "aXbYbZc", true);
        check("a*b*c", "aXbYbZ", false);
        check("*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false);
        check("user/?ob", "user/Bob", true);
        check("user/?ob", "user/Bobby", false);
        check("user/Bob", "user/bob", false);
    }

    #[test]
    fn actions_ignore_case() {
        assert!(action_matches("s3:Get*", "S3:GETOBJECT"));
        assert!(action_matches("IAM:listaccesskeys", "iam:ListAccessKeys"));
        assert!(action_matches("iam:*AccessKey*", "iam:CreateAccessKey"));
        assert!(action_matches("*", "sagemaker:CreateNotebookInstance"));
        assert!(!action_matches("s3:Get*", "s3-object-lambda:GetObject"));
        assert!(!action_matches("s3:Get?", "s3:Get"));
        assert!(action_matches("ec2:Describe?pcs", "ec2:DescribeVpcs"));
    }

    #[test]
    fn arn_like_is_per_component() {
        // The documented example: StringLike matches, ArnLike does not.
        let pattern = "arn:aws:someservice:*:111122223333:finance/*";
        let value = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt";
        assert!(wildcard_match(pattern, value));
        assert!(!arn_like(pattern, value));
        assert!(arn_like(pattern, "arn:aws:someservice:us-east-2:111122223333:finance/a:b"));
        assert!(arn_like("arn:aws:sns:*:*:topic", "arn:aws:sns:eu-west-1:123:topic"));
        assert!(!arn_like("arn:aws:sns:*:*:topic", "arn:aws:sns:eu-west-1:123"));
        assert!(arn_like("*", "arn:aws:sns:eu-west-1:123:topic"));
    }

    #[test]
    fn variables_resolve_from_context() {
        let ctx: Context = [("aws:username".to_owned(), vec!["David".to_owned()])].into_iter().collect();
        let p = Pattern::with_variables("arn:aws:s3:::mybucket/${aws:username}/*");
        assert!(p.has_variables());
        assert_eq!(p.matches_in("arn:aws:s3:::mybucket/David/x", &ctx, false), Ok(true));
        assert_eq!(p.matches_in("arn:aws:s3:::mybucket/Adele/x", &ctx, false), Ok(false));
        // Key names are case-insensitive.
        let q = Pattern::with_variables("home/${AWS:UserName}");
        assert_eq!(q.matches_in("home/David", &ctx, false), Ok(true));
        // Missing key: unresolved unless a default is given.
        let r = Pattern::with_variables("${aws:userid}");
        assert_eq!(r.matches_in("x", &ctx, false), Err(Unresolved { key: "aws:userid".to_owned() }));
        let d = Pattern::with_variables("bucket/${aws:userid, 'anonymous'}");
        assert_eq!(d.matches_in("bucket/anonymous", &ctx, false), Ok(true));
        // Multi-valued keys cannot be variables.
        let multi: Context = [("aws:TagKeys".to_owned(), vec!["a".to_owned(), "b".to_owned()])].into_iter().collect();
        assert!(Pattern::with_variables("${aws:TagKeys}").matches_in("a", &multi, false).is_err());
        // A variable's value is literal text, not a pattern.
        let star: Context = [("k".to_owned(), vec!["*".to_owned()])].into_iter().collect();
        assert_eq!(Pattern::with_variables("a${k}").matches_in("abc", &star, false), Ok(false));
        assert_eq!(Pattern::with_variables("a${k}").matches_in("a*", &star, false), Ok(true));
    }

    #[test]
    fn special_characters_are_literal() {
        let p = Pattern::with_variables("file${*}name${?}${$}");
        assert!(!p.has_variables());
        assert!(p.matches("file*name?$"));
        assert!(!p.matches("fileXname?$"));
        // Without variables `${*}` is the characters `$`, `{`, any run, `}`.
        assert!(Pattern::new("a${*}").matches("a${xyz}"));
        // An unterminated `${` is text.
        assert!(Pattern::with_variables("a${b").matches("a${b"));
    }

    #[test]
    fn expansion_against_a_known_list() {
        let known = ["s3:PutObject", "s3:PutBucketPolicy", "s3:GetObject", "S3:PUTOBJECTACL", "ec2:PutThing"];
        assert_eq!(expand_action("s3:Put*", &known), vec!["s3:PutObject", "s3:PutBucketPolicy", "S3:PUTOBJECTACL"]);
        assert_eq!(expand_action("*:Put*", &known).len(), 4);
        assert!(expand_action("iam:*", &known).is_empty());
    }
}
