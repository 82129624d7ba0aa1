//! Request routing, the envelope and paging helpers.

use http::Method;
use serde_json::{Value, json};

use super::state::{
    SETTING_IDS, SimZone, State, bot_fields, setting_spec, setting_value_ok, zone_json,
};
use crate::transport::HttpRequest;

pub(super) const RATE_LIMIT_MESSAGE: &str =
    "Please wait and consider throttling your request speed";

/// A reply: status and envelope.
#[derive(Debug)]
pub(super) struct Reply {
    pub status: u16,
    pub body: Value,
    /// A plain-text answer instead of the JSON envelope (the DNS zone-file export).
    pub text: Option<String>,
}

/// A 200 answer with a `text/plain` body.
pub(super) fn text(body: String) -> Reply {
    Reply {
        status: 200,
        body: Value::Null,
        text: Some(body),
    }
}

/// A failure envelope.
pub(super) fn failure(_status: u16, code: u32, message: &str) -> Value {
    json!({"success": false, "errors": [{"code": code, "message": message}], "messages": [], "result": null})
}

pub(super) fn ok(result: Value) -> Reply {
    Reply {
        status: 200,
        body: json!({"success": true, "errors": [], "messages": [], "result": result}),
        text: None,
    }
}

pub(super) fn ok_info(result: Value, info: Value) -> Reply {
    let mut r = ok(result);
    r.body["result_info"] = info;
    r
}

pub(super) fn err(status: u16, code: u32, message: impl Into<String>) -> Reply {
    Reply {
        status,
        body: failure(status, code, &message.into()),
        text: None,
    }
}

pub(super) fn err_at(status: u16, code: u32, message: impl Into<String>, pointer: &str) -> Reply {
    let mut r = err(status, code, message);
    r.body["errors"][0]["source"] = json!({"pointer": pointer});
    r
}

/// A parsed request.
pub(super) struct Req<'a> {
    pub method: &'a Method,
    pub segs: Vec<String>,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
}

impl Req<'_> {
    pub fn q(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn q_all(&self, key: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Page-based listing with `result_info {page, per_page, count, total_count, total_pages}`, the
/// JSON of each entry made by `to_json`, called only for the entries on the requested page.
pub(super) fn page_with<T>(
    items: &[T],
    req: &Req<'_>,
    default_per_page: usize,
    max: usize,
    to_json: impl Fn(&T) -> Value,
) -> Reply {
    let page = req
        .q("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let per_page = req
        .q("per_page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(default_per_page)
        .clamp(1, max);
    let total = items.len();
    let slice: Vec<Value> = items
        .iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .map(to_json)
        .collect();
    let info = json!({"page": page, "per_page": per_page, "count": slice.len(), "total_count": total,
                      "total_pages": total.div_ceil(per_page).max(1)});
    ok_info(Value::Array(slice), info)
}

fn no_route(path: &str) -> Reply {
    err(
        404,
        7003,
        format!("Could not route to {path}, perhaps your object identifier is invalid?"),
    )
}

/// Route one request.
pub(super) fn route(state: &mut State, request: &HttpRequest) -> Reply {
    let path = request.url.path();
    let Some(rest) = path.strip_prefix("/client/v4/") else {
        return no_route(path);
    };
    let segs: Vec<String> = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let query: Vec<(String, String)> = request
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let body = match &request.body {
        Some(b) => match serde_json::from_slice::<Value>(b) {
            Ok(v) => Some(v),
            Err(_) => return err(400, 6007, "Malformed JSON in request body"),
        },
        None => None,
    };
    let req = Req {
        method: &request.method,
        segs,
        query,
        body,
    };
    let public = req.segs == ["ips"];
    if !public {
        let auth = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        match auth.strip_prefix("Bearer ").map(str::trim) {
            None | Some("") => {
                // No usable Authorization header: the live API's "missing credentials" answer.
                return err(
                    400,
                    9106,
                    "Missing X-Auth-Key, X-Auth-Email or Authorization headers",
                );
            }
            Some(token) if !state.knows_token(token) => {
                // The live API answers an unknown token with 1000 "Invalid API Token" on the
                // verify endpoint (HTTP 401) and with 9109 "Invalid access token" elsewhere
                // (HTTP 403).
                return if req.segs == ["user", "tokens", "verify"] {
                    err(401, 1000, "Invalid API Token")
                } else {
                    err(403, 9109, "Invalid access token")
                };
            }
            Some(_) => {}
        }
    }
    let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
    match (req.method.clone(), segs.as_slice()) {
        (Method::GET, ["ips"]) => {
            let ips = state.ips();
            ok(json!({"ipv4_cidrs": ips.ipv4, "ipv6_cidrs": ips.ipv6, "etag": ips.etag}))
        }
        (Method::GET, ["zones"]) => {
            let name = req.q("name").map(str::to_ascii_lowercase);
            let account = state.account_id.clone().unwrap_or_default();
            let zones: Vec<&SimZone> = state
                .zones
                .values()
                .filter(|z| name.as_ref().is_none_or(|n| *n == z.name))
                .collect();
            page_with(&zones, &req, 20, 50, |z| zone_json(z, &account))
        }
        (Method::GET, ["user", "tokens", "verify"]) => super::account::verify_token(state),
        (_, ["accounts", account, "rules", "lists", rest @ ..]) => {
            if state.account_id.as_deref() != Some(*account) {
                return no_route(path);
            }
            super::account::lists(state, &req, rest)
        }
        (_, ["certificates", rest @ ..]) => super::account::certificates(state, &req, rest),
        (_, ["zones", zone, rest @ ..]) => {
            let zone = (*zone).to_owned();
            if !state.zones.contains_key(&zone) {
                return no_route(path);
            }
            match rest {
                [] if *req.method == Method::GET => {
                    let account = state.account_id.clone().unwrap_or_default();
                    ok(state
                        .zones
                        .get(&zone)
                        .map(|z| zone_json(z, &account))
                        .unwrap_or_default())
                }
                ["purge_cache"] => super::account::purge(state, &zone, &req),
                ["origin_tls_client_auth", "settings"] => {
                    super::account::origin_pulls(state, &zone, &req)
                }
                ["settings", rest @ ..] => settings(state, &zone, &req, rest),
                ["dns_records", rest @ ..] => super::dns::route(state, &zone, &req, rest),
                ["rulesets", rest @ ..] => super::rulesets::route(state, &zone, &req, rest),
                ["bot_management"] => bot_management(state, &zone, &req),
                _ => no_route(path),
            }
        }
        _ => no_route(path),
    }
}

fn setting_item(id: &str, value: &Value) -> Value {
    json!({"id": id, "value": value, "editable": true, "modified_on": null})
}

fn check_setting(id: &str, value: &Value) -> Result<(), Reply> {
    let Some((allowed, _)) = setting_spec(id) else {
        return Err(err(
            400,
            1006,
            format!("Unrecognized zone setting name: {id}"),
        ));
    };
    if setting_value_ok(id, allowed, value) {
        Ok(())
    } else {
        Err(err(
            400,
            1007,
            format!("Invalid value for zone setting {id}"),
        ))
    }
}

fn settings(state: &mut State, zone_id: &str, req: &Req<'_>, rest: &[&str]) -> Reply {
    let Some(zone) = state.zones.get_mut(zone_id) else {
        return no_route(zone_id);
    };
    match (req.method.clone(), rest) {
        (Method::GET, []) => {
            let items: Vec<Value> = SETTING_IDS
                .iter()
                .filter_map(|id| zone.settings.get(*id).map(|v| setting_item(id, v)))
                .collect();
            ok(Value::Array(items))
        }
        (Method::PATCH, []) => {
            let Some(items) = req
                .body
                .as_ref()
                .and_then(|b| b.get("items"))
                .and_then(Value::as_array)
            else {
                return err(400, 1001, "Request body must be {\"items\": [...]}");
            };
            let mut parsed = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let (Some(id), Some(value)) =
                    (item.get("id").and_then(Value::as_str), item.get("value"))
                else {
                    return err_at(
                        400,
                        1001,
                        "each item needs id and value",
                        &format!("/items/{i}"),
                    );
                };
                if let Err(e) = check_setting(id, value) {
                    return e;
                }
                parsed.push((id.to_owned(), value.clone()));
            }
            let out: Vec<Value> = parsed
                .into_iter()
                .map(|(id, v)| {
                    let item = setting_item(&id, &v);
                    zone.settings.insert(id, v);
                    item
                })
                .collect();
            ok(Value::Array(out))
        }
        (Method::GET, [id]) => match zone.settings.get(*id) {
            Some(v) => ok(setting_item(id, v)),
            None => err(400, 1006, format!("Unrecognized zone setting name: {id}")),
        },
        (Method::PATCH, [id]) => {
            let Some(value) = req.body.as_ref().and_then(|b| b.get("value")) else {
                return err(400, 1001, "Request body must be {\"value\": ...}");
            };
            if let Err(e) = check_setting(id, value) {
                return e;
            }
            zone.settings.insert((*id).to_owned(), value.clone());
            ok(setting_item(id, value))
        }
        (_, [_]) | (_, []) => err(
            405,
            7001,
            "Method not allowed for this endpoint (settings are PATCH)",
        ),
        _ => no_route(zone_id),
    }
}

fn bot_management(state: &mut State, zone_id: &str, req: &Req<'_>) -> Reply {
    let Some(zone) = state.zones.get_mut(zone_id) else {
        return no_route(zone_id);
    };
    match *req.method {
        Method::GET => ok(Value::Object(zone.bot.clone())),
        Method::PUT => {
            let Some(body) = req.body.as_ref().and_then(Value::as_object) else {
                return err(400, 1001, "Request body must be an object");
            };
            let allowed = bot_fields(&zone.tier);
            for (k, v) in body {
                if !allowed.iter().any(|(f, _)| f == k) {
                    return err_at(
                        400,
                        1004,
                        format!("{k} is not available on this zone's plan"),
                        &format!("/{k}"),
                    );
                }
                let ok_value = match k.as_str() {
                    "sbfm_definitely_automated" | "sbfm_likely_automated" => v
                        .as_str()
                        .is_some_and(|s| ["allow", "block", "managed_challenge"].contains(&s)),
                    "sbfm_verified_bots" => {
                        v.as_str().is_some_and(|s| ["allow", "block"].contains(&s))
                    }
                    _ => v.is_boolean(),
                };
                if !ok_value {
                    return err_at(
                        400,
                        1004,
                        format!("invalid value for {k}"),
                        &format!("/{k}"),
                    );
                }
            }
            for (k, v) in body {
                zone.bot.insert(k.clone(), v.clone());
            }
            ok(Value::Object(zone.bot.clone()))
        }
        _ => err(405, 7001, "Method not allowed"),
    }
}
