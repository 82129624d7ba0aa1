//! Simulated Rulesets API: zone phase entry points with stable refs, plan limits, and the zone's
//! ruleset list with cursor paging.

use http::Method;
use serde_json::{Value, json};

use super::router::{Reply, Req, err, err_at, ok, ok_info};
use super::state::State;
use crate::error::Error;
use crate::expression::lists_used;
use crate::hardening::limits::PlanLimits;
use crate::resources::rulesets::{Phase, Rule, RuleAction, Ruleset, RulesetKind, managed};

const VALIDATION: u32 = 20002;

fn rule_json(rule: &Rule) -> Value {
    let mut v = serde_json::to_value(rule).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("id".into(), json!(rule.id));
        o.insert("version".into(), json!(rule.version));
        o.insert("last_updated".into(), json!(rule.last_updated));
    }
    v
}

fn ruleset_json(rs: &Ruleset, with_rules: bool) -> Value {
    let mut v = json!({
        "id": rs.id, "name": rs.name, "description": rs.description, "kind": rs.kind,
        "phase": rs.phase, "version": rs.version, "last_updated": rs.last_updated,
    });
    if with_rules {
        v["rules"] = Value::Array(rs.rules.iter().map(rule_json).collect());
    }
    v
}

fn managed_rulesets() -> Vec<Ruleset> {
    [
        (managed::CLOUDFLARE_MANAGED, "Cloudflare Managed Ruleset"),
        (managed::OWASP_CORE, "Cloudflare OWASP Core Ruleset"),
        (managed::FREE_MANAGED, "Cloudflare Managed Free Ruleset"),
    ]
    .into_iter()
    .map(|(id, name)| Ruleset {
        id: id.into(),
        name: Some(name.into()),
        description: Some(String::new()),
        kind: Some(RulesetKind::Managed),
        phase: Some(Phase::HttpRequestFirewallManaged),
        version: Some("100".into()),
        last_updated: Some("2026-01-01T00:00:00Z".into()),
        rules: Vec::new(),
    })
    .collect()
}

fn invalid_at(i: usize, e: Error) -> Reply {
    match e {
        // Cloudflare words expression errors as "filter parsing error".
        Error::Invalid { field, reason } if field == "expression" => err_at(
            400,
            VALIDATION,
            format!("filter parsing error: {reason}"),
            &format!("/rules/{i}/expression"),
        ),
        Error::Invalid { field, reason } => err_at(
            400,
            VALIDATION,
            format!("{field}: {reason}"),
            &format!("/rules/{i}/{}", field.replace('.', "/")),
        ),
        other => err_at(400, VALIDATION, other.to_string(), &format!("/rules/{i}")),
    }
}

pub(super) fn route(state: &mut State, zone_id: &str, req: &Req<'_>, rest: &[&str]) -> Reply {
    match (req.method.clone(), rest) {
        (Method::GET, []) => list(state, zone_id, req),
        (Method::GET, ["phases", phase, "entrypoint"]) => {
            let Some(zone) = state.zones.get(zone_id) else {
                return err(404, 7003, "No route for the URI");
            };
            match zone.rulesets.get(*phase) {
                Some(rs) => ok(ruleset_json(rs, true)),
                None => err(
                    404,
                    10003,
                    format!("could not find entrypoint ruleset in the {phase} phase"),
                ),
            }
        }
        (Method::PUT, ["phases", phase, "entrypoint"]) => {
            put_entrypoint(state, zone_id, phase, req)
        }
        (Method::GET, ["phases", phase, "entrypoint", "versions", version @ ..]) => {
            let Some(id) = state
                .zones
                .get(zone_id)
                .and_then(|z| z.rulesets.get(*phase))
                .map(|r| r.id.clone())
            else {
                return err(
                    404,
                    10003,
                    format!("could not find entrypoint ruleset in the {phase} phase"),
                );
            };
            match version {
                [] => versions(state, zone_id, &id, None),
                [v] => versions(state, zone_id, &id, Some(v)),
                _ => err(404, 7003, "No route for the URI"),
            }
        }
        (Method::POST, [id, "rules"]) => one_rule(state, zone_id, id, None, req),
        (Method::PATCH | Method::DELETE, [id, "rules", rule_id]) => {
            one_rule(state, zone_id, id, Some(rule_id), req)
        }
        (Method::GET, [id, "versions"]) => versions(state, zone_id, id, None),
        (Method::GET, [id, "versions", v]) => versions(state, zone_id, id, Some(v)),
        (Method::GET, [id]) => {
            let Some(zone) = state.zones.get(zone_id) else {
                return err(404, 7003, "No route for the URI");
            };
            let found = zone
                .rulesets
                .values()
                .find(|r| r.id == *id)
                .cloned()
                .or_else(|| managed_rulesets().into_iter().find(|r| r.id == *id));
            match found {
                Some(rs) => ok(ruleset_json(&rs, true)),
                None => err(404, 10003, "could not find ruleset"),
            }
        }
        _ => err(404, 7003, "No route for the URI"),
    }
}

fn list(state: &mut State, zone_id: &str, req: &Req<'_>) -> Reply {
    let Some(zone) = state.zones.get(zone_id) else {
        return err(404, 7003, "No route for the URI");
    };
    let managed = managed_rulesets();
    let all: Vec<&Ruleset> = managed.iter().chain(zone.rulesets.values()).collect();
    let per_page = req
        .q("per_page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(50)
        .clamp(1, 50);
    let start = match req.q("cursor") {
        None | Some("") => 0,
        Some(c) => match c.strip_prefix("idx").and_then(|n| n.parse::<usize>().ok()) {
            Some(n) if n <= all.len() => n,
            _ => return err(400, VALIDATION, "invalid cursor"),
        },
    };
    let page: Vec<Value> = all
        .iter()
        .skip(start)
        .take(per_page)
        .map(|r| ruleset_json(r, false))
        .collect();
    let next = start + page.len();
    let cursor = if next < all.len() {
        format!("idx{next}")
    } else {
        String::new()
    };
    let count = page.len();
    ok_info(
        Value::Array(page),
        json!({"cursor": cursor, "per_page": per_page, "count": count}),
    )
}

fn put_entrypoint(state: &mut State, zone_id: &str, phase_str: &str, req: &Req<'_>) -> Reply {
    let phase = Phase::from(phase_str);
    if matches!(phase, Phase::Unknown(_)) {
        return err(400, VALIDATION, format!("{phase_str} is not a valid phase"));
    }
    let Some(rules_json) = req
        .body
        .as_ref()
        .and_then(|b| b.get("rules"))
        .and_then(Value::as_array)
        .cloned()
    else {
        return err_at(400, VALIDATION, "rules: required", "/rules");
    };
    let description = req
        .body
        .as_ref()
        .and_then(|b| b.get("description"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    replace(state, zone_id, phase_str, rules_json, description)
}

/// The phase key and current state of the zone ruleset `ruleset_id`.
fn by_id(state: &State, zone_id: &str, ruleset_id: &str) -> Option<(String, Ruleset)> {
    state
        .zones
        .get(zone_id)?
        .rulesets
        .iter()
        .find(|(_, r)| r.id == ruleset_id)
        .map(|(p, r)| (p.clone(), r.clone()))
}

/// `POST /rulesets/{id}/rules`, `PATCH`/`DELETE /rulesets/{id}/rules/{rule_id}`: the new rule
/// list goes through the same validation and versioning as a full `PUT`.
fn one_rule(
    state: &mut State,
    zone_id: &str,
    ruleset_id: &str,
    rule_id: Option<&str>,
    req: &Req<'_>,
) -> Reply {
    let Some((phase, current)) = by_id(state, zone_id, ruleset_id) else {
        return err(404, 10003, "could not find ruleset");
    };
    let mut rules: Vec<Value> = current.rules.iter().map(rule_json).collect();
    let description = current.description.clone().unwrap_or_default();
    let index = rule_id.map(|id| rules.iter().position(|r| r["id"] == id));
    match (req.method.clone(), index) {
        (Method::POST, None) => {
            let Some(mut rule) = req.body.clone().filter(Value::is_object) else {
                return err(400, VALIDATION, "body must be a rule");
            };
            let position = rule.as_object_mut().and_then(|o| o.remove("position"));
            let at = match position {
                None => rules.len(),
                Some(p) => {
                    let find = |id: &Value| rules.iter().position(|r| r["id"] == *id);
                    if let Some(i) = p.get("index").and_then(Value::as_u64) {
                        (i.max(1) as usize - 1).min(rules.len())
                    } else if let Some(b) = p.get("before") {
                        if b == "" {
                            0
                        } else {
                            match find(b) {
                                Some(i) => i,
                                None => {
                                    return err_at(
                                        400,
                                        VALIDATION,
                                        "unknown rule in position",
                                        "/position/before",
                                    );
                                }
                            }
                        }
                    } else if let Some(a) = p.get("after") {
                        if a == "" {
                            rules.len()
                        } else {
                            match find(a) {
                                Some(i) => i + 1,
                                None => {
                                    return err_at(
                                        400,
                                        VALIDATION,
                                        "unknown rule in position",
                                        "/position/after",
                                    );
                                }
                            }
                        }
                    } else {
                        return err_at(
                            400,
                            VALIDATION,
                            "position needs before, after or index",
                            "/position",
                        );
                    }
                }
            };
            if rule
                .get("ref")
                .and_then(Value::as_str)
                .is_some_and(|r| rules.iter().any(|x| x["ref"] == r))
            {
                return err_at(
                    400,
                    VALIDATION,
                    "a rule with this ref already exists",
                    "/ref",
                );
            }
            rules.insert(at, rule);
        }
        (Method::PATCH, Some(Some(i))) => {
            let Some(mut rule) = req.body.clone().filter(Value::is_object) else {
                return err(400, VALIDATION, "body must be a rule");
            };
            if rule.get("ref").is_none() {
                rule["ref"] = rules[i]["ref"].clone();
            }
            rules[i] = rule;
        }
        (Method::DELETE, Some(Some(i))) => {
            rules.remove(i);
        }
        (_, Some(None)) => return err(404, 10003, "could not find rule"),
        _ => return err(405, 7001, "Method not allowed"),
    }
    replace(state, zone_id, &phase, rules, description)
}

/// `…/versions` and `…/versions/{v}` of the zone ruleset `ruleset_id`.
fn versions(state: &State, zone_id: &str, ruleset_id: &str, version: Option<&str>) -> Reply {
    let Some(history) = state
        .zones
        .get(zone_id)
        .and_then(|z| z.history.get(ruleset_id))
    else {
        return err(404, 10003, "could not find ruleset");
    };
    match version {
        // Each version item is the ruleset's shape without its rules (`rulesets_RulesetResponse`
        // minus `rules`): id, name, description, kind, phase, version, last_updated.
        None => ok(Value::Array(
            history.iter().map(|r| ruleset_json(r, false)).collect(),
        )),
        Some(v) => match history.iter().find(|r| r.version.as_deref() == Some(v)) {
            Some(r) => ok(ruleset_json(r, true)),
            None => err(404, 10003, "could not find ruleset version"),
        },
    }
}

/// Validate, version and store a phase's new rule list.
fn replace(
    state: &mut State,
    zone_id: &str,
    phase_str: &str,
    rules_json: Vec<Value>,
    description: String,
) -> Reply {
    let phase = Phase::from(phase_str);
    let new_ids: Vec<String> = rules_json.iter().map(|_| state.new_id()).collect();
    let ruleset_id = state.new_id();
    let now = state.now();
    let list_names: Vec<String> = state.lists.iter().map(|l| l.name.clone()).collect();
    let Some(zone) = state.zones.get_mut(zone_id) else {
        return err(404, 7003, "No route for the URI");
    };
    let limits = PlanLimits::for_plan(&zone.tier);
    let mut rules: Vec<Rule> = Vec::new();
    for (i, v) in rules_json.into_iter().enumerate() {
        let mut rule: Rule = match serde_json::from_value(v) {
            Ok(r) => r,
            Err(e) => {
                return err_at(
                    400,
                    VALIDATION,
                    format!("invalid rule: {e}"),
                    &format!("/rules/{i}"),
                );
            }
        };
        if let RuleAction::Unknown(a) = &rule.action {
            return err_at(
                400,
                VALIDATION,
                format!("{a} is not a valid action"),
                &format!("/rules/{i}/action"),
            );
        }
        if rule.rule_ref.is_empty() {
            rule.rule_ref = new_ids[i].clone();
        } else if rules.iter().any(|r| r.rule_ref == rule.rule_ref) {
            return err_at(
                400,
                VALIDATION,
                format!("duplicate rule ref '{}' in the ruleset", rule.rule_ref),
                &format!("/rules/{i}/ref"),
            );
        }
        if let Err(e) = rule.validate(&phase) {
            return invalid_at(i, e);
        }

        // Like the API, a rule may only reference lists the account has.
        let unknown = lists_used(&rule.expression)
            .unwrap_or_default()
            .into_iter()
            .find(|l| !list_names.contains(l));
        if let Some(list) = unknown {
            return err_at(
                400,
                VALIDATION,
                format!("filter parsing error: unknown list ${list}"),
                &format!("/rules/{i}/expression"),
            );
        }
        if let Some((field, reason)) = limits
            .entitlement_problems(&phase, &rule)
            .into_iter()
            .next()
        {
            return err_at(
                400,
                VALIDATION,
                reason,
                &format!("/rules/{i}/{}", field.replace('.', "/")),
            );
        }
        rules.push(rule);
    }
    if let Some(max) = limits.max_rules(&phase)
        && rules.len() > max
    {
        return err_at(
            400,
            VALIDATION,
            format!("exceeded maximum number of rules ({max}) in phase {phase}"),
            "/rules",
        );
    }
    let previous = zone.rulesets.get(phase_str).cloned();
    let version = previous
        .as_ref()
        .and_then(|p| p.version.as_deref())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0)
        + 1;
    for (i, rule) in rules.iter_mut().enumerate() {
        let old = previous
            .as_ref()
            .and_then(|p| p.rules.iter().find(|r| r.rule_ref == rule.rule_ref));
        rule.id = Some(
            old.and_then(|o| o.id.clone())
                .unwrap_or_else(|| new_ids[i].clone()),
        );
        rule.version = Some(version.to_string());
        rule.last_updated = Some(now.clone());
        if rule.action == RuleAction::Execute
            && let Some(p) = rule.action_parameters.as_mut()
        {
            p.extra.entry("version").or_insert_with(|| json!("latest"));
        }
    }
    let rs = Ruleset {
        id: previous.as_ref().map_or(ruleset_id, |p| p.id.clone()),
        name: Some("default".into()),
        description: Some(description),
        kind: Some(RulesetKind::Zone),
        phase: Some(phase),
        version: Some(version.to_string()),
        last_updated: Some(now),
        rules,
    };
    zone.rulesets.insert(phase_str.to_owned(), rs.clone());
    zone.history
        .entry(rs.id.clone())
        .or_default()
        .push(rs.clone());
    ok(ruleset_json(&rs, true))
}
