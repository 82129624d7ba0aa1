//! Simulated `/certificates` (uploaded ones keep their PEM; managed ones are issued at once).

use serde_json::{Value, json};

use super::generic::{Kind, action_reply, name_taken};
use super::state::{Reply, State, check_labels};
use super::x509;

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
    let now = state.now_wall();
    // what the answer reports: read from the PEM when uploaded, as issued when managed
    let (domains, fingerprint, not_before, not_after) = match kind {
        "uploaded" => {
            let Some(facts) = pem.and_then(x509::read_pem) else {
                return Reply::invalid("certificate", "invalid certificate");
            };
            if !body
                .get("private_key")
                .and_then(Value::as_str)
                .is_some_and(x509::is_private_key_pem)
            {
                return Reply::invalid("private_key", "invalid private key");
            }
            (
                facts.domain_names,
                Some(facts.fingerprint),
                facts.not_valid_before,
                facts.not_valid_after,
            )
        }
        "managed" if domains.is_empty() => {
            return Reply::invalid("domain_names", "a managed certificate needs domain names");
        }
        // Let's Encrypt certificates run 90 days
        "managed" => (domains, None, now, now + chrono::Duration::days(90)),
        _ => return Reply::invalid("type", "must be uploaded or managed"),
    };
    if name_taken(state, "certificates", name, None) {
        return Reply::not_unique_named("certificate", "name");
    }
    let id = state.id();
    let fingerprint = fingerprint.unwrap_or_else(|| managed_fingerprint(id));
    let value = json!({
        "id": id, "name": name, "labels": labels, "type": kind,
        "certificate": pem, "created": now, "not_valid_before": not_before,
        "not_valid_after": not_after, "domain_names": domains,
        "fingerprint": fingerprint, "used_by": [],
        "status": if kind == "managed" { json!({ "issuance": "completed", "renewal": "unavailable", "error": null }) } else { Value::Null },
    });
    state.store_mut("certificates").insert(id, value.clone());
    let action = (kind == "managed")
        .then(|| state.start_action("create_certificate", &[(id, "certificate")], None));
    Reply::json(201, json!({ "certificate": value, "action": action }))
}

/// The fingerprint of a simulated managed certificate (it has no DER): 32 colon-separated
/// hex pairs, as for uploaded ones, unique per certificate.
fn managed_fingerprint(id: u64) -> String {
    let mut bytes = [0u8; 32];
    bytes[24..].copy_from_slice(&id.to_be_bytes());
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}
