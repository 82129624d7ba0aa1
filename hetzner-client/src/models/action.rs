//! Actions: the API's record of asynchronous work.

use serde::{Deserialize, Serialize};

use super::Timestamp;
use crate::string_enum::string_enum;

string_enum! {
    /// Where an action stands.
    pub enum ActionStatus {
        /// Still in progress.
        Running => "running",
        /// Finished successfully.
        Success => "success",
        /// Finished with an error.
        Error => "error",
    }
}

/// An action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Action {
    /// Id.
    pub id: u64,
    /// What it does, e.g. `create_server`.
    pub command: String,
    /// Status.
    pub status: ActionStatus,
    /// Progress in percent.
    #[serde(default, deserialize_with = "super::lenient::or_default")]
    pub progress: i32,
    /// When it started.
    pub started: Timestamp,
    /// When it finished (null while running).
    #[serde(default)]
    pub finished: Option<Timestamp>,
    /// Resources it concerns.
    #[serde(default)]
    pub resources: Vec<ActionResource>,
    /// Error, when `status` is `error`.
    #[serde(default)]
    pub error: Option<ActionError>,
}

impl Action {
    /// True once the action is no longer running.
    pub fn is_finished(&self) -> bool {
        self.status != ActionStatus::Running
    }
}

/// A resource an action concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ActionResource {
    /// Resource id.
    pub id: u64,
    /// Resource type (`server`, `image`, ...).
    #[serde(rename = "type")]
    pub kind: String,
}

/// Why an action failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ActionError {
    /// Error code.
    pub code: String,
    /// Message.
    pub message: String,
}
