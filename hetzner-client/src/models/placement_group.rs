//! Placement groups: keep servers on different physical hosts.

use serde::{Deserialize, Serialize};

use super::Timestamp;
use crate::labels::Labels;
use crate::string_enum::string_enum;

string_enum! {
    /// How servers in a group are placed.
    pub enum PlacementGroupType {
        /// Every server on a different host.
        Spread => "spread",
    }
}

/// A placement group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PlacementGroup {
    /// Id.
    pub id: u64,
    /// Unique name.
    pub name: String,
    /// Labels.
    #[serde(default)]
    pub labels: Labels,
    /// Placement strategy.
    #[serde(rename = "type")]
    pub kind: PlacementGroupType,
    /// Creation time.
    pub created: Timestamp,
    /// Ids of the servers in the group.
    #[serde(default, deserialize_with = "super::lenient::vec")]
    pub servers: Vec<i64>,
}
