//! Simulated RRSets of a zone (`/zones/{zone}/rrsets/{name}/{type}`): labels, delete, and the
//! record actions; change protection is honoured.

use http::Method;
use serde_json::{Value, json};

use super::generic::action_reply;
use super::state::{Reply, State, check_labels};
use super::zones::{RRSETS, recount, ttl};

/// The records of a request body (1 to 50, each with a value).
pub(super) fn records(body: &Value, comments_required: bool) -> Result<Vec<Value>, Reply> {
    let Some(items) = body.get("records").and_then(Value::as_array) else {
        return Err(Reply::invalid("records", "is required"));
    };
    if items.is_empty() || items.len() > 50 {
        return Err(Reply::invalid("records", "must hold 1 to 50 records"));
    }
    items
        .iter()
        .map(
            |r| match (r.get("value").and_then(Value::as_str), r.get("comment")) {
                (Some(v), c) if !v.is_empty() && (!comments_required || c.is_some()) => {
                    Ok(json!({ "value": v, "comment": c.and_then(Value::as_str).unwrap_or("") }))
                }
                _ => Err(Reply::invalid("records", "each record needs a value")),
            },
        )
        .collect()
}

pub(super) fn rrset_route(
    state: &mut State,
    zone: u64,
    key: u64,
    method: &Method,
    rest: &[&str],
    body: &Value,
) -> Reply {
    let locked = state
        .store(RRSETS)
        .get(&key)
        .is_some_and(|r| r["protection"]["change"] == true);
    let changes = !matches!(
        (method, rest),
        (&Method::GET, []) | (&Method::POST, ["actions", "change_protection"])
    );
    if locked && changes {
        return Reply::protected();
    }
    match (method, rest) {
        (&Method::GET, []) => Reply::json(200, json!({ "rrset": state.store(RRSETS).get(&key) })),
        (&Method::PUT, []) => {
            let labels = match check_labels(body) {
                Ok(labels) => labels,
                Err(reply) => return reply,
            };
            if let Some(r) = state.store_mut(RRSETS).get_mut(&key)
                && body.get("labels").is_some()
            {
                r["labels"] = json!(labels);
            }
            Reply::json(200, json!({ "rrset": state.store(RRSETS).get(&key) }))
        }
        (&Method::DELETE, []) => {
            state.store_mut(RRSETS).remove(&key);
            recount(state, zone);
            action_reply(state, "delete_rrset", &[(zone, "zone")])
        }
        (&Method::POST, ["actions", name]) => {
            let update = match *name {
                "change_protection" => body
                    .get("change")
                    .and_then(Value::as_bool)
                    .map(|c| ("protection", json!({ "change": c })))
                    .ok_or_else(|| Reply::invalid("change", "must be a boolean")),
                "change_ttl" => {
                    if body.get("ttl").is_none() {
                        return Reply::invalid("ttl", "is required");
                    }
                    ttl(body).map(|t| ("ttl", t))
                }
                "set_records" => records(body, false).map(|r| ("records", json!(r))),
                "add_records" | "remove_records" | "update_records" => {
                    let given = match records(body, *name == "update_records") {
                        Ok(r) => r,
                        Err(reply) => return reply,
                    };
                    let mut all: Vec<Value> = state
                        .store(RRSETS)
                        .get(&key)
                        .and_then(|r| r["records"].as_array().cloned())
                        .unwrap_or_default();
                    for record in given {
                        let at = all.iter().position(|r| r["value"] == record["value"]);
                        match (*name, at) {
                            ("add_records", None) => all.push(record),
                            ("remove_records", Some(i)) => {
                                all.remove(i);
                            }
                            ("update_records", Some(i)) => all[i] = record,
                            ("update_records" | "remove_records", None) => {
                                return Reply::invalid("records", "no such record in the RRSet");
                            }
                            _ => {}
                        }
                    }
                    if *name == "add_records"
                        && let Ok(t) = ttl(body)
                        && !t.is_null()
                        && let Some(r) = state.store_mut(RRSETS).get_mut(&key)
                    {
                        r["ttl"] = t;
                    }
                    Ok(("records", json!(all)))
                }
                _ => return Reply::no_route(),
            };
            let (field, value) = match update {
                Ok(u) => u,
                Err(reply) => return reply,
            };
            if let Some(r) = state.store_mut(RRSETS).get_mut(&key) {
                r[field] = value;
            }
            let empty = state
                .store(RRSETS)
                .get(&key)
                .is_some_and(|r| r["records"].as_array().is_some_and(Vec::is_empty));
            if empty {
                state.store_mut(RRSETS).remove(&key);
            }
            recount(state, zone);
            let mut reply = action_reply(
                state,
                &format!("{name}_rrset").replace("_records_rrset", "_records"),
                &[(zone, "zone")],
            );
            if *name == "update_records" {
                reply.status = 200; // the one RRSet action the spec answers with 200
            }
            reply
        }
        _ => Reply::no_route(),
    }
}
