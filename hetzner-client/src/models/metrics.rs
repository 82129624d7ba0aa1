//! Metrics of servers and load balancers.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Timestamp;

/// `metrics` of `GET /servers/{id}/metrics` and `GET /load_balancers/{id}/metrics`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Metrics {
    /// Start of the period.
    pub start: Timestamp,
    /// End of the period.
    pub end: Timestamp,
    /// Resolution in seconds.
    #[serde(default, deserialize_with = "super::lenient::or_default")]
    pub step: f64,
    /// Series by name (`cpu`, `disk.0.iops.read`, ...), each `{ "values": [[time, "value"]] }`.
    #[serde(default)]
    pub time_series: Map<String, Value>,
}
