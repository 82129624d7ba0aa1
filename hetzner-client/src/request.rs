//! Pure request descriptions: what every endpoint function returns before any I/O happens.

/// One API request, described as data (the `api-transport` crate's type, shared with
/// cloudflare-client): method, path below the base URL, query and JSON body.
///
/// Every resource method builds one of these with a pure function, so requests can be checked
/// without HTTP; [`crate::Client`] sends them through its single choke point.
///
/// ```
/// use hetzner_client::RequestSpec;
/// let spec = RequestSpec::get("/servers").with_query("name", "rc-fsn1-a3f2c1");
/// assert_eq!(spec.path_and_query(), "/servers?name=rc-fsn1-a3f2c1");
/// ```
pub use api_transport::RequestSpec;

/// Percent-encodes everything except RFC 3986 unreserved characters (for path segments).
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    api_transport::encode_component(text, &mut out);
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
