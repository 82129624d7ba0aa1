//! The simulator's world: resources, actions, the clock, and helpers shared by the routes.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio::time::Instant;

use super::primary_ip::PrimaryIp;
use super::stored_server::StoredServer;
use crate::labels::{LabelSelector, Labels};
use crate::models::IdRef;
use crate::models::action::{Action, ActionError, ActionResource, ActionStatus};
use crate::models::firewall::{AppliedToResource, ApplyToType, Firewall};
use crate::models::image::{Image, ImageProtection, ImageStatus, ImageType};
use crate::models::location::Location;
use crate::models::server::{Server, ServerFirewall, ServerStatus};
use crate::models::server_type::{Architecture, CpuType, ServerType};
use crate::models::ssh_key::SshKey;

pub(crate) use super::reply::Reply;

/// The message of the 404 for paths the API does not have.
pub const NO_ROUTE: &str = "no such route in the Hetzner Cloud API";

/// How many finished actions a simulator keeps unless told otherwise
/// ([`Simulator::set_action_retention`](super::Simulator::set_action_retention)).
pub const DEFAULT_ACTION_RETENTION: usize = 10_000;

/// No entries (what an unused kind's store reads as).
static EMPTY: BTreeMap<u64, Value> = BTreeMap::new();

/// A server plus what only the simulator knows about it.
#[derive(Debug, Clone)]
pub(crate) struct SimServer {
    pub(crate) server: StoredServer,
    pub(crate) user_data: Option<String>,
    pub(crate) direct_firewalls: Vec<u64>,
    /// Firewall id -> the action that applies it; the server reports the firewall as
    /// `pending` until that action has finished.
    pub(crate) firewall_actions: BTreeMap<u64, u64>,
    /// Fields answered as stored, over the model's (`iso`).
    pub(crate) extra: serde_json::Map<String, Value>,
}

/// What happens when an action completes.
#[derive(Debug, Clone)]
pub(crate) enum Effect {
    ServerStatus(u64, ServerStatus),
    ImageAvailable(u64),
}

/// An action and when it runs. Its stored `progress` is only set when it ends: a running
/// action's progress is computed from the clock when read ([`SimAction::at`]).
#[derive(Debug, Clone)]
pub(crate) struct SimAction {
    pub(crate) action: Action,
    pub(crate) started_at: Instant,
    pub(crate) done_at: Instant,
    pub(crate) effect: Option<Effect>,
    pub(crate) fails: Option<(String, String)>,
}

impl SimAction {
    /// The action as the API reports it at `now` (progress of a running one from the clock).
    pub(crate) fn at(&self, now: Instant) -> Action {
        let mut action = self.action.clone();
        if action.status == ActionStatus::Running {
            let total = self.done_at.saturating_duration_since(self.started_at);
            let done = now.saturating_duration_since(self.started_at);
            let percent = done.as_millis() * 100 / total.as_millis().max(1);
            action.progress = i32::try_from(percent.min(99)).unwrap_or(99);
        }
        action
    }
}

/// Everything the simulated project holds.
#[derive(Debug)]
pub(crate) struct State {
    base_instant: Instant,
    base_wall: DateTime<Utc>,
    next_id: u64,
    pub(crate) action_duration: Duration,
    pub(crate) servers: BTreeMap<u64, SimServer>,
    /// Server ids by name, so the uniqueness check of a create or rename does not walk every
    /// server (kept by [`State::add_server`], [`State::rename_server`], [`State::remove_server`]).
    server_names: HashMap<String, u64>,
    pub(crate) firewalls: BTreeMap<u64, Firewall>,
    pub(crate) ssh_keys: BTreeMap<u64, SshKey>,
    pub(crate) images: BTreeMap<u64, Image>,
    pub(crate) primary_ips: BTreeMap<u64, PrimaryIp>,
    /// Kinds stored as the API's JSON (primary IPs, volumes, ...), by path segment.
    pub(crate) objects: BTreeMap<&'static str, BTreeMap<u64, Value>>,
    pub(crate) actions: BTreeMap<u64, SimAction>,
    /// Running actions by the time they end, so a tick visits only those that end now.
    running: BTreeSet<(Instant, u64)>,
    /// Finished actions, oldest first: beyond `action_retention` the oldest are forgotten
    /// (their `GET /actions/{id}` answers 404, as the API does for old actions).
    finished: VecDeque<u64>,
    pub(crate) action_retention: usize,
    /// Action ids by the resource they touch (`(type, id)`), for `/{kind}/{id}/actions`.
    actions_by_resource: BTreeMap<(String, u64), BTreeSet<u64>>,
    pub(crate) server_types: Vec<ServerType>,
    /// Each server type as the API answers it (prices and locations included), by id:
    /// built once, as every server in every answer embeds its type.
    pub(crate) server_type_wire: BTreeMap<u64, Value>,
    pub(crate) locations: Vec<Location>,
    pub(crate) fail_next_action: Option<(String, String, String)>,
}

impl State {
    pub(crate) fn new(action_duration: Duration) -> Self {
        let mut state = Self {
            base_instant: Instant::now(),
            base_wall: Utc::now(),
            next_id: 1000,
            action_duration,
            servers: BTreeMap::new(),
            server_names: HashMap::new(),
            firewalls: BTreeMap::new(),
            ssh_keys: BTreeMap::new(),
            images: BTreeMap::new(),
            primary_ips: BTreeMap::new(),
            objects: BTreeMap::new(),
            actions: BTreeMap::new(),
            running: BTreeSet::new(),
            finished: VecDeque::new(),
            action_retention: DEFAULT_ACTION_RETENTION,
            actions_by_resource: BTreeMap::new(),
            server_types: Vec::new(),
            server_type_wire: BTreeMap::new(),
            locations: Vec::new(),
            fail_next_action: None,
        };
        state.seed_catalog();
        state.server_type_wire = state
            .server_types
            .iter()
            .map(|t| {
                let mut value = serde_json::to_value(t).unwrap_or(Value::Null);
                super::wire::complete_server_type(&state, &mut value);
                (t.id, value)
            })
            .collect();
        state
    }

    fn seed_catalog(&mut self) {
        for (id, name, city, country, zone) in [
            (1, "fsn1", "Falkenstein", "DE", "eu-central"),
            (2, "nbg1", "Nuremberg", "DE", "eu-central"),
            (3, "hel1", "Helsinki", "FI", "eu-central"),
            (4, "ash", "Ashburn, VA", "US", "us-east"),
            (5, "hil", "Hillsboro, OR", "US", "us-west"),
            (6, "sin", "Singapore", "SG", "ap-southeast"),
        ] {
            self.locations.push(Location {
                id,
                name: name.into(),
                description: format!("{city} DC Park"),
                country: country.into(),
                city: city.into(),
                latitude: 0.0,
                longitude: 0.0,
                network_zone: zone.into(),
            });
        }
        for (id, name, cores, memory, disk, cpu, arch) in [
            (1, "cx22", 2, 4.0, 40, CpuType::Shared, Architecture::X86),
            (2, "cx32", 4, 8.0, 80, CpuType::Shared, Architecture::X86),
            (3, "cax11", 2, 4.0, 40, CpuType::Shared, Architecture::Arm),
            (
                4,
                "ccx13",
                2,
                8.0,
                80,
                CpuType::Dedicated,
                Architecture::X86,
            ),
        ] {
            self.server_types.push(ServerType {
                id,
                name: name.into(),
                description: name.to_uppercase(),
                cores,
                memory,
                disk,
                cpu_type: Some(cpu),
                architecture: Some(arch),
                storage_type: Some("local".into()),
                deprecated: Some(false),
            });
        }
        let created = self.now_wall();
        for (id, name, version) in [
            (1, "ubuntu-24.04", "24.04"),
            (2, "ubuntu-22.04", "22.04"),
            (3, "debian-12", "12"),
        ] {
            self.images.insert(
                id,
                Image {
                    id,
                    kind: ImageType::System,
                    status: ImageStatus::Available,
                    name: Some(name.into()),
                    description: name.into(),
                    image_size: None,
                    disk_size: 5.0,
                    created,
                    created_from: None,
                    bound_to: None,
                    os_flavor: Some(name.split('-').next().unwrap_or("unknown").into()),
                    os_version: Some(version.into()),
                    protection: ImageProtection::default(),
                    deprecated: None,
                    deleted: None,
                    labels: Labels::new(),
                    architecture: Some(Architecture::X86),
                },
            );
        }
    }

    /// The entries of a kind stored as JSON.
    pub(crate) fn store(&self, plural: &str) -> &BTreeMap<u64, Value> {
        self.objects.get(plural).unwrap_or(&EMPTY)
    }

    /// The entries of a kind stored as JSON, for changing.
    pub(crate) fn store_mut(&mut self, plural: &'static str) -> &mut BTreeMap<u64, Value> {
        self.objects.entry(plural).or_default()
    }

    pub(crate) fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Wall-clock time of the simulated world (follows tokio's clock, paused or not).
    pub(crate) fn now_wall(&self) -> DateTime<Utc> {
        let elapsed = Instant::now().saturating_duration_since(self.base_instant);
        self.base_wall + chrono::Duration::from_std(elapsed).unwrap_or_default()
    }

    /// Stores a new server (its name must be free: see [`State::server_named`]).
    pub(crate) fn add_server(&mut self, sim: SimServer) {
        self.server_names
            .insert(sim.server.name.clone(), sim.server.id);
        self.servers.insert(sim.server.id, sim);
    }

    /// Forgets server `id`; returns it.
    pub(crate) fn remove_server(&mut self, id: u64) -> Option<SimServer> {
        let sim = self.servers.remove(&id)?;
        self.server_names.remove(&sim.server.name);
        Some(sim)
    }

    /// Renames server `id` (the new name must be free).
    pub(crate) fn rename_server(&mut self, id: u64, name: &str) {
        let Some(sim) = self.servers.get_mut(&id) else {
            return;
        };
        self.server_names.remove(&sim.server.name);
        name.clone_into(&mut sim.server.name);
        self.server_names.insert(name.to_owned(), id);
    }

    /// The id of the server called `name`.
    pub(crate) fn server_named(&self, name: &str) -> Option<u64> {
        self.server_names.get(name).copied()
    }

    /// Starts an action on `resources`; it succeeds after the action duration.
    pub(crate) fn start_action(
        &mut self,
        command: &str,
        resources: &[(u64, &str)],
        effect: Option<Effect>,
    ) -> Action {
        let id = self.id();
        let action = Action {
            id,
            command: command.into(),
            status: ActionStatus::Running,
            progress: 0,
            started: self.now_wall(),
            finished: None,
            resources: resources
                .iter()
                .map(|(id, kind)| ActionResource {
                    id: *id,
                    kind: (*kind).into(),
                })
                .collect(),
            error: None,
        };
        let fails = match self.fail_next_action.take() {
            Some((cmd, code, message)) if cmd == command => Some((code, message)),
            other => {
                self.fail_next_action = other;
                None
            }
        };
        let started_at = Instant::now();
        let done_at = started_at + self.action_duration;
        for resource in &action.resources {
            self.actions_by_resource
                .entry((resource.kind.clone(), resource.id))
                .or_default()
                .insert(id);
        }
        self.running.insert((done_at, id));
        self.actions.insert(
            id,
            SimAction {
                action: action.clone(),
                started_at,
                done_at,
                effect,
                fails,
            },
        );
        action
    }

    /// Reports action `id` as touching `resources` instead of those it started with.
    pub(crate) fn retarget_action(&mut self, id: u64, resources: Vec<ActionResource>) {
        let Some(sim) = self.actions.get_mut(&id) else {
            return;
        };
        for old in &sim.action.resources {
            if let Some(ids) = self
                .actions_by_resource
                .get_mut(&(old.kind.clone(), old.id))
            {
                ids.remove(&id);
            }
        }
        for new in &resources {
            self.actions_by_resource
                .entry((new.kind.clone(), new.id))
                .or_default()
                .insert(id);
        }
        sim.action.resources = resources;
    }

    /// The ids of the actions that touch resource `id` of `kind`, oldest first.
    pub(crate) fn actions_of(&self, kind: &str, id: u64) -> impl Iterator<Item = u64> + '_ {
        self.actions_by_resource
            .get(&(kind.to_owned(), id))
            .into_iter()
            .flatten()
            .copied()
    }

    /// True while action `id` runs.
    pub(crate) fn is_running(&self, id: u64) -> bool {
        self.actions
            .get(&id)
            .is_some_and(|a| a.action.status == ActionStatus::Running)
    }

    /// Ends the actions whose time has come and applies their effects. Visits only those
    /// (the running ones are ordered by end time), so its cost does not grow with the number
    /// of actions or servers; progress and firewall states are computed when read.
    pub(crate) fn tick(&mut self) {
        let now = Instant::now();
        let wall = self.now_wall();
        while let Some(&(done_at, id)) = self.running.first() {
            if done_at > now {
                break;
            }
            self.running.pop_first();
            let Some(sim) = self.actions.get_mut(&id) else {
                continue;
            };
            self.finished.push_back(id);
            sim.action.finished = Some(wall);
            sim.action.progress = 100;
            let effect = if let Some((code, message)) = sim.fails.take() {
                sim.action.status = ActionStatus::Error;
                sim.action.error = Some(ActionError { code, message });
                None
            } else {
                sim.action.status = ActionStatus::Success;
                sim.effect.take()
            };
            match effect {
                Some(Effect::ServerStatus(id, status)) => {
                    if let Some(s) = self.servers.get_mut(&id) {
                        s.server.status = status;
                    }
                }
                Some(Effect::ImageAvailable(id)) => {
                    if let Some(image) = self.images.get_mut(&id) {
                        image.status = ImageStatus::Available;
                    }
                }
                None => {}
            }
        }
        self.forget_finished();
    }

    /// Forgets the oldest finished actions beyond the retention (each once, so the cost per
    /// request stays bounded by the actions that ended since the last one).
    pub(crate) fn forget_finished(&mut self) {
        while self.finished.len() > self.action_retention {
            let Some(id) = self.finished.pop_front() else {
                break;
            };
            let Some(sim) = self.actions.remove(&id) else {
                continue;
            };
            for resource in &sim.action.resources {
                let key = (resource.kind.clone(), resource.id);
                if let Some(ids) = self.actions_by_resource.get_mut(&key) {
                    ids.remove(&id);
                    if ids.is_empty() {
                        self.actions_by_resource.remove(&key);
                    }
                }
            }
        }
    }

    /// The firewalls that apply to server `sim` now, directly or by label selector, each
    /// `pending` while the action applying it runs. Costs one pass over the firewalls, however
    /// many servers there are.
    pub(crate) fn firewalls_of(&self, sim: &SimServer) -> Vec<ServerFirewall> {
        let mut ids = sim.direct_firewalls.clone();
        for fw in self.firewalls.values() {
            if ids.contains(&fw.id) {
                continue;
            }
            let selected = fw
                .applied_to
                .iter()
                .filter(|a| a.kind == ApplyToType::LabelSelector)
                .filter_map(|a| a.label_selector.as_ref())
                .filter_map(|s| LabelSelector::parse(&s.selector).ok())
                .any(|s| s.matches(&sim.server.labels));
            if selected {
                ids.push(fw.id);
            }
        }
        ids.into_iter()
            .map(|id| ServerFirewall {
                id,
                status: if sim
                    .firewall_actions
                    .get(&id)
                    .is_some_and(|action| self.is_running(*action))
                {
                    "pending"
                } else {
                    "applied"
                }
                .into(),
            })
            .collect()
    }

    /// A server as the API reports it now (catalog entries expanded, its firewalls filled in).
    pub(crate) fn server_now(&self, sim: &SimServer) -> Option<Server> {
        let mut server = sim.server.to_model(self)?;
        server.public_net.firewalls = self.firewalls_of(sim);
        Some(server)
    }

    /// A firewall as the API reports it now: each label selector lists the servers it
    /// matches (a pass over the servers for each selector of this firewall).
    pub(crate) fn firewall_now(&self, firewall: &Firewall) -> Firewall {
        let mut firewall = firewall.clone();
        for target in &mut firewall.applied_to {
            if target.kind != ApplyToType::LabelSelector {
                continue;
            }
            let Some(sel) = target
                .label_selector
                .as_ref()
                .and_then(|s| LabelSelector::parse(&s.selector).ok())
            else {
                continue;
            };
            target.applied_to_resources = self
                .servers
                .values()
                .filter(|s| sel.matches(&s.server.labels))
                .map(|s| AppliedToResource {
                    kind: ApplyToType::Server,
                    server: Some(IdRef { id: s.server.id }),
                })
                .collect();
        }
        firewall
    }
}

/// An available snapshot with no name, description or labels yet.
pub(crate) fn blank_snapshot(id: u64) -> Image {
    Image {
        id,
        kind: ImageType::Snapshot,
        status: ImageStatus::Available,
        name: None,
        description: String::new(),
        image_size: None,
        disk_size: 0.0,
        created: chrono::DateTime::<chrono::Utc>::MIN_UTC,
        created_from: None,
        bound_to: None,
        os_flavor: None,
        os_version: None,
        protection: ImageProtection::default(),
        deprecated: None,
        deleted: None,
        labels: Labels::new(),
        architecture: None,
    }
}

/// A fresh random root password as the API hands out (20 letters and digits).
pub(crate) fn root_password() -> String {
    use rand::Rng;
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(20)
        .map(char::from)
        .collect()
}

/// Query parameters of one request.
#[derive(Debug, Clone, Default)]
pub(crate) struct Query(pub(crate) Vec<(String, String)>);

impl Query {
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Checks a request's labels the way the API does.
pub(crate) fn check_labels(body: &Value) -> Result<Labels, Reply> {
    let Some(labels) = body.get("labels") else {
        return Ok(Labels::new());
    };
    let Some(map) = labels.as_object() else {
        return Err(Reply::invalid("labels", "must be an object"));
    };
    let mut out = std::collections::BTreeMap::new();
    for (k, v) in map {
        let Some(v) = v.as_str() else {
            return Err(Reply::invalid("labels", "values must be strings"));
        };
        if crate::labels::validate_key(k).is_err() || crate::labels::validate_value(v).is_err() {
            return Err(Reply::invalid("labels", "invalid label"));
        }
        out.insert(k.clone(), v.to_owned());
    }
    serde_json::from_value(json!(out)).map_err(|_| Reply::invalid("labels", "invalid labels"))
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
