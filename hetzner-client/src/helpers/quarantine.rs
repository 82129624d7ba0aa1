//! Quarantine (incident response): cut a server off with a deny-all cloud firewall.
//!
//! Hetzner firewalls are allow-lists and several firewalls on one server add up, so applying
//! a deny-all firewall is not enough: every other directly applied firewall is removed too.
//! A firewall with no inbound rules drops all inbound traffic; outbound traffic is only
//! filtered once there is at least one outbound rule, so the deny-all firewall carries one
//! outbound rule that allows ICMP to a documentation address (192.0.2.1, RFC 5737) and
//! nothing else.

use crate::client::Client;
use crate::error::Result;
use crate::labels::Labels;
use crate::models::action::Action;
use crate::models::firewall::{ApplyTo, FirewallRule, Protocol};
use crate::resources::firewalls::CreateFirewall;

/// Name of the shared deny-all firewall.
pub const QUARANTINE_FIREWALL: &str = "quarantine-deny-all";

/// The deny-all firewall request.
///
/// # Errors
/// Never for the built-in values; labels are validated like any other.
pub fn deny_all_firewall() -> Result<CreateFirewall> {
    Ok(CreateFirewall::new(QUARANTINE_FIREWALL)
        .labels(Labels::new().with("role", "quarantine")?)
        .rule(
            FirewallRule::outbound(Protocol::Icmp, None, ["192.0.2.1/32"])
                .describe("deny all egress (only a documentation address)"),
        ))
}

/// What [`Client::quarantine`] did.
#[derive(Debug, Clone)]
pub struct QuarantineOutcome {
    /// The deny-all firewall's id.
    pub firewall_id: u64,
    /// Firewalls removed from the server.
    pub removed_firewalls: Vec<u64>,
    /// Firewalls still applied through a label selector (change the server's labels or the
    /// selector to detach them).
    pub selector_firewalls: Vec<u64>,
    /// Actions to wait for.
    pub actions: Vec<Action>,
}

impl Client {
    /// Applies the deny-all firewall to `server_id` (creating it if needed) and removes every
    /// other directly applied firewall. Waits for nothing: pass `actions` to
    /// [`crate::resources::actions::Actions::wait_for`].
    ///
    /// # Errors
    /// The API's error.
    pub async fn quarantine(&self, server_id: u64) -> Result<QuarantineOutcome> {
        let server = self.servers().get(server_id).await?;
        let firewall = match self.firewalls().get_by_name(QUARANTINE_FIREWALL).await? {
            Some(existing) => existing,
            None => {
                self.firewalls()
                    .create(&deny_all_firewall()?)
                    .await?
                    .firewall
            }
        };
        let mut actions = Vec::new();
        let already = server
            .public_net
            .firewalls
            .iter()
            .any(|f| f.id == firewall.id);
        if !already {
            actions.extend(
                self.firewalls()
                    .apply_to_resources(firewall.id, &[ApplyTo::server(server_id)])
                    .await?,
            );
        }
        let mut removed = Vec::new();
        let mut selector = Vec::new();
        for applied in server
            .public_net
            .firewalls
            .iter()
            .filter(|f| f.id != firewall.id)
        {
            let other = self.firewalls().get(applied.id).await?;
            let direct = other
                .applied_to
                .iter()
                .any(|a| a.server.is_some_and(|s| s.id == server_id));
            if direct {
                actions.extend(
                    self.firewalls()
                        .remove_from_resources(applied.id, &[ApplyTo::server(server_id)])
                        .await?,
                );
                removed.push(applied.id);
            } else {
                selector.push(applied.id);
            }
        }
        Ok(QuarantineOutcome {
            firewall_id: firewall.id,
            removed_firewalls: removed,
            selector_firewalls: selector,
            actions,
        })
    }
}
