//! Action waits batched across flows: one `GET /actions?id=…` serves up to 25 waits.
//!
//! Every flow that creates something on Hetzner waits for the actions the API returned.
//! Polled one flow at a time, 200 concurrent flows spend 200 requests per round on polls. An
//! [`ActionWaiter`] collects the action ids of every flow that shares it (the one in
//! [`Backends`](crate::Backends) is shared by every flow over those backends), and a single
//! task polls them, up to [`MAX_IDS_PER_POLL`] ids per request, through the same client and
//! therefore the same rate budget. A finished action wakes its own waiter; an action that ends
//! in `error` fails only the wait that registered it.
//!
//! The task runs only while somebody waits. It polls an id first [`BatchPolicy::first_poll`]
//! after it was registered (and again [`BatchPolicy::repoll`] after each poll that saw it
//! still running), and sends a request as soon as a full batch is due, or when the longest
//! due id has been held [`BatchPolicy::max_hold`] for company.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> fleet_flows::Result<()> {
//! use hetzner_client::resources::servers::CreateServer;
//!
//! let backends = fleet_flows::Backends::simulated("example.com")?;
//! # backends.hetzner_sim.as_ref().unwrap().set_action_duration(std::time::Duration::from_millis(10));
//! let out = backends
//!     .hetzner
//!     .servers()
//!     .create(&CreateServer::new("srv-1", "cx22", "ubuntu-24.04"))
//!     .await?;
//! let done = backends.actions.wait(&out.actions()).await?;
//! assert!(done.iter().all(|a| a.finished.is_some()));
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use hetzner_client::models::action::{Action, ActionStatus};
pub use hetzner_client::resources::actions::MAX_IDS_PER_POLL;
use tokio::sync::{Notify, oneshot};
use tokio::time::Instant;

use crate::error::{Error, Result};

/// When the shared poller asks about an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchPolicy {
    /// Time between registering an id and its first poll.
    pub first_poll: Duration,
    /// Time between a poll that saw the action running and the next one.
    pub repoll: Duration,
    /// How long a due id waits for others to fill a batch before it is polled anyway.
    pub max_hold: Duration,
    /// A wait gives up after this long ([`hetzner_client::Error::WaitTimeout`]).
    pub timeout: Duration,
}

impl Default for BatchPolicy {
    /// First poll after 1 s, then every 2 s, held at most 2 s for company, 30 minutes in all.
    fn default() -> Self {
        Self {
            first_poll: Duration::from_secs(1),
            repoll: Duration::from_secs(2),
            max_hold: Duration::from_secs(2),
            timeout: Duration::from_secs(30 * 60),
        }
    }
}

type Reply = oneshot::Sender<Result<Action>>;

#[derive(Debug)]
struct Pending {
    due: Instant,
    waiters: Vec<Reply>,
}

#[derive(Debug, Default)]
struct Board {
    pending: HashMap<u64, Pending>,
    polling: bool,
}

#[derive(Debug)]
struct Shared {
    client: hetzner_client::Client,
    policy: BatchPolicy,
    board: Mutex<Board>,
    changed: Notify,
}

impl Shared {
    fn board(&self) -> MutexGuard<'_, Board> {
        self.board.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Waits for Hetzner actions on behalf of many flows with one polling task; clones share it.
/// See the [module documentation](self).
#[derive(Debug, Clone)]
pub struct ActionWaiter {
    shared: Arc<Shared>,
}

impl ActionWaiter {
    /// A waiter polling through `client` with the default [`BatchPolicy`].
    pub fn new(client: hetzner_client::Client) -> Self {
        Self::with_policy(client, BatchPolicy::default())
    }

    /// A waiter polling through `client` with `policy`.
    pub fn with_policy(client: hetzner_client::Client, policy: BatchPolicy) -> Self {
        Self {
            shared: Arc::new(Shared {
                client,
                policy,
                board: Mutex::new(Board::default()),
                changed: Notify::new(),
            }),
        }
    }

    /// The policy it polls with.
    pub fn policy(&self) -> BatchPolicy {
        self.shared.policy
    }

    /// Waits until every action has finished; returns them in the order given. Needs a tokio
    /// runtime (the poller is a spawned task).
    ///
    /// # Errors
    /// [`hetzner_client::Error::ActionFailed`] for an action of this call that ended in
    /// `error`, [`hetzner_client::Error::WaitTimeout`] at the policy's deadline, or
    /// [`Error::State`] when the poll carrying one of these ids failed.
    pub async fn wait(&self, actions: &[Action]) -> Result<Vec<Action>> {
        let mut replies = Vec::new();
        for action in actions {
            match action.status {
                ActionStatus::Running => {}
                _ => {
                    finished(action)?;
                    continue;
                }
            }
            let (tx, rx) = oneshot::channel();
            self.register(action.id, tx);
            replies.push((action.id, rx));
        }
        let deadline = Instant::now() + self.shared.policy.timeout;
        let mut done: HashMap<u64, Action> = HashMap::new();
        for (id, rx) in replies {
            match tokio::time::timeout_at(deadline, rx).await {
                Ok(Ok(reply)) => {
                    done.insert(id, reply?);
                }
                Ok(Err(_)) => {
                    return Err(Error::State(format!(
                        "the action poller stopped before action {id} finished"
                    )));
                }
                Err(_) => {
                    let pending = actions
                        .iter()
                        .map(|a| a.id)
                        .filter(|id| !done.contains_key(id))
                        .collect();
                    return Err(hetzner_client::Error::WaitTimeout { pending }.into());
                }
            }
        }
        Ok(actions
            .iter()
            .map(|a| done.remove(&a.id).unwrap_or_else(|| a.clone()))
            .collect())
    }

    fn register(&self, id: u64, reply: Reply) {
        let due = Instant::now() + self.shared.policy.first_poll;
        let start = {
            let mut board = self.shared.board();
            board
                .pending
                .entry(id)
                .or_insert_with(|| Pending {
                    due,
                    waiters: Vec::new(),
                })
                .waiters
                .push(reply);
            !std::mem::replace(&mut board.polling, true)
        };
        if start {
            tokio::spawn(poll_loop(Arc::clone(&self.shared)));
        } else {
            self.shared.changed.notify_one();
        }
    }
}

/// `Ok(action)` for a success, the typed failure for an error.
fn finished(action: &Action) -> Result<Action> {
    if action.status != ActionStatus::Error {
        return Ok(action.clone());
    }
    let (code, message) = action
        .error
        .as_ref()
        .map(|e| (e.code.clone(), e.message.clone()))
        .unwrap_or_else(|| ("unknown".into(), "no error details".into()));
    Err(hetzner_client::Error::ActionFailed {
        id: action.id,
        command: action.command.clone(),
        code,
        message,
    }
    .into())
}

/// What the poller does next: poll these ids now, or sleep until then.
enum Next {
    Poll(Vec<u64>),
    Sleep(Instant),
    Stop,
}

fn next(board: &mut Board, policy: &BatchPolicy, now: Instant) -> Next {
    // nobody listens for these any more (their flows were dropped)
    board
        .pending
        .retain(|_, p| p.waiters.iter().any(|w| !w.is_closed()));
    if board.pending.is_empty() {
        board.polling = false;
        return Next::Stop;
    }
    let mut by_due: Vec<(Instant, u64)> =
        board.pending.iter().map(|(id, p)| (p.due, *id)).collect();
    by_due.sort_unstable();
    let due = by_due.iter().take_while(|(at, _)| *at <= now).count();
    let oldest = by_due[0].0;
    if due >= MAX_IDS_PER_POLL || (due > 0 && oldest + policy.max_hold <= now) {
        return Next::Poll(
            by_due
                .iter()
                .take(due.min(MAX_IDS_PER_POLL))
                .map(|(_, id)| *id)
                .collect(),
        );
    }
    // wake when the batch fills or the oldest has been held long enough
    let fills = by_due
        .get(MAX_IDS_PER_POLL - 1)
        .map_or(oldest + policy.max_hold, |(at, _)| *at);
    Next::Sleep(fills.min(oldest + policy.max_hold))
}

async fn poll_loop(shared: Arc<Shared>) {
    loop {
        let step = next(&mut shared.board(), &shared.policy, Instant::now());
        let ids = match step {
            Next::Stop => return,
            Next::Sleep(until) => {
                tokio::select! {
                    () = tokio::time::sleep_until(until) => {}
                    () = shared.changed.notified() => {}
                }
                continue;
            }
            Next::Poll(ids) => ids,
        };
        let answer = shared.client.actions().list_by_ids(&ids).await;
        let now = Instant::now();
        let mut board = shared.board();
        for id in ids {
            let outcome = match &answer {
                Err(err) => Some(Err(Error::State(format!(
                    "polling action {id} failed: {}",
                    crate::error::chain(err)
                )))),
                Ok(actions) => match actions.iter().find(|a| a.id == id) {
                    None => Some(Err(Error::State(format!(
                        "action {id} is unknown to the API"
                    )))),
                    Some(a) if a.status == ActionStatus::Running => None,
                    Some(a) => Some(finished(a)),
                },
            };
            match outcome {
                None => {
                    if let Some(p) = board.pending.get_mut(&id) {
                        p.due = now + shared.policy.repoll;
                    }
                }
                Some(result) => {
                    for reply in board
                        .pending
                        .remove(&id)
                        .map(|p| p.waiters)
                        .unwrap_or_default()
                    {
                        let each = match &result {
                            Ok(action) => Ok(action.clone()),
                            Err(Error::Hetzner(hetzner_client::Error::ActionFailed {
                                id,
                                command,
                                code,
                                message,
                            })) => Err(hetzner_client::Error::ActionFailed {
                                id: *id,
                                command: command.clone(),
                                code: code.clone(),
                                message: message.clone(),
                            }
                            .into()),
                            Err(other) => Err(Error::State(other.to_string())),
                        };
                        // a waiter that went away needs no answer
                        let _ = reply.send(each);
                    }
                }
            }
        }
    }
}
