//! One transport core for REST API clients, shared by `hetzner-client` and
//! `cloudflare-client` so both speak one vocabulary:
//!
//! - [`RequestSpec`]: a request as data (method, path, query, JSON body), built by pure
//!   functions and checked without HTTP.
//! - [`Transport`]: sends one [`HttpRequest`] and returns its [`HttpResponse`] (status as a
//!   typed [`StatusCode`]) or a [`TransportError`] that says whether the request may have
//!   reached the server and keeps its cause as the error source. [`ReqwestTransport`] sends
//!   real traffic (features `rustls`, the default, or `native-tls`); the clients' simulators
//!   implement it in memory.
//! - [`RetryPolicy`]: the numbers, and a pure [`RetryPolicy::decide`] that turns a classified
//!   [`Failure`] into a [`Decision`]: retry after a delay, wait for the rate budget, or stop.
//!   A request that may have been applied is never replayed unless its method is safe to
//!   replay.
//! - [`Pipeline`]: the send loop every request of a client goes through: the rate gate (from
//!   `rate-budget`), the transport, the API's reader, the retry decision. An API supplies only
//!   what differs ([`Api`]: how its rate-limit headers read and how its errors map) and, per
//!   call, how an answer is read and classified.
//! - [`check_base_url`]: which base URLs a client accepts.
//!
//! # Fault policy
//!
//! One policy, applied by the [`Pipeline`] and [`ReqwestTransport`] for every client built on
//! this crate (hetzner-client and cloudflare-client):
//!
//! - **A damaged success is an interrupted transfer.** A 2xx answer to a request that asked
//!   for JSON (`Accept`), or that says it is JSON (`Content-Type`), whose body is not one
//!   whole JSON value (an HTML page from a proxy, truncated or malformed JSON, or empty where
//!   JSON was asked for) is a [`TransportErrorKind::UndecodableBody`] failure that may have
//!   been applied. An idempotent request (`GET`, `HEAD`, `PUT`, `PATCH`, `DELETE`) is sent
//!   again with backoff; a `POST` is not replayed, and its error says it may have been
//!   applied, so a create reconciles (looks the resource up by its unique name) instead of
//!   making a duplicate. A body that is JSON of an unexpected shape is not damage: that is
//!   the client's decode error and is not retried.
//! - **Redirects are never followed**, to the same origin or another one, so a request and its
//!   body (user data, keys) never go to a host other than the base URL's. A 3xx answer ends
//!   the call with [`TransportErrorKind::Redirected`], whose message names the `Location`'s
//!   origin and its status (never the `Location`'s path or query, never the token). The
//!   request is not retried and counts as not applied.
//! - **Plain `http://` only to loopback.** Client builders refuse a base URL that is
//!   `http://` to anything but `127.0.0.0/8`, `::1` or `localhost` ([`check_base_url`]),
//!   naming the field `base_url`; [`ReqwestTransport`] checks every request's URL the same way
//!   ([`TransportErrorKind::InsecureUrl`]) before sending.
//! - **A rate-limit refusal waits by the API's documented rule.** When a refusal names no
//!   wait (`Retry-After`), the wait is [`Api::rate_limit_wait`] (Cloudflare: the 5-minute
//!   block; Hetzner: until its bucket holds a token again, from `RateLimit-Reset`). While
//!   waiting, an `info` event every [`RetryPolicy::progress_interval`] (10 s by default) names
//!   the seconds that remain. A caller that chose not to wait that long (the gate's maximum
//!   wait, `fail_fast`) gets the gate's rate-limited error naming the wait at once, and a
//!   wait longer than [`RetryPolicy::max_rate_limit_wait`] ends the call with the refusal.
//!
//! ```
//! use std::time::Duration;
//! use api_transport::{Decision, Failure, RetryPolicy};
//! use http::Method;
//!
//! let policy = RetryPolicy::default().max_attempts(3);
//! let lost = Failure::Transient { retry_after: None, may_have_been_applied: true };
//! assert!(matches!(policy.decide(&Method::GET, 1, &lost, 0.5), Decision::Retry(_)));
//! // A POST that may have landed is not replayed: the caller reconciles instead.
//! assert_eq!(policy.decide(&Method::POST, 1, &lost, 0.5), Decision::Stop);
//! let limited = Failure::RateLimited { retry_after: Some(Duration::from_secs(2)) };
//! assert_eq!(policy.decide(&Method::POST, 1, &limited, 0.5), Decision::WaitForBudget(Duration::from_secs(2)));
//! ```
#![forbid(unsafe_code)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

mod base_url;
mod error;
mod fault;
#[cfg(feature = "fault-server")]
pub mod fault_server;
mod request;
mod reqwest_transport;
mod retry;
mod send;
mod wire;

pub use base_url::{BaseUrlError, check_base_url, check_url, is_loopback};
pub use error::{Redirect, TransportError, TransportErrorKind};
pub use request::{BodyError, RequestSpec, encode_component, retry_safe};
pub use reqwest_transport::ReqwestTransport;
pub use retry::{Decision, Failure, RetryPolicy, jitter_unit};
pub use send::{Api, Pipeline, Rejected, Sent};
pub use wire::{HttpRequest, HttpResponse, StatusCode, Transport};

pub use rate_budget::{Budget, Gate, GateError, ServerReport};
