//! What the fault policy (see the crate docs) decides about one answer, and how a long wait
//! reports its progress.

use std::time::Duration;

use http::Method;
use http::header::{ACCEPT, CONTENT_TYPE, LOCATION};
use serde::de::IgnoredAny;

use crate::base_url::origin;
use crate::error::{TransportError, TransportErrorKind};
use crate::wire::{HttpRequest, HttpResponse};

/// Sleeps `total`, emitting a tracing `info` event naming the seconds that remain every
/// `every` while more than `every` remains (a short wait is only a `debug` event).
pub(crate) async fn wait_reporting(
    api: &'static str,
    total: Duration,
    every: Duration,
    what: &'static str,
) {
    if total <= every {
        tracing::debug!(api, wait_ms = total.as_millis() as u64, "{what}");
    }
    rate_budget::sleep_reporting(total, every, |remaining| {
        tracing::info!(
            api,
            remaining_secs = remaining.as_secs(),
            total_secs = total.as_secs(),
            "{what}: {}s remain",
            remaining.as_secs()
        );
    })
    .await;
}

/// The error for a redirect answer: its status and its `Location`'s origin (resolved against
/// the request's URL), never the `Location`'s path or query.
pub(crate) fn redirect_error(request: &HttpRequest, response: &HttpResponse) -> TransportError {
    let target = response
        .header(LOCATION.as_str())
        .and_then(|location| request.url.join(location).ok());
    TransportError::redirected(response.status, target.as_ref().map(origin))
}

/// Whether a success answer's body is damaged: the request asked for JSON (`Accept`) or the
/// answer says it is JSON (`Content-Type`), and the body is not one whole JSON value (an HTML
/// page, truncated or malformed JSON), or is empty where JSON was asked for (other than
/// `204`/`205` and `HEAD`).
pub(crate) fn undecodable(
    request: &HttpRequest,
    response: &HttpResponse,
) -> Option<TransportError> {
    if !response.status.is_success() || request.method == Method::HEAD {
        return None;
    }
    let says_json = |value: Option<&http::HeaderValue>| {
        value
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("json"))
    };
    let asked = says_json(request.headers.get(ACCEPT));
    if !asked && !says_json(response.headers.get(CONTENT_TYPE)) {
        return None;
    }
    if response.body.is_empty() {
        let no_content = matches!(response.status.as_u16(), 204 | 205);
        return (asked && !no_content).then(|| {
            TransportError::with_source(
                TransportErrorKind::UndecodableBody,
                "the body is empty where JSON was asked for",
            )
        });
    }
    serde_json::from_slice::<IgnoredAny>(&response.body)
        .err()
        .map(|e| TransportError::with_source(TransportErrorKind::UndecodableBody, e))
}

#[cfg(test)]
mod tests {
    use http::HeaderMap;

    use super::*;
    use crate::wire::StatusCode;

    fn request(method: Method) -> HttpRequest {
        HttpRequest {
            method,
            url: "https://api.example.invalid/v1/things"
                .parse()
                .unwrap_or_else(|_| unreachable!()),
            headers: HeaderMap::new(),
            body: None,
        }
    }

    #[test]
    fn redirects_end_the_call_naming_only_the_origin() {
        let mut headers = HeaderMap::new();
        headers.insert(
            LOCATION,
            http::HeaderValue::from_static("https://evil.example:8443/steal?token=abc"),
        );
        let response = HttpResponse {
            status: StatusCode::TEMPORARY_REDIRECT,
            headers,
            body: bytes::Bytes::new(),
        };
        let error = redirect_error(&request(Method::POST), &response);
        assert_eq!(error.kind(), TransportErrorKind::Redirected);
        let text = error.to_string();
        assert!(
            text.contains("HTTP 307 to https://evil.example:8443"),
            "{text}"
        );
        assert!(!text.contains("token") && !text.contains("steal"), "{text}");
        // A relative Location is resolved against the request: the same origin.
        let mut relative = response.clone();
        relative
            .headers
            .insert(LOCATION, http::HeaderValue::from_static("/v2/things"));
        let error = redirect_error(&request(Method::GET), &relative);
        assert_eq!(
            error.redirect().and_then(|r| r.origin.as_deref()),
            Some("https://api.example.invalid")
        );
    }
}
