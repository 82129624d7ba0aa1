//! `caddy validate` on a Caddyfile, and a real Caddy serving one on 127.0.0.1.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Rejection;
use crate::exec::{self, Workdir};
use crate::locate::{find_binary, require};
use crate::server::{Launch, ServerProcess};
use crate::ssh_audit::free_port;

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

impl Caddy {
    /// Starts `caddy run` on the Caddyfile `caddyfile(https_port, http_port)` returns, with
    /// both ports free on 127.0.0.1 (the Caddyfile should bind 127.0.0.1 and set `http_port` and
    /// `https_port` to them). Ready once the HTTPS port accepts; killed when dropped. Caddy's
    /// home, config and data directories are the server's private temporary directory.
    ///
    /// # Panics
    /// When Caddy does not start (the log is in the message).
    pub fn serve(&self, caddyfile: &dyn Fn(u16, u16) -> String) -> ServerProcess {
        let caddy = self.caddy.display().to_string();
        let args = move |port: u16, dir: &Path| {
            let http = match free_port() {
                Ok(p) => p,
                Err(e) => panic!("free port: {e}"),
            };
            let file = dir.join("Caddyfile");
            if let Err(e) = std::fs::write(&file, caddyfile(port, http)) {
                panic!("writing {}: {e}", file.display());
            }
            // `env` sets Caddy's directories and then execs it, so the server process is Caddy.
            vec![
                format!("HOME={}", dir.display()),
                format!("XDG_CONFIG_HOME={}", dir.join("config").display()),
                format!("XDG_DATA_HOME={}", dir.join("data").display()),
                caddy.clone(),
                "run".to_owned(),
                "--adapter".to_owned(),
                "caddyfile".to_owned(),
                "--config".to_owned(),
                file.display().to_string(),
            ]
        };
        let env = match find_binary("env") {
            Some(env) => env,
            None => panic!("env (coreutils) not found"),
        };
        Launch {
            name: "caddy",
            binary: &env,
            args: &args,
            ready_path: None,
        }
        .start()
    }
}
