//! Locations.

use serde::{Deserialize, Serialize};

/// A location (a Hetzner site such as `fsn1`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Location {
    /// Id.
    pub id: u64,
    /// Name, e.g. `fsn1`.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// ISO 3166-1 alpha-2 country code.
    #[serde(default)]
    pub country: String,
    /// City.
    #[serde(default)]
    pub city: String,
    /// Latitude.
    #[serde(default)]
    pub latitude: f64,
    /// Longitude.
    #[serde(default)]
    pub longitude: f64,
    /// Network zone, e.g. `eu-central`.
    #[serde(default)]
    pub network_zone: String,
}
