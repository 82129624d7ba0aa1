//! A throw-away `redis-server` on 127.0.0.1, for tests of code that talks to Redis.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::exec::Workdir;
use crate::locate::require;
use crate::ssh_audit::free_port;

const HINT: &str = "apt-get install redis-server, or bash .ci/install-validators";
const STARTUP: Duration = Duration::from_secs(10);
const ATTEMPTS: usize = 3;

/// A running `redis-server` on an ephemeral port of 127.0.0.1, with no persistence and its
/// files in a private temporary directory. Killed when dropped (or by [`RedisServer::stop`]).
///
/// ```no_run
/// let Some(redis) = hardening_validators::redis_server() else { return };
/// let url = redis.url(); // redis://127.0.0.1:PORT/
/// # let _ = url;
/// redis.stop();
/// ```
#[derive(Debug)]
pub struct RedisServer {
    child: Child,
    port: u16,
    _dir: Workdir,
}

/// Finds `redis-server` and starts one; `None` (after printing why) when it is missing.
///
/// # Panics
/// When `CI` is set and redis-server is missing, or when it is installed but does not start.
pub fn redis_server() -> Option<RedisServer> {
    let binary = require("redis-server", HINT)?;
    let dir = match Workdir::new("redis-server") {
        Ok(dir) => dir,
        Err(e) => panic!("redis-server: {e}"),
    };
    // A port taken between the probe and the start makes redis exit: try another.
    let mut failures = Vec::new();
    for _ in 0..ATTEMPTS {
        match start(&binary, dir.path()) {
            Ok((child, port)) => {
                return Some(RedisServer {
                    child,
                    port,
                    _dir: dir,
                });
            }
            Err(why) => failures.push(why),
        }
    }
    panic!("redis-server did not start: {}", failures.join("; "));
}

fn start(binary: &Path, dir: &Path) -> Result<(Child, u16), String> {
    let port = free_port().map_err(|e| format!("free port: {e}"))?;
    let log_path = dir.join(format!("redis-{port}.log"));
    let log = File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
    let mut child = Command::new(binary)
        .args(["--bind", "127.0.0.1", "--port"])
        .arg(port.to_string())
        .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
        .arg("--dir")
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("spawn {}: {e}", binary.display()))?;
    let deadline = Instant::now() + STARTUP;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            return Err(format!("exited with {status}: {}", log.trim()));
        }
        if ping(port) {
            return Ok((child, port));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    Err(format!(
        "not answering PING on port {port} after {STARTUP:?}"
    ))
}

/// Whether a Redis on 127.0.0.1:`port` answers `PING` with `+PONG`.
fn ping(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut reply = [0u8; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && &reply == b"+PONG\r\n"
}

impl RedisServer {
    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its URL, `redis://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills the server and waits for it to exit (its port then refuses connections).
    pub fn stop(mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        // The child may already have exited; either way reap it.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_answers_and_stops() {
        let Some(redis) = redis_server() else { return };
        let port = redis.port();
        assert!(ping(port));
        assert!(redis.url().starts_with("redis://127.0.0.1:"));
        redis.stop();
        assert!(!ping(port));
    }
}
