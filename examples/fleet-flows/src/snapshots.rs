//! `cleanup-snapshots`: delete snapshots past their age, by label, dry-run by default.

use std::time::Duration;

use hetzner_client::LabelSelector;
use hetzner_client::helpers::snapshots::CleanupReport;

use crate::backends::Backends;
use crate::error::{Error, Result};

/// The largest age accepted, in hours (100 years): beyond it no snapshot can be stale, and
/// the arithmetic on timestamps would overflow.
pub const MAX_AGE_HOURS: u64 = 100 * 365 * 24;

/// `hours` as a [`Duration`], refused when it is 0 (every snapshot would be stale) or above
/// [`MAX_AGE_HOURS`] (it would overflow; a wrapped value would make nearly every snapshot
/// stale).
///
/// ```
/// use fleet_flows::snapshots::max_age_hours;
/// assert_eq!(max_age_hours(48)?.as_secs(), 48 * 3600);
/// let err = max_age_hours(u64::MAX).unwrap_err();
/// assert!(err.to_string().starts_with("invalid older_than_hours:"));
/// # Ok::<(), fleet_flows::Error>(())
/// ```
///
/// # Errors
/// [`Error::Invalid`] naming `older_than_hours`.
pub fn max_age_hours(hours: u64) -> Result<Duration> {
    if hours == 0 || hours > MAX_AGE_HOURS {
        return Err(Error::invalid(
            "older_than_hours",
            format!("must be 1 to {MAX_AGE_HOURS} hours"),
        ));
    }
    Ok(Duration::from_secs(hours * 3600))
}

/// Deletes (or with `dry_run` only lists) the snapshots matching `selector` that are older
/// than `max_age`.
///
/// # Errors
/// An invalid selector (nothing sent) or the API's error listing snapshots.
pub async fn cleanup(
    backends: &Backends,
    selector: &LabelSelector,
    max_age: Duration,
    dry_run: bool,
) -> Result<CleanupReport> {
    Ok(backends
        .hetzner
        .cleanup_stale_snapshots(selector, max_age, chrono::Utc::now(), dry_run)
        .await?)
}

/// Human-readable lines for a report.
pub fn describe(report: &CleanupReport, dry_run: bool) -> Vec<String> {
    let verb = if dry_run { "would delete" } else { "deleted" };
    let mut lines: Vec<String> = report
        .deleted
        .iter()
        .map(|s| {
            format!(
                "{verb} snapshot {} ({}h old): {}",
                s.id,
                s.age.as_secs() / 3600,
                s.description
            )
        })
        .collect();
    for (id, err) in &report.failed {
        lines.push(format!("failed to delete snapshot {id}: {err}"));
    }
    lines.push(format!(
        "{} {verb}, {} kept, {} failed",
        report.deleted.len(),
        report.kept,
        report.failed.len()
    ));
    if dry_run && !report.deleted.is_empty() {
        lines.push("dry run: pass --yes to delete".to_owned());
    }
    lines
}
