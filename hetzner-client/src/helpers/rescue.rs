//! Rescue mode for forensics after a quarantine: the server boots Hetzner's rescue system
//! (from the network, not its own disk), so its disk can be read without running anything the
//! attacker may have left on it. The quarantine firewall stays applied throughout.

use secrecy::SecretString;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::models::server::ServerStatus;

/// A server booted into rescue; the root password is only set when no SSH key was given.
#[derive(Debug, Clone)]
pub struct RescueSession {
    /// The server.
    pub server_id: u64,
    /// Root password of the rescue system (redacted in Debug), when no key was given.
    pub root_password: Option<SecretString>,
}

impl Client {
    /// Boots `server_id` into the rescue system with `ssh_keys` (ids) and waits until it runs.
    /// The server must be quarantined first unless `require_quarantine` is false: forensics on
    /// a host that can still talk to its attacker is not forensics.
    ///
    /// # Errors
    /// [`Error::Invalid`] when the server is not quarantined (nothing is changed), the API's
    /// error, or a failed action.
    pub async fn enter_rescue(
        &self,
        server_id: u64,
        ssh_keys: &[u64],
        require_quarantine: bool,
    ) -> Result<RescueSession> {
        let server = self.servers().get(server_id).await?;
        if require_quarantine {
            let quarantine = self
                .firewalls()
                .get_by_name(super::quarantine::QUARANTINE_FIREWALL)
                .await?;
            let isolated = quarantine.is_some_and(|fw| {
                server.public_net.firewalls.iter().any(|f| f.id == fw.id)
                    && server.public_net.firewalls.len() == 1
            });
            if !isolated {
                return Err(Error::invalid(
                    "server_id",
                    "quarantine the server before booting it into rescue",
                ));
            }
        }
        let enable = self.servers().enable_rescue(server_id, ssh_keys).await?;
        let boot = if server.status == ServerStatus::Off {
            self.servers().poweron(server_id).await?
        } else {
            self.servers().reset(server_id).await?
        };
        self.actions().wait_for(&[enable.action, boot]).await?;
        Ok(RescueSession {
            server_id,
            root_password: enable.root_password,
        })
    }

    /// Leaves the rescue system: disables it and powers the server off, so that it does not
    /// boot its possibly compromised disk by itself.
    ///
    /// # Errors
    /// The API's error, or a failed action.
    pub async fn leave_rescue(&self, server_id: u64) -> Result<()> {
        let disable = self.servers().disable_rescue(server_id).await?;
        let off = self.servers().poweroff(server_id).await?;
        self.actions().wait_for(&[disable, off]).await?;
        Ok(())
    }
}
