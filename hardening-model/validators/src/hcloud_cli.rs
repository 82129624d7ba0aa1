//! Hetzner's `hcloud` CLI (Debian's `hcloud-cli`, built on hcloud-go), for tests that drive a
//! served simulator with a client we did not write.

use std::path::PathBuf;
use std::process::Command;

use crate::locate::require;

/// The `hcloud` command-line client.
#[derive(Debug, Clone)]
pub struct HcloudCli {
    hcloud: PathBuf,
}

/// Finds `hcloud`; `None` (after printing why) when it is missing.
///
/// # Panics
/// When `CI` is set and hcloud is missing.
pub fn hcloud_cli() -> Option<HcloudCli> {
    require(
        "hcloud",
        "apt-get install hcloud-cli, or bash .ci/install-validators",
    )
    .map(|hcloud| HcloudCli { hcloud })
}

impl HcloudCli {
    /// A command running `hcloud` against `endpoint` with `token` (`HCLOUD_ENDPOINT` and
    /// `HCLOUD_TOKEN`), with `HOME` at `home` so no user configuration or context is read.
    pub fn command(&self, endpoint: &str, token: &str, home: &std::path::Path) -> Command {
        let mut command = Command::new(&self.hcloud);
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("HCLOUD_ENDPOINT", endpoint)
            .env("HCLOUD_TOKEN", token);
        command
    }
}
