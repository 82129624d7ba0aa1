//! The v4 response envelope: `{success, errors, messages, result, result_info}`.

use serde::de::DeserializeOwned;
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

impl<T: DeserializeOwned> Envelope<T> {
    /// Decodes an envelope straight from the body's bytes (no `serde_json::Value` tree in
    /// between), naming the JSON path of the first value that does not fit. Trailing bytes
    /// are left to [`EnvelopeHead::read`], which refuses them.
    pub(crate) fn read(body: &[u8]) -> Result<Self, serde_path_to_error::Error<serde_json::Error>> {
        serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(body))
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

impl EnvelopeHead {
    /// The error parts of `body`, read without building the rest: `None` when the body is not
    /// JSON at all, the default (empty) head when it is JSON of another shape.
    pub(crate) fn read(body: &[u8]) -> Option<Self> {
        match serde_json::from_slice::<Self>(body) {
            Ok(head) => Some(head),
            Err(e) if e.is_data() => Some(Self::default()),
            Err(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_tell_json_of_another_shape_from_no_json() {
        let head = EnvelopeHead::read(br#"{"success":false,"errors":[{"code":10000,"message":"Authentication error"}],"result":{"big":[1,2,3]}}"#);
        let head = head.expect("JSON");
        assert_eq!(head.success, Some(false));
        assert_eq!(head.errors[0].code, 10000);
        assert!(EnvelopeHead::read(b"[1,2]").is_some_and(|h| h.errors.is_empty()));
        assert!(EnvelopeHead::read(b"<html>502</html>").is_none());
        assert!(EnvelopeHead::read(br#"{"success":true} trailing"#).is_none());
        assert!(EnvelopeHead::read(b"").is_none());
    }

    #[test]
    fn envelopes_decode_from_bytes_and_name_the_misfit() {
        let body = br#"{"success":true,"errors":[],"messages":[],"result":[{"id":"a"},{"id":7}],"result_info":{"page":1,"per_page":2}}"#;
        #[derive(Debug, Deserialize)]
        struct Item {
            #[allow(dead_code)]
            id: String,
        }
        let err = Envelope::<Vec<Item>>::read(body).unwrap_err();
        assert_eq!(err.path().to_string(), "result[1].id");
        let env = Envelope::<Vec<serde_json::Value>>::read(body).expect("decodes");
        assert_eq!(env.result.map(|r| r.len()), Some(2));
        assert_eq!(env.result_info.and_then(|i| i.per_page), Some(2));
    }
}
