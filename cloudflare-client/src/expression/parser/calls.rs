//! Function calls: the name must be a function of the language, the arguments (literals, or
//! expressions such as `http.request.headers.names[*]`) must fit its signature; an argument
//! reached through `[*]` maps the call over the array.

use super::{ExpressionError, Parser, Value, push};
use crate::expression::functions::{self, Param};
use crate::expression::types::Type;

impl Parser<'_> {
    pub(super) fn call(&mut self, name: &str, at: usize) -> Result<Value, ExpressionError> {
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
}
