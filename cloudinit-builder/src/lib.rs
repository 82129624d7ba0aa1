//! Typed cloud-init #cloud-config builder with hardening presets, rendered for cloud-init 26.1 within Hetzner's 32 KiB user_data limit.
//!
//! This crate is being filled in; see the workspace README for the plan.
#![forbid(unsafe_code)]
#![warn(clippy::print_stdout, clippy::print_stderr)]
