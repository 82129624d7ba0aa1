//! Provisioning a fleet at once against the simulators, measured: what `bench-fleet` runs.
//!
//! [`provision_fleet`] provisions [`FleetRun::instances`] instances concurrently through one
//! Hetzner client (one token, one rate gate: Hetzner's 3600 per hour bucket) and one
//! Cloudflare client, with every action wait batched through the shared
//! [`ActionWaiter`](crate::actions::ActionWaiter). It counts the requests each simulator
//! received, the virtual makespan, and the duplicates left in the simulators' final state.
//!
//! The Hetzner bucket starts with [`FleetRun::initial_burst`] tokens: the rest of the bucket
//! is spent first, through the same client, and not counted. With a full bucket a fleet this
//! size never waits for the budget and the makespan says nothing about pacing; with a spent
//! one the budget bounds the run, and [`FleetReport::makespan_ratio`] compares the makespan
//! with the least the budget allows, `(requests - initial_burst) / refill rate`.
//!
//! Run it on a paused tokio clock (`start_paused(true)`), so the hour-scale budget takes
//! seconds of real time:
//!
//! ```
//! # fn main() -> fleet_flows::Result<()> {
//! use fleet_flows::fleet::{FleetRun, provision_fleet};
//!
//! let runtime = tokio::runtime::Builder::new_current_thread()
//!     .enable_all()
//!     .start_paused(true)
//!     .build()
//!     .unwrap();
//! let report = runtime.block_on(provision_fleet(&FleetRun::new(5)))?;
//! assert_eq!((report.instances, report.failures, report.duplicates), (5, 0, 0));
//! assert!(report.line().starts_with("fleet: instances=5 "));
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use cloudflare_client::PlanTier;
use hetzner_client::rate_limit::DEFAULT_LIMIT;
use tokio::time::Instant;

use crate::backends::Backends;
use crate::error::{Error, Result};
use crate::instance::INSTANCE_LABEL;
use crate::progress::Progress;
use crate::provision::{ProvisionRequest, provision};

/// What to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetRun {
    /// Instances provisioned at once (`inst-00000`, `inst-00001`, …).
    pub instances: usize,
    /// The Cloudflare zone their records go into.
    pub zone: String,
    /// Tokens left in the Hetzner bucket when the run starts (at most 3600).
    pub initial_burst: u32,
}

impl FleetRun {
    /// `instances` instances in `example.com`, starting from a spent bucket.
    pub fn new(instances: usize) -> Self {
        Self {
            instances,
            zone: "example.com".into(),
            initial_burst: 0,
        }
    }
}

/// What [`provision_fleet`] measured.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetReport {
    /// Instances provisioned.
    pub instances: usize,
    /// Provisions that returned an error (each is logged with `tracing`).
    pub failures: usize,
    /// Requests the Hetzner simulator received during the run.
    pub hetzner_requests: u64,
    /// Of those, action polls (`GET /actions…`).
    pub action_polls: u64,
    /// Requests the Cloudflare simulator received during the run.
    pub cloudflare_requests: u64,
    /// Virtual time from the first request to the last flow's end.
    pub makespan: Duration,
    /// The least time the Hetzner budget allows for `hetzner_requests`, given the initial burst.
    pub budget_minimum: Duration,
    /// Servers, firewalls and DNS records beyond one per instance and kind, counted in the
    /// simulators' final state.
    pub duplicates: usize,
}

impl FleetReport {
    /// Hetzner requests per instance.
    pub fn hetzner_per_instance(&self) -> f64 {
        per(self.hetzner_requests, self.instances)
    }

    /// Cloudflare requests per instance.
    pub fn cloudflare_per_instance(&self) -> f64 {
        per(self.cloudflare_requests, self.instances)
    }

    /// Makespan over the budget's minimum (infinite when the budget does not bind at all).
    pub fn makespan_ratio(&self) -> f64 {
        if self.budget_minimum.is_zero() {
            return f64::INFINITY;
        }
        self.makespan.as_secs_f64() / self.budget_minimum.as_secs_f64()
    }

    /// `fleet: instances=N hetzner_requests_per_instance=X cloudflare_requests_per_instance=Y
    /// makespan_ratio=R duplicates=D`.
    pub fn line(&self) -> String {
        format!(
            "fleet: instances={} hetzner_requests_per_instance={:.2} cloudflare_requests_per_instance={:.2} makespan_ratio={:.4} duplicates={}",
            self.instances,
            self.hetzner_per_instance(),
            self.cloudflare_per_instance(),
            self.makespan_ratio(),
            self.duplicates
        )
    }
}

fn per(requests: u64, instances: usize) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let (r, n) = (requests as f64, instances.max(1) as f64);
    r / n
}

/// Runs the fleet. See the [module documentation](self).
///
/// # Errors
/// [`Error::Invalid`] naming `instances` (0) or `initial_burst` (over 3600), before anything
/// runs; an error spending the bucket down. Failed provisions are counted, not returned.
pub async fn provision_fleet(run: &FleetRun) -> Result<FleetReport> {
    if run.instances == 0 {
        return Err(Error::invalid("instances", "must be at least 1"));
    }
    if run.initial_burst > DEFAULT_LIMIT {
        return Err(Error::invalid(
            "initial_burst",
            format!("the bucket holds at most {DEFAULT_LIMIT} tokens"),
        ));
    }
    let hsim = hetzner_client::simulator::Simulator::new();
    let csim = cloudflare_client::simulator::Simulator::new();
    let zone_id = csim.add_zone(&run.zone, PlanTier::Free);
    hsim.set_request_log_capacity(0);
    let backends = Backends::with_simulators(&hsim, &csim)?;

    // spend the bucket down to the initial burst, through the same gate
    for _ in run.initial_burst..DEFAULT_LIMIT {
        backends
            .hetzner
            .ssh_keys()
            .list(&Default::default())
            .await?;
    }
    hsim.clear_requests();
    hsim.set_request_log_capacity(usize::MAX);
    let cloudflare_before = csim.stats().requests;

    let start = Instant::now();
    let flows = (0..run.instances).map(|i| {
        let backends = backends.clone();
        let request = ProvisionRequest::new(format!("inst-{i:05}"), format!("c{i:05}"), &run.zone);
        async move {
            let out = provision(&backends, &request, &Progress::silent()).await;
            if let Err(err) = &out {
                tracing::warn!(instance = %request.instance_id, "{}", crate::error::chain(err));
            }
            out.is_ok()
        }
    });
    let outcomes = futures::future::join_all(flows).await;
    let makespan = start.elapsed();

    let requests = hsim.requests();
    let hetzner_requests = hsim.request_count();
    let action_polls = requests
        .iter()
        .filter(|r| r.path.starts_with("/actions"))
        .count() as u64;
    let rate = f64::from(DEFAULT_LIMIT) / 3600.0;
    #[allow(clippy::cast_precision_loss)]
    let short = hetzner_requests.saturating_sub(u64::from(run.initial_burst)) as f64;
    Ok(FleetReport {
        instances: run.instances,
        failures: outcomes.iter().filter(|ok| !**ok).count(),
        hetzner_requests,
        action_polls,
        cloudflare_requests: csim.stats().requests - cloudflare_before,
        makespan,
        budget_minimum: Duration::from_secs_f64(short / rate),
        duplicates: duplicates(&hsim, &csim, &zone_id),
    })
}

/// Beyond one per key: servers by instance label, firewalls by name, DNS records by name
/// and type.
fn duplicates(
    hsim: &hetzner_client::simulator::Simulator,
    csim: &cloudflare_client::simulator::Simulator,
    zone_id: &str,
) -> usize {
    fn extra(keys: impl Iterator<Item = String>) -> usize {
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for key in keys {
            *seen.entry(key).or_default() += 1;
        }
        seen.values().map(|n| n - 1).sum()
    }
    extra(
        hsim.servers()
            .into_iter()
            .map(|s| s.labels.get(INSTANCE_LABEL).unwrap_or_default().to_owned()),
    ) + extra(hsim.firewalls().into_iter().map(|f| f.name))
        + extra(
            csim.dns_records(zone_id)
                .into_iter()
                .map(|r| format!("{} {:?}", r.name, r.record_type)),
        )
}
