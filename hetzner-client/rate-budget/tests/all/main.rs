//! Integration tests for rate-budget: the shared budget against a real Redis server. One binary for
//! the crate, like every crate of the workspace (`tests/all/`).

#![allow(clippy::unwrap_used)] // tests may unwrap (see the workspace standards)

mod redis;
