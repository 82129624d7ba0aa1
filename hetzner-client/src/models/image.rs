//! Images: system images, snapshots and backups.

use serde::{Deserialize, Serialize};

use super::Timestamp;
use super::server_type::Architecture;
use crate::labels::Labels;
use crate::string_enum::string_enum;

string_enum! {
    /// Kind of image.
    pub enum ImageType {
        /// Operating system image.
        System => "system",
        /// Application image.
        App => "app",
        /// Snapshot taken by the user.
        Snapshot => "snapshot",
        /// Backup bound to a server.
        Backup => "backup",
        /// Temporary image.
        Temporary => "temporary",
    }
}

string_enum! {
    /// Image availability.
    pub enum ImageStatus {
        /// Ready.
        Available => "available",
        /// Being created.
        Creating => "creating",
        /// Not usable.
        Unavailable => "unavailable",
    }
}

/// Delete protection of an image.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ImageProtection {
    /// Protected against deletion.
    pub delete: bool,
}

/// Where an image came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CreatedFrom {
    /// Server id.
    pub id: u64,
    /// Server name.
    pub name: String,
}

/// An image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Image {
    /// Id.
    pub id: u64,
    /// Kind.
    #[serde(rename = "type")]
    pub kind: ImageType,
    /// Availability.
    pub status: ImageStatus,
    /// Unique name (system images only).
    #[serde(default)]
    pub name: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Size in GB (snapshots are billed by it).
    #[serde(default, deserialize_with = "super::lenient::opt")]
    pub image_size: Option<f64>,
    /// Disk size in GB.
    #[serde(default)]
    pub disk_size: f64,
    /// Creation time.
    pub created: super::Timestamp,
    /// Source server.
    #[serde(default, deserialize_with = "super::lenient::opt")]
    pub created_from: Option<CreatedFrom>,
    /// Server a backup is bound to.
    #[serde(default, deserialize_with = "super::lenient::opt")]
    pub bound_to: Option<u64>,
    /// OS flavor (`ubuntu`, ...).
    #[serde(default, deserialize_with = "super::lenient::opt")]
    pub os_flavor: Option<String>,
    /// OS version.
    #[serde(default, deserialize_with = "super::lenient::opt")]
    pub os_version: Option<String>,
    /// Protection.
    #[serde(default)]
    pub protection: ImageProtection,
    /// When it was deprecated.
    #[serde(default, deserialize_with = "super::lenient::opt")]
    pub deprecated: Option<Timestamp>,
    /// When it was deleted.
    #[serde(default, deserialize_with = "super::lenient::opt")]
    pub deleted: Option<String>,
    /// Labels.
    #[serde(default)]
    pub labels: Labels,
    /// Architecture.
    #[serde(default, deserialize_with = "super::lenient::opt")]
    pub architecture: Option<Architecture>,
}
