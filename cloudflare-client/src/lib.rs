//! Rate-limited, typed async client for Cloudflare's v4 API (zone settings, DNS, rulesets, bot management, IP ranges), with an in-process simulator.
//!
//! This crate is being filled in; see the workspace README for the plan.
#![forbid(unsafe_code)]
#![warn(clippy::print_stdout, clippy::print_stderr)]
