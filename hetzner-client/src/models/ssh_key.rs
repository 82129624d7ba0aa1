//! SSH keys.

use serde::{Deserialize, Serialize};

use super::Timestamp;
use crate::labels::Labels;

/// An SSH public key stored in the project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SshKey {
    /// Id.
    pub id: u64,
    /// Name (unique per project).
    pub name: String,
    /// MD5 fingerprint.
    pub fingerprint: String,
    /// The public key in OpenSSH format.
    pub public_key: String,
    /// Labels.
    #[serde(default)]
    pub labels: Labels,
    /// Creation time.
    pub created: Timestamp,
}
