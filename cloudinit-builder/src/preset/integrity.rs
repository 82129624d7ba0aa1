//! Host intrusion detection: the Wazuh agent, or AIDE on its own (runbook sections 8.3 and 8.4).
//!
//! Departures from the runbook: the Wazuh repository key is pinned with `signed-by` through
//! cloud-init's apt module instead of `curl | gpg` at boot; the agent configuration is **merged**
//! into the packaged `ossec.conf` (appended once as a second `<ossec_config>` block, which Wazuh
//! reads after the package's own, so the package defaults stay and ours win where both set an
//! option) instead of replacing it wholesale; the AIDE baseline is taken after every other change
//! (stage [`Stage::Baseline`]) and in the background, so first boot is not held up for minutes and
//! the baseline does not record the hardening itself as a change; the daily check is the
//! packaged `dailyaidecheck.timer` (CIS 6.3.2), started once the baseline exists, not a second
//! timer of our own. The egress rules the agent needs (1514/1515 to the manager) belong to the
//! firewall policy (erratum 7).

use hardening_model::values::{Domain, check_token};

use super::{Contribution, Part, Slot, Stage};
use crate::{AptSource, Command, Error, Result, WriteFile};

/// Wazuh's agent configuration block as the part stages it before the package is installed.
pub const WAZUH_STAGED_CONFIG: &str = "/var/lib/hardened-host/wazuh/ossec.conf";

/// The packaged agent configuration the staged block is merged into.
pub const WAZUH_CONFIG: &str = "/var/ossec/etc/ossec.conf";

/// The first line of the staged block: marks `ossec.conf` as merged, so a re-run appends nothing.
pub const WAZUH_MERGE_MARKER: &str = "<!-- hardened-host: merged after the package defaults -->";

/// The packaged AIDE timer (aide-common) that runs the daily check.
pub const AIDE_TIMER: &str = "dailyaidecheck.timer";

/// File integrity and intrusion detection.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Integrity {
    /// AIDE with a daily check.
    Aide,
    /// The Wazuh agent enrolled with a manager.
    Wazuh {
        /// Manager host name.
        manager: Domain,
        /// Enrollment group.
        group: String,
        /// The repository `https://packages.wazuh.com/4.x/apt/`.
        repo: AptSource,
        /// Directories watched in real time.
        watched: Vec<String>,
    },
}

impl Integrity {
    /// The Wazuh agent for `manager`, in enrollment `group`, watching the app directory too.
    pub fn wazuh(manager: &str, group: &str, wazuh_key: &str, app_dir: &str) -> Result<Self> {
        let manager = Domain::new(manager).map_err(|e| Error::from(e).within("wazuh.manager"))?;
        check_token("wazuh.group", group, &[])?;
        hardening_model::values::AbsPath::new(app_dir)
            .map_err(|e| Error::from(e).within("wazuh.app_dir"))?;
        Ok(Self::Wazuh {
            manager,
            group: group.to_owned(),
            repo: AptSource::signed(
                "wazuh",
                "https://packages.wazuh.com/4.x/apt/",
                "stable",
                ["main"],
                wazuh_key,
            )?,
            watched: [
                "/etc/ssh",
                "/etc/docker",
                "/etc/cron.d",
                "/etc/systemd/system",
                app_dir,
            ]
            .map(str::to_owned)
            .to_vec(),
        })
    }

    /// The agent configuration block merged into the packaged `ossec.conf` (Wazuh only),
    /// starting with [`WAZUH_MERGE_MARKER`].
    pub fn wazuh_config(&self) -> Option<String> {
        let Self::Wazuh {
            manager,
            group,
            watched,
            ..
        } = self
        else {
            return None;
        };
        let dirs: String = watched
            .iter()
            .map(|d| {
                format!("    <directories check_all=\"yes\" realtime=\"yes\">{d}</directories>\n")
            })
            .collect();
        Some(format!(
            "{WAZUH_MERGE_MARKER}
<ossec_config>
  <client>
    <server>
      <address>{manager}</address>
      <port>1514</port>
      <protocol>tcp</protocol>
    </server>
    <enrollment>
      <enabled>yes</enabled>
      <manager_address>{manager}</manager_address>
      <port>1515</port>
      <groups>{group}</groups>
    </enrollment>
  </client>
  <syscheck>
    <frequency>3600</frequency>
{dirs}    <directories check_all=\"yes\">/usr/bin,/usr/sbin</directories>
    <ignore>/etc/mtab</ignore>
    <ignore>/etc/resolv.conf</ignore>
    <ignore type=\"sregex\">.log$</ignore>
  </syscheck>
  <rootcheck>
    <disabled>no</disabled>
    <frequency>43200</frequency>
  </rootcheck>
  <localfile>
    <log_format>syslog</log_format>
    <location>/var/log/auth.log</location>
  </localfile>
  <localfile>
    <log_format>syslog</log_format>
    <location>/var/log/syslog</location>
  </localfile>
  <localfile>
    <log_format>audit</log_format>
    <location>/var/log/audit/audit.log</location>
  </localfile>
</ossec_config>
",
            manager = manager.as_str(),
        ))
    }
}

impl Part for Integrity {
    fn slot(&self) -> Slot {
        Slot::Integrity
    }

    fn contribute(&self, out: &mut Contribution) -> Result<()> {
        match self {
            Self::Aide => {
                out.package("aide");
                out.command(
                    Stage::Baseline,
                    Command::chain([
                        Command::argv(["systemctl", "disable", "--now", AIDE_TIMER])?,
                        Command::argv([
                            "systemd-run",
                            "--unit=aide-baseline",
                            "--nice=19",
                            "sh",
                            "-c",
                            &format!(
                                "aideinit -y -f && cp /var/lib/aide/aide.db.new /var/lib/aide/aide.db && systemctl enable --now {AIDE_TIMER}"
                            ),
                        ])?,
                    ])?,
                );
            }
            Self::Wazuh { manager, repo, .. } => {
                out.apt_source(repo.clone());
                let config = self.wazuh_config().unwrap_or_default();
                out.file(WriteFile::new(WAZUH_STAGED_CONFIG, config)?.permissions(0o640)?);
                let env_manager = format!("WAZUH_MANAGER={}", manager.as_str());
                out.command(
                    Stage::Monitoring,
                    Command::chain([
                        Command::argv([
                            "env",
                            "DEBIAN_FRONTEND=noninteractive",
                            env_manager.as_str(),
                            "apt-get",
                            "install",
                            "-y",
                            "wazuh-agent",
                        ])?,
                        Command::argv([
                            "sh",
                            "-c",
                            &format!(
                                "grep -qF '{WAZUH_MERGE_MARKER}' {WAZUH_CONFIG} || cat {WAZUH_STAGED_CONFIG} >> {WAZUH_CONFIG}"
                            ),
                        ])?,
                        Command::argv(["systemctl", "daemon-reload"])?,
                        Command::argv(["systemctl", "enable", "--now", "wazuh-agent"])?,
                    ])?,
                );
            }
        }
        Ok(())
    }
}
