//! Integration tests for cloudinit-builder: rendering, schema validity, budget, secrets, MIME
//! and property tests.

#![allow(clippy::unwrap_used)] // tests may unwrap (see the workspace standards)

mod backup;
mod budget;
mod converge;
mod fixtures;
mod mime;
mod monitoring;
mod origin;
mod preset;
mod properties;
mod realistic;
mod render;
mod schema;
mod secrets;
mod ssh_access;
mod staging;
mod support;
mod target;
