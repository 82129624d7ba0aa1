//! Fields the API always sends that the client's models do not carry (`datacenter`, `iso`,
//! traffic counters, primary IP details, server type prices and locations): added to the
//! serialized models so raw responses match the API's response schemas.

use serde_json::{Map, Value, json};

use super::state::State;
use super::stored_server::StoredServer;
use crate::models::firewall::Firewall;

/// Included traffic of every simulated server type (20 TiB).
const INCLUDED_TRAFFIC: u64 = 20 * 1024 * 1024 * 1024 * 1024;

/// A server as the API answers it.
pub(crate) fn server_json(state: &State, server: &StoredServer) -> Value {
    let mut value = serde_json::to_value(server).unwrap_or(Value::Null);
    complete(state, &mut value);
    value
}

/// Expands the catalog entries of a serialized [`StoredServer`] and adds the fields the
/// model lacks; keeps any the model already sends.
pub(crate) fn complete(state: &State, value: &mut Value) {
    let Some(map) = value.as_object_mut() else {
        return;
    };
    let stored = map
        .get("id")
        .and_then(Value::as_u64)
        .and_then(|id| state.servers.get(&id));
    for (key, value) in stored.map(|s| s.extra.clone()).unwrap_or_default() {
        map.insert(key, value);
    }
    if let Some(sim) = stored
        && let Some(public_net) = map.get_mut("public_net").and_then(Value::as_object_mut)
    {
        // derived when read: which firewalls apply, and whether each is still pending
        public_net.insert("firewalls".into(), json!(state.firewalls_of(sim)));
    }
    // catalog entries are stored as ids (see `StoredServer`)
    let location_id = map
        .get("location")
        .and_then(|l| l.get("id"))
        .and_then(Value::as_u64);
    if let Some(location) = location_id.and_then(|id| location_json(state, &id.to_string())) {
        map.insert("location".into(), location);
    }
    if let Some(image) = map
        .get("image")
        .and_then(|i| i.get("id"))
        .and_then(Value::as_u64)
    {
        let image = state.images.get(&image).map_or(Value::Null, |i| json!(i));
        map.insert("image".into(), image);
    }
    let location = map.get("location").cloned().unwrap_or(Value::Null);
    let datacenter = datacenter_json(state, &location);
    for (key, default) in [
        ("datacenter", datacenter),
        ("iso", Value::Null),
        ("outgoing_traffic", json!(0)),
        ("ingoing_traffic", json!(0)),
        ("included_traffic", json!(INCLUDED_TRAFFIC)),
    ] {
        fill(map, key, default);
    }
    if let Some(server_type) = map.get_mut("server_type") {
        match server_type
            .get("id")
            .and_then(Value::as_u64)
            .and_then(|id| state.server_type_wire.get(&id))
        {
            Some(wire) => *server_type = wire.clone(),
            None => complete_server_type(state, server_type),
        }
    }
    let Some(public_net) = map.get_mut("public_net").and_then(Value::as_object_mut) else {
        return;
    };
    for family in ["ipv4", "ipv6"] {
        let Some(ip) = public_net.get_mut(family).and_then(Value::as_object_mut) else {
            continue;
        };
        // the reverse DNS lives on the primary IP
        let entries = ip
            .get("id")
            .and_then(Value::as_u64)
            .and_then(|id| state.primary_ips.get(&id))
            .map(|p| p.dns_ptr_json())
            .and_then(|p| p.as_array().cloned())
            .unwrap_or_default();
        if family == "ipv4" {
            let own = ip.get("ip").cloned().unwrap_or(Value::Null);
            let ptr = entries
                .iter()
                .find(|e| e["ip"] == own)
                .map_or(Value::Null, |e| e["dns_ptr"].clone());
            ip.insert("dns_ptr".into(), ptr);
            fill(ip, "dns_ptr", json!("static.clients.your-server.de"));
        } else {
            ip.insert("dns_ptr".into(), Value::Array(entries));
        }
        drop_null(ip, "id");
    }
}

/// The datacenter of a location (one per location in the simulator).
pub(crate) fn datacenter_json(state: &State, location: &Value) -> Value {
    let name = location.get("name").and_then(Value::as_str).unwrap_or("dc");
    let city = location.get("city").and_then(Value::as_str).unwrap_or("");
    let type_ids: Vec<u64> = state.server_types.iter().map(|t| t.id).collect();
    json!({
        "id": location.get("id").and_then(Value::as_u64).unwrap_or(1),
        "name": format!("{name}-dc14"),
        "description": format!("{city} 1 virtual DC 14"),
        "location": location,
        "server_types": {
            "supported": type_ids,
            "available": type_ids,
            "available_for_migration": type_ids,
        },
    })
}

/// A location as the API answers it, by id or name (`None` when unknown).
pub(crate) fn location_json(state: &State, reference: &str) -> Option<Value> {
    state
        .locations
        .iter()
        .find(|l| l.name == reference || l.id.to_string() == reference)
        .and_then(|l| serde_json::to_value(l).ok())
}

/// Adds `prices` and `locations` to a serialized server type.
pub(crate) fn complete_server_type(state: &State, value: &mut Value) {
    let Some(map) = value.as_object_mut() else {
        return;
    };
    let cores = map.get("cores").and_then(Value::as_f64).unwrap_or(1.0);
    let memory = map.get("memory").and_then(Value::as_f64).unwrap_or(1.0);
    let monthly = 1.5 * cores + 0.5 * memory;
    let price =
        |net: f64| json!({ "net": format!("{net:.4}"), "gross": format!("{:.4}", net * 1.19) });
    let prices: Vec<Value> = state
        .locations
        .iter()
        .map(|l| {
            json!({
                "location": l.name,
                "price_hourly": price(monthly / 730.0),
                "price_monthly": price(monthly),
                "included_traffic": INCLUDED_TRAFFIC,
                "price_per_tb_traffic": price(1.0),
            })
        })
        .collect();
    let locations: Vec<Value> = state
        .locations
        .iter()
        .map(|l| json!({ "id": l.id, "name": l.name, "deprecation": null, "recommended": true, "available": true }))
        .collect();
    fill(map, "prices", json!(prices));
    fill(map, "locations", json!(locations));
}

/// Sets `key` when it is missing or null.
fn fill(map: &mut Map<String, Value>, key: &str, value: Value) {
    let slot = map.entry(key).or_insert(Value::Null);
    if slot.is_null() {
        *slot = value;
    }
}

/// Removes `key` when it is null (an optional field the API omits rather than nulls).
fn drop_null(map: &mut Map<String, Value>, key: &str) {
    if map.get(key).is_some_and(Value::is_null) {
        map.remove(key);
    }
}

/// A firewall as the API answers it now: label selectors list the servers they match, and
/// every rule carries `source_ips`, `destination_ips` and `port`, empty or null when unused.
pub(crate) fn firewall_json(state: &State, firewall: &Firewall) -> Value {
    let mut value = serde_json::to_value(state.firewall_now(firewall)).unwrap_or(Value::Null);
    complete_firewall(&mut value);
    value
}

/// Adds the rule fields a serialized [`Firewall`] may leave out, and leaves out the unset
/// side (`server` or `label_selector`) of each `applied_to` entry, which the response schema
/// does not allow to be null.
fn complete_firewall(value: &mut Value) {
    if let Some(applied) = value.get_mut("applied_to").and_then(Value::as_array_mut) {
        for target in applied.iter_mut().filter_map(Value::as_object_mut) {
            drop_null(target, "server");
            drop_null(target, "label_selector");
        }
    }
    let Some(rules) = value.get_mut("rules").and_then(Value::as_array_mut) else {
        return;
    };
    for rule in rules.iter_mut().filter_map(Value::as_object_mut) {
        fill(rule, "source_ips", json!([]));
        fill(rule, "destination_ips", json!([]));
        rule.entry("port").or_insert(Value::Null);
        rule.entry("description").or_insert(Value::Null);
    }
}
