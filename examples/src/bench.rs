//! `bench-client-overhead`: our Hetzner client against plain reqwest and the `hcloud` crate,
//! same load, same connection settings, on loopback against a server in another process.
//!
//! The server ([`serve_fixed`]) answers `GET /v1/locations/1` with the Hetzner simulator's
//! own answer (status, `RateLimit-*` headers, JSON body), captured once at start and then
//! served as it is: its cost per request is small and the same for every client, so the
//! figures show what each client spends, and it runs in its own process, so its work does
//! not share the clients' runtime or count in their CPU time.

use std::future::Future;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hetzner_client::simulator::{SIMULATOR_TOKEN, Simulator};
use hetzner_client::transport::{HttpRequest, ReqwestTransport};
use hetzner_client::{Client, RateLimitPolicy};
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::error::{Error, Result};

/// Connect timeout every side uses (the client's default).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Request timeout every side uses (the client's default).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// The one path the bench server answers, below its `/v1` base.
pub const LOCATION_PATH: &str = "/locations/1";
/// The command-line flag that makes the bench binary the server process.
pub const SERVE_FLAG: &str = "--serve";

/// One measured run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Run {
    /// Requests that succeeded.
    pub ok: usize,
    /// Requests that failed.
    pub errors: usize,
    /// Wall time.
    pub elapsed: Duration,
    /// CPU time (user + system) the whole process spent during the run, when the platform
    /// reports it (Linux `/proc/self/stat`).
    pub cpu: Option<Duration>,
}

impl Run {
    /// Successful requests per second.
    pub fn rps(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// CPU microseconds per request, when known.
    pub fn cpu_us_per_request(&self) -> Option<f64> {
        let requests = (self.ok + self.errors).max(1) as f64;
        self.cpu.map(|c| c.as_secs_f64() * 1e6 / requests)
    }

    /// The better of two runs (higher throughput).
    #[must_use]
    pub fn best(self, other: Option<Run>) -> Run {
        match other {
            Some(o) if o.rps() >= self.rps() => o,
            _ => self,
        }
    }
}

/// CPU time (user + system, all threads) this process has used so far: fields 14 and 15 of
/// `/proc/self/stat`, in clock ticks of 1/100 s (Linux's `USER_HZ`). `None` elsewhere.
pub fn process_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let after_name = &stat[stat.rfind(')')? + 2..];
    let mut fields = after_name.split(' ').skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((user + system) * 10))
}

/// The reqwest client our side and the raw side use: the same settings as the Hetzner
/// client's default transport.
///
/// # Errors
/// reqwest could not build a client (e.g. no TLS backend).
pub fn http_client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .build()
        .map_err(|e| Error::State(format!("could not build the HTTP client: {e}")))
}

/// Runs `requests` calls of `call` on `concurrency` tasks and measures them.
pub async fn drive<F, Fut>(requests: usize, concurrency: usize, call: F) -> Run
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let call = Arc::new(call);
    let next = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicUsize::new(0));
    let cpu_before = process_cpu_time();
    let start = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (call, next, errors) = (Arc::clone(&call), Arc::clone(&next), Arc::clone(&errors));
            tokio::spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < requests {
                    if !call().await {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        if t.await.is_err() {
            errors.fetch_add(1, Ordering::Relaxed);
        }
    }
    let elapsed = start.elapsed();
    let cpu = match (cpu_before, process_cpu_time()) {
        (Some(before), Some(after)) => after.checked_sub(before),
        _ => None,
    };
    let errors = errors.load(Ordering::Relaxed);
    Run {
        ok: requests.saturating_sub(errors),
        errors,
        elapsed,
        cpu,
    }
}

/// `requests` GETs of one location through our client (rate gate disabled: this measures
/// the client's own overhead, not pacing).
///
/// # Errors
/// The client could not be built.
pub async fn ours(endpoint: &str, requests: usize, concurrency: usize) -> Result<Run> {
    let client = Client::builder()
        .token(SIMULATOR_TOKEN)
        .endpoint(endpoint)
        .rate_limit(RateLimitPolicy::disabled())
        .transport(Arc::new(ReqwestTransport::new(http_client()?)))
        .build()?;
    Ok(drive(requests, concurrency, move || {
        let client = client.clone();
        async move { client.locations().get(1).await.is_ok() }
    })
    .await)
}

/// User agent of the raw side, as long as the client's own.
const RAW_USER_AGENT: &str = concat!("hetzner-bench/", env!("CARGO_PKG_VERSION"));

/// The same GETs through plain reqwest: the same request headers as the client (bearer token,
/// `Accept`, `User-Agent`), status check, JSON decode.
///
/// # Errors
/// The HTTP client could not be built.
pub async fn raw(endpoint: &str, requests: usize, concurrency: usize) -> Result<Run> {
    let http = http_client()?;
    let url = format!("{endpoint}{LOCATION_PATH}");
    let auth = format!("Bearer {SIMULATOR_TOKEN}");
    Ok(drive(requests, concurrency, move || {
        let (http, url, auth) = (http.clone(), url.clone(), auth.clone());
        async move {
            let request = http
                .get(&url)
                .header("Authorization", auth)
                .header("Accept", "application/json")
                .header("User-Agent", RAW_USER_AGENT);
            match request.send().await {
                Ok(r) if r.status().is_success() => r
                    .bytes()
                    .await
                    .ok()
                    .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                    .is_some(),
                _ => false,
            }
        }
    })
    .await)
}

/// The bench server, running in a child process; killed when dropped.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    endpoint: String,
}

impl ServerProcess {
    /// Starts `program SERVE_FLAG` (normally the bench binary itself) and reads the endpoint
    /// it prints on its first line.
    ///
    /// # Errors
    /// The process could not start or did not print its endpoint.
    pub fn spawn(program: &std::path::Path) -> Result<Self> {
        let mut child = Command::new(program)
            .arg(SERVE_FLAG)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| Error::State(format!("could not start the bench server: {e}")))?;
        let stdin = child.stdin.take();
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            let _ = BufReader::new(out).read_line(&mut line);
        }
        let mut server = Self {
            child,
            stdin,
            endpoint: String::new(),
        };
        match line.trim().strip_prefix("endpoint ") {
            Some(endpoint) => server.endpoint = endpoint.to_owned(),
            None => {
                return Err(Error::State(format!(
                    "the bench server did not print its endpoint (got {line:?})"
                )));
            }
        }
        Ok(server)
    }

    /// The Hetzner base URL it serves (`http://127.0.0.1:PORT/v1`).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // Closing stdin asks the server to exit; kill covers a server that hangs.
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The server side of the bench: captures the simulator's answer to `GET /v1/locations/1`,
/// serves it on an ephemeral port of 127.0.0.1 (401 without the simulator's token, 404 for
/// any other path), prints `endpoint URL` on stdout and exits when stdin closes.
///
/// # Errors
/// The simulator gave no answer or the socket could not be bound.
pub async fn serve_fixed() -> Result<()> {
    let sim = Simulator::with_limit(u32::MAX);
    let mut headers = http::HeaderMap::new();
    let authorization = format!("Bearer {SIMULATOR_TOKEN}");
    let value = http::HeaderValue::from_str(&authorization)
        .map_err(|_| Error::State("the simulator token is not a header value".into()))?;
    headers.insert(http::header::AUTHORIZATION, value);
    let reply = sim
        .transport()
        .send(HttpRequest {
            method: http::Method::GET,
            url: reqwest::Url::parse(&format!("http://loopback/v1{LOCATION_PATH}"))
                .map_err(|e| Error::State(format!("bad simulator URL: {e}")))?,
            headers,
            body: None,
        })
        .await
        .map_err(|e| Error::State(format!("the simulator did not answer: {e}")))?;
    if !reply.status.is_success() {
        return Err(Error::State(format!(
            "the simulator answered {LOCATION_PATH} with HTTP {}",
            reply.status
        )));
    }
    let answer = Arc::new(reply);
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(|e| Error::State(format!("could not bind the bench server: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::State(format!("no local address: {e}")))?;
    println!("endpoint http://{addr}/v1");
    // Exit when the parent closes our stdin (or dies).
    std::thread::spawn(|| {
        let mut sink = [0u8; 64];
        while matches!(std::io::stdin().read(&mut sink), Ok(n) if n > 0) {}
        std::process::exit(0);
    });
    let path = format!("/v1{LOCATION_PATH}");
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (answer, path, authorization) =
            (Arc::clone(&answer), path.clone(), authorization.clone());
        tokio::spawn(async move {
            let service = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                let authorized = req
                    .headers()
                    .get(http::header::AUTHORIZATION)
                    .is_some_and(|v| v.as_bytes() == authorization.as_bytes());
                let status = match (req.uri().path() == path, authorized) {
                    (false, _) => http::StatusCode::NOT_FOUND,
                    (true, false) => http::StatusCode::UNAUTHORIZED,
                    (true, true) => http::StatusCode::OK,
                };
                let mut response = if status.is_success() {
                    let mut r = http::Response::new(Full::new(answer.body.clone()));
                    *r.headers_mut() = answer.headers.clone();
                    r
                } else {
                    http::Response::new(Full::new(Bytes::new()))
                };
                *response.status_mut() = status;
                std::future::ready(Ok::<_, std::convert::Infallible>(response))
            });
            // A client closing its connection ends this task; nothing to report.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
