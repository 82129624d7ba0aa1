//! Zone-level Authenticated Origin Pulls (`GET`/`PUT /zones/{zone_id}/origin_tls_client_auth/settings`).
//!
//! With it enabled, Cloudflare presents its origin-pull client certificate on every connection
//! to the origin; an origin that requires a client certificate signed by Cloudflare's
//! origin-pull CA (Caddy's `client_auth` with `trusted_ca_cert_file`) then refuses anyone who
//! found its address and bypasses Cloudflare. This is the certificate half of the runbook's
//! origin protection (section 7.8); the IP allow-list is the other half.

use http::Method;
use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::transport::request::{RequestSpec, check_id};

/// The zone's Authenticated Origin Pulls setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginPullSettings {
    /// Whether Cloudflare presents its client certificate to the origin.
    pub enabled: bool,
}

fn path(zone_id: &str) -> Result<String> {
    check_id("zone_id", zone_id)?;
    Ok(format!("/zones/{zone_id}/origin_tls_client_auth/settings"))
}

/// `GET /zones/{zone_id}/origin_tls_client_auth/settings`.
pub fn get_request(zone_id: &str) -> Result<RequestSpec> {
    Ok(RequestSpec::get(path(zone_id)?))
}

/// `PUT /zones/{zone_id}/origin_tls_client_auth/settings` with `{"enabled": ..}`.
pub fn put_request(zone_id: &str, enabled: bool) -> Result<RequestSpec> {
    RequestSpec::new(Method::PUT, path(zone_id)?)
        .with_json(&OriginPullSettings { enabled })
        .map_err(Error::from)
}

/// Authenticated Origin Pulls of one zone; from [`Client::origin_pulls`].
#[derive(Debug, Clone)]
pub struct OriginPullsApi<'a> {
    client: &'a Client,
    zone_id: String,
}

impl<'a> OriginPullsApi<'a> {
    pub(crate) fn new(client: &'a Client, zone_id: &str) -> Self {
        Self {
            client,
            zone_id: zone_id.to_owned(),
        }
    }

    /// Whether zone-level Authenticated Origin Pulls is on.
    pub async fn get(&self) -> Result<OriginPullSettings> {
        Ok(self.client.send(&get_request(&self.zone_id)?).await?.result)
    }

    /// Switch it on or off (idempotent `PUT`). Switch it on before the origin starts requiring
    /// the certificate: an origin that requires it refuses every proxied request until this is
    /// on, while presenting it to an origin that does not ask is harmless.
    ///
    /// ```no_run
    /// # async fn run(client: cloudflare_client::Client) -> cloudflare_client::Result<()> {
    /// client.origin_pulls("023e105f4ecef8ad9ca31a8372d0c353").set(true).await?;
    /// # Ok(()) }
    /// ```
    pub async fn set(&self, enabled: bool) -> Result<OriginPullSettings> {
        let spec = put_request(&self.zone_id, enabled)?;
        Ok(self.client.send(&spec).await?.result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests() {
        let r = put_request("z1", true).unwrap();
        assert_eq!(r.method, Method::PUT);
        assert_eq!(r.path, "/zones/z1/origin_tls_client_auth/settings");
        assert_eq!(r.body.unwrap(), serde_json::json!({"enabled": true}));
        assert!(get_request("../x").is_err());
    }
}
