//! Services to switch off on a VPS (runbook 2.8).
//!
//! The runbook runs `systemctl disable --now X 2>/dev/null || true` for each unit. The model
//! keeps the list as data ([`DisabledServices`]) and turns it into [`HostCommand`](crate::command::HostCommand)s, which a
//! cloud-init builder quotes into `runcmd` (or a test inspects) without ever building shell text
//! from unchecked strings.

use std::fmt;

use crate::command::HostCommand;

use crate::values::{check_chars, check_max_len, check_non_empty, check_single_line};
use crate::{Error, Result};

/// A systemd unit name such as `snapd.socket`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnitName(String);

impl UnitName {
    const SUFFIXES: &'static [&'static str] = &[
        ".service", ".socket", ".timer", ".path", ".mount", ".target",
    ];

    /// Validates a unit name: ASCII letters, digits and `:_.@-`, ending in a unit type suffix.
    ///
    /// ```
    /// use hardening_model::services::UnitName;
    /// assert!(UnitName::new("avahi-daemon.service").is_ok());
    /// assert!(UnitName::new("avahi-daemon").is_err());
    /// assert!(UnitName::new("x.service; reboot").is_err());
    /// ```
    pub fn new(name: impl Into<String>) -> Result<Self> {
        let name = name.into();
        let field = "unit";
        check_non_empty(field, &name)?;
        check_max_len(field, &name, 255)?;
        check_chars(field, &name, |c| {
            c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '.' | '@' | '-')
        })?;
        if name.starts_with(['-', '.']) {
            return Err(Error::invalid(field, "must not start with '-' or '.'"));
        }
        if !Self::SUFFIXES
            .iter()
            .any(|s| name.len() > s.len() && name.ends_with(s))
        {
            return Err(Error::invalid(
                field,
                "must end in .service, .socket, .timer, .path, .mount or .target",
            ));
        }
        Ok(Self(name))
    }

    /// The unit name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UnitName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What to do with a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitAction {
    /// `systemctl disable --now`: stopped and not started at boot, but still startable by
    /// another unit or a socket.
    Disable,
    /// `systemctl mask --now`: stopped and impossible to start until unmasked.
    Mask,
}

/// One unit to switch off, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisabledUnit {
    /// The unit.
    pub unit: UnitName,
    /// Disable or mask.
    pub action: UnitAction,
    /// Why the unit is switched off (single line).
    pub reason: String,
}

/// The services to switch off on a host, as data.
///
/// ```
/// use hardening_model::services::{DisabledServices, UnitAction};
///
/// let s = DisabledServices::new()
///     .unit("cups.service", UnitAction::Mask, "no printing on a server")
///     .unwrap();
/// let cmds = s.commands();
/// assert_eq!(cmds[0].shell_line(), "systemctl mask --now cups.service || true");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DisabledServices {
    units: Vec<DisabledUnit>,
}

impl DisabledServices {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a unit; the name and reason are validated (field `services[i].unit` / `.reason`).
    pub fn unit(mut self, name: &str, action: UnitAction, reason: &str) -> Result<Self> {
        let i = self.units.len();
        let unit = UnitName::new(name).map_err(|e| e.within(&format!("services[{i}]")))?;
        check_single_line(&format!("services[{i}].reason"), reason, 200)?;
        if self.units.iter().any(|u| u.unit == unit) {
            return Err(Error::invalid(
                format!("services[{i}].unit"),
                "the unit is listed twice",
            ));
        }
        self.units.push(DisabledUnit {
            unit,
            action,
            reason: reason.to_owned(),
        });
        Ok(self)
    }

    /// The units in order.
    pub fn units(&self) -> &[DisabledUnit] {
        &self.units
    }

    /// One `systemctl disable --now` / `systemctl mask --now` per unit. Each may fail: the unit
    /// is often simply not installed on a minimal cloud image.
    pub fn commands(&self) -> Vec<HostCommand> {
        self.units
            .iter()
            .map(|u| {
                let verb = match u.action {
                    UnitAction::Disable => "disable",
                    UnitAction::Mask => "mask",
                };
                HostCommand::new(
                    ["systemctl", verb, "--now", u.unit.as_str()],
                    u.reason.clone(),
                )
                .allow_failure()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_duplicates_and_bad_reason() {
        let s = DisabledServices::new()
            .unit("a.service", UnitAction::Disable, "x")
            .unwrap();
        assert_eq!(
            s.clone()
                .unit("a.service", UnitAction::Mask, "y")
                .unwrap_err()
                .field(),
            "services[1].unit"
        );
        assert_eq!(
            s.unit("b.service", UnitAction::Mask, "y\nz")
                .unwrap_err()
                .field(),
            "services[1].reason"
        );
    }
}
