//! Server types.

use serde::{Deserialize, Serialize};

use crate::string_enum::string_enum;

string_enum! {
    /// CPU kind of a server type.
    pub enum CpuType {
        /// Shared vCPUs.
        Shared => "shared",
        /// Dedicated vCPUs.
        Dedicated => "dedicated",
    }
}

string_enum! {
    /// CPU architecture.
    pub enum Architecture {
        /// x86-64.
        X86 => "x86",
        /// ARM64.
        Arm => "arm",
    }
}

/// A server type (size), e.g. `cx22`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServerType {
    /// Id.
    pub id: u64,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// vCPUs (an integer on the wire; see [`lenient::whole`](super::lenient::whole)).
    #[serde(default, deserialize_with = "super::lenient::whole")]
    pub cores: u32,
    /// Memory in GB (a `number`: some types have fractional memory).
    #[serde(default)]
    pub memory: f64,
    /// Disk in GB (an integer on the wire; see [`lenient::whole`](super::lenient::whole)).
    #[serde(default, deserialize_with = "super::lenient::whole")]
    pub disk: u64,
    /// CPU kind.
    #[serde(default, deserialize_with = "super::lenient::opt")]
    pub cpu_type: Option<CpuType>,
    /// Architecture.
    #[serde(default, deserialize_with = "super::lenient::opt")]
    pub architecture: Option<Architecture>,
    /// Storage kind (`local` or `network`).
    #[serde(default, deserialize_with = "super::lenient::opt")]
    pub storage_type: Option<String>,
    /// Deprecated flag (null or absent when not deprecated).
    #[serde(default, deserialize_with = "super::lenient::opt")]
    pub deprecated: Option<bool>,
}
