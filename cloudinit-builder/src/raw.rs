//! The escape hatch: a top-level key the typed builder does not cover, given as YAML text.

use crate::{Error, Result};

/// A top-level cloud-config key with a value written as YAML, for needs the typed builder does
/// not cover (e.g. `snap`, `ca_certs`).
///
/// The YAML is parsed when the key is created, so a syntax error is reported here, naming the
/// key, and the value is re-emitted by the same serialiser as everything else (strings stay
/// PyYAML-safe). Keys the builder already types are refused by
/// [`CloudConfig::raw`](crate::CloudConfig::raw), so the escape hatch cannot silently override
/// them. The cloud-init schema still applies: tests validate the whole document.
///
/// ```
/// use cloudinit_builder::RawKey;
/// let snap = RawKey::parse("snap", "commands:\n  - [install, amazon-ssm-agent, --classic]\n")?;
/// assert_eq!(snap.key(), "snap");
/// assert!(RawKey::parse("snap", "commands: [unclosed").is_err());
/// assert!(RawKey::parse("Bad Key", "1").is_err());
/// # Ok::<(), cloudinit_builder::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RawKey {
    pub(crate) key: String,
    pub(crate) value: serde_json::Value,
}

impl RawKey {
    /// Parses `yaml` as the value of `key`. Keys are `[a-z][a-z0-9_-]*`.
    pub fn parse(key: &str, yaml: &str) -> Result<Self> {
        let ok = key.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if !ok {
            return Err(Error::invalid("raw.key", "must match [a-z][a-z0-9_-]*"));
        }
        let value: serde_json::Value = serde_saphyr::from_str(yaml).map_err(|e| {
            // The parser's message can quote the input; report the position only.
            let line = e.location().map(|l| l.line()).unwrap_or_default();
            Error::invalid(
                format!("raw.{key}"),
                format!("is not valid YAML (line {line})"),
            )
        })?;
        Ok(Self {
            key: key.to_owned(),
            value,
        })
    }

    /// The top-level key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The parsed value.
    pub fn value(&self) -> &serde_json::Value {
        &self.value
    }
}
