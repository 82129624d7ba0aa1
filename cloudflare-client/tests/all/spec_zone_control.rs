//! The zone control plane calls against Cloudflare's OpenAPI document (the subset in
//! `tests/spec/cloudflare-zone-control-subset.openapi.json`, values unmodified): every request
//! has a path and method the document declares, only declared query parameters, and a body valid
//! against the operation's request schema (undeclared properties refused); every answer the
//! simulator gives to those requests has a `result` valid against the operation's response
//! schema.

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use cloudflare_client::PlanTier;
use cloudflare_client::resources::cache::{self, Purge};
use cloudflare_client::resources::lists::{self, ListItem, NewList};
use cloudflare_client::resources::origin_ca::{self, NewOriginCertificate};
use cloudflare_client::resources::rulesets::{
    self, CacheSettings, Phase, Position, Rule, RuleAction,
};
use cloudflare_client::resources::{dns, origin_pulls, tokens};
use cloudflare_client::simulator::Simulator;
use cloudflare_client::transport::request::RequestSpec;
use cloudflare_client::transport::{HttpRequest, HttpResponse, Transport, TransportError};
use serde_json::{Map, Value, json};

const Z: &str = "023e105f4ecef8ad9ca31a8372d0c353";
const A: &str = "01a7362d577a6c3019a474fd6f485823";
const CSR: &str =
    "-----BEGIN CERTIFICATE REQUEST-----\nMIIBszCCAVkCAQAw\n-----END CERTIFICATE REQUEST-----\n";

fn spec() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/spec/cloudflare-zone-control-subset.openapi.json"
    );
    let mut spec: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    // One correction: the generic rule's `action` pattern `^[a-z]+$` contradicts the document's
    // own action enums (`managed_challenge`, `set_config`, `set_cache_settings`), so no rule
    // with such an action could match; the pattern is dropped, the enums still apply.
    let action = spec
        .pointer_mut("/components/schemas/rulesets_RuleAction")
        .and_then(Value::as_object_mut)
        .unwrap();
    assert_eq!(action.remove("pattern"), Some(json!("^[a-z]+$")));
    spec
}

/// Inlines `#/components/...` references and turns OpenAPI 3.0 `nullable` into a JSON Schema
/// type union.
fn resolve(spec: &Value, schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                let target = spec.pointer(r.trim_start_matches('#')).unwrap();
                return resolve(spec, target);
            }
            let mut out: Map<String, Value> = map
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), "example" | "examples" | "discriminator"))
                .map(|(k, v)| (k.clone(), resolve(spec, v)))
                .collect();
            if map.get("nullable") == Some(&Value::Bool(true))
                && let Some(Value::String(t)) = map.get("type")
            {
                out.insert("type".into(), json!([t, "null"]));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| resolve(spec, v)).collect()),
        other => other.clone(),
    }
}

/// Forbids properties an object schema does not declare, so a misspelt field fails: plain
/// objects get `additionalProperties: false`, `allOf` compositions `unevaluatedProperties:
/// false` (their members, and alternatives inside them, stay open: each declares only part of
/// the object).
fn strict(schema: &Value) -> Value {
    strict_in(schema, false)
}

fn strict_in(schema: &Value, member_of_all_of: bool) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out: Map<String, Value> = map
                .iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("allOf", Value::Array(parts)) => {
                            Value::Array(parts.iter().map(|p| strict_in(p, true)).collect())
                        }
                        // Alternatives of a composed object are parts of it too.
                        ("oneOf" | "anyOf", Value::Array(parts)) => Value::Array(
                            parts
                                .iter()
                                .map(|p| strict_in(p, member_of_all_of))
                                .collect(),
                        ),
                        _ => strict_in(v, false),
                    };
                    (k.clone(), v)
                })
                .collect();
            let open = map.contains_key("additionalProperties") || member_of_all_of;
            if map.contains_key("allOf") && !open {
                out.insert("unevaluatedProperties".into(), Value::Bool(false));
            } else if map.contains_key("properties")
                && !open
                && !map.contains_key("oneOf")
                && !map.contains_key("anyOf")
            {
                out.insert("additionalProperties".into(), Value::Bool(false));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| strict_in(v, false)).collect()),
        other => other.clone(),
    }
}

fn template<'a>(spec: &'a Value, path: &str) -> Option<&'a str> {
    let concrete: Vec<&str> = path.trim_matches('/').split('/').collect();
    spec["paths"]
        .as_object()?
        .keys()
        .map(String::as_str)
        .find(|t| {
            let parts: Vec<&str> = t.trim_matches('/').split('/').collect();
            parts.len() == concrete.len()
                && parts
                    .iter()
                    .zip(&concrete)
                    .all(|(t, c)| t == c || t.starts_with('{'))
        })
}

fn operation<'a>(spec: &'a Value, method: &str, path: &str) -> (&'a str, &'a Value) {
    let tpl = template(spec, path).unwrap_or_else(|| panic!("{method} {path}: not in the spec"));
    let op = &spec["paths"][tpl][method];
    assert!(op.is_object(), "{method} {tpl}: no such operation");
    assert_ne!(
        op["deprecated"],
        Value::Bool(true),
        "{method} {tpl} is deprecated"
    );
    (tpl, op)
}

/// `readOnly: true` on the schema or on one of its `allOf` parts.
fn is_read_only(schema: &Value) -> bool {
    schema["readOnly"] == Value::Bool(true)
        || schema["allOf"]
            .as_array()
            .is_some_and(|parts| parts.iter().any(is_read_only))
}

/// OpenAPI: a `readOnly` property listed in `required` is required in responses only.
fn request_view(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            let read_only: Vec<&str> = map
                .get("properties")
                .and_then(Value::as_object)
                .map(|p| {
                    p.iter()
                        .filter(|(_, v)| is_read_only(v))
                        .map(|(k, _)| k.as_str())
                        .collect()
                })
                .unwrap_or_default();
            Value::Object(
                map.iter()
                    .map(|(k, v)| match (k.as_str(), v) {
                        ("required", Value::Array(names)) => (
                            k.clone(),
                            Value::Array(
                                names
                                    .iter()
                                    .filter(|n| !n.as_str().is_some_and(|n| read_only.contains(&n)))
                                    .cloned()
                                    .collect(),
                            ),
                        ),
                        _ => (k.clone(), request_view(v)),
                    })
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(request_view).collect()),
        other => other.clone(),
    }
}

fn check_request(spec: &Value, req: &RequestSpec) {
    let method = req.method.as_str().to_ascii_lowercase();
    let (tpl, op) = operation(spec, &method, &req.path);
    let declared: Vec<String> = op["parameters"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .map(|p| resolve(spec, p)["name"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default();
    for (name, _) in &req.query {
        assert!(
            declared.contains(name),
            "{method} {tpl}: undeclared query parameter {name}"
        );
    }
    let body_spec = resolve(spec, &op["requestBody"]);
    let schema = body_spec.pointer("/content/application~1json/schema");
    match (schema, &req.body) {
        (Some(schema), Some(body)) => {
            let schema = strict(&request_view(&resolve(spec, schema)));
            let v = jsonschema::validator_for(&schema).unwrap();
            let errors: Vec<String> = v
                .iter_errors(body)
                .map(|e| format!("{e} at {}", e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{method} {tpl}: {errors:?}\n{body}");
        }
        (None, Some(body)) => panic!("{method} {tpl}: body {body} sent but the spec has none"),
        _ => {}
    }
}

/// The most specific `result` schema of an envelope schema: Cloudflare composes responses as
/// `allOf [common envelope, ..., {result: the real type}]`, so the last `result` wins.
fn result_schema(schema: &Value, found: &mut Option<Value>) {
    if let Some(all) = schema["allOf"].as_array() {
        for part in all {
            result_schema(part, found);
        }
    }
    if let Some(r) = schema.pointer("/properties/result") {
        *found = Some(r.clone());
    }
}

/// The document's list item schema has `properties` for the item object and, beside them, a
/// `oneOf` of those same property schemas (a string, an integer, ...), which no item object can
/// match: it means "one of these properties". Such a `oneOf` is dropped.
fn drop_scalar_one_of(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            let props: Vec<&Value> = map
                .get("properties")
                .and_then(Value::as_object)
                .map(|p| p.values().collect())
                .unwrap_or_default();
            let scalar_one_of = map
                .get("oneOf")
                .and_then(Value::as_array)
                .is_some_and(|members| {
                    !props.is_empty() && members.iter().all(|m| props.contains(&m))
                });
            Value::Object(
                map.iter()
                    .filter(|(k, _)| !(scalar_one_of && k.as_str() == "oneOf"))
                    .map(|(k, v)| (k.clone(), drop_scalar_one_of(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(drop_scalar_one_of).collect()),
        other => other.clone(),
    }
}

fn check_response(spec: &Value, method: &str, path: &str, body: &Value) {
    let (tpl, op) = operation(spec, method, path);
    let Some(schema) = op.pointer("/responses/200/content/application~1json/schema") else {
        return;
    };
    let mut result = None;
    result_schema(&resolve(spec, schema), &mut result);
    let Some(result) = result else { return };
    let result = drop_scalar_one_of(&result);
    let v = jsonschema::validator_for(&result).unwrap();
    let errors: Vec<String> = v
        .iter_errors(&body["result"])
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {tpl} answer: {errors:?}\n{body}"
    );
}

#[test]
fn every_request_builder_matches_the_spec() {
    let spec = spec();
    let rule = Rule::new(
        "a",
        RuleAction::Block,
        "(http.request.uri.path contains \"/.git\")",
    )
    .description("d");
    let cache_rule = Rule::set_cache_settings("c", "true", &CacheSettings::bypass()).unwrap();
    let items = [ListItem::ip("198.51.100.0/24").unwrap().comment("office")];
    let cert = NewOriginCertificate::ecc(CSR, vec!["acme.example.com".into()]);
    let requests = vec![
        tokens::verify_request(),
        cache::purge_request(Z, &Purge::everything()).unwrap(),
        cache::purge_request(
            Z,
            &Purge::Files(vec!["https://www.example.com/a.js".into()]),
        )
        .unwrap(),
        cache::purge_request(Z, &Purge::Tags(vec!["t".into()])).unwrap(),
        cache::purge_request(Z, &Purge::Hosts(vec!["www.example.com".into()])).unwrap(),
        cache::purge_request(Z, &Purge::Prefixes(vec!["www.example.com/a".into()])).unwrap(),
        lists::list_request(A).unwrap(),
        lists::create_request(A, &NewList::ip("admin_ips")).unwrap(),
        lists::delete_request(A, "2c0fc9fa937b11eaa1b71c4d701ab86e").unwrap(),
        lists::items_request(A, "2c0fc9fa937b11eaa1b71c4d701ab86e", Some("abc")).unwrap(),
        lists::replace_items_request(A, "2c0fc9fa937b11eaa1b71c4d701ab86e", &items).unwrap(),
        lists::append_items_request(A, "2c0fc9fa937b11eaa1b71c4d701ab86e", &items).unwrap(),
        lists::delete_items_request(
            A,
            "2c0fc9fa937b11eaa1b71c4d701ab86e",
            &["6as9450mma215q6so7p79dnii15".into()],
        )
        .unwrap(),
        lists::operation_request(A, "4da8780eeb215e6cb7f48dd981c4ea02").unwrap(),
        origin_ca::create_request(&cert).unwrap(),
        origin_ca::list_request(Z).unwrap(),
        origin_ca::get_request("328578533902268680212849205732770752308931942346").unwrap(),
        origin_ca::revoke_request("328578533902268680212849205732770752308931942346").unwrap(),
        origin_pulls::get_request(Z).unwrap(),
        origin_pulls::put_request(Z, true).unwrap(),
        rulesets::get_request(Z, "2f2feab2026849078ba485f918791bdc").unwrap(),
        rulesets::add_rule_request(
            Z,
            "2f2feab2026849078ba485f918791bdc",
            &Phase::HttpRequestFirewallCustom,
            &rule,
            Some(&Position::Index(1)),
        )
        .unwrap(),
        rulesets::add_rule_request(
            Z,
            "2f2feab2026849078ba485f918791bdc",
            &Phase::HttpRequestCacheSettings,
            &cache_rule,
            None,
        )
        .unwrap(),
        rulesets::edit_rule_request(
            Z,
            "2f2feab2026849078ba485f918791bdc",
            "3a03d665bac047339bb530ecb439a90d",
            &Phase::HttpRequestFirewallCustom,
            &rule,
        )
        .unwrap(),
        rulesets::delete_rule_request(
            Z,
            "2f2feab2026849078ba485f918791bdc",
            "3a03d665bac047339bb530ecb439a90d",
        )
        .unwrap(),
        rulesets::versions_request(Z, "2f2feab2026849078ba485f918791bdc").unwrap(),
        rulesets::version_request(Z, "2f2feab2026849078ba485f918791bdc", "1").unwrap(),
        rulesets::entrypoint_versions_request(Z, &Phase::HttpConfigSettings).unwrap(),
        rulesets::entrypoint_version_request(Z, &Phase::HttpConfigSettings, "2").unwrap(),
        dns::export_request(Z).unwrap(),
    ];
    for r in &requests {
        check_request(&spec, r);
    }
}

#[test]
fn the_preset_entry_point_bodies_match_the_spec() {
    use cloudflare_client::hardening::preset::{RunbookOptions, runbook};
    let spec = spec();
    let options = RunbookOptions {
        admin_ips: vec!["198.51.100.0/24".into()],
        challenge_countries: vec!["CN".into()],
        ..Default::default()
    };
    for tier in PlanTier::known() {
        for phase in runbook(&tier, &options).unwrap().phases {
            if phase.phase == Phase::HttpRatelimit {
                // The 2024 document predates the rule's `ratelimit` object (see its SOURCE note).
                continue;
            }
            let req =
                rulesets::put_entrypoint_request(Z, &phase.phase, &phase.description, &phase.rules)
                    .unwrap();
            check_request(&spec, &req);
        }
    }
}

/// Forwards to the simulator and records every answer.
#[derive(Debug)]
struct Recorder {
    sim: Simulator,
    seen: Mutex<Vec<(String, String, u16, Value)>>,
}

#[async_trait]
impl Transport for Recorder {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let method = request.method.as_str().to_ascii_lowercase();
        let path = request
            .url
            .path()
            .trim_start_matches("/client/v4")
            .to_owned();
        let resp = self.sim.send(request).await?;
        let body = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
        self.seen
            .lock()
            .unwrap()
            .push((method, path, resp.status.as_u16(), body));
        Ok(resp)
    }
}

#[tokio::test(start_paused = true)]
async fn every_simulated_answer_matches_the_spec() {
    let sim = Simulator::new();
    let zone = sim.add_zone("example.com", PlanTier::Pro);
    let recorder = Arc::new(Recorder {
        sim: sim.clone(),
        seen: Mutex::default(),
    });
    let client = sim
        .client_builder()
        .transport(recorder.clone())
        .build()
        .unwrap();
    let account = sim.account_id().unwrap();

    client.tokens().ensure_active().await.unwrap();
    client
        .cache(&zone)
        .purge(&Purge::everything())
        .await
        .unwrap();
    let lists = client.lists(&account);
    let list = lists
        .create(&NewList::ip("admin_ips").description("admins"))
        .await
        .unwrap();
    let op = lists
        .replace_items(&list.id, &[ListItem::ip("198.51.100.0/24").unwrap()])
        .await
        .unwrap();
    lists.wait_for(&op).await.unwrap();
    let items = lists.items(&list.id).await.unwrap();
    let op = lists
        .delete_items(&list.id, &[items[0].id.clone()])
        .await
        .unwrap();
    lists.wait_for(&op).await.unwrap();
    lists.list().await.unwrap();
    // Items of the other list kinds (the typed API builds IP items only), sent raw.
    for (kind, item) in [
        (
            "hostname",
            json!({"hostname": {"url_hostname": "*.example.com"}}),
        ),
        ("asn", json!({"asn": 13335})),
        (
            "redirect",
            json!({"redirect": {"source_url": "example.com/a", "target_url": "https://example.net/b"}}),
        ),
    ] {
        let base = format!("/accounts/{account}/rules/lists");
        let create = RequestSpec::new(http::Method::POST, base.clone())
            .with_json(&json!({"name": format!("{kind}_list"), "kind": kind}))
            .unwrap();
        let created: Value =
            serde_json::from_slice(&client.execute(&create).await.unwrap().body).unwrap();
        let id = created["result"]["id"].as_str().unwrap().to_owned();
        let add = RequestSpec::new(http::Method::POST, format!("{base}/{id}/items"))
            .with_json(&json!([item]))
            .unwrap();
        assert!(client.execute(&add).await.unwrap().status.is_success());
        let read = RequestSpec::get(format!("{base}/{id}/items"));
        let read: Value =
            serde_json::from_slice(&client.execute(&read).await.unwrap().body).unwrap();
        assert!(read["result"][0].get(kind).is_some(), "{read}");
        let describe = RequestSpec::new(http::Method::PUT, format!("{base}/{id}"))
            .with_json(&json!({"description": format!("{kind} items")}))
            .unwrap();
        assert!(client.execute(&describe).await.unwrap().status.is_success());
    }
    let cert = client
        .origin_ca()
        .create(
            &zone,
            &NewOriginCertificate::ecc(CSR, vec!["acme.example.com".into()]),
        )
        .await
        .unwrap();
    client.origin_ca().list(&zone).await.unwrap();
    client.origin_ca().get(&cert.id).await.unwrap();
    client.origin_ca().revoke(&cert.id).await.unwrap();
    client.origin_pulls(&zone).set(true).await.unwrap();
    client.origin_pulls(&zone).get().await.unwrap();
    let rs = client.rulesets(&zone);
    let phase = Phase::HttpRequestFirewallCustom;
    let a = Rule::new(
        "a",
        RuleAction::Block,
        "(http.request.uri.path contains \"/a\")",
    );
    let put = rs.put_entrypoint(&phase, "custom", &[a]).await.unwrap();
    let b = Rule::new(
        "b",
        RuleAction::Block,
        "(http.request.uri.path contains \"/b\")",
    );
    let added = rs
        .add_rule(&put.id, &phase, &b, Some(&Position::Index(1)))
        .await
        .unwrap();
    let b_id = added.rules[0].id.clone().unwrap();
    rs.edit_rule(&put.id, &b_id, &phase, &b.clone().description("edited"))
        .await
        .unwrap();
    rs.delete_rule(&put.id, &phase, &b_id).await.unwrap();
    rs.versions(&put.id).await.unwrap();
    rs.version(&put.id, "1").await.unwrap();
    rs.entrypoint_versions(&phase).await.unwrap();
    rs.rollback_entrypoint(&phase, "2").await.unwrap();
    rs.get(&put.id).await.unwrap();
    client.zones().get(&zone).await.unwrap();

    let spec = spec();
    let seen = recorder.seen.lock().unwrap().clone();
    let mut checked = 0;
    for (method, path, status, body) in &seen {
        assert!(
            (200..300).contains(status),
            "{method} {path}: {status} {body}"
        );
        if path.ends_with("/phases/http_request_firewall_custom/entrypoint") {
            continue; // covered by tests/spec.rs against the hardening subset
        }
        check_response(&spec, method, path, body);
        checked += 1;
    }
    assert!(checked >= 37, "{checked} answers checked");
}
