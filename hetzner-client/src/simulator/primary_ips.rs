//! Simulated `/primary_ips`: every server's public addresses are primary IPs, created with
//! the server (`auto_delete: true`) or beforehand and passed in `public_net.ipv4`/`ipv6`.
//! They are stored typed ([`PrimaryIp`]) and answered through the shared list and action
//! routes.

use http::Method;
use serde_json::{Value, json};

use super::generic::{action_reply, actions_route, resolve};
use super::listing::list;
use super::primary_ip::{Family, PrimaryIp, complete, dns_ptr_change};
use super::state::{Query, Reply, State, check_labels};
use crate::models::server::ServerStatus;

/// Query keys the shared list handles; any other key filters on the field of that name.
const LIST_KEYS: &[&str] = &["name", "label_selector", "sort", "page", "per_page"];

/// Actions besides `change_protection`.
const ACTIONS: &[&str] = &["assign", "unassign", "change_dns_ptr"];

/// Creates a primary IP of `family` in location `location`; returns its id and address.
pub(crate) fn new_primary_ip(
    state: &mut State,
    name: Option<&str>,
    family: Family,
    location: u64,
    assignee: Option<u64>,
    auto_delete: bool,
) -> (u64, String) {
    let id = state.id();
    let octets = id.to_be_bytes();
    let ip = match family {
        Family::V4 => format!("203.0.{}.{}", octets[6], octets[7]),
        Family::V6 => format!("2001:db8:{id:x}::/64"),
    };
    let dns_ptr = match family {
        Family::V4 => vec![(ip.clone(), format!("static.{id}.clients.your-server.de"))],
        Family::V6 => Vec::new(),
    };
    let entry = PrimaryIp {
        id,
        name: name.map_or_else(|| format!("primary_ip-{id}"), str::to_owned),
        labels: crate::Labels::new(),
        created: state.now_wall(),
        location,
        ip: ip.clone(),
        dns_ptr,
        delete_protected: false,
        family,
        auto_delete,
        assignee,
    };
    state.primary_ips.insert(id, entry);
    (id, ip)
}

/// Answers `rest`, the path below `/primary_ips`.
pub(crate) fn route(
    state: &mut State,
    method: &Method,
    rest: &[&str],
    query: &Query,
    body: &Value,
) -> Reply {
    let mut reply = match (method, rest) {
        (&Method::GET, []) => {
            let entries: Vec<&PrimaryIp> = state
                .primary_ips
                .values()
                .filter(|p| matches_fields(p, query))
                .collect();
            list("primary_ips", entries, query)
        }
        (&Method::POST, []) => create(state, body),
        (&Method::GET, ["actions", rest @ ..]) => {
            actions_route(state, "primary_ip", None, rest, query)
        }
        (_, [id, ..]) if find(state, id).is_none() => {
            if is_route(method, rest) {
                Reply::not_found()
            } else {
                Reply::no_route()
            }
        }
        (&Method::GET, [id]) => {
            let value = find(state, id).map(super::listing::Listed::json);
            Reply::json(200, json!({ "primary_ip": value }))
        }
        (&Method::PUT, [id]) => update(state, parse(id), body),
        (&Method::DELETE, [id]) => delete(state, parse(id)),
        (&Method::GET, [id, "actions", rest @ ..]) => {
            actions_route(state, "primary_ip", Some(parse(id)), rest, query)
        }
        (&Method::POST, [id, "actions", "change_protection"]) => {
            change_protection(state, parse(id), body)
        }
        (&Method::POST, [id, "actions", name]) if ACTIONS.contains(name) => {
            act(state, parse(id), name, body)
        }
        _ => Reply::no_route(),
    };
    complete(state, &mut reply);
    reply
}

/// True when `method rest` is a primary IP route (so a missing id is a 404 of the resource).
fn is_route(method: &Method, rest: &[&str]) -> bool {
    match (method, rest) {
        (&Method::GET | &Method::PUT | &Method::DELETE, [_]) => true,
        (&Method::GET, [_, "actions"] | [_, "actions", _]) => true,
        (&Method::POST, [_, "actions", name]) => {
            *name == "change_protection" || ACTIONS.contains(name)
        }
        _ => false,
    }
}

fn parse(id: &str) -> u64 {
    id.parse().unwrap_or_default()
}

fn find<'a>(state: &'a State, id: &str) -> Option<&'a PrimaryIp> {
    id.parse::<u64>()
        .ok()
        .and_then(|id| state.primary_ips.get(&id))
}

/// Filters on fields named by query keys the shared list does not handle (`ip`, `type`...).
fn matches_fields(entry: &PrimaryIp, query: &Query) -> bool {
    query
        .0
        .iter()
        .filter(|(k, _)| !LIST_KEYS.contains(&k.as_str()))
        .all(|(k, _)| {
            entry
                .field_text(k)
                .is_none_or(|value| query.all(k).contains(&value.as_str()))
        })
}

/// True when another primary IP is called `name`.
fn name_taken(state: &State, name: &str, except: Option<u64>) -> bool {
    state
        .primary_ips
        .values()
        .any(|p| Some(p.id) != except && p.name == name)
}

fn create(state: &mut State, body: &Value) -> Reply {
    let Some(name) = body
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
    else {
        return Reply::invalid("name", "is required");
    };
    let Some(family) = body
        .get("type")
        .and_then(Value::as_str)
        .and_then(Family::parse)
    else {
        return Reply::invalid("type", "must be ipv4 or ipv6");
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
        (Some(id), _) => Some(id),
        (None, Some(server)) => state.servers.get(&server).map(|s| s.server.location),
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
    if name_taken(state, name, None) {
        return Reply::not_unique_named("primary_ip", "name");
    }
    if let Some(server) = assignee
        && let Some(reply) = refuse_assign(state, server, family)
    {
        return reply;
    }
    let auto_delete = body
        .get("auto_delete")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let (id, _) = new_primary_ip(state, Some(name), family, location, assignee, auto_delete);
    if let Some(entry) = state.primary_ips.get_mut(&id) {
        entry.labels = labels;
    }
    if let Some(server) = assignee {
        attach_to_server(state, id, server);
    }
    let mut resources = vec![(id, "primary_ip")];
    resources.extend(assignee.map(|server| (server, "server")));
    let action = state.start_action("create_primary_ip", &resources, None);
    let value = state.primary_ips.get(&id).map(super::listing::Listed::json);
    Reply::json(201, json!({ "primary_ip": value, "action": action }))
}

/// `PUT /primary_ips/{id}`: name, labels and `auto_delete`.
fn update(state: &mut State, id: u64, body: &Value) -> Reply {
    let Some(fields) = body.as_object() else {
        return Reply::invalid("body", "must be an object");
    };
    let labels = match check_labels(body) {
        Ok(labels) => labels,
        Err(reply) => return reply,
    };
    let name = match fields.get("name") {
        None => None,
        Some(name) => {
            let Some(name) = name.as_str().filter(|n| !n.is_empty()) else {
                return Reply::invalid("name", "must be a non-empty string");
            };
            if name_taken(state, name, Some(id)) {
                return Reply::not_unique_named("primary_ip", "name");
            }
            Some(name.to_owned())
        }
    };
    for (key, value) in fields {
        if !["name", "labels", "auto_delete"].contains(&key.as_str()) {
            return Reply::invalid(key, "cannot be updated");
        }
        if value.is_null() {
            return Reply::invalid(key, "must not be null");
        }
    }
    let auto_delete = match fields.get("auto_delete") {
        None => None,
        Some(Value::Bool(on)) => Some(*on),
        Some(_) => return Reply::invalid("auto_delete", "must be a boolean"),
    };
    let Some(entry) = state.primary_ips.get_mut(&id) else {
        return Reply::not_found();
    };
    if let Some(name) = name {
        entry.name = name;
    }
    if fields.contains_key("labels") {
        entry.labels = labels;
    }
    if let Some(on) = auto_delete {
        entry.auto_delete = on;
    }
    let value = super::listing::Listed::json(&*entry);
    Reply::json(200, json!({ "primary_ip": value }))
}

/// `DELETE /primary_ips/{id}`: refused while assigned or protected.
fn delete(state: &mut State, id: u64) -> Reply {
    let Some(entry) = state.primary_ips.get(&id) else {
        return Reply::not_found();
    };
    if entry.assignee.is_some() {
        return Reply::error(
            422,
            "must_be_unassigned",
            "unassign the primary IP before deleting it",
            Value::Null,
        );
    }
    if entry.delete_protected {
        return Reply::protected();
    }
    state.primary_ips.remove(&id);
    Reply::empty()
}

/// `change_protection`: a primary IP has only the `delete` flag.
fn change_protection(state: &mut State, id: u64, body: &Value) -> Reply {
    let Some(flags) = body.as_object().filter(|f| !f.is_empty()) else {
        return Reply::invalid("delete", "set at least one protection flag");
    };
    let mut delete = None;
    for (flag, value) in flags {
        if flag != "delete" {
            return Reply::invalid(flag, "is not a protection flag of this resource");
        }
        let Some(on) = value.as_bool() else {
            return Reply::invalid(flag, "must be a boolean");
        };
        delete = Some(on);
    }
    let Some(entry) = state.primary_ips.get_mut(&id) else {
        return Reply::not_found();
    };
    if let Some(on) = delete {
        entry.delete_protected = on;
    }
    let action = state.start_action("change_protection", &[(id, "primary_ip")], None);
    Reply::json(201, json!({ "action": action }))
}

/// Why `server` cannot take a primary IP of `family` now, if it cannot.
fn refuse_assign(state: &State, server: u64, family: Family) -> Option<Reply> {
    let sim = state.servers.get(&server)?;
    if sim.server.status != ServerStatus::Off {
        return Some(Reply::error(
            422,
            "server_not_stopped",
            "the server must be powered off",
            Value::Null,
        ));
    }
    let (taken, code) = match family {
        Family::V4 => (sim.server.public_net.ipv4.is_some(), "server_has_ipv4"),
        Family::V6 => (sim.server.public_net.ipv6.is_some(), "server_has_ipv6"),
    };
    taken.then(|| {
        Reply::error(
            422,
            code,
            "the server already has a primary IP of this type",
            Value::Null,
        )
    })
}

/// Puts primary IP `id` into the server's `public_net`.
pub(crate) fn attach_to_server(state: &mut State, id: u64, server: u64) {
    let Some(entry) = state.primary_ips.get(&id) else {
        return;
    };
    let (family, ip) = (entry.family, entry.ip.clone());
    let Some(sim) = state.servers.get_mut(&server) else {
        return;
    };
    match family {
        Family::V4 => {
            sim.server.public_net.ipv4 = Some(crate::models::server::Ipv4 {
                id: Some(id),
                ip,
                blocked: false,
                dns_ptr: None,
            });
        }
        Family::V6 => {
            sim.server.public_net.ipv6 = Some(crate::models::server::Ipv6 {
                id: Some(id),
                ip,
                blocked: false,
                dns_ptr: None,
            });
        }
    }
}

/// Takes primary IP `id` out of its server's `public_net` and marks it unassigned.
pub(crate) fn detach(state: &mut State, id: u64) {
    let Some(entry) = state.primary_ips.get_mut(&id) else {
        return;
    };
    let server = entry.assignee.take();
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
    let Some(entry) = state.primary_ips.get(&id) else {
        return Reply::not_found();
    };
    let (assignee, location, family) = (entry.assignee, entry.location, entry.family);
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
            if assignee.is_some() {
                return Reply::error(
                    422,
                    "primary_ip_already_assigned",
                    "the primary IP is already assigned",
                    Value::Null,
                );
            }
            if location != sim.server.location {
                return Reply::error(
                    422,
                    "primary_ip_datacenter_mismatch",
                    "the primary IP and the server are in different locations",
                    Value::Null,
                );
            }
            if let Some(reply) = refuse_assign(state, server, family) {
                return reply;
            }
            if let Some(e) = state.primary_ips.get_mut(&id) {
                e.assignee = Some(server);
            }
            attach_to_server(state, id, server);
            action_reply(
                state,
                "assign_primary_ip",
                &[(id, "primary_ip"), (server, "server")],
            )
        }
        "unassign" => {
            let Some(server) = assignee else {
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
        _ => change_dns_ptr(state, id, "primary_ip", body),
    }
}

/// `change_dns_ptr` of primary IP `id`: sets or (with null) resets one entry; the action
/// reports a resource of `action_type` (`server` when asked through the server).
pub(crate) fn change_dns_ptr(state: &mut State, id: u64, action_type: &str, body: &Value) -> Reply {
    let Some(entry) = state.primary_ips.get_mut(&id) else {
        return Reply::not_found();
    };
    let (ip, ptr) = match dns_ptr_change(&entry.ip, body) {
        Ok(change) => change,
        Err(reply) => return reply,
    };
    entry.dns_ptr.retain(|(address, _)| *address != ip);
    if let Some(ptr) = ptr {
        entry.dns_ptr.push((ip, ptr));
    }
    action_reply(state, "change_dns_ptr", &[(id, action_type)])
}
