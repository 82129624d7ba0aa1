//! The backup jobs' status files (runbook section 9): where they are and what they hold.
//!
//! The backup job and the off-host verification job each end by writing one small file of
//! `key=value` lines (no secret in it): the job's result, when it finished, which object it was
//! about and that object's SHA-256. The audit's `backup.daily` and `backup.verified` checks read
//! them ([`JobStatus::parse`]), so "Last verification passed" is evidence from the host, not a
//! guess from the schedule.
//!
//! ```
//! use hardening_model::backup::{JobResult, JobStatus};
//! let s = JobStatus::parse(
//!     "result=pass\nfinished_at=2026-12-02T03:04:05Z\nobject=inst-1/backup-20261202T030000Z.tar.gz.age\n",
//! );
//! assert_eq!(s.result, JobResult::Pass);
//! assert_eq!(s.finished_at.as_deref(), Some("2026-12-02T03:04:05Z"));
//! assert_eq!(JobStatus::parse("garbage").result, JobResult::Unreadable);
//! let q = JobStatus::parse("result=pass\nquiesce_seconds=2.35\n").quiesce;
//! assert_eq!(q, Some(std::time::Duration::from_millis(2350)));
//! ```

use std::time::Duration;

/// Where the jobs keep their state (the manifest and the status files), root-owned `0700`.
pub const STATE_DIR: &str = "/var/lib/hardened-backup";
/// The backup job's status file: the last run's result.
pub const LAST_BACKUP: &str = "/var/lib/hardened-backup/last-backup";
/// The verification job's status file: the last verification's result.
pub const LAST_VERIFY: &str = "/var/lib/hardened-backup/last-verify";
/// One line per uploaded object, `<stamp> <object key> <sha256> <bytes>`, appended at upload.
pub const MANIFEST: &str = "/var/lib/hardened-backup/manifest";
/// The node_exporter textfile metric (gauge, seconds) the backup job writes after each run: how
/// long the data-owning services were stopped (the site's downtime for that run).
pub const QUIESCE_METRIC: &str = "hardened_backup_quiesce_seconds";

/// A job's outcome as its status file states it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JobResult {
    /// `result=pass`.
    Pass,
    /// `result=fail`.
    Fail,
    /// No `result=` line, or a value other than `pass`/`fail`.
    Unreadable,
}

/// A parsed status file. Unknown keys are ignored; missing ones are `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobStatus {
    /// The outcome.
    pub result: JobResult,
    /// When the job finished, UTC, `YYYY-MM-DDTHH:MM:SSZ`.
    pub finished_at: Option<String>,
    /// The object key the run was about (`<prefix>/backup-<stamp>.tar.gz.age`).
    pub object: Option<String>,
    /// That object's SHA-256 (hex) as recorded at upload.
    pub sha256: Option<String>,
    /// Why it failed, in the job's words (`result=fail` only).
    pub detail: Option<String>,
    /// How long the backup job kept the data-owning services stopped (`quiesce_seconds=`,
    /// measured on the monotonic clock); `None` for the verification job or an unreadable value.
    pub quiesce: Option<Duration>,
}

impl JobStatus {
    /// Reads `key=value` lines; blank lines and `#` comments are skipped.
    pub fn parse(text: &str) -> Self {
        let mut status = Self {
            result: JobResult::Unreadable,
            finished_at: None,
            object: None,
            sha256: None,
            detail: None,
            quiesce: None,
        };
        for line in text.lines().map(str::trim) {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let value = value.trim();
            let owned = (!value.is_empty()).then(|| value.to_owned());
            match key.trim() {
                "result" => {
                    status.result = match value {
                        "pass" => JobResult::Pass,
                        "fail" => JobResult::Fail,
                        _ => JobResult::Unreadable,
                    }
                }
                "finished_at" => status.finished_at = owned,
                "object" => status.object = owned,
                "sha256" => status.sha256 = owned,
                "detail" => status.detail = owned,
                "quiesce_seconds" => {
                    status.quiesce = value
                        .parse::<f64>()
                        .ok()
                        .and_then(|s| Duration::try_from_secs_f64(s).ok());
                }
                _ => {}
            }
        }
        status
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_is_read_and_unknown_keys_are_ignored() {
        let s = JobStatus::parse(
            "# written by hardened-backup-verify\nresult=fail\nfinished_at=2026-01-01T00:00:00Z\n\
             object=a/b\nsha256=00ff\ndetail=checksum mismatch: a/b\nfuture=1\n",
        );
        assert_eq!(s.result, JobResult::Fail);
        assert_eq!(s.object.as_deref(), Some("a/b"));
        assert_eq!(s.sha256.as_deref(), Some("00ff"));
        assert_eq!(s.detail.as_deref(), Some("checksum mismatch: a/b"));
        assert_eq!(
            JobStatus::parse("result=maybe").result,
            JobResult::Unreadable
        );
        assert_eq!(JobStatus::parse("").finished_at, None);
        assert_eq!(s.quiesce, None);
        for bad in ["-1", "nan", "inf", "soon"] {
            let q = JobStatus::parse(&format!("quiesce_seconds={bad}")).quiesce;
            assert_eq!(q, None, "{bad}");
        }
        let q = JobStatus::parse("quiesce_seconds=0.50").quiesce;
        assert_eq!(q, Some(Duration::from_millis(500)));
    }
}
