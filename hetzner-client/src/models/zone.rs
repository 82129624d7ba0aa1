//! DNS zones and their RRSets (Hetzner's DNS in the Cloud API).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Timestamp;
use super::common::DeleteProtection;
use crate::labels::Labels;
use crate::string_enum::string_enum;

string_enum! {
    /// Whether Hetzner is the primary for a zone.
    pub enum ZoneMode {
        /// Records are managed here.
        Primary => "primary",
        /// Records are transferred from primary nameservers.
        Secondary => "secondary",
    }
}

string_enum! {
    /// Publication state of a zone.
    pub enum ZoneStatus {
        /// Published.
        Ok => "ok",
        /// Being published.
        Updating => "updating",
        /// Publication failed.
        Error => "error",
    }
}

/// A DNS zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Zone {
    /// Id.
    pub id: u64,
    /// Domain name.
    pub name: String,
    /// Creation time.
    pub created: Timestamp,
    /// Primary or secondary.
    pub mode: ZoneMode,
    /// Primary nameservers of a secondary zone (JSON: `address`, `port`, `tsig_*`).
    #[serde(default, deserialize_with = "super::lenient::vec")]
    pub primary_nameservers: Vec<Value>,
    /// Labels.
    #[serde(default)]
    pub labels: Labels,
    /// Delete protection.
    #[serde(default, deserialize_with = "super::lenient::or_default")]
    pub protection: DeleteProtection,
    /// Default TTL in seconds.
    #[serde(default, deserialize_with = "super::lenient::or_default")]
    pub ttl: i64,
    /// Publication state.
    pub status: ZoneStatus,
    /// Number of records.
    #[serde(default, deserialize_with = "super::lenient::or_default")]
    pub record_count: i64,
    /// Assigned and delegated nameservers (JSON).
    #[serde(default)]
    pub authoritative_nameservers: Value,
    /// Registrar (`hetzner`, `other`, `unknown`).
    #[serde(default)]
    pub registrar: String,
}

/// One record of an RRSet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Value in zone file syntax, e.g. `198.51.100.1` or `10 mail.example.com.`.
    pub value: String,
    /// Comment.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub comment: String,
}

impl Record {
    /// A record without comment.
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            comment: String::new(),
        }
    }
}

/// Change protection of an RRSet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeProtection {
    /// Changes are refused (`protected`) while true.
    #[serde(default)]
    pub change: bool,
}

/// The records of one name and type in a zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RrSet {
    /// `name/type`, e.g. `www/A`.
    pub id: String,
    /// Name relative to the zone (`@` for the apex).
    pub name: String,
    /// Record type (`A`, `AAAA`, `MX`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// TTL; `None` uses the zone's.
    #[serde(default)]
    pub ttl: Option<i64>,
    /// Labels.
    #[serde(default)]
    pub labels: Labels,
    /// Change protection.
    #[serde(default, deserialize_with = "super::lenient::or_default")]
    pub protection: ChangeProtection,
    /// Records.
    #[serde(default, deserialize_with = "super::lenient::vec")]
    pub records: Vec<Record>,
    /// Zone id.
    pub zone: u64,
}
