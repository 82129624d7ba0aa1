//! Simulated `/zones` (Hetzner's DNS): zones by id or name, their RRSets by name and type,
//! zone files, and the zone and RRSet actions. Delete protection of zones and change
//! protection of RRSets are honoured.

use http::Method;
use serde_json::{Value, json};

use super::generic::{action_reply, actions_route, is_protected, name_taken};
use super::listing::list;
use super::rrsets::{records, rrset_route};
use super::state::{Query, Reply, State, check_labels};

const ZONES: &str = "zones";
pub(super) const RRSETS: &str = "rrsets";
const RECORD_TYPES: &[&str] = &[
    "A", "AAAA", "CAA", "CNAME", "DS", "HINFO", "HTTPS", "MX", "NS", "PTR", "RP", "SOA", "SRV",
    "SVCB", "TLSA", "TXT",
];
const NAMESERVERS: &[&str] = &[
    "hydrogen.ns.hetzner.com.",
    "oxygen.ns.hetzner.com.",
    "helium.ns.hetzner.de.",
];

pub(crate) fn route(
    state: &mut State,
    method: &Method,
    rest: &[&str],
    query: &Query,
    body: &Value,
) -> Reply {
    match (method, rest) {
        (&Method::GET, []) => {
            let entries: Vec<&Value> = state
                .store(ZONES)
                .values()
                .filter(|z| query.get("mode").is_none_or(|m| z["mode"] == m))
                .collect();
            list(ZONES, entries, query)
        }
        (&Method::POST, []) => create(state, body),
        (&Method::GET, ["actions", more @ ..]) => actions_route(state, "zone", None, more, query),
        (_, [zone, more @ ..]) => {
            let Some(id) = find(state, zone) else {
                return if is_route(method, more) {
                    Reply::not_found()
                } else {
                    Reply::no_route()
                };
            };
            zone_route(state, id, method, more, query, body)
        }
        _ => Reply::no_route(),
    }
}

fn is_route(method: &Method, more: &[&str]) -> bool {
    matches!(
        (method, more),
        (&Method::GET | &Method::PUT | &Method::DELETE, [])
            | (
                &Method::GET,
                ["zonefile" | "actions" | "rrsets"] | ["actions", _] | ["rrsets", _, _]
            )
            | (
                &Method::POST,
                ["rrsets"] | ["actions", _] | ["rrsets", _, _, "actions", _]
            )
            | (&Method::PUT | &Method::DELETE, ["rrsets", _, _])
    )
}

fn find(state: &State, reference: &str) -> Option<u64> {
    state
        .store(ZONES)
        .iter()
        .find(|(id, z)| id.to_string() == reference || z["name"] == reference)
        .map(|(id, _)| *id)
}

fn valid_domain(name: &str) -> bool {
    let labels: Vec<&str> = name.split('.').collect();
    labels.len() >= 2
        && name.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
        })
}

pub(super) fn ttl(body: &Value) -> Result<Value, Reply> {
    match body.get("ttl") {
        None | Some(Value::Null) => Ok(Value::Null),
        Some(t) => match t.as_i64() {
            Some(t) if (60..=2_147_483_647).contains(&t) => Ok(json!(t)),
            _ => Err(Reply::invalid("ttl", "must be 60 to 2147483647 seconds")),
        },
    }
}

fn create(state: &mut State, body: &Value) -> Reply {
    let Some(name) = body.get("name").and_then(Value::as_str) else {
        return Reply::invalid("name", "is required");
    };
    if !valid_domain(name) {
        return Reply::invalid("name", "is not a valid domain name");
    }
    let mode = match body.get("mode").and_then(Value::as_str) {
        Some(m @ ("primary" | "secondary")) => m,
        _ => return Reply::invalid("mode", "must be primary or secondary"),
    };
    let labels = match check_labels(body) {
        Ok(labels) => labels,
        Err(reply) => return reply,
    };
    let zone_ttl = match ttl(body) {
        Ok(Value::Null) => json!(3600),
        Ok(t) => t,
        Err(reply) => return reply,
    };
    let primaries = body
        .get("primary_nameservers")
        .cloned()
        .unwrap_or(json!([]));
    if mode == "secondary" && primaries.as_array().is_none_or(Vec::is_empty) {
        return Reply::invalid("primary_nameservers", "a secondary zone needs them");
    }
    if name_taken(state, ZONES, name, None) {
        return Reply::not_unique_named("zone", "name");
    }
    let id = state.id();
    let mut zone = json!({
        "id": id, "name": name, "created": state.now_wall(), "mode": mode,
        "labels": labels, "protection": { "delete": false }, "ttl": zone_ttl,
        "status": "ok", "record_count": 0,
        "authoritative_nameservers": {
            "assigned": NAMESERVERS, "delegated": [], "delegation_last_check": null,
            "delegation_status": "unknown",
        },
        "registrar": "unknown",
    });
    if mode == "secondary" {
        zone["primary_nameservers"] = primaries;
    }
    state.store_mut(ZONES).insert(id, zone);
    if mode == "primary" {
        let soa = format!(
            "{} dns.hetzner.com. 2026010101 86400 10800 3600000 3600",
            NAMESERVERS[0]
        );
        put_rrset(
            state,
            id,
            "@",
            "SOA",
            vec![json!({ "value": soa, "comment": "" })],
            Value::Null,
        );
        let ns = NAMESERVERS
            .iter()
            .map(|n| json!({ "value": n, "comment": "" }))
            .collect();
        put_rrset(state, id, "@", "NS", ns, Value::Null);
    }
    for rrset in body
        .get("rrsets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Err(reply) = new_rrset(state, id, rrset) {
            state.store_mut(ZONES).remove(&id);
            return reply;
        }
    }
    if let Some(text) = body.get("zonefile").and_then(Value::as_str)
        && let Err(reply) = import(state, id, text)
    {
        state.store_mut(ZONES).remove(&id);
        return reply;
    }
    let action = state.start_action("create_zone", &[(id, "zone")], None);
    let zone = state.store(ZONES).get(&id).cloned();
    Reply::json(201, json!({ "zone": zone, "action": action }))
}

/// Stores an RRSet (replacing one of the same name and type) and recounts the zone.
fn put_rrset(
    state: &mut State,
    zone: u64,
    name: &str,
    kind: &str,
    records: Vec<Value>,
    ttl: Value,
) -> u64 {
    let existing = rrset_key(state, zone, name, kind);
    let key = existing.unwrap_or_else(|| state.id());
    let labels = existing
        .and_then(|k| state.store(RRSETS).get(&k))
        .map_or(json!({}), |r| r["labels"].clone());
    let value = json!({
        "id": format!("{name}/{kind}"), "name": name, "type": kind, "ttl": ttl,
        "labels": labels, "protection": { "change": false }, "records": records, "zone": zone,
    });
    state.store_mut(RRSETS).insert(key, value);
    recount(state, zone);
    key
}

pub(super) fn recount(state: &mut State, zone: u64) {
    let count: usize = state
        .store(RRSETS)
        .values()
        .filter(|r| r["zone"].as_u64() == Some(zone))
        .map(|r| r["records"].as_array().map_or(0, Vec::len))
        .sum();
    if let Some(z) = state.store_mut(ZONES).get_mut(&zone) {
        z["record_count"] = json!(count);
    }
}

fn rrset_key(state: &State, zone: u64, name: &str, kind: &str) -> Option<u64> {
    state
        .store(RRSETS)
        .iter()
        .find(|(_, r)| r["zone"].as_u64() == Some(zone) && r["name"] == name && r["type"] == kind)
        .map(|(k, _)| *k)
}

fn new_rrset(state: &mut State, zone: u64, body: &Value) -> Result<u64, Reply> {
    let Some(name) = body
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
    else {
        return Err(Reply::invalid("name", "is required"));
    };
    let Some(kind) = body
        .get("type")
        .and_then(Value::as_str)
        .filter(|t| RECORD_TYPES.contains(t))
    else {
        return Err(Reply::invalid("type", "is not a supported record type"));
    };
    let records = records(body, false)?;
    let ttl = ttl(body)?;
    let labels = check_labels(body)?;
    if rrset_key(state, zone, name, kind).is_some() {
        return Err(Reply::not_unique_named("rrset", "name"));
    }
    let key = put_rrset(state, zone, name, kind, records, ttl);
    if let Some(r) = state.store_mut(RRSETS).get_mut(&key) {
        r["labels"] = json!(labels);
    }
    Ok(key)
}

/// Reads `name ttl IN type value` lines (the subset a zone file export writes).
fn import(state: &mut State, zone: u64, text: &str) -> Result<(), Reply> {
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with(';'))
    {
        if line.starts_with('$') {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let Some(class) = fields.iter().position(|f| *f == "IN") else {
            return Err(Reply::invalid(
                "zonefile",
                &format!("cannot read line: {line}"),
            ));
        };
        let (Some(name), Some(kind)) = (fields.first(), fields.get(class + 1)) else {
            return Err(Reply::invalid(
                "zonefile",
                &format!("cannot read line: {line}"),
            ));
        };
        if !RECORD_TYPES.contains(kind) {
            return Err(Reply::invalid(
                "zonefile",
                &format!("unsupported type {kind}"),
            ));
        }
        let value = fields[class + 2..].join(" ");
        let ttl = fields
            .get(1)
            .filter(|_| class == 2)
            .and_then(|t| t.parse::<i64>().ok())
            .map_or(Value::Null, |t| json!(t));
        let key = rrset_key(state, zone, name, kind);
        let mut all: Vec<Value> = key
            .and_then(|k| state.store(RRSETS).get(&k))
            .and_then(|r| r["records"].as_array().cloned())
            .unwrap_or_default();
        if !all.iter().any(|r| r["value"] == value.as_str()) {
            all.push(json!({ "value": value, "comment": "" }));
        }
        put_rrset(state, zone, name, kind, all, ttl);
    }
    Ok(())
}

fn zonefile(state: &State, zone: u64) -> String {
    let origin = state.store(ZONES).get(&zone).map_or(String::new(), |z| {
        z["name"].as_str().unwrap_or_default().to_owned()
    });
    let default_ttl = state
        .store(ZONES)
        .get(&zone)
        .map_or(3600, |z| z["ttl"].as_i64().unwrap_or(3600));
    let mut out = format!("$ORIGIN {origin}.\n$TTL {default_ttl}\n");
    for r in state
        .store(RRSETS)
        .values()
        .filter(|r| r["zone"].as_u64() == Some(zone))
    {
        let ttl = r["ttl"].as_i64().unwrap_or(default_ttl);
        for record in r["records"].as_array().into_iter().flatten() {
            out.push_str(&format!(
                "{} {ttl} IN {} {}\n",
                r["name"].as_str().unwrap_or("@"),
                r["type"].as_str().unwrap_or("A"),
                record["value"].as_str().unwrap_or_default()
            ));
        }
    }
    out
}

fn zone_route(
    state: &mut State,
    id: u64,
    method: &Method,
    more: &[&str],
    query: &Query,
    body: &Value,
) -> Reply {
    let mode = state
        .store(ZONES)
        .get(&id)
        .map(|z| z["mode"].clone())
        .unwrap_or_default();
    match (method, more) {
        (&Method::GET, []) => Reply::json(200, json!({ "zone": state.store(ZONES).get(&id) })),
        (&Method::PUT, []) => {
            let labels = match check_labels(body) {
                Ok(labels) => labels,
                Err(reply) => return reply,
            };
            if let Some(z) = state.store_mut(ZONES).get_mut(&id)
                && body.get("labels").is_some()
            {
                z["labels"] = json!(labels);
            }
            Reply::json(200, json!({ "zone": state.store(ZONES).get(&id) }))
        }
        (&Method::DELETE, []) => {
            if is_protected(state.store(ZONES).get(&id), "delete") {
                return Reply::protected();
            }
            state.store_mut(ZONES).remove(&id);
            state
                .store_mut(RRSETS)
                .retain(|_, r| r["zone"].as_u64() != Some(id));
            action_reply(state, "delete_zone", &[(id, "zone")])
        }
        (&Method::GET, ["zonefile"]) => {
            if mode != "primary" {
                return Reply::error(
                    422,
                    "unsupported_error",
                    "only primary zones have a zone file",
                    Value::Null,
                );
            }
            Reply::json(200, json!({ "zonefile": zonefile(state, id) }))
        }
        (&Method::GET, ["actions", rest @ ..]) => {
            actions_route(state, "zone", Some(id), rest, query)
        }
        (&Method::POST, ["actions", name]) => zone_action(state, id, &mode, name, body),
        (&Method::GET, ["rrsets"]) => {
            let kinds = query.all("type");
            let entries: Vec<&Value> = state
                .store(RRSETS)
                .values()
                .filter(|r| r["zone"].as_u64() == Some(id))
                .filter(|r| kinds.is_empty() || kinds.iter().any(|k| r["type"] == *k))
                .collect();
            list(RRSETS, entries, query)
        }
        (&Method::POST, ["rrsets"]) => match new_rrset(state, id, body) {
            Ok(key) => {
                let action = state.start_action("create_rrset", &[(id, "zone")], None);
                Reply::json(
                    201,
                    json!({ "rrset": state.store(RRSETS).get(&key), "action": action }),
                )
            }
            Err(reply) => reply,
        },
        (_, ["rrsets", name, kind, rest @ ..]) => {
            let Some(key) = rrset_key(state, id, name, kind) else {
                return Reply::not_found();
            };
            rrset_route(state, id, key, method, rest, body)
        }
        _ => Reply::no_route(),
    }
}

fn zone_action(state: &mut State, id: u64, mode: &Value, name: &str, body: &Value) -> Reply {
    let Some(zone) = state.store_mut(ZONES).get_mut(&id) else {
        return Reply::not_found();
    };
    match name {
        "change_protection" => match body.get("delete").and_then(Value::as_bool) {
            Some(d) => zone["protection"]["delete"] = json!(d),
            None => return Reply::invalid("delete", "must be a boolean"),
        },
        "change_ttl" => match ttl(body) {
            Ok(Value::Null) | Err(_) => {
                return Reply::invalid("ttl", "must be 60 to 2147483647 seconds");
            }
            Ok(t) => zone["ttl"] = t,
        },
        "change_primary_nameservers" => {
            if mode != "secondary" {
                return Reply::error(
                    422,
                    "unsupported_error",
                    "only secondary zones have primary nameservers",
                    Value::Null,
                );
            }
            match body
                .get("primary_nameservers")
                .filter(|p| p.as_array().is_some_and(|a| !a.is_empty()))
            {
                Some(p) => zone["primary_nameservers"] = p.clone(),
                None => return Reply::invalid("primary_nameservers", "is required"),
            }
        }
        "import_zonefile" => {
            if mode != "primary" {
                return Reply::error(
                    422,
                    "unsupported_error",
                    "only primary zones import zone files",
                    Value::Null,
                );
            }
            let Some(text) = body.get("zonefile").and_then(Value::as_str) else {
                return Reply::invalid("zonefile", "is required");
            };
            if let Err(reply) = import(state, id, text) {
                return reply;
            }
        }
        _ => return Reply::no_route(),
    }
    action_reply(state, name, &[(id, "zone")])
}
