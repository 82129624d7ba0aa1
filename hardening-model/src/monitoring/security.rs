//! [`SecurityEvents`]: the host's security events (failed SSH logins, auditd rule hits, AIDE's
//! last result, Falco's alerts) and its operational signals (container restarts, a pending
//! reboot, held security updates, the last successful backup) as node_exporter textfile
//! metrics, and the alert rules on them.
//!
//! The runbook (8.3-8.6) left these events on the host: Falco and the AIDE cron job wrote to
//! the local journal, auditd to `/var/log/audit`, fail2ban to its own log, and the alerts of 8.6
//! named sources that no alerting system read. Here a root timer counts them every minute into
//! [`TEXTFILE_DIR`](super::TEXTFILE_DIR), node_exporter exposes them over its authenticated
//! channel, and [`SecurityEvents::alert_rules`] turns them into alerts with Appendix C
//! severities.
//!
//! Metrics (gauges; counts are over the last `window` minutes):
//!
//! | metric | meaning |
//! |---|---|
//! | `hardened_host_security_events_timestamp_seconds` | when the timer last wrote the file |
//! | `hardened_host_ssh_failed_logins` | sshd authentication failures and invalid users |
//! | `hardened_host_audit_events{key}` | audit records of a rule key, from login sessions only |
//! | `hardened_host_aide_last_check_timestamp_seconds` | AIDE's last check (or baseline) |
//! | `hardened_host_aide_changes` | 1 when the last check found differences |
//! | `hardened_host_falco_active` | 1 when a Falco unit is active |
//! | `hardened_host_falco_events{priority}` | Falco alerts by priority |
//! | `hardened_host_container_restarts{container}` | restarts by the container's restart policy (`docker inspect`'s `RestartCount`) |
//! | `hardened_host_reboot_required_timestamp_seconds` | since when `/var/run/reboot-required` exists (0: no reboot pending) |
//! | `hardened_host_held_security_update{package}` | 1 when a package on hold (`apt-mark showhold`) can be upgraded from a `-security` pocket (`apt list --upgradable`) |
//! | `hardened_host_backup_last_success_timestamp_seconds` | the last successful backup ([`LAST_BACKUP`], else the [`MANIFEST`]'s last upload; the script's own provisioning time before the first) |

use crate::RenderedFile;
use crate::auditd::AuditKey;
use crate::backup::{LAST_BACKUP, MANIFEST};
use crate::values::check_max_len;
use crate::{Error, Problem, Result};

use super::exporter::TEXTFILE_DIR;
use super::rules::{AlertRule, AlertRules, Severity};

/// The script the timer runs.
pub const SECURITY_EVENTS_SCRIPT: &str = "/usr/local/sbin/security-events-textfile";
/// The systemd unit name (a `.service` and a `.timer`).
pub const SECURITY_EVENTS_UNIT: &str = "security-events-textfile";
/// The file the script writes inside [`TEXTFILE_DIR`].
pub const SECURITY_EVENTS_FILE: &str = "security-events.prom";
/// The file whose presence means a reboot is pending (written by `update-notifier-common`'s
/// and `needrestart`'s package hooks).
pub const REBOOT_REQUIRED: &str = "/var/run/reboot-required";

/// Falco's units (one per driver; erratum 18), as `systemctl` and `journalctl -u` take them.
const FALCO_UNITS: [&str; 3] = ["falco-modern-bpf", "falco-kmod", "falco-bpf"];

/// Falco priorities as Falco prints them (the label value is the lowercase name).
const FALCO_PRIORITIES: [&str; 6] = [
    "Emergency",
    "Alert",
    "Critical",
    "Error",
    "Warning",
    "Notice",
];

/// `value` when `min <= value <= max`, else an out-of-range error naming `field`.
fn in_range(field: &str, value: u32, min: u32, max: u32) -> Result<u32> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(Error::new(
            field,
            Problem::OutOfRange {
                min: i64::from(min),
                max: i64::from(max),
                value: i64::from(value),
            },
        ))
    }
}

/// Which events the timer counts and over what window.
///
/// ```
/// use hardening_model::monitoring::SecurityEvents;
/// let events = SecurityEvents::new();
/// let files = events.files();
/// assert!(files.iter().any(|f| f.path.ends_with(".timer")));
/// let rules = events.alert_rules("node").unwrap();
/// assert!(rules.rules().iter().any(|r| r.name() == "DockerSocketAccess"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityEvents {
    window_minutes: u32,
    audit_keys: Vec<AuditKey>,
    ssh_failures: u32,
    reboot_days: u32,
    backup_hours: u32,
}

impl Default for SecurityEvents {
    fn default() -> Self {
        Self::new()
    }
}

impl SecurityEvents {
    /// A 5-minute window; the audit keys of the host baseline that mean "someone touched
    /// this": `docker-socket`, `identity`, `sudoers`, `sshd-config`; the SSH alert above 10
    /// failures per window (runbook 8.6).
    pub fn new() -> Self {
        Self {
            window_minutes: 5,
            audit_keys: ["docker-socket", "identity", "sudoers", "sshd-config"]
                .into_iter()
                .filter_map(|k| AuditKey::new(k).ok())
                .collect(),
            ssh_failures: 10,
            reboot_days: 7,
            backup_hours: 26,
        }
    }

    /// How many days a pending reboot may wait before `RebootPending` fires, 1 to 90
    /// (default 7: a weekly maintenance window).
    pub fn reboot_pending_days(mut self, days: u32) -> Result<Self> {
        self.reboot_days = in_range("security_events.reboot_pending_days", days, 1, 90)?;
        Ok(self)
    }

    /// How old the last successful backup may be before `BackupTooOld` fires, in hours, 2 to
    /// 744 (default 26: a daily backup with two hours of slack).
    pub fn backup_max_age_hours(mut self, hours: u32) -> Result<Self> {
        self.backup_hours = in_range("security_events.backup_max_age_hours", hours, 2, 744)?;
        Ok(self)
    }

    /// The counting window, 1 to 10 minutes (`ausearch --start recent` reaches 10 minutes
    /// back; the script keeps the records of the window by their own timestamps).
    pub fn window_minutes(mut self, minutes: u32) -> Result<Self> {
        self.window_minutes = in_range("security_events.window_minutes", minutes, 1, 10)?;
        Ok(self)
    }

    /// Another audit rule key to count (at most 16 keys).
    pub fn audit_key(mut self, key: &str) -> Result<Self> {
        let key = AuditKey::new(key).map_err(|e| e.within("security_events.audit_keys"))?;
        if self.audit_keys.len() >= 16 {
            return Err(Error::new(
                "security_events.audit_keys",
                Problem::TooMany {
                    max: 16,
                    count: self.audit_keys.len() + 1,
                },
            ));
        }
        if !self.audit_keys.contains(&key) {
            self.audit_keys.push(key);
        }
        Ok(self)
    }

    /// The audit keys counted.
    pub fn audit_keys(&self) -> &[AuditKey] {
        &self.audit_keys
    }

    /// The script (POSIX sh, run as root): counts the events and replaces
    /// `TEXTFILE_DIR/SECURITY_EVENTS_FILE` atomically, so node_exporter never reads half a
    /// file.
    pub fn script(&self) -> String {
        self.script_for(TEXTFILE_DIR)
    }

    /// [`script`](Self::script) writing into `dir` (for a test that runs it).
    pub fn script_for(&self, dir: &str) -> String {
        self.script_in(dir, "")
    }

    /// [`script_for`](Self::script_for) reading [`REBOOT_REQUIRED`] and the backup status
    /// files under `root` instead of `/` (for a test that runs it against a temporary root).
    pub fn script_in(&self, dir: &str, root: &str) -> String {
        let keys: Vec<String> = self.audit_keys.iter().map(ToString::to_string).collect();
        format!(
            r##"#!/bin/sh
# Security events as node_exporter textfile metrics ({w}-minute window).
set -u
umask 022
export LC_ALL=C
dir={dir}
out="$dir/{file}"
tmp="$dir/.{file}.$$"
mkdir -p "$dir"
now=$(date +%s)
since=$((now - {w} * 60))
count() {{ grep -c "$@" || true; }}
j() {{ journalctl -q --no-pager -o cat --since "@$since" "$@" 2>/dev/null || true; }}
h() {{ echo "# HELP hardened_host_$1 $2"; echo "# TYPE hardened_host_$1 gauge"; }}
m() {{ h "$1" "$2"; echo "hardened_host_$1 $3"; }}
mtime() {{ stat -c %Y "$1" 2>/dev/null || echo 0; }}
{{
m security_events_timestamp_seconds 'Written at.' "$now"
m ssh_failed_logins 'sshd failures.' "$(j _COMM=sshd _COMM=sshd-session \
  | count -E 'Failed (password|publickey|keyboard-interactive)|Invalid user|authentication failure|Connection closed by (authenticating|invalid) user')"
if command -v ausearch >/dev/null 2>&1; then
  h audit_events 'Audit records from logins.'
  for key in {keys}; do
    echo "hardened_host_audit_events{{key=\"$key\"}} $(ausearch --input-logs -k "$key" --start recent --format raw 2>/dev/null | awk -v s="$since" \
      '/^type=SYSCALL/ && !/auid=4294967295/ && match($0, /audit\([0-9]+/) && substr($0, RSTART + 6, RLENGTH - 6) + 0 >= s {{ n++ }} END {{ print n + 0 }}')"
  done
fi
if command -v aide >/dev/null 2>&1; then
  f=/var/log/aide/aide.log; [ -s $f ] || f=/var/lib/aide/aide.db
  m aide_last_check_timestamp_seconds 'Last AIDE check.' "$(mtime $f)"
  c=0; grep -q 'found differences between database and filesystem' /var/log/aide/aide.log 2>/dev/null && c=1
  m aide_changes 'AIDE found changes.' $c
fi
if command -v falco >/dev/null 2>&1; then
  a=0; systemctl is-active -q {falco_units} && a=1
  m falco_active 'Falco active.' $a
  h falco_events 'Falco alerts.'
  ev=$(j {falco_match})
  for p in {priorities}; do
    echo "hardened_host_falco_events{{priority=\"$(echo $p | tr A-Z a-z)\"}} $(printf '%s\n' "$ev" | count -E "^[0-9:.T+-]+: $p ")"
  done
fi
if command -v docker >/dev/null 2>&1; then
  h container_restarts 'Container restarts.'
  docker ps -aq | xargs -r docker inspect -f '{{{{.Name}}}} {{{{.RestartCount}}}}' | while read -r c n; do
    echo "hardened_host_container_restarts{{container=\"${{c#/}}\"}} $n"; done
fi
r="{root}{reboot}"; t=0; [ -e "$r" ] && t=$(mtime "$r")
m reboot_required_timestamp_seconds 'Reboot pending since.' $t
b="{root}{last}"; t=$(mtime "{root}{manifest}"); [ $t = 0 ] && t=$(mtime "$0")
grep -qx result=pass "$b" 2>/dev/null && t=$(mtime "$b")
m backup_last_success_timestamp_seconds 'Last backup.' $t
held=$(apt-mark showhold 2>/dev/null)
[ -n "$held" ] && h held_security_update 'Held security update.'
up=$(apt list --upgradable 2>/dev/null)
for p in $held; do
  n=0; printf '%s\n' "$up" | grep -q "^$p/[^ ]*-security" && n=1
  echo "hardened_host_held_security_update{{package=\"$p\"}} $n"
done
}} > "$tmp" && mv -f "$tmp" "$out"
"##,
            w = self.window_minutes,
            file = SECURITY_EVENTS_FILE,
            keys = keys.join(" "),
            falco_units = FALCO_UNITS.join(" "),
            falco_match = FALCO_UNITS
                .iter()
                .map(|u| format!("-u {u}"))
                .collect::<Vec<_>>()
                .join(" "),
            priorities = FALCO_PRIORITIES.join(" "),
            reboot = REBOOT_REQUIRED,
            last = LAST_BACKUP,
            manifest = MANIFEST,
        )
    }

    /// The script (`0755`), its oneshot service and a timer every minute.
    pub fn files(&self) -> Vec<RenderedFile> {
        let unit = SECURITY_EVENTS_UNIT;
        vec![
            RenderedFile::root(SECURITY_EVENTS_SCRIPT, 0o755, self.script()),
            RenderedFile::root(
                format!("/etc/systemd/system/{unit}.service"),
                0o644,
                format!(
                    "[Unit]\nDescription=Security events textfile\n\n\
                     [Service]\nType=oneshot\nExecStart={SECURITY_EVENTS_SCRIPT}\nNice=10\n\
                     ProtectSystem=strict\nReadWritePaths={TEXTFILE_DIR}\nPrivateTmp=true\n\
                     NoNewPrivileges=true\n"
                ),
            ),
            RenderedFile::root(
                format!("/etc/systemd/system/{unit}.timer"),
                0o644,
                format!(
                    "[Unit]\nDescription=Security events textfile\n\n\
                     [Timer]\nOnBootSec=1min\nOnUnitActiveSec=1min\nAccuracySec=10s\n\
                     Unit={unit}.service\n\n[Install]\nWantedBy=timers.target\n"
                ),
            ),
        ]
    }

    /// The alert rules on these metrics for scrape job `job`, with Appendix C severities:
    ///
    /// | alert | severity | why |
    /// |---|---|---|
    /// | `FalcoCriticalEvent` (emergency/alert/critical) | sev1 | credential read, likely compromise |
    /// | `FalcoWarningEvent` (error/warning) | sev2 | shell in a container, odd egress |
    /// | `FalcoNoticeEvent` | sev3 | hints (account database reads) |
    /// | `FalcoNotRunning` | sev2 | detection is off |
    /// | `DockerSocketAccess` | sev2 | root-equivalent access from a login session |
    /// | `AuditedFileChanged` (other keys) | sev2 | identity, sudoers, sshd config changed |
    /// | `FileIntegrityChange` | sev2 | AIDE found differences |
    /// | `FileIntegrityCheckStale` | sev3 | no AIDE check for two days |
    /// | `SshBruteForce` | sev3 | suspicious activity (keys only, rate-limited) |
    /// | `SecurityEventsStale` | sev2 | the timer stopped: the figures above are blind |
    /// | `ContainerRestarting` | sev2 | a container restarted within 15 minutes (crash, OOM kill) |
    /// | `BackupTooOld` | sev2 | no successful backup within [`backup_max_age_hours`](Self::backup_max_age_hours) |
    /// | `HeldSecurityUpdate` | sev3 | a held package (Docker, containerd, runc) has a security fix waiting for a planned upgrade |
    /// | `RebootPending` | sev3 | a reboot has waited longer than [`reboot_pending_days`](Self::reboot_pending_days) |
    pub fn alert_rules(&self, job: &str) -> Result<AlertRules> {
        check_max_len("alert.job", job, 64)?;
        // Job names are validated by the node rules' constructor as well.
        AlertRules::for_thresholds(&super::AlertThresholds::default(), job)?;
        let sel = format!("job=\"{job}\"");
        let other_keys: Vec<String> = self
            .audit_keys
            .iter()
            .map(ToString::to_string)
            .filter(|k| k != "docker-socket")
            .collect();
        let mut rules = vec![
            AlertRule::new(
                "FalcoCriticalEvent",
                &format!(
                    "hardened_host_falco_events{{{sel},priority=~\"emergency|alert|critical\"}} > 0"
                ),
                0,
                Severity::Sev1,
                "Falco raised {{ $value }} {{ $labels.priority }} alerts on {{ $labels.instance }}",
            )?,
            AlertRule::new(
                "FalcoWarningEvent",
                &format!("hardened_host_falco_events{{{sel},priority=~\"error|warning\"}} > 0"),
                0,
                Severity::Sev2,
                "Falco raised {{ $value }} {{ $labels.priority }} alerts on {{ $labels.instance }}",
            )?,
            AlertRule::new(
                "FalcoNoticeEvent",
                &format!("hardened_host_falco_events{{{sel},priority=\"notice\"}} > 0"),
                0,
                Severity::Sev3,
                "Falco raised {{ $value }} notices on {{ $labels.instance }}",
            )?,
            AlertRule::new(
                "FalcoNotRunning",
                &format!("hardened_host_falco_active{{{sel}}} == 0"),
                300,
                Severity::Sev2,
                "No Falco unit is active on {{ $labels.instance }}",
            )?,
            AlertRule::new(
                "DockerSocketAccess",
                &format!("hardened_host_audit_events{{{sel},key=\"docker-socket\"}} > 0"),
                0,
                Severity::Sev2,
                "The Docker socket was used from a login session on {{ $labels.instance }}",
            )?,
            AlertRule::new(
                "FileIntegrityChange",
                &format!("hardened_host_aide_changes{{{sel}}} > 0"),
                0,
                Severity::Sev2,
                "AIDE found changed system files on {{ $labels.instance }}",
            )?,
            AlertRule::new(
                "FileIntegrityCheckStale",
                &format!(
                    "time() - hardened_host_aide_last_check_timestamp_seconds{{{sel}}} > 172800"
                ),
                3600,
                Severity::Sev3,
                "AIDE has not checked {{ $labels.instance }} for two days",
            )?,
            AlertRule::new(
                "SshBruteForce",
                &format!(
                    "hardened_host_ssh_failed_logins{{{sel}}} > {}",
                    self.ssh_failures
                ),
                0,
                Severity::Sev3,
                "{{ $value }} failed SSH logins within the window on {{ $labels.instance }}",
            )?,
            AlertRule::new(
                "SecurityEventsStale",
                &format!(
                    "time() - hardened_host_security_events_timestamp_seconds{{{sel}}} > {}",
                    self.window_minutes * 60 * 2
                ),
                300,
                Severity::Sev2,
                "Security event figures of {{ $labels.instance }} are not being updated",
            )?,
            AlertRule::new(
                "ContainerRestarting",
                &format!("increase(hardened_host_container_restarts{{{sel}}}[15m]) > 0"),
                0,
                Severity::Sev2,
                "Container {{ $labels.container }} restarted within 15 minutes on {{ $labels.instance }}",
            )?,
            AlertRule::new(
                "BackupTooOld",
                &format!(
                    "time() - hardened_host_backup_last_success_timestamp_seconds{{{sel}}} > {}",
                    self.backup_hours * 3600
                ),
                0,
                Severity::Sev2,
                &format!(
                    "No successful backup of {{{{ $labels.instance }}}} for more than {} hours",
                    self.backup_hours
                ),
            )?,
            AlertRule::new(
                "HeldSecurityUpdate",
                &format!("hardened_host_held_security_update{{{sel}}} > 0"),
                3600,
                Severity::Sev3,
                "Held package {{ $labels.package }} has a security update pending on {{ $labels.instance }}",
            )?,
            AlertRule::new(
                "RebootPending",
                &format!(
                    "hardened_host_reboot_required_timestamp_seconds{{{sel}}} > 0 and time() - hardened_host_reboot_required_timestamp_seconds{{{sel}}} > {}",
                    self.reboot_days * 86_400
                ),
                0,
                Severity::Sev3,
                &format!(
                    "A reboot has been pending on {{{{ $labels.instance }}}} for more than {} days",
                    self.reboot_days
                ),
            )?,
        ];
        if !other_keys.is_empty() {
            rules.push(AlertRule::new(
                "AuditedFileChanged",
                &format!(
                    "hardened_host_audit_events{{{sel},key=~\"{}\"}} > 0",
                    other_keys.join("|")
                ),
                0,
                Severity::Sev2,
                "Audited files ({{ $labels.key }}) changed from a login session on {{ $labels.instance }}",
            )?);
        }
        AlertRules::group("host-security", rules)
    }
}
