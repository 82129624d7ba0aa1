//! Load balancers and their types. Services and targets are kept as JSON: their shapes vary
//! by kind (`server`, `label_selector`, `ip`; `http`, `https`, `tcp`) and the SDK only passes
//! them through.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Timestamp;
use super::common::DeleteProtection;
use super::location::Location;
use crate::labels::Labels;
use crate::string_enum::string_enum;

string_enum! {
    /// How a load balancer picks a target.
    pub enum Algorithm {
        /// In turn.
        RoundRobin => "round_robin",
        /// Fewest open connections.
        LeastConnections => "least_connections",
    }
}

/// A load balancer type (`lb11`, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LoadBalancerType {
    /// Id.
    pub id: u64,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Concurrent connections.
    #[serde(default, deserialize_with = "super::lenient::or_default")]
    pub max_connections: i64,
    /// Services.
    #[serde(default, deserialize_with = "super::lenient::or_default")]
    pub max_services: i64,
    /// Targets.
    #[serde(default, deserialize_with = "super::lenient::or_default")]
    pub max_targets: i64,
    /// Certificates.
    #[serde(default, deserialize_with = "super::lenient::or_default")]
    pub max_assigned_certificates: i64,
    /// Deprecation time, if deprecated.
    #[serde(default, deserialize_with = "super::lenient::opt")]
    pub deprecated: Option<Timestamp>,
    /// Prices per location (JSON, as the API sends it).
    #[serde(default, deserialize_with = "super::lenient::vec")]
    pub prices: Vec<Value>,
}

/// The algorithm object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlgorithmConfig {
    /// The algorithm.
    #[serde(rename = "type")]
    pub kind: Algorithm,
}

/// A load balancer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LoadBalancer {
    /// Id.
    pub id: u64,
    /// Unique name.
    pub name: String,
    /// Public interface (`enabled`, `ipv4`, `ipv6`), as JSON.
    #[serde(default)]
    pub public_net: Value,
    /// Private network attachments, as JSON.
    #[serde(default, deserialize_with = "super::lenient::vec")]
    pub private_net: Vec<Value>,
    /// Where it runs.
    #[serde(default, deserialize_with = "super::lenient::opt")]
    pub location: Option<Location>,
    /// Its type.
    #[serde(default, deserialize_with = "super::lenient::opt")]
    pub load_balancer_type: Option<LoadBalancerType>,
    /// Delete protection.
    #[serde(default, deserialize_with = "super::lenient::or_default")]
    pub protection: DeleteProtection,
    /// Labels.
    #[serde(default)]
    pub labels: Labels,
    /// Creation time.
    pub created: Timestamp,
    /// Services (listen port -> destination port, health checks), as JSON.
    #[serde(default, deserialize_with = "super::lenient::vec")]
    pub services: Vec<Value>,
    /// Targets (servers, label selectors, IPs), as JSON.
    #[serde(default, deserialize_with = "super::lenient::vec")]
    pub targets: Vec<Value>,
    /// Algorithm.
    #[serde(default, deserialize_with = "super::lenient::opt")]
    pub algorithm: Option<AlgorithmConfig>,
}
