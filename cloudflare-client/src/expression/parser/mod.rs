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

use super::types::{Type, field_type};

mod calls;
mod literals;

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
}

#[cfg(test)]
mod tests;
