//! The checker of Cloudflare's Rules language: one recursive-descent parser with type checking,
//! used by the client before it sends a rule and by the simulator when it receives one.
//!
//! Grammar (precedence from loose to tight): `or`/`||`, `xor`/`^^`, `and`/`&&`, `not`/`!`,
//! then a parenthesised expression or a comparison `operand [operator value]`. An operand is a
//! field or a function call, followed by indexes (`[0]`, `["key"]`, `[*]`). Operators per type:
//!
//! | type  | operators | value |
//! |-------|-----------|-------|
//! | Bytes | `eq ne lt le gt ge == != < <= > >=`, `contains`, `wildcard`, `strict wildcard` | string |
//! | Bytes | `matches`, `~` | string holding a valid regular expression |
//! | Int   | `eq ne lt le gt ge` (and symbols), `&`, `bitwise_and` | integer |
//! | Ip    | `eq ne lt le gt ge` (and symbols) | address |
//! | all three | `in` | `{...}` set (strings; integers and `a..b` ranges; addresses, CIDRs and ranges) or `$list` |
//!
//! A Bool operand stands alone. A comparison over `[*]` gives `Array<Bool>`, which `any()` or
//! `all()` turn into Bool. Strings are `"..."` (escapes `\"`, `\\`, `\xHH`, `\OOO`) or raw
//! `r"..."` / `r#"..."#`. The whole expression `true` is the API's "every request" constant.

use std::fmt;
use std::net::IpAddr;

use super::functions::{self, Param};
use super::types::{Type, field_type};

/// Why an expression was refused: what is wrong and where (1-based character column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpressionError {
    /// 1-based character column of the problem.
    pub column: usize,
    /// What is wrong, naming the field, function or operator at fault.
    pub message: String,
}

impl fmt::Display for ExpressionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (column {})", self.message, self.column)
    }
}

impl std::error::Error for ExpressionError {}

impl From<ExpressionError> for crate::Error {
    fn from(e: ExpressionError) -> Self {
        crate::Error::invalid("expression", e.to_string())
    }
}

/// What a valid expression uses, each in order of first appearance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Parsed {
    /// Fields (without indexes: `http.request.headers` for `http.request.headers["x"]`).
    pub fields: Vec<String>,
    /// Functions called.
    pub functions: Vec<String>,
    /// Custom lists referenced (`$name`, without the `$`).
    pub lists: Vec<String>,
    /// Comparison operators, in their word form (`~` is `matches`, `==` is `eq`, `&` is
    /// `bitwise_and`).
    pub operators: Vec<String>,
}

/// Parse and type-check `expr` against the Rules language.
///
/// ```
/// use cloudflare_client::expression::parse;
/// let ok = parse(r#"(http.request.uri.path contains "/.git") and not ip.src in $admin_ips"#)?;
/// assert_eq!(ok.fields, ["http.request.uri.path", "ip.src"]);
/// assert_eq!(ok.lists, ["admin_ips"]);
/// let e = parse(r#"ip.src contains "1.2""#).unwrap_err();
/// assert!(e.message.contains("ip.src"), "{e}");
/// assert!(parse("(http.request.uri.path contains)").is_err());
/// # Ok::<(), cloudflare_client::expression::ExpressionError>(())
/// ```
pub fn parse(expr: &str) -> Result<Parsed, ExpressionError> {
    if expr.trim() == "true" {
        return Ok(Parsed::default());
    }
    let mut p = Parser {
        s: expr,
        pos: 0,
        out: Parsed::default(),
    };
    let v = p.or()?;
    p.ws();
    if p.pos < p.s.len() {
        let rest: String = p.s[p.pos..].chars().take(20).collect();
        return Err(p.err(p.pos, format!("unexpected input `{rest}`")));
    }
    let t = v.finished();
    if t != Type::Bool {
        return Err(p.err(
            0,
            format!("an expression must be true or false, but {} is {t}", v.what),
        ));
    }
    Ok(p.out)
}

/// A typed operand. `mapped` marks a value reached through `[*]`: `ty` is the element type and
/// a comparison on it yields `Array<Bool>`.
#[derive(Debug, Clone)]
struct Value {
    ty: Type,
    mapped: bool,
    what: String,
    at: usize,
}

impl Value {
    fn finished(&self) -> Type {
        if self.mapped {
            Type::array(self.ty.clone())
        } else {
            self.ty.clone()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Order,
    Contains,
    Matches,
    Wildcard,
    In,
    BitAnd,
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
    out: Parsed,
}

fn ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

fn push(list: &mut Vec<String>, s: &str) {
    if !list.iter().any(|x| x == s) {
        list.push(s.to_owned());
    }
}

impl Parser<'_> {
    fn err(&self, at: usize, message: impl Into<String>) -> ExpressionError {
        ExpressionError {
            column: self.s[..at.min(self.s.len())].chars().count() + 1,
            message: message.into(),
        }
    }

    fn rest(&self) -> &str {
        &self.s[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn ws(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.s.len() - trimmed.len();
    }

    /// Consume the symbol `sym` (after whitespace).
    fn sym(&mut self, sym: &str) -> bool {
        self.ws();
        if self.rest().starts_with(sym) {
            self.pos += sym.len();
            true
        } else {
            false
        }
    }

    /// Consume the keyword `word` (after whitespace), which must not run on into a name.
    fn kw(&mut self, word: &str) -> bool {
        self.ws();
        let rest = self.rest();
        if rest.starts_with(word) && !rest[word.len()..].starts_with(ident_char) {
            self.pos += word.len();
            true
        } else {
            false
        }
    }

    fn logical(&self, l: Value, r: Value, at: usize, op: &str) -> Result<Value, ExpressionError> {
        let (lt, rt) = (l.finished(), r.finished());
        for (v, t) in [(&l, &lt), (&r, &rt)] {
            if *t != Type::Bool && *t != Type::array(Type::Bool) {
                return Err(self.err(
                    v.at,
                    format!("`{op}` joins conditions, but {} is {t}", v.what),
                ));
            }
        }
        if lt != rt {
            return Err(self.err(at, format!("`{op}` joins {lt} with {rt}")));
        }
        Ok(Value {
            ty: lt,
            mapped: false,
            what: format!("the `{op}` expression"),
            at: l.at,
        })
    }

    fn or(&mut self) -> Result<Value, ExpressionError> {
        let mut left = self.xor()?;
        loop {
            self.ws();
            let at = self.pos;
            if self.kw("or") || self.sym("||") {
                let right = self.xor()?;
                left = self.logical(left, right, at, "or")?;
            } else {
                return Ok(left);
            }
        }
    }

    fn xor(&mut self) -> Result<Value, ExpressionError> {
        let mut left = self.and()?;
        loop {
            self.ws();
            let at = self.pos;
            if self.kw("xor") || self.sym("^^") {
                let right = self.and()?;
                left = self.logical(left, right, at, "xor")?;
            } else {
                return Ok(left);
            }
        }
    }

    fn and(&mut self) -> Result<Value, ExpressionError> {
        let mut left = self.not()?;
        loop {
            self.ws();
            let at = self.pos;
            if self.kw("and") || self.sym("&&") {
                let right = self.not()?;
                left = self.logical(left, right, at, "and")?;
            } else {
                return Ok(left);
            }
        }
    }

    fn not(&mut self) -> Result<Value, ExpressionError> {
        self.ws();
        let at = self.pos;
        let negated = if self.rest().starts_with('!') && !self.rest().starts_with("!=") {
            self.pos += 1;
            true
        } else {
            self.kw("not")
        };
        if !negated {
            return self.primary();
        }
        let v = self.not()?;
        let t = v.finished();
        if t != Type::Bool && t != Type::array(Type::Bool) {
            return Err(self.err(
                v.at,
                format!("`not` negates a condition, but {} is {t}", v.what),
            ));
        }
        Ok(Value {
            ty: t,
            mapped: false,
            what: "the `not` expression".into(),
            at,
        })
    }

    fn primary(&mut self) -> Result<Value, ExpressionError> {
        self.ws();
        let at = self.pos;
        if self.sym("(") {
            let v = self.or()?;
            if !self.sym(")") {
                return Err(self.err(self.pos, "expected `)`"));
            }
            return Ok(Value {
                ty: v.finished(),
                mapped: false,
                what: v.what,
                at,
            });
        }
        self.comparison()
    }

    fn operator(&mut self) -> Option<(Op, &'static str)> {
        self.ws();
        if self.rest().starts_with("strict wildcard")
            && !self.rest()["strict wildcard".len()..].starts_with(ident_char)
        {
            self.pos += "strict wildcard".len();
            return Some((Op::Wildcard, "strict wildcard"));
        }
        const WORDS: [(&str, Op); 11] = [
            ("eq", Op::Order),
            ("ne", Op::Order),
            ("lt", Op::Order),
            ("le", Op::Order),
            ("gt", Op::Order),
            ("ge", Op::Order),
            ("contains", Op::Contains),
            ("matches", Op::Matches),
            ("wildcard", Op::Wildcard),
            ("in", Op::In),
            ("bitwise_and", Op::BitAnd),
        ];
        for (w, op) in WORDS {
            if self.kw(w) {
                return Some((op, w));
            }
        }
        if self.rest().starts_with("&&") || self.rest().starts_with("||") {
            return None;
        }
        const SYMBOLS: [(&str, Op); 8] = [
            ("==", Op::Order),
            ("!=", Op::Order),
            ("<=", Op::Order),
            (">=", Op::Order),
            ("<", Op::Order),
            (">", Op::Order),
            ("~", Op::Matches),
            ("&", Op::BitAnd),
        ];
        SYMBOLS
            .into_iter()
            .find(|(s, _)| self.sym(s))
            .map(|(s, op)| (op, s))
    }

    fn comparison(&mut self) -> Result<Value, ExpressionError> {
        let lhs = self.operand()?;
        self.ws();
        let at = self.pos;
        let Some((op, spelling)) = self.operator() else {
            return Ok(lhs);
        };
        let word = match spelling {
            "==" => "eq",
            "!=" => "ne",
            "<" => "lt",
            "<=" => "le",
            ">" => "gt",
            ">=" => "ge",
            "~" => "matches",
            "&" => "bitwise_and",
            other => other,
        };
        push(&mut self.out.operators, word);
        let context = |e: ExpressionError| ExpressionError {
            message: format!("{} {spelling}: {}", lhs.what, e.message),
            ..e
        };
        let allowed = match (&lhs.ty, op) {
            (Type::Bytes, Op::Order | Op::Contains | Op::Wildcard) => {
                self.string().map(drop).map_err(context)?;
                true
            }
            (Type::Bytes, Op::Matches) => {
                self.ws();
                let start = self.pos;
                let pattern = self.string().map_err(context)?;
                if let Err(e) = regex_syntax::Parser::new().parse(&pattern) {
                    return Err(self.err(
                        start,
                        format!("{} {spelling}: invalid regular expression: {e}", lhs.what),
                    ));
                }
                true
            }
            (Type::Int, Op::Order | Op::BitAnd) => {
                self.int().map(drop).map_err(context)?;
                true
            }
            (Type::Ip, Op::Order) => {
                self.ip(false).map_err(context)?;
                true
            }
            (Type::Bytes | Type::Int | Type::Ip, Op::In) => {
                self.set(&lhs.ty).map_err(context)?;
                true
            }
            _ => false,
        };
        if !allowed {
            return Err(self.err(
                at,
                format!(
                    "`{spelling}` cannot be used on {}, which is {}",
                    lhs.what, lhs.ty
                ),
            ));
        }
        Ok(Value {
            ty: if lhs.mapped {
                Type::array(Type::Bool)
            } else {
                Type::Bool
            },
            mapped: false,
            what: format!("the `{spelling}` comparison"),
            at: lhs.at,
        })
    }

    fn name(&mut self) -> &str {
        let start = self.pos;
        let first_ok = self
            .peek()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        if first_ok {
            let len = self
                .rest()
                .find(|c: char| !ident_char(c))
                .unwrap_or(self.rest().len());
            self.pos += len;
        }
        &self.s[start..self.pos]
    }

    fn operand(&mut self) -> Result<Value, ExpressionError> {
        self.ws();
        let at = self.pos;
        let name = self.name().to_owned();
        if name.is_empty() {
            let found = self
                .peek()
                .map_or("the end".to_owned(), |c| format!("`{c}`"));
            return Err(self.err(
                at,
                format!("expected a field, a function or `(`, found {found}"),
            ));
        }
        let mut v = if self.rest().starts_with('(') {
            self.call(&name, at)?
        } else {
            let Some(ty) = field_type(&name) else {
                return Err(self.err(at, format!("unknown field `{name}`")));
            };
            push(&mut self.out.fields, &name);
            Value {
                ty,
                mapped: false,
                what: format!("`{name}`"),
                at,
            }
        };
        while self.rest().starts_with('[') {
            let open = self.pos;
            self.pos += 1;
            self.ws();
            if self.rest().starts_with('*') {
                self.pos += 1;
                match (v.mapped, v.ty.element()) {
                    (false, Some(t)) => {
                        v.ty = t.clone();
                        v.mapped = true;
                    }
                    _ => {
                        return Err(self.err(
                            open,
                            format!("`[*]` needs an array or map, but {} is {}", v.what, v.ty),
                        ));
                    }
                }
            } else if matches!(self.peek(), Some('"' | 'r')) {
                self.string()?;
                match &v.ty {
                    Type::Map(t) => v.ty = (**t).clone(),
                    other => {
                        return Err(self.err(
                            open,
                            format!("a [\"key\"] index needs a map, but {} is {other}", v.what),
                        ));
                    }
                }
            } else {
                let n = self.int()?;
                match (&v.ty, n >= 0) {
                    (Type::Array(t), true) => v.ty = (**t).clone(),
                    (Type::Array(_), false) => {
                        return Err(self.err(open, "an array index is not negative"));
                    }
                    (other, _) => {
                        return Err(self.err(
                            open,
                            format!("a [n] index needs an array, but {} is {other}", v.what),
                        ));
                    }
                }
            }
            if !self.sym("]") {
                return Err(self.err(self.pos, "expected `]`"));
            }
        }
        Ok(v)
    }

    fn call(&mut self, name: &str, at: usize) -> Result<Value, ExpressionError> {
        let Some(sig) = functions::function(name) else {
            return Err(self.err(at, format!("unknown function `{name}`")));
        };
        push(&mut self.out.functions, name);
        self.pos += 1; // '('
        let mut args = Vec::new();
        if !self.sym(")") {
            loop {
                args.push(self.argument()?);
                if self.sym(",") {
                    continue;
                }
                if self.sym(")") {
                    break;
                }
                return Err(self.err(self.pos, format!("expected `,` or `)` in `{name}(…)`")));
            }
        }
        let max = sig.required.len() + sig.optional.len();
        if args.len() < sig.required.len() || (args.len() > max && !sig.variadic) {
            let wanted = if sig.variadic {
                format!("at least {}", sig.required.len())
            } else if sig.optional.is_empty() {
                sig.required.len().to_string()
            } else {
                format!("{} to {max}", sig.required.len())
            };
            return Err(self.err(
                at,
                format!(
                    "`{name}` takes {wanted} argument(s), but was given {}",
                    args.len()
                ),
            ));
        }
        let mut mapped = false;
        let mut types = Vec::new();
        for (i, arg) in args.iter().enumerate() {
            let param = sig.param(i).unwrap_or(Param::Any);
            let t = if param.accepts(&arg.finished()) {
                arg.finished()
            } else if arg.mapped && param.accepts(&arg.ty) {
                mapped = true;
                arg.ty.clone()
            } else {
                return Err(self.err(
                    arg.at,
                    format!(
                        "argument {} of `{name}` must be {}, but {} is {}",
                        i + 1,
                        param.describe(),
                        arg.what,
                        arg.finished()
                    ),
                ));
            };
            if param == Param::Concat && types.first().is_some_and(|f: &Type| *f != t) {
                return Err(self.err(
                    arg.at,
                    format!("the arguments of `{name}` must all have one type"),
                ));
            }
            types.push(t);
        }
        let ty = sig.result(&types);
        Ok(Value {
            ty: if mapped { Type::array(ty) } else { ty },
            mapped: false,
            what: format!("`{name}(…)`"),
            at,
        })
    }

    fn argument(&mut self) -> Result<Value, ExpressionError> {
        self.ws();
        let at = self.pos;
        let rest = self.rest();
        let ty = if rest.starts_with('"') || rest.starts_with("r\"") || rest.starts_with("r#") {
            self.string()?;
            Type::Bytes
        } else if rest.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
            self.int()?;
            Type::Int
        } else {
            return self.or();
        };
        Ok(Value {
            ty,
            mapped: false,
            what: format!("the literal `{}`", self.s[at..self.pos].trim()),
            at,
        })
    }

    /// A string literal, decoded.
    fn string(&mut self) -> Result<String, ExpressionError> {
        self.ws();
        let start = self.pos;
        let rest = self.rest();
        if let Some(raw) = rest.strip_prefix('r') {
            let hashes = raw.len() - raw.trim_start_matches('#').len();
            let body = &raw[hashes..];
            if !body.starts_with('"') {
                return Err(self.err(start, "expected a string literal"));
            }
            let close = format!("\"{}", "#".repeat(hashes));
            let Some(end) = body[1..].find(&close) else {
                return Err(self.err(start, "unterminated raw string"));
            };
            let text = body[1..1 + end].to_owned();
            self.pos += 1 + hashes + 1 + end + close.len();
            return Ok(text);
        }
        if !rest.starts_with('"') {
            let found = self
                .peek()
                .map_or("the end".to_owned(), |c| format!("`{c}`"));
            return Err(self.err(start, format!("expected a string literal, found {found}")));
        }
        let mut out = Vec::new();
        let bytes = rest.as_bytes();
        let mut i = 1;
        loop {
            match bytes.get(i) {
                None => return Err(self.err(start, "unterminated string")),
                Some(b'"') => break,
                Some(b'\\') => {
                    let esc_at = self.pos + i;
                    match bytes.get(i + 1) {
                        Some(b @ (b'"' | b'\\')) => {
                            out.push(*b);
                            i += 2;
                        }
                        Some(b'x') => {
                            let hex = rest.get(i + 2..i + 4).unwrap_or_default();
                            match u8::from_str_radix(hex, 16) {
                                Ok(b) if hex.len() == 2 => out.push(b),
                                _ => {
                                    return Err(
                                        self.err(esc_at, "expected two hex digits after \\x")
                                    );
                                }
                            }
                            i += 4;
                        }
                        Some(b'0'..=b'7') => {
                            let oct = rest.get(i + 1..i + 4).unwrap_or_default();
                            match u8::from_str_radix(oct, 8) {
                                Ok(b) if oct.len() == 3 => out.push(b),
                                _ => {
                                    return Err(
                                        self.err(esc_at, "expected three octal digits after \\")
                                    );
                                }
                            }
                            i += 4;
                        }
                        _ => {
                            return Err(
                                self.err(esc_at, "unknown escape: use \\\", \\\\, \\xHH or \\OOO")
                            );
                        }
                    }
                }
                Some(b) => {
                    out.push(*b);
                    i += 1;
                }
            }
        }
        self.pos += i + 1;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    fn int(&mut self) -> Result<i64, ExpressionError> {
        self.ws();
        let start = self.pos;
        let rest = self.rest();
        let sign = usize::from(rest.starts_with('-'));
        let digits = rest[sign..]
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len() - sign);
        let text = &rest[..sign + digits];
        if digits == 0 {
            return Err(self.err(start, "expected an integer"));
        }
        let after = &rest[sign + digits..];
        if after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            || (after.starts_with('.') && !after.starts_with(".."))
        {
            return Err(self.err(start, "expected an integer"));
        }
        let n = text
            .parse::<i64>()
            .map_err(|_| self.err(start, format!("{text} does not fit a 64-bit integer")))?;
        self.pos += text.len();
        Ok(n)
    }

    /// An IP address (or, in a set, a CIDR or `a..b` range).
    fn ip(&mut self, in_set: bool) -> Result<(), ExpressionError> {
        self.ws();
        let start = self.pos;
        let len = self
            .rest()
            .find(|c: char| !(c.is_ascii_hexdigit() || matches!(c, ':' | '.' | '/')))
            .unwrap_or(self.rest().len());
        let text = &self.rest()[..len];
        let ok = if text.is_empty() {
            false
        } else if !in_set {
            text.parse::<IpAddr>().is_ok()
        } else if let Some((a, b)) = text.split_once("..") {
            matches!(
                (a.parse::<IpAddr>(), b.parse::<IpAddr>()),
                (Ok(IpAddr::V4(_)), Ok(IpAddr::V4(_))) | (Ok(IpAddr::V6(_)), Ok(IpAddr::V6(_)))
            )
        } else {
            text.parse::<IpAddr>().is_ok() || text.parse::<ipnet::IpNet>().is_ok()
        };
        if !ok {
            let what = if in_set {
                "an IP address, CIDR or range"
            } else {
                "an IP address"
            };
            let shown = if text.is_empty() {
                self.peek().map_or("the end".to_owned(), |c| c.to_string())
            } else {
                text.to_owned()
            };
            return Err(self.err(start, format!("expected {what}, found `{shown}`")));
        }
        self.pos += len;
        Ok(())
    }

    /// `{...}` of values of `ty`, or `$list`.
    fn set(&mut self, ty: &Type) -> Result<(), ExpressionError> {
        self.ws();
        let start = self.pos;
        if self.sym("$") {
            let len = self
                .rest()
                .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
                .unwrap_or(self.rest().len());
            let name = &self.rest()[..len];
            if name.is_empty() || self.rest()[len..].starts_with(ident_char) {
                return Err(self.err(
                    start,
                    "a list is named `$` and lowercase letters, digits or `_`",
                ));
            }
            let name = name.to_owned();
            self.pos += len;
            push(&mut self.out.lists, &name);
            return Ok(());
        }
        if !self.sym("{") {
            return Err(self.err(start, "`in` takes a `{...}` set or a `$list`"));
        }
        loop {
            if self.sym("}") {
                return Ok(());
            }
            self.ws();
            if self.pos >= self.s.len() {
                return Err(self.err(self.pos, "expected `}`"));
            }
            match ty {
                Type::Bytes => {
                    self.string()?;
                }
                Type::Int => {
                    let low = self.int()?;
                    if self.rest().starts_with("..") {
                        self.pos += 2;
                        let high = self.int()?;
                        if high < low {
                            return Err(self.err(self.pos, format!("empty range {low}..{high}")));
                        }
                    }
                }
                _ => self.ip(true)?,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bad(expr: &str) -> String {
        match parse(expr) {
            Ok(p) => panic!("accepted {expr}: {p:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn valid_expressions() {
        for e in [
            "true",
            "ssl",
            "not ssl",
            "!ssl and (ssl or not ssl) xor ssl",
            r#"http.host eq "example.com" ^^ ssl"#,
            r#"http.request.method in {"GET" "POST"}"#,
            r#"http.request.method in {}"#,
            "ip.src in {192.0.2.0/24 2001:db8::/32 10.0.0.1..10.0.0.9}",
            "ip.src eq 192.0.2.1",
            "ip.src in $admin_ips",
            "cf.threat_score ge 10 && cf.bot_management.score lt 30",
            "ip.src.asnum in {13335 64512..65534}",
            "cf.bot_management.score eq -1",
            "http.request.timestamp.sec & 1",
            r#"http.host matches r"^www\.""#,
            r##"http.host eq r#"a"b"#"##,
            r#"http.host eq "\x41\101\"\\""#,
            r#"http.host strict wildcard "*.example.com""#,
            r#"any(http.request.headers.names[*] == "x-api-key")"#,
            r#"all(http.request.headers["accept"][*] contains "json")"#,
            r#"http.request.headers["x"][0] eq "a""#,
            r#"any(lower(http.request.headers.names[*])[*] contains "x")"#,
            r#"lower(http.host) eq "a" and len(http.host) gt 3"#,
            r#"starts_with(http.request.uri.path, "/api/")"#,
            r#"concat("a", http.host, "b") eq "x""#,
            r#"regex_replace(http.host, "a", "b") eq "c""#,
            r#"wildcard_replace(http.request.full_uri, "*", "${1}") eq "x""#,
            r#"url_decode(http.request.uri.query) contains "<script""#,
            r#"to_string(cf.bot_management.score) eq "1""#,
            r#"has_key(http.request.headers, "x")"#,
            r#"substring(http.host, 1, 2) eq "a""#,
            r#"http.request.cookies["session"][0] ne """#,
        ] {
            if let Err(err) = parse(e) {
                panic!("refused {e}: {err}");
            }
        }
    }

    #[test]
    fn the_issues_examples_are_refused_naming_what_is_wrong() {
        let e = bad("(http.request.uri.path contains)");
        assert!(
            e.contains("http.request.uri.path") && e.contains("string"),
            "{e}"
        );
        let e = bad(r#"(http.request.uri.pth contains "/.env")"#);
        assert!(e.contains("unknown field `http.request.uri.pth`"), "{e}");
        let e = bad(r#"fooo(http.host) eq "a""#);
        assert!(e.contains("unknown function `fooo`"), "{e}");
        let e = bad(r#"ip.src contains "1.2""#);
        assert!(
            e.contains("`contains`") && e.contains("ip.src") && e.contains("Ip"),
            "{e}"
        );
    }

    #[test]
    fn type_and_syntax_errors() {
        for (expr, needle) in [
            ("", "expected a field"),
            ("ssl eq true", "`eq` cannot be used on `ssl`"),
            ("http.host", "must be true or false"),
            ("(ssl", "expected `)`"),
            ("ssl)", "unexpected input"),
            ("not", "expected a field"),
            ("ssl and", "expected a field"),
            (r#"http.host eq "a" or or ssl"#, "unknown field `or`"),
            (r#"http.host eq "a" "b""#, "unexpected input"),
            (r#"http.host EQ "a""#, "unexpected input"),
            (r#"HTTP.HOST eq "a""#, "unknown field"),
            ("http.host contains 5", "expected a string literal"),
            ("http.host bitwise_and 1", "cannot be used on `http.host`"),
            (r#"http.host matches "(""#, "invalid regular expression"),
            (r#"http.host eq "\n""#, "unknown escape"),
            (r#"http.host eq "a"#, "unterminated string"),
            ("ip.src eq 1.2.3.0/24", "expected an IP address"),
            (r#"ip.src in {1.2.3.4 "x"}"#, "IP address, CIDR or range"),
            (
                r#"http.request.method in {"GET", "POST"}"#,
                "string literal",
            ),
            ("ip.src in $Foo", "list is named"),
            ("cf.threat_score in {5..1}", "empty range"),
            (
                r#"starts_with(http.host, 1)"#,
                "argument 2 of `starts_with` must be Bytes",
            ),
            (
                r#"lower(http.host, "x") eq "a""#,
                "`lower` takes 1 argument",
            ),
            (r#"lower() eq "a""#, "`lower` takes 1"),
            ("any(ssl)", "argument 1 of `any` must be Array<Bool>"),
            (r#"http.request.headers["a"] eq "b""#, "Array<Bytes>"),
            (r#"http.request.uri.path[0] eq "a""#, "needs an array"),
            (
                r#"http.request.uri.args["a"][*] eq "b""#,
                "must be true or false",
            ),
            (
                r#"any(lower(http.request.headers.names[*]) contains "x")"#,
                "cannot be used",
            ),
            (r#"concat(http.host, 1) eq "a""#, "argument 2 of `concat`"),
            (
                r#"concat(http.host, http.request.headers.names) eq "a""#,
                "one type",
            ),
        ] {
            let e = bad(expr);
            assert!(e.contains(needle), "{expr}: {e}");
        }
    }

    #[test]
    fn what_an_expression_uses() {
        let p = parse(
            r#"(any(lower(http.request.headers.names[*])[*] eq "x") and ip.src in $a) or (ip.src in $b and not ip.src in $a)"#,
        )
        .unwrap();
        assert_eq!(p.fields, ["http.request.headers.names", "ip.src"]);
        assert_eq!(p.functions, ["any", "lower"]);
        assert_eq!(p.lists, ["a", "b"]);
        assert_eq!(p.operators, ["eq", "in"]);
        let p = parse(r#"http.host ~ "a" && cf.threat_score >= 1"#).unwrap();
        assert_eq!(p.operators, ["matches", "ge"]);
    }

    #[test]
    fn errors_point_at_the_column() {
        let e = parse(r#"ssl and ip.src contains "1""#).unwrap_err();
        assert_eq!(e.column, 16, "{e}");
    }
}
