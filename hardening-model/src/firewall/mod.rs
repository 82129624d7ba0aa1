//! Host and cloud firewall policy (runbook sections 1.4 and 4.1-4.5).
//!
//! Being filled in: one `FirewallPolicy` rendered to ufw commands, an nftables ruleset,
//! DOCKER-USER rules and the Hetzner firewall rule values in [`hetzner`].

pub mod hetzner;

pub use hetzner::{HetznerDirection, HetznerProtocol, HetznerRule};
