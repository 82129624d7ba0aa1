//! Floating IPs: addresses that move between servers.

use serde::{Deserialize, Serialize};

use super::Timestamp;
use super::common::{DeleteProtection, DnsPtr, IpType};
use super::location::Location;
use crate::labels::Labels;

/// A floating IP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FloatingIp {
    /// Id.
    pub id: u64,
    /// Unique name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// The address (for IPv6, the /64 network).
    pub ip: String,
    /// Address family.
    #[serde(rename = "type")]
    pub kind: IpType,
    /// The server it is assigned to.
    #[serde(default)]
    pub server: Option<u64>,
    /// Reverse DNS entries.
    #[serde(default, deserialize_with = "super::lenient::vec")]
    pub dns_ptr: Vec<DnsPtr>,
    /// Where it is routed by default.
    #[serde(default, deserialize_with = "super::lenient::opt")]
    pub home_location: Option<Location>,
    /// Blocked by Hetzner's abuse team.
    #[serde(default)]
    pub blocked: bool,
    /// Delete protection.
    #[serde(default, deserialize_with = "super::lenient::or_default")]
    pub protection: DeleteProtection,
    /// Labels.
    #[serde(default)]
    pub labels: Labels,
    /// Creation time.
    pub created: Timestamp,
}
