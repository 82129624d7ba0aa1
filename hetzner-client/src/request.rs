//! Pure request descriptions: what every endpoint function returns before any I/O happens.

use http::Method;
use serde_json::Value;

/// One API request, described as data: method, path below the base URL, query and JSON body.
///
/// Every resource method builds one of these with a pure function, so requests can be checked
/// without HTTP; [`crate::Client`] sends them through its single choke point.
///
/// ```
/// use hetzner_client::RequestSpec;
/// let spec = RequestSpec::get("/servers").with_query("name", "rc-fsn1-a3f2c1");
/// assert_eq!(spec.path_and_query(), "/servers?name=rc-fsn1-a3f2c1");
/// ```
#[derive(Clone, PartialEq)]
pub struct RequestSpec {
    /// HTTP method.
    pub method: Method,
    /// Path below the base URL, starting with `/` (for example `/servers/42`).
    pub path: String,
    /// Query parameters in order; a key may repeat (Hetzner's array form).
    pub query: Vec<(String, String)>,
    /// JSON body, if any.
    pub body: Option<Value>,
}

/// Leaves the body out: it may carry user data or a private key.
impl std::fmt::Debug for RequestSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestSpec")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("has_body", &self.body.is_some())
            .finish()
    }
}

impl RequestSpec {
    /// A request without query or body.
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
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

    /// Path plus the percent-encoded query string.
    pub fn path_and_query(&self) -> String {
        if self.query.is_empty() {
            return self.path.clone();
        }
        let query: Vec<String> = self
            .query
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        format!("{}?{}", self.path, query.join("&"))
    }

    /// True for the methods HTTP defines as idempotent (safe to replay).
    pub fn is_idempotent(&self) -> bool {
        matches!(
            self.method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
        )
    }
}

/// Percent-encodes everything except RFC 3986 unreserved characters.
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(any(test, feature = "simulator"))]
/// Decodes a percent-encoded query component (`+` is a space).
pub(crate) fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_is_percent_encoded_and_round_trips() {
        let spec = RequestSpec::get("/servers")
            .with_query("label_selector", "env in (a,b),!x")
            .with_query("status", "running")
            .with_query("status", "off");
        let pq = spec.path_and_query();
        assert_eq!(
            pq,
            "/servers?label_selector=env%20in%20%28a%2Cb%29%2C%21x&status=running&status=off"
        );
        assert_eq!(decode("env%20in%20%28a%2Cb%29%2C%21x"), "env in (a,b),!x");
        assert_eq!(decode("a+b%"), "a b%");
    }

    #[test]
    fn idempotency_follows_the_method() {
        assert!(RequestSpec::get("/x").is_idempotent());
        assert!(RequestSpec::delete("/x").is_idempotent());
        assert!(!RequestSpec::post("/x", serde_json::json!({})).is_idempotent());
    }
}
