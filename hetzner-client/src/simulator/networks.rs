//! Simulated `/networks`: subnets, routes and the range.

use std::net::Ipv4Addr;

use serde_json::{Value, json};

use super::generic::{Kind, action_reply, name_taken};
use super::state::{Reply, State, check_labels};

pub(crate) const KIND: Kind = Kind {
    plural: "networks",
    one: "network",
    action_type: "network",
    has_actions: true,
    actions: &[
        "add_route",
        "add_subnet",
        "change_ip_range",
        "delete_route",
        "delete_subnet",
    ],
    updatable: &["expose_routes_to_vswitch"],
    create,
    act,
    refuse_delete: |_, _| None,
    delete_action: None,
};

/// `a.b.c.d/n` with a private IPv4 base, as the API requires of network ranges.
fn parse_range(range: &str) -> Option<(Ipv4Addr, u8)> {
    let (ip, bits) = range.split_once('/')?;
    let ip: Ipv4Addr = ip.parse().ok()?;
    let bits: u8 = bits.parse().ok().filter(|b| (8..=30).contains(b))?;
    ip.is_private().then_some((ip, bits))
}

/// The first host address of a range (the API's gateway).
fn gateway(range: &str) -> String {
    parse_range(range).map_or_else(String::new, |(ip, _)| {
        Ipv4Addr::from(u32::from(ip).wrapping_add(1)).to_string()
    })
}

/// A subnet from its request; the gateway is the first address of the network's range, as
/// the API sets it.
fn subnet(body: &Value, network_range: &str) -> Result<Value, Reply> {
    let kind = match body.get("type").and_then(Value::as_str) {
        Some(k @ ("cloud" | "server" | "vswitch")) => k,
        _ => return Err(Reply::invalid("type", "must be cloud, server or vswitch")),
    };
    let Some(zone) = body.get("network_zone").and_then(Value::as_str) else {
        return Err(Reply::invalid("network_zone", "is required"));
    };
    let range = match body.get("ip_range").and_then(Value::as_str) {
        Some(r) if parse_range(r).is_some() => r.to_owned(),
        Some(_) => return Err(Reply::invalid("ip_range", "must be a private IPv4 range")),
        None => "10.0.1.0/24".to_owned(),
    };
    let mut value = json!({ "type": kind, "ip_range": range, "network_zone": zone, "gateway": gateway(network_range) });
    if kind == "vswitch" {
        value["vswitch_id"] = body.get("vswitch_id").cloned().unwrap_or(Value::Null);
    }
    Ok(value)
}

fn route(body: &Value) -> Result<Value, Reply> {
    match (
        body.get("destination").and_then(Value::as_str),
        body.get("gateway").and_then(Value::as_str),
    ) {
        (Some(d), Some(g)) if parse_range(d).is_some() && g.parse::<Ipv4Addr>().is_ok() => {
            Ok(json!({ "destination": d, "gateway": g }))
        }
        _ => Err(Reply::invalid(
            "destination",
            "needs a private range and a gateway",
        )),
    }
}

fn create(state: &mut State, body: &Value) -> Reply {
    let Some(name) = body
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
    else {
        return Reply::invalid("name", "is required");
    };
    let Some(range) = body
        .get("ip_range")
        .and_then(Value::as_str)
        .filter(|r| parse_range(r).is_some())
    else {
        return Reply::invalid("ip_range", "must be a private IPv4 range");
    };
    let labels = match check_labels(body) {
        Ok(labels) => labels,
        Err(reply) => return reply,
    };
    let mut subnets = Vec::new();
    for s in body
        .get("subnets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match subnet(s, range) {
            Ok(s) => subnets.push(s),
            Err(reply) => return reply,
        }
    }
    let mut routes = Vec::new();
    for r in body
        .get("routes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match route(r) {
            Ok(r) => routes.push(r),
            Err(reply) => return reply,
        }
    }
    if name_taken(state, "networks", name, None) {
        return Reply::not_unique_named("network", "name");
    }
    let id = state.id();
    let value = json!({
        "id": id, "name": name, "ip_range": range, "subnets": subnets, "routes": routes,
        "servers": [], "load_balancers": [], "protection": { "delete": false },
        "labels": labels, "created": state.now_wall(),
        "expose_routes_to_vswitch": body.get("expose_routes_to_vswitch").and_then(Value::as_bool).unwrap_or(false),
    });
    state.store_mut("networks").insert(id, value.clone());
    Reply::json(201, json!({ "network": value }))
}

fn act(state: &mut State, id: u64, name: &str, body: &Value) -> Reply {
    let network_range = state
        .store("networks")
        .get(&id)
        .and_then(|n| n["ip_range"].as_str())
        .unwrap_or_default()
        .to_owned();
    let item = match name {
        "add_subnet" => subnet(body, &network_range),
        "add_route" | "delete_route" => route(body),
        "change_ip_range" => match body.get("ip_range").and_then(Value::as_str) {
            Some(r) if parse_range(r).is_some() => Ok(json!(r)),
            _ => Err(Reply::invalid("ip_range", "must be a private IPv4 range")),
        },
        _ => match body.get("ip_range").and_then(Value::as_str) {
            Some(r) => Ok(json!(r)),
            None => Err(Reply::invalid("ip_range", "is required")),
        },
    };
    let item = match item {
        Ok(item) => item,
        Err(reply) => return reply,
    };
    let Some(network) = state.store_mut("networks").get_mut(&id) else {
        return Reply::not_found();
    };
    let list = |network: &mut Value, key: &str| -> Vec<Value> {
        network[key].as_array().cloned().unwrap_or_default()
    };
    match name {
        "add_subnet" => {
            let mut subnets = list(network, "subnets");
            subnets.push(item);
            network["subnets"] = json!(subnets);
        }
        "add_route" => {
            let mut routes = list(network, "routes");
            routes.push(item);
            network["routes"] = json!(routes);
        }
        "delete_route" => {
            let mut routes = list(network, "routes");
            routes.retain(|r| *r != item);
            network["routes"] = json!(routes);
        }
        "delete_subnet" => {
            let mut subnets = list(network, "subnets");
            subnets.retain(|s| s["ip_range"] != item);
            network["subnets"] = json!(subnets);
        }
        _ => network["ip_range"] = item,
    }
    action_reply(state, name, &[(id, "network")])
}
