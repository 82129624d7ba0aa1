//! Integration tests for cloudflare-client: the contract with the official OpenAPI subsets, the
//! simulator, the HTTP transport over real sockets, the expression builder checked by the
//! wirefilter engine, and property tests. One binary for the crate (one module per area), so CI
//! links it once.

#![allow(clippy::unwrap_used)] // tests may unwrap (see the workspace standards)

mod expression_builder;
mod http;
mod properties;
mod shared_budget;
mod simulator_answers;
mod simulator_client;
mod simulator_hardening;
mod simulator_zone_control;
mod socket_faults;
mod spec;
mod spec_zone_control;
mod wirefilter;
