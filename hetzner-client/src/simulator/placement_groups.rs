//! Simulated `/placement_groups` (members join through the server actions).

use serde_json::{Value, json};

use super::generic::{Kind, name_taken};
use super::state::{Reply, State, check_labels};

pub(crate) const KIND: Kind = Kind {
    plural: "placement_groups",
    one: "placement_group",
    action_type: "placement_group",
    has_actions: false,
    actions: &[],
    updatable: &[],
    create,
    act: |_, _, _, _| Reply::no_route(),
    refuse_delete: |_, _| None,
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
    if body.get("type").and_then(Value::as_str) != Some("spread") {
        return Reply::invalid("type", "must be spread");
    }
    let labels = match check_labels(body) {
        Ok(labels) => labels,
        Err(reply) => return reply,
    };
    if name_taken(state, "placement_groups", name, None) {
        return Reply::not_unique_named("placement_group", "name");
    }
    let id = state.id();
    let value = json!({
        "id": id, "name": name, "labels": labels, "type": "spread",
        "created": state.now_wall(), "servers": [],
    });
    state
        .store_mut("placement_groups")
        .insert(id, value.clone());
    Reply::json(201, json!({ "placement_group": value, "action": null }))
}

/// Adds or removes `server` from the member list of group `id`.
pub(crate) fn set_member(state: &mut State, id: u64, server: u64, member: bool) {
    if let Some(servers) = state
        .store_mut("placement_groups")
        .get_mut(&id)
        .and_then(|g| g.get_mut("servers"))
        .and_then(Value::as_array_mut)
    {
        servers.retain(|s| s.as_u64() != Some(server));
        if member {
            servers.push(json!(server));
        }
    }
}
