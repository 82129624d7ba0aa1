//! Cloudflare's Rules language: a builder that quotes every user string, so a string can never
//! leave its quoted position (no `" or true or "` injection), and [`parse`], the one checker of
//! expressions against the language's grammar, fields and their types, functions and operators.
//! The client checks every rule's expression with it before sending (an invalid one is a typed
//! [`Error::Invalid`] on `expression`, and nothing is sent) and the simulator refuses what it
//! refuses, as Cloudflare does.
//!
//! ```
//! use cloudflare_client::expression::{field, parse, Expr};
//! let path = field("http.request.uri.path");
//! let expr = Expr::any_of([path.contains("/.git")?, path.contains("/.svn")?]);
//! assert_eq!(expr.to_string(), r#"(http.request.uri.path contains "/.git") or (http.request.uri.path contains "/.svn")"#);
//! // A hostile string stays inside its quotes:
//! let e = field("http.host").eq(r#"x" or true or ""#)?;
//! assert_eq!(e.to_string(), r#"(http.host eq "x\" or true or \"")"#);
//! // Unknown fields and ill-typed comparisons are refused before anything is sent:
//! assert!(field("http.request.uri.pth").contains("/.env").is_err());
//! assert!(field("ip.src").contains("1.2").is_err());
//! assert!(parse(r#"ip.src in {192.0.2.0/24} and not cf.client.bot"#).is_ok());
//! # Ok::<(), cloudflare_client::Error>(())
//! ```

mod fields;
mod functions;
mod parser;
mod types;

pub use functions::function_names;
pub use parser::{ExpressionError, Parsed, parse};
pub use types::{Type, field_names, field_type};

use std::fmt;

use ipnet::IpNet;

use crate::error::{Error, Result};

/// Maximum expression length the API accepts.
pub const MAX_LEN: usize = 4096;

/// Quote `s` as a rules-language string literal: `"` and `\` are escaped; control characters are
/// refused (the field is named `expression`).
pub fn quote(s: &str) -> Result<String> {
    if let Some(c) = s.chars().find(|c| c.is_control()) {
        return Err(Error::invalid(
            "expression",
            format!("string literal contains control character {:?}", c),
        ));
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    Ok(out)
}

/// A field reference, e.g. `http.request.uri.path`, or every value of a request header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    path: String,
    /// The path is an array: a comparison holds for any of its values (`any(path[*] ...)`).
    each: bool,
}

/// A field by name. The name must be a field of the Rules language (see [`field_names`]);
/// otherwise every comparison on it returns an error, as does a comparison its type does not
/// have (e.g. `contains` on `ip.src`).
pub fn field(name: &str) -> Field {
    Field {
        path: name.to_owned(),
        each: false,
    }
}

impl Field {
    /// A request header by name: a comparison holds when any value of the header satisfies it
    /// (`any(http.request.headers["name"][*] eq "v")`), since a header may repeat.
    pub fn header(name: &str) -> Result<Field> {
        Ok(Field {
            path: format!(
                "http.request.headers[{}]",
                quote(&name.to_ascii_lowercase())?
            ),
            each: true,
        })
    }

    /// `(path op value)`, or `(any(path[*] op value))` for every value of a header.
    fn wrap(&self, make: impl FnOnce(&str) -> String) -> Result<Expr> {
        let path = self.checked()?;
        if self.each {
            Expr::new(format!("(any({}))", make(&format!("{path}[*]"))))
        } else {
            Expr::new(format!("({})", make(path)))
        }
    }

    fn checked(&self) -> Result<&str> {
        let name = self.path.split('[').next().unwrap_or_default();
        let ok_name = !name.is_empty()
            && name.split('.').all(|w| {
                !w.is_empty()
                    && w.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            })
            && name.as_bytes()[0].is_ascii_lowercase();
        let tail_ok =
            self.path.len() == name.len() || self.path.starts_with("http.request.headers[\"");
        if ok_name && tail_ok {
            Ok(&self.path)
        } else {
            Err(Error::invalid(
                "expression",
                format!("not a field name: {:?}", self.path),
            ))
        }
    }

    fn op(&self, op: &str, value: &str) -> Result<Expr> {
        let value = quote(value)?;
        self.wrap(|path| format!("{path} {op} {value}"))
    }

    /// `field eq "value"`.
    pub fn eq(&self, value: &str) -> Result<Expr> {
        self.op("eq", value)
    }

    /// `field ne "value"`.
    pub fn ne(&self, value: &str) -> Result<Expr> {
        self.op("ne", value)
    }

    /// `field contains "value"`.
    pub fn contains(&self, value: &str) -> Result<Expr> {
        self.op("contains", value)
    }

    /// `field wildcard "pattern"` (case-insensitive `*` matching).
    pub fn wildcard(&self, pattern: &str) -> Result<Expr> {
        self.op("wildcard", pattern)
    }

    /// `field matches "regex"` (Business plan and above).
    pub fn matches(&self, regex: &str) -> Result<Expr> {
        self.op("matches", regex)
    }

    /// `starts_with(field, "prefix")`.
    pub fn starts_with(&self, prefix: &str) -> Result<Expr> {
        let prefix = quote(prefix)?;
        self.wrap(|path| format!("starts_with({path}, {prefix})"))
    }

    /// `ends_with(field, "suffix")`.
    pub fn ends_with(&self, suffix: &str) -> Result<Expr> {
        let suffix = quote(suffix)?;
        self.wrap(|path| format!("ends_with({path}, {suffix})"))
    }

    /// `field in {"a" "b"}`.
    pub fn in_strings<S: AsRef<str>>(&self, values: &[S]) -> Result<Expr> {
        if values.is_empty() {
            return Err(Error::invalid(
                "expression",
                "an `in` set needs at least one value",
            ));
        }
        let items = values
            .iter()
            .map(|v| quote(v.as_ref()))
            .collect::<Result<Vec<String>>>()?
            .join(" ");
        self.wrap(|path| format!("{path} in {{{items}}}"))
    }

    /// `field in {192.0.2.0/24 2001:db8::/32}` (for `ip.src`).
    pub fn in_nets(&self, nets: &[IpNet]) -> Result<Expr> {
        if nets.is_empty() {
            return Err(Error::invalid(
                "expression",
                "an `in` set needs at least one value",
            ));
        }
        let items: Vec<String> = nets.iter().map(ToString::to_string).collect();
        let items = items.join(" ");
        self.wrap(|path| format!("{path} in {{{items}}}"))
    }

    /// `field in $list`: membership in an account custom list (e.g. `ip.src in $admin_ips`).
    pub fn in_list(&self, list: &str) -> Result<Expr> {
        // The API stores list names of ASCII letters, digits and `_`; the Rules language
        // references only lowercase ones (`$Admin` is a parse error).
        if crate::resources::lists::check_list_name(list).is_err()
            || list.bytes().any(|b| b.is_ascii_uppercase())
        {
            return Err(Error::invalid(
                "expression",
                format!(
                    "{list:?} is not a list name an expression can use (lowercase letters, digits, `_`)"
                ),
            ));
        }
        self.wrap(|path| format!("{path} in ${list}"))
    }

    /// The bare boolean field, e.g. `cf.bot_management.verified_bot`.
    pub fn is_true(&self) -> Result<Expr> {
        self.wrap(str::to_owned)
    }
}

/// The API's "every request" expression.
const TRUE: &str = "true";
/// What matches nothing; not an expression the API takes.
const FALSE: &str = "false";

/// A complete expression (always parenthesised, so combining never changes precedence).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expr(String);

impl Expr {
    /// A checked expression: at most [`MAX_LEN`] characters and valid for [`parse`].
    fn new(s: String) -> Result<Self> {
        if s.len() > MAX_LEN {
            return Err(Error::invalid(
                "expression",
                format!("longer than {MAX_LEN} characters"),
            ));
        }
        parse(&s)?;
        Ok(Self(s))
    }

    /// The constant that matches every request (an empty [`Expr::all_of`]). The API takes it
    /// as a whole expression; inside one it is folded away, since the language has no boolean
    /// literals.
    pub fn always() -> Expr {
        Expr(TRUE.to_owned())
    }

    fn is(&self, constant: &str) -> bool {
        self.0 == constant
    }

    /// The text as one operand: a flat [`Expr::any_of`] / [`Expr::all_of`] join gets
    /// parentheses, so combining it never changes what it means.
    fn grouped(&self) -> String {
        if enclosed(&self.0) {
            self.0.clone()
        } else {
            format!("({})", self.0)
        }
    }

    /// `(self and other)` (a constant operand is folded away).
    pub fn and(self, other: Expr) -> Expr {
        if self.is(FALSE) || other.is(TRUE) {
            self
        } else if other.is(FALSE) || self.is(TRUE) {
            other
        } else {
            Expr(format!("({} and {})", self.grouped(), other.grouped()))
        }
    }

    /// `(self or other)` (a constant operand is folded away).
    pub fn or(self, other: Expr) -> Expr {
        if self.is(TRUE) || other.is(FALSE) {
            self
        } else if other.is(TRUE) || self.is(FALSE) {
            other
        } else {
            Expr(format!("({} or {})", self.grouped(), other.grouped()))
        }
    }

    /// `(not self)`.
    pub fn negate(self) -> Expr {
        if self.is(TRUE) {
            Expr(FALSE.to_owned())
        } else if self.is(FALSE) {
            Self::always()
        } else {
            Expr(format!("(not {})", self.grouped()))
        }
    }

    /// Join with `or` (flat, like the dashboard writes it). The Rules language has no `false`:
    /// an empty join (or one of only negated [`Expr::always`]) matches nothing, which
    /// [`Expr::build`] refuses.
    pub fn any_of(exprs: impl IntoIterator<Item = Expr>) -> Expr {
        Self::join(exprs, " or ", TRUE, FALSE)
    }

    /// Join with `and`; [`Expr::always`] when empty.
    pub fn all_of(exprs: impl IntoIterator<Item = Expr>) -> Expr {
        Self::join(exprs, " and ", FALSE, TRUE)
    }

    /// Join with `sep`; `absorbing` wins outright, `neutral` parts are dropped.
    fn join(
        exprs: impl IntoIterator<Item = Expr>,
        sep: &str,
        absorbing: &str,
        neutral: &str,
    ) -> Expr {
        let mut parts: Vec<String> = Vec::new();
        for e in exprs {
            if e.is(absorbing) {
                return e;
            }
            if !e.is(neutral) {
                parts.push(e.0);
            }
        }
        if parts.is_empty() {
            Expr(neutral.to_owned())
        } else {
            Expr(parts.join(sep))
        }
    }

    /// The expression text; errors if it grew past [`MAX_LEN`] or is an empty
    /// [`Expr::any_of`].
    pub fn build(self) -> Result<String> {
        if self.is(FALSE) {
            return Err(Error::invalid(
                "expression",
                "any_of of no expressions: the Rules language has no constant false",
            ));
        }
        Self::new(self.0).map(|e| e.0)
    }
}

/// Whether `s` is one parenthesised group: its first `(` closes at its last character
/// (parentheses inside string literals do not count).
fn enclosed(s: &str) -> bool {
    if !s.starts_with('(') {
        return false;
    }
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, c) in s.char_indices() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '(' => depth += 1,
            ')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i == s.len() - 1;
                }
            }
            _ => {}
        }
    }
    false
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A token of the rules language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// A word: field name, operator, function name, number, IP or CIDR.
    Word(String),
    /// A string literal, unescaped.
    Str(String),
    /// Punctuation: `(`, `)`, `{`, `}`, `[`, `]`, `,`, or an operator symbol.
    Punct(char),
}

/// Split an expression into tokens (string literals decoded), e.g. to see where each quoted
/// string ended up. This is a lexer only; whether an expression is valid is [`parse`]'s
/// question. Errors on an unterminated string or an unknown escape.
pub fn tokenize(expr: &str) -> Result<Vec<Token>> {
    let mut out = Vec::new();
    let mut chars = expr.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut s = String::new();
            loop {
                match chars.next() {
                    None => return Err(Error::invalid("expression", "unterminated string")),
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some(e @ ('"' | '\\')) => s.push(e),
                        _ => return Err(Error::invalid("expression", "unknown escape in string")),
                    },
                    Some(ch) => s.push(ch),
                }
            }
            out.push(Token::Str(s));
        } else if c.is_alphanumeric() || matches!(c, '_' | '.' | ':' | '/' | '-' | '*') {
            let mut w = String::new();
            while let Some(&ch) = chars.peek() {
                if ch.is_alphanumeric() || matches!(ch, '_' | '.' | ':' | '/' | '-' | '*') {
                    w.push(ch);
                    chars.next();
                } else {
                    break;
                }
            }
            out.push(Token::Word(w));
        } else {
            out.push(Token::Punct(c));
            chars.next();
        }
    }
    Ok(out)
}

/// The field names an expression uses, deduplicated in order of appearance (as [`parse`]
/// reports them). Used to check plan limits (e.g. which fields a Free rate limiting rule may
/// use). An invalid expression is an error naming `expression`.
pub fn fields_used(expr: &str) -> Result<Vec<String>> {
    Ok(parse(expr)?.fields)
}

/// The custom lists an expression references (`$name`), deduplicated in order of appearance.
pub fn lists_used(expr: &str) -> Result<Vec<String>> {
    Ok(parse(expr)?.lists)
}

/// Whether the expression uses the comparison operator `op`, given in its word form
/// (`matches` also finds `~`, `eq` also finds `==`).
pub fn uses_operator(expr: &str, op: &str) -> Result<bool> {
    Ok(parse(expr)?.operators.iter().any(|o| o == op))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_membership() {
        let e = field("ip.src").in_list("admin_ips").unwrap().negate();
        assert_eq!(e.to_string(), "(not (ip.src in $admin_ips))");
        assert_eq!(lists_used(&e.to_string()).unwrap(), ["admin_ips"]);
        assert!(field("ip.src").in_list("a-b) or (true").is_err());
    }

    #[test]
    fn quoting() {
        assert_eq!(quote(r#"a"b\c"#).unwrap(), r#""a\"b\\c""#);
        assert!(
            quote("a\nb")
                .unwrap_err()
                .to_string()
                .contains("expression")
        );
    }

    #[test]
    fn builders() {
        let m = field("http.request.method")
            .in_strings(&["POST", "PUT"])
            .unwrap();
        assert_eq!(m.to_string(), r#"(http.request.method in {"POST" "PUT"})"#);
        let p = field("http.request.uri.path").starts_with("/api/").unwrap();
        assert_eq!(
            m.and(p).to_string(),
            r#"((http.request.method in {"POST" "PUT"}) and (starts_with(http.request.uri.path, "/api/")))"#
        );
        let h = Field::header("X-Api-Key").unwrap().eq("k").unwrap();
        assert_eq!(
            h.to_string(),
            r#"(any(http.request.headers["x-api-key"][*] eq "k"))"#
        );
        assert!(Expr::any_of([]).build().is_err());
        assert!(field("ip.src").contains("1.2").is_err());
        assert!(field("http.host or true").eq("x").is_err());
        assert!(field("").eq("x").is_err());
        let ip = field("ip.src")
            .in_nets(&["192.0.2.0/24".parse().unwrap()])
            .unwrap();
        assert_eq!(ip.to_string(), "(ip.src in {192.0.2.0/24})");
    }

    #[test]
    fn fields_and_operators() {
        let e = r#"(http.request.uri.path contains "ip.src matches") and (http.request.method eq "POST")"#;
        assert_eq!(
            fields_used(e).unwrap(),
            ["http.request.uri.path", "http.request.method"]
        );
        assert!(!uses_operator(e, "matches").unwrap());
        assert!(uses_operator(r#"(http.host matches "^a")"#, "matches").unwrap());
        assert!(uses_operator(r#"http.host ~ "^a""#, "matches").unwrap());
        assert!(fields_used("http.host ~").is_err());
    }

    #[test]
    fn combining_a_flat_join_keeps_its_meaning() {
        let a = field("http.host").eq("a").unwrap();
        let b = field("http.host").eq("(b").unwrap();
        let c = field("ssl").is_true().unwrap();
        let e = Expr::any_of([a.clone(), b.clone()]).and(c.clone());
        assert_eq!(
            e.to_string(),
            r#"(((http.host eq "a") or (http.host eq "(b")) and (ssl))"#
        );
        assert_eq!(a.clone().and(Expr::always()), a);
        assert_eq!(Expr::all_of([Expr::always(), c.clone()]), c);
        assert!(Expr::any_of([Expr::always().negate()]).build().is_err());
        assert_eq!(Expr::all_of([]).build().unwrap(), "true");
    }

    #[test]
    fn too_long() {
        let long = "a".repeat(MAX_LEN);
        assert!(field("http.host").eq(&long).is_err());
        let many = Expr::any_of((0..400).map(|i| {
            field("http.host")
                .eq(&format!("host{i}.example.com"))
                .unwrap()
        }));
        assert!(many.build().is_err());
    }
}
