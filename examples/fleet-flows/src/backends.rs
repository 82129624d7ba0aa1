//! Real API or built-in simulator: the choice every example makes first.
//!
//! With `HCLOUD_TOKEN` set, Hetzner calls go to the real API (and `HCLOUD_ENDPOINT`, if set,
//! overrides its URL); with `CLOUDFLARE_API_TOKEN` set, Cloudflare calls go to the real API
//! (`CLOUDFLARE_BASE_URL` overrides). Without a token the example uses the crate's in-process
//! simulator and prints one line saying so: nothing real is created or deleted.

use cloudflare_client::PlanTier;

use crate::error::Result;

/// The Hetzner token variable (the name the `hcloud` CLI uses).
pub const HCLOUD_TOKEN: &str = "HCLOUD_TOKEN";
/// The Cloudflare token variable.
pub const CLOUDFLARE_API_TOKEN: &str = cloudflare_client::ENV_TOKEN;

/// The two clients an example works with, and the simulators behind them when offline.
#[derive(Debug, Clone)]
pub struct Backends {
    /// Hetzner Cloud client (real or simulated).
    pub hetzner: hetzner_client::Client,
    /// Cloudflare client (real or simulated).
    pub cloudflare: cloudflare_client::Client,
    /// The Hetzner simulator, when offline.
    pub hetzner_sim: Option<hetzner_client::simulator::Simulator>,
    /// The Cloudflare simulator, when offline.
    pub cloudflare_sim: Option<cloudflare_client::simulator::Simulator>,
    /// Action waits of every flow over these backends, polled together in batches through
    /// `hetzner` (see [`crate::actions`]).
    pub actions: crate::actions::ActionWaiter,
}

fn is_set(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| !v.trim().is_empty())
}

impl Backends {
    /// Picks each API from its token variable. `zone` is the Cloudflare zone the offline
    /// simulator starts with (a real account must already have it).
    ///
    /// Prints one line to stderr when at least one side runs offline.
    ///
    /// # Errors
    /// A token that is set but unusable (e.g. not a valid header value).
    #[allow(clippy::print_stderr)]
    pub fn from_env(zone: &str) -> Result<Self> {
        let (hetzner, hetzner_sim) = if is_set(HCLOUD_TOKEN) {
            (hetzner_client::Client::from_env()?, None)
        } else {
            let sim = hetzner_client::simulator::Simulator::new();
            (hetzner_client::Client::simulated(&sim)?, Some(sim))
        };
        let (cloudflare, cloudflare_sim) = if is_set(CLOUDFLARE_API_TOKEN) {
            (cloudflare_client::Client::from_env()?, None)
        } else {
            let sim = cloudflare_client::simulator::Simulator::new();
            sim.add_zone(zone, PlanTier::Free);
            (sim.client()?, Some(sim))
        };
        let backends = Self {
            actions: crate::actions::ActionWaiter::new(hetzner.clone()),
            hetzner,
            cloudflare,
            hetzner_sim,
            cloudflare_sim,
        };
        if let Some(line) = backends.offline_notice() {
            eprintln!("{line}");
        }
        Ok(backends)
    }

    /// [`Backends::from_env`], then [`Backends::verify_cloudflare_token`]: what every example
    /// calls first, so a disabled or expired Cloudflare token stops the run before anything is
    /// sent.
    ///
    /// # Errors
    /// As [`Backends::from_env`], or the token is not active.
    pub async fn connect(zone: &str) -> Result<Self> {
        let backends = Self::from_env(zone)?;
        backends.verify_cloudflare_token().await?;
        Ok(backends)
    }

    /// Asks Cloudflare (`user/tokens/verify`) whether the token is active; an inactive one is
    /// an error naming its status (the simulator's token is active unless a test changes it).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let b = fleet_flows::Backends::simulated("example.com").unwrap();
    /// b.verify_cloudflare_token().await.unwrap();
    /// b.cloudflare_sim.as_ref().unwrap().set_token_status("disabled");
    /// let err = b.verify_cloudflare_token().await.unwrap_err();
    /// assert!(fleet_flows::error::chain(&err).contains("not active (status disabled)"));
    /// # }
    /// ```
    ///
    /// # Errors
    /// The token is not active, or the verification call failed.
    pub async fn verify_cloudflare_token(&self) -> Result<()> {
        self.cloudflare.tokens().ensure_active().await?;
        Ok(())
    }

    /// Both APIs simulated, with `zone` on the Free plan; prints nothing.
    ///
    /// # Errors
    /// Never in practice (the client builders' checks still run).
    pub fn simulated(zone: &str) -> Result<Self> {
        let hsim = hetzner_client::simulator::Simulator::new();
        let csim = cloudflare_client::simulator::Simulator::new();
        csim.add_zone(zone, PlanTier::Free);
        Self::with_simulators(&hsim, &csim)
    }

    /// Clients over the given simulators (set up zones, faults and action durations on them
    /// first or afterwards; clones share state).
    ///
    /// # Errors
    /// Never in practice (the client builders' checks still run).
    pub fn with_simulators(
        hetzner: &hetzner_client::simulator::Simulator,
        cloudflare: &cloudflare_client::simulator::Simulator,
    ) -> Result<Self> {
        let client = hetzner_client::Client::simulated(hetzner)?;
        Ok(Self {
            actions: crate::actions::ActionWaiter::new(client.clone()),
            hetzner: client,
            cloudflare: cloudflare.client()?,
            hetzner_sim: Some(hetzner.clone()),
            cloudflare_sim: Some(cloudflare.clone()),
        })
    }

    /// Whether both sides are simulated.
    pub fn is_offline(&self) -> bool {
        self.hetzner_sim.is_some() && self.cloudflare_sim.is_some()
    }

    /// The one line saying which side runs against a simulator, if any.
    ///
    /// ```
    /// let b = fleet_flows::Backends::simulated("example.com").unwrap();
    /// assert!(b.offline_notice().unwrap().starts_with("offline:"));
    /// ```
    pub fn offline_notice(&self) -> Option<String> {
        match (self.hetzner_sim.is_some(), self.cloudflare_sim.is_some()) {
            (true, true) => Some(format!(
                "offline: {HCLOUD_TOKEN} and {CLOUDFLARE_API_TOKEN} are unset, so this runs against \
                 the built-in simulators (nothing real is created or deleted)"
            )),
            (true, false) => Some(format!(
                "offline (Hetzner only): {HCLOUD_TOKEN} is unset, so Hetzner calls go to the built-in \
                 simulator; Cloudflare calls are real"
            )),
            (false, true) => Some(format!(
                "offline (Cloudflare only): {CLOUDFLARE_API_TOKEN} is unset, so Cloudflare calls go to \
                 the built-in simulator; Hetzner calls are real"
            )),
            (false, false) => None,
        }
    }
}
