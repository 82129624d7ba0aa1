//! Shared code of the runnable examples in `examples/examples/`.
//!
//! The examples keep their `main` short: the work lives here so the integration tests can run
//! exactly what `cargo run --example NAME` runs.
//!
//! - [`backends`]: real API or built-in simulator, chosen from `HCLOUD_TOKEN` /
//!   `CLOUDFLARE_API_TOKEN`.
//! - [`progress`]: step lines and a ticker on long waits.
//! - [`error`]: one error type for the examples, printed with its whole cause chain.
//! - [`host`]: the hardened cloud-init document for one host, from policy values.
//! - [`secrets`]: the callback secret and backup identity, generated or read from `0600` files,
//!   and the identity's recipient (all a host gets).
//! - [`provision`]: the end-to-end provisioning flow (cloud-init, firewall, server, DNS).
//! - [`zone`], [`snapshots`], [`ssh_keys`], [`quarantine`]: the other examples' operations.
//! - [`restore`]: an instance's data from its off-host backups onto a fresh host, and the
//!   schedule's RPO/RTO.
//! - [`shared_budget`]: replicas sharing one Hetzner budget through Redis (`bench-shared-budget`).
#![forbid(unsafe_code)]

pub mod backends;
pub mod error;
pub mod host;
pub mod progress;
pub mod provision;
pub mod secrets;

pub use backends::Backends;
pub use error::{Error, Result, exit_on_error};
pub use progress::Progress;
pub mod bench;
pub mod demo;
pub mod loopback;
pub mod quarantine;
#[cfg(doctest)]
pub mod readme;
pub mod restore;
pub mod shared_budget;
pub mod snapshots;
pub mod ssh_keys;
pub mod zone;
