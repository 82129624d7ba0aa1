//! The simulator's world: resources, actions, the clock, and helpers shared by the routes.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::labels::{LabelSelector, Labels};
use crate::models::IdRef;
use crate::models::action::{Action, ActionError, ActionResource, ActionStatus};
use crate::models::firewall::{AppliedToResource, ApplyToType, Firewall};
use crate::models::image::{Image, ImageProtection, ImageStatus, ImageType};
use crate::models::location::Location;
use crate::models::server::{Server, ServerFirewall, ServerStatus};
use crate::models::server_type::{Architecture, CpuType, ServerType};
use crate::models::ssh_key::SshKey;

/// The message of the 404 for paths the API does not have.
pub const NO_ROUTE: &str = "no such route in the Hetzner Cloud API";

/// No entries (what an unused kind's store reads as).
static EMPTY: BTreeMap<u64, Value> = BTreeMap::new();

/// What a route answers.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Option<Value>,
}

impl Reply {
    pub(crate) fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body: Some(body),
        }
    }

    pub(crate) fn empty() -> Self {
        Self {
            status: 204,
            body: None,
        }
    }

    /// The API's error body.
    pub(crate) fn error(status: u16, code: &str, message: &str, details: Value) -> Self {
        Self::json(
            status,
            json!({ "error": { "code": code, "message": message, "details": details } }),
        )
    }

    pub(crate) fn not_found() -> Self {
        Self::error(404, "not_found", "resource not found", Value::Null)
    }

    /// 404 for a path the API does not have (as opposed to a missing resource).
    pub(crate) fn no_route() -> Self {
        Self::error(404, "not_found", NO_ROUTE, Value::Null)
    }

    /// 423 `protected`: the resource's protection forbids the action.
    pub(crate) fn protected() -> Self {
        Self::error(
            423,
            "protected",
            "the action is protected for this resource",
            Value::Null,
        )
    }

    /// `uniqueness_error` naming one field of a `what`.
    pub(crate) fn not_unique_named(what: &str, field: &str) -> Self {
        Self::error(
            409,
            "uniqueness_error",
            &format!("{what} with the same {field} already exists"),
            json!({ "fields": [ { "name": field } ] }),
        )
    }

    /// `invalid_input` naming one field, as the API does.
    pub(crate) fn invalid(field: &str, message: &str) -> Self {
        Self::error(
            422,
            "invalid_input",
            &format!("invalid input in field '{field}'"),
            json!({ "fields": [ { "name": field, "messages": [message] } ] }),
        )
    }

    /// `uniqueness_error` naming one field.
    pub(crate) fn not_unique(field: &str) -> Self {
        Self::error(
            409,
            "uniqueness_error",
            &format!("SSH key with the same {field} already exists"),
            json!({ "fields": [ { "name": field } ] }),
        )
    }
}

/// A server plus what only the simulator knows about it.
#[derive(Debug, Clone)]
pub(crate) struct SimServer {
    pub(crate) server: Server,
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

#[derive(Debug, Clone)]
pub(crate) struct SimAction {
    pub(crate) action: Action,
    pub(crate) done_at: Instant,
    pub(crate) effect: Option<Effect>,
    pub(crate) fails: Option<(String, String)>,
}

/// Everything the simulated project holds.
#[derive(Debug)]
pub(crate) struct State {
    base_instant: Instant,
    base_wall: DateTime<Utc>,
    next_id: u64,
    pub(crate) action_duration: Duration,
    pub(crate) servers: BTreeMap<u64, SimServer>,
    pub(crate) firewalls: BTreeMap<u64, Firewall>,
    pub(crate) ssh_keys: BTreeMap<u64, SshKey>,
    pub(crate) images: BTreeMap<u64, Image>,
    /// Kinds stored as the API's JSON (primary IPs, volumes, ...), by path segment.
    pub(crate) objects: BTreeMap<&'static str, BTreeMap<u64, Value>>,
    pub(crate) actions: BTreeMap<u64, SimAction>,
    pub(crate) server_types: Vec<ServerType>,
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
            firewalls: BTreeMap::new(),
            ssh_keys: BTreeMap::new(),
            images: BTreeMap::new(),
            objects: BTreeMap::new(),
            actions: BTreeMap::new(),
            server_types: Vec::new(),
            locations: Vec::new(),
            fail_next_action: None,
        };
        state.seed_catalog();
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
            (
                1,
                "cx22",
                2.0,
                4.0,
                40.0,
                CpuType::Shared,
                Architecture::X86,
            ),
            (
                2,
                "cx32",
                4.0,
                8.0,
                80.0,
                CpuType::Shared,
                Architecture::X86,
            ),
            (
                3,
                "cax11",
                2.0,
                4.0,
                40.0,
                CpuType::Shared,
                Architecture::Arm,
            ),
            (
                4,
                "ccx13",
                2.0,
                8.0,
                80.0,
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
        self.actions.insert(
            id,
            SimAction {
                action: action.clone(),
                done_at: Instant::now() + self.action_duration,
                effect,
                fails,
            },
        );
        action
    }

    /// Advances actions whose time has come and refreshes derived fields.
    pub(crate) fn tick(&mut self) {
        let now = Instant::now();
        let wall = self.now_wall();
        let mut effects = Vec::new();
        for sim in self.actions.values_mut() {
            if sim.action.status != ActionStatus::Running {
                continue;
            }
            if now >= sim.done_at {
                sim.action.finished = Some(wall);
                sim.action.progress = 100;
                if let Some((code, message)) = sim.fails.take() {
                    sim.action.status = ActionStatus::Error;
                    sim.action.error = Some(ActionError { code, message });
                } else {
                    sim.action.status = ActionStatus::Success;
                    effects.extend(sim.effect.take());
                }
            } else {
                let total = self.action_duration.as_secs_f64().max(f64::EPSILON);
                let left = sim.done_at.saturating_duration_since(now).as_secs_f64();
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let progress = (((total - left) / total) * 100.0).clamp(0.0, 99.0) as i32;
                sim.action.progress = progress;
            }
        }
        for effect in effects {
            match effect {
                Effect::ServerStatus(id, status) => {
                    if let Some(s) = self.servers.get_mut(&id) {
                        s.server.status = status;
                    }
                }
                Effect::ImageAvailable(id) => {
                    if let Some(image) = self.images.get_mut(&id) {
                        image.status = ImageStatus::Available;
                    }
                }
            }
        }
        self.refresh_firewalls();
    }

    /// Recomputes which firewalls apply to which server (direct and by label selector).
    fn refresh_firewalls(&mut self) {
        let selectors: Vec<(u64, Vec<LabelSelector>)> = self
            .firewalls
            .values()
            .map(|fw| {
                let sels = fw
                    .applied_to
                    .iter()
                    .filter(|a| a.kind == ApplyToType::LabelSelector)
                    .filter_map(|a| a.label_selector.as_ref())
                    .filter_map(|s| LabelSelector::parse(&s.selector).ok())
                    .collect();
                (fw.id, sels)
            })
            .collect();
        let actions = &self.actions;
        for sim in self.servers.values_mut() {
            sim.firewall_actions.retain(|_, action| {
                actions
                    .get(action)
                    .is_some_and(|a| a.action.status == ActionStatus::Running)
            });
            let mut ids = sim.direct_firewalls.clone();
            for (fw, sels) in &selectors {
                if sels.iter().any(|s| s.matches(&sim.server.labels)) && !ids.contains(fw) {
                    ids.push(*fw);
                }
            }
            let pending = &sim.firewall_actions;
            sim.server.public_net.firewalls = ids
                .into_iter()
                .map(|id| ServerFirewall {
                    id,
                    status: if pending.contains_key(&id) {
                        "pending"
                    } else {
                        "applied"
                    }
                    .into(),
                })
                .collect();
        }
        let servers: Vec<(u64, Labels)> = self
            .servers
            .values()
            .map(|s| (s.server.id, s.server.labels.clone()))
            .collect();
        for fw in self.firewalls.values_mut() {
            for target in &mut fw.applied_to {
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
                target.applied_to_resources = servers
                    .iter()
                    .filter(|(_, labels)| sel.matches(labels))
                    .map(|(id, _)| AppliedToResource {
                        kind: ApplyToType::Server,
                        server: Some(IdRef { id: *id }),
                    })
                    .collect();
            }
        }
    }
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
