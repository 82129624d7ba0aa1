//! An in-process, stateful fake of the endpoints this crate uses, with the real envelope,
//! validation errors, pagination (`result_info` pages on DNS and zones, cursors on rulesets),
//! plan limits, the 1200 / 300 s rate limit with its 429 + code 971 five-minute block, and fault
//! injection (5xx, 429, slow answers, dropped connections, malformed bodies).
//!
//! It implements [`Transport`], so a [`Client`] talks to it exactly as to the real API. Under
//! `#[tokio::test(start_paused = true)]` hours of rate-limited traffic run in milliseconds.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> cloudflare_client::Result<()> {
//! use cloudflare_client::PlanTier;
//! use cloudflare_client::resources::dns::{NewDnsRecord, RecordType};
//! use cloudflare_client::simulator::Simulator;
//!
//! let sim = Simulator::new();
//! let zone = sim.add_zone("example.com", PlanTier::Free);
//! let client = sim.client()?;
//! client.dns(&zone).create(&NewDnsRecord::new(RecordType::A, "www.example.com", "192.0.2.1")).await?;
//! assert_eq!(sim.dns_records(&zone).len(), 1);
//! # Ok(()) }
//! ```
//!
//! Beyond zones, settings, DNS, rulesets and bot management it serves token verification, cache
//! purge, account lists (item writes answer an operation that reports `running` once, then
//! `completed`), Origin CA certificates (issued for hostnames of one of its zones), zone-level
//! Authenticated Origin Pulls, per-rule ruleset calls, ruleset versions and the BIND zone-file
//! export. Every zone belongs to one account ([`Simulator::account_id`]).
//!
//! Error codes the simulator uses where the real API's code is documented or observed: 971
//! (rate limit), 7003 (no route), 10003 (no entry point), 81057 (identical DNS record), 81044
//! (record not found), 10019 (no room for another list), 10031 (deleting a list that a rule
//! uses), 9106 (no credentials), 1000 (unknown token on `user/tokens/verify`), 9109 (unknown
//! token elsewhere; only [`TOKEN`] and tokens given to [`Simulator::add_token`] are known).
//! Other validation failures use representative codes (1004 DNS validation, 1007 setting value,
//! 20002 ruleset validation, with "filter parsing error" for expressions the
//! [`crate::expression::parse`] checker refuses, 10021 list validation, 1010 certificate
//! request, 1012 purge).

mod account;
mod dns;
mod faults;
mod list_items;
mod router;
mod rulesets;
mod state;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use tokio::time::Instant;

pub use faults::{Fault, FaultRule};

use crate::client::{Client, ClientBuilder};
use crate::resources::dns::DnsRecord;
use crate::resources::rulesets::{Phase, Ruleset};
use crate::resources::zones::PlanTier;
use crate::transport::{HttpRequest, HttpResponse, Transport, TransportError, TransportErrorKind};
use state::State;

/// The base URL the simulator answers on.
pub const BASE_URL: &str = "http://cloudflare-simulator.invalid/client/v4";

/// The token [`Simulator::client`] uses.
pub const TOKEN: &str = "simulator-token";

/// Simulator settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimulatorConfig {
    /// Requests allowed per window (1200).
    pub limit: u32,
    /// The window (300 s).
    pub window: Duration,
    /// How long an overflow blocks every call (300 s).
    pub block: Duration,
    /// Simulated latency of every answer (20 ms).
    pub latency: Duration,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        Self {
            limit: 1200,
            window: Duration::from_secs(300),
            block: Duration::from_secs(300),
            latency: Duration::from_millis(20),
        }
    }
}

/// Counters of what the simulator saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimStats {
    /// Requests received (including refused ones).
    pub requests: u64,
    /// Answers with status 429.
    pub http_429: u64,
    /// Answers with another 4xx status.
    pub http_4xx: u64,
    /// Answers with a 5xx status.
    pub http_5xx: u64,
    /// Requests that changed state (POST/PUT/PATCH/DELETE that succeeded).
    pub writes: u64,
    /// Faults injected.
    pub faults: u64,
}

/// The simulator. Cheap to clone; clones share state.
#[derive(Debug, Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: SimulatorConfig,
    state: Mutex<State>,
    limiter: Mutex<Limiter>,
    stats: Mutex<SimStats>,
    faults: Mutex<Vec<FaultRule>>,
}

#[derive(Debug, Default)]
struct Limiter {
    accepted: VecDeque<Instant>,
    blocked_until: Option<Instant>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Default for Simulator {
    fn default() -> Self {
        Self::new()
    }
}

impl Simulator {
    /// A simulator with the real limits and 20 ms latency.
    pub fn new() -> Self {
        Self::with_config(SimulatorConfig::default())
    }

    /// A simulator with these settings.
    pub fn with_config(config: SimulatorConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                state: Mutex::new(State::default()),
                limiter: Mutex::new(Limiter::default()),
                stats: Mutex::new(SimStats::default()),
                faults: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Add a zone on `tier` with default settings and no records; returns its id.
    pub fn add_zone(&self, name: &str, tier: PlanTier) -> String {
        lock(&self.inner.state).add_zone(name, tier)
    }

    /// A client builder wired to this simulator (token, base URL and transport set); add your
    /// own gate, retry or timeout settings.
    pub fn client_builder(&self) -> ClientBuilder {
        Client::builder()
            .token(TOKEN)
            .transport(Arc::new(self.clone()))
            .base_url_deferred(BASE_URL)
    }

    /// A client wired to this simulator with default gate and retry settings.
    pub fn client(&self) -> crate::Result<Client> {
        self.client_builder().build()
    }

    /// Queue a fault; it hits the next matching requests.
    pub fn inject(&self, rule: FaultRule) {
        lock(&self.inner.faults).push(rule);
    }

    /// Counters so far.
    pub fn stats(&self) -> SimStats {
        lock(&self.inner.stats).clone()
    }

    /// The zone's DNS records (inspection for tests).
    pub fn dns_records(&self, zone_id: &str) -> Vec<DnsRecord> {
        lock(&self.inner.state)
            .zones
            .get(zone_id)
            .map(|z| z.dns.clone())
            .unwrap_or_default()
    }

    /// The zone's entry point ruleset for `phase`, if any (inspection for tests).
    pub fn entrypoint(&self, zone_id: &str, phase: &Phase) -> Option<Ruleset> {
        lock(&self.inner.state)
            .zones
            .get(zone_id)
            .and_then(|z| z.rulesets.get(phase.as_str()).cloned())
    }

    /// The id of the account every zone belongs to (`None` before the first zone).
    pub fn account_id(&self) -> Option<String> {
        lock(&self.inner.state).account_id.clone()
    }

    /// Accept `token` as well as [`TOKEN`] (every other token is refused as the live API
    /// refuses it: 1000 on `user/tokens/verify`, 9109 elsewhere).
    pub fn add_token(&self, token: &str) {
        let mut state = lock(&self.inner.state);
        if !state.knows_token(token) {
            state.tokens.0.push(token.to_owned());
        }
    }

    /// Make `user/tokens/verify` report this status (`active`, `disabled`, `expired`).
    pub fn set_token_status(&self, status: &str) {
        lock(&self.inner.state).token_status = Some(status.to_owned());
    }

    /// The IP items (`ip` values, in order) of the account's list `name`, if it exists.
    pub fn list_items(&self, name: &str) -> Option<Vec<String>> {
        lock(&self.inner.state)
            .lists
            .iter()
            .find(|l| l.name == name)
            .map(|l| {
                l.items
                    .iter()
                    .filter_map(|i| i["ip"].as_str().map(str::to_owned))
                    .collect()
            })
    }

    /// Whether zone-level Authenticated Origin Pulls is on.
    pub fn origin_pulls(&self, zone_id: &str) -> bool {
        lock(&self.inner.state)
            .zones
            .get(zone_id)
            .is_some_and(|z| z.origin_pulls)
    }

    /// The purge bodies the zone received, in order.
    pub fn purges(&self, zone_id: &str) -> Vec<serde_json::Value> {
        lock(&self.inner.state)
            .zones
            .get(zone_id)
            .map(|z| z.purges.clone())
            .unwrap_or_default()
    }

    /// Origin CA certificates issued and not revoked: `(zone id, certificate id)`.
    pub fn certificates(&self) -> Vec<(String, String)> {
        lock(&self.inner.state)
            .certificates
            .iter()
            .filter(|(_, c)| c.get("revoked_at").is_none())
            .map(|(z, c)| (z.clone(), c["id"].as_str().unwrap_or_default().to_owned()))
            .collect()
    }

    /// Replace the published IP ranges (the etag changes).
    pub fn set_ips(&self, ipv4: Vec<String>, ipv6: Vec<String>) {
        lock(&self.inner.state).set_ips(ipv4, ipv6);
    }

    /// Rate-limit check at `now`: `Err(retry_after)` when refused.
    fn admit(&self, now: Instant) -> Result<u32, Duration> {
        let cfg = self.inner.config;
        let mut l = lock(&self.inner.limiter);
        if let Some(b) = l.blocked_until {
            if now < b {
                return Err(b - now);
            }
            l.blocked_until = None;
        }
        while l.accepted.front().is_some_and(|t| *t + cfg.window <= now) {
            l.accepted.pop_front();
        }
        if l.accepted.len() >= cfg.limit as usize {
            l.blocked_until = Some(now + cfg.block);
            tracing::debug!(
                "simulator: rate limit exceeded; blocking for {:?}",
                cfg.block
            );
            return Err(cfg.block);
        }
        l.accepted.push_back(now);
        Ok(cfg.limit - l.accepted.len() as u32)
    }
}

fn response(status: u16, body: &serde_json::Value, extra: &[(&str, String)]) -> HttpResponse {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers.insert("cf-ray", HeaderValue::from_static("8f0000000000sim-FRA"));
    for (k, v) in extra {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            headers.insert(name, value);
        }
    }
    HttpResponse {
        status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        headers,
        body: Bytes::from(body.to_string()),
    }
}

/// The HTTP answer of a routed reply (JSON envelope, or plain text).
fn render(reply: &router::Reply, headers: &[(&str, String)]) -> HttpResponse {
    let mut r = response(reply.status, &reply.body, headers);
    if let Some(text) = &reply.text {
        r.headers.insert(
            "content-type",
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        r.body = Bytes::from(text.clone());
    }
    r
}

#[async_trait]
impl Transport for Simulator {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let cfg = self.inner.config;
        if !cfg.latency.is_zero() {
            tokio::time::sleep(cfg.latency).await;
        }
        let now = Instant::now();
        lock(&self.inner.stats).requests += 1;
        let fault = faults::take(&self.inner.faults, &request);
        if fault.is_some() {
            lock(&self.inner.stats).faults += 1;
        }
        match fault {
            Some(Fault::DropBeforeProcessing) => {
                return Err(TransportError::with_source(
                    TransportErrorKind::Interrupted,
                    "connection reset by peer",
                ));
            }
            Some(Fault::ServerError(code)) => {
                lock(&self.inner.stats).http_5xx += 1;
                let body = router::failure(
                    code,
                    10000 + u32::from(code),
                    "Internal server error (injected)",
                );
                return Ok(response(code, &body, &[]));
            }
            Some(Fault::RateLimited { retry_after }) => {
                lock(&self.inner.stats).http_429 += 1;
                let body = router::failure(
                    429,
                    crate::error::codes::RATE_LIMITED,
                    router::RATE_LIMIT_MESSAGE,
                );
                return Ok(response(
                    429,
                    &body,
                    &[("retry-after", retry_after.as_secs().to_string())],
                ));
            }
            _ => {}
        }
        let remaining = match self.admit(now) {
            Ok(r) => r,
            Err(retry_after) => {
                lock(&self.inner.stats).http_429 += 1;
                let body = router::failure(
                    429,
                    crate::error::codes::RATE_LIMITED,
                    router::RATE_LIMIT_MESSAGE,
                );
                let secs = retry_after.as_secs_f64().ceil() as u64;
                return Ok(response(429, &body, &[("retry-after", secs.to_string())]));
            }
        };
        let reply = {
            let mut state = lock(&self.inner.state);
            router::route(&mut state, &request)
        };
        {
            let mut stats = lock(&self.inner.stats);
            match reply.status {
                200..=299 if request.method != http::Method::GET => stats.writes += 1,
                429 => stats.http_429 += 1,
                400..=499 => stats.http_4xx += 1,
                500..=599 => stats.http_5xx += 1,
                _ => {}
            }
        }
        let headers = [
            (
                "ratelimit-policy",
                format!("\"default\";q={};w={}", cfg.limit, cfg.window.as_secs()),
            ),
            ("ratelimit", format!("\"default\";r={remaining};t=1")),
        ];
        match fault {
            Some(Fault::DropConnection) => Err(TransportError::with_source(
                TransportErrorKind::Interrupted,
                "connection closed before the response",
            )),
            Some(Fault::Slow(d)) => {
                tokio::time::sleep(d).await;
                Ok(render(&reply, &headers))
            }
            Some(Fault::MalformedBody) => {
                let mut r = response(reply.status, &reply.body, &headers);
                r.body = Bytes::from_static(b"<html><body>502 upstream hiccup</body></html>");
                Ok(r)
            }
            _ => Ok(render(&reply, &headers)),
        }
    }
}
