//! Integration tests for fleet-flows: fleet and host flows (provision, converge, reconcile,
//! quarantine, retire) against the simulators. One binary for the crate (one module per flow), so
//! CI links it once.

#![allow(clippy::unwrap_used)] // tests may unwrap (see the workspace standards)

mod actions;
mod concurrency;
mod converge_fleet;
mod converge_host;
mod fleet;
mod lifecycle;
mod quarantine;
mod reconcile;
mod retire;
mod validation;
