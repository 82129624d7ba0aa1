//! Shared code of the runnable examples in `examples/examples/`.
//!
//! The flows themselves live in the `fleet-flows` library (`examples/fleet-flows`); its
//! modules are re-exported here so the examples and their tests read `examples::provision`
//! and so on. This package adds only what a program needs around them:
//!
//! - [`exit_on_error`] and [`init_tracing`]: `main`'s error printing and the `RUST_LOG`
//!   subscriber every example installs.
//! - [`cli`]: the flags of a host, shared by `provision` and `restore`.
//! - [`demo`]: sample data the offline examples start from.
//! - [`loopback`], [`bench`](mod@bench), [`shared_budget`]: the simulators over HTTP and the benchmarks.
#![forbid(unsafe_code)]

use std::process::ExitCode;

pub use fleet_flows::{
    Backends, Error, Instance, Progress, Result, backends, error, host, instance, progress,
    provision, quarantine, restore, retire, secrets, snapshots, ssh_keys, zone,
};

pub mod bench;
pub mod cli;
pub mod demo;
pub mod loopback;
#[cfg(doctest)]
pub mod readme;
pub mod shared_budget;

/// Turns `main`'s result into an exit code, printing the error and its causes (Display, one
/// per line, [`error::chain`]) to stderr on failure.
#[allow(clippy::print_stderr)]
pub fn exit_on_error(result: Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{}", error::chain(&err));
            ExitCode::FAILURE
        }
    }
}

/// Installs a `tracing` subscriber on stderr filtered by `RUST_LOG` (default `warn`), so
/// `RUST_LOG=hetzner_client=debug cargo run --example provision` shows the clients' request
/// events. Calling it twice is harmless.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
