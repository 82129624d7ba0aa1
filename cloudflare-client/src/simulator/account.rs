//! Simulated token verification, account lists (with asynchronous item operations), Origin CA
//! certificates, cache purge and zone-level Authenticated Origin Pulls.

use http::Method;
use serde_json::{Value, json};

use super::router::{Reply, Req, err, err_at, ok, ok_info, page_with};
use super::state::{SimList, SimOperation, State};
use crate::resources::lists::check_list_name;
use crate::resources::origin_ca::VALIDITY_DAYS;

/// Lists validation code.
const LIST_INVALID: u32 = 10021;
/// "maximum number of custom lists" (code seen on real accounts).
const LIST_QUOTA: u32 = 10019;
/// A list that a rule's expression references cannot be deleted.
const LIST_IN_USE: u32 = 10031;

pub(super) fn verify_token(state: &State) -> Reply {
    let status = state.token_status.as_deref().unwrap_or("active");
    ok(json!({"id": "ed17574386854bf78a67040be0a770b0", "status": status}))
}

pub(super) fn purge(state: &mut State, zone_id: &str, req: &Req<'_>) -> Reply {
    if *req.method != Method::POST {
        return err(405, 7001, "Method not allowed");
    }
    let id = state.new_id();
    let Some(zone) = state.zones.get_mut(zone_id) else {
        return err(404, 7003, "No route for the URI");
    };
    let Some(body) = req.body.as_ref().and_then(Value::as_object) else {
        return err(
            400,
            1012,
            "Request must contain one of purge_everything, files, tags, hosts or prefixes",
        );
    };
    let kinds = ["purge_everything", "files", "tags", "hosts", "prefixes"];
    let given: Vec<&String> = body
        .keys()
        .filter(|k| kinds.contains(&k.as_str()))
        .collect();
    if given.len() != 1 || body.len() != 1 {
        return err(
            400,
            1012,
            "Request must contain exactly one of purge_everything, files, tags, hosts or prefixes",
        );
    }
    match &body[given[0].as_str()] {
        Value::Bool(true) if given[0] == "purge_everything" => {}
        Value::Array(a) if given[0] != "purge_everything" && !a.is_empty() && a.len() <= 30 => {}
        _ => return err_at(400, 1012, "invalid purge value", &format!("/{}", given[0])),
    }
    zone.purges.push(Value::Object(body.clone()));
    ok(json!({"id": id}))
}

pub(super) fn origin_pulls(state: &mut State, zone_id: &str, req: &Req<'_>) -> Reply {
    let Some(zone) = state.zones.get_mut(zone_id) else {
        return err(404, 7003, "No route for the URI");
    };
    match *req.method {
        Method::GET => ok(json!({"enabled": zone.origin_pulls})),
        Method::PUT => match req.body.as_ref().and_then(|b| b.get("enabled")) {
            Some(Value::Bool(on)) => {
                zone.origin_pulls = *on;
                ok(json!({"enabled": on}))
            }
            _ => err_at(400, 1004, "enabled: required boolean", "/enabled"),
        },
        _ => err(405, 7001, "Method not allowed"),
    }
}

fn list_json(state: &State, l: &SimList) -> Value {
    json!({"id": l.id, "name": l.name, "kind": l.kind, "description": l.description.clone().unwrap_or_default(),
           "num_items": l.items.len(), "num_referencing_filters": rules_using(state, &l.name).len(),
           "created_on": l.created_on, "modified_on": l.modified_on})
}

/// The most lists an account may hold: that of its best zone's plan.
fn list_quota(state: &State) -> usize {
    use crate::resources::zones::PlanTier;
    state
        .zones
        .values()
        .map(|z| match z.tier {
            PlanTier::Enterprise => 1000,
            PlanTier::Pro | PlanTier::Business => 10,
            _ => 1,
        })
        .max()
        .unwrap_or(1)
}

/// The items of a write to a list of `kind`, each with its id (kept when the same value is
/// already in the list) and timestamps.
fn parse_items(
    body: Option<&Value>,
    kind: &str,
    existing: &[Value],
    state: &mut State,
) -> Result<Vec<Value>, Reply> {
    let Some(items) = body.and_then(Value::as_array) else {
        return Err(err(400, LIST_INVALID, "body must be an array of items"));
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let (key, value) = super::list_items::item_value(kind, item)
            .map_err(|(at, message)| err_at(400, LIST_INVALID, message, &format!("/{i}{at}")))?;
        let id = existing
            .iter()
            .find(|e| e[key] == value)
            .and_then(|e| e["id"].as_str().map(str::to_owned))
            .unwrap_or_else(|| state.new_id());
        let now = state.now();
        let mut v = json!({"id": id, key: value, "created_on": now, "modified_on": now});
        if let Some(c) = item.get("comment").and_then(Value::as_str) {
            v["comment"] = json!(c);
        }
        out.push(v);
    }
    Ok(out)
}

/// The key a list of `kind` stores its item values under.
fn item_key(kind: &str) -> &str {
    match kind {
        "hostname" | "asn" | "redirect" => kind,
        _ => "ip",
    }
}

/// Names of the zone rules (`zone/phase/ref`) whose expression uses the list `name`.
fn rules_using(state: &State, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for zone in state.zones.values() {
        for (phase, rs) in &zone.rulesets {
            for rule in &rs.rules {
                if crate::expression::lists_used(&rule.expression)
                    .unwrap_or_default()
                    .iter()
                    .any(|l| l == name)
                {
                    out.push(format!("{}/{phase}/{}", zone.name, rule.rule_ref));
                }
            }
        }
    }
    out
}

fn operation(state: &mut State, error: Option<String>) -> Reply {
    let id = state.new_id();
    state
        .operations
        .insert(id.clone(), SimOperation { polls: 0, error });
    ok(json!({"operation_id": id}))
}

pub(super) fn lists(state: &mut State, req: &Req<'_>, rest: &[&str]) -> Reply {
    match (req.method.clone(), rest) {
        (Method::GET, []) => ok(Value::Array(
            state.lists.iter().map(|l| list_json(state, l)).collect(),
        )),
        (Method::POST, []) => {
            let body = req.body.clone().unwrap_or_default();
            let name = body["name"].as_str().unwrap_or_default().to_owned();
            if check_list_name(&name).is_err() {
                return err_at(
                    400,
                    LIST_INVALID,
                    "name: 1 to 50 letters, digits or _",
                    "/name",
                );
            }
            let kind = body["kind"].as_str().unwrap_or_default().to_owned();
            if !["ip", "redirect", "hostname", "asn"].contains(&kind.as_str()) {
                return err_at(
                    400,
                    LIST_INVALID,
                    "kind: ip, redirect, hostname or asn",
                    "/kind",
                );
            }
            if state.lists.iter().any(|l| l.name == name) {
                return err_at(
                    400,
                    LIST_INVALID,
                    "a list with this name already exists",
                    "/name",
                );
            }
            if state.lists.len() >= list_quota(state) {
                return err(
                    400,
                    LIST_QUOTA,
                    "You have reached the maximum number of custom lists for this account",
                );
            }
            let now = state.now();
            let list = SimList {
                id: state.new_id(),
                name,
                kind,
                description: body["description"].as_str().map(str::to_owned),
                items: Vec::new(),
                created_on: now.clone(),
                modified_on: now,
            };
            let v = list_json(state, &list);
            state.lists.push(list);
            ok(v)
        }
        (Method::GET, ["bulk_operations", op]) => {
            let Some(o) = state.operations.get_mut(*op) else {
                return err(404, 10006, "operation not found");
            };
            o.polls += 1;
            let status = match (&o.error, o.polls) {
                (_, 1) => "running",
                (Some(_), _) => "failed",
                (None, _) => "completed",
            };
            let mut v = json!({"id": op, "status": status});
            if status == "failed" {
                v["error"] = json!(o.error);
            }
            if status == "completed" {
                v["completed"] = json!("2026-01-01T00:00:00Z");
            }
            ok(v)
        }
        (_, [list_id, rest @ ..]) => {
            let Some(idx) = state.lists.iter().position(|l| l.id == *list_id) else {
                return err(404, 10006, "list not found");
            };
            match (req.method.clone(), rest) {
                (Method::GET, []) => ok(list_json(state, &state.lists[idx])),
                (Method::DELETE, []) => {
                    let users = rules_using(state, &state.lists[idx].name);
                    if !users.is_empty() {
                        // What the live API answers for a list a rule references.
                        return err(
                            400,
                            LIST_IN_USE,
                            format!(
                                "This list is referenced by {} filter(s) and cannot be deleted: {}",
                                users.len(),
                                users.join(", ")
                            ),
                        );
                    }
                    let l = state.lists.remove(idx);
                    ok(json!({"id": l.id}))
                }
                (Method::PUT, []) => {
                    // Only the description can change (`lists_description`).
                    match req.body.as_ref().map(|b| &b["description"]) {
                        Some(Value::String(d)) if d.chars().count() <= 500 => {
                            state.lists[idx].description = Some(d.clone());
                            state.lists[idx].modified_on = state.now();
                            ok(list_json(state, &state.lists[idx]))
                        }
                        _ => err_at(
                            400,
                            LIST_INVALID,
                            "description: a string of at most 500 characters",
                            "/description",
                        ),
                    }
                }
                (Method::GET, ["items"]) => items_page(&state.lists[idx], req),
                (Method::GET, ["items", item_id]) => {
                    match state.lists[idx].items.iter().find(|i| i["id"] == *item_id) {
                        Some(item) => ok(item.clone()),
                        None => err(404, 10006, "list item not found"),
                    }
                }
                (Method::PUT, ["items"]) => {
                    let existing = state.lists[idx].items.clone();
                    let kind = state.lists[idx].kind.clone();
                    match parse_items(req.body.as_ref(), &kind, &existing, state) {
                        Ok(items) => {
                            state.lists[idx].items = items;
                            state.lists[idx].modified_on = state.now();
                            operation(state, None)
                        }
                        Err(e) => e,
                    }
                }
                (Method::POST, ["items"]) => {
                    let existing = state.lists[idx].items.clone();
                    let kind = state.lists[idx].kind.clone();
                    match parse_items(req.body.as_ref(), &kind, &existing, state) {
                        Ok(items) => {
                            let list = &mut state.lists[idx];
                            let key = item_key(&kind);
                            for it in items {
                                list.items.retain(|e| e[key] != it[key]);
                                list.items.push(it);
                            }
                            operation(state, None)
                        }
                        Err(e) => e,
                    }
                }
                (Method::DELETE, ["items"]) => {
                    let ids: Vec<String> = req
                        .body
                        .as_ref()
                        .and_then(|b| b["items"].as_array())
                        .map(|a| {
                            a.iter()
                                .filter_map(|i| i["id"].as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default();
                    if ids.is_empty() {
                        return err_at(400, LIST_INVALID, "items: at least one id", "/items");
                    }
                    state.lists[idx]
                        .items
                        .retain(|e| !ids.iter().any(|id| e["id"] == id.as_str()));
                    operation(state, None)
                }
                _ => err(405, 7001, "Method not allowed"),
            }
        }
        _ => err(405, 7001, "Method not allowed"),
    }
}

fn items_page(list: &SimList, req: &Req<'_>) -> Reply {
    let per_page = req
        .q("per_page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(25)
        .clamp(1, 500);
    let start = match req.q("cursor") {
        None | Some("") => 0,
        Some(c) => match c
            .strip_prefix("after")
            .and_then(|n| n.parse::<usize>().ok())
        {
            Some(n) if n <= list.items.len() => n,
            _ => return err(400, LIST_INVALID, "invalid cursor"),
        },
    };
    let page: Vec<Value> = list
        .items
        .iter()
        .skip(start)
        .take(per_page)
        .cloned()
        .collect();
    let next = start + page.len();
    let info = if next < list.items.len() {
        json!({"cursors": {"after": format!("after{next}")}})
    } else {
        json!({"cursors": {}})
    };
    ok_info(Value::Array(page), info)
}

fn fake_pem(seed: &str) -> String {
    let mut body = String::new();
    for (i, b) in seed.bytes().cycle().take(192).enumerate() {
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        body.push(char::from(alphabet[(usize::from(b) + i) % 64]));
        if i % 64 == 63 {
            body.push('\n');
        }
    }
    format!("-----BEGIN CERTIFICATE-----\nMII{body}-----END CERTIFICATE-----\n")
}

pub(super) fn certificates(state: &mut State, req: &Req<'_>, rest: &[&str]) -> Reply {
    match (req.method.clone(), rest) {
        (Method::GET, []) => {
            let Some(zone) = req.q("zone_id") else {
                return err(400, 1001, "zone_id is required");
            };
            let certs: Vec<&Value> = state
                .certificates
                .iter()
                .filter(|(z, c)| z == zone && c.get("revoked_at").is_none())
                .map(|(_, c)| c)
                .collect();
            // `page`/`per_page` as the OpenAPI document lists them: an auto-paging client asks
            // for page after page until one comes back empty.
            page_with(&certs, req, 20, 50, |c| (*c).clone())
        }
        (Method::POST, []) => {
            let body = req.body.clone().unwrap_or_default();
            let csr = body["csr"].as_str().unwrap_or_default();
            if !csr
                .trim_start()
                .starts_with("-----BEGIN CERTIFICATE REQUEST-----")
            {
                return err_at(400, 1010, "The CSR is invalid", "/csr");
            }
            let hostnames: Vec<String> = body["hostnames"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|h| h.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let zone = hostnames.first().and_then(|h| {
                let bare = h.strip_prefix("*.").unwrap_or(h);
                state
                    .zones
                    .values()
                    .find(|z| bare == z.name || bare.ends_with(&format!(".{}", z.name)))
                    .map(|z| z.id.clone())
            });
            let all_in_zone = hostnames.iter().all(|h| {
                let bare = h.strip_prefix("*.").unwrap_or(h);
                zone.as_ref()
                    .and_then(|z| state.zones.get(z))
                    .is_some_and(|z| bare == z.name || bare.ends_with(&format!(".{}", z.name)))
            });
            let (Some(zone), true) = (zone, all_in_zone && !hostnames.is_empty()) else {
                return err_at(
                    400,
                    1010,
                    "hostnames must belong to one zone of the account",
                    "/hostnames",
                );
            };
            let validity = body["requested_validity"].as_u64().unwrap_or(5475);
            if !VALIDITY_DAYS.iter().any(|d| u64::from(*d) == validity) {
                return err_at(
                    400,
                    1010,
                    "invalid requested_validity",
                    "/requested_validity",
                );
            }
            let request_type = body["request_type"].as_str().unwrap_or_default().to_owned();
            if !["origin-rsa", "origin-ecc", "keyless-certificate"].contains(&request_type.as_str())
            {
                return err_at(400, 1010, "invalid request_type", "/request_type");
            }
            let id = state.new_id();
            let cert = json!({"id": id, "certificate": fake_pem(&id), "csr": csr, "hostnames": hostnames,
                              "expires_on": "2027-01-01T00:00:00Z", "request_type": request_type,
                              "requested_validity": validity});
            state.certificates.push((zone, cert.clone()));
            ok(cert)
        }
        (method, [id]) => {
            let Some((_, cert)) = state
                .certificates
                .iter_mut()
                .find(|(_, c)| c["id"] == *id && c.get("revoked_at").is_none())
            else {
                return err(404, 1000, "certificate not found");
            };
            match method {
                Method::GET => ok(cert.clone()),
                Method::DELETE => {
                    cert["revoked_at"] = json!("2026-01-01T00:00:00Z");
                    ok(json!({"id": id, "revoked_at": "2026-01-01T00:00:00Z"}))
                }
                _ => err(405, 7001, "Method not allowed"),
            }
        }
        _ => err(405, 7001, "Method not allowed"),
    }
}
