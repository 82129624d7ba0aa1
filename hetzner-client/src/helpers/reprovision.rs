//! Primary IPs kept across a reprovision: a customer host rebuilt as a new server keeps its
//! public addresses, so DNS records, allow-lists and reverse DNS stay valid. The old server's
//! primary IPs are switched to `auto_delete: false`, the old server is deleted (its IPs stay,
//! unassigned), and the new server is created on them.

use serde_json::json;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::resources::common::Update;
use crate::resources::servers::{CreateServer, CreatedServer};

/// The primary IPs a server holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KeptAddresses {
    /// Primary IPv4 id.
    pub ipv4: Option<u64>,
    /// Primary IPv6 id.
    pub ipv6: Option<u64>,
}

impl Client {
    /// Makes the server's primary IPs outlive it (`auto_delete: false`); returns their ids.
    ///
    /// # Errors
    /// The API's error.
    pub async fn keep_primary_ips(&self, server_id: u64) -> Result<KeptAddresses> {
        let server = self.servers().get(server_id).await?;
        let kept = KeptAddresses {
            ipv4: server.public_net.ipv4.as_ref().and_then(|i| i.id),
            ipv6: server.public_net.ipv6.as_ref().and_then(|i| i.id),
        };
        for id in [kept.ipv4, kept.ipv6].into_iter().flatten() {
            let ip = self.primary_ips().get(id).await?;
            if ip.auto_delete {
                let update = Update::default().field("auto_delete", json!(false));
                self.primary_ips().update(id, &update).await?;
            }
        }
        Ok(kept)
    }

    /// Replaces `old_server_id` by a server made from `request`, on the old server's primary
    /// IPs. The old server is powered off and deleted only after its IPs are kept; `request`
    /// must not name other primary IPs. A delete-protected old server stops this before
    /// anything is changed.
    ///
    /// # Errors
    /// [`Error::Invalid`] when `request` is invalid or already names primary IPs, or the old
    /// server is delete-protected (nothing is changed in either case); the API's error, or a
    /// failed action.
    pub async fn reprovision_keeping_ips(
        &self,
        old_server_id: u64,
        request: &CreateServer,
    ) -> Result<CreatedServer> {
        if request.primary_ipv4.is_some() || request.primary_ipv6.is_some() {
            return Err(Error::invalid(
                "primary_ips",
                "the old server's primary IPs are used; leave them unset",
            ));
        }
        crate::resources::servers::create_request(request)?;
        let old = self.servers().get(old_server_id).await?;
        if old.protection.delete {
            return Err(Error::invalid(
                "old_server_id",
                "the server is delete-protected; unprotect it first",
            ));
        }
        let kept = self.keep_primary_ips(old_server_id).await?;
        let off = self.servers().poweroff(old_server_id).await?;
        self.actions().wait_for(&[off]).await?;
        let deleted = self.servers().delete(old_server_id).await?;
        self.actions().wait_for(&[deleted]).await?;
        let request = request.clone().primary_ips(kept.ipv4, kept.ipv6);
        let created = self.servers().create(&request).await?;
        self.actions().wait_for(&created.actions()).await?;
        Ok(created)
    }
}
