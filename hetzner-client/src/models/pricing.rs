//! Prices of every resource kind, as `GET /pricing` answers.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A net/gross price pair (decimal strings, as the API sends them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Price {
    /// Without VAT.
    #[serde(default)]
    pub net: String,
    /// With VAT.
    #[serde(default)]
    pub gross: String,
}

/// Prices of one server type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServerTypePricing {
    /// Server type id.
    pub id: u64,
    /// Server type name.
    pub name: String,
    /// Prices per location (JSON: `location`, `price_hourly`, `price_monthly`, ...).
    #[serde(default, deserialize_with = "super::lenient::vec")]
    pub prices: Vec<Value>,
}

/// The whole price list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Pricing {
    /// Currency, e.g. `EUR`.
    pub currency: String,
    /// VAT rate in percent (decimal string).
    #[serde(default)]
    pub vat_rate: String,
    /// Server types.
    #[serde(default, deserialize_with = "super::lenient::vec")]
    pub server_types: Vec<ServerTypePricing>,
    /// Everything else (`primary_ips`, `floating_ips`, `image`, `volume`, `server_backup`,
    /// `load_balancer_types`), as JSON.
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}
