//! Validated names used in compose files: services, networks, volumes, environment variables
//! and Linux capabilities.

use std::fmt;

use crate::values::{check_chars, check_max_len, check_non_empty};
use crate::{Error, Result};

/// Checks a compose object name: `[a-z0-9][a-z0-9_-]*`, at most 63 characters.
fn check_object_name(field: &str, name: &str) -> Result<()> {
    check_non_empty(field, name)?;
    check_max_len(field, name, 63)?;
    check_chars(field, name, |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-'
    })?;
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(Error::invalid(field, "must start with a letter or digit"));
    }
    Ok(())
}

macro_rules! object_name {
    ($(#[$doc:meta])* $name:ident, $field:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Validates the name: `[a-z0-9][a-z0-9_-]*`, at most 63 characters.
            pub fn new(name: impl Into<String>) -> Result<Self> {
                let name = name.into();
                check_object_name($field, &name)?;
                Ok(Self(name))
            }

            /// The name.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

object_name!(
    /// A compose service name, also its DNS name on the project networks.
    ///
    /// ```
    /// use hardening_model::docker::names::ServiceName;
    /// assert!(ServiceName::new("caddy").is_ok());
    /// assert!(ServiceName::new("Caddy: x").is_err());
    /// ```
    ServiceName,
    "service.name"
);
object_name!(
    /// A compose network name.
    NetworkName,
    "network.name"
);
object_name!(
    /// A named volume.
    VolumeName,
    "volume.name"
);

/// An environment variable name: `[A-Za-z_][A-Za-z0-9_]*`, at most 128 characters.
///
/// ```
/// use hardening_model::docker::names::EnvName;
/// assert!(EnvName::new("NODE_ENV").is_ok());
/// assert!(EnvName::new("A=B").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnvName(String);

impl EnvName {
    /// Validates the name.
    pub fn new(name: impl Into<String>) -> Result<Self> {
        let name = name.into();
        let field = "environment.name";
        check_non_empty(field, &name)?;
        check_max_len(field, &name, 128)?;
        check_chars(field, &name, |c| c.is_ascii_alphanumeric() || c == '_')?;
        if name.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(Error::invalid(field, "must not start with a digit"));
        }
        Ok(Self(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Every Linux capability name, without the `CAP_` prefix, as Docker spells them.
pub const CAPABILITIES: &[&str] = &[
    "AUDIT_CONTROL",
    "AUDIT_READ",
    "AUDIT_WRITE",
    "BLOCK_SUSPEND",
    "BPF",
    "CHECKPOINT_RESTORE",
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "IPC_LOCK",
    "IPC_OWNER",
    "KILL",
    "LEASE",
    "LINUX_IMMUTABLE",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "MKNOD",
    "NET_ADMIN",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_RAW",
    "PERFMON",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYSLOG",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_CHROOT",
    "SYS_MODULE",
    "SYS_NICE",
    "SYS_PACCT",
    "SYS_PTRACE",
    "SYS_RAWIO",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "WAKE_ALARM",
];

/// A Linux capability, e.g. `NET_BIND_SERVICE` (the `CAP_` prefix is accepted and dropped).
///
/// ```
/// use hardening_model::docker::names::Capability;
/// let cap = Capability::new("cap_net_bind_service").unwrap();
/// assert_eq!(cap.as_str(), "NET_BIND_SERVICE");
/// assert_eq!(cap.apparmor_name(), "net_bind_service");
/// assert!(Capability::new("ALL").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Capability(&'static str);

impl Capability {
    /// Looks the capability up by name (case-insensitive, optional `CAP_` prefix).
    pub fn new(name: &str) -> Result<Self> {
        let upper = name.to_ascii_uppercase();
        let bare = upper.strip_prefix("CAP_").unwrap_or(&upper);
        CAPABILITIES
            .iter()
            .find(|c| **c == bare)
            .map(|c| Self(c))
            .ok_or_else(|| Error::invalid("cap_add", "not a Linux capability name"))
    }

    /// Docker's spelling, e.g. `NET_BIND_SERVICE`.
    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// AppArmor's spelling, e.g. `net_bind_service`.
    pub fn apparmor_name(self) -> String {
        self.0.to_ascii_lowercase()
    }
}
