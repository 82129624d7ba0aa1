//! The pieces a preset is assembled from: slots, stages, parts and what a part contributes.

use std::fmt;

use crate::{AptSource, Command, Mount, Result, WriteFile};

/// When a part's commands run, in `runcmd` order. Everything of one stage runs before anything
/// of the next; inside a stage, parts run in [`Slot`] order.
///
/// The order encodes the dependencies the runbook got wrong or left implicit:
/// kernel settings before services, sshd validated and moved to its port before the firewall
/// closes 22, the firewall up before Docker is even installed (Docker's published ports bypass
/// INPUT rules, so it must never run unfiltered), the stack after Docker, monitoring and
/// backups after the stack, the integrity baseline after every change, and the ready callback
/// last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Stage {
    /// sysctl, kernel modules, mounts.
    Kernel,
    /// Host services: auditd, chrony, unattended-upgrades, disabled services.
    Services,
    /// sshd: validate the staged configuration, then move the socket to the configured port.
    Ssh,
    /// ufw, nftables and DOCKER-USER rules, enabled.
    Firewall,
    /// Install and start Docker (its `daemon.json` is already in place).
    Docker,
    /// Pull and start the Compose stack.
    Stack,
    /// Third-party apt sources put in place (first), then node_exporter, Alloy, Falco,
    /// Wazuh.
    Monitoring,
    /// Backup and verify timers.
    Backups,
    /// File integrity baseline, taken after every other change.
    Baseline,
    /// Wait for health, then call back.
    Ready,
}

impl Stage {
    /// Every stage, in order.
    pub const ALL: [Stage; 10] = [
        Stage::Kernel,
        Stage::Services,
        Stage::Ssh,
        Stage::Firewall,
        Stage::Docker,
        Stage::Stack,
        Stage::Monitoring,
        Stage::Backups,
        Stage::Baseline,
        Stage::Ready,
    ];
}

/// The place a part fills in a [`HardenedHost`](super::HardenedHost). Setting a part replaces
/// whatever filled its slot; removing a slot switches that part off.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Slot {
    /// CIS and kernel sysctl settings.
    Sysctl,
    /// Disabled kernel modules.
    KernelModules,
    /// Mount options (`/tmp`, `/dev/shm`).
    Mounts,
    /// auditd rules.
    Auditd,
    /// unattended-upgrades.
    UnattendedUpgrades,
    /// chrony.
    Chrony,
    /// Disabled services.
    Services,
    /// sshd hardening and the socket port fix.
    Sshd,
    /// ufw, nftables and DOCKER-USER from one firewall policy.
    Firewall,
    /// Docker's `daemon.json` and installation.
    Docker,
    /// Seccomp and AppArmor profiles for the containers.
    ContainerProfiles,
    /// The Compose stack (Caddy and the app).
    Stack,
    /// node_exporter and alert rules.
    NodeExporter,
    /// Log shipping to Loki ([`Alloy`](super::Alloy)).
    LogShipping,
    /// Wazuh agent or AIDE.
    Integrity,
    /// Falco.
    Falco,
    /// Encrypted backups with verification.
    Backups,
    /// The day-2 converge agent (signed desired-state bundles).
    Converge,
    /// The ready callback.
    ReadyCallback,
    /// A part the caller adds, ordered after the built-in ones by name.
    Custom(String),
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Custom(name) => write!(f, "custom.{name}"),
            other => {
                let dbg = format!("{other:?}");
                let mut out = String::new();
                for (i, c) in dbg.chars().enumerate() {
                    if c.is_ascii_uppercase() && i > 0 {
                        out.push('_');
                    }
                    out.push(c.to_ascii_lowercase());
                }
                f.write_str(&out)
            }
        }
    }
}

/// One switchable, replaceable piece of a preset.
///
/// A part adds packages, files and staged commands to a [`Contribution`]; it never sees the
/// other parts, so replacing one cannot break another's ordering.
///
/// ```
/// use cloudinit_builder::preset::{Contribution, Part, Slot, Stage};
/// use cloudinit_builder::{Command, WriteFile};
///
/// #[derive(Debug)]
/// struct Motd;
/// impl Part for Motd {
///     fn slot(&self) -> Slot { Slot::Custom("motd".into()) }
///     fn contribute(&self, out: &mut Contribution) -> cloudinit_builder::Result<()> {
///         out.file(WriteFile::new("/etc/motd", "authorised use only\n")?);
///         out.command(Stage::Services, Command::argv(["chmod", "0644", "/etc/motd"])?);
///         Ok(())
///     }
/// }
/// ```
pub trait Part: fmt::Debug + Send + Sync {
    /// The slot this part fills.
    fn slot(&self) -> Slot;
    /// Adds the part's packages, files and commands.
    fn contribute(&self, out: &mut Contribution) -> Result<()>;
}

/// What parts add to the document.
#[derive(Debug, Default)]
pub struct Contribution {
    pub(crate) packages: Vec<String>,
    pub(crate) apt_sources: Vec<AptSource>,
    pub(crate) files: Vec<WriteFile>,
    pub(crate) mounts: Vec<Mount>,
    pub(crate) groups: Vec<String>,
    pub(crate) commands: Vec<(Stage, Command)>,
    pub(crate) boot: Vec<Command>,
}

impl Contribution {
    /// A package installed by cloud-init's package stage (before any `runcmd`). Packages that
    /// start a daemon which must wait for an earlier stage (Docker) are installed by a command
    /// in their stage instead.
    pub fn package(&mut self, name: &str) {
        self.packages.push(name.to_owned());
    }

    /// A signed third-party apt repository. The preset keeps it apart from the distribution:
    /// cloud-init writes its list under [`THIRD_PARTY_SOURCES_DIR`](super::THIRD_PARTY_SOURCES_DIR),
    /// where apt does not read it, and the [`THIRD_PARTY_SOURCES_STEP`](super::THIRD_PARTY_SOURCES_STEP)
    /// step puts it in place first in [`Stage::Monitoring`]. Install its packages with a
    /// command in that stage or a later one, never with [`Contribution::package`].
    pub fn apt_source(&mut self, source: AptSource) {
        self.apt_sources.push(source);
    }

    /// A file, written before packages are installed unless it is deferred.
    pub fn file(&mut self, file: WriteFile) {
        self.files.push(file);
    }

    /// An fstab entry.
    pub fn mount(&mut self, mount: Mount) {
        self.mounts.push(mount);
    }

    /// A group to create.
    pub fn group(&mut self, name: &str) {
        self.groups.push(name.to_owned());
    }

    /// A command run in `stage`.
    pub fn command(&mut self, stage: Stage, command: Command) {
        self.commands.push((stage, command));
    }

    /// A command run by cloud-init's `bootcmd`, early on every boot: before `write_files`, the
    /// package stage and sshd. Only for what must precede them (the early firewall); it must
    /// be idempotent, and cannot rely on any file the document writes.
    pub fn boot_command(&mut self, command: Command) {
        self.boot.push(command);
    }

    /// The `bootcmd` entries contributed so far.
    pub fn boot_commands(&self) -> &[Command] {
        &self.boot
    }

    /// The files contributed so far.
    pub fn files(&self) -> &[WriteFile] {
        &self.files
    }

    /// The commands contributed so far, with their stage.
    pub fn commands(&self) -> &[(Stage, Command)] {
        &self.commands
    }
}
