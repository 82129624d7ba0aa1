//! TLS certificates for load balancers.

use serde::{Deserialize, Serialize};

use super::Timestamp;
use crate::labels::Labels;
use crate::string_enum::string_enum;

string_enum! {
    /// Where a certificate comes from.
    pub enum CertificateType {
        /// Uploaded PEM.
        Uploaded => "uploaded",
        /// Issued and renewed by Hetzner (Let's Encrypt).
        Managed => "managed",
    }
}

/// A certificate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Certificate {
    /// Id.
    pub id: u64,
    /// Unique name.
    pub name: String,
    /// Labels.
    #[serde(default)]
    pub labels: Labels,
    /// Uploaded or managed.
    #[serde(rename = "type", default, deserialize_with = "super::lenient::opt")]
    pub kind: Option<CertificateType>,
    /// The PEM certificate chain.
    #[serde(default)]
    pub certificate: Option<String>,
    /// Creation time.
    pub created: Timestamp,
    /// Start of validity.
    #[serde(default, deserialize_with = "super::lenient::opt")]
    pub not_valid_before: Option<Timestamp>,
    /// End of validity.
    #[serde(default, deserialize_with = "super::lenient::opt")]
    pub not_valid_after: Option<Timestamp>,
    /// Names it covers.
    #[serde(default, deserialize_with = "super::lenient::vec")]
    pub domain_names: Vec<String>,
    /// SHA-256 fingerprint.
    #[serde(default)]
    pub fingerprint: Option<String>,
    /// Issuance and renewal state of managed certificates.
    #[serde(default, deserialize_with = "super::lenient::opt")]
    pub status: Option<serde_json::Value>,
    /// Resources using it.
    #[serde(default, deserialize_with = "super::lenient::vec")]
    pub used_by: Vec<serde_json::Value>,
}
