//! `promtool`: `check rules`, `test rules`, `check config` and `check metrics`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

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

    /// `promtool check config FILE`: the Prometheus configuration, with its rule files and
    /// the files it names (CA, credentials), which must exist at their paths.
    pub fn check_config(&self, file: &Path) -> Result<String, Rejection> {
        exec::run(
            Command::new(&self.promtool)
                .args(["check", "config"])
                .arg(file),
        )
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
    }

    /// `promtool test rules FILE`: runs a rules unit test file (its `rule_files` resolve
    /// relative to it). Returns promtool's report.
    pub fn test_rules(&self, file: &Path) -> Result<String, Rejection> {
        exec::run(
            Command::new(&self.promtool)
                .args(["test", "rules"])
                .arg(file),
        )
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
    }

    /// `promtool check metrics` with `text` (the exposition format) on stdin. promtool exits
    /// non-zero on lint problems as well as parse errors; both are a [`Rejection`].
    pub fn check_metrics(&self, text: &str) -> Result<(), Rejection> {
        let mut cmd = Command::new(&self.promtool);
        cmd.args(["check", "metrics"]);
        let line = exec::describe(&cmd);
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Rejection::setup(line.clone(), e))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(text.as_bytes())
                .map_err(|e| Rejection::setup(line.clone(), e))?;
        }
        let out = child
            .wait_with_output()
            .map_err(|e| Rejection::setup(line.clone(), e))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(Rejection::from_output(line, &out))
        }
    }
}
