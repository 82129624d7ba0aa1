//! Pure request descriptions: what every endpoint function returns before any I/O happens.

use std::fmt;

use http::Method;
use serde::Serialize;
use serde_json::Value;

/// One API request, described as data: method, path below the base URL, query, JSON body,
/// and whether it carries the API token.
///
/// Every resource method builds one with a pure function, so requests are checked without
/// HTTP; the client's [`crate::Pipeline`] sends them.
///
/// ```
/// use api_transport::RequestSpec;
/// let spec = RequestSpec::get("/servers").with_query("name", "rc fsn1");
/// assert_eq!(spec.path_and_query(), "/servers?name=rc%20fsn1");
/// assert!(spec.is_idempotent());
/// ```
#[derive(Clone, PartialEq)]
pub struct RequestSpec {
    /// HTTP method.
    pub method: Method,
    /// Path below the base URL, starting with `/` (for example `/servers/42`).
    pub path: String,
    /// Query parameters in order; a key may repeat (array parameters).
    pub query: Vec<(String, String)>,
    /// JSON body, if any.
    pub body: Option<Value>,
    /// Whether the request carries the API token (default true; a few public endpoints,
    /// such as Cloudflare's `GET /ips`, need none).
    pub auth: bool,
}

/// Leaves the body out: it may carry user data or a private key.
impl fmt::Debug for RequestSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestSpec")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("has_body", &self.body.is_some())
            .field("auth", &self.auth)
            .finish()
    }
}

/// A request body that could not be serialised as JSON.
#[derive(Debug, thiserror::Error)]
#[error("the request body could not be serialised as JSON")]
pub struct BodyError(#[source] pub serde_json::Error);

impl RequestSpec {
    /// A request without query or body.
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
            auth: true,
        }
    }

    /// A `GET` request.
    pub fn get(path: impl Into<String>) -> Self {
        Self::new(Method::GET, path)
    }

    /// A `POST` request with a JSON body.
    pub fn post(path: impl Into<String>, body: Value) -> Self {
        Self::new(Method::POST, path).with_body(body)
    }

    /// A `PUT` request with a JSON body.
    pub fn put(path: impl Into<String>, body: Value) -> Self {
        Self::new(Method::PUT, path).with_body(body)
    }

    /// A `PATCH` request with a JSON body.
    pub fn patch(path: impl Into<String>, body: Value) -> Self {
        Self::new(Method::PATCH, path).with_body(body)
    }

    /// A `DELETE` request.
    pub fn delete(path: impl Into<String>) -> Self {
        Self::new(Method::DELETE, path)
    }

    /// Adds one query parameter.
    #[must_use]
    pub fn with_query(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((key.into(), value.into()));
        self
    }

    /// Sets the JSON body.
    #[must_use]
    pub fn with_body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    /// Sets the JSON body from a serialisable value.
    ///
    /// # Errors
    /// [`BodyError`] when `body` cannot be represented as JSON (e.g. a map with non-string
    /// keys).
    pub fn with_json<T: Serialize + ?Sized>(self, body: &T) -> Result<Self, BodyError> {
        Ok(self.with_body(serde_json::to_value(body).map_err(BodyError)?))
    }

    /// Marks the request as not carrying the API token.
    #[must_use]
    pub fn without_auth(mut self) -> Self {
        self.auth = false;
        self
    }

    /// Path plus the percent-encoded query string.
    pub fn path_and_query(&self) -> String {
        let mut out = self.path.clone();
        self.write_query(&mut out);
        out
    }

    /// Appends `?k=v&...` (percent-encoded) to `out`, if there is a query.
    pub fn write_query(&self, out: &mut String) {
        for (i, (k, v)) in self.query.iter().enumerate() {
            out.push(if i == 0 { '?' } else { '&' });
            encode_component(k, out);
            out.push('=');
            encode_component(v, out);
        }
    }

    /// True when replaying the request cannot duplicate an effect ([`retry_safe`]).
    pub fn is_idempotent(&self) -> bool {
        retry_safe(&self.method)
    }
}

/// Whether replaying `method` cannot duplicate an effect: `GET`, `HEAD`, `OPTIONS`, `PUT`,
/// `DELETE`, and `PATCH` (both APIs' `PATCH`es set values; none appends).
pub fn retry_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::PATCH | Method::DELETE
    )
}

/// Percent-encodes `text` into `out`: everything except RFC 3986 unreserved characters.
pub fn encode_component(text: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xF)]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_is_percent_encoded_in_order() {
        let spec = RequestSpec::get("/servers")
            .with_query("label_selector", "env in (a,b),!x")
            .with_query("status", "running")
            .with_query("status", "off");
        assert_eq!(
            spec.path_and_query(),
            "/servers?label_selector=env%20in%20%28a%2Cb%29%2C%21x&status=running&status=off"
        );
        let mut out = String::new();
        encode_component("ä/ ~", &mut out);
        assert_eq!(out, "%C3%A4%2F%20~");
    }

    #[test]
    fn idempotency_follows_the_method_and_debug_hides_the_body() {
        assert!(RequestSpec::get("/x").is_idempotent());
        assert!(RequestSpec::delete("/x").is_idempotent());
        let post = RequestSpec::post("/x", serde_json::json!({"user_data": "hunter2"}));
        assert!(!post.is_idempotent());
        assert!(!format!("{post:?}").contains("hunter2"));
        assert!(!RequestSpec::get("/ips").without_auth().auth);
    }
}
