//! Off-host encrypted backups the host cannot read back (runbook section 9, erratum 17 fixed):
//! see [`Backups`] for the threat model.

mod script;
mod store;

use hardening_model::docker::names::ServiceName;
use hardening_model::presets::stack::APP_SERVICE;
use hardening_model::values::AbsPath;

pub use store::{BackupTarget, ObjectStore, S3Credentials};

use super::{Contribution, Part, Slot, Stage};
use crate::age::AgeRecipient;
use crate::{Command, Error, Result, WriteFile};

/// Where the backup part installs its backup script.
pub const BACKUP_SCRIPT: &str = "/usr/local/sbin/hardened-backup";
/// The verification script.
pub const VERIFY_SCRIPT: &str = "/usr/local/sbin/hardened-backup-verify";
/// Where a restore installs the restore script (it reads a plain `tar.gz` of the data directory
/// on standard input); not part of the first-boot document.
pub const RESTORE_SCRIPT: &str = "/usr/local/sbin/hardened-restore";
/// The `0600` environment file holding the S3 credentials (nothing that decrypts).
pub const BACKUP_ENV: &str = "/etc/hardened-host/backup.env";
/// The default backup schedule (systemd `OnCalendar=`): daily at 03:00 UTC.
pub const DEFAULT_SCHEDULE: &str = "*-*-* 03:00:00 UTC";
/// The default verification schedule: Sundays at 04:00 UTC.
pub const DEFAULT_VERIFY_SCHEDULE: &str = "Sun *-*-* 04:00:00 UTC";
/// The timers' `RandomizedDelaySec=`, in minutes (counts towards the recovery point).
pub const RANDOMIZED_DELAY_MINUTES: u32 = 15;
/// How long the restore script waits, by default, for the data services to report healthy after
/// the swap (seconds; the environment variable `RESTORE_HEALTH_TIMEOUT` overrides it).
pub const RESTORE_HEALTH_TIMEOUT_SECS: u32 = 120;

/// Encrypted off-host backups of the app's data volume, with upload verification and a
/// restore script (runbook section 9, erratum 17 fixed).
///
/// # Threat model and departures from the runbook
///
/// The runbook keeps its archives in a directory of the host they protect and gives the host the
/// key that decrypts them. Here:
///
/// - **Only the age recipient is on the host.** Archives are encrypted with
///   [age](https://age-encryption.org) to an [`AgeRecipient`] (`age1...`); the identity that
///   decrypts stays with the operator. A compromised host can write new backups but cannot read
///   the old ones. age is authenticated (ChaCha20-Poly1305 per 64 KiB chunk, truncation
///   detected), unlike the runbook's `openssl enc -aes-256-cbc`: a changed byte fails decryption.
/// - **Off-host, with rclone, not restic.** The runbook's threat model is a compromised host.
///   restic would need its repository password on the host, and that password decrypts every
///   snapshot; age to a recipient lets the host write without reading. rclone (Debian's 1.60,
///   S3 backend, `provider=Other`, path-style) only moves the already-encrypted file to the
///   [`ObjectStore`] (Hetzner Object Storage or any S3-compatible store).
/// - **What a compromised host can still do to old copies, and the answer.** Its S3 keys can
///   delete or overwrite objects. The scripts never delete and never overwrite: each archive has
///   a name of its own (`<prefix>/backup-<UTC stamp>.tar.gz.age`; the upload is refused when
///   the name exists), and pruning is the bucket's job, not the host's. Configure the bucket with versioning and
///   Object Lock (compliance mode, a default retention at least the recovery window) plus a
///   lifecycle rule that expires old objects, and give each host its own keys limited to its
///   prefix (a bucket policy), so it cannot touch other hosts' copies. With Object Lock an
///   attacker on the host can add garbage but cannot destroy what was written before.
/// - **Verification the host can do.** It cannot decrypt, so the weekly job checks that the
///   newest uploaded object still has the SHA-256 recorded in the manifest at upload and starts
///   with the age header, and writes the outcome to
///   [`LAST_VERIFY`](hardening_model::backup::LAST_VERIFY) for the audit. The decrypting check
///   is the operator's restore test.
/// - The S3 keys live in a root-only `0600` environment file read by systemd
///   (`EnvironmentFile=`), never in `/etc/cron.d` (world-readable) or on a command line. rclone
///   runs at its default log level: with `-vv` it would log the keys it read from the
///   environment.
/// - **The site stays up.** Only the Compose services that own the data stop
///   ([`Backups::services`], default the stack's app service
///   [`APP_SERVICE`](hardening_model::presets::stack::APP_SERVICE)), with
///   `docker compose stop SERVICE...`, and a trap starts them again even on failure, instead of
///   `kill 1` inside the container. Caddy keeps running: TLS, redirects and every other route
///   are served, and requests for the app get Caddy's own `502 Bad Gateway` (the site's
///   `handle_errors` response) until the app is back; no maintenance page is added, so the
///   status says what happened. The archive is written while they are stopped; the upload runs
///   after they are back.
/// - **Downtime is measured.** The seconds the data services were stopped, on the monotonic clock
///   (`/proc/uptime`), go into the status file as `quiesce_seconds=` (read by
///   [`JobStatus`](hardening_model::backup::JobStatus)) and, when the node_exporter textfile
///   directory exists ([`Backups::metrics_dir`]), into the gauge
///   [`QUIESCE_METRIC`](hardening_model::backup::QUIESCE_METRIC).
/// - Errors are fatal and loud (`set -euo pipefail`, no `|| true` around `tar`); the real
///   volume path is backed up (asked from Docker); systemd timers (`Persistent=true`) replace
///   cron lines.
/// - A restore script ([`Backups::restore_script`], installed at [`RESTORE_SCRIPT`] by the
///   operator at restore time, so it costs first boot nothing) swaps in a data directory from a
///   plain archive on its standard input, which the operator decrypted on their side, with only
///   the data services stopped, and ends with their health check (see
///   [`Backups::restore_script`]).
///
/// ```
/// use cloudinit_builder::Secret;
/// use cloudinit_builder::age::AgeRecipient;
/// use cloudinit_builder::preset::{BackupTarget, Backups, ObjectStore, S3Credentials};
/// let target = BackupTarget::new(
///     AgeRecipient::new("age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p")?,
///     ObjectStore::new("https://fsn1.your-objectstorage.com", "fleet-backups", "fsn1")?
///         .prefix("inst-0042")?,
///     S3Credentials::new(Secret::new("AKIAEXAMPLE00")?, Secret::new("s3cr3t-s3cr3t-s3cr3t")?),
/// );
/// let b = Backups::volume("stack_app_data", "/opt/stack", target)?.services(&["app", "worker"])?;
/// let script = b.backup_script();
/// assert!(script.contains("docker volume inspect") && script.contains("age -e -r"));
/// assert!(script.contains("services=(app worker)"));
/// assert!(!script.contains("s3cr3t") && !script.contains("AGE-SECRET-KEY"));
/// # Ok::<(), cloudinit_builder::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Backups {
    source: Source,
    compose_dir: AbsPath,
    services: Vec<ServiceName>,
    state_dir: AbsPath,
    metrics_dir: AbsPath,
    target: BackupTarget,
    schedule: String,
    verify_schedule: String,
}

/// What is backed up.
#[derive(Debug, Clone)]
enum Source {
    /// A host directory.
    Dir(AbsPath),
    /// A Docker volume, resolved to its real mount point at backup time (under `userns-remap`
    /// it lives in `/var/lib/docker/<uid>.<gid>/volumes`, not where the runbook looked).
    Volume(String),
}

impl Backups {
    /// Backs up `data_dir` (the app's volume), stopping the data services (default
    /// [`APP_SERVICE`]) of the Compose project in `compose_dir` meanwhile.
    pub fn new(data_dir: &str, compose_dir: &str, target: BackupTarget) -> Result<Self> {
        let data_dir =
            AbsPath::new(data_dir).map_err(|e| Error::from(e).within("backups.data_dir"))?;
        Self::with_source(Source::Dir(data_dir), compose_dir, target)
    }

    /// Backs up the Docker volume `volume` (its real mount point, asked from Docker at backup
    /// time), stopping the data services (default [`APP_SERVICE`]) of the Compose project in
    /// `compose_dir` meanwhile.
    pub fn volume(volume: &str, compose_dir: &str, target: BackupTarget) -> Result<Self> {
        hardening_model::values::check_token("backups.volume", volume, &[])?;
        Self::with_source(Source::Volume(volume.to_owned()), compose_dir, target)
    }

    fn with_source(source: Source, compose_dir: &str, target: BackupTarget) -> Result<Self> {
        let compose_dir =
            AbsPath::new(compose_dir).map_err(|e| Error::from(e).within("backups.compose_dir"))?;
        Ok(Self {
            source,
            compose_dir,
            services: vec![ServiceName::new(APP_SERVICE)?],
            state_dir: AbsPath::new(hardening_model::backup::STATE_DIR)?,
            metrics_dir: AbsPath::new(hardening_model::monitoring::TEXTFILE_DIR)?,
            target,
            schedule: DEFAULT_SCHEDULE.to_owned(),
            verify_schedule: DEFAULT_VERIFY_SCHEDULE.to_owned(),
        })
    }

    /// Where the manifest, the status files and the upload spool live (default
    /// [`STATE_DIR`](hardening_model::backup::STATE_DIR), which the audit reads).
    pub fn state_dir(mut self, dir: &str) -> Result<Self> {
        self.state_dir =
            AbsPath::new(dir).map_err(|e| Error::from(e).within("backups.state_dir"))?;
        Ok(self)
    }

    /// The Compose services that own the data: only these stop while the archive is written (and
    /// while a restore swaps the data in); every other service, Caddy included, keeps running.
    /// Default: [`APP_SERVICE`].
    ///
    /// ```
    /// # use cloudinit_builder::Secret;
    /// # use cloudinit_builder::age::AgeRecipient;
    /// # use cloudinit_builder::preset::{BackupTarget, Backups, ObjectStore, S3Credentials};
    /// # let target = BackupTarget::new(
    /// #     AgeRecipient::new("age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p")?,
    /// #     ObjectStore::new("https://fsn1.your-objectstorage.com", "fleet-backups", "fsn1")?,
    /// #     S3Credentials::new(Secret::new("AKIAEXAMPLE00")?, Secret::new("s3cr3t-s3cr3t-s3cr3t")?),
    /// # );
    /// let b = Backups::volume("stack_app_data", "/opt/stack", target)?;
    /// let err = b.services(&["app", "Worker 2"]).unwrap_err();
    /// assert_eq!(err.field(), Some("backups.services[1]"));
    /// # Ok::<(), cloudinit_builder::Error>(())
    /// ```
    ///
    /// # Errors
    /// An empty list (`backups.services`), or a name that is not a Compose service name
    /// (`[a-z0-9][a-z0-9_-]*`, naming `backups.services[i]`).
    pub fn services(mut self, names: &[&str]) -> Result<Self> {
        self.services = check_services(names)?;
        Ok(self)
    }

    /// The Compose services stopped during a backup or a restore.
    pub fn data_services(&self) -> &[ServiceName] {
        &self.services
    }

    /// The node_exporter textfile directory the backup writes its
    /// [`QUIESCE_METRIC`](hardening_model::backup::QUIESCE_METRIC) into when it exists (default
    /// [`TEXTFILE_DIR`](hardening_model::monitoring::TEXTFILE_DIR)).
    pub fn metrics_dir(mut self, dir: &str) -> Result<Self> {
        self.metrics_dir =
            AbsPath::new(dir).map_err(|e| Error::from(e).within("backups.metrics_dir"))?;
        Ok(self)
    }

    /// systemd `OnCalendar=` expressions for the backup and the verification.
    pub fn schedules(mut self, backup: &str, verify: &str) -> Result<Self> {
        for (field, v) in [
            ("backups.schedule", backup),
            ("backups.verify_schedule", verify),
        ] {
            hardening_model::values::check_token(field, v, &[' ', '*', ':', ',', '/', '~'])?;
        }
        self.schedule = backup.to_owned();
        self.verify_schedule = verify.to_owned();
        Ok(self)
    }

    /// The backup timer's `OnCalendar=` expression.
    pub fn schedule(&self) -> &str {
        &self.schedule
    }

    /// The verification timer's `OnCalendar=` expression.
    pub fn verify_schedule(&self) -> &str {
        &self.verify_schedule
    }

    /// The recipient, store and credentials.
    pub fn target(&self) -> &BackupTarget {
        &self.target
    }

    /// The age recipient the archives are encrypted to.
    pub fn recipient(&self) -> &AgeRecipient {
        &self.target.recipient
    }

    /// The backup script: stop the data services, archive, encrypt to the recipient, start them,
    /// upload under an immutable name, record the manifest line and the status file (with the
    /// seconds the services were stopped).
    pub fn backup_script(&self) -> String {
        script::backup(self)
    }

    /// The verification script: the newest object's SHA-256 against the manifest, and its age
    /// header; the outcome goes to the status file.
    pub fn verify_script(&self) -> String {
        script::verify(self)
    }

    /// The restore script: a plain `tar.gz` of the data directory on standard input replaces
    /// the data directory, with the data services stopped; the previous content is kept beside
    /// it. It ends with the services' health check: it waits (at most
    /// [`RESTORE_HEALTH_TIMEOUT_SECS`], or `RESTORE_HEALTH_TIMEOUT` seconds from its
    /// environment) for each service's container to report Docker's health status `healthy`
    /// (`running` when the image defines no health check) and prints one line per service,
    /// `health: SERVICE healthy|running`, `health: SERVICE unhealthy <Docker's .State.Health as
    /// JSON>` or `health: SERVICE timeout <last status>`. It exits 0 only when every service is
    /// healthy, 3 when the data was swapped in but a service is not.
    pub fn restore_script(&self) -> String {
        script::restore(&self.source_line(), &self.compose_dir, &self.services)
    }

    /// The restore script for the Docker volume `volume` of the Compose project in
    /// `compose_dir` (what [`Backups::restore_script`] gives for [`Backups::volume`]), for an
    /// operator who has the host's layout but not its backup keys.
    ///
    /// ```
    /// use cloudinit_builder::preset::{APP_DATA_VOLUME, Backups, STACK_DIR};
    /// let script = Backups::volume_restore_script(APP_DATA_VOLUME, STACK_DIR)?;
    /// assert!(script.contains("docker volume inspect") && script.contains("docker compose stop \"${services[@]}\""));
    /// assert!(script.contains("services=(app)") && script.contains("health: "));
    /// # Ok::<(), cloudinit_builder::Error>(())
    /// ```
    ///
    /// The data services are the stack's app service ([`APP_SERVICE`]); see
    /// [`Backups::restore_script`] for what it prints.
    pub fn volume_restore_script(volume: &str, compose_dir: &str) -> Result<String> {
        hardening_model::values::check_token("backups.volume", volume, &[])?;
        let compose_dir =
            AbsPath::new(compose_dir).map_err(|e| Error::from(e).within("backups.compose_dir"))?;
        Ok(script::restore(
            &Source::Volume(volume.to_owned()).line(),
            &compose_dir,
            &check_services(&[APP_SERVICE])?,
        ))
    }

    /// The environment file with the S3 credentials (root-owned `0600`), as rclone reads them.
    ///
    /// # Errors
    /// A credential with a single quote or a control character, naming it.
    pub fn env_file(&self) -> Result<WriteFile> {
        let c = &self.target.credentials;
        WriteFile::secret_env(
            BACKUP_ENV,
            [
                ("RCLONE_S3_ACCESS_KEY_ID", c.access_key_id()),
                ("RCLONE_S3_SECRET_ACCESS_KEY", c.secret_access_key()),
            ],
        )
        .map_err(|e| e.within("backups.credentials"))
    }

    fn unit(name: &str, script: &str) -> String {
        format!(
            "[Unit]\nDescription={name}\nAfter=docker.service network-online.target\n\
             Wants=network-online.target\n\n[Service]\nType=oneshot\n\
             EnvironmentFile={BACKUP_ENV}\nExecStart={script}\nUMask=0077\nNoNewPrivileges=yes\n\
             PrivateTmp=yes\nProtectHome=yes\n"
        )
    }

    fn timer(name: &str, calendar: &str) -> String {
        format!(
            "[Unit]\nDescription={name}\n\n[Timer]\nOnCalendar={calendar}\nPersistent=true\n\
             RandomizedDelaySec={RANDOMIZED_DELAY_MINUTES}m\n\n[Install]\nWantedBy=timers.target\n"
        )
    }

    pub(crate) fn source_line(&self) -> String {
        self.source.line()
    }
}

/// Validates the data services' names, naming `backups.services[i]`.
fn check_services(names: &[&str]) -> Result<Vec<ServiceName>> {
    if names.is_empty() {
        return Err(Error::invalid(
            "backups.services",
            "name at least one Compose service that owns the data",
        ));
    }
    names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            ServiceName::new(*n).map_err(|e| {
                Error::from(hardening_model::Error::new(
                    format!("backups.services[{i}]"),
                    e.problem().clone(),
                ))
            })
        })
        .collect()
}

impl Source {
    /// The script line that sets `data_dir`.
    fn line(&self) -> String {
        match self {
            Self::Dir(d) => format!("data_dir={}", crate::command::quote(d.as_str())),
            Self::Volume(v) => format!(
                "data_dir=$(docker volume inspect --format '{{{{ .Mountpoint }}}}' {})",
                crate::command::quote(v)
            ),
        }
    }
}

impl Part for Backups {
    fn slot(&self) -> Slot {
        Slot::Backups
    }

    fn contribute(&self, out: &mut Contribution) -> Result<()> {
        out.package("age");
        out.package("rclone");
        out.file(self.env_file()?);
        for (path, body) in [
            (BACKUP_SCRIPT, self.backup_script()),
            (VERIFY_SCRIPT, self.verify_script()),
        ] {
            out.file(WriteFile::new(path, body)?.permissions(0o700)?);
        }
        let units = [
            (
                "hardened-backup",
                "Encrypted off-host backup",
                BACKUP_SCRIPT,
                &self.schedule,
            ),
            (
                "hardened-backup-verify",
                "Off-host backup verification",
                VERIFY_SCRIPT,
                &self.verify_schedule,
            ),
        ];
        for (unit, desc, script, calendar) in units {
            out.file(WriteFile::new(
                &format!("/etc/systemd/system/{unit}.service"),
                Self::unit(desc, script),
            )?);
            out.file(WriteFile::new(
                &format!("/etc/systemd/system/{unit}.timer"),
                Self::timer(desc, calendar),
            )?);
        }
        out.command(
            Stage::Backups,
            Command::chain([
                Command::argv(["systemctl", "daemon-reload"])?,
                Command::argv([
                    "systemctl",
                    "enable",
                    "--now",
                    "hardened-backup.timer",
                    "hardened-backup-verify.timer",
                ])?,
            ])?,
        );
        Ok(())
    }
}
