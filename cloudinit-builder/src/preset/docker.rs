//! Docker: `daemon.json` in place first, the engine installed only in [`Stage::Docker`].
//!
//! Installing `docker.io` through cloud-init's `packages` would start the daemon during the
//! package stage, before any `runcmd`, so containers could run (and publish ports, which bypass
//! INPUT rules) before the firewall exists. This part writes `daemon.json` (and any seccomp
//! profile it names) with the other files, and installs and enables Docker in its own stage,
//! after [`Stage::Firewall`].

use hardening_model::RenderedFile;

use super::{Contribution, Part, Slot, Stage};
use crate::{Command, Result, WriteFile};

/// The Docker engine (Ubuntu's `docker.io` and `docker-compose-v2`).
#[derive(Debug, Clone)]
pub struct DockerEngine {
    files: Vec<RenderedFile>,
}

impl DockerEngine {
    /// `files`: `/etc/docker/daemon.json` and the files it refers to (seccomp profile, ...).
    pub fn new(files: impl IntoIterator<Item = RenderedFile>) -> Self {
        Self {
            files: files.into_iter().collect(),
        }
    }
}

/// The packages this part installs in [`Stage::Docker`] (also what unattended-upgrades must
/// cover: erratum 13).
pub const DOCKER_PACKAGES: &[&str] = &["docker.io", "docker-compose-v2"];

impl Part for DockerEngine {
    fn slot(&self) -> Slot {
        Slot::Docker
    }

    fn contribute(&self, out: &mut Contribution) -> Result<()> {
        for f in &self.files {
            out.file(WriteFile::from(f.clone()));
        }
        let mut install = vec![
            "env",
            "DEBIAN_FRONTEND=noninteractive",
            "apt-get",
            "install",
            "-y",
            "--no-install-recommends",
        ];
        install.extend(DOCKER_PACKAGES);
        out.command(
            Stage::Docker,
            Command::chain([
                Command::argv(install)?,
                Command::argv(["systemctl", "enable", "--now", "docker.service"])?,
            ])?,
        );
        Ok(())
    }
}
