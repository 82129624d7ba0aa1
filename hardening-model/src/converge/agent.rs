//! The host agent's files: the POSIX sh agent, its configuration, the pinned
//! `allowed_signers`, the host's selector labels and the systemd service and timer.

use std::time::Duration;

use base64::Engine as _;

use crate::RenderedFile;
use crate::command::quote;
use crate::values::{Port, check_token};
use crate::{Error, Result};

/// The agent script (installed as [`AGENT_PATH`]).
pub const AGENT_SCRIPT: &str = include_str!("agent.sh");
/// Where the agent is installed.
pub const AGENT_PATH: &str = "/usr/local/sbin/hf-agent";
/// The agent bootstrap (installed as [`BOOTSTRAP_PATH`] by [`AgentConfig::first_boot_files`]):
/// fetches `agent` and `agent.sig` from the bundle remote, verifies them in
/// [`AGENT_NAMESPACE`] against the pinned signer, installs the agent at [`AGENT_PATH`] when its
/// bytes changed and runs it.
pub const BOOTSTRAP_SCRIPT: &str = include_str!("bootstrap.sh");
/// Where the bootstrap is installed; the first-boot service runs it.
pub const BOOTSTRAP_PATH: &str = "/usr/local/sbin/hf-bootstrap";
/// Its configuration (sourced by the script).
pub const CONF_PATH: &str = "/etc/hardened-fleet/agent.conf";
/// The signer pinned at first boot, in `ssh-keygen -Y verify` format.
pub const ALLOWED_SIGNERS_PATH: &str = "/etc/hardened-fleet/allowed_signers";
/// The host's `key=value` labels, matched against a bundle's selector.
pub const LABELS_PATH: &str = "/etc/hardened-fleet/labels";
/// The report key (HMAC-SHA256, the instance's callback secret): written at first boot
/// with mode 0600 by whoever holds the secret, never rendered here.
pub const REPORT_KEY_PATH: &str = "/etc/hardened-fleet/report.key";
/// The store credentials (`RCLONE_S3_ACCESS_KEY_ID=`, `RCLONE_S3_SECRET_ACCESS_KEY=`), mode
/// 0600, read by systemd into the service's environment: the backup job's shape.
pub const STORE_ENV_PATH: &str = "/etc/hardened-fleet/store.env";
/// The status file the agent writes after every run (world-readable, no secret).
pub const STATUS_PATH: &str = "/var/lib/hardened-fleet/status";
/// The SSHSIG namespace bundles are signed in; a signature made for anything else (a git
/// commit, a file) never verifies as a bundle.
pub const NAMESPACE: &str = "hardened-fleet-bundle";
/// The SSHSIG namespace the agent script itself is signed in (object `agent.sig` next to the
/// bundle): the same pinned key, but a bundle signature never verifies as an agent and the
/// other way round.
pub const AGENT_NAMESPACE: &str = "hardened-fleet-agent";

/// What the agent on one host needs to know.
///
/// ```
/// use hardening_model::converge::AgentConfig;
/// use hardening_model::values::Port;
/// let config = AgentConfig::new(
///     "inst-0042",
///     ":s3:fleet-desired/acme",
///     "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIz6aQmiGH6b0rUgkQ0MdXeTvswk2sWyYqP6LjX9IVHP",
///     Port::new(22)?,
/// )?;
/// let files = config.files();
/// assert!(files.iter().any(|f| f.path == "/etc/systemd/system/hf-agent.timer"));
/// # Ok::<(), hardening_model::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentConfig {
    instance: String,
    remote: String,
    report_remote: Option<String>,
    rclone_args: Vec<String>,
    signer_key: String,
    signer_identity: String,
    ssh_port: Port,
    health_url: Option<String>,
    labels: Vec<(String, String)>,
    interval: Duration,
    sshd_reload: String,
    nft_reload: String,
    caddy_reload: String,
    ufw_reload: String,
}

impl AgentConfig {
    /// An agent for `instance` that reads bundles from the rclone remote `remote` (e.g.
    /// `:s3:fleet-desired/acme`, the same on-the-fly S3 remote shape the backup job uses) and
    /// trusts only `signer_key` (an `ssh-ed25519` public key line), checking after each apply
    /// that sshd answers on `ssh_port`.
    pub fn new(instance: &str, remote: &str, signer_key: &str, ssh_port: Port) -> Result<Self> {
        check_token("converge.instance", instance, &['.', '_', '-'])?;
        check_remote("converge.remote", remote)?;
        let signer_key = check_ed25519("converge.signer_key", signer_key)?;
        Ok(Self {
            instance: instance.to_owned(),
            remote: remote.trim_end_matches('/').to_owned(),
            report_remote: None,
            rclone_args: Vec::new(),
            signer_key,
            signer_identity: "fleet-operator".to_owned(),
            ssh_port,
            health_url: None,
            labels: Vec::new(),
            interval: Duration::from_secs(300),
            sshd_reload: "systemctl reload ssh".to_owned(),
            nft_reload: "nft -f /etc/nftables.conf".to_owned(),
            caddy_reload: "systemctl reload caddy".to_owned(),
            ufw_reload: "ufw reload".to_owned(),
        })
    }

    /// Where the signed report goes (`<remote>/<instance>.status`), e.g. the host's backup
    /// prefix, which its store keys may already write.
    pub fn report_remote(mut self, remote: &str) -> Result<Self> {
        check_remote("converge.report_remote", remote)?;
        self.report_remote = Some(remote.trim_end_matches('/').to_owned());
        Ok(self)
    }

    /// Extra rclone arguments (e.g. the backup store's `ObjectStore::rclone_args`); each a
    /// single word without quotes or `$`.
    pub fn rclone_args<I, S>(mut self, args: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let args: Vec<String> = args.into_iter().map(Into::into).collect();
        for (i, a) in args.iter().enumerate() {
            if a.is_empty()
                || !a.chars().all(|c| {
                    c.is_ascii_alphanumeric()
                        || matches!(c, '-' | '_' | '.' | '/' | ':' | '=' | ',')
                })
            {
                return Err(Error::invalid(
                    format!("converge.rclone_args[{i}]"),
                    "must be a non-empty word of A-Za-z0-9-_./:=,",
                ));
            }
        }
        self.rclone_args = args;
        Ok(self)
    }

    /// The site health check run after an apply (`curl -fsS`), e.g.
    /// `https://127.0.0.1/healthz`; a failure rolls back.
    pub fn health_url(mut self, url: &str) -> Result<Self> {
        let ok = (url.starts_with("http://") || url.starts_with("https://"))
            && url.len() < 512
            && url
                .chars()
                .all(|c| c.is_ascii_graphic() && !matches!(c, '\'' | '"' | '\\' | '`' | '$'));
        if !ok {
            return Err(Error::invalid(
                "converge.health_url",
                "must be an http(s) URL without quotes, backslashes or $",
            ));
        }
        self.health_url = Some(url.to_owned());
        Ok(self)
    }

    /// A label of this host, matched by a bundle's selector.
    pub fn label(mut self, key: &str, value: &str) -> Result<Self> {
        check_token("converge.labels.key", key, &['.', '_', '-'])?;
        check_token("converge.labels.value", value, &['.', '_', '-'])?;
        self.labels.push((key.to_owned(), value.to_owned()));
        Ok(self)
    }

    /// How often the timer runs (default 5 minutes; 1 minute to 1 day). A host picks up a
    /// change within this interval plus a random delay of a tenth of it.
    pub fn interval(mut self, interval: Duration) -> Result<Self> {
        if !(60..=86_400).contains(&interval.as_secs()) {
            return Err(Error::invalid(
                "converge.interval",
                "must be between 60 seconds and one day",
            ));
        }
        self.interval = interval;
        Ok(self)
    }

    /// The commands that make sshd, nftables and Caddy pick up new files (defaults:
    /// `systemctl reload ssh`, `nft -f /etc/nftables.conf`, `systemctl reload caddy`). Each is
    /// run by `sh -c` as root, so it is operator input, never host or bundle input.
    pub fn reload_commands(mut self, sshd: &str, nft: &str, caddy: &str) -> Result<Self> {
        for (field, cmd) in [
            ("converge.sshd_reload", sshd),
            ("converge.nft_reload", nft),
            ("converge.caddy_reload", caddy),
        ] {
            check_command(field, cmd)?;
        }
        self.sshd_reload = sshd.to_owned();
        self.nft_reload = nft.to_owned();
        self.caddy_reload = caddy.to_owned();
        Ok(self)
    }

    /// The command that makes ufw load new rules files (default `ufw reload`); operator
    /// input run by `sh -c` as root, like [`AgentConfig::reload_commands`].
    pub fn ufw_reload(mut self, command: &str) -> Result<Self> {
        check_command("converge.ufw_reload", command)?;
        self.ufw_reload = command.to_owned();
        Ok(self)
    }

    /// The instance id.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// The timer interval.
    pub fn interval_duration(&self) -> Duration {
        self.interval
    }

    /// `/etc/hardened-fleet/agent.conf`: shell assignments, every value quoted.
    pub fn render_conf(&self) -> String {
        let q = |s: &str| quote(s).into_owned();
        let mut out = String::from("# hardened-fleet converge agent (sourced by hf-agent)\n");
        let mut set = |k: &str, v: &str| out.push_str(&format!("{k}={}\n", q(v)));
        set("INSTANCE", &self.instance);
        set("REMOTE", &self.remote);
        set("REPORT_REMOTE", self.report_remote.as_deref().unwrap_or(""));
        set("RCLONE_ARGS", &self.rclone_args.join(" "));
        set("SIGNER", &self.signer_identity);
        set("NAMESPACE", NAMESPACE);
        set("SSH_PORT", &self.ssh_port.get().to_string());
        set("SSH_CHECK_HOST", "127.0.0.1");
        set("HEALTH_URL", self.health_url.as_deref().unwrap_or(""));
        set("SSHD_RELOAD", &self.sshd_reload);
        set("NFT_RELOAD", &self.nft_reload);
        set("CADDY_RELOAD", &self.caddy_reload);
        set("UFW_RELOAD", &self.ufw_reload);
        out
    }

    /// `allowed_signers`: the one key bundles and the agent must be signed with, for their two
    /// namespaces only.
    pub fn render_allowed_signers(&self) -> String {
        format!(
            "{} namespaces=\"{NAMESPACE},{AGENT_NAMESPACE}\" {}\n",
            self.signer_identity, self.signer_key
        )
    }

    /// The labels file, one `key=value` per line.
    pub fn render_labels(&self) -> String {
        self.labels
            .iter()
            .map(|(k, v)| format!("{k}={v}\n"))
            .collect()
    }

    /// The oneshot service (root, hardened sandbox except for the paths it manages). A rejected
    /// bundle (exit 2) and an unreachable store (exit 4, retried next tick, recorded in the
    /// status file) count as success, so neither leaves a failed unit; a rollback (exit 3) does.
    pub fn render_service(&self) -> String {
        self.service_running(AGENT_PATH)
    }

    /// The same service running the bootstrap ([`BOOTSTRAP_PATH`]) instead of the agent; the
    /// bootstrap's own exits (2 agent rejected, 4 store unreachable with no agent) are the
    /// agent's.
    pub fn render_bootstrap_service(&self) -> String {
        self.service_running(BOOTSTRAP_PATH)
    }

    fn service_running(&self, exec: &str) -> String {
        format!(
            "[Unit]\n\
             Description=hardened-fleet converge agent (signed desired-state bundles)\n\
             Wants=network-online.target\n\
             After=network-online.target\n\n\
             [Service]\n\
             Type=oneshot\n\
             EnvironmentFile=-{STORE_ENV_PATH}\n\
             ExecStart={exec}\n\
             SuccessExitStatus=2 4\n\
             NoNewPrivileges=yes\n\
             PrivateTmp=yes\n\
             ProtectHome=yes\n\
             TimeoutStartSec=300\n"
        )
    }

    /// The timer: every interval, with a random delay of up to a tenth of it so a fleet does
    /// not hit the store at once.
    pub fn render_timer(&self) -> String {
        let secs = self.interval.as_secs();
        format!(
            "[Unit]\nDescription=run the hardened-fleet converge agent every {secs}s\n\n\
             [Timer]\nOnBootSec=2min\nOnUnitActiveSec={secs}s\nRandomizedDelaySec={}s\n\
             AccuracySec=10s\n\n[Install]\nWantedBy=timers.target\n",
            secs / 10
        )
    }

    /// Every file the first-boot document installs for the agent. The report key and the
    /// store credentials are secrets and come from the provisioning flow, not from here
    /// ([`REPORT_KEY_PATH`], [`STORE_ENV_PATH`]); the preset then runs
    /// `systemctl enable --now hf-agent.timer`.
    pub fn files(&self) -> Vec<RenderedFile> {
        self.files_with(
            RenderedFile::root(AGENT_PATH, 0o755, AGENT_SCRIPT),
            self.render_service(),
        )
    }

    /// What the first-boot document installs: [`AgentConfig::files`] with the bootstrap
    /// ([`BOOTSTRAP_SCRIPT`] at [`BOOTSTRAP_PATH`], run by the service) in place of the agent.
    /// The first run fetches the signed agent from the store (published by the control plane
    /// with every bundle), so the document carries under 2 KB of script instead of over 8.
    ///
    /// ```
    /// use hardening_model::converge::{AgentConfig, AGENT_PATH, BOOTSTRAP_PATH};
    /// use hardening_model::values::Port;
    /// let config = AgentConfig::new(
    ///     "inst-0042",
    ///     ":s3:fleet-desired/acme",
    ///     "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIz6aQmiGH6b0rUgkQ0MdXeTvswk2sWyYqP6LjX9IVHP",
    ///     Port::new(22)?,
    /// )?;
    /// let files = config.first_boot_files();
    /// assert!(files.iter().any(|f| f.path == BOOTSTRAP_PATH));
    /// assert!(!files.iter().any(|f| f.path == AGENT_PATH));
    /// # Ok::<(), hardening_model::Error>(())
    /// ```
    pub fn first_boot_files(&self) -> Vec<RenderedFile> {
        self.files_with(
            RenderedFile::root(BOOTSTRAP_PATH, 0o755, BOOTSTRAP_SCRIPT),
            self.render_bootstrap_service(),
        )
    }

    fn files_with(&self, program: RenderedFile, service: String) -> Vec<RenderedFile> {
        vec![
            program,
            RenderedFile::root(CONF_PATH, 0o600, self.render_conf()),
            RenderedFile::root(ALLOWED_SIGNERS_PATH, 0o644, self.render_allowed_signers()),
            RenderedFile::root(LABELS_PATH, 0o644, self.render_labels()),
            RenderedFile::root("/etc/systemd/system/hf-agent.service", 0o644, service),
            RenderedFile::root(
                "/etc/systemd/system/hf-agent.timer",
                0o644,
                self.render_timer(),
            ),
        ]
    }
}

fn check_command(field: &str, cmd: &str) -> Result<()> {
    if cmd.trim().is_empty() || cmd.len() > 512 || cmd.chars().any(char::is_control) {
        return Err(Error::invalid(
            field,
            "must be one line of 1-512 characters without control characters",
        ));
    }
    Ok(())
}

fn check_remote(field: &str, remote: &str) -> Result<()> {
    let ok = !remote.is_empty()
        && remote.len() <= 512
        && remote
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            "must be an rclone remote such as :s3:bucket/prefix (A-Za-z0-9:/._-)",
        ))
    }
}

/// Checks an `ssh-ed25519 BASE64 [comment]` line and returns it without the comment.
fn check_ed25519(field: &str, line: &str) -> Result<String> {
    let mut parts = line.split_whitespace();
    let (Some("ssh-ed25519"), Some(b64)) = (parts.next(), parts.next()) else {
        return Err(Error::invalid(
            field,
            "must be an `ssh-ed25519 AAAA...` public key",
        ));
    };
    let blob = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| Error::invalid(field, "key is not valid base64"))?;
    // string "ssh-ed25519" (4 + 11 bytes), string key (4 + 32 bytes)
    let ok = blob.len() == 51
        && blob[..4] == [0, 0, 0, 11]
        && &blob[4..15] == b"ssh-ed25519"
        && blob[15..19] == [0, 0, 0, 32];
    if !ok {
        return Err(Error::invalid(
            field,
            "key blob is not an Ed25519 public key",
        ));
    }
    Ok(format!("ssh-ed25519 {b64}"))
}
