//! The crate's one error type, and the API error body it carries.

use std::time::Duration;

use http::StatusCode;
use serde::Deserialize;
use serde_json::Value;

use crate::string_enum::string_enum;
use crate::transport::{TransportError, TransportErrorKind};

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong when talking to the Hetzner Cloud API.
///
/// Display never repeats the source error (walk [`std::error::Error::source`] for it), never
/// prints the token, and never embeds a response body.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value was rejected before anything was sent.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The rejected field, as a path such as `labels.owner` or `rules[3].source_ips`.
        field: String,
        /// What is wrong with it (never the value itself).
        reason: String,
    },
    /// The API answered with its error body.
    #[error("Hetzner API error (HTTP {}, {}): {}", .0.status.as_u16(), .0.code, .0.message)]
    Api(Box<ApiError>),
    /// The API answered with an error status but without a JSON error body.
    #[error("Hetzner API answered HTTP {} without an error body", .status.as_u16())]
    Status {
        /// HTTP status.
        status: StatusCode,
        /// The `X-Correlation-Id` response header, if present.
        request_id: Option<String>,
    },
    /// The request did not complete (connect, timeout, connection lost), its success answer
    /// arrived damaged, the server redirected it (never followed), or its URL was refused
    /// (plain `http://` to a remote host): see [`TransportError::kind`].
    #[error("request failed in transport")]
    Transport(#[source] TransportError),
    /// The rate gate refused to wait (fail-fast mode) or gave up waiting.
    #[error("rate limit budget exhausted; a request would be allowed in {retry_after:?}")]
    RateLimited {
        /// When one request will be allowed again.
        retry_after: Duration,
    },
    /// The shared rate budget (for example Redis) could not be consulted, so nothing was sent.
    #[error("the shared rate budget could not be consulted; nothing was sent")]
    RateBudget(#[source] rate_budget::StoreError),
    /// A successful response did not match the expected shape.
    #[error("could not decode the response at `{path}`")]
    Decode {
        /// JSON path of the offending value (from `serde_path_to_error`).
        path: String,
        /// The decoder's error.
        #[source]
        source: serde_json::Error,
    },
    /// The client could not be configured.
    #[error("invalid client configuration: {0}")]
    Config(String),
    /// An action the client waited for ended in `error`.
    #[error("action {id} ({command}) failed: {code}: {message}")]
    ActionFailed {
        /// Action id.
        id: u64,
        /// Action command, e.g. `create_server`.
        command: String,
        /// The action's error code.
        code: String,
        /// The action's error message.
        message: String,
    },
    /// Waiting for actions passed its deadline.
    #[error("gave up waiting for {} action(s) at the deadline", .pending.len())]
    WaitTimeout {
        /// Ids of the actions still running.
        pending: Vec<u64>,
    },
}

impl Error {
    /// Creates an [`Error::Invalid`].
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
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

    /// Prefixes the field path of an [`Error::Invalid`]; other errors are returned unchanged.
    #[must_use]
    pub fn within(self, parent: &str) -> Self {
        match self {
            Self::Invalid { field, reason } => Self::Invalid {
                field: if field.starts_with('[') {
                    format!("{parent}{field}")
                } else {
                    format!("{parent}.{field}")
                },
                reason,
            },
            other => other,
        }
    }

    /// The API error body, if the API sent one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(api) => Some(api),
            _ => None,
        }
    }

    /// The HTTP status, if a response arrived.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Api(api) => Some(api.status),
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The API error code, if the API sent one.
    pub fn code(&self) -> Option<&ErrorCode> {
        self.api().map(|api| &api.code)
    }

    /// The request id (`X-Correlation-Id`) of the failed response, if known.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Api(api) => api.request_id.as_deref(),
            Self::Status { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// True for a 404 / `not_found`.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND) || self.code() == Some(&ErrorCode::NotFound)
    }

    /// True when the API or the local gate refused because of the rate limit.
    pub fn is_rate_limited(&self) -> bool {
        matches!(self, Self::RateLimited { .. })
            || self.status() == Some(StatusCode::TOO_MANY_REQUESTS)
            || self.code() == Some(&ErrorCode::RateLimitExceeded)
    }

    /// True when the same request may succeed later (the retry policy's view for idempotent
    /// requests): timeouts, lost connections, 408/429/5xx, and the codes `conflict`,
    /// `rate_limit_exceeded`, `bad_gateway`, `timeout`.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport(t) => transport_retryable(t),
            Self::RateLimited { .. } | Self::RateBudget(_) => true,
            Self::Api(api) => {
                matches!(
                    api.code,
                    ErrorCode::Conflict
                        | ErrorCode::RateLimitExceeded
                        | ErrorCode::BadGateway
                        | ErrorCode::Timeout
                ) || retryable_status(api.status)
            }
            Self::Status { status, .. } => retryable_status(*status),
            _ => false,
        }
    }

    /// True when the request may have been applied even though no success arrived: a timeout or
    /// lost connection after sending, or a 5xx/408. A create that fails this way must be
    /// reconciled (looked up by its unique name), never blindly replayed.
    pub fn may_have_been_applied(&self) -> bool {
        match self {
            Self::Transport(t) => t.may_have_reached_server(),
            Self::Api(api) => {
                !matches!(api.code, ErrorCode::RateLimitExceeded | ErrorCode::Conflict)
                    && maybe_applied_status(api.status)
            }
            Self::Status { status, .. } => maybe_applied_status(*status),
            _ => false,
        }
    }

    /// True for a `uniqueness_error` naming `field` (or naming no field).
    pub fn is_uniqueness_error_on(&self, field: &str) -> bool {
        self.api().is_some_and(|api| {
            api.code == ErrorCode::UniquenessError
                && (api.invalid_fields().is_empty()
                    || api.invalid_fields().iter().any(|f| f.name == field))
        })
    }
}

/// A redirect or a refused URL fails the same way every time; everything else in transport
/// may pass later.
fn transport_retryable(error: &TransportError) -> bool {
    !matches!(
        error.kind(),
        TransportErrorKind::Redirected | TransportErrorKind::InsecureUrl
    )
}

fn retryable_status(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || maybe_applied_status(status)
}

fn maybe_applied_status(status: StatusCode) -> bool {
    status == StatusCode::REQUEST_TIMEOUT || status.is_server_error()
}

/// The API's error body, plus what the response said about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// The API's error code.
    pub code: ErrorCode,
    /// The API's message.
    pub message: String,
    /// The `details` object as sent (its shape depends on `code`).
    pub details: Option<Value>,
    /// The `X-Correlation-Id` response header, if present.
    pub request_id: Option<String>,
}

impl ApiError {
    /// The fields named by `invalid_input` / `uniqueness_error` details (empty otherwise).
    pub fn invalid_fields(&self) -> Vec<InvalidField> {
        self.details
            .as_ref()
            .and_then(|d| d.get("fields"))
            .and_then(|f| serde_json::from_value::<Vec<InvalidField>>(f.clone()).ok())
            .unwrap_or_default()
    }

    /// Parses an error body; `None` when the body is not the API's error shape.
    pub(crate) fn from_body(
        status: StatusCode,
        request_id: Option<String>,
        body: &[u8],
    ) -> Option<Self> {
        #[derive(Deserialize)]
        struct Envelope {
            error: Body,
        }
        #[derive(Deserialize)]
        struct Body {
            code: ErrorCode,
            message: String,
            #[serde(default)]
            details: Option<Value>,
        }
        let envelope: Envelope = serde_json::from_slice(body).ok()?;
        Some(Self {
            status,
            code: envelope.error.code,
            message: envelope.error.message,
            details: envelope.error.details,
            request_id,
        })
    }
}

/// One field named in an error's `details.fields`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct InvalidField {
    /// Field name as the API spells it.
    pub name: String,
    /// Messages about the field (present for `invalid_input`).
    #[serde(default)]
    pub messages: Vec<String>,
}

string_enum! {
    /// The API's `error.code`.
    pub enum ErrorCode {
        /// Invalid JSON input.
        JsonError => "json_error",
        /// Invalid or unknown token.
        Unauthorized => "unauthorized",
        /// The token only allows GET.
        TokenReadonly => "token_readonly",
        /// Insufficient permissions.
        Forbidden => "forbidden",
        /// Cannot be done during maintenance.
        Maintenance => "maintenance",
        /// An account quantity limit was reached.
        ResourceLimitExceeded => "resource_limit_exceeded",
        /// Entity not found.
        NotFound => "not_found",
        /// Method not allowed.
        MethodNotAllowed => "method_not_allowed",
        /// A field must be unique.
        UniquenessError => "uniqueness_error",
        /// The resource changed during the request; retry.
        Conflict => "conflict",
        /// Functionality removed.
        DeprecatedApiEndpoint => "deprecated_api_endpoint",
        /// Resource not available (for example for order).
        ResourceUnavailable => "resource_unavailable",
        /// Invalid input (see details.fields).
        InvalidInput => "invalid_input",
        /// Error within a service.
        ServiceError => "service_error",
        /// The resource does not support the action.
        UnsupportedError => "unsupported_error",
        /// An action is already running on the item.
        Locked => "locked",
        /// The action is protected for this resource.
        Protected => "protected",
        /// Too many requests.
        RateLimitExceeded => "rate_limit_exceeded",
        /// Backend error.
        ServerError => "server_error",
        /// Service or product unavailable.
        Unavailable => "unavailable",
        /// Could not be answered in time; retry.
        Timeout => "timeout",
        /// Gateway error; retry.
        BadGateway => "bad_gateway",
        /// Firewall still applied somewhere.
        ResourceInUse => "resource_in_use",
        /// A firewall target does not exist.
        FirewallResourceNotFound => "firewall_resource_not_found",
        /// The firewall is already applied to the resource.
        FirewallAlreadyApplied => "firewall_already_applied",
        /// The server is attached through a label selector.
        FirewallManagedByLabelSelector => "firewall_managed_by_label_selector",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_error_parses_invalid_input_fields() {
        let body = br#"{"error":{"code":"invalid_input","message":"invalid input in field 'name'","details":{"fields":[{"name":"name","messages":["is too long"]}]}}}"#;
        let api = ApiError::from_body(StatusCode::UNPROCESSABLE_ENTITY, Some("abc".into()), body)
            .unwrap();
        assert_eq!(api.code, ErrorCode::InvalidInput);
        assert_eq!(api.invalid_fields()[0].name, "name");
        assert_eq!(api.invalid_fields()[0].messages, vec!["is too long"]);
        let err = Error::Api(Box::new(api));
        assert_eq!(err.request_id(), Some("abc"));
        assert!(!err.is_retryable());
        assert_eq!(
            err.to_string(),
            "Hetzner API error (HTTP 422, invalid_input): invalid input in field 'name'"
        );
    }

    #[test]
    fn unknown_codes_are_kept() {
        let body = br#"{"error":{"code":"brand_new","message":"m","details":null}}"#;
        let api = ApiError::from_body(StatusCode::BAD_REQUEST, None, body).unwrap();
        assert_eq!(api.code, ErrorCode::Unknown("brand_new".into()));
        assert!(
            ApiError::from_body(StatusCode::BAD_GATEWAY, None, b"<html>bad gateway</html>")
                .is_none()
        );
    }

    #[test]
    fn classification_helpers() {
        let nf = Error::Status {
            status: StatusCode::NOT_FOUND,
            request_id: None,
        };
        assert!(nf.is_not_found());
        assert!(!nf.may_have_been_applied());
        let five = Error::Status {
            status: StatusCode::SERVICE_UNAVAILABLE,
            request_id: None,
        };
        assert!(five.is_retryable() && five.may_have_been_applied());
        let damaged = Error::Transport(TransportError::new(TransportErrorKind::UndecodableBody));
        assert!(damaged.is_retryable() && damaged.may_have_been_applied());
        let redirected = Error::Transport(TransportError::redirected(
            StatusCode::TEMPORARY_REDIRECT,
            Some("https://elsewhere.example".into()),
        ));
        assert!(!redirected.is_retryable() && !redirected.may_have_been_applied());
        let rl = Error::RateLimited {
            retry_after: Duration::from_secs(1),
        };
        assert!(rl.is_rate_limited());
        let inv = Error::invalid("name", "too long").within("server");
        assert_eq!(inv.to_string(), "invalid server.name: too long");
    }
}
