//! The routes every resource kind shares, over resources stored as the API's JSON: list with
//! filters, get, update, delete (honouring delete protection), `change_protection`, and the
//! four action listings (`/{kind}/actions`, `/{kind}/actions/{id}`, `/{kind}/{id}/actions`,
//! `/{kind}/{id}/actions/{action_id}`). Each kind adds its create and its own actions.

use http::Method;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::listing::list;
use super::state::{Query, Reply, State, check_labels};
use crate::labels::Labels;
use crate::models::action::Action;

/// What a kind stored as JSON is, and what it adds to the shared routes.
pub(crate) struct Kind {
    /// Path segment and list key, e.g. `primary_ips`.
    pub(crate) plural: &'static str,
    /// Key of one entry, e.g. `primary_ip`.
    pub(crate) one: &'static str,
    /// `type` of the kind in action resources, e.g. `primary_ip`.
    pub(crate) action_type: &'static str,
    /// Whether the kind has action routes at all (placement groups have none).
    pub(crate) has_actions: bool,
    /// Action names besides `change_protection` (handled here) that `act` answers.
    pub(crate) actions: &'static [&'static str],
    /// Fields besides `name` and `labels` that `PUT` may change.
    pub(crate) updatable: &'static [&'static str],
    /// `POST /{kind}`.
    pub(crate) create: fn(&mut State, &Value) -> Reply,
    /// `POST /{kind}/{id}/actions/{name}` for the names in `actions`.
    pub(crate) act: fn(&mut State, u64, &str, &Value) -> Reply,
    /// Refuses a delete (for example while attached), before protection is checked.
    pub(crate) refuse_delete: fn(&State, u64) -> Option<Reply>,
    /// The action a delete answers with, for kinds whose delete is asynchronous (`None`:
    /// 204 without a body).
    pub(crate) delete_action: Option<&'static str>,
}

/// Labels of a stored entry.
pub(crate) fn labels_of(value: &Value) -> Labels {
    value
        .get("labels")
        .and_then(|l| Labels::deserialize(l).ok())
        .unwrap_or_default()
}

/// Query keys every list understands; any other key filters on the entry's field of that name.
const LIST_KEYS: &[&str] = &["name", "label_selector", "sort", "page", "per_page"];

/// Answers `rest` (the path below `/{kind}`) for a kind stored as JSON.
pub(crate) fn route(
    state: &mut State,
    kind: &Kind,
    method: &Method,
    rest: &[&str],
    query: &Query,
    body: &Value,
) -> Reply {
    match (method, rest) {
        (&Method::GET, []) => {
            let entries: Vec<&Value> = state
                .store(kind.plural)
                .values()
                .filter(|v| matches_fields(v, query))
                .collect();
            list(kind.plural, entries, query)
        }
        (&Method::POST, []) => (kind.create)(state, body),
        (&Method::GET, ["actions", ..]) if kind.has_actions => {
            actions_route(state, kind.action_type, None, &rest[1..], query)
        }
        (_, [id, ..]) if find(state, kind, id).is_none() => {
            if is_route(kind, method, rest) {
                Reply::not_found()
            } else {
                Reply::no_route()
            }
        }
        (&Method::GET, [id]) => {
            let value = find(state, kind, id).cloned();
            Reply::json(200, json!({ kind.one: value }))
        }
        (&Method::PUT, [id]) => update(state, kind, parse(id), body),
        (&Method::DELETE, [id]) => {
            let id = parse(id);
            if let Some(refusal) = (kind.refuse_delete)(state, id) {
                return refusal;
            }
            if is_protected(state.store(kind.plural).get(&id), "delete") {
                return Reply::protected();
            }
            state.store_mut(kind.plural).remove(&id);
            match kind.delete_action {
                Some(command) => {
                    let action = state.start_action(command, &[(id, kind.action_type)], None);
                    Reply::json(200, json!({ "action": action }))
                }
                None => Reply::empty(),
            }
        }
        (&Method::GET, [id, "actions", ..]) if kind.has_actions => {
            actions_route(state, kind.action_type, Some(parse(id)), &rest[2..], query)
        }
        (&Method::POST, [id, "actions", "change_protection"]) if kind.has_actions => {
            change_protection(state, kind.plural, kind.action_type, parse(id), body)
        }
        (&Method::POST, [id, "actions", name]) if kind.actions.contains(name) => {
            (kind.act)(state, parse(id), name, body)
        }
        _ => Reply::no_route(),
    }
}

/// True when `method rest` is one of the kind's routes (so a missing id is a 404 of the
/// resource, not of the route).
fn is_route(kind: &Kind, method: &Method, rest: &[&str]) -> bool {
    match (method, rest) {
        (&Method::GET | &Method::PUT | &Method::DELETE, [_]) => true,
        (&Method::GET, [_, "actions"] | [_, "actions", _]) => kind.has_actions,
        (&Method::POST, [_, "actions", name]) => {
            kind.has_actions && (*name == "change_protection" || kind.actions.contains(name))
        }
        _ => false,
    }
}

fn parse(id: &str) -> u64 {
    id.parse().unwrap_or_default()
}

fn find<'a>(state: &'a State, kind: &Kind, id: &str) -> Option<&'a Value> {
    id.parse::<u64>()
        .ok()
        .and_then(|id| state.objects.get(kind.plural)?.get(&id))
}

/// Filters on fields named by query keys the shared list does not handle (`ip`, `status`...).
fn matches_fields(value: &Value, query: &Query) -> bool {
    query
        .0
        .iter()
        .filter(|(k, _)| !LIST_KEYS.contains(&k.as_str()))
        .all(|(k, _)| {
            let wanted = query.all(k);
            match value.get(k.as_str()) {
                Some(Value::String(s)) => wanted.contains(&s.as_str()),
                Some(Value::Number(n)) => wanted.contains(&n.to_string().as_str()),
                Some(Value::Bool(b)) => wanted.contains(&b.to_string().as_str()),
                _ => true,
            }
        })
}

/// True when `protection.{flag}` of `value` is set.
pub(crate) fn is_protected(value: Option<&Value>, flag: &str) -> bool {
    value
        .and_then(|v| v.pointer(&format!("/protection/{flag}")))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

fn update(state: &mut State, kind: &Kind, id: u64, body: &Value) -> Reply {
    let Some(fields) = body.as_object() else {
        return Reply::invalid("body", "must be an object");
    };
    let labels = match check_labels(body) {
        Ok(labels) => labels,
        Err(reply) => return reply,
    };
    if let Some(name) = fields.get("name") {
        let Some(name) = name.as_str().filter(|n| !n.is_empty()) else {
            return Reply::invalid("name", "must be a non-empty string");
        };
        if name_taken(state, kind.plural, name, Some(id)) {
            return Reply::not_unique_named(kind.one, "name");
        }
    }
    for (key, value) in fields {
        if key != "name" && key != "labels" && !kind.updatable.contains(&key.as_str()) {
            return Reply::invalid(key, "cannot be updated");
        }
        if value.is_null() && key != "description" {
            return Reply::invalid(key, "must not be null");
        }
    }
    let Some(entry) = state
        .store_mut(kind.plural)
        .get_mut(&id)
        .and_then(Value::as_object_mut)
    else {
        return Reply::not_found();
    };
    for (key, value) in fields {
        if key == "labels" {
            entry.insert(key.clone(), json!(labels));
        } else {
            entry.insert(key.clone(), value.clone());
        }
    }
    let value = Value::Object(entry.clone());
    Reply::json(200, json!({ kind.one: value }))
}

/// True when another entry of `plural` is called `name`.
pub(crate) fn name_taken(state: &State, plural: &str, name: &str, except: Option<u64>) -> bool {
    state.objects.get(plural).is_some_and(|store| {
        store.iter().any(|(id, v)| {
            Some(*id) != except && v.get("name").and_then(Value::as_str) == Some(name)
        })
    })
}

/// Sets the protection flags given in `body` (each must already exist on the entry).
pub(crate) fn change_protection(
    state: &mut State,
    plural: &'static str,
    action_type: &str,
    id: u64,
    body: &Value,
) -> Reply {
    let Some(flags) = body.as_object().filter(|f| !f.is_empty()) else {
        return Reply::invalid("delete", "set at least one protection flag");
    };
    let Some(protection) = state
        .store_mut(plural)
        .get_mut(&id)
        .and_then(|v| v.get_mut("protection"))
        .and_then(Value::as_object_mut)
    else {
        return Reply::not_found();
    };
    let mut next: Map<String, Value> = protection.clone();
    for (flag, value) in flags {
        if !protection.contains_key(flag) {
            return Reply::invalid(flag, "is not a protection flag of this resource");
        }
        let Some(on) = value.as_bool() else {
            return Reply::invalid(flag, "must be a boolean");
        };
        next.insert(flag.clone(), json!(on));
    }
    *protection = next;
    let action = state.start_action("change_protection", &[(id, action_type)], None);
    Reply::json(201, json!({ "action": action }))
}

/// `GET /{kind}/actions[/{id}]` and `GET /{kind}/{id}/actions[/{action_id}]`.
pub(crate) fn actions_route(
    state: &State,
    action_type: &str,
    resource: Option<u64>,
    rest: &[&str],
    query: &Query,
) -> Reply {
    let now = tokio::time::Instant::now();
    let touches = |a: &Action| {
        a.resources
            .iter()
            .any(|r| r.kind == action_type && resource.is_none_or(|id| r.id == id))
    };
    match rest {
        [] => {
            let ids = query.all("id");
            let statuses = query.all("status");
            // one resource's actions come from the index; the whole kind's walk them all
            let candidates: Vec<u64> = match resource {
                Some(id) => state.actions_of(action_type, id).collect(),
                None => state.actions.keys().copied().collect(),
            };
            let found: Vec<Action> = candidates
                .into_iter()
                .filter_map(|id| state.actions.get(&id))
                .filter(|a| touches(&a.action))
                .filter(|a| ids.is_empty() || ids.contains(&a.action.id.to_string().as_str()))
                .map(|a| a.at(now))
                .filter(|a| statuses.is_empty() || statuses.contains(&a.status.as_str()))
                .collect();
            list("actions", found.iter().collect(), query)
        }
        [action_id] => match action_id
            .parse::<u64>()
            .ok()
            .and_then(|id| state.actions.get(&id))
            .filter(|a| touches(&a.action))
        {
            Some(a) => Reply::json(200, json!({ "action": a.at(now) })),
            None => Reply::not_found(),
        },
        _ => Reply::no_route(),
    }
}

/// Resolves a reference the API takes as a name or an id (a JSON string or number) against
/// `(id, name)` pairs; `Err` is the `invalid_input` reply naming `field`.
pub(crate) fn resolve<'a>(
    field: &str,
    reference: Option<&Value>,
    candidates: impl IntoIterator<Item = (u64, &'a str)>,
) -> Result<Option<u64>, Reply> {
    let text = match reference {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => return Err(Reply::invalid(field, "must be a name or an id")),
    };
    candidates
        .into_iter()
        .find(|(id, name)| *name == text || id.to_string() == text)
        .map(|(id, _)| Some(id))
        .ok_or_else(|| Reply::invalid(field, &format!("{field} {text} not found")))
}

/// Resolves the location reference in `field` (a name or an id) against the simulator's
/// locations; `Err` is the `invalid_input` reply naming `field`.
pub(crate) fn resolve_location(
    state: &State,
    field: &str,
    reference: Option<&Value>,
) -> Result<Option<u64>, Reply> {
    resolve(
        field,
        reference,
        state.locations.iter().map(|l| (l.id, l.name.as_str())),
    )
}

/// The optional `server` id of a create body, which must name an existing server.
pub(crate) fn optional_server(state: &State, body: &Value) -> Result<Option<u64>, Reply> {
    match body.get("server") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .filter(|id| state.servers.contains_key(id))
            .map(Some)
            .ok_or_else(|| Reply::invalid("server", "server not found")),
    }
}

/// `{ "action": .. }` of a new action on one resource.
pub(crate) fn action_reply(state: &mut State, command: &str, resources: &[(u64, &str)]) -> Reply {
    let action = state.start_action(command, resources, None);
    Reply::json(201, json!({ "action": action }))
}
