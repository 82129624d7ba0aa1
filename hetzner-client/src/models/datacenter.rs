//! Datacenters: a location's virtual datacenter and the server types it offers.

use serde::{Deserialize, Serialize};

use super::location::Location;

/// Server types a datacenter supports and has capacity for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DatacenterServerTypes {
    /// Supported here.
    #[serde(default, deserialize_with = "super::lenient::vec")]
    pub supported: Vec<i64>,
    /// Orderable now.
    #[serde(default, deserialize_with = "super::lenient::vec")]
    pub available: Vec<i64>,
    /// Possible targets of `change_type`.
    #[serde(default, deserialize_with = "super::lenient::vec")]
    pub available_for_migration: Vec<i64>,
}

/// A datacenter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Datacenter {
    /// Id.
    pub id: u64,
    /// Name, e.g. `fsn1-dc14`.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Its location.
    pub location: Location,
    /// Server types.
    #[serde(default, deserialize_with = "super::lenient::or_default")]
    pub server_types: DatacenterServerTypes,
}
