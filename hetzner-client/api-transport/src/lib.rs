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

mod error;
mod request;
mod reqwest_transport;
mod retry;
mod send;
mod wire;

pub use error::{TransportError, TransportErrorKind};
pub use request::{BodyError, RequestSpec, encode_component, retry_safe};
pub use reqwest_transport::ReqwestTransport;
pub use retry::{Decision, Failure, RetryPolicy, jitter_unit};
pub use send::{Api, Pipeline, Rejected, Sent};
pub use wire::{HttpRequest, HttpResponse, StatusCode, Transport};

pub use rate_budget::{Budget, Gate, GateError, ServerReport};
