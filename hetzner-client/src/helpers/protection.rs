//! Deletion and rebuild protection on customer servers: a fat-fingered `delete` or `rebuild`
//! of a production host is refused by the API (`protected`) until protection is turned off
//! on purpose.

use futures::TryStreamExt;

use crate::client::Client;
use crate::error::Result;
use crate::labels::LabelSelector;
use crate::models::action::Action;
use crate::resources::ListParams;

/// What [`Client::protect_servers`] did.
#[derive(Debug, Clone, Default)]
pub struct ProtectionReport {
    /// Servers whose protection was turned on now.
    pub protected: Vec<u64>,
    /// Servers that already had it.
    pub already: Vec<u64>,
    /// The finished `change_protection` actions.
    pub actions: Vec<Action>,
}

impl Client {
    /// Turns on delete and rebuild protection on every server matching `selector` (for
    /// example `managed-by=fleet`) that lacks it, and waits for the actions.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() -> hetzner_client::Result<()> {
    /// use hetzner_client::resources::servers::CreateServer;
    /// use hetzner_client::{Client, LabelSelector, Labels, simulator::Simulator};
    /// let sim = Simulator::new();
    /// let client = Client::simulated(&sim)?;
    /// let labels = Labels::new().with("managed-by", "fleet")?;
    /// let web = client.servers().create(&CreateServer::new("web-1", "cx22", "ubuntu-24.04").labels(labels)).await?;
    /// let report = client.protect_servers(&LabelSelector::new().eq("managed-by", "fleet")).await?;
    /// assert_eq!(report.protected, vec![web.server.id]);
    /// assert!(client.servers().delete(web.server.id).await.is_err()); // 423 protected
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The API's error, or a failed action.
    pub async fn protect_servers(&self, selector: &LabelSelector) -> Result<ProtectionReport> {
        let servers: Vec<_> = self
            .servers()
            .stream(ListParams::default().selector(selector.clone()))?
            .try_collect()
            .await?;
        let mut report = ProtectionReport::default();
        let mut pending = Vec::new();
        for server in servers {
            if server.protection.delete && server.protection.rebuild {
                report.already.push(server.id);
            } else {
                pending.push(self.servers().change_protection(server.id, true).await?);
                report.protected.push(server.id);
            }
        }
        report.actions = self.actions().wait_for(&pending).await?;
        Ok(report)
    }

    /// Turns protection off on one server (before a deliberate delete or rebuild) and waits.
    ///
    /// # Errors
    /// The API's error, or a failed action.
    pub async fn unprotect_server(&self, server_id: u64) -> Result<Action> {
        let action = self.servers().change_protection(server_id, false).await?;
        let mut done = self.actions().wait_for(&[action]).await?;
        Ok(done.remove(0))
    }
}
