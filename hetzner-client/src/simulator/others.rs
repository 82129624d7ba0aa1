//! Simulated `/ssh_keys`, `/images`, `/actions`, `/server_types` and `/locations` endpoints.

use http::Method;
use serde_json::{Value, json};

use super::listing::list;
use super::state::{Query, Reply, State, check_labels};
use crate::models::image::ImageType;
use crate::models::ssh_key::SshKey;

pub(crate) fn ssh_keys(
    state: &mut State,
    method: &Method,
    rest: &[&str],
    query: &Query,
    body: &Value,
) -> Reply {
    let find = |state: &State, id: &str| {
        id.parse::<u64>()
            .ok()
            .filter(|id| state.ssh_keys.contains_key(id))
    };
    match (method, rest) {
        (&Method::GET, []) => {
            let mut items: Vec<&SshKey> = state.ssh_keys.values().collect();
            if let Some(fp) = query.get("fingerprint") {
                items.retain(|k| k.fingerprint == fp);
            }
            list("ssh_keys", items, query)
        }
        (&Method::POST, []) => {
            let Some(name) = body
                .get("name")
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty())
            else {
                return Reply::invalid("name", "is required");
            };
            let Some(public_key) = body.get("public_key").and_then(Value::as_str) else {
                return Reply::invalid("public_key", "is required");
            };
            let mut parts = public_key.split_whitespace();
            let (Some(kind), Some(blob)) = (parts.next(), parts.next()) else {
                return Reply::invalid("public_key", "is not a valid public key");
            };
            if !kind.starts_with("ssh-") && !kind.starts_with("ecdsa-") && !kind.starts_with("sk-")
            {
                return Reply::invalid("public_key", "is not a valid public key");
            }
            let labels = match check_labels(body) {
                Ok(labels) => labels,
                Err(reply) => return reply,
            };
            let fingerprint = fingerprint(blob);
            if state
                .ssh_keys
                .values()
                .any(|k| k.fingerprint == fingerprint)
            {
                return Reply::not_unique("public_key");
            }
            if state.ssh_keys.values().any(|k| k.name == name) {
                return Reply::not_unique("name");
            }
            let id = state.id();
            let key = SshKey {
                id,
                name: name.to_owned(),
                fingerprint,
                public_key: public_key.to_owned(),
                labels,
                created: state.now_wall(),
            };
            state.ssh_keys.insert(id, key.clone());
            Reply::json(201, json!({ "ssh_key": key }))
        }
        (&Method::GET, [id]) => match find(state, id).and_then(|id| state.ssh_keys.get(&id)) {
            Some(k) => Reply::json(200, json!({ "ssh_key": k })),
            None => Reply::not_found(),
        },
        (&Method::PUT, [id]) => {
            let Some(id) = find(state, id) else {
                return Reply::not_found();
            };
            let labels = match check_labels(body) {
                Ok(labels) => labels,
                Err(reply) => return reply,
            };
            let new_name = body.get("name").and_then(Value::as_str).map(str::to_owned);
            let Some(key) = state.ssh_keys.get_mut(&id) else {
                return Reply::not_found();
            };
            if body.get("labels").is_some() {
                key.labels = labels;
            }
            if let Some(name) = new_name {
                key.name = name;
            }
            Reply::json(200, json!({ "ssh_key": key }))
        }
        (&Method::DELETE, [id]) => match find(state, id) {
            Some(id) => {
                state.ssh_keys.remove(&id);
                Reply::empty()
            }
            None => Reply::not_found(),
        },
        (_, [_]) => Reply::not_found(),
        _ => Reply::no_route(),
    }
}

/// A stable colon-separated fingerprint of the key data (FNV-based, shaped like MD5's).
fn fingerprint(blob: &str) -> String {
    let mut bytes = Vec::with_capacity(16);
    for seed in [0xcbf2_9ce4_8422_2325_u64, 0x1000_0000_01b3_u64] {
        let mut hash = seed;
        for b in blob.bytes() {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        bytes.extend_from_slice(&hash.to_be_bytes());
    }
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

pub(crate) fn images(
    state: &mut State,
    method: &Method,
    rest: &[&str],
    query: &Query,
    body: &Value,
) -> Reply {
    let find = |state: &State, id: &str| {
        id.parse::<u64>()
            .ok()
            .filter(|id| state.images.contains_key(id))
    };
    match (method, rest) {
        (&Method::GET, []) => {
            let kinds = query.all("type");
            let statuses = query.all("status");
            let items: Vec<_> = state
                .images
                .values()
                .filter(|i| kinds.is_empty() || kinds.contains(&i.kind.as_str()))
                .filter(|i| statuses.is_empty() || statuses.contains(&i.status.as_str()))
                .collect();
            list("images", items, query)
        }
        (&Method::GET, ["actions", rest @ ..]) => {
            super::generic::actions_route(state, "image", None, rest, query)
        }
        (&Method::GET, [id, "actions", rest @ ..]) if find(state, id).is_some() => {
            super::generic::actions_route(state, "image", find(state, id), rest, query)
        }
        (&Method::POST, [id, "actions", "change_protection"]) if find(state, id).is_some() => {
            let Some(delete) = body.get("delete").and_then(Value::as_bool) else {
                return Reply::invalid("delete", "must be a boolean");
            };
            let id = find(state, id).unwrap_or_default();
            if let Some(image) = state.images.get_mut(&id) {
                if !matches!(image.kind, ImageType::Snapshot | ImageType::Backup) {
                    return Reply::error(
                        422,
                        "unsupported_error",
                        "only snapshots and backups can be protected",
                        Value::Null,
                    );
                }
                image.protection.delete = delete;
            }
            super::generic::action_reply(state, "change_protection", &[(id, "image")])
        }
        (&Method::GET, [id]) => match find(state, id).and_then(|id| state.images.get(&id)) {
            Some(i) => Reply::json(200, json!({ "image": i })),
            None => Reply::not_found(),
        },
        (&Method::PUT, [id]) => {
            let Some(id) = find(state, id) else {
                return Reply::not_found();
            };
            let labels = match check_labels(body) {
                Ok(labels) => labels,
                Err(reply) => return reply,
            };
            let Some(image) = state.images.get_mut(&id) else {
                return Reply::not_found();
            };
            if body.get("labels").is_some() {
                image.labels = labels;
            }
            if let Some(d) = body.get("description").and_then(Value::as_str) {
                image.description = d.to_owned();
            }
            Reply::json(200, json!({ "image": image }))
        }
        (&Method::DELETE, [id]) => {
            let Some(id) = find(state, id) else {
                return Reply::not_found();
            };
            let deletable = state
                .images
                .get(&id)
                .is_some_and(|i| matches!(i.kind, ImageType::Snapshot | ImageType::Backup));
            if !deletable {
                return Reply::error(
                    422,
                    "unsupported_error",
                    "only snapshots and backups can be deleted",
                    Value::Null,
                );
            }
            if super::server_actions::image_protected(state, id) {
                return Reply::protected();
            }
            state.images.remove(&id);
            Reply::empty()
        }
        (_, [_] | [_, "actions"] | [_, "actions", _]) => Reply::not_found(),
        _ => Reply::no_route(),
    }
}

pub(crate) fn actions(state: &mut State, method: &Method, rest: &[&str], query: &Query) -> Reply {
    match (method, rest) {
        (&Method::GET, []) => {
            let ids = query.all("id");
            if ids.is_empty() {
                return Reply::invalid("id", "is required");
            }
            let now = tokio::time::Instant::now();
            let mut found = Vec::new();
            for id in ids {
                let Ok(id) = id.parse::<u64>() else {
                    return Reply::invalid("id", "must be an integer");
                };
                if let Some(a) = state.actions.get(&id) {
                    found.push(a.at(now));
                }
            }
            list("actions", found.iter().collect(), query)
        }
        (&Method::GET, [id]) => {
            match id.parse::<u64>().ok().and_then(|id| state.actions.get(&id)) {
                Some(a) => Reply::json(200, json!({ "action": a.at(tokio::time::Instant::now()) })),
                None => Reply::not_found(),
            }
        }
        _ => Reply::no_route(),
    }
}

pub(crate) fn catalog(
    state: &State,
    kind: &str,
    method: &Method,
    rest: &[&str],
    query: &Query,
) -> Reply {
    if method != Method::GET {
        return Reply::error(405, "method_not_allowed", "method not allowed", Value::Null);
    }
    let (items, single): (Vec<Value>, &str) = match kind {
        "server_types" => (
            state
                .server_types
                .iter()
                .filter_map(|t| serde_json::to_value(t).ok())
                .map(|mut t| {
                    super::wire::complete_server_type(state, &mut t);
                    t
                })
                .collect(),
            "server_type",
        ),
        "datacenters" => (
            state
                .locations
                .iter()
                .filter_map(|l| serde_json::to_value(l).ok())
                .map(|l| super::wire::datacenter_json(state, &l))
                .collect(),
            "datacenter",
        ),
        "isos" => (isos(), "iso"),
        "load_balancer_types" => (super::load_balancers::types(state), "load_balancer_type"),
        _ => (
            state
                .locations
                .iter()
                .filter_map(|l| serde_json::to_value(l).ok())
                .collect(),
            "location",
        ),
    };
    match rest {
        [] => {
            let recommended = items.first().and_then(|v| v.get("id")).cloned();
            let mut reply = list(kind, items.iter().collect(), query);
            if kind == "datacenters"
                && let Some(body) = reply.body.as_mut()
            {
                body["recommendation"] = recommended.unwrap_or(Value::Null);
            }
            reply
        }
        [id] => match items
            .into_iter()
            .find(|v| v.get("id").map(ToString::to_string).as_deref() == Some(id))
        {
            Some(item) => Reply::json(200, json!({ single: item })),
            None => Reply::not_found(),
        },
        _ => Reply::no_route(),
    }
}

/// The ISO images the simulator offers.
pub(crate) fn isos() -> Vec<Value> {
    [
        (1, "ubuntu-24.04.1-live-server-amd64.iso", "x86"),
        (2, "ubuntu-24.04.1-live-server-arm64.iso", "arm"),
        (3, "virtio-win-0.1.262.iso", "x86"),
    ]
    .iter()
    .map(|(id, name, arch)| {
        json!({ "id": id, "name": name, "description": name.trim_end_matches(".iso"),
                "type": "public", "deprecation": null, "architecture": arch })
    })
    .collect()
}

/// `GET /pricing`.
pub(crate) fn pricing(state: &State) -> Reply {
    let price =
        |net: f64| json!({ "net": format!("{net:.4}"), "gross": format!("{:.4}", net * 1.19) });
    let per_location = |monthly: f64| -> Vec<Value> {
        state
            .locations
            .iter()
            .map(|l| json!({ "location": l.name, "price_hourly": price(monthly / 730.0), "price_monthly": price(monthly) }))
            .collect()
    };
    let server_types: Vec<Value> = state
        .server_types
        .iter()
        .filter_map(|t| serde_json::to_value(t).ok())
        .map(|mut t| {
            super::wire::complete_server_type(state, &mut t);
            json!({ "id": t["id"], "name": t["name"], "prices": t["prices"] })
        })
        .collect();
    let lb_types: Vec<Value> = super::load_balancers::types(state)
        .into_iter()
        .map(|t| json!({ "id": t["id"], "name": t["name"], "prices": t["prices"] }))
        .collect();
    let floating: Vec<Value> = state
        .locations
        .iter()
        .map(|l| json!({ "location": l.name, "price_monthly": price(3.0) }))
        .collect();
    Reply::json(
        200,
        json!({ "pricing": {
            "currency": "EUR", "vat_rate": "19.00",
            "primary_ips": [
                { "type": "ipv4", "prices": per_location(0.5) },
                { "type": "ipv6", "prices": per_location(0.0) },
            ],
            "floating_ips": [
                { "type": "ipv4", "prices": floating },
                { "type": "ipv6", "prices": floating },
            ],
            "image": { "price_per_gb_month": price(0.011) },
            "volume": { "price_per_gb_month": price(0.044) },
            "server_backup": { "percentage": "20.00" },
            "server_types": server_types,
            "load_balancer_types": lb_types,
            "floating_ip": { "price_monthly": price(3.0) },
        } }),
    )
}
