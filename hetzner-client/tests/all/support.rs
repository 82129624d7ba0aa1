//! Reading the official OpenAPI document (tests/spec/hetzner-cloud.openapi.json): resolving
//! references, strict request schemas, example synthesis, and matching concrete requests to
//! the spec's operations. Shared by the contract and coverage tests.
#![allow(dead_code, clippy::unwrap_used)]

use serde_json::{Map, Value, json};

pub fn spec() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/spec/hetzner-cloud.openapi.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Inlines `#/components/...` references.
pub fn resolve(spec: &Value, schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                let pointer = r.trim_start_matches('#');
                return resolve(
                    spec,
                    spec.pointer(pointer)
                        .unwrap_or_else(|| panic!("unresolved {r}")),
                );
            }
            Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), resolve(spec, v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| resolve(spec, v)).collect()),
        other => other.clone(),
    }
}

/// Forbids properties the schema does not declare, so a misspelt field fails the test.
pub fn strict(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out: Map<String, Value> = map
                .iter()
                .map(|(k, v)| {
                    // the parts of an allOf each see only some of the properties
                    let value = match (k.as_str(), v) {
                        ("allOf", Value::Array(parts)) => Value::Array(
                            parts
                                .iter()
                                .map(|p| match strict(p) {
                                    Value::Object(mut m) => {
                                        if m.get("additionalProperties")
                                            == Some(&Value::Bool(false))
                                            && !p.as_object().is_some_and(|o| {
                                                o.contains_key("additionalProperties")
                                            })
                                        {
                                            m.remove("additionalProperties");
                                        }
                                        Value::Object(m)
                                    }
                                    other => other,
                                })
                                .collect(),
                        ),
                        _ => strict(v),
                    };
                    (k.clone(), value)
                })
                .collect();
            let combined = ["allOf", "oneOf", "anyOf"]
                .iter()
                .any(|k| map.contains_key(*k));
            if map.contains_key("properties")
                && !map.contains_key("additionalProperties")
                && !combined
            {
                out.insert("additionalProperties".into(), Value::Bool(false));
            }
            // OpenAPI 3.0 `nullable` is JSON Schema's `null` type
            if map.get("nullable") == Some(&Value::Bool(true)) {
                if let Some(Value::String(kind)) = map.get("type") {
                    out.insert("type".into(), json!([kind, "null"]));
                }
                if let Some(Value::Array(values)) = out.get_mut("enum") {
                    values.push(Value::Null);
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(strict).collect()),
        other => other.clone(),
    }
}

/// Builds an example value from a schema's own examples.
pub fn synth(schema: &Value) -> Value {
    if let Some(example) = schema.get("example") {
        return example.clone();
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        let mut merged = Map::new();
        for part in all {
            if let Value::Object(m) = synth(part) {
                merged.extend(m);
            }
        }
        return Value::Object(merged);
    }
    if let Some(first) = schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))
        .and_then(|v| v.get(0))
    {
        return synth(first);
    }
    if let Some(first) = schema.get("enum").and_then(|v| v.get(0)) {
        return first.clone();
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("array") => json!([synth(schema.get("items").unwrap_or(&Value::Null))]),
        Some("string") => json!("x"),
        Some("integer") => json!(1),
        Some("number") => json!(1.5),
        Some("boolean") => json!(false),
        _ => match schema.get("properties").and_then(Value::as_object) {
            Some(props) => {
                Value::Object(props.iter().map(|(k, v)| (k.clone(), synth(v))).collect())
            }
            None => json!({}),
        },
    }
}

/// Finds the spec path template for a concrete path (`/servers/42` -> `/servers/{id}`).
pub fn template<'a>(spec: &'a Value, path: &str) -> Option<&'a str> {
    let concrete: Vec<&str> = path.trim_matches('/').split('/').collect();
    spec["paths"]
        .as_object()?
        .keys()
        .map(String::as_str)
        .filter_map(|t| {
            let parts: Vec<&str> = t.trim_matches('/').split('/').collect();
            let fits = parts.len() == concrete.len()
                && parts
                    .iter()
                    .zip(&concrete)
                    .all(|(t, c)| t == c || (t.starts_with('{') && !c.is_empty()));
            // the most literal segments wins: `/servers/actions` over `/servers/{id}`
            fits.then(|| (parts.iter().filter(|p| !p.starts_with('{')).count(), t))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, t)| t)
}

/// Checks one request against the spec; returns a description of the problem, if any.
pub fn check_request(
    spec: &Value,
    method: &str,
    path: &str,
    query: &[(String, String)],
    body: Option<&Value>,
) -> Result<(), String> {
    let template =
        template(spec, path).ok_or_else(|| format!("{method} {path}: no such path in the spec"))?;
    let op = spec["paths"][template]
        .get(method)
        .ok_or_else(|| format!("{method} {template}: no such operation"))?;
    let declared: Vec<String> = op
        .get("parameters")
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .map(|p| resolve(spec, p)["name"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default();
    for (name, _) in query {
        if !declared.contains(name) {
            return Err(format!(
                "{method} {template}: undeclared query parameter {name}"
            ));
        }
    }
    let schema = op.pointer("/requestBody/content/application~1json/schema");
    match (schema, body) {
        (Some(schema), Some(body)) => {
            let schema = strict(&resolve(spec, schema));
            let validator = jsonschema::validator_for(&schema)
                .map_err(|e| format!("{template}: bad schema: {e}"))?;
            let errors: Vec<String> = validator
                .iter_errors(body)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            if errors.is_empty() {
                Ok(())
            } else {
                Err(format!("{method} {template}: {errors:?}"))
            }
        }
        (None, Some(body)) if body.as_object().is_some_and(Map::is_empty) || body.is_null() => {
            Ok(())
        }
        (None, Some(_)) => Err(format!(
            "{method} {template}: body sent but the spec has none"
        )),
        (_, None) => Ok(()),
    }
}

/// Every operation of the document as `(METHOD, template)`, in document order.
pub fn operations(spec: &Value) -> Vec<(String, String)> {
    let mut ops = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "delete", "patch"] {
            if item.get(method).is_some() {
                ops.push((method.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    ops
}

/// Inlines `#/...` references and turns OpenAPI 3.0 `nullable` into JSON Schema's null type.
pub fn to_json_schema(spec: &Value, schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                let target = spec.pointer(r.trim_start_matches('#')).unwrap();
                return to_json_schema(spec, target);
            }
            let mut out: Map<String, Value> = map
                .iter()
                .map(|(k, v)| (k.clone(), to_json_schema(spec, v)))
                .collect();
            if map.get("nullable") == Some(&Value::Bool(true)) {
                out.remove("nullable");
                return json!({ "anyOf": [Value::Object(out), { "type": "null" }] });
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| to_json_schema(spec, v)).collect())
        }
        other => other.clone(),
    }
}

/// What the response schema of `method template status` finds wrong with `body` (a missing
/// status or schema is a problem too).
pub fn response_problems(
    spec: &Value,
    template: &str,
    method: &str,
    status: u16,
    body: &Value,
) -> Vec<String> {
    let media = &spec["paths"][template][method]["responses"][status.to_string()]["content"]["application/json"];
    let Some(schema) = media.get("schema") else {
        return vec![format!(
            "{method} {template}: the spec has no {status} JSON response"
        )];
    };
    let schema = to_json_schema(spec, schema);
    let validator = jsonschema::validator_for(&schema).unwrap();
    validator
        .iter_errors(body)
        .map(|e| format!("{method} {template} {status}: {e} at {}", e.instance_path()))
        .collect()
}
