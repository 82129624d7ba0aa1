//! Simulated `/floating_ips`.

use serde_json::{Value, json};

use super::generic::{Kind, action_reply, name_taken, optional_server, resolve_location};
use super::primary_ip::dns_ptr_change;
use super::state::{Reply, State, check_labels};
use super::wire::location_json;

pub(crate) const KIND: Kind = Kind {
    plural: "floating_ips",
    one: "floating_ip",
    action_type: "floating_ip",
    has_actions: true,
    actions: &["assign", "unassign", "change_dns_ptr"],
    updatable: &["description"],
    create,
    act,
    refuse_delete: |_, _| None,
    delete_action: None,
};

fn create(state: &mut State, body: &Value) -> Reply {
    let kind = match body.get("type").and_then(Value::as_str) {
        Some(k @ ("ipv4" | "ipv6")) => k,
        _ => return Reply::invalid("type", "must be ipv4 or ipv6"),
    };
    let labels = match check_labels(body) {
        Ok(labels) => labels,
        Err(reply) => return reply,
    };
    let server = match optional_server(state, body) {
        Ok(server) => server,
        Err(reply) => return reply,
    };
    let home = match resolve_location(state, "home_location", body.get("home_location")) {
        Ok(home) => home,
        Err(reply) => return reply,
    };
    let home = match (home, server) {
        (Some(id), _) => location_json(state, &id.to_string()),
        (None, Some(s)) => state
            .servers
            .get(&s)
            .and_then(|s| location_json(state, &s.server.location.to_string())),
        (None, None) => return Reply::invalid("home_location", "give a home_location or a server"),
    };
    let id = state.id();
    let name = match body.get("name").and_then(Value::as_str) {
        Some(n) if name_taken(state, "floating_ips", n, None) => {
            return Reply::not_unique_named("floating_ip", "name");
        }
        Some(n) => n.to_owned(),
        None => format!("Floating IP {id}"),
    };
    let octets = id.to_be_bytes();
    let ip = if kind == "ipv4" {
        format!("198.51.{}.{}", octets[6], octets[7])
    } else {
        format!("2001:db8:f{id:x}::/64")
    };
    let value = json!({
        "id": id, "name": name, "description": body.get("description").cloned().unwrap_or(Value::Null),
        "ip": ip, "type": kind, "server": server, "dns_ptr": [], "home_location": home,
        "blocked": false, "protection": { "delete": false }, "labels": labels,
        "created": state.now_wall(),
    });
    state.store_mut("floating_ips").insert(id, value.clone());
    if let Some(server) = server {
        set_server_ip(state, server, id, true);
    }
    let mut reply = json!({ "floating_ip": value });
    // `action` is optional and not nullable in the document: present only when a server
    // was given (and so an assignment started), left out otherwise
    if let Some(s) = server {
        let action = state.start_action(
            "assign_floating_ip",
            &[(id, "floating_ip"), (s, "server")],
            None,
        );
        reply["action"] = json!(action);
    }
    Reply::json(201, reply)
}

fn set_server_ip(state: &mut State, server: u64, id: u64, on: bool) {
    if let Some(sim) = state.servers.get_mut(&server) {
        let ips = &mut sim.server.public_net.floating_ips;
        let id = i64::try_from(id).unwrap_or(i64::MAX);
        ips.retain(|i| *i != id);
        if on {
            ips.push(id);
        }
    }
}

fn act(state: &mut State, id: u64, name: &str, body: &Value) -> Reply {
    let current = state
        .store("floating_ips")
        .get(&id)
        .and_then(|v| v["server"].as_u64());
    match name {
        "assign" => {
            let Some(server) = body
                .get("server")
                .and_then(Value::as_u64)
                .filter(|s| state.servers.contains_key(s))
            else {
                return Reply::invalid("server", "server not found");
            };
            if let Some(old) = current {
                set_server_ip(state, old, id, false);
            }
            set_server_ip(state, server, id, true);
            if let Some(v) = state.store_mut("floating_ips").get_mut(&id) {
                v["server"] = json!(server);
            }
            action_reply(
                state,
                "assign_floating_ip",
                &[(id, "floating_ip"), (server, "server")],
            )
        }
        "unassign" => {
            if let Some(old) = current {
                set_server_ip(state, old, id, false);
            }
            if let Some(v) = state.store_mut("floating_ips").get_mut(&id) {
                v["server"] = Value::Null;
            }
            action_reply(state, "unassign_floating_ip", &[(id, "floating_ip")])
        }
        _ => change_dns_ptr(state, id, body),
    }
}

/// `change_dns_ptr`: sets or (with null) resets one reverse DNS entry.
fn change_dns_ptr(state: &mut State, id: u64, body: &Value) -> Reply {
    let Some(entry) = state.store_mut("floating_ips").get_mut(&id) else {
        return Reply::not_found();
    };
    let own = entry["ip"].as_str().unwrap_or_default().to_owned();
    let (ip, ptr) = match dns_ptr_change(&own, body) {
        Ok(change) => change,
        Err(reply) => return reply,
    };
    let mut entries: Vec<Value> = entry["dns_ptr"].as_array().cloned().unwrap_or_default();
    entries.retain(|e| e["ip"] != ip.as_str());
    if let Some(ptr) = ptr {
        entries.push(json!({ "ip": ip, "dns_ptr": ptr }));
    }
    entry["dns_ptr"] = Value::Array(entries);
    action_reply(state, "change_dns_ptr", &[(id, "floating_ip")])
}
