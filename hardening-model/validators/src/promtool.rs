//! `promtool check rules` on a Prometheus rules file.

use std::path::PathBuf;
use std::process::Command;

use crate::Rejection;
use crate::exec::{self, Workdir};
use crate::locate::require;

/// Prometheus' rule file checker.
#[derive(Debug, Clone)]
pub struct Promtool {
    promtool: PathBuf,
}

/// Finds `promtool`; `None` (after printing why) when it is missing.
///
/// # Panics
/// When `CI` is set and promtool is missing.
pub fn promtool() -> Option<Promtool> {
    require("promtool", "apt-get install prometheus").map(|promtool| Promtool { promtool })
}

impl Promtool {
    /// Runs `promtool check rules FILE`: catches bad durations, unknown fields and PromQL
    /// parse errors.
    pub fn check_rules(&self, yaml: &str) -> Result<(), Rejection> {
        let dir = Workdir::new("promtool")?;
        let file = dir.write("alerts.rules.yml", yaml)?;
        exec::run(
            Command::new(&self.promtool)
                .args(["check", "rules"])
                .arg(&file),
        )
        .map(|_| ())
    }
}
