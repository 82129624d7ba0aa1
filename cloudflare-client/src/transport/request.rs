//! Pure request descriptions: what every resource method builds before anything is sent.

use crate::error::{Error, Result};

/// A request as data (the `api-transport` crate's type, shared with hetzner-client): method,
/// path relative to the base URL, query pairs, JSON body, and whether it carries the token.
/// Built by pure functions in `resources/` and unit-tested without HTTP.
pub use api_transport::RequestSpec;

/// Whether replaying `method` cannot duplicate an effect.
pub use api_transport::retry_safe;

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
        use http::Method;
        assert!(!RequestSpec::new(Method::POST, "/x").is_idempotent());
        assert!(RequestSpec::new(Method::PATCH, "/x").is_idempotent());
        assert!(retry_safe(&Method::DELETE));
    }
}
