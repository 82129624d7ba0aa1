//! Integration tests for the examples: the example programs run end to end against the simulators,
//! over loopback, and driven by the providers' own CLI and Python SDKs. One binary for the crate
//! (one module per area), so CI links it once.

#![allow(clippy::unwrap_used)] // tests may unwrap (see the workspace standards)

mod cloudflare_python;
mod examples_run;
mod hcloud_cli;
mod loopback;
mod operations;
mod provision;
mod provision_validators;
mod render_cloud_init;
mod restore;
mod serve_simulator;
