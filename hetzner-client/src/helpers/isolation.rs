//! The isolation check (runbook 1.5): a customer server must have no private networks,
//! floating IPs or load balancer targets.

use crate::client::Client;
use crate::error::Result;
use crate::models::server::Server;

/// What ties a server to other resources.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IsolationReport {
    /// Server id.
    pub server_id: u64,
    /// Private networks it is attached to.
    pub private_networks: Vec<u64>,
    /// Floating IPs assigned to it.
    pub floating_ips: Vec<u64>,
    /// Load balancers targeting it.
    pub load_balancers: Vec<u64>,
}

/// Ids as the API's ids (the spec types these lists as plain int64).
fn ids(values: &[i64]) -> Vec<u64> {
    values
        .iter()
        .filter_map(|v| u64::try_from(*v).ok())
        .collect()
}

impl IsolationReport {
    /// Checks a server (pure).
    pub fn of(server: &Server) -> Self {
        Self {
            server_id: server.id,
            private_networks: server.private_net.iter().map(|n| n.network).collect(),
            floating_ips: ids(&server.public_net.floating_ips),
            load_balancers: ids(&server.load_balancers),
        }
    }

    /// True when nothing ties the server to anything else.
    pub fn is_isolated(&self) -> bool {
        self.private_networks.is_empty()
            && self.floating_ips.is_empty()
            && self.load_balancers.is_empty()
    }
}

impl Client {
    /// Fetches a server and checks its isolation.
    ///
    /// # Errors
    /// The API's error (`not_found` for an unknown server).
    pub async fn check_isolation(&self, server_id: u64) -> Result<IsolationReport> {
        Ok(IsolationReport::of(&self.servers().get(server_id).await?))
    }
}
