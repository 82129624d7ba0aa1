//! The one error type of this crate.

use std::time::Duration;

use http::StatusCode;
use serde::{Deserialize, Serialize};

/// One entry of the envelope's `errors[]` (or `messages[]`) array.
///
/// Cloudflare codes exceed `u16` (DNS "record already exists" is 81057), so the code is a `u32`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ApiMessage {
    /// Numeric code (0 when the API sent none).
    #[serde(default)]
    pub code: u32,
    /// Human-readable message.
    #[serde(default)]
    pub message: String,
    /// Link to the documentation, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation_url: Option<String>,
    /// Where in the request body the problem is, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<ErrorSource>,
}

impl ApiMessage {
    /// A message with a code and text only.
    pub fn new(code: u32, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            documentation_url: None,
            source: None,
        }
    }
}

/// The `source` of an API error: a JSON pointer into the request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorSource {
    /// JSON pointer, e.g. `/rules/0/action`.
    #[serde(default)]
    pub pointer: Option<String>,
}

/// Well-known API error codes.
pub mod codes {
    /// 429: "Please wait and consider throttling your request speed" (the 5-minute block).
    pub const RATE_LIMITED: u32 = 971;
    /// Older rate-limit code ("More than 1200 requests per 300 seconds reached").
    pub const RATE_LIMITED_LEGACY: u32 = 10100;
    /// Rate-limit code reported by some tools.
    pub const RATE_LIMITED_ALT: u32 = 10429;
    /// "No route for the URI" (bad zone id or path).
    pub const NO_ROUTE: u32 = 7003;
    /// No entry point ruleset exists for that phase yet.
    pub const NO_ENTRYPOINT: u32 = 10003;
    /// A second zone ruleset for a phase that already has its entry point.
    pub const TOO_MANY_ZONE_RULESETS: u32 = 20217;
    /// DNS: an identical record already exists.
    pub const DNS_RECORD_EXISTS: u32 = 81057;
    /// Invalid or unauthorised token.
    pub const INVALID_TOKEN: u32 = 9109;
}

/// An error answered by the API (non-2xx status, or `success: false`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status of the response.
    pub status: StatusCode,
    /// Every entry of `errors[]`, in order.
    pub errors: Vec<ApiMessage>,
    /// Every entry of `messages[]` (warnings).
    pub messages: Vec<ApiMessage>,
    /// The `cf-ray` request id, when present.
    pub ray_id: Option<String>,
}

impl ApiError {
    /// The first error code, if any.
    pub fn code(&self) -> Option<u32> {
        self.errors.first().map(|e| e.code)
    }

    /// Whether any `errors[]` entry has this code.
    pub fn has_code(&self, code: u32) -> bool {
        self.errors.iter().any(|e| e.code == code)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {}", self.status.as_u16())?;
        for (i, e) in self.errors.iter().enumerate() {
            let sep = if i == 0 { ": " } else { "; " };
            write!(f, "{sep}[{}] {}", e.code, e.message)?;
            if let Some(p) = e.source.as_ref().and_then(|s| s.pointer.as_deref()) {
                write!(f, " (at {p})")?;
            }
        }
        if let Some(ray) = &self.ray_id {
            write!(f, " (cf-ray {ray})")?;
        }
        Ok(())
    }
}

pub use api_transport::{TransportError, TransportErrorKind};

/// Errors returned by this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The API answered with an error envelope.
    #[error("Cloudflare API error: {0}")]
    Api(Box<ApiError>),
    /// The request could not be completed at the transport level: no connection, a timeout, a
    /// lost connection, a success answer that arrived damaged, a redirect (never followed), or
    /// a refused URL (plain `http://` to a remote host); see [`TransportError::kind`].
    #[error("request failed in transport")]
    Transport(#[source] TransportError),
    /// The client-side rate gate would have to wait longer than allowed (fail-fast mode or
    /// `max_rate_limit_wait` exceeded).
    #[error("rate limited: next request allowed in {retry_after:?}")]
    RateLimited {
        /// How long until a request may be sent.
        retry_after: Duration,
    },
    /// The shared rate budget (for example Redis) could not be consulted, so nothing was sent.
    #[error("the shared rate budget could not be consulted; nothing was sent")]
    RateBudget(#[source] rate_budget::StoreError),
    /// The response body did not match the expected shape.
    #[error("could not decode response at `{path}`")]
    Decode {
        /// Path inside the JSON document where decoding failed.
        path: String,
        /// The underlying serde error.
        #[source]
        source: serde_json::Error,
    },
    /// A value was rejected before any request was sent.
    #[error("invalid value for `{field}`: {reason}")]
    Invalid {
        /// The field at fault.
        field: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The zone's plan cannot take this setting or rule; nothing was sent.
    #[error("the zone's plan ({plan}) cannot take `{field}`: {reason}")]
    PlanLimit {
        /// The plan tier.
        plan: String,
        /// The setting or rule at fault.
        field: String,
        /// What the plan allows.
        reason: String,
    },
    /// Client configuration is incomplete or invalid.
    #[error("invalid client configuration: {0}")]
    Config(String),
    /// The API token is not active (`user/tokens/verify` answered disabled or expired).
    #[error("the API token is not active (status {status})")]
    TokenInactive {
        /// The status the API reported.
        status: String,
    },
    /// An asynchronous list operation finished as failed.
    #[error("list operation {operation_id} failed: {message}")]
    OperationFailed {
        /// The bulk operation id.
        operation_id: String,
        /// The API's reason.
        message: String,
    },
}

impl From<api_transport::BodyError> for Error {
    fn from(e: api_transport::BodyError) -> Self {
        Self::invalid("body", e.0.to_string())
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The error for a rate gate that let nothing through.
    pub(crate) fn from_gate(error: rate_budget::GateError) -> Self {
        match error {
            rate_budget::GateError::RateLimited { retry_after } => {
                Self::RateLimited { retry_after }
            }
            rate_budget::GateError::Store(store) => Self::RateBudget(store),
        }
    }

    /// The API error, if this is one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(e) => Some(e),
            _ => None,
        }
    }

    /// HTTP status, when the API answered.
    pub fn status(&self) -> Option<StatusCode> {
        self.api().map(|e| e.status)
    }

    /// Every `errors[]` entry (empty when this is not an API error).
    pub fn api_errors(&self) -> &[ApiMessage] {
        self.api().map(|e| e.errors.as_slice()).unwrap_or_default()
    }

    /// Whether the API reported this code in any `errors[]` entry.
    pub fn has_code(&self, code: u32) -> bool {
        self.api().is_some_and(|e| e.has_code(code))
    }

    /// 404, or code 7003/10003 (no route / no entry point).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
            || self.has_code(codes::NO_ROUTE)
            || self.has_code(codes::NO_ENTRYPOINT)
    }

    /// 429, code 971 (or its older forms), or the client-side gate refusing to wait.
    pub fn is_rate_limited(&self) -> bool {
        matches!(self, Self::RateLimited { .. })
            || self.status() == Some(StatusCode::TOO_MANY_REQUESTS)
            || self.has_code(codes::RATE_LIMITED)
            || self.has_code(codes::RATE_LIMITED_LEGACY)
            || self.has_code(codes::RATE_LIMITED_ALT)
    }

    /// Whether trying the same request again later could succeed (rate limits, 5xx, 408,
    /// transport failures). Whether it is *safe* to replay depends on the method; the client
    /// decides that itself.
    pub fn is_retryable(&self) -> bool {
        match self {
            // A redirect or a refused URL fails the same way every time.
            Self::Transport(t) => !matches!(
                t.kind(),
                TransportErrorKind::Redirected | TransportErrorKind::InsecureUrl
            ),
            Self::RateLimited { .. } | Self::RateBudget(_) => true,
            Self::Api(e) => {
                self.is_rate_limited()
                    || e.status.is_server_error()
                    || e.status == StatusCode::REQUEST_TIMEOUT
            }
            _ => false,
        }
    }

    /// Whether the request may have been applied although no success arrived: a timeout, a
    /// lost connection or a damaged success body after sending
    /// ([`TransportErrorKind::UndecodableBody`]), or a 5xx/408. A `POST` that fails this
    /// way is not replayed; reconcile it (look the object up) before creating it again. A
    /// rate-limit refusal, a redirect and a connect error were certainly not applied.
    pub fn may_have_been_applied(&self) -> bool {
        match self {
            Self::Transport(t) => t.may_have_reached_server(),
            Self::Api(e) => {
                !self.is_rate_limited()
                    && (e.status.is_server_error() || e.status == StatusCode::REQUEST_TIMEOUT)
            }
            _ => false,
        }
    }

    /// A DNS create collided with an identical record (code 81057).
    pub fn is_already_exists(&self) -> bool {
        self.has_code(codes::DNS_RECORD_EXISTS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, codes: &[u32]) -> Error {
        Error::Api(Box::new(ApiError {
            status: StatusCode::from_u16(status).unwrap(),
            errors: codes
                .iter()
                .map(|c| ApiMessage::new(*c, format!("m{c}")))
                .collect(),
            messages: vec![],
            ray_id: Some("abc".into()),
        }))
    }

    #[test]
    fn helpers_classify() {
        assert!(api(429, &[971]).is_rate_limited());
        assert!(api(429, &[971]).is_retryable());
        assert!(api(404, &[7003]).is_not_found());
        assert!(api(400, &[10003]).is_not_found());
        assert!(api(400, &[1004, 81057]).is_already_exists());
        assert!(!api(400, &[1004]).is_retryable());
        assert!(api(503, &[]).is_retryable());
        assert!(api(503, &[]).may_have_been_applied());
        assert!(!api(429, &[971]).may_have_been_applied());
        assert!(!api(400, &[1004]).may_have_been_applied());
        let damaged = TransportError::new(TransportErrorKind::UndecodableBody);
        assert!(Error::Transport(damaged).may_have_been_applied());
        let redirected = Error::Transport(TransportError::redirected(
            StatusCode::PERMANENT_REDIRECT,
            None,
        ));
        assert!(!redirected.may_have_been_applied() && !redirected.is_retryable());
    }

    #[test]
    fn display_lists_every_error_and_ray() {
        let text = api(400, &[1004, 81057]).to_string();
        assert!(text.contains("[1004] m1004"), "{text}");
        assert!(text.contains("[81057] m81057"), "{text}");
        assert!(text.contains("cf-ray abc"), "{text}");
    }

    #[test]
    fn wide_codes_deserialize() {
        let m: ApiMessage =
            serde_json::from_str(r#"{"code":81057,"message":"x","extra":1}"#).unwrap();
        assert_eq!(m.code, 81057);
    }
}
