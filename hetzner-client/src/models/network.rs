//! Private networks, their subnets and routes.

use serde::{Deserialize, Serialize};

use super::Timestamp;
use super::common::DeleteProtection;
use crate::labels::Labels;
use crate::string_enum::string_enum;

string_enum! {
    /// Kind of a subnet.
    pub enum SubnetType {
        /// Cloud servers.
        Cloud => "cloud",
        /// Legacy name of `cloud`.
        Server => "server",
        /// A Robot vSwitch.
        Vswitch => "vswitch",
    }
}

/// A subnet of a network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subnet {
    /// Kind.
    #[serde(rename = "type")]
    pub kind: SubnetType,
    /// Range (inside the network's range).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_range: Option<String>,
    /// Network zone, e.g. `eu-central`.
    pub network_zone: String,
    /// Gateway (set by the API).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub gateway: String,
    /// vSwitch id for `vswitch` subnets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vswitch_id: Option<u64>,
}

/// A route of a network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    /// Destination range.
    pub destination: String,
    /// Gateway inside the network.
    pub gateway: String,
}

/// A private network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Network {
    /// Id.
    pub id: u64,
    /// Unique name.
    pub name: String,
    /// Range of the whole network.
    pub ip_range: String,
    /// Subnets.
    #[serde(default, deserialize_with = "super::lenient::vec")]
    pub subnets: Vec<Subnet>,
    /// Routes.
    #[serde(default, deserialize_with = "super::lenient::vec")]
    pub routes: Vec<Route>,
    /// Attached servers.
    #[serde(default, deserialize_with = "super::lenient::vec")]
    pub servers: Vec<i64>,
    /// Attached load balancers.
    #[serde(default, deserialize_with = "super::lenient::vec")]
    pub load_balancers: Vec<i64>,
    /// Delete protection.
    #[serde(default, deserialize_with = "super::lenient::or_default")]
    pub protection: DeleteProtection,
    /// Labels.
    #[serde(default)]
    pub labels: Labels,
    /// Creation time.
    pub created: Timestamp,
    /// Routes are exported to a connected vSwitch.
    #[serde(default)]
    pub expose_routes_to_vswitch: bool,
}
