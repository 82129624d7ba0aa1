//! Response and request models, one file per resource. Unknown fields are ignored, enums keep
//! unknown values, and fields the spec marks nullable are `Option`.

pub mod action;
pub mod certificate;
pub mod common;
pub mod datacenter;
pub mod firewall;
pub mod floating_ip;
pub mod image;
pub mod iso;
pub mod lenient;
pub mod load_balancer;
pub mod location;
pub mod metrics;
pub mod network;
pub mod placement_group;
pub mod pricing;
pub mod primary_ip;
pub mod server;
pub mod server_type;
pub mod ssh_key;
pub mod volume;
pub mod zone;

/// Timestamps as the API sends them (RFC 3339), in UTC.
pub type Timestamp = chrono::DateTime<chrono::Utc>;

/// `{ "id": N }` references.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IdRef {
    /// The referenced id.
    pub id: u64,
}
