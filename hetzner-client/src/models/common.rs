//! Small values several resources share: delete protection, reverse DNS entries, IP kinds.

use serde::{Deserialize, Serialize};

use crate::string_enum::string_enum;

/// `protection` of resources that only have delete protection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeleteProtection {
    /// Deleting is refused (`protected`) while true.
    #[serde(default)]
    pub delete: bool,
}

/// One reverse DNS entry (`dns_ptr` of primary and floating IPs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsPtr {
    /// The address.
    pub ip: String,
    /// The hostname it resolves to.
    pub dns_ptr: String,
}

string_enum! {
    /// Address family of a primary or floating IP.
    pub enum IpType {
        /// One IPv4 address.
        Ipv4 => "ipv4",
        /// An IPv6 /64 network.
        Ipv6 => "ipv6",
    }
}

string_enum! {
    /// Whether an ISO is public or private.
    pub enum IsoType {
        /// Provided by Hetzner.
        Public => "public",
        /// Uploaded for this project.
        Private => "private",
    }
}
