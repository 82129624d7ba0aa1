//! The real transport: reqwest with rustls.

use std::time::Duration;

use async_trait::async_trait;

use super::{HttpRequest, HttpResponse, Transport, TransportError, TransportErrorKind};

/// [`Transport`] over reqwest (rustls, HTTP/2).
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    http: reqwest::Client,
}

impl ReqwestTransport {
    /// A transport with these connect and per-attempt timeouts.
    pub fn new(
        connect_timeout: Duration,
        request_timeout: Duration,
    ) -> Result<Self, TransportError> {
        let http = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .timeout(request_timeout)
            .build()
            .map_err(|e| TransportError::new(TransportErrorKind::Other, e.to_string()))?;
        Ok(Self { http })
    }

    /// Wrap an existing reqwest client (its own timeouts apply).
    pub fn from_client(http: reqwest::Client) -> Self {
        Self { http }
    }
}

fn classify(e: &reqwest::Error) -> TransportErrorKind {
    if e.is_connect() {
        TransportErrorKind::Connect
    } else if e.is_timeout() {
        TransportErrorKind::Timeout
    } else if e.is_request() || e.is_body() {
        TransportErrorKind::Dropped
    } else {
        TransportErrorKind::Other
    }
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
        // `without_url`: the URL never carries secrets, but keep error text short and stable.
        let response = builder
            .send()
            .await
            .map_err(|e| TransportError::new(classify(&e), e.without_url().to_string()))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| TransportError::new(classify(&e), e.without_url().to_string()))?;
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}
