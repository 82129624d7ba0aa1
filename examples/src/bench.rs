//! `bench-client-overhead`: our Hetzner client against plain reqwest, same load, same
//! connection settings, on loopback against the simulator served over HTTP.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hetzner_client::simulator::{SIMULATOR_TOKEN, Simulator};
use hetzner_client::transport::ReqwestTransport;
use hetzner_client::{Client, RateLimitPolicy};

use crate::error::{Error, Result};
use crate::loopback;

/// Connect timeout both sides use (the client's default).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Request timeout both sides use (the client's default).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// One measured run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Run {
    /// Requests that succeeded.
    pub ok: usize,
    /// Requests that failed.
    pub errors: usize,
    /// Wall time.
    pub elapsed: Duration,
}

impl Run {
    /// Successful requests per second.
    pub fn rps(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// The reqwest client both sides use: the same settings as the Hetzner client's default
/// transport.
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

async fn drive<F, Fut>(requests: usize, concurrency: usize, call: F) -> Run
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let call = Arc::new(call);
    let next = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicUsize::new(0));
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
    let errors = errors.load(Ordering::Relaxed);
    Run {
        ok: requests.saturating_sub(errors),
        errors,
        elapsed: start.elapsed(),
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

/// The same GETs through plain reqwest: bearer header, status check, JSON decode.
///
/// # Errors
/// The HTTP client could not be built.
pub async fn raw(endpoint: &str, requests: usize, concurrency: usize) -> Result<Run> {
    let http = http_client()?;
    let url = format!("{endpoint}/locations/1");
    let auth = format!("Bearer {SIMULATOR_TOKEN}");
    Ok(drive(requests, concurrency, move || {
        let (http, url, auth) = (http.clone(), url.clone(), auth.clone());
        async move {
            match http.get(&url).header("Authorization", auth).send().await {
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

/// Best-of-`rounds` for both sides, alternating so load changes on the machine hit both.
///
/// # Errors
/// The loopback server or a client could not start.
pub async fn compare(requests: usize, concurrency: usize, rounds: usize) -> Result<(Run, Run)> {
    // A bucket far above the load: the simulator must not answer 429 here.
    let sim = Simulator::with_limit(u32::MAX);
    let server = loopback::serve(&sim)
        .await
        .map_err(|e| Error::State(format!("could not start the loopback server: {e}")))?;
    let endpoint = server.endpoint();
    // Warm-up: connections, allocator, simulator state.
    ours(&endpoint, requests / 10, concurrency).await?;
    raw(&endpoint, requests / 10, concurrency).await?;
    let (mut best_ours, mut best_raw): (Option<Run>, Option<Run>) = (None, None);
    for _ in 0..rounds.max(1) {
        let o = ours(&endpoint, requests, concurrency).await?;
        let r = raw(&endpoint, requests, concurrency).await?;
        if best_ours.is_none_or(|b| o.rps() > b.rps()) {
            best_ours = Some(o);
        }
        if best_raw.is_none_or(|b| r.rps() > b.rps()) {
            best_raw = Some(r);
        }
    }
    server.stop();
    match (best_ours, best_raw) {
        (Some(o), Some(r)) => Ok((o, r)),
        _ => Err(Error::State("no run completed".into())),
    }
}
