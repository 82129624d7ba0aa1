//! Simulated `/firewalls` endpoints.

use http::Method;
use serde_json::{Value, json};

use super::listing::list;
use super::state::{Query, Reply, State, check_labels};
use super::wire::firewall_json;
use crate::labels::LabelSelector;
use crate::models::action::Action;
use crate::models::firewall::{
    AppliedTo, ApplyTo, ApplyToType, Firewall, FirewallRule, MAX_FIREWALL_NAME_LEN, validate_rules,
};

pub(crate) fn route(
    state: &mut State,
    method: &Method,
    rest: &[&str],
    query: &Query,
    body: &Value,
) -> Reply {
    match (method, rest) {
        (&Method::GET, []) => {
            let items: Vec<&Firewall> = state.firewalls.values().collect();
            let mut reply = list("firewalls", items, query);
            if let Some(firewalls) = reply
                .body
                .as_mut()
                .and_then(|b| b.get_mut("firewalls"))
                .and_then(Value::as_array_mut)
            {
                // only the page's firewalls: the servers their selectors match, full rules
                for entry in firewalls {
                    if let Some(fw) = entry["id"].as_u64().and_then(|id| state.firewalls.get(&id)) {
                        *entry = firewall_json(state, fw);
                    }
                }
            }
            reply
        }
        (&Method::POST, []) => create(state, body),
        (&Method::GET, ["actions", rest @ ..]) => {
            super::generic::actions_route(state, "firewall", None, rest, query)
        }
        (_, [id, ..]) if !exists(state, id) => {
            let known = matches!(
                (method, rest),
                (&Method::GET | &Method::PUT | &Method::DELETE, [_])
                    | (&Method::GET, [_, "actions"] | [_, "actions", _])
                    | (
                        &Method::POST,
                        [
                            _,
                            "actions",
                            "set_rules" | "apply_to_resources" | "remove_from_resources"
                        ]
                    )
            );
            if known {
                Reply::not_found()
            } else {
                Reply::no_route()
            }
        }
        (&Method::GET, [id, "actions", rest @ ..]) => {
            super::generic::actions_route(state, "firewall", id.parse().ok(), rest, query)
        }
        (&Method::PUT, [id]) => update(state, id.parse().unwrap_or_default(), body),
        (&Method::GET, [id]) => match id
            .parse::<u64>()
            .ok()
            .and_then(|id| state.firewalls.get(&id))
        {
            Some(fw) => Reply::json(200, json!({ "firewall": firewall_json(state, fw) })),
            None => Reply::not_found(),
        },
        (&Method::DELETE, [id]) => {
            let Some(id) = id
                .parse::<u64>()
                .ok()
                .filter(|id| state.firewalls.contains_key(id))
            else {
                return Reply::not_found();
            };
            // direct servers and label selectors are both listed in `applied_to`
            let in_use = state
                .firewalls
                .get(&id)
                .is_some_and(|f| !f.applied_to.is_empty());
            if in_use {
                return Reply::error(
                    422,
                    "resource_in_use",
                    "firewall is still applied to resources",
                    Value::Null,
                );
            }
            state.firewalls.remove(&id);
            Reply::empty()
        }
        (&Method::POST, [id, "actions", name]) => {
            let Some(id) = id
                .parse::<u64>()
                .ok()
                .filter(|id| state.firewalls.contains_key(id))
            else {
                return Reply::not_found();
            };
            match *name {
                "set_rules" => {
                    let Some(rules) = body.get("rules") else {
                        return Reply::invalid("rules", "is required");
                    };
                    let rules = match parse_rules(rules) {
                        Ok(rules) => rules,
                        Err(reply) => return reply,
                    };
                    if let Some(fw) = state.firewalls.get_mut(&id) {
                        fw.rules = rules;
                    }
                    let servers = applied_servers(state, id);
                    let mut resources: Vec<(u64, &str)> = vec![(id, "firewall")];
                    resources.extend(servers.iter().map(|s| (*s, "server")));
                    let action = state.start_action("set_firewall_rules", &resources, None);
                    Reply::json(201, json!({ "actions": [action] }))
                }
                "apply_to_resources" => targets(state, id, body, "apply_to", true),
                "remove_from_resources" => targets(state, id, body, "remove_from", false),
                _ => Reply::no_route(),
            }
        }
        _ => Reply::no_route(),
    }
}

fn exists(state: &State, id: &str) -> bool {
    id.parse::<u64>()
        .is_ok_and(|id| state.firewalls.contains_key(&id))
}

/// `PUT /firewalls/{id}`: name and labels.
fn update(state: &mut State, id: u64, body: &Value) -> Reply {
    for key in body.as_object().into_iter().flatten().map(|(k, _)| k) {
        if key != "name" && key != "labels" {
            return Reply::invalid(key, "cannot be updated");
        }
    }
    let labels = match check_labels(body) {
        Ok(labels) => labels,
        Err(reply) => return reply,
    };
    let name = body.get("name").and_then(Value::as_str);
    if let Some(name) = name {
        if name.is_empty() || name.chars().count() > MAX_FIREWALL_NAME_LEN {
            return Reply::invalid("name", "is invalid");
        }
        if state
            .firewalls
            .values()
            .any(|f| f.name == name && f.id != id)
        {
            return Reply::not_unique_named("firewall", "name");
        }
    }
    let Some(fw) = state.firewalls.get_mut(&id) else {
        return Reply::not_found();
    };
    if let Some(name) = name {
        fw.name = name.to_owned();
    }
    if body.get("labels").is_some() {
        fw.labels = labels;
    }
    let fw = fw.clone();
    state.tick();
    let fw = state
        .firewalls
        .get(&fw.id)
        .map(|fw| firewall_json(state, fw));
    Reply::json(200, json!({ "firewall": fw }))
}

/// Refuses targets that would leave a server with more than 5 firewalls.
fn over_limit(state: &State, id: u64, targets: &[ApplyTo]) -> Option<Reply> {
    let limit = super::servers::MAX_FIREWALLS_PER_SERVER;
    let selectors: Vec<LabelSelector> = targets
        .iter()
        .filter_map(|t| t.label_selector.as_ref())
        .filter_map(|s| LabelSelector::parse(&s.selector).ok())
        .collect();
    let too_many = state.servers.values().any(|s| {
        let direct = targets
            .iter()
            .any(|t| t.server.is_some_and(|r| r.id == s.server.id));
        let by_selector = selectors.iter().any(|sel| sel.matches(&s.server.labels));
        let applied = state.firewalls_of(s);
        let has = applied.iter().any(|f| f.id == id);
        let count = applied.len();
        (direct || by_selector) && !has && count >= limit
    });
    too_many.then(|| {
        Reply::error(
            403,
            "resource_limit_exceeded",
            "a server can be applied to at most 5 firewalls",
            Value::Null,
        )
    })
}

fn parse_rules(rules: &Value) -> Result<Vec<FirewallRule>, Reply> {
    let rules: Vec<FirewallRule> = serde_json::from_value(rules.clone())
        .map_err(|_| Reply::invalid("rules", "invalid rule"))?;
    validate_rules(&rules).map_err(|e| match e {
        crate::Error::Invalid { field, .. } => Reply::invalid(&field, "is invalid"),
        _ => Reply::invalid("rules", "is invalid"),
    })?;
    Ok(rules)
}

fn parse_targets(body: &Value, field: &str) -> Result<Vec<ApplyTo>, Reply> {
    let Some(value) = body.get(field) else {
        return Err(Reply::invalid(field, "is required"));
    };
    serde_json::from_value(value.clone()).map_err(|_| Reply::invalid(field, "invalid target"))
}

fn applied_servers(state: &State, firewall: u64) -> Vec<u64> {
    state
        .servers
        .values()
        .filter(|s| {
            s.server
                .public_net
                .firewalls
                .iter()
                .any(|f| f.id == firewall)
        })
        .map(|s| s.server.id)
        .collect()
}

fn create(state: &mut State, body: &Value) -> Reply {
    let Some(name) = body.get("name").and_then(Value::as_str) else {
        return Reply::invalid("name", "is required");
    };
    if name.is_empty() || name.chars().count() > MAX_FIREWALL_NAME_LEN {
        return Reply::invalid("name", "is invalid");
    }
    let labels = match check_labels(body) {
        Ok(labels) => labels,
        Err(reply) => return reply,
    };
    let rules = match body.get("rules") {
        Some(rules) => match parse_rules(rules) {
            Ok(rules) => rules,
            Err(reply) => return reply,
        },
        None => Vec::new(),
    };
    let apply = match body.get("apply_to") {
        Some(_) => match parse_targets(body, "apply_to") {
            Ok(t) => t,
            Err(reply) => return reply,
        },
        None => Vec::new(),
    };
    for (i, target) in apply.iter().enumerate() {
        if target.server.is_some() && apply[..i].iter().any(|t| t.server == target.server) {
            return Reply::error(
                422,
                "server_already_added",
                "server was applied more than once",
                Value::Null,
            );
        }
        if let Some(server) = &target.server
            && !state.servers.contains_key(&server.id)
        {
            return Reply::error(
                422,
                "firewall_resource_not_found",
                "server not found",
                Value::Null,
            );
        }
    }
    if state.firewalls.values().any(|f| f.name == name) {
        return Reply::error(
            409,
            "uniqueness_error",
            "firewall name is already used",
            json!({ "fields": [ { "name": "name" } ] }),
        );
    }
    let id = state.id();
    let firewall = Firewall {
        id,
        name: name.to_owned(),
        labels,
        created: state.now_wall(),
        rules,
        applied_to: Vec::new(),
    };
    state.firewalls.insert(id, firewall);
    let actions = apply_targets(state, id, &apply);
    state.tick();
    let firewall = state.firewalls.get(&id).map(|fw| firewall_json(state, fw));
    Reply::json(201, json!({ "firewall": firewall, "actions": actions }))
}

fn apply_targets(state: &mut State, id: u64, targets: &[ApplyTo]) -> Vec<Action> {
    let mut actions = Vec::new();
    for target in targets {
        if let Some(fw) = state.firewalls.get_mut(&id) {
            fw.applied_to.push(AppliedTo {
                kind: target.kind.clone(),
                server: target.server,
                label_selector: target.label_selector.clone(),
                applied_to_resources: Vec::new(),
            });
        }
        if let Some(server) = &target.server {
            let action = state.start_action(
                "apply_firewall",
                &[(id, "firewall"), (server.id, "server")],
                None,
            );
            if let Some(s) = state.servers.get_mut(&server.id) {
                if !s.direct_firewalls.contains(&id) {
                    s.direct_firewalls.push(id);
                }
                s.firewall_actions.insert(id, action.id);
            }
            actions.push(action);
        } else {
            let action = state.start_action("apply_firewall", &[(id, "firewall")], None);
            // servers the selector matches now get the firewall once this action has finished
            if let Some(selector) = target
                .label_selector
                .as_ref()
                .and_then(|s| LabelSelector::parse(&s.selector).ok())
            {
                for s in state.servers.values_mut() {
                    if selector.matches(&s.server.labels) && !s.direct_firewalls.contains(&id) {
                        s.firewall_actions.insert(id, action.id);
                    }
                }
            }
            actions.push(action);
        }
    }
    actions
}

fn targets(state: &mut State, id: u64, body: &Value, field: &str, apply: bool) -> Reply {
    let targets = match parse_targets(body, field) {
        Ok(t) => t,
        Err(reply) => return reply,
    };
    if targets.is_empty() {
        return Reply::invalid(field, "needs at least one target");
    }
    for target in &targets {
        if let Some(server) = &target.server {
            let Some(sim) = state.servers.get(&server.id) else {
                return Reply::error(
                    404,
                    "firewall_resource_not_found",
                    "server not found",
                    Value::Null,
                );
            };
            let direct = sim.direct_firewalls.contains(&id);
            if apply && direct {
                return Reply::error(
                    422,
                    "firewall_already_applied",
                    "firewall already applied to the server",
                    Value::Null,
                );
            }
            let applied_by_selector = !direct && state.firewalls_of(sim).iter().any(|f| f.id == id);
            if !apply && applied_by_selector {
                return Reply::error(
                    422,
                    "firewall_managed_by_label_selector",
                    "server is attached through a label selector",
                    Value::Null,
                );
            }
        } else if target.kind != ApplyToType::LabelSelector || target.label_selector.is_none() {
            return Reply::invalid(field, "invalid target");
        }
    }
    if apply && let Some(refusal) = over_limit(state, id, &targets) {
        return refusal;
    }
    let actions = if apply {
        apply_targets(state, id, &targets)
    } else {
        let mut actions = Vec::new();
        for target in &targets {
            if let Some(fw) = state.firewalls.get_mut(&id) {
                fw.applied_to.retain(|a| {
                    !(a.kind == target.kind
                        && a.server == target.server
                        && a.label_selector == target.label_selector)
                });
            }
            let mut resources = vec![(id, "firewall")];
            if let Some(server) = &target.server {
                if let Some(s) = state.servers.get_mut(&server.id) {
                    s.direct_firewalls.retain(|f| *f != id);
                    s.firewall_actions.remove(&id);
                }
                resources.push((server.id, "server"));
            }
            actions.push(state.start_action("remove_firewall", &resources, None));
        }
        actions
    };
    state.tick();
    Reply::json(201, json!({ "actions": actions }))
}
