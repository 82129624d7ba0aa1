//! Everything between a typed call and the wire: request specs, the [`Transport`] trait and its
//! reqwest implementation, the rate gate, the retry decision and the single `send` choke point.
//!
//! The request, wire, transport and retry types are the `api-transport` crate's, shared with
//! hetzner-client, so both clients (and their simulators) speak one vocabulary.

pub use api_transport::{
    HttpRequest, HttpResponse, StatusCode, Transport, TransportError, TransportErrorKind,
};

pub mod rate_limit;
pub mod request;
pub mod reqwest_transport;
pub mod retry;
pub(crate) mod send;

pub use send::Response;
