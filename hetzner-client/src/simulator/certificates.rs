//! Simulated `/certificates` (uploaded ones keep their PEM; managed ones are issued at once).

use serde_json::{Value, json};

use super::generic::{Kind, action_reply, name_taken};
use super::state::{Reply, State, check_labels};

pub(crate) const KIND: Kind = Kind {
    plural: "certificates",
    one: "certificate",
    action_type: "certificate",
    has_actions: true,
    actions: &["retry"],
    updatable: &[],
    create,
    act: |state, id, _, _| action_reply(state, "issue_certificate", &[(id, "certificate")]),
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
    let labels = match check_labels(body) {
        Ok(labels) => labels,
        Err(reply) => return reply,
    };
    let kind = body
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("uploaded");
    let domains: Vec<String> = body
        .get("domain_names")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|d| d.as_str().map(str::to_owned))
        .collect();
    let pem = body.get("certificate").and_then(Value::as_str);
    match kind {
        "uploaded" => {
            let is_pem = |field: &str| {
                body.get(field)
                    .and_then(Value::as_str)
                    .is_some_and(|v| v.contains("-----BEGIN "))
            };
            if !is_pem("certificate") {
                return Reply::invalid("certificate", "must be a PEM certificate");
            }
            if !is_pem("private_key") {
                return Reply::invalid("private_key", "must be a PEM private key");
            }
        }
        "managed" if domains.is_empty() => {
            return Reply::invalid("domain_names", "a managed certificate needs domain names");
        }
        "managed" => {}
        _ => return Reply::invalid("type", "must be uploaded or managed"),
    }
    if name_taken(state, "certificates", name, None) {
        return Reply::not_unique_named("certificate", "name");
    }
    let id = state.id();
    let now = state.now_wall();
    let value = json!({
        "id": id, "name": name, "labels": labels, "type": kind,
        "certificate": pem, "created": now, "not_valid_before": now,
        "not_valid_after": now + chrono::Duration::days(90), "domain_names": domains,
        "fingerprint": format!("{:02x}", id), "used_by": [],
        "status": if kind == "managed" { json!({ "issuance": "completed", "renewal": "unavailable", "error": null }) } else { Value::Null },
    });
    state.store_mut("certificates").insert(id, value.clone());
    let action = (kind == "managed")
        .then(|| state.start_action("create_certificate", &[(id, "certificate")], None));
    Reply::json(201, json!({ "certificate": value, "action": action }))
}
