//! Docker: `daemon.json` in place first, the engine installed only in [`Stage::Docker`].
//!
//! Installing `docker.io` through cloud-init's `packages` would start the daemon during the
//! package stage, before any `runcmd`, so containers could run (and publish ports, which bypass
//! INPUT rules) before the firewall exists. This part writes `daemon.json` (and any seccomp
//! profile it names) with the other files, and installs and enables Docker in its own stage,
//! after [`Stage::Firewall`].

use hardening_model::RenderedFile;

use super::{Contribution, Part, Slot, Stage, Target};
use crate::{Command, Result, WriteFile};

/// The Docker engine (Ubuntu's `docker.io` and `docker-compose-v2`).
#[derive(Debug, Clone)]
pub struct DockerEngine {
    files: Vec<RenderedFile>,
    packages: &'static [&'static str],
    after: Vec<Command>,
}

impl DockerEngine {
    /// `files`: `/etc/docker/daemon.json` and the files it refers to (seccomp profile, ...).
    pub fn new(files: impl IntoIterator<Item = RenderedFile>) -> Self {
        Self {
            files: files.into_iter().collect(),
            packages: DOCKER_PACKAGES,
            after: Vec::new(),
        }
    }

    /// Installs `target`'s Docker packages ([`Target::docker_packages`]) instead of Ubuntu
    /// 24.04's.
    #[must_use]
    pub fn for_target(mut self, target: Target) -> Self {
        self.packages = target.docker_packages();
        self
    }

    /// A command run in [`Stage::Docker`] right after the installation (e.g. `apt-mark hold`
    /// of Docker's packages).
    #[must_use]
    pub fn then_run(mut self, command: Command) -> Self {
        self.after.push(command);
        self
    }

    /// The packages installed in [`Stage::Docker`].
    pub fn packages(&self) -> &[&'static str] {
        self.packages
    }
}

/// The packages this part installs in [`Stage::Docker`] on Ubuntu 24.04 (also what
/// unattended-upgrades must cover: erratum 13); see [`Target::docker_packages`].
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
        install.extend(self.packages);
        out.command(
            Stage::Docker,
            Command::chain([
                Command::argv(install)?,
                Command::argv(["systemctl", "enable", "--now", "docker.service"])?,
            ])?,
        );
        for c in &self.after {
            out.command(Stage::Docker, c.clone());
        }
        Ok(())
    }
}
