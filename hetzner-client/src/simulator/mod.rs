//! An in-process, stateful fake of the Hetzner Cloud API (feature `simulator`).
//!
//! It sits behind the [`Transport`] trait, so a [`Client`] talks to it exactly as to the real
//! API: same paths, bodies, error bodies (`invalid_input` with `details.fields`,
//! `uniqueness_error`, `not_found`, ...), pagination meta, label selectors, actions that go
//! from `running` to `success`, and `RateLimit-*` headers from a real token bucket (3600
//! requests, +1 per second, on tokio's clock) that answers 429 `rate_limit_exceeded` when
//! empty. Faults can be injected for tests: 5xx, 429, slow responses, dropped connections
//! (the request is applied but the response is lost) and malformed bodies.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> hetzner_client::Result<()> {
//! use hetzner_client::simulator::{Fault, Simulator};
//! use hetzner_client::resources::servers::CreateServer;
//! use hetzner_client::Client;
//!
//! let sim = Simulator::new();
//! let client = Client::simulated(&sim)?;
//! sim.inject(Fault::DropConnection, http::Method::POST, "/servers", 1);
//! let created = client.servers().create(&CreateServer::new("rc-fsn1-a3f2c1", "cx22", "ubuntu-24.04")).await?;
//! assert!(created.reconciled); // the response was lost; the server was found by name
//! assert_eq!(sim.servers().len(), 1);
//! # Ok(()) }
//! ```

mod certificates;
mod firewalls;
mod floating_ips;
mod generic;
mod http_parts;
mod listing;
mod load_balancers;
mod metrics;
mod networks;
mod others;
mod placement_groups;
mod primary_ip;
mod primary_ips;
mod reply;
mod request_log;
mod routes;
mod rrsets;
mod server_actions;
mod servers;
mod state;
mod stored_server;
mod volumes;
mod wire;
mod x509;
mod zones;

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use http::{HeaderValue, Method};
use serde_json::Value;
use tokio::time::Instant;

use self::http_parts::{link_header, rate_headers, split_url};
use self::request_log::RequestLog;
pub use self::request_log::{DEFAULT_REQUEST_LOG_CAPACITY, RecordedRequest};
use self::routes::route;
pub use self::state::{DEFAULT_ACTION_RETENTION, NO_ROUTE};
use self::state::{Query, Reply, State};
use crate::client::{Client, ClientBuilder};
use crate::error::Result;
use crate::models::firewall::Firewall;
use crate::models::image::Image;
use crate::models::server::{PrivateNet, Server};
use crate::models::ssh_key::SshKey;
use crate::transport::{HttpRequest, HttpResponse, Transport, TransportError, TransportErrorKind};

/// The token [`Client::simulated`] uses; any other token gets 401 `unauthorized`.
pub const SIMULATOR_TOKEN: &str = "simulated-token";
/// The base URL of simulated clients.
pub const SIMULATOR_ENDPOINT: &str = "https://simulator.invalid/v1";

/// A fault to inject into matching requests.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// 500 `server_error` (nothing applied).
    ServerError,
    /// 503 with a non-JSON body, as an ingress would send (nothing applied).
    BareUnavailable,
    /// 429 `rate_limit_exceeded` (nothing applied, no token spent).
    RateLimited,
    /// 409 `conflict` (nothing applied).
    Conflict,
    /// The request is applied, then the connection drops before the response.
    DropConnection,
    /// The connection is refused: nothing reaches the server.
    Refuse,
    /// The request is applied and answered after this delay.
    Slow(Duration),
    /// The request is applied and answered 200 with a body that is not JSON.
    MalformedBody,
}

#[derive(Debug, Clone)]
struct FaultRule {
    fault: Fault,
    method: Method,
    path_prefix: String,
    remaining: u32,
}

#[derive(Debug)]
struct Bucket {
    capacity: f64,
    per_second: f64,
    tokens: f64,
    updated: Instant,
}

impl Bucket {
    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.capacity);
        self.updated = now;
    }
}

impl World {
    fn bucket_for(&mut self, path: &str) -> &mut Bucket {
        match &mut self.action_bucket {
            Some(actions) if path.starts_with("/actions") => actions,
            _ => &mut self.bucket,
        }
    }

    fn bucket_ref(&self, path: &str) -> &Bucket {
        match &self.action_bucket {
            Some(actions) if path.starts_with("/actions") => actions,
            _ => &self.bucket,
        }
    }
}

#[derive(Debug)]
struct World {
    state: State,
    bucket: Bucket,
    action_bucket: Option<Bucket>,
    faults: Vec<FaultRule>,
    log: RequestLog,
    response_timeout: Duration,
}

/// The simulated API. Cheap to clone; clones share one world.
#[derive(Clone)]
pub struct Simulator {
    world: Arc<Mutex<World>>,
}

impl fmt::Debug for Simulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Simulator").finish_non_exhaustive()
    }
}

impl Default for Simulator {
    fn default() -> Self {
        Self::new()
    }
}

impl Simulator {
    /// A fresh project with the documented default limit (3600 per hour, +1 per second),
    /// a catalog of locations, server types and system images, and 3 s actions.
    pub fn new() -> Self {
        Self::with_limit(3600)
    }

    /// A fresh project whose bucket holds `limit` requests (refilled at `limit / 3600` per second).
    pub fn with_limit(limit: u32) -> Self {
        Self::with_bucket(limit, Duration::from_secs(3600))
    }

    /// A fresh project whose bucket holds `limit` requests and refills all of them over
    /// `refill_period` (Hetzner's is one hour). A scaled-down bucket (say 50 requests
    /// refilled every 250 ms) lets benchmarks in real time exercise the limit in seconds;
    /// pair it with `RateLimitPolicy::refill_period` on the clients.
    pub fn with_bucket(limit: u32, refill_period: Duration) -> Self {
        let capacity = f64::from(limit.max(1));
        let period = refill_period.as_secs_f64().max(1e-6);
        Self {
            world: Arc::new(Mutex::new(World {
                state: State::new(Duration::from_secs(3)),
                bucket: Bucket {
                    capacity,
                    per_second: capacity / period,
                    tokens: capacity,
                    updated: Instant::now(),
                },
                action_bucket: None,
                faults: Vec::new(),
                log: RequestLog::new(DEFAULT_REQUEST_LOG_CAPACITY),
                response_timeout: Duration::from_secs(60),
            })),
        }
    }

    fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Gives `GET /actions...` its own bucket of `limit` requests per hour, as Hetzner does
    /// for action polling on some projects (by default one bucket serves every path).
    pub fn set_action_limit(&self, limit: u32) {
        let capacity = f64::from(limit.max(1));
        self.world().action_bucket = Some(Bucket {
            capacity,
            per_second: capacity / 3600.0,
            tokens: capacity,
            updated: Instant::now(),
        });
    }

    /// How long every action runs before it succeeds.
    pub fn set_action_duration(&self, duration: Duration) {
        self.world().state.action_duration = duration;
    }

    /// Keeps at most `count` finished actions from now on (the oldest are forgotten first;
    /// running actions are always kept). A forgotten action answers 404 on
    /// `GET /actions/{id}` and leaves the action lists, as the API does for old actions, so
    /// a long run holds a bounded number of actions.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() -> hetzner_client::Result<()> {
    /// use std::time::Duration;
    /// use hetzner_client::resources::servers::CreateServer;
    /// use hetzner_client::simulator::Simulator;
    /// use hetzner_client::Client;
    ///
    /// let sim = Simulator::new();
    /// sim.set_action_retention(1);
    /// let client = Client::simulated(&sim)?;
    /// let first = client.servers().create(&CreateServer::new("web-1", "cx22", "ubuntu-24.04")).await?;
    /// tokio::time::sleep(Duration::from_secs(10)).await;
    /// // create_server and start_server finished: only the latest is kept
    /// let (created, started) = (first.action.expect("an action").id, first.next_actions[0].id);
    /// assert!(client.actions().get(created).await.is_err());
    /// assert_eq!(client.actions().get(started).await?.id, started);
    /// # Ok(()) }
    /// ```
    pub fn set_action_retention(&self, count: usize) {
        let mut world = self.world();
        world.state.action_retention = count;
        world.state.forget_finished();
    }

    /// Makes the next action with `command` (e.g. `create_image`) end in `error`.
    pub fn fail_next_action(&self, command: &str, code: &str, message: &str) {
        self.world().state.fail_next_action = Some((command.into(), code.into(), message.into()));
    }

    /// The transport to put into a [`ClientBuilder`].
    pub fn transport(&self) -> Arc<dyn Transport> {
        Arc::new(SimTransport { sim: self.clone() })
    }

    /// A client builder already pointed at this simulator (token, endpoint, transport).
    pub fn client_builder(&self) -> ClientBuilder {
        Client::builder()
            .token(SIMULATOR_TOKEN)
            .endpoint(SIMULATOR_ENDPOINT)
            .transport(self.transport())
    }

    /// Injects `fault` into the next `times` requests with `method` whose path starts with
    /// `path_prefix` (e.g. `"/servers"`).
    pub fn inject(&self, fault: Fault, method: Method, path_prefix: &str, times: u32) {
        self.world().faults.push(FaultRule {
            fault,
            method,
            path_prefix: path_prefix.into(),
            remaining: times,
        });
    }

    /// Responses slower than this end as a client-side timeout (the request is still applied).
    pub fn set_response_timeout(&self, timeout: Duration) {
        self.world().response_timeout = timeout;
    }

    /// The latest requests received, oldest first: every request, up to the log's capacity
    /// ([`DEFAULT_REQUEST_LOG_CAPACITY`] unless [`set_request_log_capacity`] changed it),
    /// since the simulator was made or [`clear_requests`] last ran.
    ///
    /// [`set_request_log_capacity`]: Self::set_request_log_capacity
    /// [`clear_requests`]: Self::clear_requests
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.world().log.kept()
    }

    /// How many requests were received, kept in the log or not.
    pub fn request_count(&self) -> u64 {
        self.world().log.total()
    }

    /// How many requests were answered with `status`, kept in the log or not.
    pub fn count_status(&self, status: u16) -> usize {
        usize::try_from(self.world().log.count_status(status)).unwrap_or(usize::MAX)
    }

    /// Keeps the latest `capacity` requests in full from now on (0 keeps none; the counters
    /// of [`request_count`](Self::request_count) and [`count_status`](Self::count_status)
    /// still see every request), so a long run holds a bounded log.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> hetzner_client::Result<()> {
    /// use hetzner_client::simulator::Simulator;
    /// use hetzner_client::Client;
    ///
    /// let sim = Simulator::new();
    /// sim.set_request_log_capacity(2);
    /// let client = Client::simulated(&sim)?;
    /// for _ in 0..5 {
    ///     client.ssh_keys().list(&Default::default()).await?;
    /// }
    /// assert_eq!(sim.requests().len(), 2);
    /// assert_eq!((sim.request_count(), sim.count_status(200)), (5, 5));
    /// # Ok(()) }
    /// ```
    pub fn set_request_log_capacity(&self, capacity: usize) {
        self.world().log.set_capacity(capacity);
    }

    /// Clears the request log and its counters.
    pub fn clear_requests(&self) {
        self.world().log.clear();
    }

    /// Tokens left in the project's bucket now.
    pub fn remaining_budget(&self) -> f64 {
        let mut world = self.world();
        world.bucket.refill(Instant::now());
        world.bucket.tokens
    }

    /// The servers that exist.
    pub fn servers(&self) -> Vec<Server> {
        let mut world = self.world();
        world.state.tick();
        let state = &world.state;
        state
            .servers
            .values()
            .filter_map(|s| state.server_now(s))
            .collect()
    }

    /// The user data a server was created (or rebuilt) with.
    pub fn user_data(&self, server_id: u64) -> Option<String> {
        self.world()
            .state
            .servers
            .get(&server_id)
            .and_then(|s| s.user_data.clone())
    }

    /// The firewalls that exist.
    pub fn firewalls(&self) -> Vec<Firewall> {
        let mut world = self.world();
        world.state.tick();
        let state = &world.state;
        state
            .firewalls
            .values()
            .map(|f| state.firewall_now(f))
            .collect()
    }

    /// The SSH keys that exist.
    pub fn ssh_keys(&self) -> Vec<SshKey> {
        self.world().state.ssh_keys.values().cloned().collect()
    }

    /// Every image (system images included).
    pub fn images(&self) -> Vec<Image> {
        self.world().state.images.values().cloned().collect()
    }

    /// Adds a snapshot created `age` ago (for cleanup tests); returns its id.
    pub fn seed_snapshot(&self, description: &str, labels: crate::Labels, age: Duration) -> u64 {
        let mut world = self.world();
        let state = &mut world.state;
        let id = state.id();
        let mut image = state::blank_snapshot(id);
        image.id = id;
        image.kind = crate::models::image::ImageType::Snapshot;
        image.name = None;
        image.description = description.into();
        image.labels = labels;
        image.created = state.now_wall() - chrono::Duration::from_std(age).unwrap_or_default();
        state.images.insert(id, image);
        id
    }

    /// Attaches a server to a private network (for isolation tests).
    pub fn attach_private_network(&self, server_id: u64, network_id: u64) {
        if let Some(s) = self.world().state.servers.get_mut(&server_id) {
            s.server.private_net.push(PrivateNet {
                network: network_id,
                ip: "10.0.0.2".into(),
                alias_ips: Vec::new(),
                mac_address: "86:00:00:00:00:01".into(),
            });
        }
    }

    /// Assigns a floating IP to a server.
    pub fn assign_floating_ip(&self, server_id: u64, floating_ip_id: u64) {
        if let Some(s) = self.world().state.servers.get_mut(&server_id) {
            s.server
                .public_net
                .floating_ips
                .push(i64::try_from(floating_ip_id).unwrap_or(i64::MAX));
        }
    }

    /// Makes a server a load balancer target.
    pub fn add_load_balancer_target(&self, server_id: u64, load_balancer_id: u64) {
        if let Some(s) = self.world().state.servers.get_mut(&server_id) {
            s.server
                .load_balancers
                .push(i64::try_from(load_balancer_id).unwrap_or(i64::MAX));
        }
    }

    /// Handles one request as the API would.
    async fn handle(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let (reply, headers, slow, fault, timeout) = {
            let mut world = self.world();
            let (path, query) = split_url(request.url.as_str());
            let body = request
                .body
                .as_ref()
                .map(|b| serde_json::from_slice::<Value>(b));
            let now = Instant::now();
            world.bucket.refill(now);
            if let Some(actions) = &mut world.action_bucket {
                actions.refill(now);
            }
            let fault = take_fault(&mut world.faults, &request.method, &path);
            if fault == Some(Fault::Refuse) {
                record(&mut world, &request.method, &path, &query, &body, 0);
                return Err(TransportError::new(TransportErrorKind::Connect));
            }
            let authorized = request
                .headers
                .get(http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v == format!("Bearer {SIMULATOR_TOKEN}"));
            let reply = if fault == Some(Fault::RateLimited) || world.bucket_for(&path).tokens < 1.0
            {
                Reply::error(
                    429,
                    "rate_limit_exceeded",
                    &format!(
                        "limit of {} requests per hour reached",
                        world.bucket_for(&path).capacity
                    ),
                    Value::Null,
                )
            } else {
                world.bucket_for(&path).tokens -= 1.0;
                match (&fault, authorized) {
                    (_, false) => {
                        Reply::error(401, "unauthorized", "unable to authenticate", Value::Null)
                    }
                    (Some(Fault::ServerError), _) => {
                        Reply::error(500, "server_error", "internal server error", Value::Null)
                    }
                    (Some(Fault::Conflict), _) => Reply::error(
                        409,
                        "conflict",
                        "resource has changed during the request, please retry",
                        Value::Null,
                    ),
                    (Some(Fault::BareUnavailable), _) => Reply {
                        status: 503,
                        body: None,
                    },
                    _ => match &body {
                        Some(Err(_)) => Reply::error(
                            400,
                            "json_error",
                            "invalid JSON input in request body",
                            Value::Null,
                        ),
                        Some(Ok(value)) => {
                            route(&mut world.state, &request.method, &path, &query, value)
                        }
                        None => route(
                            &mut world.state,
                            &request.method,
                            &path,
                            &query,
                            &Value::Null,
                        ),
                    },
                }
            };
            let lost = matches!(fault, Some(Fault::DropConnection));
            record(
                &mut world,
                &request.method,
                &path,
                &query,
                &body,
                if lost { 0 } else { reply.status },
            );
            let mut headers = rate_headers(&world, &path, reply.status == 429);
            if reply.body.is_some() {
                // a 204 carries neither a body nor a Content-Type
                headers.insert(
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
            }
            if let Some(link) = reply
                .body
                .as_ref()
                .and_then(|b| link_header(&request.url, b))
            {
                headers.insert(http::header::LINK, link);
            }
            let slow = match &fault {
                Some(Fault::Slow(d)) => Some(*d),
                _ => None,
            };
            (reply, headers, slow, fault, world.response_timeout)
        };
        if let Some(delay) = slow {
            if delay >= timeout {
                tokio::time::sleep(timeout).await;
                return Err(TransportError::new(TransportErrorKind::Timeout));
            }
            tokio::time::sleep(delay).await;
        }
        if fault == Some(Fault::DropConnection) {
            return Err(TransportError::new(TransportErrorKind::Interrupted));
        }
        let body = match (&fault, reply.status, &reply.body) {
            (Some(Fault::MalformedBody), _, _) => {
                Bytes::from_static(b"{\"servers\": [ {\"id\": \"oops\"")
            }
            (_, 503, None) => {
                Bytes::from_static(b"<html><body>503 Service Unavailable</body></html>")
            }
            (_, _, Some(v)) => Bytes::from(serde_json::to_vec(v).unwrap_or_default()),
            (_, _, None) => Bytes::new(),
        };
        let status = if fault == Some(Fault::MalformedBody) {
            200
        } else {
            reply.status
        };
        Ok(HttpResponse {
            status: http::StatusCode::from_u16(status)
                .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
            headers,
            body,
        })
    }
}

fn take_fault(faults: &mut Vec<FaultRule>, method: &Method, path: &str) -> Option<Fault> {
    let rule = faults
        .iter_mut()
        .find(|r| r.remaining > 0 && r.method == *method && path.starts_with(&r.path_prefix))?;
    rule.remaining -= 1;
    let fault = rule.fault.clone();
    faults.retain(|r| r.remaining > 0);
    Some(fault)
}

fn record(
    world: &mut World,
    method: &Method,
    path: &str,
    query: &Query,
    body: &Option<Result<Value, serde_json::Error>>,
    status: u16,
) {
    let body = body.as_ref().and_then(|b| b.as_ref().ok().cloned());
    world.log.push(RecordedRequest {
        method: method.clone(),
        path: path.into(),
        query: query.0.clone(),
        body,
        status,
    });
}

/// The simulator behind the [`Transport`] trait.
#[derive(Debug, Clone)]
pub struct SimTransport {
    sim: Simulator,
}

#[async_trait]
impl Transport for SimTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.sim.handle(request).await
    }
}

impl Client {
    /// A client talking to `sim` (see [`Simulator::client_builder`] to change policies).
    ///
    /// # Errors
    /// Never in practice; the builder's checks still run.
    pub fn simulated(sim: &Simulator) -> Result<Self> {
        sim.client_builder().build()
    }
}
