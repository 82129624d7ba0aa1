//! Quarantine a compromised host, contain first, and release it again.
//!
//! [`quarantine`] works in this order, so the host loses its network before anything slow
//! happens:
//!
//! 1. **Contain** ([`hetzner_client::Client::quarantine`]): the deny-all firewall goes on the
//!    server with the first mutating request; then the labels through which label-selector
//!    firewalls apply are held, and every directly applied allow firewall is removed. The
//!    flow waits until the firewall changes are applied.
//! 2. **DNS**: the instance's `A` and `AAAA` records are removed, so no traffic is routed
//!    to it.
//! 3. **Forensics**: a snapshot labelled `forensics=true` and `instance=<id>`, kept by
//!    [`release`] and by [`crate::retire`].
//!
//! The [`QuarantineReport`] says what was done and what remains (rotating credentials and
//! rebuilding stay manual, as in the runbook). [`release`] reverses it: the instance's own
//! firewall back, held labels back, deny-all detached, proxied DNS records re-created.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> fleet_flows::Result<()> {
//! use fleet_flows::provision::{ProvisionRequest, provision};
//! use fleet_flows::quarantine::{quarantine, release};
//! use fleet_flows::{Backends, Progress};
//!
//! let backends = Backends::simulated("example.com")?;
//! # backends.hetzner_sim.as_ref().unwrap().set_action_duration(std::time::Duration::from_millis(10));
//! let request = ProvisionRequest::new("inst-0042", "acme", "example.com");
//! provision(&backends, &request, &Progress::silent()).await?;
//! let report = quarantine(&backends, &request, &Progress::silent()).await?;
//! assert!(report.contained() && report.snapshot_id.is_some());
//! release(&backends, &request, &Progress::silent()).await?;
//! # Ok(()) }
//! ```

use std::fmt;

use cloudflare_client::resources::dns::{DnsFilter, RecordType};
use hetzner_client::resources::ListParams;
use hetzner_client::resources::images::ListImages;
use hetzner_client::{LabelSelector, Labels};
use hetzner_client::helpers::quarantine::{HELD_LABEL_PREFIX, QUARANTINE_FIREWALL, held_labels};
use hetzner_client::models::firewall::ApplyTo;
use hetzner_client::models::server::Server;
use hetzner_client::resources::common::Update;
use hetzner_client::resources::servers::CreateImage;

use crate::backends::Backends;
use crate::error::{Error, Result};
use crate::instance::{INSTANCE_LABEL, Instance};
use crate::progress::Progress;
use crate::provision::{
    ProvisionRequest, RecordChange, ensure_record, find_server, server_ipv6_address,
};

/// Label marking forensic snapshots (kept by release and retire).
pub const FORENSICS_LABEL: &str = "forensics";

/// A DNS record a flow removed or re-created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordLine {
    /// Record id.
    pub id: String,
    /// `<subdomain>.<zone>`.
    pub name: String,
    /// The address it pointed to.
    pub content: String,
}

/// What [`quarantine`] did, and what remains.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct QuarantineReport {
    /// The instance.
    pub instance: Instance,
    /// The server.
    pub server_id: u64,
    /// The deny-all firewall.
    pub deny_firewall_id: u64,
    /// Allow firewalls removed from the server directly.
    pub removed_firewalls: Vec<u64>,
    /// Label-selector firewalls detached by holding the labels they matched.
    pub detached_by_labels: Vec<u64>,
    /// The labels held under `held.quarantine/` (restored by [`release`]).
    pub held_labels: Vec<(String, String)>,
    /// DNS records removed.
    pub removed_records: Vec<RecordLine>,
    /// The forensic snapshot (`None` when it could not be taken; see `remaining`).
    pub snapshot_id: Option<u64>,
    /// What the flow could not do and is left to the operator, one line each.
    pub remaining: Vec<String>,
}

impl QuarantineReport {
    /// True when only the deny-all firewall is left on the server.
    pub fn contained(&self) -> bool {
        !self
            .remaining
            .iter()
            .any(|line| line.starts_with(STILL_APPLIED))
    }
}

const STILL_APPLIED: &str = "still applied through label selectors";

impl fmt::Display for QuarantineReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "instance      {}", self.instance)?;
        writeln!(f, "server        {}", self.server_id)?;
        writeln!(
            f,
            "contained     deny-all firewall {}; removed {:?}; detached by labels {:?}",
            self.deny_firewall_id, self.removed_firewalls, self.detached_by_labels
        )?;
        for (k, v) in &self.held_labels {
            writeln!(f, "held label    {k}={v} (as {HELD_LABEL_PREFIX}{k})")?;
        }
        for r in &self.removed_records {
            writeln!(f, "dns removed   {} {} -> {}", r.id, r.name, r.content)?;
        }
        match self.snapshot_id {
            Some(id) => writeln!(f, "snapshot      {id} (forensics, kept)")?,
            None => writeln!(f, "snapshot      none")?,
        }
        for line in &self.remaining {
            writeln!(f, "remaining     {line}")?;
        }
        Ok(())
    }
}

/// What [`release`] did, one line per change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Steps(pub Vec<String>);

async fn target(
    backends: &Backends,
    request: &ProvisionRequest,
) -> Result<(Instance, Server, String)> {
    request.validate()?;
    let instance = request.instance()?;
    let server = find_server(backends, &instance)
        .await?
        .ok_or_else(|| Error::State(format!("no server carries {INSTANCE_LABEL}={instance}")))?;
    let zone = backends
        .cloudflare
        .zones()
        .get_by_name(&request.zone)
        .await?
        .ok_or_else(|| Error::State(format!("Cloudflare zone {} not found", request.zone)))?;
    Ok((instance, server, zone.id))
}

/// Quarantines the instance of `request` (its id, subdomain and zone are used): contain, then
/// DNS, then the forensic snapshot. See the [module documentation](self).
///
/// Running it again on a quarantined instance changes no firewall, removes no further record
/// and takes another snapshot.
///
/// # Errors
/// A rejected field (nothing sent), [`Error::State`] when the instance or zone is missing, or
/// the API's error. A failure after containment leaves the host contained.
pub async fn quarantine(
    backends: &Backends,
    request: &ProvisionRequest,
    progress: &Progress,
) -> Result<QuarantineReport> {
    let (instance, server, zone_id) = target(backends, request).await?;
    let hetzner = &backends.hetzner;

    progress.step(format!("containing server {}: deny-all firewall first", server.id));
    let outcome = hetzner.quarantine(server.id).await?;
    progress
        .wait("firewall changes", hetzner.actions().wait_for(&outcome.actions))
        .await?;
    let mut remaining = Vec::new();
    if !outcome.still_applied.is_empty() {
        remaining.push(format!(
            "{STILL_APPLIED} {:?}: change those selectors by hand",
            outcome.still_applied
        ));
    }
    for (k, v) in &outcome.dropped_labels {
        remaining.push(format!("label {k}={v} was removed; put it back by hand after release"));
    }

    let dns = backends.cloudflare.dns(&zone_id);
    let fqdn = request.fqdn();
    progress.step(format!("removing DNS records for {fqdn}"));
    let mut removed_records = Vec::new();
    for record_type in [RecordType::A, RecordType::Aaaa] {
        let filter = DnsFilter {
            record_type: Some(record_type),
            name: Some(fqdn.clone()),
            ..DnsFilter::default()
        };
        for record in dns.list_all(&filter).await? {
            dns.delete(&record.id).await?;
            removed_records.push(RecordLine {
                id: record.id,
                name: record.name,
                content: record.content,
            });
        }
    }

    progress.step(format!("snapshotting server {} for forensics", server.id));
    let snapshot_id = forensic_snapshot(backends, &instance, server.id, progress).await?;
    remaining.push("rotate the host's credentials and rebuild it (runbook 9.5)".to_owned());

    Ok(QuarantineReport {
        instance,
        server_id: server.id,
        deny_firewall_id: outcome.firewall_id,
        removed_firewalls: outcome.removed_firewalls,
        detached_by_labels: outcome.detached_by_labels,
        held_labels: outcome.held_labels,
        removed_records,
        snapshot_id: Some(snapshot_id),
        remaining,
    })
}

/// Label tying a forensic snapshot to the run that took it, so a create whose answer was lost
/// is found instead of repeated.
const RUN_LABEL: &str = "forensics-run";

/// Takes the forensic snapshot of `server_id` and waits for it. A request whose outcome is
/// unknown (lost connection, timeout, 5xx) is reconciled by the run's label before it is
/// repeated, so one run makes one snapshot.
async fn forensic_snapshot(
    backends: &Backends,
    instance: &Instance,
    server_id: u64,
    progress: &Progress,
) -> Result<u64> {
    let hetzner = &backends.hetzner;
    let run: String = {
        use rand::Rng as _;
        let n: u64 = rand::rng().random();
        format!("{n:016x}")
    };
    let labels = Labels::new()
        .with(FORENSICS_LABEL, "true")?
        .with(INSTANCE_LABEL, instance.as_str())?
        .with(RUN_LABEL, run.as_str())?;
    let request = CreateImage {
        description: Some(format!(
            "forensics {instance} {}",
            chrono::Utc::now().format("%Y-%m-%dT%H:%MZ")
        )),
        backup: false,
        labels,
    };
    let mut attempts = 0;
    loop {
        attempts += 1;
        match hetzner.servers().create_image(server_id, &request).await {
            Ok(created) => {
                progress
                    .wait("snapshot", hetzner.actions().wait_for(&[created.action]))
                    .await?;
                return Ok(created.image.id);
            }
            Err(err) if err.may_have_been_applied() && attempts < 4 => {
                let filter = ListImages {
                    params: ListParams::default()
                        .selector(LabelSelector::new().eq(RUN_LABEL, run.as_str())),
                    ..ListImages::snapshots()
                };
                if let Some(image) = hetzner.images().list(filter).await?.complete()?.pop() {
                    return Ok(image.id);
                }
            }
            Err(err) if err.is_retryable() && attempts < 4 => {}
            Err(err) => return Err(err.into()),
        }
    }
}

/// Reverses [`quarantine`]: own firewall back, held labels back, deny-all detached, proxied DNS
/// records re-created. The forensic snapshot is kept. Idempotent.
///
/// # Errors
/// [`Error::State`] when the instance, its firewall or its IPv4 is missing, or the API's error.
pub async fn release(
    backends: &Backends,
    request: &ProvisionRequest,
    progress: &Progress,
) -> Result<Steps> {
    let (instance, server, zone_id) = target(backends, request).await?;
    let hetzner = &backends.hetzner;
    let mut steps = Vec::new();
    let own = hetzner
        .firewalls()
        .get_by_name(&instance.firewall_name())
        .await?
        .ok_or_else(|| {
            Error::State(format!("firewall {} not found", instance.firewall_name()))
        })?;
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
    let held = held_labels(&server.labels);
    if !held.is_empty() {
        let mut labels = server.labels.clone();
        for (key, value) in &held {
            labels.remove(&format!("{HELD_LABEL_PREFIX}{key}"));
            labels.insert(key.as_str(), value.as_str())?;
        }
        let spec = Update::default()
            .labels(labels)
            .request(&format!("/servers/{}", server.id))?;
        hetzner.execute(&spec).await?;
        steps.push(format!("labels restored: {held:?}"));
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
        let out = ensure_record(
            backends,
            &zone_id,
            &request.fqdn(),
            record_type,
            &address,
            &instance,
        )
        .await?;
        if out.change == RecordChange::Created {
            steps.push(format!(
                "DNS record {} {} -> {} re-created",
                out.record.id, out.record.name, out.record.content
            ));
        }
    }
    if steps.is_empty() {
        steps.push("nothing to release: the instance is not quarantined".to_owned());
    }
    Ok(Steps(steps))
}
