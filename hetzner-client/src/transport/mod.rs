//! The HTTP transport behind the client: a small trait with a reqwest implementation and, with
//! the `simulator` feature, an in-memory one.

mod reqwest_transport;

use std::fmt;

use async_trait::async_trait;
use bytes::Bytes;
use http::{HeaderMap, Method};

pub use reqwest_transport::ReqwestTransport;

/// A request as it goes over the wire.
#[derive(Clone)]
pub struct HttpRequest {
    /// HTTP method.
    pub method: Method,
    /// Absolute URL (base URL, path and encoded query).
    pub url: String,
    /// Headers, including the `Authorization` header marked sensitive.
    pub headers: HeaderMap,
    /// JSON body bytes, if any.
    pub body: Option<Bytes>,
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // http's HeaderMap Debug prints sensitive values as `Sensitive`; the body may hold
        // user_data, so only its length is shown.
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &self.headers)
            .field("body_len", &self.body.as_ref().map(Bytes::len))
            .finish()
    }
}

/// A response as it came over the wire.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// HTTP status code.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// Body bytes.
    pub body: Bytes,
}

impl HttpResponse {
    /// A header as text, if present and valid.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// How a request failed in transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No connection was made: the request never reached the server.
    Connect,
    /// No answer in time: the request may have been applied.
    Timeout,
    /// The connection broke after the request was sent: it may have been applied.
    Interrupted,
    /// Anything else; treated as possibly applied.
    Other,
}

/// A transport failure, with its cause as the error source.
#[derive(Debug, thiserror::Error)]
#[error("{}", match .kind {
    TransportErrorKind::Connect => "could not connect",
    TransportErrorKind::Timeout => "timed out waiting for the response",
    TransportErrorKind::Interrupted => "connection lost before the response arrived",
    TransportErrorKind::Other => "transport failure",
})]
pub struct TransportError {
    kind: TransportErrorKind,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl TransportError {
    /// Creates an error of `kind` without a source.
    pub fn new(kind: TransportErrorKind) -> Self {
        Self { kind, source: None }
    }

    /// Creates an error of `kind` caused by `source`.
    pub fn with_source(
        kind: TransportErrorKind,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            kind,
            source: Some(source.into()),
        }
    }

    /// What kind of failure this was.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// False only when the request certainly never reached the server.
    pub fn may_have_reached_server(&self) -> bool {
        self.kind != TransportErrorKind::Connect
    }
}

/// Sends one HTTP request. Implementations do no retrying and no rate limiting: the client's
/// send loop owns both.
#[async_trait]
pub trait Transport: Send + Sync + fmt::Debug {
    /// Sends `request` and returns the response, whatever its status.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_debug_hides_the_token_and_the_body() {
        let mut auth = http::HeaderValue::from_static("Bearer very-secret-token");
        auth.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(http::header::AUTHORIZATION, auth);
        let request = HttpRequest {
            method: Method::POST,
            url: "https://api.hetzner.cloud/v1/servers".into(),
            headers,
            body: Some(Bytes::from_static(
                b"{\"user_data\":\"backup-key=hunter2\"}",
            )),
        };
        let shown = format!("{request:?}");
        assert!(!shown.contains("very-secret-token"), "{shown}");
        assert!(!shown.contains("hunter2"));
        assert!(shown.contains("body_len"));
    }
}
