//! Cloud side of a policy change: every fleet firewall on Hetzner brought to the rules the
//! new policy renders, in batches within the shared rate budget.

use futures::StreamExt as _;
use hardening_model::IpNet;
use hardening_model::presets;
use hardening_model::values::Port;
use hetzner_client::models::firewall::{Firewall, FirewallRule};
use hetzner_client::resources::ListParams;
use hetzner_client::{LabelSelector, policy::rules_from_policy};

use crate::backends::Backends;
use crate::error::{Error, Result};
use crate::instance::INSTANCE_LABEL;
use crate::provision::{MANAGED_BY, MANAGED_BY_LABEL, SSH_PORT_LABEL};

/// The fleet-wide sources every host firewall is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetRanges {
    /// Where administrators connect from (SSH).
    pub admin_sources: Vec<IpNet>,
    /// Cloudflare's edge ranges (HTTPS).
    pub cloudflare_ranges: Vec<IpNet>,
}

impl FleetRanges {
    /// The Hetzner rules of a host whose sshd listens on `ssh_port`: the same
    /// `presets::firewall::baseline` the host's ufw and nftables come from.
    ///
    /// # Errors
    /// A rejected value, naming its field (e.g. `firewall.cloudflare_ranges`).
    pub fn hetzner_rules(&self, ssh_port: Port) -> Result<Vec<FirewallRule>> {
        let policy = presets::firewall::baseline(
            ssh_port,
            &self.admin_sources,
            &self.cloudflare_ranges,
            None,
        )?;
        Ok(rules_from_policy(&policy.hetzner_rules()?)?)
    }
}

/// What [`converge_firewalls`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FirewallConvergence {
    /// Fleet firewalls looked at.
    pub examined: usize,
    /// Ids of those whose rules were replaced.
    pub updated: Vec<u64>,
    /// Those already matching.
    pub unchanged: usize,
}

/// Rules compared as a set (the API may return them in another order).
pub(crate) fn same_rules(a: &[FirewallRule], b: &[FirewallRule]) -> bool {
    let key = |rules: &[FirewallRule]| {
        let mut v: Vec<String> = rules
            .iter()
            .map(|r| {
                let mut r = r.clone();
                r.source_ips.sort();
                r.destination_ips.sort();
                serde_json::to_string(&r).unwrap_or_default()
            })
            .collect();
        v.sort();
        v
    };
    key(a) == key(b)
}

/// The fleet's per-instance firewalls (`managed-by=hardened-fleet`, named `fw-<instance>`,
/// carrying the `ssh-port` label).
///
/// # Errors
/// The API's error.
pub async fn fleet_firewalls(backends: &Backends) -> Result<Vec<Firewall>> {
    let params =
        ListParams::default().selector(LabelSelector::new().eq(MANAGED_BY_LABEL, MANAGED_BY));
    let mut stream = backends.hetzner.firewalls().stream(&params)?;
    let mut out = Vec::new();
    while let Some(fw) = stream.next().await {
        let fw = fw?;
        let is_instance_fw = fw
            .labels
            .get(INSTANCE_LABEL)
            .is_some_and(|id| fw.name == format!("fw-{id}"));
        if is_instance_fw && fw.labels.get(SSH_PORT_LABEL).is_some() {
            out.push(fw);
        }
    }
    Ok(out)
}

/// The SSH port a fleet firewall was made for.
pub(crate) fn ssh_port_of(fw: &Firewall) -> Result<Port> {
    fw.labels
        .get(SSH_PORT_LABEL)
        .and_then(|p| p.parse::<u16>().ok())
        .and_then(|p| Port::new(p).ok())
        .ok_or_else(|| Error::State(format!("firewall {} has no valid ssh-port label", fw.id)))
}

/// Brings every fleet firewall to the rules `ranges` render: one paginated listing, then
/// `set_rules` only where the rules differ, `batch` firewalls at a time (1-50), waiting for
/// each batch's actions before the next. Every request goes through the client's rate gate,
/// so the run shares (and never overdraws) the project's budget with every other flow.
///
/// [`converge_cloud`] runs it together with the Cloudflare side of the same change.
///
/// # Errors
/// `batch` outside 1-50 ([`Error::Invalid`], nothing sent), a rejected range, or the API's
/// error (firewalls of earlier batches keep their new rules; a rerun continues).
pub async fn converge_firewalls(
    backends: &Backends,
    ranges: &FleetRanges,
    batch: usize,
) -> Result<FirewallConvergence> {
    if !(1..=50).contains(&batch) {
        return Err(Error::invalid("batch", "must be between 1 and 50"));
    }
    // reject bad ranges before the first request
    ranges.hetzner_rules(Port::new(22)?)?;
    let firewalls = fleet_firewalls(backends).await?;
    let mut out = FirewallConvergence {
        examined: firewalls.len(),
        ..FirewallConvergence::default()
    };
    let mut todo = Vec::new();
    for fw in &firewalls {
        let want = ranges.hetzner_rules(ssh_port_of(fw)?)?;
        if same_rules(&fw.rules, &want) {
            out.unchanged += 1;
        } else {
            todo.push((fw.id, want));
        }
    }
    let hetzner = &backends.hetzner;
    for chunk in todo.chunks(batch) {
        let calls = chunk
            .iter()
            .map(|(id, rules)| async move { hetzner.firewalls().set_rules(*id, rules).await });
        let results = futures::future::join_all(calls).await;
        let mut actions = Vec::new();
        for ((id, _), result) in chunk.iter().zip(results) {
            actions.extend(result?);
            out.updated.push(*id);
        }
        if !actions.is_empty() {
            hetzner.actions().wait_for(&actions).await?;
        }
    }
    Ok(out)
}

/// The runbook preset's options for a fleet policy: `ranges.admin_sources` become the account
/// list `$admin_ips` and the custom rule that keeps the admin paths to them.
pub(crate) fn zone_options(
    ranges: &FleetRanges,
) -> cloudflare_client::hardening::preset::RunbookOptions {
    cloudflare_client::hardening::preset::RunbookOptions {
        admin_ips: ranges
            .admin_sources
            .iter()
            .map(ToString::to_string)
            .collect(),
        ..Default::default()
    }
}

/// What [`converge_cloud`] did on both providers.
#[derive(Debug, Clone, PartialEq)]
pub struct CloudConvergence {
    /// The Cloudflare zone preset: list `$admin_ips` and the rules, planned, applied and
    /// planned again (its `after` plan is empty when the zone matches).
    pub zone: crate::zone::ZoneOutcome,
    /// The Hetzner firewalls.
    pub firewalls: FirewallConvergence,
}

/// A policy change on both providers, in one run and through both clients' rate gates: the
/// Cloudflare zone preset with `ranges.admin_sources` as its admin list (the account list
/// `$admin_ips` and the custom rule that uses it are planned, changed only where they differ,
/// and planned again), then every fleet firewall ([`converge_firewalls`]).
///
/// Cloudflare's own edge ranges are enforced at the origin (Hetzner firewall here; ufw,
/// nftables and Caddy through the host bundle); no Cloudflare rule or list holds them, so a
/// change of only those ranges leaves the zone's plan empty and costs its read requests only.
///
/// # Errors
/// As [`crate::zone::harden_zone_with`] and [`converge_firewalls`]; a bad range or batch is
/// refused before anything is sent.
pub async fn converge_cloud(
    backends: &Backends,
    zone: &str,
    ranges: &FleetRanges,
    batch: usize,
    progress: &crate::Progress,
) -> Result<CloudConvergence> {
    if !(1..=50).contains(&batch) {
        return Err(Error::invalid("batch", "must be between 1 and 50"));
    }
    ranges.hetzner_rules(Port::new(22)?)?;
    let zone =
        crate::zone::harden_zone_with(backends, zone, &zone_options(ranges), false, progress)
            .await?;
    let firewalls = converge_firewalls(backends, ranges, batch).await?;
    Ok(CloudConvergence { zone, firewalls })
}
