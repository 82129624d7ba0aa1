//! `amtool check-config` and `amtool config routes test` on an Alertmanager configuration.

use std::path::PathBuf;
use std::process::Command;

use crate::Rejection;
use crate::exec::{self, Workdir};
use crate::locate::require;

/// Alertmanager's command-line tool.
#[derive(Debug, Clone)]
pub struct Amtool {
    amtool: PathBuf,
}

/// Finds `amtool`; `None` (after printing why) when it is missing.
///
/// # Panics
/// When `CI` is set and amtool is missing.
pub fn amtool() -> Option<Amtool> {
    require(
        "amtool",
        "apt-get install prometheus-alertmanager, or bash .ci/install-validators",
    )
    .map(|amtool| Amtool { amtool })
}

impl Amtool {
    /// `amtool check-config FILE`: receivers, routes, matchers, time intervals and templates.
    pub fn check_config(&self, yaml: &str) -> Result<String, Rejection> {
        let dir = Workdir::new("amtool")?;
        let file = dir.write("alertmanager.yml", yaml)?;
        exec::run(Command::new(&self.amtool).arg("check-config").arg(&file))
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
    }

    /// `amtool config routes test --config.file=FILE LABEL=VALUE...`: the receiver names an
    /// alert with these labels reaches, comma-separated as amtool prints them.
    pub fn routes_test(&self, yaml: &str, labels: &[&str]) -> Result<String, Rejection> {
        let dir = Workdir::new("amtool")?;
        let file = dir.write("alertmanager.yml", yaml)?;
        exec::run(
            Command::new(&self.amtool)
                .args(["config", "routes", "test"])
                .arg(format!("--config.file={}", file.display()))
                .args(labels),
        )
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    }
}
