//! `harden-zone`: plan the runbook's zone preset against a zone, apply it, and plan again.

use cloudflare_client::hardening::preset::{self, RunbookOptions};
use cloudflare_client::hardening::{self, ApplyReport, Plan};

use crate::backends::Backends;
use crate::error::{Error, Result};
use crate::progress::Progress;

/// What `harden-zone` did.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneOutcome {
    /// The diff before applying.
    pub plan: Plan,
    /// What apply sent (`None` with `dry_run`).
    pub applied: Option<ApplyReport>,
    /// The diff after applying (`None` with `dry_run`); empty when the zone matches the preset.
    pub after: Option<Plan>,
}

/// Plans the runbook preset for the zone named `zone` (on its own plan tier) and, unless
/// `dry_run`, applies it and plans again to show that nothing is left to change.
///
/// # Errors
/// [`Error::State`] when the zone is not visible to the token, or the API's error.
pub async fn harden_zone(
    backends: &Backends,
    zone: &str,
    dry_run: bool,
    progress: &Progress,
) -> Result<ZoneOutcome> {
    harden_zone_with(
        backends,
        zone,
        &RunbookOptions::default(),
        dry_run,
        progress,
    )
    .await
}

/// [`harden_zone`] with preset options (e.g. admin addresses, which go into the account list
/// `$admin_ips` that keeps `/admin` to them).
///
/// # Errors
/// As [`harden_zone`]; an admin address that is not an IP or CIDR is rejected before anything
/// is sent.
pub async fn harden_zone_with(
    backends: &Backends,
    zone: &str,
    options: &RunbookOptions,
    dry_run: bool,
    progress: &Progress,
) -> Result<ZoneOutcome> {
    let cf = &backends.cloudflare;
    let found = cf
        .zones()
        .get_by_name(zone)
        .await?
        .ok_or_else(|| Error::State(format!("Cloudflare zone {zone} not found")))?;
    let desired = preset::runbook(&found.plan_tier(), options)?;
    progress.step(format!("planning the runbook preset for {zone}"));
    let plan = hardening::plan(cf, &found.id, &desired).await?;
    if dry_run || plan.is_empty() {
        return Ok(ZoneOutcome {
            after: (!dry_run).then(|| plan.clone()),
            applied: (!dry_run).then(ApplyReport::default),
            plan,
        });
    }
    progress.step(format!("applying {} change(s)", plan.changes.len()));
    let applied = hardening::apply(cf, &plan).await?;
    let after = hardening::plan(cf, &found.id, &desired).await?;
    Ok(ZoneOutcome {
        plan,
        applied: Some(applied),
        after: Some(after),
    })
}

/// Human-readable lines for an outcome.
pub fn describe(outcome: &ZoneOutcome) -> Vec<String> {
    let mut lines = Vec::new();
    if outcome.plan.is_empty() {
        lines.push("no change: the zone already matches the preset".to_owned());
    }
    for change in &outcome.plan.changes {
        lines.push(format!("change: {change}"));
    }
    for u in &outcome.plan.unsupported {
        lines.push(format!(
            "skipped (plan {:?} cannot take it): {u}",
            outcome.plan.tier
        ));
    }
    if let Some(applied) = &outcome.applied {
        lines.push(format!("applied: {} write(s)", applied.writes));
    }
    if let Some(after) = &outcome.after {
        lines.push(if after.is_empty() {
            "re-plan: no change".to_owned()
        } else {
            format!("re-plan: {} change(s) left", after.changes.len())
        });
    }
    lines
}
