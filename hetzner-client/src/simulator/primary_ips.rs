//! Simulated `/primary_ips`: every server's public addresses are primary IPs, created with
//! the server (`auto_delete: true`) or beforehand and passed in `public_net.ipv4`/`ipv6`.

use serde_json::{Value, json};

use super::generic::{self, Kind, action_reply, resolve};
use super::state::{Reply, State, check_labels};
use super::wire::{datacenter_json, location_json};
use crate::models::server::ServerStatus;

pub(crate) const KIND: Kind = Kind {
    plural: "primary_ips",
    one: "primary_ip",
    action_type: "primary_ip",
    has_actions: true,
    actions: &["assign", "unassign", "change_dns_ptr"],
    updatable: &["auto_delete"],
    create,
    act,
    refuse_delete,
    delete_action: None,
};

/// Creates a primary IP of `kind` (`ipv4`/`ipv6`) in `location`; returns its id and address.
pub(crate) fn new_primary_ip(
    state: &mut State,
    name: Option<&str>,
    kind: &str,
    location: &Value,
    assignee: Option<u64>,
    auto_delete: bool,
) -> (u64, String) {
    let id = state.id();
    let octets = id.to_be_bytes();
    let ip = if kind == "ipv4" {
        format!("203.0.{}.{}", octets[6], octets[7])
    } else {
        format!("2001:db8:{id:x}::/64")
    };
    let reverse = format!("static.{id}.clients.your-server.de");
    let dns_ptr = if kind == "ipv4" {
        json!([{ "ip": ip, "dns_ptr": reverse }])
    } else {
        json!([])
    };
    let value = json!({
        "id": id,
        "name": name.map_or_else(|| format!("primary_ip-{id}"), str::to_owned),
        "labels": {},
        "created": state.now_wall(),
        "blocked": false,
        // only the location's id is stored; the location and its `datacenter` are filled in
        // when answered (see `complete_reply`), as they are the same large objects for every
        // address of a location
        "location": { "id": location.get("id").cloned().unwrap_or(Value::Null) },
        "ip": ip,
        "dns_ptr": dns_ptr,
        "protection": { "delete": false },
        "type": kind,
        "auto_delete": auto_delete,
        "assignee_type": "server",
        "assignee_id": assignee,
    });
    state.store_mut("primary_ips").insert(id, value);
    (id, ip)
}

fn create(state: &mut State, body: &Value) -> Reply {
    let Some(name) = body
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
    else {
        return Reply::invalid("name", "is required");
    };
    let kind = match body.get("type").and_then(Value::as_str) {
        Some(k @ ("ipv4" | "ipv6")) => k,
        _ => return Reply::invalid("type", "must be ipv4 or ipv6"),
    };
    // the spec marks it required, but the official clients leave it out without an assignee
    if body
        .get("assignee_type")
        .is_some_and(|t| t.as_str() != Some("server"))
    {
        return Reply::invalid("assignee_type", "must be server");
    }
    let labels = match check_labels(body) {
        Ok(labels) => labels,
        Err(reply) => return reply,
    };
    let assignee = match body.get("assignee_id") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64().filter(|id| state.servers.contains_key(id)) {
            Some(id) => Some(id),
            None => return Reply::invalid("assignee_id", "server not found"),
        },
    };
    let reference = body.get("location").or_else(|| body.get("datacenter"));
    let locations: Vec<(u64, String)> = state
        .locations
        .iter()
        .map(|l| (l.id, l.name.clone()))
        .collect();
    let dc_names: Vec<(u64, String)> = locations
        .iter()
        .map(|(id, n)| (*id, format!("{n}-dc14")))
        .collect();
    let location_id = match (body.get("location"), body.get("datacenter")) {
        (Some(l), _) => resolve(
            "location",
            Some(l),
            locations.iter().map(|(i, n)| (*i, n.as_str())),
        ),
        (None, Some(d)) => resolve(
            "datacenter",
            Some(d),
            dc_names.iter().map(|(i, n)| (*i, n.as_str())),
        ),
        (None, None) => Ok(None),
    };
    let location_id = match location_id {
        Ok(id) => id,
        Err(reply) => return reply,
    };
    let location = match (location_id, assignee) {
        (Some(id), _) => location_json(state, &id.to_string()),
        (None, Some(server)) => state
            .servers
            .get(&server)
            .and_then(|s| serde_json::to_value(&s.server.location).ok()),
        (None, None) => None,
    };
    let Some(location) = location else {
        let field = if reference.is_some() {
            "location"
        } else {
            "assignee_id"
        };
        return Reply::invalid(field, "give a location or an assignee_id");
    };
    if generic::name_taken(state, "primary_ips", name, None) {
        return Reply::not_unique_named("primary_ip", "name");
    }
    if let Some(server) = assignee
        && let Some(reply) = refuse_assign(state, server, kind)
    {
        return reply;
    }
    let auto_delete = body
        .get("auto_delete")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let (id, _) = new_primary_ip(state, Some(name), kind, &location, assignee, auto_delete);
    if let Some(entry) = state.store_mut("primary_ips").get_mut(&id) {
        entry["labels"] = json!(labels);
    }
    if let Some(server) = assignee {
        attach_to_server(state, id, server);
    }
    let mut resources = vec![(id, "primary_ip")];
    resources.extend(assignee.map(|server| (server, "server")));
    let action = state.start_action("create_primary_ip", &resources, None);
    let value = state.store("primary_ips").get(&id).cloned();
    Reply::json(201, json!({ "primary_ip": value, "action": action }))
}

/// Why `server` cannot take a primary IP of `kind` now, if it cannot.
fn refuse_assign(state: &State, server: u64, kind: &str) -> Option<Reply> {
    let sim = state.servers.get(&server)?;
    if sim.server.status != ServerStatus::Off {
        return Some(Reply::error(
            422,
            "server_not_stopped",
            "the server must be powered off",
            Value::Null,
        ));
    }
    let taken = if kind == "ipv4" {
        sim.server.public_net.ipv4.is_some()
    } else {
        sim.server.public_net.ipv6.is_some()
    };
    taken.then(|| {
        Reply::error(
            422,
            if kind == "ipv4" {
                "server_has_ipv4"
            } else {
                "server_has_ipv6"
            },
            "the server already has a primary IP of this type",
            Value::Null,
        )
    })
}

/// Puts primary IP `id` into the server's `public_net`.
pub(crate) fn attach_to_server(state: &mut State, id: u64, server: u64) {
    let Some(entry) = state.store("primary_ips").get(&id).cloned() else {
        return;
    };
    let ip = entry["ip"].as_str().unwrap_or_default().to_owned();
    let Some(sim) = state.servers.get_mut(&server) else {
        return;
    };
    if entry["type"] == "ipv4" {
        sim.server.public_net.ipv4 = Some(crate::models::server::Ipv4 {
            id: Some(id),
            ip,
            blocked: false,
            dns_ptr: None,
        });
    } else {
        sim.server.public_net.ipv6 = Some(crate::models::server::Ipv6 {
            id: Some(id),
            ip,
            blocked: false,
            dns_ptr: None,
        });
    }
}

/// Takes primary IP `id` out of its server's `public_net` and marks it unassigned.
pub(crate) fn detach(state: &mut State, id: u64) {
    let Some(entry) = state.store_mut("primary_ips").get_mut(&id) else {
        return;
    };
    let server = entry["assignee_id"].as_u64();
    entry["assignee_id"] = Value::Null;
    if let Some(sim) = server.and_then(|s| state.servers.get_mut(&s)) {
        let net = &mut sim.server.public_net;
        if net.ipv4.as_ref().and_then(|i| i.id) == Some(id) {
            net.ipv4 = None;
        }
        if net.ipv6.as_ref().and_then(|i| i.id) == Some(id) {
            net.ipv6 = None;
        }
    }
}

fn act(state: &mut State, id: u64, name: &str, body: &Value) -> Reply {
    let entry = state
        .store("primary_ips")
        .get(&id)
        .cloned()
        .unwrap_or_default();
    match name {
        "assign" => {
            if body.get("assignee_type").and_then(Value::as_str) != Some("server") {
                return Reply::invalid("assignee_type", "must be server");
            }
            let Some(server) = body.get("assignee_id").and_then(Value::as_u64) else {
                return Reply::invalid("assignee_id", "is required");
            };
            let Some(sim) = state.servers.get(&server) else {
                return Reply::invalid("assignee_id", "server not found");
            };
            if !entry["assignee_id"].is_null() {
                return Reply::error(
                    422,
                    "primary_ip_already_assigned",
                    "the primary IP is already assigned",
                    Value::Null,
                );
            }
            if entry["location"]["id"].as_u64() != Some(sim.server.location.id) {
                return Reply::error(
                    422,
                    "primary_ip_datacenter_mismatch",
                    "the primary IP and the server are in different locations",
                    Value::Null,
                );
            }
            let kind = entry["type"].as_str().unwrap_or("ipv4").to_owned();
            if let Some(reply) = refuse_assign(state, server, &kind) {
                return reply;
            }
            if let Some(e) = state.store_mut("primary_ips").get_mut(&id) {
                e["assignee_id"] = json!(server);
            }
            attach_to_server(state, id, server);
            action_reply(
                state,
                "assign_primary_ip",
                &[(id, "primary_ip"), (server, "server")],
            )
        }
        "unassign" => {
            let Some(server) = entry["assignee_id"].as_u64() else {
                return Reply::error(
                    422,
                    "not_assigned",
                    "the primary IP is not assigned",
                    Value::Null,
                );
            };
            if state
                .servers
                .get(&server)
                .is_some_and(|s| s.server.status != ServerStatus::Off)
            {
                return Reply::error(
                    422,
                    "server_not_stopped",
                    "the server must be powered off",
                    Value::Null,
                );
            }
            detach(state, id);
            action_reply(
                state,
                "unassign_primary_ip",
                &[(id, "primary_ip"), (server, "server")],
            )
        }
        _ => change_dns_ptr(state, "primary_ips", "primary_ip", id, body),
    }
}

/// `change_dns_ptr` of primary and floating IPs: sets or (with null) resets one entry.
pub(crate) fn change_dns_ptr(
    state: &mut State,
    plural: &'static str,
    action_type: &str,
    id: u64,
    body: &Value,
) -> Reply {
    let Some(ip) = body.get("ip").and_then(Value::as_str) else {
        return Reply::invalid("ip", "is required");
    };
    let Some(entry) = state.store_mut(plural).get_mut(&id) else {
        return Reply::not_found();
    };
    let own = entry["ip"].as_str().unwrap_or_default().to_owned();
    let in_range = ip == own
        || own
            .split_once("::/")
            .is_some_and(|(prefix, _)| ip.starts_with(&format!("{prefix}:")));
    if !in_range {
        return Reply::invalid("ip", "is not an address of this resource");
    }
    let mut entries: Vec<Value> = entry["dns_ptr"].as_array().cloned().unwrap_or_default();
    entries.retain(|e| e["ip"] != ip);
    match body.get("dns_ptr") {
        Some(Value::String(ptr)) if !ptr.is_empty() => {
            entries.push(json!({ "ip": ip, "dns_ptr": ptr }));
        }
        None | Some(Value::Null) => {}
        Some(_) => return Reply::invalid("dns_ptr", "must be a hostname or null"),
    }
    entry["dns_ptr"] = Value::Array(entries);
    action_reply(state, "change_dns_ptr", &[(id, action_type)])
}

fn refuse_delete(state: &State, id: u64) -> Option<Reply> {
    let entry = state.store("primary_ips").get(&id)?;
    entry["assignee_id"].as_u64().map(|_| {
        Reply::error(
            422,
            "must_be_unassigned",
            "unassign the primary IP before deleting it",
            Value::Null,
        )
    })
}

/// Fills in the `location` (stored as its id only) and the `datacenter` of each primary IP in
/// an answer (`primary_ip` or `primary_ips`).
pub(crate) fn complete_reply(state: &State, reply: &mut Reply) {
    let Some(body) = reply.body.as_mut() else {
        return;
    };
    let fill = |entry: &mut Value| {
        if let Some(map) = entry.as_object_mut()
            && !map.contains_key("datacenter")
        {
            let stored = map.get("location").cloned().unwrap_or(Value::Null);
            let location = stored
                .get("id")
                .and_then(Value::as_u64)
                .and_then(|id| location_json(state, &id.to_string()))
                .unwrap_or(stored);
            map.insert("datacenter".into(), datacenter_json(state, &location));
            map.insert("location".into(), location);
        }
    };
    if let Some(one) = body.get_mut("primary_ip") {
        fill(one);
    }
    if let Some(all) = body.get_mut("primary_ips").and_then(Value::as_array_mut) {
        all.iter_mut().for_each(fill);
    }
}
