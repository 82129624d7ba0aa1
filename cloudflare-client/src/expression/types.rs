//! The value types of the Rules language: bytes (strings), integers, booleans, IP addresses,
//! arrays and maps of them.

use std::fmt;

/// The type of a value in an expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    /// A string (wirefilter's `Bytes`).
    Bytes,
    /// A signed integer.
    Int,
    /// A boolean.
    Bool,
    /// An IPv4 or IPv6 address.
    Ip,
    /// An array of values of one type.
    Array(Box<Type>),
    /// A map from string keys to values of one type.
    Map(Box<Type>),
}

impl Type {
    /// `Array<inner>`.
    pub fn array(inner: Type) -> Type {
        Type::Array(Box::new(inner))
    }

    /// The element type of an array or map.
    pub fn element(&self) -> Option<&Type> {
        match self {
            Type::Array(t) | Type::Map(t) => Some(t),
            _ => None,
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Bytes => f.write_str("Bytes"),
            Type::Int => f.write_str("Int"),
            Type::Bool => f.write_str("Bool"),
            Type::Ip => f.write_str("Ip"),
            Type::Array(t) => write!(f, "Array<{t}>"),
            Type::Map(t) => write!(f, "Map<{t}>"),
        }
    }
}

/// The type of a field in the field table (a `const`-friendly spelling of [`Type`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FieldType {
    Bytes,
    Int,
    Bool,
    Ip,
    ArrayBytes,
    ArrayInt,
    ArrayArrayBytes,
    MapArrayBytes,
    MapArrayInt,
    MapInt,
}

impl FieldType {
    pub(super) fn to_type(self) -> Type {
        match self {
            FieldType::Bytes => Type::Bytes,
            FieldType::Int => Type::Int,
            FieldType::Bool => Type::Bool,
            FieldType::Ip => Type::Ip,
            FieldType::ArrayBytes => Type::array(Type::Bytes),
            FieldType::ArrayInt => Type::array(Type::Int),
            FieldType::ArrayArrayBytes => Type::array(Type::array(Type::Bytes)),
            FieldType::MapArrayBytes => Type::Map(Box::new(Type::array(Type::Bytes))),
            FieldType::MapArrayInt => Type::Map(Box::new(Type::array(Type::Int))),
            FieldType::MapInt => Type::Map(Box::new(Type::Int)),
        }
    }
}

/// The type of the field `name`, if the Rules language has it.
pub fn field_type(name: &str) -> Option<Type> {
    super::fields::FIELDS
        .binary_search_by(|(n, _)| (*n).cmp(name))
        .ok()
        .map(|i| super::fields::FIELDS[i].1.to_type())
}

/// Every field name the checker knows, sorted.
pub fn field_names() -> impl Iterator<Item = &'static str> {
    super::fields::FIELDS.iter().map(|(n, _)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        let names: Vec<&str> = field_names().collect();
        assert!(
            names.windows(2).all(|w| w[0] < w[1]),
            "FIELDS must stay sorted"
        );
        assert!(names.len() > 150);
        assert_eq!(field_type("ip.src"), Some(Type::Ip));
        assert_eq!(
            field_type("http.request.headers").map(|t| t.to_string()),
            Some("Map<Array<Bytes>>".to_owned())
        );
        assert_eq!(field_type("http.request.uri.pth"), None);
    }
}
