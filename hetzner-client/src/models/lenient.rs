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

/// Decodes a whole number: an integer, or a number with no fraction (`40.0`, which the spec's
/// `number` allows and the live API never sends). Anything else (a fraction, a negative value
/// for an unsigned field, a string) becomes the type's default.
///
/// The Hetzner document types `cores`, `disk` and `primary_disk_size` as `number`, but the
/// live API sends integers and Hetzner's own Go client decodes them as `int`; the models
/// follow the live API.
///
/// # Errors
/// Only when the input is not JSON at all.
pub fn whole<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<u64> + Default,
{
    let value = Value::deserialize(deserializer)?;
    let exact = match &value {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && (0.0..=9_007_199_254_740_991.0).contains(f))
                // exact: a whole, non-negative f64 below 2^53 converts without loss
                .map(|f| f as u64)
        }),
        _ => None,
    };
    Ok(exact.and_then(|n| T::try_from(n).ok()).unwrap_or_default())
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

    #[derive(Deserialize)]
    struct Sizes {
        #[serde(default, deserialize_with = "super::whole")]
        cores: u32,
        #[serde(default, deserialize_with = "super::whole")]
        disk: u64,
    }

    #[test]
    fn whole_numbers_decode_from_integers_and_integral_floats_only() {
        let s: Sizes = serde_json::from_str(r#"{"cores":2,"disk":40.0}"#).unwrap();
        assert_eq!((s.cores, s.disk), (2, 40));
        let s: Sizes = serde_json::from_str(r#"{"cores":2.5,"disk":-1}"#).unwrap();
        assert_eq!((s.cores, s.disk), (0, 0));
        let s: Sizes = serde_json::from_str(r#"{"cores":4294967296,"disk":"80"}"#).unwrap();
        assert_eq!((s.cores, s.disk), (0, 0));
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
