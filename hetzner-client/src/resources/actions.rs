//! Actions: get, fetch in batches, and wait for completion.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::models::action::{Action, ActionStatus};
use crate::request::RequestSpec;

/// `GET /actions?id=..` takes at most this many ids per call.
pub const MAX_IDS_PER_POLL: usize = 25;

/// How [`Actions::wait_for`] polls: exponential backoff between polls, and a deadline.
///
/// ```
/// use std::time::Duration;
/// use hetzner_client::PollPolicy;
/// let p = PollPolicy::default().timeout(Duration::from_secs(300));
/// assert_eq!(p.delay(0), Duration::from_secs(1));
/// assert_eq!(p.delay(50), Duration::from_secs(10));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PollPolicy {
    initial: Duration,
    factor: f64,
    max: Duration,
    timeout: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(1),
            factor: 1.5,
            max: Duration::from_secs(10),
            timeout: Duration::from_secs(30 * 60),
        }
    }
}

impl PollPolicy {
    /// Delay before the first poll.
    #[must_use]
    pub fn initial(mut self, delay: Duration) -> Self {
        self.initial = delay;
        self
    }

    /// Growth factor between polls (at least 1).
    #[must_use]
    pub fn factor(mut self, factor: f64) -> Self {
        self.factor = factor.max(1.0);
        self
    }

    /// Longest delay between polls.
    #[must_use]
    pub fn max(mut self, delay: Duration) -> Self {
        self.max = delay;
        self
    }

    /// Give up after this long.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Delay before poll number `poll` (0-based).
    pub fn delay(&self, poll: u32) -> Duration {
        let exponent = i32::try_from(poll.min(64)).unwrap_or(64);
        let secs = self.initial.as_secs_f64() * self.factor.powi(exponent);
        Duration::from_secs_f64(secs.min(self.max.as_secs_f64()))
    }
}

/// Builds `GET /actions?id=..` for up to [`MAX_IDS_PER_POLL`] ids.
///
/// # Errors
/// [`Error::Invalid`] naming `id` for an empty or too long list.
pub fn list_by_ids_request(ids: &[u64]) -> Result<RequestSpec> {
    if ids.is_empty() || ids.len() > MAX_IDS_PER_POLL {
        return Err(Error::invalid(
            "id",
            format!("needs 1 to {MAX_IDS_PER_POLL} ids"),
        ));
    }
    Ok(ids.iter().fold(RequestSpec::get("/actions"), |spec, id| {
        spec.with_query("id", id.to_string())
    }))
}

#[derive(Deserialize)]
struct ActionEnvelope {
    action: Action,
}

#[derive(Deserialize)]
struct ActionsEnvelope {
    actions: Vec<Action>,
}

/// Action operations; from [`Client::actions`].
#[derive(Debug, Clone, Copy)]
pub struct Actions<'a> {
    pub(crate) client: &'a Client,
}

impl Actions<'_> {
    /// Gets one action.
    ///
    /// # Errors
    /// `not_found` when it does not exist.
    pub async fn get(&self, id: u64) -> Result<Action> {
        let e: ActionEnvelope = self
            .client
            .send_json(&RequestSpec::get(format!("/actions/{id}")))
            .await?;
        Ok(e.action)
    }

    /// Gets up to 25 actions in one request.
    ///
    /// # Errors
    /// Validation errors (nothing sent) or the API's error.
    pub async fn list_by_ids(&self, ids: &[u64]) -> Result<Vec<Action>> {
        let e: ActionsEnvelope = self.client.send_json(&list_by_ids_request(ids)?).await?;
        Ok(e.actions)
    }

    /// Waits until every action has finished, polling the running ones in batches of 25 with
    /// the client's [`PollPolicy`]. Returns the finished actions in the order given.
    ///
    /// # Errors
    /// [`Error::ActionFailed`] for the first action that ends in `error`;
    /// [`Error::WaitTimeout`] at the deadline; API errors from polling.
    pub async fn wait_for(&self, actions: &[Action]) -> Result<Vec<Action>> {
        self.wait_with(actions, self.client.poll_policy()).await
    }

    /// [`Actions::wait_for`] with an explicit policy.
    ///
    /// # Errors
    /// As [`Actions::wait_for`].
    pub async fn wait_with(&self, actions: &[Action], policy: PollPolicy) -> Result<Vec<Action>> {
        let deadline = tokio::time::Instant::now() + policy.timeout;
        let mut latest: BTreeMap<u64, Action> = actions.iter().map(|a| (a.id, a.clone())).collect();
        for action in latest.values() {
            check_failed(action)?;
        }
        let mut poll = 0;
        loop {
            let pending: Vec<u64> = latest
                .values()
                .filter(|a| a.status == ActionStatus::Running)
                .map(|a| a.id)
                .collect();
            if pending.is_empty() {
                return Ok(actions
                    .iter()
                    .filter_map(|a| latest.get(&a.id).cloned())
                    .collect());
            }
            let delay = policy.delay(poll);
            if tokio::time::Instant::now() + delay > deadline {
                return Err(Error::WaitTimeout { pending });
            }
            tokio::time::sleep(delay).await;
            poll += 1;
            for chunk in pending.chunks(MAX_IDS_PER_POLL) {
                let fetched = self.list_by_ids(chunk).await?;
                for id in chunk {
                    let Some(action) = fetched.iter().find(|a| a.id == *id) else {
                        return Err(Error::invalid(
                            "actions",
                            format!("action {id} is unknown to the API"),
                        ));
                    };
                    check_failed(action)?;
                    latest.insert(*id, action.clone());
                }
            }
        }
    }
}

fn check_failed(action: &Action) -> Result<()> {
    if action.status == ActionStatus::Error {
        let (code, message) = action
            .error
            .as_ref()
            .map(|e| (e.code.clone(), e.message.clone()))
            .unwrap_or_else(|| ("unknown".into(), "no error details".into()));
        return Err(Error::ActionFailed {
            id: action.id,
            command: action.command.clone(),
            code,
            message,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_batched_as_repeated_parameters() {
        let spec = list_by_ids_request(&[1, 2]).unwrap();
        assert_eq!(spec.path_and_query(), "/actions?id=1&id=2");
        assert!(list_by_ids_request(&[]).is_err());
        assert!(list_by_ids_request(&[1; 26]).is_err());
    }

    #[test]
    fn poll_delays_grow_and_cap() {
        let p = PollPolicy::default();
        assert_eq!(p.delay(1), Duration::from_millis(1500));
        assert!(p.delay(3) > p.delay(2));
        assert_eq!(p.delay(1000), Duration::from_secs(10));
    }
}
