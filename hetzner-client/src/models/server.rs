//! Servers.

use serde::{Deserialize, Serialize};

use super::Timestamp;
use super::image::Image;
use super::location::Location;
use super::server_type::ServerType;
use crate::labels::Labels;
use crate::string_enum::string_enum;

string_enum! {
    /// Where a server stands.
    pub enum ServerStatus {
        /// Running.
        Running => "running",
        /// Being created.
        Initializing => "initializing",
        /// Starting.
        Starting => "starting",
        /// Stopping.
        Stopping => "stopping",
        /// Off.
        Off => "off",
        /// Being deleted.
        Deleting => "deleting",
        /// Migrating.
        Migrating => "migrating",
        /// Being rebuilt.
        Rebuilding => "rebuilding",
        /// Unknown to the API itself.
        UnknownStatus => "unknown",
    }
}

/// A server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Server {
    /// Id.
    pub id: u64,
    /// Name (unique per project, RFC 1123).
    pub name: String,
    /// Status.
    pub status: ServerStatus,
    /// Creation time.
    pub created: Timestamp,
    /// Public network configuration.
    pub public_net: PublicNet,
    /// Private networks the server is attached to.
    #[serde(default, deserialize_with = "super::lenient::vec")]
    pub private_net: Vec<PrivateNet>,
    /// Server type.
    pub server_type: ServerType,
    /// Location.
    pub location: Location,
    /// Image it was created from (null when deleted or from an ISO).
    #[serde(default, deserialize_with = "super::lenient::opt")]
    pub image: Option<Image>,
    /// Rescue mode enabled.
    #[serde(default)]
    pub rescue_enabled: bool,
    /// Locked by a running action.
    #[serde(default)]
    pub locked: bool,
    /// Backup window, when backups are enabled.
    #[serde(default, deserialize_with = "super::lenient::opt")]
    pub backup_window: Option<String>,
    /// Protection flags.
    #[serde(default)]
    pub protection: ServerProtection,
    /// Labels.
    #[serde(default)]
    pub labels: Labels,
    /// Volume ids.
    #[serde(default, deserialize_with = "super::lenient::vec")]
    pub volumes: Vec<i64>,
    /// Load balancer ids targeting this server.
    #[serde(default, deserialize_with = "super::lenient::vec")]
    pub load_balancers: Vec<i64>,
    /// Primary disk size in GB (an integer on the wire; see
    /// [`lenient::whole`](super::lenient::whole)).
    #[serde(default, deserialize_with = "super::lenient::whole")]
    pub primary_disk_size: u64,
    /// Placement group (kept as raw JSON).
    #[serde(default, deserialize_with = "super::lenient::opt")]
    pub placement_group: Option<serde_json::Value>,
}

/// Protection flags of a server.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServerProtection {
    /// Protected against deletion.
    pub delete: bool,
    /// Protected against rebuild.
    pub rebuild: bool,
}

/// Public network configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PublicNet {
    /// IPv4 address (null when disabled).
    #[serde(default)]
    pub ipv4: Option<Ipv4>,
    /// IPv6 network (null when disabled).
    #[serde(default)]
    pub ipv6: Option<Ipv6>,
    /// Floating IP ids assigned to the server.
    #[serde(default, deserialize_with = "super::lenient::vec")]
    pub floating_ips: Vec<i64>,
    /// Firewalls applied to the public interface.
    #[serde(default, deserialize_with = "super::lenient::vec")]
    pub firewalls: Vec<ServerFirewall>,
}

/// A public IPv4 address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Ipv4 {
    /// Primary IP id.
    #[serde(default)]
    pub id: Option<u64>,
    /// Address.
    pub ip: String,
    /// Blocked by Hetzner.
    #[serde(default)]
    pub blocked: bool,
    /// Reverse DNS.
    #[serde(default, deserialize_with = "super::lenient::opt")]
    pub dns_ptr: Option<String>,
}

/// A public IPv6 network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Ipv6 {
    /// Primary IP id.
    #[serde(default)]
    pub id: Option<u64>,
    /// Network (`2001:db8::/64`).
    pub ip: String,
    /// Blocked by Hetzner.
    #[serde(default)]
    pub blocked: bool,
    /// Reverse DNS entries (kept as raw JSON).
    #[serde(default, deserialize_with = "super::lenient::opt")]
    pub dns_ptr: Option<serde_json::Value>,
}

/// A firewall applied to a server, with its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServerFirewall {
    /// Firewall id.
    pub id: u64,
    /// `applied` or `pending`.
    pub status: String,
}

/// A private network attachment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PrivateNet {
    /// Network id.
    pub network: u64,
    /// Address in the network.
    #[serde(default)]
    pub ip: String,
    /// Alias addresses.
    #[serde(default)]
    pub alias_ips: Vec<String>,
    /// MAC address.
    #[serde(default)]
    pub mac_address: String,
}
