//! Primary IPs: the public addresses of servers, which can outlive them.

use serde::{Deserialize, Serialize};

use super::Timestamp;
use super::common::{DeleteProtection, DnsPtr, IpType};
use super::location::Location;
use crate::labels::Labels;

/// A primary IP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PrimaryIp {
    /// Id.
    pub id: u64,
    /// Unique name.
    pub name: String,
    /// Labels.
    #[serde(default)]
    pub labels: Labels,
    /// Creation time.
    pub created: Timestamp,
    /// Blocked by Hetzner's abuse team.
    #[serde(default)]
    pub blocked: bool,
    /// Where it lives (a primary IP can only be assigned to servers there).
    #[serde(default, deserialize_with = "super::lenient::opt")]
    pub location: Option<Location>,
    /// The address (for IPv6, the /64 network).
    pub ip: String,
    /// Reverse DNS entries.
    #[serde(default, deserialize_with = "super::lenient::vec")]
    pub dns_ptr: Vec<DnsPtr>,
    /// Delete protection.
    #[serde(default, deserialize_with = "super::lenient::or_default")]
    pub protection: DeleteProtection,
    /// Address family.
    #[serde(rename = "type")]
    pub kind: IpType,
    /// Deleted together with the server it is assigned to.
    #[serde(default)]
    pub auto_delete: bool,
    /// Kind of the assignee (`server`).
    #[serde(default)]
    pub assignee_type: String,
    /// The server it is assigned to.
    #[serde(default)]
    pub assignee_id: Option<u64>,
}
