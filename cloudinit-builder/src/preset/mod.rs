//! The `HardenedHost` preset: the runbook's Appendix A, complete and with its errata fixed,
//! assembled from parts that can be switched off or replaced.
//!
//! A [`HardenedHost`] holds one [`Part`] per [`Slot`]. Each part contributes packages, files
//! and commands tagged with a [`Stage`]; the preset orders commands by stage, so replacing a
//! part never reorders another's steps. The result is a [`CloudConfig`] rendered within
//! Hetzner's 32 KiB limit.
//!
//! Secrets (backup store keys, callback secret, Loki password) only reach root-owned `0600`
//! files. Note that anything in user-data can be read back from the metadata service by
//! processes on the host; the firewall policy should block `169.254.169.254` from containers.

mod backup;
mod compact;
mod converge;
mod docker;
mod falco;
mod firewall;
mod integrity;
mod log_shipping;
mod monitoring;
mod origin_pull;
mod part;
mod ready;
mod rendered;
mod runbook;
mod sshd;
mod stack;
mod target;
mod third_party;

use std::collections::BTreeMap;

pub use backup::{
    BACKUP_ENV, BACKUP_SCRIPT, BackupTarget, Backups, DEFAULT_SCHEDULE, DEFAULT_VERIFY_SCHEDULE,
    ObjectStore, RANDOMIZED_DELAY_MINUTES, RESTORE_HEALTH_TIMEOUT_SECS, RESTORE_SCRIPT,
    S3Credentials, VERIFY_SCRIPT,
};
pub use compact::shipped_content;
pub use converge::{AGENT_TIMER, BOUNDED_RCLONE, ConvergeAgent};
pub use docker::{DOCKER_PACKAGES, DockerEngine};
pub use falco::{FALCO_RULES, Falco, FalcoDriver};
pub use firewall::Firewall;
pub use integrity::{AIDE_TIMER, Integrity, WAZUH_CONFIG, WAZUH_MERGE_MARKER, WAZUH_STAGED_CONFIG};
pub use log_shipping::{ALLOY_CONFIG, ALLOY_DROP_IN, ALLOY_PASSWORD, Alloy};
pub use monitoring::{HostMonitoring, MONITORING_COMPOSE, ScrapedExporter};
pub use origin_pull::{
    CUSTOM_ORIGIN_PULL_CA, OriginPullTrust, fetch_script as origin_pull_fetch_script,
};
pub use part::{Contribution, Part, Slot, Stage};
pub use ready::{
    BOOT_FAILED, FAILED_MARKER, READY_ENV, READY_SCRIPT, ReadyCallback, STEP_RUNNER, STEPS_DIR,
};
pub use rendered::RenderedPart;
pub use runbook::{
    APP_DATA_VOLUME, APP_SECRETS_ENV, APT_TEMPLATES_DIR, ConvergeInputs, RunbookInputs,
    RunbookRequired, STACK_DIR,
};
pub use sshd::{SSHD_APPLY_SCRIPT, Sshd};
pub use stack::ComposeStack;
pub use target::Target;
pub use third_party::ThirdPartySource;

use crate::{CloudConfig, Command, Error, Result, User, UserData};

/// `command` run through [`STEP_RUNNER`] as step `name`, so its outcome is recorded for the
/// ready callback; the callback itself ([`Stage::Ready`]) runs as it is.
fn recorded(name: &str, stage: Stage, command: Command) -> Result<Command> {
    if stage == Stage::Ready {
        return Ok(command);
    }
    let mut argv = vec![STEP_RUNNER.to_owned(), name.to_owned()];
    match command.args() {
        Some(args) => argv.extend(args.iter().cloned()),
        None => argv.extend([
            "sh".to_owned(),
            "-c".to_owned(),
            command.to_shell().into_owned(),
        ]),
    }
    Command::argv(argv)
}

/// Serialises a generated config file (Falco rules) with the same YAML settings as
/// the document itself.
pub(crate) fn yaml(value: &serde_json::Value) -> Result<String> {
    let opts = serde_saphyr::ser_options! { prefer_block_scalars: false };
    serde_saphyr::to_string_with_options(value, opts).map_err(|e| Error::Serialize(e.to_string()))
}

/// The apt setting every preset writes before packages are installed.
pub const NO_RECOMMENDS_PATH: &str = "/etc/apt/apt.conf.d/90hardened-no-recommends";
/// Its content: apt installs no Recommends, in cloud-init's package stage and afterwards.
pub const NO_RECOMMENDS: &str =
    "APT::Install-Recommends \"false\";\nAPT::Install-Suggests \"false\";\n";

/// Where the preset has cloud-init write third-party apt source lists: outside
/// `/etc/apt/sources.list.d`, so cloud-init's package stage installs the distribution's
/// security packages (auditd, ufw, nftables, chrony, ...) from the distribution alone.
pub const THIRD_PARTY_SOURCES_DIR: &str = "/etc/apt/third-party";
/// The step ([`STEP_RUNNER`] name) that moves the third-party lists into place and updates
/// apt's indexes, first in [`Stage::Monitoring`], before any third-party package is installed.
/// It fails on any index that cannot be fetched (`--error-on=any`), so a broken third-party
/// repository is reported by this name instead of passing as a warning.
pub const THIRD_PARTY_SOURCES_STEP: &str = "apt_sources";

/// The command of [`THIRD_PARTY_SOURCES_STEP`].
fn third_party_sources() -> Result<Command> {
    Command::shell(format!(
        "cp {THIRD_PARTY_SOURCES_DIR}/*.list /etc/apt/sources.list.d/ && apt-get update --error-on=any"
    ))
}

/// A hardened Ubuntu 24.04 host as one first-boot document.
///
/// ```
/// use cloudinit_builder::preset::{HardenedHost, ReadyCallback, Slot, Stage};
/// use cloudinit_builder::{Secret, SshPublicKey, User};
///
/// let admin = User::new("admin")?
///     .groups(["sudo"])?
///     .shell("/bin/bash")?
///     .ssh_key(SshPublicKey::new("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx4bXBsZS1rZXktZm9yLXRlc3Rz admin@laptop")?);
/// let host = HardenedHost::new(admin).set(ReadyCallback::new(
///     "http://127.0.0.1:3000/health",
///     "https://control.example.com/api/instances/ready",
///     Secret::new("callback-secret-0123456789")?,
/// )?);
/// let user_data = host.render()?;
/// assert!(user_data.len() <= cloudinit_builder::HETZNER_USER_DATA_LIMIT);
/// assert!(host.without(&Slot::ReadyCallback).slots().next().is_none());
/// # Ok::<(), cloudinit_builder::Error>(())
/// ```
#[derive(Debug)]
pub struct HardenedHost {
    admin: User,
    timezone: String,
    budget: usize,
    keyserver: String,
    parts: BTreeMap<Slot, Box<dyn Part>>,
}

/// The size [`HardenedHost::render`] aims at by default: 24 KiB, leaving 8 KiB of
/// [`HETZNER_USER_DATA_LIMIT`](crate::HETZNER_USER_DATA_LIMIT) (Hetzner's hard limit, 32 KiB) for what callers add.
/// It was briefly 26 KiB: the per-step outcome recording and the signed ready callback cost about
/// 1.5 KB of compressed user-data, of which Zopfli compression won back 1 KB. The day-2
/// converge agent ([`ConvergeAgent`]) adds 3,568 B; the dense file forms of
/// [`HardenedHost::cloud_config`] (no comment or blank lines, JSON without whitespace, address
/// runs as loops) and 996-character base64 lines ([`GZIP_LINE`](crate::GZIP_LINE)) win back
/// 4.4 KB, so the realistic everything-on document (three admin keys, three real-size
/// repository keys fetched by fingerprint, Wazuh, Falco, Alloy, backups, the agent) is
/// 25,110 B. The first-boot document now ships the agent's bootstrap instead of the agent
/// ([`AgentConfig::first_boot_files`](hardening_model::converge::AgentConfig::first_boot_files),
/// the host fetches the signed agent from the store), which brings that document to 22,932 B,
/// back within 24 KiB.
pub const PRESET_BUDGET: usize = 24 * 1024;

impl HardenedHost {
    /// A host whose only login is `admin` (SSH key, no password), with no parts yet.
    pub fn new(admin: User) -> Self {
        Self {
            admin,
            timezone: "Etc/UTC".to_owned(),
            budget: PRESET_BUDGET,
            keyserver: crate::DEFAULT_KEYSERVER.to_owned(),
            parts: BTreeMap::new(),
        }
    }

    /// Fills the part's slot, replacing what was there.
    #[must_use]
    pub fn set(mut self, part: impl Part + 'static) -> Self {
        self.parts.insert(part.slot(), Box::new(part));
        self
    }

    /// Switches a slot off.
    #[must_use]
    pub fn without(mut self, slot: &Slot) -> Self {
        self.parts.remove(slot);
        self
    }

    /// The filled slots, in order.
    pub fn slots(&self) -> impl Iterator<Item = &Slot> {
        self.parts.keys()
    }

    /// The size budget for [`HardenedHost::render`] (default [`PRESET_BUDGET`], 24 KiB).
    /// Hetzner refuses more than [`HETZNER_USER_DATA_LIMIT`](crate::HETZNER_USER_DATA_LIMIT) whatever the budget says.
    #[must_use]
    pub fn budget(mut self, bytes: usize) -> Self {
        self.budget = bytes;
        self
    }

    /// The keyserver cloud-init fetches apt repository keys from when the budget makes
    /// [`HardenedHost::render`] pin them by fingerprint (default [`DEFAULT_KEYSERVER`](crate::DEFAULT_KEYSERVER)).
    #[must_use]
    pub fn keyserver(mut self, host: &str) -> Self {
        self.keyserver = host.to_owned();
        self
    }

    /// The budget in bytes.
    pub fn budget_bytes(&self) -> usize {
        self.budget
    }

    /// The document before rendering: base settings, then every part's contribution, with
    /// commands ordered by [`Stage`] and, inside a stage, by [`Slot`]. Text files are written
    /// in their dense but equivalent form: scripts and line-oriented configuration without
    /// comment and blank lines, JSON without whitespace (the commented sources stay in the
    /// repository).
    pub fn cloud_config(&self) -> Result<CloudConfig> {
        let mut cfg = CloudConfig::new()
            .package_update(true)
            .package_upgrade(true)
            .hardened_ssh()
            .no_default_user()
            .user(self.admin.clone())
            .timezone(&self.timezone)?;
        let mut commands = Vec::new();
        let mut boot = Vec::new();
        let mut third_party = false;
        for (slot, part) in &self.parts {
            let mut out = Contribution::default();
            part.contribute(&mut out)
                .map_err(|e| e.within(&slot.to_string()))?;
            let within = |e: Error| e.within(&slot.to_string());
            cfg = cfg.packages(&out.packages).map_err(within)?;
            for g in &out.groups {
                cfg = cfg.group(g).map_err(within)?;
            }
            for s in out.apt_sources {
                cfg = cfg.apt_source(s);
                third_party = true;
            }
            for m in out.mounts {
                cfg = cfg.mount(m);
            }
            let files = out.files.into_iter().map(|mut f| {
                if let crate::write_file::Content::Text(text) = &f.content
                    && let Some(dense) = compact::compact(&f.path, text)
                {
                    f.content = crate::write_file::Content::Text(dense);
                }
                f
            });
            cfg = cfg.write_files(files);
            boot.extend(out.boot);
            let name = slot.to_string();
            for (stage, c) in out.commands {
                commands.push((stage, recorded(&name, stage, c).map_err(within)?));
            }
        }
        if third_party {
            cfg = cfg.apt_lists_in(THIRD_PARTY_SOURCES_DIR)?;
            // First of its stage (the sort below is stable), after every distribution package.
            let step = recorded(
                THIRD_PARTY_SOURCES_STEP,
                Stage::Monitoring,
                third_party_sources()?,
            )?;
            commands.insert(0, (Stage::Monitoring, step));
        }
        // Written in cloud-init's init stage, before its package stage: no Recommends (aide's
        // would pull in exim4, a mail server listening on port 25).
        cfg = cfg.write_file(crate::WriteFile::new(NO_RECOMMENDS_PATH, NO_RECOMMENDS)?);
        if !commands.is_empty() {
            cfg = cfg.write_file(
                crate::WriteFile::new(
                    STEP_RUNNER,
                    compact::compact(STEP_RUNNER, &ready::step_runner())
                        .unwrap_or_else(ready::step_runner),
                )?
                .permissions(0o700)?,
            );
        }
        for c in boot {
            cfg = cfg.bootcmd(c);
        }
        // Stable: keeps slot order and each part's own order inside a stage.
        commands.sort_by_key(|(stage, _)| *stage);
        for (_, c) in commands {
            cfg = cfg.runcmd(c);
        }
        Ok(cfg)
    }

    /// Renders within the budget, taking the first step that fits:
    ///
    /// 1. the plain `#cloud-config`;
    /// 2. the whole document as one gzip MIME part ([`CloudConfig::render_gzip`]), which
    ///    cloud-init decompresses;
    /// 3. that, with every apt repository key pinned by full fingerprint and fetched by
    ///    cloud-init at first boot instead of embedded ([`AptSource::fetched_from`](crate::AptSource::fetched_from):
    ///    as strong a pin, about 2.5 KB less per real-size key). [`UserData::fetched_apt_keys`]
    ///    names the sources this step switched.
    ///
    /// [`Error::TooLarge`] when even the last step does not fit. The same host always renders
    /// the same bytes.
    pub fn render(&self) -> Result<UserData> {
        let cfg = self.cloud_config()?;
        let plain = cfg.render()?;
        if plain.len() <= self.budget {
            return Ok(plain);
        }
        let wrapped = cfg.render_gzip()?;
        if wrapped.len() <= self.budget {
            return Ok(wrapped);
        }
        let (fetching, names) = self.fetching_keys(cfg.clone())?;
        let mut last = wrapped;
        if !names.is_empty() {
            let fetched = fetching.render_gzip()?.with_fetched_keys(names);
            if fetched.len() <= self.budget {
                return Ok(fetched);
            }
            last = fetched;
        }
        Err(Error::TooLarge(Box::new(crate::Overflow {
            size: last.len(),
            limit: self.budget,
            largest: cfg.largest_parts(plain.as_str(), 5),
        })))
    }

    /// `cfg` with every embedded apt key switched to fetch-by-fingerprint, and the names of
    /// the sources switched.
    fn fetching_keys(&self, mut cfg: CloudConfig) -> Result<(CloudConfig, Vec<String>)> {
        let mut names = Vec::new();
        for (name, source) in &mut cfg.apt_sources {
            if source.keyid().is_none() {
                *source = source.clone().fetched_from(&self.keyserver)?;
                names.push(name.clone());
            }
        }
        Ok((cfg, names))
    }
}
