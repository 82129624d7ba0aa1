//! Retire (deprovision) an instance: DNS records, server, firewall and public IPs go by a
//! stated [`RetirePolicy`]; forensic snapshots stay.
//!
//! Order: DNS first (no traffic is routed to a host that is going away), then the server
//! (its deletion releases the instance's firewall), then the firewall `fw-<id>`, then the
//! primary IPs the policy does not keep. Every step looks before it acts, so a second run, or
//! a run after a partial failure, finishes the job and creates nothing.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> fleet_flows::Result<()> {
//! use fleet_flows::provision::{ProvisionRequest, provision};
//! use fleet_flows::retire::{RetirePolicy, retire};
//! use fleet_flows::{Backends, Progress};
//!
//! let backends = Backends::simulated("example.com")?;
//! # backends.hetzner_sim.as_ref().unwrap().set_action_duration(std::time::Duration::from_millis(10));
//! let request = ProvisionRequest::new("inst-0042", "acme", "example.com");
//! provision(&backends, &request, &Progress::silent()).await?;
//! let first = retire(&backends, &request, RetirePolicy::default(), &Progress::silent()).await?;
//! assert!(first.server_id.is_some() && first.firewall_id.is_some());
//! let again = retire(&backends, &request, RetirePolicy::default(), &Progress::silent()).await?;
//! assert!(again.is_noop());
//! # Ok(()) }
//! ```

use std::fmt;

use cloudflare_client::resources::dns::{DnsFilter, RecordType};
use hetzner_client::LabelSelector;
use hetzner_client::resources::ListParams;
use hetzner_client::resources::common::Update;
use hetzner_client::resources::images::ListImages;

use crate::backends::Backends;
use crate::error::{Error, Result};
use crate::instance::{INSTANCE_LABEL, Instance};
use crate::progress::Progress;
use crate::provision::{ProvisionRequest, find_server};
use crate::quarantine::{FORENSICS_LABEL, RecordLine};

/// What happens to the server's public IPs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum IpRetention {
    /// Deleted with the server (also the ones set not to auto-delete).
    #[default]
    Delete,
    /// Kept: set not to auto-delete before the server goes, and listed in the report (they
    /// are billed until deleted by hand).
    Keep,
}

/// How [`retire`] treats what it does not simply delete.
///
/// Forensic snapshots (`forensics=true`) are always kept: they are evidence.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetirePolicy {
    /// The server's primary IPs.
    pub ips: IpRetention,
}

/// What [`retire`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetireReport {
    /// The instance.
    pub instance: Instance,
    /// DNS records removed.
    pub removed_records: Vec<RecordLine>,
    /// The server deleted, if there was one.
    pub server_id: Option<u64>,
    /// The firewall deleted, if there was one.
    pub firewall_id: Option<u64>,
    /// Primary IPs deleted (with or after the server).
    pub deleted_ips: Vec<u64>,
    /// Primary IPs kept by the policy.
    pub kept_ips: Vec<u64>,
    /// Forensic snapshots of the instance, kept.
    pub kept_snapshots: Vec<u64>,
}

impl RetireReport {
    /// True when nothing was left to remove.
    pub fn is_noop(&self) -> bool {
        self.removed_records.is_empty()
            && self.server_id.is_none()
            && self.firewall_id.is_none()
            && self.deleted_ips.is_empty()
    }
}

impl fmt::Display for RetireReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "instance      {}", self.instance)?;
        for r in &self.removed_records {
            writeln!(f, "dns removed   {} {} -> {}", r.id, r.name, r.content)?;
        }
        let or_none = |id: Option<u64>| id.map_or_else(|| "none left".to_owned(), |i| i.to_string());
        writeln!(f, "server        {} deleted", or_none(self.server_id))?;
        writeln!(f, "firewall      {} deleted", or_none(self.firewall_id))?;
        writeln!(f, "ips deleted   {:?}", self.deleted_ips)?;
        if !self.kept_ips.is_empty() {
            writeln!(f, "ips kept      {:?} (billed until deleted)", self.kept_ips)?;
        }
        writeln!(f, "snapshots     {:?} kept (forensics)", self.kept_snapshots)
    }
}

/// Retires the instance of `request` (its id, subdomain and zone are used). See the
/// [module documentation](self).
///
/// # Errors
/// A rejected field (nothing sent), [`Error::State`] when the zone is missing, or the API's
/// error; a re-run resumes where a failed run stopped.
pub async fn retire(
    backends: &Backends,
    request: &ProvisionRequest,
    policy: RetirePolicy,
    progress: &Progress,
) -> Result<RetireReport> {
    request.validate()?;
    let instance = request.instance()?;
    let hetzner = &backends.hetzner;
    let zone = backends
        .cloudflare
        .zones()
        .get_by_name(&request.zone)
        .await?
        .ok_or_else(|| Error::State(format!("Cloudflare zone {} not found", request.zone)))?;
    let server = find_server(backends, &instance).await?;

    let dns = backends.cloudflare.dns(&zone.id);
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

    let mut ip_ids = Vec::new();
    let mut kept_ips = Vec::new();
    let server_id = match server {
        Some(server) => {
            ip_ids.extend(server.public_net.ipv4.as_ref().and_then(|ip| ip.id));
            ip_ids.extend(server.public_net.ipv6.as_ref().and_then(|ip| ip.id));
            if policy.ips == IpRetention::Keep {
                for id in &ip_ids {
                    let update = Update::default().field("auto_delete", false.into());
                    hetzner.primary_ips().update(*id, &update).await?;
                    kept_ips.push(*id);
                }
            }
            progress.step(format!("deleting server {}", server.id));
            match hetzner.servers().delete(server.id).await {
                Ok(action) => {
                    progress
                        .wait("server deletion", hetzner.actions().wait_for(&[action]))
                        .await?;
                }
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e.into()),
            }
            Some(server.id)
        }
        None => None,
    };

    let fw_name = instance.firewall_name();
    let firewall_id = match hetzner.firewalls().get_by_name(&fw_name).await? {
        Some(fw) => {
            progress.step(format!("deleting firewall {fw_name}"));
            hetzner.firewalls().delete(fw.id).await?;
            Some(fw.id)
        }
        None => None,
    };

    let mut deleted_ips = Vec::new();
    if policy.ips == IpRetention::Delete {
        for id in ip_ids {
            match hetzner.primary_ips().get(id).await {
                Ok(ip) if ip.assignee_id.is_none() => {
                    hetzner.primary_ips().delete(id).await?;
                    deleted_ips.push(id);
                }
                Ok(_) => {}
                Err(e) if e.is_not_found() => deleted_ips.push(id),
                Err(e) => return Err(e.into()),
            }
        }
    }

    let forensic = ListImages {
        params: ListParams::default().selector(
            LabelSelector::new()
                .eq(FORENSICS_LABEL, "true")
                .eq(INSTANCE_LABEL, instance.as_str()),
        ),
        ..ListImages::snapshots()
    };
    let kept_snapshots = hetzner
        .images()
        .list(forensic)
        .await?
        .complete()?
        .into_iter()
        .map(|image| image.id)
        .collect();

    Ok(RetireReport {
        instance,
        removed_records,
        server_id,
        firewall_id,
        deleted_ips,
        kept_ips,
        kept_snapshots,
    })
}
