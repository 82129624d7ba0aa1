//! Encrypted backups with tamper-detecting verification (runbook section 9, erratum 17 fixed).
//!
//! Departures from the runbook, and why:
//! - The key lives in a root-only `0600` environment file read by systemd (`EnvironmentFile=`),
//!   never in `/etc/cron.d` (mode `0644`, world-readable).
//! - Encryption is [age](https://age-encryption.org) (X25519 + ChaCha20-Poly1305, authenticated
//!   per 64 KiB chunk, truncation detected), not `openssl enc -aes-256-cbc`, which is
//!   unauthenticated: a modified archive would decrypt to garbage or, worse, to altered data.
//!   `age -d` fails on any modified byte, so verification detects tampering.
//! - The data is quiesced with `docker compose stop` and restarted by a trap even on failure,
//!   instead of `kill 1` inside the container.
//! - Errors are fatal and loud (`set -euo pipefail`, no `|| true` around `tar`), and the real
//!   volume path is backed up.
//! - systemd timers (with `Persistent=true`) instead of cron lines.

use hardening_model::values::AbsPath;

use super::{Contribution, Part, Slot, Stage};
use crate::command::quote;
use crate::{Command, Error, Result, Secret, WriteFile};

/// Where the backup part installs its files.
pub const BACKUP_SCRIPT: &str = "/usr/local/sbin/hardened-backup";
/// The verification script.
pub const VERIFY_SCRIPT: &str = "/usr/local/sbin/hardened-backup-verify";
/// The `0600` environment file holding the age identity.
pub const BACKUP_ENV: &str = "/etc/hardened-host/backup.env";

/// Encrypted, verified backups of the app's data volume.
///
/// ```
/// use cloudinit_builder::Secret;
/// use cloudinit_builder::preset::Backups;
/// let identity = Secret::new("AGE-SECRET-KEY-1QYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQS")?;
/// let b = Backups::new("/srv/app/data", "/srv/app", identity)?.retention_days(14);
/// # Ok::<(), cloudinit_builder::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Backups {
    source: Source,
    compose_dir: AbsPath,
    backup_dir: AbsPath,
    identity: Secret,
    retention_days: u16,
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
    /// Backs up `data_dir` (the app's volume), quiescing the Compose project in `compose_dir`.
    /// `identity` is an age identity (`AGE-SECRET-KEY-1...`); the recipient is derived from it
    /// on the host.
    pub fn new(data_dir: &str, compose_dir: &str, identity: Secret) -> Result<Self> {
        let data_dir =
            AbsPath::new(data_dir).map_err(|e| Error::from(e).within("backups.data_dir"))?;
        Self::with_source(Source::Dir(data_dir), compose_dir, identity)
    }

    /// Backs up the Docker volume `volume` (its real mount point, asked from Docker at backup
    /// time), quiescing the Compose project in `compose_dir`.
    ///
    /// ```
    /// use cloudinit_builder::Secret;
    /// use cloudinit_builder::preset::Backups;
    /// let identity = Secret::new("AGE-SECRET-KEY-1QYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQS")?;
    /// let b = Backups::volume("stack_app_data", "/opt/stack", identity)?;
    /// assert!(b.backup_script().contains("docker volume inspect"));
    /// # Ok::<(), cloudinit_builder::Error>(())
    /// ```
    pub fn volume(volume: &str, compose_dir: &str, identity: Secret) -> Result<Self> {
        hardening_model::values::check_token("backups.volume", volume, &[])?;
        Self::with_source(Source::Volume(volume.to_owned()), compose_dir, identity)
    }

    fn with_source(source: Source, compose_dir: &str, identity: Secret) -> Result<Self> {
        let compose_dir =
            AbsPath::new(compose_dir).map_err(|e| Error::from(e).within("backups.compose_dir"))?;
        let id = identity.expose();
        let body_ok = id.strip_prefix("AGE-SECRET-KEY-1").is_some_and(|b| {
            !b.is_empty()
                && b.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        });
        if !body_ok {
            return Err(Error::invalid(
                "backups.identity",
                "must be an age identity (AGE-SECRET-KEY-1 followed by upper-case bech32)",
            ));
        }
        Ok(Self {
            source,
            compose_dir,
            backup_dir: AbsPath::new("/var/backups/hardened-host")?,
            identity,
            retention_days: 30,
            schedule: "*-*-* 03:00:00 UTC".to_owned(),
            verify_schedule: "Sun *-*-* 04:00:00 UTC".to_owned(),
        })
    }

    /// Where encrypted archives are kept (default `/var/backups/hardened-host`).
    pub fn backup_dir(mut self, dir: &str) -> Result<Self> {
        self.backup_dir =
            AbsPath::new(dir).map_err(|e| Error::from(e).within("backups.backup_dir"))?;
        Ok(self)
    }

    /// Days to keep local archives (default 30, at least 1).
    #[must_use]
    pub fn retention_days(mut self, days: u16) -> Self {
        self.retention_days = days.max(1);
        self
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

    /// The backup script.
    pub fn backup_script(&self) -> String {
        format!(
            r#"#!/bin/bash
# age-encrypted backup; key from {env} (0600)
set -euo pipefail
umask 077
: "${{BACKUP_AGE_IDENTITY:?BACKUP_AGE_IDENTITY is not set}}"
{data}
compose_dir={compose}
backup_dir={dir}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="$backup_dir/backup-$stamp.tar.gz.age"
install -d -m 0700 "$backup_dir"
recipient=$(age-keygen -y <(printf '%s\n' "$BACKUP_AGE_IDENTITY"))
cd "$compose_dir"
restart() {{ docker compose start >/dev/null || logger -p daemon.err -t hardened-backup "restarting the stack failed"; }}
docker compose stop
trap restart EXIT
tar -C "$(dirname "$data_dir")" -czf - "$(basename "$data_dir")" | age -e -r "$recipient" -o "$out.partial"
mv "$out.partial" "$out"
sha256sum "$out" > "$out.sha256"
restart
trap - EXIT
find "$backup_dir" -name 'backup-*.tar.gz.age*' -mtime +{days} -delete
logger -p daemon.info -t hardened-backup "backup written: $out"
"#,
            env = BACKUP_ENV,
            data = match &self.source {
                Source::Dir(d) => format!("data_dir={}", quote(d.as_str())),
                Source::Volume(v) => format!(
                    "data_dir=$(docker volume inspect --format '{{{{ .Mountpoint }}}}' {})",
                    quote(v)
                ),
            },
            compose = quote(self.compose_dir.as_str()),
            dir = quote(self.backup_dir.as_str()),
            days = self.retention_days,
        )
    }

    /// The verification script: checksum, then authenticated decryption and a full archive read.
    pub fn verify_script(&self) -> String {
        format!(
            r#"#!/bin/bash
# checksum, authenticated decryption (any changed byte fails), full archive read
set -euo pipefail
: "${{BACKUP_AGE_IDENTITY:?BACKUP_AGE_IDENTITY is not set}}"
backup_dir={dir}
fail() {{ logger -p daemon.crit -t hardened-backup-verify "$1"; echo "FAIL: $1" >&2; exit 1; }}
latest=$(find "$backup_dir" -maxdepth 1 -name 'backup-*.tar.gz.age' -printf '%T@ %p\n' | sort -n | tail -n 1 | cut -d' ' -f2-)
[ -n "$latest" ] || fail "no backup found in $backup_dir"
sha256sum --quiet -c "$latest.sha256" || fail "checksum mismatch: $latest"
entries=$(age -d -i <(printf '%s\n' "$BACKUP_AGE_IDENTITY") "$latest" | tar -tzf - | wc -l) || fail "decryption or archive check failed (tampered or corrupt): $latest"
[ "$entries" -gt 0 ] || fail "empty archive: $latest"
logger -p daemon.info -t hardened-backup-verify "verified $latest ($entries entries)"
echo "PASS: $latest ($entries entries)"
"#,
            dir = quote(self.backup_dir.as_str()),
        )
    }

    fn unit(name: &str, script: &str) -> String {
        format!(
            "[Unit]\nDescription={name}\nAfter=docker.service\n\n[Service]\nType=oneshot\n\
             EnvironmentFile={BACKUP_ENV}\nExecStart={script}\nUMask=0077\nNoNewPrivileges=yes\n\
             PrivateTmp=yes\nProtectHome=yes\n"
        )
    }

    fn timer(name: &str, calendar: &str) -> String {
        format!(
            "[Unit]\nDescription={name}\n\n[Timer]\nOnCalendar={calendar}\nPersistent=true\n\
             RandomizedDelaySec=15m\n\n[Install]\nWantedBy=timers.target\n"
        )
    }
}

impl Part for Backups {
    fn slot(&self) -> Slot {
        Slot::Backups
    }

    fn contribute(&self, out: &mut Contribution) -> Result<()> {
        out.package("age");
        out.file(WriteFile::secret_env(
            BACKUP_ENV,
            [("BACKUP_AGE_IDENTITY", &self.identity)],
        )?);
        out.file(WriteFile::new(BACKUP_SCRIPT, self.backup_script())?.permissions(0o700)?);
        out.file(WriteFile::new(VERIFY_SCRIPT, self.verify_script())?.permissions(0o700)?);
        let units = [
            (
                "hardened-backup",
                "Encrypted backup",
                BACKUP_SCRIPT,
                &self.schedule,
            ),
            (
                "hardened-backup-verify",
                "Backup verification",
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
