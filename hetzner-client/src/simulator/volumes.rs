//! Simulated `/volumes`.

use serde_json::{Value, json};

use super::generic::{Kind, action_reply, name_taken, optional_server, resolve_location};
use super::state::{Reply, State, check_labels};
use super::wire::location_json;

pub(crate) const KIND: Kind = Kind {
    plural: "volumes",
    one: "volume",
    action_type: "volume",
    has_actions: true,
    actions: &["attach", "detach", "resize"],
    updatable: &[],
    create,
    act,
    refuse_delete,
    delete_action: None,
};

fn create(state: &mut State, body: &Value) -> Reply {
    let Some(name) = body
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
    else {
        return Reply::invalid("name", "is required");
    };
    let Some(size) = body
        .get("size")
        .and_then(Value::as_u64)
        .filter(|s| (10..=10240).contains(s))
    else {
        return Reply::invalid("size", "must be between 10 and 10240 GB");
    };
    let labels = match check_labels(body) {
        Ok(labels) => labels,
        Err(reply) => return reply,
    };
    let server = match optional_server(state, body) {
        Ok(server) => server,
        Err(reply) => return reply,
    };
    let location = match resolve_location(state, "location", body.get("location")) {
        Ok(Some(id)) => location_json(state, &id.to_string()),
        Ok(None) => match server.and_then(|s| state.servers.get(&s)) {
            Some(s) => location_json(state, &s.server.location.to_string()),
            None => return Reply::invalid("location", "give a location or a server"),
        },
        Err(reply) => return reply,
    };
    if let Some(format) = body.get("format")
        && !matches!(format.as_str(), Some("ext4" | "xfs"))
    {
        return Reply::invalid("format", "must be ext4 or xfs");
    }
    if name_taken(state, "volumes", name, None) {
        return Reply::not_unique_named("volume", "name");
    }
    let id = state.id();
    let value = json!({
        "id": id, "created": state.now_wall(), "name": name, "server": server,
        "location": location, "size": size,
        "linux_device": format!("/dev/disk/by-id/scsi-0HC_Volume_{id}"),
        "protection": { "delete": false }, "labels": labels, "status": "available",
        "format": body.get("format").cloned().unwrap_or(Value::Null),
    });
    state.store_mut("volumes").insert(id, value.clone());
    let action = state.start_action("create_volume", &[(id, "volume")], None);
    let next_actions: Vec<_> = server
        .map(|s| {
            set_server_volume(state, s, id, true);
            state.start_action("attach_volume", &[(id, "volume"), (s, "server")], None)
        })
        .into_iter()
        .collect();
    Reply::json(
        201,
        json!({ "volume": value, "action": action, "next_actions": next_actions }),
    )
}

fn set_server_volume(state: &mut State, server: u64, id: u64, on: bool) {
    if let Some(sim) = state.servers.get_mut(&server) {
        let id = i64::try_from(id).unwrap_or(i64::MAX);
        sim.server.volumes.retain(|v| *v != id);
        if on {
            sim.server.volumes.push(id);
        }
    }
}

fn act(state: &mut State, id: u64, name: &str, body: &Value) -> Reply {
    let entry = state.store("volumes").get(&id).cloned().unwrap_or_default();
    match name {
        "attach" => {
            let Some(server) = body
                .get("server")
                .and_then(Value::as_u64)
                .filter(|s| state.servers.contains_key(s))
            else {
                return Reply::invalid("server", "server not found");
            };
            if !entry["server"].is_null() {
                return Reply::error(
                    422,
                    "volume_already_attached",
                    "the volume is attached to a server",
                    Value::Null,
                );
            }
            set_server_volume(state, server, id, true);
            if let Some(v) = state.store_mut("volumes").get_mut(&id) {
                v["server"] = json!(server);
            }
            action_reply(
                state,
                "attach_volume",
                &[(id, "volume"), (server, "server")],
            )
        }
        "detach" => {
            if let Some(server) = entry["server"].as_u64() {
                set_server_volume(state, server, id, false);
            }
            if let Some(v) = state.store_mut("volumes").get_mut(&id) {
                v["server"] = Value::Null;
            }
            action_reply(state, "detach_volume", &[(id, "volume")])
        }
        _ => {
            let current = entry["size"].as_u64().unwrap_or(0);
            // an integer, as in `POST /volumes`; a float is refused like any ill-typed value
            let Some(size) = body.get("size").and_then(Value::as_u64) else {
                return Reply::invalid("size", "must be an integer number of GB");
            };
            if size <= current || size > 10240 {
                return Reply::invalid("size", "must be larger than the current size");
            }
            if let Some(v) = state.store_mut("volumes").get_mut(&id) {
                v["size"] = json!(size);
            }
            action_reply(state, "resize_volume", &[(id, "volume")])
        }
    }
}

fn refuse_delete(state: &State, id: u64) -> Option<Reply> {
    let attached = state.store("volumes").get(&id)?["server"].is_u64();
    attached.then(|| {
        Reply::error(
            422,
            "volume_attached",
            "detach the volume before deleting it",
            Value::Null,
        )
    })
}

/// Detaches every volume of a deleted server.
pub(crate) fn forget_server(state: &mut State, server: u64) {
    for volume in state.store_mut("volumes").values_mut() {
        if volume["server"].as_u64() == Some(server) {
            volume["server"] = Value::Null;
        }
    }
}
