//! What a route answers: a status and an optional JSON body, with the API's error bodies.

use serde_json::{Value, json};

use super::state::NO_ROUTE;

/// What a route answers.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Option<Value>,
}

impl Reply {
    pub(crate) fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body: Some(body),
        }
    }

    pub(crate) fn empty() -> Self {
        Self {
            status: 204,
            body: None,
        }
    }

    /// The API's error body.
    pub(crate) fn error(status: u16, code: &str, message: &str, details: Value) -> Self {
        Self::json(
            status,
            json!({ "error": { "code": code, "message": message, "details": details } }),
        )
    }

    pub(crate) fn not_found() -> Self {
        Self::error(404, "not_found", "resource not found", Value::Null)
    }

    /// 404 for a path the API does not have (as opposed to a missing resource).
    pub(crate) fn no_route() -> Self {
        Self::error(404, "not_found", NO_ROUTE, Value::Null)
    }

    /// 423 `protected`: the resource's protection forbids the action.
    pub(crate) fn protected() -> Self {
        Self::error(
            423,
            "protected",
            "the action is protected for this resource",
            Value::Null,
        )
    }

    /// `uniqueness_error` naming one field of a `what`.
    pub(crate) fn not_unique_named(what: &str, field: &str) -> Self {
        Self::error(
            409,
            "uniqueness_error",
            &format!("{what} with the same {field} already exists"),
            json!({ "fields": [ { "name": field } ] }),
        )
    }

    /// `invalid_input` naming one field, as the API does.
    pub(crate) fn invalid(field: &str, message: &str) -> Self {
        Self::error(
            422,
            "invalid_input",
            &format!("invalid input in field '{field}'"),
            json!({ "fields": [ { "name": field, "messages": [message] } ] }),
        )
    }

    /// `uniqueness_error` naming one field.
    pub(crate) fn not_unique(field: &str) -> Self {
        Self::error(
            409,
            "uniqueness_error",
            &format!("SSH key with the same {field} already exists"),
            json!({ "fields": [ { "name": field } ] }),
        )
    }
}
