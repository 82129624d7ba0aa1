//! Stale snapshot cleanup (runbook 1.7: delete debug snapshots within 48 hours).

use std::time::Duration;

use futures::TryStreamExt;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::labels::LabelSelector;
use crate::models::Timestamp;
use crate::models::image::Image;
use crate::resources::images::ListImages;

/// One snapshot the cleanup deleted (or would delete, in a dry run).
#[derive(Debug, Clone, PartialEq)]
pub struct DeletedSnapshot {
    /// Image id.
    pub id: u64,
    /// Description.
    pub description: String,
    /// Creation time.
    pub created: Timestamp,
    /// Age when deleted.
    pub age: Duration,
}

/// What a cleanup did.
#[derive(Debug, Default)]
pub struct CleanupReport {
    /// Snapshots deleted (or, in a dry run, that would be).
    pub deleted: Vec<DeletedSnapshot>,
    /// Matching snapshots young enough to keep.
    pub kept: usize,
    /// Deletions that failed, with their errors (the cleanup goes on after a failure).
    pub failed: Vec<(u64, Error)>,
}

/// Picks the snapshots older than `max_age` at `now` (pure).
pub fn stale(images: &[Image], max_age: Duration, now: Timestamp) -> Vec<DeletedSnapshot> {
    images
        .iter()
        .filter_map(|image| {
            let age = (now - image.created).to_std().ok()?;
            (age > max_age).then(|| DeletedSnapshot {
                id: image.id,
                description: image.description.clone(),
                created: image.created,
                age,
            })
        })
        .collect()
}

impl Client {
    /// Deletes snapshots matching `selector` that are older than `max_age`, oldest first,
    /// and reports what it deleted, kept and failed to delete. With `dry_run`, nothing is
    /// deleted and the report lists what would be.
    ///
    /// # Errors
    /// An invalid selector (nothing sent) or an error listing the snapshots.
    pub async fn cleanup_stale_snapshots(
        &self,
        selector: &LabelSelector,
        max_age: Duration,
        now: Timestamp,
        dry_run: bool,
    ) -> Result<CleanupReport> {
        let mut filter = ListImages::snapshots();
        filter.params = filter.params.selector(selector.clone()).sort("created:asc");
        let images: Vec<Image> = self.images().stream(filter)?.try_collect().await?;
        let candidates = stale(&images, max_age, now);
        let mut report = CleanupReport {
            kept: images.len() - candidates.len(),
            ..CleanupReport::default()
        };
        for snapshot in candidates {
            if dry_run {
                report.deleted.push(snapshot);
                continue;
            }
            match self.images().delete(snapshot.id).await {
                Ok(()) => {
                    tracing::info!(
                        id = snapshot.id,
                        age_hours = snapshot.age.as_secs() / 3600,
                        "deleted stale snapshot"
                    );
                    report.deleted.push(snapshot);
                }
                Err(e) if e.is_not_found() => report.deleted.push(snapshot),
                Err(e) => report.failed.push((snapshot.id, e)),
            }
        }
        Ok(report)
    }
}
