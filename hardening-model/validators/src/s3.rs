//! A throw-away S3-compatible server (`s3s-fs`) on 127.0.0.1, for tests of code that writes to
//! and reads from an object store.

use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::exec::Workdir;
use crate::locate::require;
use crate::ssh_audit::free_port;

const HINT: &str = "cargo install s3s-fs --version 0.14.1 --features binary --locked, or bash .ci/install-validators";
const STARTUP: Duration = Duration::from_secs(10);
const ATTEMPTS: usize = 3;
/// The access key the server accepts.
pub const S3_ACCESS_KEY: &str = "AKIDHARDENEDTEST01";
/// The secret key the server accepts (a test value, not a secret).
pub const S3_SECRET_KEY: &str = "test-secret-key-for-s3s-fs-only";

/// A running `s3s-fs` (a real S3 API over a directory) on an ephemeral port of 127.0.0.1, with
/// signature checking on ([`S3_ACCESS_KEY`], [`S3_SECRET_KEY`]) and its data in a private
/// temporary directory. Buckets are directories of [`S3Server::root`], so a test can tamper with
/// a stored object by editing its file. Killed when dropped (or by [`S3Server::stop`]).
///
/// ```no_run
/// let Some(s3) = hardening_validators::s3_server() else { return };
/// s3.create_bucket("backups");
/// let endpoint = s3.endpoint(); // http://127.0.0.1:PORT
/// # let _ = endpoint;
/// s3.stop();
/// ```
#[derive(Debug)]
pub struct S3Server {
    child: Child,
    port: u16,
    root: PathBuf,
    _dir: Workdir,
}

/// Finds `s3s-fs` and starts one; `None` (after printing why) when it is missing.
///
/// # Panics
/// When `CI` is set and s3s-fs is missing, or when it is installed but does not start.
pub fn s3_server() -> Option<S3Server> {
    let binary = require("s3s-fs", HINT)?;
    let dir = match Workdir::new("s3s-fs") {
        Ok(dir) => dir,
        Err(e) => panic!("s3s-fs: {e}"),
    };
    let root = dir.path().join("data");
    if let Err(e) = std::fs::create_dir_all(&root) {
        panic!("s3s-fs: {}: {e}", root.display());
    }
    let mut failures = Vec::new();
    for _ in 0..ATTEMPTS {
        match start(&binary, dir.path(), &root) {
            Ok((child, port)) => {
                return Some(S3Server {
                    child,
                    port,
                    root,
                    _dir: dir,
                });
            }
            Err(why) => failures.push(why),
        }
    }
    panic!("s3s-fs did not start: {}", failures.join("; "));
}

fn start(binary: &Path, dir: &Path, root: &Path) -> Result<(Child, u16), String> {
    let port = free_port().map_err(|e| format!("free port: {e}"))?;
    let log_path = dir.join(format!("s3s-fs-{port}.log"));
    let log = File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
    let mut child = Command::new(binary)
        .args(["--host", "127.0.0.1", "--port"])
        .arg(port.to_string())
        .args(["--access-key", S3_ACCESS_KEY, "--secret-key", S3_SECRET_KEY])
        .arg(root)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("spawn {}: {e}", binary.display()))?;
    let deadline = Instant::now() + STARTUP;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            return Err(format!("exited with {status}: {}", log.trim()));
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok((child, port));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    Err(format!("not listening on port {port} after {STARTUP:?}"))
}

impl S3Server {
    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its endpoint URL, `http://127.0.0.1:PORT` (path-style requests).
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The directory holding the buckets (one subdirectory each) and their objects.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Creates a bucket (an empty directory under [`S3Server::root`]).
    ///
    /// # Panics
    /// When the directory cannot be created.
    pub fn create_bucket(&self, name: &str) -> PathBuf {
        let path = self.root.join(name);
        if let Err(e) = std::fs::create_dir_all(&path) {
            panic!("bucket {name}: {e}");
        }
        path
    }

    /// Kills the server and waits for it to exit (its port then refuses connections).
    pub fn stop(mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.kill();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_on_loopback_serves_buckets_and_stops() {
        let Some(s3) = s3_server() else { return };
        let port = s3.port();
        let bucket = s3.create_bucket("probe");
        assert!(bucket.is_dir());
        assert!(s3.endpoint().starts_with("http://127.0.0.1:"));
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        assert!(TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok());
        s3.stop();
        assert!(TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err());
    }
}
