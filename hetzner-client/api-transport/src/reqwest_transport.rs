//! The real-network transport, on reqwest (TLS by feature `rustls` or `native-tls`).
//!
//! It never follows a redirect (a 3xx comes back as the answer, which the
//! [`crate::Pipeline`] turns into a [`TransportErrorKind::Redirected`] error) and never sends
//! plain `http://` to a host other than loopback.

use std::time::Duration;

use async_trait::async_trait;
use http_body_util::BodyExt;

use crate::base_url::{check_url, origin};
use crate::error::{TransportError, TransportErrorKind};
use crate::wire::{HttpRequest, HttpResponse, Transport};

/// Sends requests with a `reqwest::Client`.
///
/// Every request's URL is checked first ([`crate::check_url`]): plain `http://` to a host
/// other than loopback is refused with [`TransportErrorKind::InsecureUrl`] and nothing is
/// sent. The clients built here follow no redirects.
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
    ///
    /// Build it with `.redirect(reqwest::redirect::Policy::none())`: reqwest's default policy
    /// follows up to 10 redirects and re-sends a `307`/`308` request's body to wherever the
    /// `Location` points. An answer that nevertheless comes from another origin than the
    /// request's is refused as [`TransportErrorKind::Redirected`], but by then the client has
    /// already sent it there.
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
            // Never follow a redirect: a 307/308 would re-send the body (user data, keys) and
            // the request to the `Location`'s host. The 3xx answer is returned instead.
            .redirect(reqwest::redirect::Policy::none())
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
        check_url(&request.url)
            .map_err(|e| TransportError::with_source(TransportErrorKind::InsecureUrl, e))?;
        let sent_to = request.url.origin();
        let mut builder = self
            .http
            .request(request.method, request.url)
            .headers(request.headers);
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let response = builder.send().await.map_err(classify)?;
        if response.url().origin() != sent_to {
            // A caller-supplied reqwest client followed a redirect to another origin.
            return Err(TransportError::redirected(
                response.status(),
                Some(origin(response.url())),
            ));
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn plain_http_to_a_remote_host_is_refused_before_sending() {
        let transport = ReqwestTransport::with_timeouts(
            std::time::Duration::from_secs(1),
            std::time::Duration::from_secs(1),
        )
        .unwrap_or_else(|_| unreachable!());
        // 192.0.2.0/24 is TEST-NET-1: nothing could answer, and nothing is sent.
        let request = HttpRequest {
            method: http::Method::POST,
            url: url::Url::parse("http://192.0.2.1/v1/servers").unwrap_or_else(|_| unreachable!()),
            headers: http::HeaderMap::new(),
            body: Some(bytes::Bytes::from_static(b"{\"user_data\":\"x\"}")),
        };
        let error = transport.send(request).await.unwrap_err();
        assert_eq!(error.kind(), TransportErrorKind::InsecureUrl);
        assert!(!error.may_have_reached_server());
    }
}
