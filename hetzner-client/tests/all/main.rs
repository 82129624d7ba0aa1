//! Integration tests for hetzner-client: the contract with the official OpenAPI document, the
//! simulator, the HTTP transport over real sockets (faults, retries, rate budget) and property
//! tests. One binary for the crate (one module per area), so CI links it once.

#![allow(clippy::unwrap_used)] // tests may unwrap (see the workspace standards)

mod contract;
mod coverage;
mod faults;
mod helpers;
mod properties;
mod runbook_helpers;
mod shared_budget;
mod simulator_firewalls;
mod simulator_flows;
mod simulator_resources;
mod simulator_wire;
mod socket_faults;
mod support;
mod wiremock_http;
