//! A throw-away server process on an ephemeral port of 127.0.0.1, with a minimal HTTP client
//! for its API (Prometheus, Alertmanager and node_exporter all speak plain HTTP/1.1 here).

use std::fs::File;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::exec::Workdir;
use crate::ssh_audit::free_port;

const STARTUP: Duration = Duration::from_secs(20);
const ATTEMPTS: usize = 3;

/// A running server: killed when dropped (or by [`ServerProcess::stop`]).
#[derive(Debug)]
pub struct ServerProcess {
    name: String,
    child: Child,
    port: u16,
    log: PathBuf,
    dir: Workdir,
}

/// How to start and probe one kind of server.
pub(crate) struct Launch<'a> {
    pub(crate) name: &'a str,
    pub(crate) binary: &'a Path,
    /// The arguments for a given port and private directory.
    pub(crate) args: &'a dyn Fn(u16, &Path) -> Vec<String>,
    /// `None`: ready once the port accepts; `Some(path)`: once `GET path` answers 200.
    pub(crate) ready_path: Option<&'a str>,
}

impl Launch<'_> {
    /// Starts the server (retrying on another port when one was taken meanwhile).
    ///
    /// # Panics
    /// When it does not start: the tool is installed, so that is a failure, not a skip.
    pub(crate) fn start(&self) -> ServerProcess {
        let dir = match Workdir::new(self.name) {
            Ok(dir) => dir,
            Err(e) => panic!("{}: {e}", self.name),
        };
        let mut failures = Vec::new();
        for _ in 0..ATTEMPTS {
            match self.try_start(dir.path()) {
                Ok((child, port, log)) => {
                    return ServerProcess {
                        name: self.name.to_owned(),
                        child,
                        port,
                        log,
                        dir,
                    };
                }
                Err(why) => failures.push(why),
            }
        }
        panic!("{} did not start: {}", self.name, failures.join("; "));
    }

    fn try_start(&self, dir: &Path) -> Result<(Child, u16, PathBuf), String> {
        let port = free_port().map_err(|e| format!("free port: {e}"))?;
        let log_path = dir.join(format!("{}-{port}.log", self.name));
        let log = File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
        let err = log.try_clone().map_err(|e| format!("log: {e}"))?;
        let mut child = Command::new(self.binary)
            .args((self.args)(port, dir))
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("spawn {}: {e}", self.binary.display()))?;
        let deadline = Instant::now() + STARTUP;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                return Err(format!("exited with {status}: {}", log.trim()));
            }
            let up = match self.ready_path {
                None => connect(port).is_some(),
                Some(path) => request(port, "GET", path, None).is_ok_and(|(s, _)| s == 200),
            };
            if up {
                return Ok((child, port, log_path));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        Err(format!(
            "not ready on port {port} after {STARTUP:?}: {}",
            log.trim()
        ))
    }
}

fn connect(port: u16) -> Option<TcpStream> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).ok()
}

/// One HTTP/1.1 request with `Connection: close`; returns the status and the body.
fn request(
    port: u16,
    method: &str,
    path: &str,
    json: Option<&str>,
) -> Result<(u16, String), String> {
    let mut stream = connect(port).ok_or_else(|| format!("connect 127.0.0.1:{port}"))?;
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let body = json.unwrap_or("");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if json.is_some() {
        head.push_str("Content-Type: application/json\r\n");
    }
    head.push_str("\r\n");
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body.as_bytes()))
        .map_err(|e| format!("write: {e}"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| format!("read: {e}"))?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").ok_or("no HTTP header")?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("no HTTP status")?;
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    Ok((
        status,
        if chunked {
            dechunk(rest)
        } else {
            rest.to_owned()
        },
    ))
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

impl ServerProcess {
    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:PORT`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Its private temporary directory (removed when it stops).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `GET path`: the status and body.
    pub fn get(&self, path: &str) -> Result<(u16, String), String> {
        request(self.port, "GET", path, None)
    }

    /// `POST path` with a JSON body: the status and body.
    pub fn post_json(&self, path: &str, json: &str) -> Result<(u16, String), String> {
        request(self.port, "POST", path, Some(json))
    }

    /// What the server has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Kills the server and waits for it to exit.
    pub fn stop(mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

impl std::fmt::Display for ServerProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} on 127.0.0.1:{}", self.name, self.port)
    }
}
