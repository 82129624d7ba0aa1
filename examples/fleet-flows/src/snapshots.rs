//! `cleanup-snapshots`: delete snapshots past their age, by label, dry-run by default.

use std::time::Duration;

use hetzner_client::LabelSelector;
use hetzner_client::helpers::snapshots::CleanupReport;

use crate::backends::Backends;
use crate::error::Result;

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
