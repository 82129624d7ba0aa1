//! Integration tests for hardening-validators: each helper accepts what its tool accepts and rejects
//! what it rejects. One binary for the crate, like every crate of the workspace (`tests/all/`).

#![allow(clippy::unwrap_used)] // tests may unwrap (see the workspace standards)

mod accept_and_reject;
