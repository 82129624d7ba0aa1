//! The day-2 converge agent at first boot: the pull agent of
//! [`hardening_model::converge`], its pinned signer, its report key and its store keys.

use hardening_model::converge::{AgentConfig, REPORT_KEY_PATH, STORE_ENV_PATH};

use super::{Contribution, ObjectStore, Part, S3Credentials, Slot, Stage};
use crate::{Command, Result, Secret, WriteFile};

/// The agent's timer, enabled (and started) by the part's step.
pub const AGENT_TIMER: &str = "hf-agent.timer";

/// The rclone arguments [`ConvergeAgent::from_store`] adds to the store's: two attempts of
/// three low-level tries, 10 s to connect, 60 s of silence at most.
pub const BOUNDED_RCLONE: [&str; 4] = [
    "--retries=2",
    "--low-level-retries=3",
    "--contimeout=10s",
    "--timeout=60s",
];

/// The converge agent as a part: installs [`AgentConfig::first_boot_files`] (the agent
/// bootstrap, which fetches the signed agent from the store on its first run), writes the report key
/// ([`REPORT_KEY_PATH`], root `0600`, the instance's callback secret: reports are signed with
/// the key the control plane already holds for this instance) and the store keys
/// ([`STORE_ENV_PATH`], root `0600`), then enables [`AGENT_TIMER`] in [`Stage::Backups`],
/// recorded as step `converge`.
///
/// The store keys should be allowed to read the bundle prefix and write the report prefix
/// only: a host that can write its own desired state defeats nothing (bundles are signed), but
/// one that can delete the bundle can stall its own updates.
///
/// # A store that cannot be reached
/// The bootstrap exits 4 when it cannot fetch the agent and none is installed yet, the agent
/// when it cannot fetch the bundle (no bundle published yet, or no route to
/// the store, as on a host whose first boot precedes the fleet's first bundle). Its status
/// file then says `state=unreachable` and the next tick retries, so the service counts that
/// exit as success (`SuccessExitStatus=2 4`): first boot never ends with a failed unit because
/// the store was away, and the control plane sees the host's missing or stale report in the
/// fleet audit instead. A rolled-back apply (exit 3) still fails the unit.
///
/// ```
/// use cloudinit_builder::preset::{ConvergeAgent, S3Credentials};
/// use cloudinit_builder::Secret;
/// use hardening_model::converge::AgentConfig;
/// use hardening_model::values::Port;
///
/// let config = AgentConfig::new(
///     "inst-0042",
///     ":s3:fleet-desired/acme",
///     "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIz6aQmiGH6b0rUgkQ0MdXeTvswk2sWyYqP6LjX9IVHP",
///     Port::new(22)?,
/// )?;
/// let agent = ConvergeAgent::new(
///     config,
///     Secret::new("callback-secret-0123456789")?,
///     S3Credentials::new(Secret::new("AKIDREADONLY")?, Secret::new("read-only-secret")?),
/// );
/// # let _ = agent;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ConvergeAgent {
    config: AgentConfig,
    report_key: Secret,
    credentials: S3Credentials,
}

impl ConvergeAgent {
    /// The agent `config`, signing its reports with `report_key` and reading the store with
    /// `credentials`.
    pub fn new(config: AgentConfig, report_key: Secret, credentials: S3Credentials) -> Self {
        Self {
            config,
            report_key,
            credentials,
        }
    }

    /// The agent for `instance` reading bundles from `store` (its prefix holds the bundle) and
    /// uploading reports below `<prefix>/reports/`, with the store's rclone arguments (the
    /// backup job's shape), trusting only `signer_key` and checking sshd on `ssh_port` after an
    /// apply. A missing or invalid signer key is refused as `converge.signer_key`.
    ///
    /// rclone's retries are bounded ([`BOUNDED_RCLONE`]): with its defaults, a store that
    /// refuses connections keeps one run busy for over five minutes, past the service's start
    /// timeout, which would fail the unit; bounded, an unreachable store ends the run in
    /// seconds (at worst about two minutes for a black-holed address) and the next tick retries.
    pub fn from_store(
        instance: &str,
        store: &ObjectStore,
        signer_key: &str,
        ssh_port: hardening_model::values::Port,
        report_key: Secret,
        credentials: S3Credentials,
    ) -> Result<Self> {
        let remote = store.remote();
        let mut args = store.rclone_args();
        args.extend(BOUNDED_RCLONE.map(str::to_owned));
        let config = AgentConfig::new(instance, &remote, signer_key, ssh_port)?
            .report_remote(&format!("{remote}/reports"))?
            .rclone_args(args)?
            .label("instance", instance)?;
        Ok(Self::new(config, report_key, credentials))
    }

    /// The agent's configuration.
    pub fn config(&self) -> &AgentConfig {
        &self.config
    }
}

impl Part for ConvergeAgent {
    fn slot(&self) -> Slot {
        Slot::Converge
    }

    fn contribute(&self, out: &mut Contribution) -> Result<()> {
        // rclone fetches, python3 signs the report (both also used by the backups part).
        out.package("rclone");
        for f in self.config.first_boot_files() {
            out.file(WriteFile::from(f));
        }
        out.file(
            WriteFile::secret(REPORT_KEY_PATH, &self.report_key)
                .map_err(|e| e.within("converge.report_key"))?,
        );
        let c = &self.credentials;
        out.file(
            WriteFile::secret_env(
                STORE_ENV_PATH,
                [
                    ("RCLONE_S3_ACCESS_KEY_ID", c.access_key_id()),
                    ("RCLONE_S3_SECRET_ACCESS_KEY", c.secret_access_key()),
                ],
            )
            .map_err(|e| e.within("converge.credentials"))?,
        );
        out.command(
            Stage::Backups,
            Command::chain([
                Command::argv(["systemctl", "daemon-reload"])?,
                Command::argv(["systemctl", "enable", "--now", AGENT_TIMER])?,
            ])?,
        );
        Ok(())
    }
}
