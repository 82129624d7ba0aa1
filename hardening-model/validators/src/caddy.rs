//! `caddy validate` on a Caddyfile.

use std::path::PathBuf;
use std::process::Command;

use crate::Rejection;
use crate::exec::{self, Workdir};
use crate::locate::require;

/// Caddy's own config validation.
#[derive(Debug, Clone)]
pub struct Caddy {
    caddy: PathBuf,
}

/// Finds `caddy`; `None` (after printing why) when it is missing.
///
/// # Panics
/// When `CI` is set and caddy is missing.
pub fn caddy() -> Option<Caddy> {
    require("caddy", "apt-get install caddy").map(|caddy| Caddy { caddy })
}

impl Caddy {
    /// Runs `caddy validate --config Caddyfile --adapter caddyfile`, which adapts the Caddyfile
    /// and provisions every module without starting servers. Caddy's home, config and data
    /// directories point into a temp directory, so nothing is written elsewhere.
    ///
    /// Note: stock Caddy has no `rate_limit` directive (a plugin), so a Caddyfile using it fails.
    pub fn check(&self, caddyfile: &str) -> Result<(), Rejection> {
        let dir = Workdir::new("caddy")?;
        let file = dir.write("Caddyfile", caddyfile)?;
        exec::run(
            Command::new(&self.caddy)
                .args(["validate", "--adapter", "caddyfile", "--config"])
                .arg(&file)
                .env("HOME", dir.path())
                .env("XDG_CONFIG_HOME", dir.path().join("config"))
                .env("XDG_DATA_HOME", dir.path().join("data"))
                .current_dir(dir.path()),
        )
        .map(|_| ())
    }
}
