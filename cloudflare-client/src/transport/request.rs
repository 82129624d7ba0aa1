//! Pure request descriptions: what every resource method builds before anything is sent.

use http::Method;
use serde::Serialize;

use crate::error::{Error, Result};

/// A request as data: method, path relative to the base URL, query pairs and JSON body.
/// Built by pure functions in `resources/` and unit-tested without HTTP.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestSpec {
    /// HTTP method.
    pub method: Method,
    /// Path below the base URL, starting with `/`, e.g. `/zones/{id}/dns_records`.
    pub path: String,
    /// Query pairs, in order.
    pub query: Vec<(String, String)>,
    /// JSON body.
    pub body: Option<serde_json::Value>,
    /// Whether the request carries the API token (`GET /ips` does not need one).
    pub auth: bool,
}

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

    /// `GET path`.
    pub fn get(path: impl Into<String>) -> Self {
        Self::new(Method::GET, path)
    }

    /// Add a query pair.
    pub fn query(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((key.into(), value.into()));
        self
    }

    /// Set a JSON body from a serialisable value.
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Result<Self> {
        let value =
            serde_json::to_value(body).map_err(|e| Error::invalid("body", e.to_string()))?;
        self.body = Some(value);
        Ok(self)
    }

    /// Mark the request as not needing the API token.
    pub fn without_auth(mut self) -> Self {
        self.auth = false;
        self
    }

    /// Whether the method is idempotent (safe to replay after an ambiguous failure).
    pub fn is_idempotent(&self) -> bool {
        retry_safe(&self.method)
    }
}

/// Whether replaying `method` cannot duplicate an effect.
pub fn retry_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::PATCH | Method::DELETE
    )
}

/// Validate an identifier used as a path segment (zone id, record id, ruleset id): 1 to 64 ASCII
/// letters, digits, `-` or `_`. Anything else could change the request path.
pub fn check_id(field: &str, id: &str) -> Result<()> {
    if id.is_empty() || id.len() > 64 {
        return Err(Error::invalid(field, "must be 1 to 64 characters"));
    }
    if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(Error::invalid(
            field,
            "may only contain ASCII letters, digits, '-' and '_'",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_cannot_change_the_path() {
        assert!(check_id("zone_id", "023e105f4ecef8ad9ca31a8372d0c353").is_ok());
        for bad in ["", "../zones", "a/b", "a?b", "a b", "a%2f", &"a".repeat(65)] {
            let err = check_id("zone_id", bad).unwrap_err();
            assert!(err.to_string().contains("zone_id"), "{err}");
        }
    }

    #[test]
    fn post_is_not_idempotent() {
        assert!(!RequestSpec::new(Method::POST, "/x").is_idempotent());
        assert!(RequestSpec::new(Method::PATCH, "/x").is_idempotent());
    }
}
