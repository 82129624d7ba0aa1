//! Cloudflare's IP ranges from `GET /ips` (no token needed), with the `etag` that tells when they
//! changed. These are the values an origin allow-list takes: the Hetzner firewall's source IPs for
//! 80/443, Caddy's `trusted_proxies` and allow-list. The text pages `www.cloudflare.com/ips-v4`
//! are not used: they carry no etag.

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::error::Result;
use crate::transport::request::RequestSpec;

/// Cloudflare's published ranges, both families.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CloudflareIps {
    /// IPv4 ranges.
    #[serde(rename = "ipv4_cidrs", default)]
    pub ipv4: Vec<Ipv4Net>,
    /// IPv6 ranges.
    #[serde(rename = "ipv6_cidrs", default)]
    pub ipv6: Vec<Ipv6Net>,
    /// Digest of the lists; changes when they change.
    #[serde(default)]
    pub etag: String,
}

impl CloudflareIps {
    /// Every range, IPv4 first.
    pub fn all(&self) -> Vec<IpNet> {
        self.ipv4
            .iter()
            .copied()
            .map(IpNet::V4)
            .chain(self.ipv6.iter().copied().map(IpNet::V6))
            .collect()
    }

    /// Every range as `hardening_model::IpNet`, the type the Hetzner firewall rule values
    /// (`HetznerRule::source_ips`) and the Caddy allow-list / `trusted_proxies` take.
    #[cfg(feature = "hardening-model")]
    pub fn to_model(&self) -> Vec<hardening_model::IpNet> {
        self.all()
    }
}

/// `GET /ips` (unauthenticated).
pub fn get_request() -> RequestSpec {
    RequestSpec::get("/ips").without_auth()
}

/// IP range calls; from [`Client::ips`].
#[derive(Debug, Clone, Copy)]
pub struct IpsApi<'a> {
    client: &'a Client,
}

impl<'a> IpsApi<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Self { client }
    }

    /// Fetch the current ranges.
    pub async fn get(&self) -> Result<CloudflareIps> {
        Ok(self.client.send(&get_request()).await?.result)
    }

    /// Fetch the ranges and return them only if their etag differs from `known_etag`.
    pub async fn get_if_changed(&self, known_etag: &str) -> Result<Option<CloudflareIps>> {
        let ips = self.get().await?;
        Ok((ips.etag != known_etag).then_some(ips))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_families_and_ignores_extras() {
        let ips: CloudflareIps = serde_json::from_str(
            r#"{"ipv4_cidrs":["173.245.48.0/20"],"ipv6_cidrs":["2400:cb00::/32"],"etag":"e1","jdcloud_cidrs":[]}"#,
        )
        .unwrap();
        assert_eq!(ips.all().len(), 2);
        assert_eq!(ips.etag, "e1");
        assert!(!get_request().auth);
    }
}
