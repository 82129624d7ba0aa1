//! Volumes: block storage attached to servers.

use serde::{Deserialize, Serialize};

use super::Timestamp;
use super::common::DeleteProtection;
use super::location::Location;
use crate::labels::Labels;
use crate::string_enum::string_enum;

string_enum! {
    /// State of a volume.
    pub enum VolumeStatus {
        /// Ready.
        Available => "available",
        /// Being created.
        Creating => "creating",
    }
}

/// A volume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Volume {
    /// Id.
    pub id: u64,
    /// Creation time.
    pub created: Timestamp,
    /// Unique name.
    pub name: String,
    /// The server it is attached to.
    #[serde(default)]
    pub server: Option<u64>,
    /// Where it lives.
    #[serde(default, deserialize_with = "super::lenient::opt")]
    pub location: Option<Location>,
    /// Size in GB. The document types it `number` in responses and `integer` in requests;
    /// the live API answers integers, and so do the models.
    #[serde(default, deserialize_with = "super::lenient::whole")]
    pub size: u64,
    /// Device path on the server, e.g. `/dev/disk/by-id/scsi-0HC_Volume_42`.
    #[serde(default)]
    pub linux_device: String,
    /// Delete protection.
    #[serde(default, deserialize_with = "super::lenient::or_default")]
    pub protection: DeleteProtection,
    /// Labels.
    #[serde(default)]
    pub labels: Labels,
    /// State.
    pub status: VolumeStatus,
    /// Filesystem it was formatted with, if any.
    #[serde(default, deserialize_with = "super::lenient::opt")]
    pub format: Option<String>,
}
