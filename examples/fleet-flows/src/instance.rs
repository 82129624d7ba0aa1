//! [`Instance`]: the validated id every flow keys its resources by.

use std::fmt;

use hetzner_client::Labels;

use crate::error::{Error, Result};

/// Label holding the instance id on the server, its firewall and its snapshots.
pub const INSTANCE_LABEL: &str = "instance";

/// A stable instance id: 1 to 40 lowercase letters, digits and inner `-`, usable as a Hetzner
/// label value and an object-store prefix. It is the key that makes re-runs find what exists,
/// so it must not be personal data.
///
/// ```
/// use fleet_flows::Instance;
/// let inst = Instance::new("inst-0042")?;
/// assert_eq!(inst.as_str(), "inst-0042");
/// assert_eq!(inst.firewall_name(), "fw-inst-0042");
/// let err = Instance::new("Inst 42").unwrap_err();
/// assert!(err.to_string().starts_with("invalid instance_id:"));
/// # Ok::<(), fleet_flows::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Instance(String);

impl Instance {
    /// Checks `id`; the error names the field `instance_id`.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming `instance_id`.
    pub fn new(id: impl Into<String>) -> Result<Self> {
        Self::named("instance_id", id)
    }

    /// As [`Instance::new`], with the error naming `field` (e.g. the flag `--instance-id`).
    ///
    /// # Errors
    /// [`Error::Invalid`] naming `field`.
    pub fn named(field: &str, id: impl Into<String>) -> Result<Self> {
        let id = id.into();
        check_slug(field, &id, 40)?;
        Labels::new()
            .with(INSTANCE_LABEL, id.as_str())
            .map_err(|e| Error::invalid(field, e.to_string()))?;
        Ok(Self(id))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The instance's firewall name, `fw-<id>` (unique per Hetzner project).
    pub fn firewall_name(&self) -> String {
        format!("fw-{}", self.0)
    }
}

impl fmt::Display for Instance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Instance {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A lowercase slug of 1 to `max` characters; the error names `field`.
pub(crate) fn check_slug(field: &str, value: &str, max: usize) -> Result<()> {
    let ok_chars = value
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if value.is_empty() || value.len() > max {
        return Err(Error::invalid(
            field,
            format!("must have 1 to {max} characters"),
        ));
    }
    if !ok_chars || value.starts_with('-') || value.ends_with('-') {
        return Err(Error::invalid(
            field,
            "only lowercase letters, digits and inner '-' are allowed",
        ));
    }
    Ok(())
}
