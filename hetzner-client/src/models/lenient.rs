//! Decoding as lenient as the spec: a field the client does not need never fails a response.
//!
//! Used with `#[serde(default, deserialize_with = "...")]` on fields that are informational:
//! a value of an unexpected shape becomes the type's default (or, inside a list, is skipped)
//! instead of failing the whole response, and so a whole page of a list call.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Decodes `T`, or falls back to `T::default()` when the value does not fit.
///
/// # Errors
/// Only when the input is not JSON at all.
pub fn or_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    let value = Value::deserialize(deserializer)?;
    Ok(T::deserialize(value).unwrap_or_default())
}

/// Decodes a list, skipping the items that do not fit (a non-list becomes empty).
///
/// # Errors
/// Only when the input is not JSON at all.
pub fn vec<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let value = Value::deserialize(deserializer)?;
    Ok(match value {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|item| T::deserialize(item).ok())
            .collect(),
        _ => Vec::new(),
    })
}

/// Decodes an optional value, `None` when it is absent, null, or does not fit.
///
/// # Errors
/// Only when the input is not JSON at all.
pub fn opt<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let value = Value::deserialize(deserializer)?;
    Ok(T::deserialize(value).ok())
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Probe {
        #[serde(default, deserialize_with = "super::vec")]
        ids: Vec<i64>,
        #[serde(default, deserialize_with = "super::or_default")]
        flag: bool,
        #[serde(default, deserialize_with = "super::opt")]
        when: Option<String>,
    }

    #[test]
    fn misfits_become_defaults_or_are_skipped() {
        let p: Probe =
            serde_json::from_str(r#"{"ids":[1,"x",-3,2.5,4],"flag":"yes","when":7}"#).unwrap();
        assert_eq!(p.ids, vec![1, -3, 4]);
        assert!(!p.flag);
        assert_eq!(p.when, None);
        let p: Probe = serde_json::from_str("{}").unwrap();
        assert!(p.ids.is_empty());
    }
}
