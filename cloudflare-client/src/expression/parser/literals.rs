//! Literals of the Rules language: strings (quoted with escapes, or raw), integers, IP
//! addresses, CIDRs and ranges, `{...}` sets of them and `$list` references.

use std::net::IpAddr;

use super::{ExpressionError, Parser, ident_char, push};
use crate::expression::types::Type;

impl Parser<'_> {
    /// A string literal, decoded.
    pub(super) fn string(&mut self) -> Result<String, ExpressionError> {
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

    pub(super) fn int(&mut self) -> Result<i64, ExpressionError> {
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
    pub(super) fn ip(&mut self, in_set: bool) -> Result<(), ExpressionError> {
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
    pub(super) fn set(&mut self, ty: &Type) -> Result<(), ExpressionError> {
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
