//! Reverse DNS for a server's public addresses: mail and some TLS checks want the PTR of the
//! host's IPv4 and IPv6 to name the host (the runbook's hostnames are opaque; customers'
//! names go on the proxied records, not here).

use crate::client::Client;
use crate::error::{Error, Result};
use crate::models::action::Action;
use crate::models::server::Server;

/// The addresses of `server` to point at a hostname: its IPv4, and `::1` of its IPv6 /64.
pub fn reverse_dns_targets(server: &Server) -> Vec<String> {
    let mut targets = Vec::new();
    if let Some(ipv4) = &server.public_net.ipv4 {
        targets.push(ipv4.ip.clone());
    }
    if let Some(ipv6) = &server.public_net.ipv6
        && let Some((prefix, _)) = ipv6.ip.split_once("::/")
    {
        targets.push(format!("{prefix}::1"));
    }
    targets
}

impl Client {
    /// Points the reverse DNS of the server's IPv4 and IPv6 (`::1`) at `hostname` (or, with
    /// `None`, back at Hetzner's default) and waits for the actions.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a hostname that is not one (nothing sent), the API's error, or a
    /// failed action.
    pub async fn set_reverse_dns(
        &self,
        server_id: u64,
        hostname: Option<&str>,
    ) -> Result<Vec<Action>> {
        let server = self.servers().get(server_id).await?;
        let targets = reverse_dns_targets(&server);
        if targets.is_empty() {
            return Err(Error::invalid(
                "server_id",
                "the server has no public address",
            ));
        }
        let mut actions = Vec::new();
        for ip in &targets {
            actions.push(
                self.servers()
                    .change_dns_ptr(server_id, ip, hostname)
                    .await?,
            );
        }
        self.actions().wait_for(&actions).await
    }
}
