//! `quarantine`: the compromised-host steps the SDK can take, and their reversal.
//!
//! Quarantine: remove the instance's DNS records, `A` and `AAAA` (traffic stops reaching it over
//! IPv4 and IPv6), take a snapshot
//! for forensics (labelled `forensics=true`, kept on release), and replace its firewalls with
//! the deny-all firewall. Release: put the instance's own firewall back, detach the deny-all
//! firewall and re-create the proxied DNS records. Rotating credentials and rebuilding the host
//! remain manual, as in the runbook.

use cloudflare_client::resources::dns::{DnsFilter, RecordType};
use hetzner_client::Labels;
use hetzner_client::helpers::quarantine::QUARANTINE_FIREWALL;
use hetzner_client::models::firewall::ApplyTo;
use hetzner_client::resources::servers::CreateImage;

use crate::backends::Backends;
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::provision::{
    INSTANCE_LABEL, ProvisionRequest, ensure_record, find_server, server_ipv6_address,
};

/// What a quarantine or release did, one line per step.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Steps(pub Vec<String>);

async fn target(
    backends: &Backends,
    request: &ProvisionRequest,
) -> Result<(hetzner_client::models::server::Server, String)> {
    request.validate()?;
    let server = find_server(backends, &request.instance_id)
        .await?
        .ok_or_else(|| {
            Error::State(format!(
                "no server carries instance={}",
                request.instance_id
            ))
        })?;
    let zone = backends
        .cloudflare
        .zones()
        .get_by_name(&request.zone)
        .await?
        .ok_or_else(|| Error::State(format!("Cloudflare zone {} not found", request.zone)))?;
    Ok((server, zone.id))
}

/// Quarantines the instance of `request` (its id, subdomain and zone are used).
///
/// # Errors
/// [`Error::State`] when the instance or zone is missing, or the API's error.
pub async fn quarantine(
    backends: &Backends,
    request: &ProvisionRequest,
    progress: &Progress,
) -> Result<Steps> {
    let (server, zone_id) = target(backends, request).await?;
    let mut steps = Vec::new();
    let dns = backends.cloudflare.dns(&zone_id);
    let fqdn = request.fqdn();
    progress.step(format!("removing DNS records for {fqdn}"));
    for record_type in [RecordType::A, RecordType::Aaaa] {
        let filter = DnsFilter {
            record_type: Some(record_type),
            name: Some(fqdn.clone()),
            ..DnsFilter::default()
        };
        for record in dns.list_all(&filter).await? {
            dns.delete(&record.id).await?;
            steps.push(format!(
                "removed DNS record {} {} -> {}",
                record.id, record.name, record.content
            ));
        }
    }

    progress.step(format!("snapshotting server {} for forensics", server.id));
    let labels = Labels::new()
        .with("forensics", "true")?
        .with(INSTANCE_LABEL, request.instance_id.as_str())?;
    let snapshot = backends
        .hetzner
        .servers()
        .create_image(
            server.id,
            &CreateImage {
                description: Some(format!(
                    "forensics {} {}",
                    request.instance_id,
                    chrono::Utc::now().format("%Y-%m-%dT%H:%MZ")
                )),
                backup: false,
                labels,
            },
        )
        .await?;
    progress
        .wait(
            "snapshot",
            backends.hetzner.actions().wait_for(&[snapshot.action]),
        )
        .await?;
    steps.push(format!("forensic snapshot {}", snapshot.image.id));

    progress.step("applying the deny-all firewall");
    let outcome = backends.hetzner.quarantine(server.id).await?;
    progress
        .wait(
            "firewall changes",
            backends.hetzner.actions().wait_for(&outcome.actions),
        )
        .await?;
    let mut removed = outcome.removed_firewalls.clone();
    let mut leftover = outcome.selector_firewalls.clone();
    // The instance's own firewall was applied to the server directly (at creation). Should it
    // still be listed as applied, detach it explicitly: an allow rule left in place would
    // defeat the deny-all firewall.
    if let Some(own) = backends
        .hetzner
        .firewalls()
        .get_by_name(&request.firewall_name())
        .await?
        .filter(|fw| leftover.contains(&fw.id))
    {
        let actions = backends
            .hetzner
            .firewalls()
            .remove_from_resources(own.id, &[ApplyTo::server(server.id)])
            .await?;
        progress
            .wait(
                "firewall changes",
                backends.hetzner.actions().wait_for(&actions),
            )
            .await?;
        leftover.retain(|id| *id != own.id);
        removed.push(own.id);
    }
    steps.push(format!(
        "deny-all firewall {} applied; removed firewalls {removed:?}",
        outcome.firewall_id
    ));
    if !leftover.is_empty() {
        steps.push(format!(
            "still applied through label selectors (detach by hand): {leftover:?}"
        ));
    }
    Ok(Steps(steps))
}

/// Reverses [`quarantine`]: own firewall back, deny-all detached, DNS record re-created. The
/// forensic snapshot is kept.
///
/// # Errors
/// [`Error::State`] when the instance, its firewall or its IPv4 is missing, or the API's error.
pub async fn release(
    backends: &Backends,
    request: &ProvisionRequest,
    progress: &Progress,
) -> Result<Steps> {
    let (server, zone_id) = target(backends, request).await?;
    let hetzner = &backends.hetzner;
    let mut steps = Vec::new();
    let own = hetzner
        .firewalls()
        .get_by_name(&request.firewall_name())
        .await?
        .ok_or_else(|| Error::State(format!("firewall {} not found", request.firewall_name())))?;
    let applied = |id: u64| server.public_net.firewalls.iter().any(|f| f.id == id);
    let mut actions = Vec::new();
    if !applied(own.id) {
        actions.extend(
            hetzner
                .firewalls()
                .apply_to_resources(own.id, &[ApplyTo::server(server.id)])
                .await?,
        );
        steps.push(format!("firewall {} re-applied", own.id));
    }
    if let Some(deny) = hetzner
        .firewalls()
        .get_by_name(QUARANTINE_FIREWALL)
        .await?
        .filter(|fw| applied(fw.id))
    {
        actions.extend(
            hetzner
                .firewalls()
                .remove_from_resources(deny.id, &[ApplyTo::server(server.id)])
                .await?,
        );
        steps.push(format!("deny-all firewall {} detached", deny.id));
    }
    progress
        .wait("firewall changes", hetzner.actions().wait_for(&actions))
        .await?;
    let address = server
        .public_net
        .ipv4
        .as_ref()
        .map(|ip| ip.ip.clone())
        .ok_or_else(|| Error::State(format!("server {} has no public IPv4", server.id)))?;
    let mut records = vec![(RecordType::A, address)];
    if let Some(v6) = server_ipv6_address(&server)? {
        records.push((RecordType::Aaaa, v6));
    }
    for (record_type, address) in records {
        let (record, created, _) = ensure_record(
            backends,
            &zone_id,
            &request.fqdn(),
            record_type,
            &address,
            &request.instance_id,
        )
        .await?;
        if created {
            steps.push(format!(
                "DNS record {} {} -> {} re-created",
                record.id, record.name, record.content
            ));
        }
    }
    if steps.is_empty() {
        steps.push("nothing to release: the instance is not quarantined".to_owned());
    }
    Ok(Steps(steps))
}
