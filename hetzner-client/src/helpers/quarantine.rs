//! Quarantine (incident response): cut a server off with a deny-all cloud firewall.
//!
//! Hetzner firewalls are allow-lists and several firewalls on one server add up, so applying
//! a deny-all firewall is not enough: every other firewall must leave the server too. Directly
//! applied ones are removed from it; ones applied through a label selector cannot be removed
//! per server (the API refuses), so the server's labels those selectors match are moved to
//! [`HELD_LABEL_PREFIX`]`<key>` until the quarantine is released ([`held_labels`]).
//!
//! Containment comes first: the deny-all firewall is applied by the first mutating request
//! (before anything else is changed, so the server is never without a firewall), then the
//! relabelling, then the removals. Everything before is a read.
//! A firewall with no inbound rules drops all inbound traffic; outbound traffic is only
//! filtered once there is at least one outbound rule, so the deny-all firewall carries one
//! outbound rule that allows ICMP to a documentation address (192.0.2.1, RFC 5737) and
//! nothing else.

use futures::TryStreamExt as _;

use crate::client::Client;
use crate::error::{Error, ErrorCode, Result};
use crate::labels::{LabelSelector, Labels};
use crate::models::action::Action;
use crate::models::firewall::{ApplyTo, ApplyToType, Firewall, FirewallRule, Protocol};
use crate::resources::ListParams;
use crate::resources::common::Update;
use crate::resources::firewalls::CreateFirewall;

/// Name of the shared deny-all firewall.
pub const QUARANTINE_FIREWALL: &str = "quarantine-deny-all";

/// Prefix under which a quarantined server keeps the labels that applied allow firewalls
/// through label selectors: `env=prod` becomes `held.quarantine/env=prod`.
pub const HELD_LABEL_PREFIX: &str = "held.quarantine/";

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

/// What [`Client::quarantine`] did, and what it could not do.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct QuarantineOutcome {
    /// The deny-all firewall's id.
    pub firewall_id: u64,
    /// Directly applied firewalls removed from the server.
    pub removed_firewalls: Vec<u64>,
    /// Firewalls applied through label selectors that no longer match the server, because the
    /// labels they matched were held ([`QuarantineOutcome::held_labels`]).
    pub detached_by_labels: Vec<u64>,
    /// Labels moved under [`HELD_LABEL_PREFIX`] (restore them with [`held_labels`]).
    pub held_labels: Vec<(String, String)>,
    /// Labels with a prefix of their own (`a.example/b`), removed without being held; they must
    /// be restored by hand.
    pub dropped_labels: Vec<(String, String)>,
    /// Firewalls still applied through label selectors that no relabelling could detach
    /// (change the selector by hand). Empty when containment is complete.
    pub still_applied: Vec<u64>,
    /// Actions to wait for.
    pub actions: Vec<Action>,
}

impl QuarantineOutcome {
    /// True when only the deny-all firewall is left on the server.
    pub fn is_contained(&self) -> bool {
        self.still_applied.is_empty()
    }
}

/// The labels a quarantine held, as `(key, value)` to put back: every `held.quarantine/KEY`
/// label of `labels` becomes `KEY`.
///
/// ```
/// use hetzner_client::Labels;
/// use hetzner_client::helpers::quarantine::held_labels;
/// let labels = Labels::new().with("held.quarantine/env", "prod")?.with("instance", "a")?;
/// assert_eq!(held_labels(&labels), vec![("env".to_owned(), "prod".to_owned())]);
/// # Ok::<(), hetzner_client::Error>(())
/// ```
pub fn held_labels(labels: &Labels) -> Vec<(String, String)> {
    labels
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix(HELD_LABEL_PREFIX)
                .map(|key| (key.to_owned(), v.to_owned()))
        })
        .collect()
}

/// The selectors through which `firewall` applies, parsed (unparsable ones are skipped: the
/// API would not have accepted them).
fn selectors_of(firewall: &Firewall) -> Vec<LabelSelector> {
    firewall
        .applied_to
        .iter()
        .filter(|a| a.kind == ApplyToType::LabelSelector)
        .filter_map(|a| a.label_selector.as_ref())
        .filter_map(|s| LabelSelector::parse(&s.selector).ok())
        .collect()
}

/// Allow firewalls (ids) whose selectors match `labels`.
fn matching(allow: &[(u64, Vec<LabelSelector>)], labels: &Labels) -> Vec<u64> {
    allow
        .iter()
        .filter(|(_, sels)| sels.iter().any(|s| s.matches(labels)))
        .map(|(id, _)| *id)
        .collect()
}

/// Label pairs, `(key, value)`.
type Pairs = Vec<(String, String)>;

/// The server's labels with the ones that make allow selectors match moved away: greedily, the
/// label whose removal leaves the fewest allow firewalls matching, until none matches or no
/// removal helps. Returns the new labels, the held and dropped pairs.
fn relabel(labels: &Labels, allow: &[(u64, Vec<LabelSelector>)]) -> Result<(Labels, Pairs, Pairs)> {
    let mut current = labels.clone();
    let mut held = Vec::new();
    let mut dropped = Vec::new();
    loop {
        let now = matching(allow, &current).len();
        if now == 0 {
            break;
        }
        let mut best: Option<(usize, String, Labels)> = None;
        for (key, value) in current.iter() {
            if key.starts_with(HELD_LABEL_PREFIX) {
                continue;
            }
            let mut candidate = current.clone();
            candidate.remove(key);
            if !key.contains('/') {
                candidate.insert(format!("{HELD_LABEL_PREFIX}{key}"), value)?;
            }
            let left = matching(allow, &candidate).len();
            if left < now && best.as_ref().is_none_or(|(b, _, _)| left < *b) {
                best = Some((left, key.to_owned(), candidate));
            }
        }
        let Some((_, key, next)) = best else { break };
        let value = current.get(&key).unwrap_or_default().to_owned();
        if key.contains('/') {
            dropped.push((key, value));
        } else {
            held.push((key, value));
        }
        current = next;
    }
    Ok((current, held, dropped))
}

impl Client {
    /// Applies (`attach`) or removes firewall `firewall` on `server_id` directly, returning
    /// the actions to wait for. An attempt whose outcome is unknown (lost connection, timeout,
    /// 5xx) is checked against the firewall's targets before it is repeated, and an answer
    /// saying it is already done counts as done: the POST is never blindly replayed.
    ///
    /// # Errors
    /// The API's error once the attempts are spent.
    pub async fn attach_checked(
        &self,
        firewall: u64,
        server_id: u64,
        attach: bool,
    ) -> Result<Vec<Action>> {
        let target = [ApplyTo::server(server_id)];
        let mut attempts = 0;
        loop {
            let sent = if attach {
                self.firewalls().apply_to_resources(firewall, &target).await
            } else {
                self.firewalls()
                    .remove_from_resources(firewall, &target)
                    .await
            };
            let err: Error = match sent {
                Ok(actions) => return Ok(actions),
                Err(err) => err,
            };
            let done_code = if attach {
                "firewall_already_applied"
            } else {
                "firewall_already_removed"
            };
            if err.code().map(ErrorCode::as_str) == Some(done_code) {
                return Ok(Vec::new());
            }
            attempts += 1;
            if attempts >= 4 || !(err.may_have_been_applied() || err.is_retryable()) {
                return Err(err);
            }
            if err.may_have_been_applied() {
                let now = self.firewalls().get(firewall).await?;
                let direct = now
                    .applied_to
                    .iter()
                    .any(|a| a.server.is_some_and(|s| s.id == server_id));
                if direct == attach {
                    return Ok(Vec::new());
                }
            }
        }
    }

    /// Contains `server_id`: the deny-all firewall is applied first (created with the server
    /// as its target if it does not exist yet), then the labels through which label-selector
    /// firewalls apply are held ([`HELD_LABEL_PREFIX`]), then every other directly applied
    /// firewall is removed. Waits for nothing: pass `actions` to
    /// [`crate::resources::actions::Actions::wait_for`].
    ///
    /// Idempotent: on a contained server it changes nothing.
    ///
    /// # Errors
    /// The API's error.
    pub async fn quarantine(&self, server_id: u64) -> Result<QuarantineOutcome> {
        let server = self.servers().get(server_id).await?;
        let firewalls: Vec<Firewall> = self
            .firewalls()
            .stream(&ListParams::default())?
            .try_collect()
            .await?;
        let mut actions = Vec::new();
        let on_server = |fw: &Firewall| server.public_net.firewalls.iter().any(|f| f.id == fw.id);
        let firewall = match firewalls.iter().find(|f| f.name == QUARANTINE_FIREWALL) {
            Some(existing) => {
                if !on_server(existing) {
                    actions.extend(self.attach_checked(existing.id, server_id, true).await?);
                }
                existing.clone()
            }
            None => {
                let request = deny_all_firewall()?.apply_to(ApplyTo::server(server_id));
                match self.firewalls().create(&request).await {
                    Ok(created) => {
                        actions.extend(created.actions);
                        let direct = created
                            .firewall
                            .applied_to
                            .iter()
                            .any(|a| a.server.is_some_and(|s| s.id == server_id));
                        if created.reconciled && !direct {
                            actions.extend(
                                self.attach_checked(created.firewall.id, server_id, true)
                                    .await?,
                            );
                        }
                        created.firewall
                    }
                    // another quarantine created it meanwhile: adopt it by name
                    Err(err) if err.is_uniqueness_error_on("name") => {
                        let existing = self
                            .firewalls()
                            .get_by_name(QUARANTINE_FIREWALL)
                            .await?
                            .ok_or(err)?;
                        actions.extend(self.attach_checked(existing.id, server_id, true).await?);
                        existing
                    }
                    Err(err) => return Err(err),
                }
            }
        };
        let allow: Vec<(u64, Vec<LabelSelector>)> = firewalls
            .iter()
            .filter(|f| f.id != firewall.id)
            .map(|f| (f.id, selectors_of(f)))
            .filter(|(_, sels)| !sels.is_empty())
            .collect();
        let before = matching(&allow, &server.labels);
        let (labels, held, dropped) = relabel(&server.labels, &allow)?;
        if labels != server.labels {
            let spec = Update::default()
                .labels(labels.clone())
                .request(&format!("/servers/{server_id}"))?;
            self.execute(&spec).await?;
        }
        let still = matching(&allow, &labels);
        let mut removed = Vec::new();
        for other in firewalls.iter().filter(|f| f.id != firewall.id) {
            let direct = other
                .applied_to
                .iter()
                .any(|a| a.server.is_some_and(|s| s.id == server_id));
            if direct {
                actions.extend(self.attach_checked(other.id, server_id, false).await?);
                removed.push(other.id);
            }
        }
        Ok(QuarantineOutcome {
            firewall_id: firewall.id,
            removed_firewalls: removed,
            detached_by_labels: before
                .into_iter()
                .filter(|id| !still.contains(id))
                .collect(),
            held_labels: held,
            dropped_labels: dropped,
            still_applied: still,
            actions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(text: &str) -> LabelSelector {
        LabelSelector::parse(text).unwrap()
    }

    #[test]
    fn relabelling_holds_only_what_selectors_match() {
        let labels = Labels::new()
            .with("env", "prod")
            .unwrap()
            .with("instance", "a")
            .unwrap()
            .with("tier", "web")
            .unwrap();
        let allow = vec![
            (1, vec![sel("env=prod")]),
            (2, vec![sel("tier in (web,api)")]),
        ];
        let (new, held, dropped) = relabel(&labels, &allow).unwrap();
        assert!(matching(&allow, &new).is_empty());
        assert_eq!(new.get("instance"), Some("a"));
        assert_eq!(new.get("held.quarantine/env"), Some("prod"));
        assert_eq!(held.len(), 2);
        assert!(dropped.is_empty());
        let back = held_labels(&new);
        assert_eq!(back.len(), 2);
    }

    #[test]
    fn a_selector_on_absence_cannot_be_detached_and_is_reported() {
        let labels = Labels::new().with("instance", "a").unwrap();
        let allow = vec![(7, vec![sel("!legacy")])];
        let (new, held, _) = relabel(&labels, &allow).unwrap();
        assert_eq!(new, labels);
        assert!(held.is_empty());
        assert_eq!(matching(&allow, &new), vec![7]);
    }
}
