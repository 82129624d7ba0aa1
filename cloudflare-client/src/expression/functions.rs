//! The functions of the Rules language and their signatures (Cloudflare's "Functions"
//! reference): transformation functions (`lower`, `upper`, `concat`, `len`, `substring`,
//! `regex_replace`, `wildcard_replace`, `url_decode`, `to_string`, ...), the array functions
//! `any` and `all`, and the checks `starts_with`, `ends_with`, `has_key`, `has_value`,
//! `is_timed_hmac_valid_v0`.

use super::types::Type;

/// What an argument position accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Param {
    Bytes,
    Int,
    Ip,
    /// `Array<Bool>` (the result of a comparison over `[*]`).
    ArrayBool,
    /// `Array<Bytes>`.
    ArrayBytes,
    /// Any map.
    Map,
    /// Any array or map.
    Collection,
    /// `Int`, `Bool` or `Ip` (`to_string`).
    Scalar,
    /// `Bytes` or `Int` (JSON lookup keys).
    Key,
    /// `Bytes` or any array; every argument of the call has the same type (`concat`).
    Concat,
    /// Any value (`has_value`'s needle).
    Any,
}

impl Param {
    pub(super) fn accepts(self, t: &Type) -> bool {
        match self {
            Param::Bytes => *t == Type::Bytes,
            Param::Int => *t == Type::Int,
            Param::Ip => *t == Type::Ip,
            Param::ArrayBool => *t == Type::array(Type::Bool),
            Param::ArrayBytes => *t == Type::array(Type::Bytes),
            Param::Map => matches!(t, Type::Map(_)),
            Param::Collection => matches!(t, Type::Map(_) | Type::Array(_)),
            Param::Scalar => matches!(t, Type::Int | Type::Bool | Type::Ip),
            Param::Key => matches!(t, Type::Bytes | Type::Int),
            Param::Concat => matches!(t, Type::Bytes | Type::Array(_)),
            Param::Any => true,
        }
    }

    pub(super) fn describe(self) -> &'static str {
        match self {
            Param::Bytes => "Bytes",
            Param::Int => "Int",
            Param::Ip => "Ip",
            Param::ArrayBool => "Array<Bool>",
            Param::ArrayBytes => "Array<Bytes>",
            Param::Map => "a map",
            Param::Collection => "an array or a map",
            Param::Scalar => "Int, Bool or Ip",
            Param::Key => "Bytes or Int",
            Param::Concat => "Bytes or an array",
            Param::Any => "any value",
        }
    }
}

/// The result type of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Returns {
    Bytes,
    Int,
    Bool,
    Ip,
    ArrayBytes,
    /// The type of the first argument.
    First,
}

/// A function signature: required parameters, optional ones, and whether the last parameter
/// repeats.
#[derive(Debug)]
pub(super) struct Signature {
    pub name: &'static str,
    pub required: &'static [Param],
    pub optional: &'static [Param],
    pub variadic: bool,
    pub returns: Returns,
}

const fn sig(
    name: &'static str,
    required: &'static [Param],
    optional: &'static [Param],
    variadic: bool,
    returns: Returns,
) -> Signature {
    Signature {
        name,
        required,
        optional,
        variadic,
        returns,
    }
}

use Param as P;

/// Every function, sorted by name.
const FUNCTIONS: &[Signature] = &[
    sig("all", &[P::ArrayBool], &[], false, Returns::Bool),
    sig("any", &[P::ArrayBool], &[], false, Returns::Bool),
    sig(
        "bit_slice",
        &[P::Bytes, P::Int, P::Int],
        &[],
        false,
        Returns::Int,
    ),
    sig("cidr", &[P::Ip, P::Int, P::Int], &[], false, Returns::Ip),
    sig("cidr6", &[P::Ip, P::Int], &[], false, Returns::Ip),
    sig("concat", &[P::Concat], &[], true, Returns::First),
    sig("decode_base64", &[P::Bytes], &[], false, Returns::Bytes),
    sig(
        "encode_base64",
        &[P::Bytes],
        &[P::Bytes],
        false,
        Returns::Bytes,
    ),
    sig(
        "ends_with",
        &[P::Bytes, P::Bytes],
        &[],
        false,
        Returns::Bool,
    ),
    sig("has_key", &[P::Map, P::Bytes], &[], false, Returns::Bool),
    sig(
        "has_value",
        &[P::Collection, P::Any],
        &[],
        false,
        Returns::Bool,
    ),
    sig(
        "is_timed_hmac_valid_v0",
        &[P::Bytes, P::Bytes, P::Int, P::Int],
        &[P::Int, P::Bytes],
        false,
        Returns::Bool,
    ),
    sig(
        "join",
        &[P::ArrayBytes, P::Bytes],
        &[],
        false,
        Returns::Bytes,
    ),
    sig("len", &[P::Bytes], &[], false, Returns::Int),
    sig(
        "lookup_json_integer",
        &[P::Bytes, P::Key],
        &[],
        true,
        Returns::Int,
    ),
    sig(
        "lookup_json_string",
        &[P::Bytes, P::Key],
        &[],
        true,
        Returns::Bytes,
    ),
    sig("lower", &[P::Bytes], &[], false, Returns::Bytes),
    sig(
        "regex_replace",
        &[P::Bytes, P::Bytes, P::Bytes],
        &[],
        false,
        Returns::Bytes,
    ),
    sig(
        "remove_bytes",
        &[P::Bytes, P::Bytes],
        &[],
        false,
        Returns::Bytes,
    ),
    sig(
        "remove_query_args",
        &[P::Bytes, P::Bytes],
        &[],
        true,
        Returns::Bytes,
    ),
    sig("sha256", &[P::Bytes], &[], false, Returns::Bytes),
    sig("sha512", &[P::Bytes], &[], false, Returns::Bytes),
    sig(
        "split",
        &[P::Bytes, P::Bytes, P::Int],
        &[],
        false,
        Returns::ArrayBytes,
    ),
    sig(
        "starts_with",
        &[P::Bytes, P::Bytes],
        &[],
        false,
        Returns::Bool,
    ),
    sig(
        "substring",
        &[P::Bytes, P::Int],
        &[P::Int],
        false,
        Returns::Bytes,
    ),
    sig("to_string", &[P::Scalar], &[], false, Returns::Bytes),
    sig("upper", &[P::Bytes], &[], false, Returns::Bytes),
    sig(
        "url_decode",
        &[P::Bytes],
        &[P::Bytes],
        false,
        Returns::Bytes,
    ),
    sig("uuidv4", &[P::Bytes], &[], false, Returns::Bytes),
    sig(
        "wildcard_replace",
        &[P::Bytes, P::Bytes, P::Bytes],
        &[P::Bytes],
        false,
        Returns::Bytes,
    ),
];

/// The signature of the function `name`, if the Rules language has it.
pub(super) fn function(name: &str) -> Option<&'static Signature> {
    FUNCTIONS
        .binary_search_by(|s| s.name.cmp(name))
        .ok()
        .map(|i| &FUNCTIONS[i])
}

/// Every function name the checker knows, sorted.
pub fn function_names() -> impl Iterator<Item = &'static str> {
    FUNCTIONS.iter().map(|s| s.name)
}

impl Signature {
    /// The parameter at position `i` (`None` past the end).
    pub(super) fn param(&self, i: usize) -> Option<Param> {
        if let Some(p) = self.required.get(i) {
            return Some(*p);
        }
        if let Some(p) = self.optional.get(i - self.required.len()) {
            return Some(*p);
        }
        if self.variadic {
            return self.optional.last().or(self.required.last()).copied();
        }
        None
    }

    /// The result type for these argument types (already checked).
    pub(super) fn result(&self, args: &[Type]) -> Type {
        match self.returns {
            Returns::Bytes => Type::Bytes,
            Returns::Int => Type::Int,
            Returns::Bool => Type::Bool,
            Returns::Ip => Type::Ip,
            Returns::ArrayBytes => Type::array(Type::Bytes),
            Returns::First => args.first().cloned().unwrap_or(Type::Bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted() {
        let names: Vec<&str> = function_names().collect();
        assert!(
            names.windows(2).all(|w| w[0] < w[1]),
            "FUNCTIONS must stay sorted"
        );
        assert!(function("lower").is_some() && function("foo").is_none());
        let concat = function("concat").unwrap();
        assert_eq!(concat.param(5), Some(Param::Concat));
        assert_eq!(function("lower").unwrap().param(1), None);
    }
}
