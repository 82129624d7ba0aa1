//! promtail shipping host logs to Loki, with the password in a root-only `0600` file.
//!
//! The promtail package runs as the `promtail` user, which cannot read a root-owned `0600`
//! file. systemd's `LoadCredential=` bridges that: it reads the file as root and exposes a copy
//! only to the service (`$CREDENTIALS_DIRECTORY`), so the password never sits in a file the
//! service user or anyone else can read, nor in the (world-readable) config. The runbook kept
//! positions in `/tmp` (lost on reboot, so logs were re-sent); they go to `/var/lib/promtail`.

use super::{Contribution, Part, Slot, Stage, yaml};
use crate::{AptSource, Command, Error, Result, Secret, WriteFile};

/// promtail's configuration file (world-readable, no secret inside).
pub const PROMTAIL_CONFIG: &str = "/etc/promtail/hardened-host.yml";
/// The `0600` password file.
pub const PROMTAIL_PASSWORD: &str = "/etc/promtail/loki-password";

/// Ships syslog, auth, kernel and audit logs plus the journal to Loki.
#[derive(Debug, Clone)]
pub struct Promtail {
    push_url: String,
    username: String,
    password: Secret,
    repo: AptSource,
}

impl Promtail {
    /// `push_url` is Loki's `https://.../loki/api/v1/push`; `grafana_key` is the ASCII-armoured
    /// key of `https://apt.grafana.com` (the package's repository).
    ///
    /// ```
    /// use cloudinit_builder::Secret;
    /// use cloudinit_builder::preset::Promtail;
    /// let key = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQGNBGTn\n-----END PGP PUBLIC KEY BLOCK-----\n";
    /// let p = Promtail::new("https://logs.example.com/loki/api/v1/push", "host-1", Secret::new("loki-password-123")?, key)?;
    /// # Ok::<(), cloudinit_builder::Error>(())
    /// ```
    pub fn new(
        push_url: &str,
        username: &str,
        password: Secret,
        grafana_key: &str,
    ) -> Result<Self> {
        let field = "promtail.push_url";
        let rest = push_url
            .strip_prefix("https://")
            .ok_or_else(|| Error::invalid(field, "must start with https://"))?;
        if rest.is_empty()
            || !rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/' | ':'))
        {
            return Err(Error::invalid(
                field,
                "may only use ASCII letters, digits and ._-/:",
            ));
        }
        hardening_model::values::check_token("promtail.username", username, &['@'])?;
        Ok(Self {
            push_url: push_url.to_owned(),
            username: username.to_owned(),
            password,
            repo: AptSource::signed(
                "grafana",
                "https://apt.grafana.com",
                "stable",
                ["main"],
                grafana_key,
            )?,
        })
    }

    /// The configuration (no secret: the password is read from the service's credential).
    pub fn config(&self) -> Result<String> {
        let file = |job: &str, path: &str| {
            serde_json::json!({
                "job_name": job,
                "static_configs": [{"targets": ["localhost"], "labels": {"job": job, "host": "${HOSTNAME}", "__path__": path}}],
            })
        };
        let doc = serde_json::json!({
            "server": {"http_listen_address": "127.0.0.1", "http_listen_port": 9080, "grpc_listen_port": 0},
            "positions": {"filename": "/var/lib/promtail/positions.yaml"},
            "clients": [{
                "url": self.push_url,
                "basic_auth": {"username": self.username, "password_file": "${CREDENTIALS_DIRECTORY}/loki-password"},
            }],
            "scrape_configs": [
                file("system", "/var/log/{syslog,auth.log,kern.log}"),
                file("audit", "/var/log/audit/audit.log"),
                {"job_name": "journal", "journal": {"max_age": "12h", "labels": {"job": "journal", "host": "${HOSTNAME}"}},
                 "relabel_configs": [{"source_labels": ["__journal__systemd_unit"], "target_label": "unit"}]},
            ],
        });
        yaml(&doc)
    }
}

/// The systemd drop-in: credential, config path with `${VAR}` expansion, log groups.
pub(crate) const DROP_IN: &str = "[Service]
LoadCredential=loki-password:/etc/promtail/loki-password
SupplementaryGroups=adm systemd-journal
StateDirectory=promtail
Environment=HOSTNAME=%H
ExecStart=
ExecStart=/usr/bin/promtail -config.file=/etc/promtail/hardened-host.yml -config.expand-env=true
";

impl Part for Promtail {
    fn slot(&self) -> Slot {
        Slot::Promtail
    }

    fn contribute(&self, out: &mut Contribution) -> Result<()> {
        out.apt_source(self.repo.clone());
        // Installed in its own step, not with the security packages: a third-party repository
        // that fails must not stop auditd, ufw or unattended-upgrades from being installed.
        out.file(WriteFile::secret(PROMTAIL_PASSWORD, &self.password)?);
        out.file(WriteFile::new(PROMTAIL_CONFIG, self.config()?)?);
        out.file(WriteFile::new(
            "/etc/systemd/system/promtail.service.d/10-hardened-host.conf",
            DROP_IN,
        )?);
        out.command(
            Stage::Monitoring,
            Command::chain([
                Command::argv([
                    "env",
                    "DEBIAN_FRONTEND=noninteractive",
                    "apt-get",
                    "install",
                    "-y",
                    "--no-install-recommends",
                    "promtail",
                ])?,
                Command::argv(["systemctl", "daemon-reload"])?,
                Command::argv(["systemctl", "enable", "promtail.service"])?,
                Command::argv(["systemctl", "restart", "promtail.service"])?,
            ])?,
        );
        Ok(())
    }
}
