//! Simulated `/servers` endpoints.

use std::collections::BTreeMap;

use http::Method;
use serde_json::{Value, json};

use super::generic::{self, resolve};
use super::listing::list;
use super::primary_ip::Family;
use super::primary_ips::{attach_to_server, detach, new_primary_ip};
use super::server_actions::{ACTIONS, join_group, server_action};
use super::state::{Effect, Query, Reply, SimServer, State, check_labels};
use super::stored_server::StoredServer;
use super::wire::{complete, server_json};
use crate::models::IdRef;
use crate::models::firewall::{AppliedTo, ApplyToType};
use crate::models::server::{PublicNet, ServerProtection, ServerStatus};
use crate::names::validate_hostname;
use crate::resources::servers::MAX_USER_DATA_BYTES;

/// A server can be applied to at most this many firewalls (direct and by label selector).
pub(crate) const MAX_FIREWALLS_PER_SERVER: usize = 5;

/// True when `method rest` is a server route (so a missing id is a 404 of the resource).
fn is_route(method: &Method, rest: &[&str]) -> bool {
    match (method, rest) {
        (&Method::GET | &Method::PUT | &Method::DELETE, [_]) => true,
        (&Method::GET, [_, "actions" | "metrics"] | [_, "actions", _]) => true,
        (&Method::POST, [_, "actions", name]) => ACTIONS.contains(name),
        _ => false,
    }
}

/// `PUT /servers/{id}`: name and labels.
fn update(state: &mut State, id: &str, body: &Value) -> Reply {
    let Some(id) = id.parse::<u64>().ok() else {
        return Reply::not_found();
    };
    for key in body.as_object().into_iter().flatten().map(|(k, _)| k) {
        if key != "name" && key != "labels" {
            return Reply::invalid(key, "cannot be updated");
        }
    }
    let labels = match check_labels(body) {
        Ok(labels) => labels,
        Err(reply) => return reply,
    };
    let name = body.get("name").and_then(Value::as_str);
    if let Some(name) = name {
        if validate_hostname("name", name).is_err() {
            return Reply::invalid("name", "is not a valid hostname");
        }
        if state.server_named(name).is_some_and(|other| other != id) {
            return Reply::not_unique_named("server", "name");
        }
    }
    if !state.servers.contains_key(&id) {
        return Reply::not_found();
    }
    if let Some(name) = name {
        state.rename_server(id, name);
    }
    let Some(sim) = state.servers.get_mut(&id) else {
        return Reply::not_found();
    };
    if body.get("labels").is_some() {
        sim.server.labels = labels;
    }
    let server = sim.server.clone();
    state.tick();
    Reply::json(200, json!({ "server": server_json(state, &server) }))
}

/// What a deleted server lets go: primary IPs (deleted when `auto_delete`, else kept
/// unassigned), volumes, floating IPs, its placement group and networks.
fn release(state: &mut State, id: u64) {
    let Some(sim) = state.servers.get(&id) else {
        return;
    };
    let primaries: Vec<u64> = [
        sim.server.public_net.ipv4.as_ref().and_then(|i| i.id),
        sim.server.public_net.ipv6.as_ref().and_then(|i| i.id),
    ]
    .into_iter()
    .flatten()
    .collect();
    let group = sim
        .server
        .placement_group
        .as_ref()
        .and_then(|g| g["id"].as_u64());
    for primary in primaries {
        detach(state, primary);
        let auto = state
            .primary_ips
            .get(&primary)
            .is_some_and(|p| p.auto_delete);
        if auto {
            state.primary_ips.remove(&primary);
        }
    }
    if let Some(group) = group {
        super::placement_groups::set_member(state, group, id, false);
    }
    super::volumes::forget_server(state, id);
    for ip in state.store_mut("floating_ips").values_mut() {
        if ip["server"].as_u64() == Some(id) {
            ip["server"] = Value::Null;
        }
    }
    for network in state.store_mut("networks").values_mut() {
        if let Some(servers) = network["servers"].as_array_mut() {
            servers.retain(|s| s.as_u64() != Some(id));
        }
    }
}

pub(crate) fn route(
    state: &mut State,
    method: &Method,
    rest: &[&str],
    query: &Query,
    body: &Value,
) -> Reply {
    match (method, rest) {
        (&Method::GET, []) => {
            let statuses = query.all("status");
            let items: Vec<&StoredServer> = state
                .servers
                .values()
                .map(|s| &s.server)
                .filter(|s| statuses.is_empty() || statuses.contains(&s.status.as_str()))
                .collect();
            let mut reply = list("servers", items, query);
            if let Some(servers) = reply
                .body
                .as_mut()
                .and_then(|b| b.get_mut("servers"))
                .and_then(Value::as_array_mut)
            {
                for server in servers {
                    complete(state, server);
                }
            }
            reply
        }
        (&Method::POST, []) => create(state, body),
        (&Method::GET, ["actions", rest @ ..]) => {
            generic::actions_route(state, "server", None, rest, query)
        }
        (_, [id, ..]) if find(state, id).is_none() => {
            if is_route(method, rest) {
                Reply::not_found()
            } else {
                Reply::no_route()
            }
        }
        (&Method::GET, [id, "actions", rest @ ..]) => {
            generic::actions_route(state, "server", id.parse().ok(), rest, query)
        }
        (&Method::GET, [_, "metrics"]) => super::metrics::reply(query, super::metrics::SERVER),
        (&Method::PUT, [id]) => update(state, id, body),
        (&Method::GET, [id]) => match find(state, id) {
            Some(s) => Reply::json(200, json!({ "server": server_json(state, &s.server) })),
            None => Reply::not_found(),
        },
        (&Method::DELETE, [id]) => {
            let Some(id) = find(state, id).map(|s| s.server.id) else {
                return Reply::not_found();
            };
            if state
                .servers
                .get(&id)
                .is_some_and(|s| s.server.protection.delete)
            {
                return Reply::protected();
            }
            release(state, id);
            state.remove_server(id);
            for firewall in state.firewalls.values_mut() {
                firewall
                    .applied_to
                    .retain(|a| a.server.is_none_or(|s| s.id != id));
            }
            let action = state.start_action("delete_server", &[(id, "server")], None);
            Reply::json(200, json!({ "action": action }))
        }
        (&Method::POST, [id, "actions", name]) if ACTIONS.contains(name) => {
            let id = id.parse().unwrap_or_default();
            server_action(state, id, name, body)
        }
        _ => Reply::no_route(),
    }
}

fn find<'a>(state: &'a State, id: &str) -> Option<&'a SimServer> {
    id.parse::<u64>().ok().and_then(|id| state.servers.get(&id))
}

fn create(state: &mut State, body: &Value) -> Reply {
    match create_checked(state, body) {
        Ok(reply) | Err(reply) => reply,
    }
}

/// Resolves a name-or-id reference against a catalog; `Err` names `field`.
fn pick<'a>(
    field: &str,
    body: &Value,
    pairs: impl IntoIterator<Item = (u64, &'a str)>,
) -> Result<Option<u64>, Reply> {
    resolve(field, body.get(field), pairs)
}

fn create_checked(state: &mut State, body: &Value) -> Result<Reply, Reply> {
    let text = |field: &str| body.get(field).and_then(Value::as_str);
    let Some(name) = text("name") else {
        return Err(Reply::invalid("name", "is required"));
    };
    if validate_hostname("name", name).is_err() {
        return Err(Reply::invalid("name", "is not a valid hostname"));
    }
    let type_names: Vec<(u64, String)> = state
        .server_types
        .iter()
        .map(|t| (t.id, t.name.clone()))
        .collect();
    let type_id = pick(
        "server_type",
        body,
        type_names.iter().map(|(i, n)| (*i, n.as_str())),
    )?
    .ok_or_else(|| Reply::invalid("server_type", "is required"))?;
    let server_type = state
        .server_types
        .iter()
        .find(|t| t.id == type_id)
        .ok_or_else(|| Reply::invalid("server_type", "server type not found"))?;
    let primary_disk_size = server_type.disk;
    let image_names: Vec<(u64, String)> = state
        .images
        .values()
        .map(|i| (i.id, i.name.clone().unwrap_or_else(|| i.id.to_string())))
        .collect();
    let image_id = pick(
        "image",
        body,
        image_names.iter().map(|(i, n)| (*i, n.as_str())),
    )?
    .ok_or_else(|| Reply::invalid("image", "is required"))?;
    let image = state.images.contains_key(&image_id).then_some(image_id);
    let location_names: Vec<(u64, String)> = state
        .locations
        .iter()
        .map(|l| (l.id, l.name.clone()))
        .collect();
    let dc_names: Vec<(u64, String)> = location_names
        .iter()
        .map(|(i, n)| (*i, format!("{n}-dc14")))
        .collect();
    let location_id = match (body.get("location"), body.get("datacenter")) {
        (Some(_), Some(_)) => {
            return Err(Reply::invalid(
                "location",
                "give either location or datacenter",
            ));
        }
        (Some(_), None) => pick(
            "location",
            body,
            location_names.iter().map(|(i, n)| (*i, n.as_str())),
        )?,
        (None, Some(_)) => pick(
            "datacenter",
            body,
            dc_names.iter().map(|(i, n)| (*i, n.as_str())),
        )?,
        (None, None) => None,
    };
    let location = match location_id {
        Some(id) => state.locations.iter().find(|l| l.id == id),
        None => state.locations.first(),
    }
    .map(|l| l.id)
    .ok_or_else(|| Reply::invalid("location", "no location available"))?;
    if let Some(user_data) = text("user_data")
        && user_data.len() > MAX_USER_DATA_BYTES
    {
        return Err(Reply::invalid("user_data", "is too long"));
    }
    let key_names: Vec<(u64, String)> = state
        .ssh_keys
        .values()
        .map(|k| (k.id, k.name.clone()))
        .collect();
    for key in body
        .get("ssh_keys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        resolve(
            "ssh_keys",
            Some(key),
            key_names.iter().map(|(i, n)| (*i, n.as_str())),
        )?;
    }
    let mut firewalls = Vec::new();
    for fw in body
        .get("firewalls")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match fw.get("firewall").and_then(Value::as_u64) {
            Some(id) if state.firewalls.contains_key(&id) => firewalls.push(id),
            _ => return Err(Reply::invalid("firewalls", "firewall not found")),
        }
    }
    if firewalls.len() > MAX_FIREWALLS_PER_SERVER {
        return Err(Reply::error(
            403,
            "resource_limit_exceeded",
            "a server can be applied to at most 5 firewalls",
            Value::Null,
        ));
    }
    let group = match body.get("placement_group") {
        None | Some(Value::Null) => None,
        Some(g) => Some(
            g.as_u64()
                .filter(|g| state.store("placement_groups").contains_key(g))
                .ok_or_else(|| Reply::invalid("placement_group", "placement group not found"))?,
        ),
    };
    let ids_in = |field: &str, plural: &str| -> Result<Vec<u64>, Reply> {
        body.get(field)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|v| {
                v.as_u64()
                    .filter(|id| state.store(plural).contains_key(id))
                    .ok_or_else(|| Reply::invalid(field, &format!("{field} entry not found")))
            })
            .collect()
    };
    let volumes = ids_in("volumes", "volumes")?;
    let networks = ids_in("networks", "networks")?;
    let labels = check_labels(body)?;
    if state.server_named(name).is_some() {
        return Err(Reply::error(
            409,
            "uniqueness_error",
            "server name is already used",
            json!({ "fields": [ { "name": "name" } ] }),
        ));
    }
    let public_net = body.get("public_net");
    let enabled = |family: &str| {
        public_net
            .and_then(|p| p.get(format!("enable_{family}")))
            .and_then(Value::as_bool)
            .unwrap_or(true)
    };
    let mut given = Vec::new();
    for family in [Family::V4, Family::V6] {
        let Some(reference) = public_net
            .and_then(|p| p.get(family.as_str()))
            .filter(|v| !v.is_null())
        else {
            continue;
        };
        let Some(primary) = reference
            .as_u64()
            .and_then(|id| state.primary_ips.get(&id).map(|p| (id, p)))
        else {
            return Err(Reply::invalid(
                &format!("public_net.{}", family.as_str()),
                "primary IP not found",
            ));
        };
        if primary.1.family != family || primary.1.assignee.is_some() {
            return Err(Reply::invalid(
                &format!("public_net.{}", family.as_str()),
                "primary IP is of the other family or already assigned",
            ));
        }
        if primary.1.location != location {
            return Err(Reply::error(
                422,
                "primary_ip_datacenter_mismatch",
                "the primary IP is in another location",
                Value::Null,
            ));
        }
        given.push((family, primary.0));
    }
    let id = state.id();
    let server = StoredServer {
        id,
        name: name.to_owned(),
        status: ServerStatus::Initializing,
        created: state.now_wall(),
        public_net: PublicNet::default(),
        private_net: Vec::new(),
        server_type: type_id,
        location,
        image,
        rescue_enabled: false,
        locked: false,
        backup_window: None,
        protection: ServerProtection::default(),
        labels,
        volumes: Vec::new(),
        load_balancers: Vec::new(),
        primary_disk_size,
        placement_group: None,
    };
    for fw in &firewalls {
        if let Some(firewall) = state.firewalls.get_mut(fw) {
            firewall.applied_to.push(AppliedTo {
                kind: ApplyToType::Server,
                server: Some(IdRef { id }),
                label_selector: None,
                applied_to_resources: Vec::new(),
            });
        }
    }
    state.add_server(SimServer {
        server: server.clone(),
        user_data: text("user_data").map(str::to_owned),
        direct_firewalls: firewalls.clone(),
        firewall_actions: BTreeMap::new(),
        extra: serde_json::Map::new(),
    });
    for family in [Family::V4, Family::V6] {
        let primary = match given.iter().find(|(f, _)| *f == family) {
            Some((_, primary)) => *primary,
            None if enabled(family.as_str()) => {
                new_primary_ip(state, None, family, location, None, true).0
            }
            None => continue,
        };
        if let Some(p) = state.primary_ips.get_mut(&primary) {
            p.assignee = Some(id);
        }
        attach_to_server(state, primary, id);
    }
    if let Some(group) = group
        && let Some(refusal) = join_group(state, id, group)
    {
        state.remove_server(id);
        return Err(refusal);
    }
    for volume in &volumes {
        if let Some(v) = state.store_mut("volumes").get_mut(volume) {
            v["server"] = json!(id);
        }
        if let Some(s) = state.servers.get_mut(&id) {
            s.server
                .volumes
                .push(i64::try_from(*volume).unwrap_or(i64::MAX));
        }
    }
    for network in &networks {
        server_action(
            state,
            id,
            "attach_to_network",
            &json!({ "network": network }),
        );
    }
    let start = body
        .get("start_after_create")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let off_or_running = if start {
        ServerStatus::Running
    } else {
        ServerStatus::Off
    };
    let action = state.start_action(
        "create_server",
        &[(id, "server")],
        Some(Effect::ServerStatus(id, off_or_running)),
    );
    if let Some(sim) = state.servers.get_mut(&id) {
        // firewalls given at creation are applied by the create action
        sim.firewall_actions = firewalls.iter().map(|fw| (*fw, action.id)).collect();
    }
    let next_actions: Vec<_> = if start {
        vec![state.start_action("start_server", &[(id, "server")], None)]
    } else {
        Vec::new()
    };
    let root_password = if body
        .get("ssh_keys")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty)
    {
        Some(super::state::root_password())
    } else {
        None
    };
    state.tick();
    let server = state.servers.get(&id).map_or(server, |s| s.server.clone());
    Ok(Reply::json(
        201,
        json!({ "server": server_json(state, &server), "action": action, "next_actions": next_actions, "root_password": root_password }),
    ))
}
