//! Rate-limited, retrying, typed async client for the Hetzner Cloud API, with an in-process simulator.
//!
//! This crate is being filled in; see the workspace README for the plan.
#![forbid(unsafe_code)]
#![warn(clippy::print_stdout, clippy::print_stderr)]
