//! A whole fleet on the API simulators, for fleet-scale tests and the `bench-converge`
//! example: N instances (a labelled firewall and server each, as provisioning leaves them),
//! the zone hardened with the fleet's admin list, and one [`SimulatedHost`] per instance
//! holding bundle version 1. A policy change is then one [`SimulatedFleet::converge_cloud`]
//! (both providers, requests counted per provider) and one bundle every host pulls.

use std::collections::BTreeMap;
use std::time::Duration;

use cloudinit_builder::Secret;
use futures::{StreamExt as _, TryStreamExt as _};
use hardening_model::RenderedFile;
use hardening_model::converge::{Selector, Validator};
use hardening_model::presets;
use hardening_model::values::{Port, UnixUser};
use hetzner_client::Labels;
use hetzner_client::resources::firewalls::CreateFirewall;
use hetzner_client::resources::servers::CreateServer;
use rand::Rng as _;

use super::bundle::{Bundle, BundleSigner, DesiredFile};
use super::cloud::{CloudConvergence, FleetRanges, converge_cloud};
use super::report::HostReport;
use super::sim::SimulatedHost;
use crate::audit::{Desired, FleetAudit, audit_fleet};
use crate::backends::Backends;
use crate::error::{Error, Result};
use crate::instance::INSTANCE_LABEL;
use crate::progress::Progress;
use crate::provision::{MANAGED_BY, MANAGED_BY_LABEL, SSH_PORT_LABEL};

/// Requests the simulators received, per provider.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApiRequests {
    /// Hetzner Cloud requests.
    pub hetzner: u64,
    /// Cloudflare requests.
    pub cloudflare: u64,
}

impl ApiRequests {
    /// Both providers together.
    pub fn total(&self) -> u64 {
        self.hetzner + self.cloudflare
    }

    /// What was sent after `earlier` was taken.
    pub fn since(&self, earlier: Self) -> Self {
        Self {
            hetzner: self.hetzner - earlier.hetzner,
            cloudflare: self.cloudflare - earlier.cloudflare,
        }
    }
}

/// The host files a fleet policy renders for every instance: the nftables ruleset of
/// `presets::firewall::baseline` (SSH on port 22 from the admin sources, HTTPS from the
/// Cloudflare ranges) and the sshd drop-in for the `admin` user.
///
/// # Errors
/// A rejected range, naming its field.
pub fn policy_host_files(ranges: &FleetRanges) -> Result<Vec<DesiredFile>> {
    let port = Port::new(22)?;
    let fw =
        presets::firewall::baseline(port, &ranges.admin_sources, &ranges.cloudflare_ranges, None)?;
    let sshd = presets::host::sshd(port, &[UnixUser::new("admin")?])?.render()?;
    Ok(vec![
        DesiredFile::new(fw.nftables_conf(), Validator::Nft),
        DesiredFile::new(sshd, Validator::Sshd),
    ])
}

/// A simulated fleet (see the module docs).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> fleet_flows::Result<()> {
/// use fleet_flows::converge::{FleetRanges, SimulatedFleet};
/// let old = FleetRanges {
///     admin_sources: vec!["198.51.100.0/24".parse().unwrap()],
///     cloudflare_ranges: hardening_model::presets::firewall::cloudflare_fallback_ranges(),
/// };
/// let mut fleet = SimulatedFleet::create("example.com", 3, &old).await?;
/// let mut new = old.clone();
/// new.cloudflare_ranges.push("203.0.113.0/24".parse().unwrap());
/// let (cloud, requests) = fleet.converge_cloud(&new, 25).await?;
/// assert_eq!(cloud.firewalls.updated.len(), 3);
/// assert!(requests.hetzner > 0 && requests.cloudflare > 0);
/// let v2 = fleet.bundle(2, "2026-12-07T19:00:00Z", &new)?;
/// assert_eq!(fleet.pull_all(&v2)?, 3);
/// assert_eq!(fleet.audit(&new, &v2).await?.drift_count(), 0);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct SimulatedFleet {
    backends: Backends,
    zone: String,
    signer: BundleSigner,
    hosts: Vec<SimulatedHost>,
    keys: Vec<Secret>,
}

impl SimulatedFleet {
    /// Both simulators with `zone` (Free plan) hardened by the runbook preset with
    /// `ranges.admin_sources` as its admin list, then `instances` instances created 16 at a
    /// time (firewall `fw-<id>` with the rules `ranges` render, server `<id>` behind it, both
    /// labelled as provisioning labels them), and every host holding bundle version 1 of
    /// [`policy_host_files`]. Hetzner actions take 5 ms.
    ///
    /// # Errors
    /// `instances` of 0 ([`Error::Invalid`]), a rejected range, or a simulator's answer.
    pub async fn create(zone: &str, instances: usize, ranges: &FleetRanges) -> Result<Self> {
        if instances == 0 {
            return Err(Error::invalid("instances", "must be at least 1"));
        }
        let backends = Backends::simulated(zone)?;
        if let Some(hsim) = &backends.hetzner_sim {
            hsim.set_action_duration(Duration::from_millis(5));
        }
        crate::zone::harden_zone_with(
            &backends,
            zone,
            &super::cloud::zone_options(ranges),
            false,
            &Progress::silent(),
        )
        .await?;
        let rules = ranges.hetzner_rules(Port::new(22)?)?;
        let backends_ref = &backends;
        let ids: Vec<String> = futures::stream::iter(0..instances)
            .map(|i| {
                let rules = rules.clone();
                async move {
                    let id = format!("inst-{i:05}");
                    let labels = Labels::new()
                        .with(MANAGED_BY_LABEL, MANAGED_BY)?
                        .with(INSTANCE_LABEL, id.as_str())?
                        .with(SSH_PORT_LABEL, "22")?;
                    let hetzner = &backends_ref.hetzner;
                    let fw = hetzner
                        .firewalls()
                        .create(
                            &CreateFirewall::new(format!("fw-{id}"))
                                .labels(labels.clone())
                                .rules(rules),
                        )
                        .await?
                        .firewall;
                    hetzner
                        .servers()
                        .create(
                            &CreateServer::new(id.as_str(), "cx22", "ubuntu-24.04")
                                .firewall(fw.id)
                                .labels(labels),
                        )
                        .await?;
                    Ok::<String, Error>(id)
                }
            })
            .buffered(16)
            .try_collect()
            .await?;
        let signer = BundleSigner::generate()?;
        let mut hosts = Vec::with_capacity(instances);
        let mut keys = Vec::with_capacity(instances);
        for id in &ids {
            let key = Secret::new(format!("report-key-of-{id}"))?;
            hosts.push(SimulatedHost::new(
                id,
                &signer.public_key_line(),
                key.clone(),
            )?);
            keys.push(key);
        }
        let mut fleet = Self {
            backends,
            zone: zone.to_owned(),
            signer,
            hosts,
            keys,
        };
        let v1 = fleet.bundle(1, "2026-12-07T18:00:00Z", ranges)?;
        fleet.pull_all(&v1)?;
        Ok(fleet)
    }

    /// The backends over the two simulators.
    pub fn backends(&self) -> &Backends {
        &self.backends
    }

    /// The operator's bundle signer every host pins.
    pub fn signer(&self) -> &BundleSigner {
        &self.signer
    }

    /// The hosts, in instance order.
    pub fn hosts(&self) -> &[SimulatedHost] {
        &self.hosts
    }

    /// The hosts, to pull or tamper with one.
    pub fn hosts_mut(&mut self) -> &mut [SimulatedHost] {
        &mut self.hosts
    }

    /// Requests both simulators received so far.
    pub fn requests(&self) -> ApiRequests {
        ApiRequests {
            hetzner: self
                .backends
                .hetzner_sim
                .as_ref()
                .map_or(0, hetzner_client::simulator::Simulator::request_count),
            cloudflare: self
                .backends
                .cloudflare_sim
                .as_ref()
                .map_or(0, |s| s.stats().requests),
        }
    }

    /// Version `version` of [`policy_host_files`] for `ranges`, signed by the fleet's signer,
    /// for every host.
    ///
    /// # Errors
    /// As [`Bundle::build`].
    pub fn bundle(&self, version: u64, created_at: &str, ranges: &FleetRanges) -> Result<Bundle> {
        Bundle::build(
            &self.signer,
            version,
            created_at,
            Selector::all(),
            &policy_host_files(ranges)?,
        )
    }

    /// Every host pulls `bundle`; returns how many applied it (the others were current).
    ///
    /// # Errors
    /// The first host that rejects it (that host and the later ones are unchanged).
    pub fn pull_all(&mut self, bundle: &Bundle) -> Result<usize> {
        let mut applied = 0;
        for host in &mut self.hosts {
            applied += usize::from(host.pull(bundle)?);
        }
        Ok(applied)
    }

    /// Every host pulls `bundle` at its next timer tick: a phase drawn uniformly within
    /// `interval`, plus the timer's random delay of up to a tenth of it. Returns when the
    /// slowest host picked it up (computed from the phases, not waited for).
    ///
    /// # Errors
    /// As [`SimulatedFleet::pull_all`].
    pub fn pull_on_timer(&mut self, bundle: &Bundle, interval: Duration) -> Result<Duration> {
        let mut rng = rand::rng();
        let secs = interval.as_secs_f64();
        let mut slowest: f64 = 0.0;
        for host in &mut self.hosts {
            let phase = rng.random_range(0.0..secs) + rng.random_range(0.0..secs / 10.0);
            slowest = slowest.max(phase);
            host.pull(bundle)?;
        }
        Ok(Duration::from_secs_f64(slowest))
    }

    /// [`converge_cloud`] for the fleet's zone: the zone's admin list and rules, then every
    /// firewall in batches of `batch`; with the requests it sent to each provider.
    ///
    /// # Errors
    /// As [`converge_cloud`].
    pub async fn converge_cloud(
        &self,
        ranges: &FleetRanges,
        batch: usize,
    ) -> Result<(CloudConvergence, ApiRequests)> {
        let before = self.requests();
        let out = converge_cloud(
            &self.backends,
            &self.zone,
            ranges,
            batch,
            &Progress::silent(),
        )
        .await?;
        Ok((out, self.requests().since(before)))
    }

    /// Every host's report, verified with its key.
    ///
    /// # Errors
    /// A report that does not verify.
    pub fn reports(&self) -> Result<BTreeMap<String, HostReport>> {
        self.hosts
            .iter()
            .zip(&self.keys)
            .map(|(host, key)| {
                let report = HostReport::verify(&host.report(), key)?;
                Ok((report.instance.clone(), report))
            })
            .collect()
    }

    /// The fleet audit against `ranges` and `bundle` (see [`audit_fleet`]).
    ///
    /// # Errors
    /// As [`audit_fleet`].
    pub async fn audit(&self, ranges: &FleetRanges, bundle: &Bundle) -> Result<FleetAudit> {
        let files: Vec<RenderedFile> = policy_host_files(ranges)?
            .into_iter()
            .map(|f| f.file)
            .collect();
        let desired = Desired {
            zone: &self.zone,
            ranges,
            manifest: bundle.manifest(),
            host_files: &files,
        };
        audit_fleet(&self.backends, &desired, &self.reports()?).await
    }
}
