//! `cloud-init schema -c` on user-data.

use std::path::PathBuf;
use std::process::Command;

use crate::Rejection;
use crate::exec::{self, Workdir};
use crate::locate::require;

/// The distribution's `cloud-init schema` check (Debian 12 ships 22.4; its schema accepts
/// unknown top-level keys, so pair it with [`crate::check_jsonschema`] and the 26.1 schema).
#[derive(Debug, Clone)]
pub struct CloudInit {
    cloud_init: PathBuf,
}

/// Finds `cloud-init`; `None` (after printing why) when it is missing.
///
/// # Panics
/// When `CI` is set and it is missing.
pub fn cloud_init() -> Option<CloudInit> {
    require("cloud-init", "apt-get install cloud-init").map(|cloud_init| CloudInit { cloud_init })
}

impl CloudInit {
    /// Runs `cloud-init schema -c FILE`. The first line must be `#cloud-config`.
    pub fn check(&self, user_data: &str) -> Result<(), Rejection> {
        let dir = Workdir::new("cloud-init")?;
        let file = dir.write("user-data.yaml", user_data)?;
        exec::run(
            Command::new(&self.cloud_init)
                .args(["schema", "-c"])
                .arg(&file),
        )
        .map(|_| ())
    }
}
