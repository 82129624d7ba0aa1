//! The real-network transport, on reqwest (TLS by feature `rustls` or `native-tls`).

use std::time::Duration;

use async_trait::async_trait;
use http_body_util::BodyExt;

use crate::error::{TransportError, TransportErrorKind};
use crate::wire::{HttpRequest, HttpResponse, Transport};

/// Sends requests with a `reqwest::Client`.
///
/// ```
/// use std::time::Duration;
/// let transport = api_transport::ReqwestTransport::with_timeouts(
///     Duration::from_secs(10),
///     Duration::from_secs(30),
/// ).unwrap();
/// # let _ = transport;
/// ```
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    http: reqwest::Client,
}

impl ReqwestTransport {
    /// Wraps an existing `reqwest::Client` (bring your own proxy or TLS settings; its
    /// timeouts apply).
    pub fn new(http: reqwest::Client) -> Self {
        Self { http }
    }

    /// Builds a client with these connect and whole-request timeouts.
    ///
    /// # Errors
    /// reqwest could not build the client (for example no TLS backend could start).
    pub fn with_timeouts(
        connect_timeout: Duration,
        request_timeout: Duration,
    ) -> Result<Self, TransportError> {
        let http = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .timeout(request_timeout)
            .build()
            .map_err(|e| TransportError::with_source(TransportErrorKind::Other, e))?;
        Ok(Self { http })
    }
}

fn classify(error: reqwest::Error) -> TransportError {
    let kind = if error.is_connect() {
        TransportErrorKind::Connect
    } else if error.is_timeout() {
        TransportErrorKind::Timeout
    } else if error.is_request() || error.is_body() || error.is_decode() {
        TransportErrorKind::Interrupted
    } else {
        TransportErrorKind::Other
    };
    // The URL never carries a secret, but keep the error text short and stable.
    TransportError::with_source(kind, error.without_url())
}

#[async_trait]
impl Transport for ReqwestTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let mut builder = self
            .http
            .request(request.method, request.url)
            .headers(request.headers);
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let response = builder.send().await.map_err(classify)?;
        // Into its parts, so the headers move instead of being copied; the body keeps
        // reqwest's timeout.
        let (parts, body) = http::Response::<reqwest::Body>::from(response).into_parts();
        let body = BodyExt::collect(body).await.map_err(classify)?.to_bytes();
        Ok(HttpResponse {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }
}
