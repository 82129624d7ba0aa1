//! Simulated DNS records.

use http::Method;
use serde_json::{Value, json};

use super::router::{Reply, Req, err, err_at, ok, page_with};
use super::state::{SimZone, State};
use crate::error::Error;
use crate::resources::dns::{
    DnsRecord, RecordType, Ttl, check_comment, check_content, check_dns_name, check_tag,
};
use crate::resources::zones::PlanTier;

fn invalid(e: Error) -> Reply {
    match e {
        Error::Invalid { field, reason } => err_at(
            400,
            1004,
            format!("DNS Validation Error: {field}: {reason}"),
            &format!("/{field}"),
        ),
        other => err(400, 1004, other.to_string()),
    }
}

/// The JSON of a record as the API answers it: the model's fields (`comment`, `tags`,
/// `proxiable`, `created_on` and `modified_on` always present, `null` or `[]` when unset) plus
/// `meta` (the 2024-08 OpenAPI `dns-records_base.meta`) and `settings`. `settings` is not in that
/// document; the live API has answered it on every record since late 2024 (`ipv4_only` and
/// `ipv6_only` on proxied A/AAAA records, `flatten_cname` on CNAME records), and Cloudflare's SDKs
/// model it, so the simulator sends it as the live API does.
pub(super) fn record_json(rec: &DnsRecord) -> Value {
    let mut v = serde_json::to_value(rec).unwrap_or_default();
    let settings = match rec.record_type {
        RecordType::Cname => json!({"flatten_cname": false}),
        RecordType::A | RecordType::Aaaa => json!({"ipv4_only": false, "ipv6_only": false}),
        _ => json!({}),
    };
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "meta".into(),
            json!({"auto_added": false, "managed_by_apps": false, "managed_by_argo_tunnel": false}),
        );
        o.insert("settings".into(), settings);
    }
    v
}

fn not_found() -> Reply {
    err(404, 81044, "Record does not exist.")
}

/// Build (or, with `base`, update) a record from a request body.
fn build(
    zone: &SimZone,
    body: &Value,
    base: Option<&DnsRecord>,
    id: String,
    now: String,
) -> Result<DnsRecord, Reply> {
    let obj = body
        .as_object()
        .ok_or_else(|| err(400, 1004, "DNS Validation Error: body must be an object"))?;
    let s = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_owned);
    let record_type = match (s("type"), base) {
        (Some(t), _) => RecordType::from(t.as_str()),
        (None, Some(b)) => b.record_type.clone(),
        (None, None) => {
            return Err(err_at(
                400,
                9000,
                "DNS Validation Error: type is required",
                "/type",
            ));
        }
    };
    if let RecordType::Unknown(t) = &record_type {
        return Err(err_at(
            400,
            1004,
            format!("DNS Validation Error: unsupported type {t}"),
            "/type",
        ));
    }
    let mut name = match (s("name"), base) {
        (Some(n), _) => n.to_ascii_lowercase(),
        (None, Some(b)) => b.name.clone(),
        (None, None) => {
            return Err(err_at(
                400,
                1004,
                "DNS Validation Error: name is required",
                "/name",
            ));
        }
    };
    name = name.trim_end_matches('.').to_owned();
    if name == "@" {
        name = zone.name.clone();
    } else if name != zone.name && !name.ends_with(&format!(".{}", zone.name)) {
        name = format!("{name}.{}", zone.name);
    }
    check_dns_name("name", &name).map_err(invalid)?;
    let content = match (s("content"), base) {
        (Some(c), _) => c,
        (None, Some(b)) => b.content.clone(),
        (None, None) => {
            return Err(err_at(
                400,
                1004,
                "DNS Validation Error: content is required",
                "/content",
            ));
        }
    };
    check_content(&record_type, &content).map_err(invalid)?;
    let ttl = match obj.get("ttl") {
        Some(v) => {
            let n = v.as_u64().ok_or_else(|| {
                err_at(
                    400,
                    1004,
                    "DNS Validation Error: ttl must be a number",
                    "/ttl",
                )
            })?;
            let min = if zone.tier == PlanTier::Enterprise {
                30
            } else {
                60
            };
            if n != 1 && !(min..=86400).contains(&n) {
                return Err(err_at(
                    400,
                    9021,
                    format!("Invalid TTL. Must be 1 or between {min} and 86400"),
                    "/ttl",
                ));
            }
            if n == 1 {
                Ttl::Auto
            } else {
                Ttl::Seconds(n as u32)
            }
        }
        None => base.map_or(Ttl::Auto, |b| b.ttl),
    };
    let proxiable = matches!(
        record_type,
        RecordType::A | RecordType::Aaaa | RecordType::Cname
    );
    let proxied = obj
        .get("proxied")
        .and_then(Value::as_bool)
        .or(base.and_then(|b| b.proxied))
        .unwrap_or(false);
    if proxied && !proxiable {
        return Err(err_at(
            400,
            9004,
            "This record type cannot be proxied.",
            "/proxied",
        ));
    }
    let comment = match obj.get("comment") {
        Some(Value::String(c)) => {
            check_comment(c).map_err(invalid)?;
            (!c.is_empty()).then(|| c.clone())
        }
        Some(Value::Null) => None,
        Some(_) => {
            return Err(err_at(
                400,
                1004,
                "DNS Validation Error: comment must be a string",
                "/comment",
            ));
        }
        None => base.and_then(|b| b.comment.clone()),
    };
    let tags = match obj.get("tags") {
        Some(Value::Array(a)) => {
            let mut out = Vec::new();
            for t in a {
                let t = t.as_str().ok_or_else(|| {
                    err_at(400, 1004, "DNS Validation Error: tags are strings", "/tags")
                })?;
                check_tag(t).map_err(invalid)?;
                out.push(t.to_owned());
            }
            out
        }
        Some(_) => {
            return Err(err_at(
                400,
                1004,
                "DNS Validation Error: tags must be an array",
                "/tags",
            ));
        }
        None => base.map(|b| b.tags.clone()).unwrap_or_default(),
    };
    let priority = obj
        .get("priority")
        .and_then(Value::as_u64)
        .map(|p| p.min(65535) as u16)
        .or(base.and_then(|b| b.priority));
    Ok(DnsRecord {
        id,
        record_type,
        name,
        content,
        proxied: Some(proxied),
        proxiable: Some(proxiable),
        ttl,
        comment,
        tags,
        priority,
        created_on: Some(
            base.and_then(|b| b.created_on.clone())
                .unwrap_or_else(|| now.clone()),
        ),
        modified_on: Some(now),
    })
}

/// Conflicts of `rec` with the other records of the zone.
fn conflicts(zone: &SimZone, rec: &DnsRecord) -> Result<(), Reply> {
    for other in zone.dns.iter().filter(|o| o.id != rec.id) {
        if other.record_type == rec.record_type
            && other.name == rec.name
            && other.content == rec.content
        {
            return Err(err(400, 81057, "An identical record already exists."));
        }
        let address =
            |t: &RecordType| matches!(t, RecordType::A | RecordType::Aaaa | RecordType::Cname);
        if other.name == rec.name
            && (other.record_type == RecordType::Cname || rec.record_type == RecordType::Cname)
            && address(&other.record_type)
            && address(&rec.record_type)
        {
            return Err(err(
                400,
                81053,
                "An A, AAAA, or CNAME record with that host already exists.",
            ));
        }
    }
    Ok(())
}

fn matches(rec: &DnsRecord, req: &Req<'_>) -> bool {
    let mut checks: Vec<bool> = Vec::new();
    if let Some(t) = req.q("type") {
        // `type` always narrows, independent of `match`.
        if rec.record_type.as_str() != t {
            return false;
        }
    }
    let lower = |s: &str| s.to_ascii_lowercase();
    for key in ["name", "name.exact"] {
        if let Some(n) = req.q(key) {
            checks.push(rec.name == lower(n.trim_end_matches('.')));
        }
    }
    if let Some(n) = req.q("name.contains") {
        checks.push(rec.name.contains(&lower(n)));
    }
    if let Some(n) = req.q("name.startswith") {
        checks.push(rec.name.starts_with(&lower(n)));
    }
    if let Some(n) = req.q("name.endswith") {
        checks.push(rec.name.ends_with(&lower(n)));
    }
    for key in ["content", "content.exact"] {
        if let Some(c) = req.q(key) {
            checks.push(rec.content == c);
        }
    }
    if let Some(c) = req.q("content.contains") {
        checks.push(rec.content.contains(c));
    }
    if let Some(c) = req.q("comment.contains") {
        checks.push(rec.comment.as_deref().is_some_and(|x| x.contains(c)));
    }
    if req.q("comment.present").is_some() {
        checks.push(rec.comment.is_some());
    }
    if req.q("comment.absent").is_some() {
        checks.push(rec.comment.is_none());
    }
    let tag_any = req.q("tag_match") == Some("any");
    let tag_checks: Vec<bool> = req
        .q_all("tag")
        .iter()
        .map(|t| rec.tags.iter().any(|x| x == t))
        .collect();
    if !tag_checks.is_empty() {
        checks.push(if tag_any {
            tag_checks.iter().any(|b| *b)
        } else {
            tag_checks.iter().all(|b| *b)
        });
    }
    if let Some(name) = req.q("tag.present") {
        checks.push(rec.tags.iter().any(|x| x.split(':').next() == Some(name)));
    }
    if let Some(p) = req.q("proxied") {
        checks.push(rec.proxied.unwrap_or(false).to_string() == p);
    }
    if checks.is_empty() {
        return true;
    }
    if req.q("match") == Some("any") {
        checks.iter().any(|b| *b)
    } else {
        checks.iter().all(|b| *b)
    }
}

/// The zone's records as a BIND zone file.
fn export(zone: &super::state::SimZone) -> String {
    let mut out = format!(
        ";;\n;; Domain:     {name}.\n;; Exported by the Cloudflare simulator\n;;\n\n\
         {name}.\t3600\tIN\tSOA\tada.ns.cloudflare.com. dns.cloudflare.com. 2050000000 10000 2400 604800 3600\n",
        name = zone.name
    );
    let mut recs: Vec<&DnsRecord> = zone.dns.iter().collect();
    recs.sort_by(|a, b| (&a.name, a.record_type.as_str()).cmp(&(&b.name, b.record_type.as_str())));
    for r in recs {
        let ttl = match r.ttl {
            Ttl::Auto => 1,
            Ttl::Seconds(s) => s,
        };
        let content = match r.record_type {
            RecordType::Txt => format!("\"{}\"", r.content.replace('"', "\\\"")),
            RecordType::Cname | RecordType::Ns => format!("{}.", r.content.trim_end_matches('.')),
            RecordType::Mx => format!(
                "{} {}.",
                r.priority.unwrap_or(10),
                r.content.trim_end_matches('.')
            ),
            _ => r.content.clone(),
        };
        let proxied = if r.proxied == Some(true) {
            " ; cf_tags=cf-proxied:true"
        } else {
            ""
        };
        out.push_str(&format!(
            "{}.\t{ttl}\tIN\t{}\t{content}{proxied}\n",
            r.name.trim_end_matches('.'),
            r.record_type.as_str()
        ));
    }
    out
}

pub(super) fn route(state: &mut State, zone_id: &str, req: &Req<'_>, rest: &[&str]) -> Reply {
    match (req.method.clone(), rest) {
        (Method::GET, ["export"]) => match state.zones.get(zone_id) {
            Some(zone) => super::router::text(export(zone)),
            None => not_found(),
        },
        (Method::GET, []) => {
            let Some(zone) = state.zones.get(zone_id) else {
                return not_found();
            };
            let mut recs: Vec<&DnsRecord> = zone.dns.iter().filter(|r| matches(r, req)).collect();
            recs.sort_by(|a, b| {
                (a.record_type.as_str(), &a.name, &a.content).cmp(&(
                    b.record_type.as_str(),
                    &b.name,
                    &b.content,
                ))
            });
            page_with(&recs, req, 100, 5000, |r| record_json(r))
        }
        (Method::POST, []) => {
            let id = state.new_id();
            let now = state.now();
            let Some(zone) = state.zones.get_mut(zone_id) else {
                return not_found();
            };
            let body = req.body.clone().unwrap_or(Value::Null);
            match build(zone, &body, None, id, now).and_then(|r| conflicts(zone, &r).map(|()| r)) {
                Ok(rec) => {
                    zone.dns.push(rec.clone());
                    ok(record_json(&rec))
                }
                Err(e) => e,
            }
        }
        (Method::POST, ["batch"]) => batch(state, zone_id, req),
        (m, [id]) => {
            let now = state.now();
            let Some(zone) = state.zones.get_mut(zone_id) else {
                return not_found();
            };
            let Some(pos) = zone.dns.iter().position(|r| r.id == *id) else {
                return not_found();
            };
            match m {
                Method::GET => ok(record_json(&zone.dns[pos])),
                Method::DELETE => {
                    let rec = zone.dns.remove(pos);
                    ok(json!({"id": rec.id}))
                }
                Method::PATCH | Method::PUT => {
                    let body = req.body.clone().unwrap_or(Value::Null);
                    let base = zone.dns[pos].clone();
                    // PUT replaces: unspecified optional fields reset.
                    let base_for = if m == Method::PATCH {
                        Some(&base)
                    } else {
                        None
                    };
                    let built = build(zone, &body, base_for, base.id.clone(), now).map(|mut r| {
                        r.created_on = base.created_on.clone();
                        r
                    });
                    match built.and_then(|r| conflicts(zone, &r).map(|()| r)) {
                        Ok(rec) => {
                            zone.dns[pos] = rec.clone();
                            ok(record_json(&rec))
                        }
                        Err(e) => e,
                    }
                }
                _ => err(405, 7001, "Method not allowed"),
            }
        }
        _ => err(404, 7003, "No route for the URI"),
    }
}

/// Deletes, patches, puts, posts; all or nothing.
fn batch(state: &mut State, zone_id: &str, req: &Req<'_>) -> Reply {
    let body = req.body.clone().unwrap_or(Value::Null);
    let list = |k: &str| {
        body.get(k)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let (deletes, patches, puts, posts) = (
        list("deletes"),
        list("patches"),
        list("puts"),
        list("posts"),
    );
    let post_ids: Vec<String> = posts.iter().map(|_| state.new_id()).collect();
    let now = state.now();
    let Some(zone) = state.zones.get_mut(zone_id) else {
        return not_found();
    };
    let mut work = zone.clone();
    let mut out = json!({"deletes": [], "patches": [], "puts": [], "posts": []});
    for (i, d) in deletes.iter().enumerate() {
        let id = d.get("id").and_then(Value::as_str).unwrap_or_default();
        let Some(pos) = work.dns.iter().position(|r| r.id == id) else {
            return err_at(
                404,
                81044,
                "Record does not exist.",
                &format!("/deletes/{i}"),
            );
        };
        let rec = work.dns.remove(pos);
        push(&mut out, "deletes", &rec);
    }
    for (kind, items) in [("patches", &patches), ("puts", &puts)] {
        for (i, p) in items.iter().enumerate() {
            let id = p.get("id").and_then(Value::as_str).unwrap_or_default();
            let Some(pos) = work.dns.iter().position(|r| r.id == id) else {
                return err_at(
                    404,
                    81044,
                    "Record does not exist.",
                    &format!("/{kind}/{i}"),
                );
            };
            let base = work.dns[pos].clone();
            let base_for = (kind == "patches").then_some(&base);
            let built = build(&work, p, base_for, base.id.clone(), now.clone());
            match built.and_then(|r| conflicts(&work, &r).map(|()| r)) {
                Ok(rec) => {
                    work.dns[pos] = rec.clone();
                    push(&mut out, kind, &rec);
                }
                Err(e) => return at(e, kind, i),
            }
        }
    }
    for (i, (p, id)) in posts.iter().zip(post_ids).enumerate() {
        match build(&work, p, None, id, now.clone()).and_then(|r| conflicts(&work, &r).map(|()| r))
        {
            Ok(rec) => {
                work.dns.push(rec.clone());
                push(&mut out, "posts", &rec);
            }
            Err(e) => return at(e, "posts", i),
        }
    }
    *zone = work;
    ok(out)
}

fn push(out: &mut Value, key: &str, rec: &DnsRecord) {
    if let Some(a) = out.get_mut(key).and_then(Value::as_array_mut) {
        a.push(record_json(rec));
    }
}

fn at(mut e: Reply, kind: &str, i: usize) -> Reply {
    let inner = e.body["errors"][0]["source"]["pointer"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    e.body["errors"][0]["source"] = json!({"pointer": format!("/{kind}/{i}{inner}")});
    e
}
