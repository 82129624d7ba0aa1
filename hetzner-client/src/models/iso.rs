//! ISO images that can be attached to servers.

use serde::{Deserialize, Serialize};

use super::common::IsoType;
use super::server_type::Architecture;

/// An ISO image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Iso {
    /// Id.
    pub id: u64,
    /// Name (null for private ISOs).
    #[serde(default)]
    pub name: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Public or private.
    #[serde(rename = "type", default, deserialize_with = "super::lenient::opt")]
    pub kind: Option<IsoType>,
    /// Deprecation dates, when deprecated.
    #[serde(default, deserialize_with = "super::lenient::opt")]
    pub deprecation: Option<serde_json::Value>,
    /// CPU architecture (null: any).
    #[serde(default, deserialize_with = "super::lenient::opt")]
    pub architecture: Option<Architecture>,
}
