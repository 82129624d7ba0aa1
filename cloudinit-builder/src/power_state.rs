//! `power_state`: reboot or power off once cloud-init has finished.

use crate::{Error, Result};

/// What to do at the end of the first boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PowerMode {
    /// Reboot.
    Reboot,
    /// Power off.
    Poweroff,
    /// Halt.
    Halt,
}

impl PowerMode {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Reboot => "reboot",
            Self::Poweroff => "poweroff",
            Self::Halt => "halt",
        }
    }
}

/// Power state change after cloud-init's final stage.
///
/// ```
/// use cloudinit_builder::{PowerMode, PowerState};
/// let p = PowerState::new(PowerMode::Reboot).delay_minutes(1).message("rebooting for kernel updates")?;
/// assert_eq!(p.mode(), PowerMode::Reboot);
/// # Ok::<(), cloudinit_builder::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PowerState {
    pub(crate) mode: PowerMode,
    pub(crate) delay_minutes: Option<u32>,
    pub(crate) message: Option<String>,
    pub(crate) timeout_secs: Option<u32>,
    pub(crate) only_if_reboot_required: bool,
}

impl PowerState {
    /// Change to `mode` right away.
    pub fn new(mode: PowerMode) -> Self {
        Self {
            mode,
            delay_minutes: None,
            message: None,
            timeout_secs: None,
            only_if_reboot_required: false,
        }
    }

    /// Wait this many minutes (`shutdown +N`).
    #[must_use]
    pub fn delay_minutes(mut self, minutes: u32) -> Self {
        self.delay_minutes = Some(minutes);
        self
    }

    /// Message written to the console; one line.
    pub fn message(mut self, message: &str) -> Result<Self> {
        if let Some(at) = message.chars().position(char::is_control) {
            return Err(Error::invalid(
                "power_state.message",
                format!("control character at position {at}"),
            ));
        }
        self.message = Some(message.to_owned());
        Ok(self)
    }

    /// Seconds to wait for cloud-init to finish before changing state.
    #[must_use]
    pub fn timeout_secs(mut self, secs: u32) -> Self {
        self.timeout_secs = Some(secs);
        self
    }

    /// Only act when `/var/run/reboot-required` exists (after upgrades).
    #[must_use]
    pub fn only_if_reboot_required(mut self, yes: bool) -> Self {
        self.only_if_reboot_required = yes;
        self
    }

    /// The mode.
    pub fn mode(&self) -> PowerMode {
        self.mode
    }
}
