//! Everything between a typed call and the wire: request specs, the [`Transport`] trait and its
//! reqwest implementation, the rate gate, the retry decision and the single `send` choke point.

use std::fmt::Debug;

use async_trait::async_trait;
use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use url::Url;

pub use crate::error::TransportErrorKind;

pub mod rate_limit;
pub mod request;
pub mod reqwest_transport;
pub mod retry;
pub(crate) mod send;

pub use send::Response;

/// A fully built HTTP request, as handed to a [`Transport`].
#[derive(Clone)]
pub struct HttpRequest {
    /// HTTP method.
    pub method: Method,
    /// Absolute URL including the query.
    pub url: Url,
    /// Headers (the `Authorization` value is marked sensitive).
    pub headers: HeaderMap,
    /// JSON body, if any.
    pub body: Option<Bytes>,
}

impl Debug for HttpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Headers are omitted: they carry the token.
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url.as_str())
            .field("body_len", &self.body.as_ref().map(Bytes::len))
            .finish_non_exhaustive()
    }
}

/// A raw HTTP response.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// Status code.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// Response body.
    pub body: Bytes,
}

/// A failure below HTTP: no response was received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    /// What kind of failure (decides whether a replay is safe).
    pub kind: TransportErrorKind,
    /// Description; never contains the token.
    pub message: String,
}

impl TransportError {
    /// A transport error of this kind.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

/// Sends one HTTP request. Implemented by [`reqwest_transport::ReqwestTransport`] for real traffic and by
/// the simulator (feature `simulator`) in memory; implement it yourself to record or stub traffic.
#[async_trait]
pub trait Transport: Send + Sync + Debug {
    /// Send `request` and return the response, or why none was received.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}
