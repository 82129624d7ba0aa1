//! Control-plane flows for hardened Ubuntu 24.04 hosts on Hetzner Cloud behind Cloudflare,
//! composed from `hetzner-client`, `cloudflare-client`, `cloudinit-builder` and
//! `hardening-model`.
//!
//! - [`provision`]: policy values → hardened cloud-init → firewall → server → proxied DNS;
//!   idempotent by [`Instance`].
//! - [`quarantine`]: contain first (deny-all firewall, every allow firewall detached, label
//!   selectors included), then DNS removed, then the forensic snapshot; and its reversal.
//! - [`retire`]: DNS, server, firewall and IPs away by a stated [`retire::RetirePolicy`];
//!   forensic snapshots are kept.
//! - [`restore`]: an instance's data from its off-host backups onto a fresh host.
//! - [`ssh_keys`]: admin key rotation (upload, then removal from Hetzner).
//! - [`converge`]: day-2 changes of desired state reach running hosts (signed bundles pulled by
//!   a host agent; firewalls updated in batches).
//! - [`audit`]: Appendix B for every instance, API lines from the APIs, a drift report.
//! - [`zone`], [`snapshots`]: the Cloudflare zone hardening plan, snapshot cleanup.
//! - [`actions`]: action waits of many flows batched into shared `GET /actions?id=…` polls.
//! - [`fleet`]: a whole fleet provisioned at once on the simulators, measured (`bench-fleet`).
//! - [`backends`]: real APIs or the built-in simulators, chosen from the token variables.
//! - [`error`]: one error type; [`error::chain`] prints it with every cause.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> fleet_flows::Result<()> {
//! use fleet_flows::{Backends, Progress};
//! use fleet_flows::provision::{ProvisionRequest, provision};
//!
//! let backends = Backends::simulated("example.com")?;
//! # backends.hetzner_sim.as_ref().unwrap().set_action_duration(std::time::Duration::from_millis(10));
//! let request = ProvisionRequest::new("inst-0042", "acme", "example.com");
//! let summary = provision(&backends, &request, &Progress::silent()).await?;
//! assert_eq!(summary.instance_id, "inst-0042");
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

pub mod actions;
pub mod audit;
pub mod backends;
pub mod converge;
pub mod error;
pub mod fleet;
pub mod host;
pub mod instance;
pub mod naming;
pub mod progress;
pub mod provision;
pub mod quarantine;
pub mod restore;
pub mod retire;
pub mod secrets;
pub mod snapshots;
pub mod ssh_keys;
pub mod zone;

pub use backends::Backends;
pub use error::{Error, Result};
pub use instance::Instance;
pub use progress::Progress;
