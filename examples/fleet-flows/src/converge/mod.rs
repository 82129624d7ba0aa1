//! Day-2 convergence, control-plane side: a change of desired state reaches running hosts
//! without a reprovision.
//!
//! The design (a signed pull; see `hardening_model::converge` for the host agent and why):
//! the operator builds a [`Bundle`] from rendered files ([`DesiredFile`]), signs it with its
//! Ed25519 [`BundleSigner`] (SSHSIG, verified on the host by `ssh-keygen -Y verify` against the
//! key pinned at first boot) and [`publish`]es it to the object store it runs for backups.
//! Every host's timer pulls, verifies, validates, applies with rollback, and uploads an
//! HMAC-signed status, read back with [`HostReport::verify`]. Every bundle also carries the
//! agent itself (`hardening_model::converge::AGENT_SCRIPT`, signed by the same key in the agent
//! namespace, [`BundleSigner::sign_agent`]): hosts built by the preset boot with a small
//! bootstrap that installs it from the store.
//!
//! The cloud side of the same change is [`converge_cloud`]: the zone's admin list and rules on
//! Cloudflare, then every fleet firewall on Hetzner in batches. [`SimulatedFleet`] runs the
//! whole cycle on the API simulators (the fleet tests and `bench-converge` use it).
//!
//! ```
//! use fleet_flows::converge::{Bundle, BundleSigner, DesiredFile};
//! use hardening_model::RenderedFile;
//! use hardening_model::converge::{Selector, Validator};
//!
//! let signer = BundleSigner::generate()?;
//! let nft = RenderedFile::root("/etc/nftables.conf", 0o640, "flush ruleset\n");
//! let bundle = Bundle::build(&signer, 2, "2026-12-07T18:00:00Z", Selector::all(),
//!     &[DesiredFile::new(nft, Validator::Nft)])?;
//! assert!(bundle.signature().starts_with("-----BEGIN SSH SIGNATURE-----"));
//! # Ok::<(), fleet_flows::Error>(())
//! ```

mod bundle;
mod cloud;
mod fleet_sim;
mod publish;
mod report;
mod sim;

pub use bundle::{Bundle, BundleSigner, DesiredFile, sha256_hex};
pub use cloud::{
    CloudConvergence, FirewallConvergence, FleetRanges, converge_cloud, converge_firewalls,
    fleet_firewalls,
};
pub(crate) use cloud::{same_rules as cloud_same_rules, ssh_port_of as cloud_ssh_port};
pub use fleet_sim::{ApiRequests, SimulatedFleet, policy_host_files};
pub use publish::{publish, read_object};
pub use report::HostReport;
pub use sim::SimulatedHost;
