//! The v4 response envelope: `{success, errors, messages, result, result_info}`.

use serde::{Deserialize, Serialize};

use crate::error::ApiMessage;
use crate::pagination::ResultInfo;

/// Every v4 response is wrapped in this envelope, on success and on failure.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope<T> {
    /// Whether the call succeeded. Checked even on 2xx.
    #[serde(default)]
    pub success: bool,
    /// Errors (at least one when `success` is false).
    #[serde(default)]
    pub errors: Vec<ApiMessage>,
    /// Informational messages and warnings.
    #[serde(default)]
    pub messages: Vec<ApiMessage>,
    /// The payload (`null` on failure).
    pub result: Option<T>,
    /// Paging information on list endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_info: Option<ResultInfo>,
}

impl<T> Envelope<T> {
    /// A successful envelope around `result`.
    pub fn ok(result: T) -> Self {
        Self {
            success: true,
            errors: vec![],
            messages: vec![],
            result: Some(result),
            result_info: None,
        }
    }

    /// A successful list envelope with paging information.
    pub fn page(result: T, info: ResultInfo) -> Self {
        Self {
            result_info: Some(info),
            ..Self::ok(result)
        }
    }
}

impl Envelope<serde_json::Value> {
    /// A failure envelope carrying these errors.
    pub fn failure(errors: Vec<ApiMessage>) -> Self {
        Self {
            success: false,
            errors,
            messages: vec![],
            result: None,
            result_info: None,
        }
    }
}

/// Just the error parts of an envelope, used to read any body (even one whose `result` does not
/// match the expected type) for its errors.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct EnvelopeHead {
    #[serde(default)]
    pub success: Option<bool>,
    #[serde(default)]
    pub errors: Vec<ApiMessage>,
    #[serde(default)]
    pub messages: Vec<ApiMessage>,
}
