//! What goes over the wire: the request a [`Transport`] sends and the response it returns.

use std::fmt;

use async_trait::async_trait;
use bytes::Bytes;
use http::{HeaderMap, Method};
use url::Url;

use crate::error::TransportError;

/// The HTTP status type both clients use (re-exported from `http`).
pub use http::StatusCode;

/// A request as it goes over the wire.
#[derive(Clone)]
pub struct HttpRequest {
    /// HTTP method.
    pub method: Method,
    /// Absolute URL (base URL, path and encoded query).
    pub url: Url,
    /// Headers, including the `Authorization` header marked sensitive.
    pub headers: HeaderMap,
    /// JSON body bytes, if any.
    pub body: Option<Bytes>,
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // http's HeaderMap Debug prints sensitive values as `Sensitive`; the body may hold
        // user data or a key, so only its length is shown.
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url.as_str())
            .field("headers", &self.headers)
            .field("body_len", &self.body.as_ref().map(Bytes::len))
            .finish()
    }
}

/// A response as it came over the wire, whatever its status.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// HTTP status.
    pub status: StatusCode,
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

/// Sends one HTTP request. Implementations do no retrying and no rate limiting: the
/// [`crate::Pipeline`] owns both.
#[async_trait]
pub trait Transport: Send + Sync + fmt::Debug {
    /// Sends `request` and returns the response, whatever its status, or why none arrived.
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
            url: Url::parse("https://api.example.invalid/v1/servers").unwrap(),
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
