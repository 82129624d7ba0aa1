//! The simulator answers as the real API does for what clients we did not write touch: zone
//! settings (`http3`, `0rtt`, `opportunistic_encryption` and their kin) with value checks,
//! Origin CA paging that ends, ruleset version items with their ruleset shape, DNS records with
//! `meta` and `settings`, list items of every kind, and the refusals (invalid expressions,
//! actions a phase does not take, duplicate refs, a list in use, unknown tokens), each in
//! Cloudflare's error envelope. Requests are sent raw, past the client's own checks, so the
//! simulator's answers are what is tested.

#![allow(clippy::unwrap_used)] // tests may unwrap

use bytes::Bytes;
use cloudflare_client::PlanTier;
use cloudflare_client::simulator::{BASE_URL, Simulator, SimulatorConfig, TOKEN};
use cloudflare_client::transport::{HttpRequest, Transport};
use http::{HeaderMap, HeaderValue, Method};
use serde_json::{Value, json};

const CSR: &str =
    "-----BEGIN CERTIFICATE REQUEST-----\nMIIBszCCAVkCAQAw\n-----END CERTIFICATE REQUEST-----\n";

fn sim() -> (Simulator, String) {
    let sim = Simulator::with_config(SimulatorConfig {
        latency: std::time::Duration::ZERO,
        ..SimulatorConfig::default()
    });
    let zone = sim.add_zone("example.com", PlanTier::Pro);
    (sim, zone)
}

async fn call_as(
    sim: &Simulator,
    token: Option<&str>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut headers = HeaderMap::new();
    if let Some(t) = token {
        headers.insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {t}")).unwrap(),
        );
    }
    let request = HttpRequest {
        method,
        url: format!("{BASE_URL}{path}").parse().unwrap(),
        headers,
        body: body.map(|b| Bytes::from(b.to_string())),
    };
    let response = sim.send(request).await.unwrap();
    (
        response.status.as_u16(),
        serde_json::from_slice(&response.body).unwrap(),
    )
}

async fn call(sim: &Simulator, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    call_as(sim, Some(TOKEN), method, path, body).await
}

/// The failure envelope with `code`; returns the first error's message.
fn refused(answer: &(u16, Value), status: u16, code: u64) -> String {
    let (s, body) = answer;
    assert_eq!(*s, status, "{body}");
    assert_eq!(body["success"], false, "{body}");
    assert!(body["result"].is_null(), "{body}");
    assert_eq!(body["errors"][0]["code"], code, "{body}");
    body["errors"][0]["message"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn zone_settings_clients_touch_are_known_and_checked() {
    let (sim, z) = sim();
    for (id, default, good, bad) in [
        ("http3", json!("off"), json!("on"), json!("yes")),
        ("0rtt", json!("off"), json!("on"), json!(true)),
        (
            "opportunistic_encryption",
            json!("on"),
            json!("off"),
            json!("maybe"),
        ),
        ("early_hints", json!("off"), json!("on"), json!(1)),
        ("browser_cache_ttl", json!(14400), json!(7200), json!(7201)),
        (
            "cache_level",
            json!("aggressive"),
            json!("basic"),
            json!("all"),
        ),
    ] {
        let (s, got) = call(
            &sim,
            Method::GET,
            &format!("/zones/{z}/settings/{id}"),
            None,
        )
        .await;
        assert_eq!((s, &got["result"]["value"]), (200, &default), "{id}: {got}");
        assert_eq!(got["result"]["id"], id);
        let (s, set) = call(
            &sim,
            Method::PATCH,
            &format!("/zones/{z}/settings/{id}"),
            Some(json!({"value": good})),
        )
        .await;
        assert_eq!((s, &set["result"]["value"]), (200, &good), "{id}: {set}");
        let no = call(
            &sim,
            Method::PATCH,
            &format!("/zones/{z}/settings/{id}"),
            Some(json!({"value": bad})),
        )
        .await;
        let message = refused(&no, 400, 1007);
        assert!(message.contains(id), "{message}");
    }
    let (_, all) = call(&sim, Method::GET, &format!("/zones/{z}/settings"), None).await;
    let ids: Vec<&str> = all["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    for id in [
        "http3",
        "0rtt",
        "opportunistic_encryption",
        "ssl",
        "min_tls_version",
    ] {
        assert!(ids.contains(&id), "{ids:?}");
    }
    refused(
        &call(
            &sim,
            Method::PATCH,
            &format!("/zones/{z}/settings/no_such"),
            Some(json!({"value": "on"})),
        )
        .await,
        400,
        1006,
    );
}

#[tokio::test]
async fn origin_ca_pages_end() {
    let (sim, z) = sim();
    for i in 0..5 {
        let (s, body) = call(&sim, Method::POST, "/certificates", Some(json!({
            "csr": CSR, "hostnames": [format!("h{i}.example.com")], "request_type": "origin-rsa", "requested_validity": 5475
        }))).await;
        assert_eq!(s, 200, "{body}");
    }
    let mut seen = 0;
    for page in 1.. {
        let (s, body) = call(
            &sim,
            Method::GET,
            &format!("/certificates?zone_id={z}&page={page}&per_page=2"),
            None,
        )
        .await;
        assert_eq!(s, 200);
        let n = body["result"].as_array().unwrap().len();
        assert_eq!(body["result_info"]["page"], page);
        assert_eq!(body["result_info"]["total_count"], 5);
        assert_eq!(body["result_info"]["total_pages"], 3);
        if n == 0 {
            break;
        }
        seen += n;
        assert!(page <= 3, "paging does not end");
    }
    assert_eq!(seen, 5);
}

#[tokio::test]
async fn ruleset_versions_carry_the_ruleset_shape() {
    let (sim, z) = sim();
    let path = format!("/zones/{z}/rulesets/phases/http_request_firewall_custom/entrypoint");
    for n in 0..2 {
        let rules = json!({"rules": [{"ref": "r", "action": "block", "expression": format!("cf.threat_score gt {n}")}]});
        assert_eq!(call(&sim, Method::PUT, &path, Some(rules)).await.0, 200);
    }
    let (s, versions) = call(&sim, Method::GET, &format!("{path}/versions"), None).await;
    assert_eq!(s, 200);
    let items = versions["result"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    for v in items {
        for key in [
            "id",
            "name",
            "description",
            "kind",
            "phase",
            "version",
            "last_updated",
        ] {
            assert!(
                v.get(key).is_some_and(|x| !x.is_null()),
                "{key} missing: {v}"
            );
        }
        assert_eq!(v["kind"], "zone");
        assert_eq!(v["phase"], "http_request_firewall_custom");
        assert!(v.get("rules").is_none(), "list items carry no rules: {v}");
    }
}

#[tokio::test]
async fn dns_records_carry_meta_and_settings() {
    let (sim, z) = sim();
    let (s, created) = call(&sim, Method::POST, &format!("/zones/{z}/dns_records"), Some(json!({
        "type": "A", "name": "www.example.com", "content": "192.0.2.1", "ttl": 1, "proxied": true
    }))).await;
    assert_eq!(s, 200, "{created}");
    let (_, listed) = call(
        &sim,
        Method::GET,
        &format!("/zones/{z}/dns_records?page=1&per_page=5"),
        None,
    )
    .await;
    for rec in [&created["result"], &listed["result"][0]] {
        assert_eq!(rec["meta"]["auto_added"], false, "{rec}");
        assert_eq!(
            rec["settings"],
            json!({"ipv4_only": false, "ipv6_only": false}),
            "{rec}"
        );
        for key in ["comment", "tags", "proxiable", "created_on", "modified_on"] {
            assert!(rec.get(key).is_some(), "{key} missing: {rec}");
        }
        assert!(rec["tags"].is_array());
    }
    assert_eq!(listed["result_info"]["total_count"], 1);
}

#[tokio::test]
async fn list_items_of_every_kind_are_validated_per_kind() {
    let (sim, _) = sim();
    let account = sim.account_id().unwrap();
    let base = format!("/accounts/{account}/rules/lists");
    for (kind, good, bad, pointer) in [
        (
            "ip",
            json!({"ip": "192.0.2.0/24"}),
            json!({"ip": "192.0.2.1/24"}),
            "/0/ip",
        ),
        (
            "hostname",
            json!({"hostname": {"url_hostname": "*.example.com"}}),
            json!({"hostname": {"url_hostname": "a b"}}),
            "/0/hostname/url_hostname",
        ),
        (
            "asn",
            json!({"asn": 13335}),
            json!({"asn": "AS13335"}),
            "/0/asn",
        ),
        (
            "redirect",
            json!({"redirect": {"source_url": "example.com/a", "target_url": "https://example.net/", "status_code": 308}}),
            json!({"redirect": {"source_url": "example.com/a", "target_url": "https://example.net/", "status_code": 200}}),
            "/0/redirect/status_code",
        ),
    ] {
        let (s, list) = call(
            &sim,
            Method::POST,
            &base,
            Some(json!({"name": format!("l_{kind}"), "kind": kind})),
        )
        .await;
        assert_eq!(s, 200, "{list}");
        let id = list["result"]["id"].as_str().unwrap().to_owned();
        let (s, op) = call(
            &sim,
            Method::POST,
            &format!("{base}/{id}/items"),
            Some(json!([good])),
        )
        .await;
        assert_eq!(s, 200, "{kind}: {op}");
        let no = call(
            &sim,
            Method::POST,
            &format!("{base}/{id}/items"),
            Some(json!([bad])),
        )
        .await;
        refused(&no, 400, 10021);
        assert_eq!(no.1["errors"][0]["source"]["pointer"], pointer, "{kind}");
        // an item of another kind is refused too
        let other = if kind == "ip" {
            json!({"asn": 1})
        } else {
            json!({"ip": "192.0.2.1"})
        };
        refused(
            &call(
                &sim,
                Method::POST,
                &format!("{base}/{id}/items"),
                Some(json!([other])),
            )
            .await,
            400,
            10021,
        );
        let (_, items) = call(&sim, Method::GET, &format!("{base}/{id}/items"), None).await;
        let items = items["result"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{kind}");
        assert!(items[0].get(kind).is_some(), "{:?}", items[0]);
        let item_id = items[0]["id"].as_str().unwrap().to_owned();
        let (s, one) = call(
            &sim,
            Method::GET,
            &format!("{base}/{id}/items/{item_id}"),
            None,
        )
        .await;
        assert_eq!((s, &one["result"]), (200, &items[0]));
        let (s, described) = call(
            &sim,
            Method::PUT,
            &format!("{base}/{id}"),
            Some(json!({"description": "d"})),
        )
        .await;
        assert_eq!((s, &described["result"]["description"]), (200, &json!("d")));
        // Lists are created on a Pro zone's account: up to 10. Delete to make room.
        assert_eq!(
            call(&sim, Method::DELETE, &format!("{base}/{id}"), None)
                .await
                .0,
            200
        );
    }
}

#[tokio::test]
async fn what_cloudflare_refuses_is_refused() {
    let (sim, z) = sim();
    let entry = |phase: &str| format!("/zones/{z}/rulesets/phases/{phase}/entrypoint");
    let put = |rules: Value| Some(json!({"rules": rules}));
    // expressions
    for (expr, needle) in [
        ("(http.request.uri.path contains)", "http.request.uri.path"),
        (
            "(http.request.uri.pth contains \"/.env\")",
            "unknown field `http.request.uri.pth`",
        ),
        ("fooo(http.host) eq \"a\"", "unknown function `fooo`"),
        (
            "ip.src contains \"1.2\"",
            "`contains` cannot be used on `ip.src`",
        ),
    ] {
        let answer = call(
            &sim,
            Method::PUT,
            &entry("http_request_firewall_custom"),
            put(json!([{"ref": "x", "action": "block", "expression": expr}])),
        )
        .await;
        let message = refused(&answer, 400, 20002);
        assert!(
            message.starts_with("filter parsing error") && message.contains(needle),
            "{expr}: {message}"
        );
        assert_eq!(
            answer.1["errors"][0]["source"]["pointer"],
            "/rules/0/expression"
        );
    }
    // actions a phase does not take
    for phase in [
        "http_config_settings",
        "http_request_cache_settings",
        "http_request_firewall_managed",
    ] {
        let answer = call(
            &sim,
            Method::PUT,
            &entry(phase),
            put(json!([{"ref": "b", "action": "block", "expression": "ssl"}])),
        )
        .await;
        assert!(refused(&answer, 400, 20002).contains("block"), "{phase}");
    }
    let managed = json!([{"ref": "m", "action": "execute", "expression": "true",
                          "action_parameters": {"id": "efb7b8c949ac4650a09736fc376e9aee"}}]);
    refused(
        &call(
            &sim,
            Method::PUT,
            &entry("http_request_firewall_custom"),
            put(managed.clone()),
        )
        .await,
        400,
        20002,
    );
    assert_eq!(
        call(
            &sim,
            Method::PUT,
            &entry("http_request_firewall_managed"),
            put(managed)
        )
        .await
        .0,
        200
    );
    let unknown_key = json!([{"ref": "c", "action": "set_config", "expression": "true",
                              "action_parameters": {"browser_check": true}}]);
    let message = refused(
        &call(
            &sim,
            Method::PUT,
            &entry("http_config_settings"),
            put(unknown_key),
        )
        .await,
        400,
        20002,
    );
    assert!(message.contains("browser_check"), "{message}");
    // duplicate refs in one PUT
    let dup = json!([{"ref": "d", "action": "block", "expression": "ssl"}, {"ref": "d", "action": "challenge", "expression": "ssl"}]);
    let answer = call(
        &sim,
        Method::PUT,
        &entry("http_request_firewall_custom"),
        put(dup),
    )
    .await;
    refused(&answer, 400, 20002);
    assert_eq!(answer.1["errors"][0]["source"]["pointer"], "/rules/1/ref");
    // deleting a list a rule uses: 10031, and the list reports the reference
    let account = sim.account_id().unwrap();
    let (_, list) = call(
        &sim,
        Method::POST,
        &format!("/accounts/{account}/rules/lists"),
        Some(json!({"name": "admins", "kind": "ip"})),
    )
    .await;
    let list_id = list["result"]["id"].as_str().unwrap().to_owned();
    let uses = json!([{"ref": "a", "action": "block", "expression": "not ip.src in $admins"}]);
    assert_eq!(
        call(
            &sim,
            Method::PUT,
            &entry("http_request_firewall_custom"),
            put(uses)
        )
        .await
        .0,
        200
    );
    let (_, got) = call(
        &sim,
        Method::GET,
        &format!("/accounts/{account}/rules/lists/{list_id}"),
        None,
    )
    .await;
    assert_eq!(got["result"]["num_referencing_filters"], 1);
    refused(
        &call(
            &sim,
            Method::DELETE,
            &format!("/accounts/{account}/rules/lists/{list_id}"),
            None,
        )
        .await,
        400,
        10031,
    );
    assert_eq!(
        call(
            &sim,
            Method::PUT,
            &entry("http_request_firewall_custom"),
            put(json!([]))
        )
        .await
        .0,
        200
    );
    assert_eq!(
        call(
            &sim,
            Method::DELETE,
            &format!("/accounts/{account}/rules/lists/{list_id}"),
            None
        )
        .await
        .0,
        200
    );
}

#[tokio::test]
async fn only_known_tokens_are_accepted() {
    let (sim, _) = sim();
    refused(
        &call_as(
            &sim,
            Some("made-up"),
            Method::GET,
            "/user/tokens/verify",
            None,
        )
        .await,
        401,
        1000,
    );
    refused(
        &call_as(&sim, Some("made-up"), Method::GET, "/zones", None).await,
        403,
        9109,
    );
    refused(
        &call_as(&sim, None, Method::GET, "/zones", None).await,
        400,
        9106,
    );
    assert_eq!(
        call(&sim, Method::GET, "/user/tokens/verify", None).await.0,
        200
    );
    sim.add_token("second-token");
    assert!(
        !format!("{sim:?}").contains("second-token"),
        "Debug shows no token"
    );
    assert_eq!(
        call_as(&sim, Some("second-token"), Method::GET, "/zones", None)
            .await
            .0,
        200
    );
    // the public IP ranges need no token
    assert_eq!(call_as(&sim, None, Method::GET, "/ips", None).await.0, 200);
}

#[tokio::test]
async fn the_client_refuses_a_bad_expression_before_sending() {
    use cloudflare_client::Error;
    use cloudflare_client::resources::rulesets::{Phase, Rule, RuleAction};
    let (sim, z) = sim();
    let client = sim.client().unwrap();
    let before = sim.stats().requests;
    for (expr, needle) in [
        ("(http.request.uri.path contains)", "http.request.uri.path"),
        ("ip.src contains \"1.2\"", "ip.src"),
        ("lowr(http.host) eq \"a\"", "unknown function `lowr`"),
    ] {
        let rule = Rule::new("bad", RuleAction::Block, expr);
        let err = client
            .rulesets(&z)
            .put_entrypoint(&Phase::HttpRequestFirewallCustom, "", &[rule])
            .await
            .unwrap_err();
        match err {
            Error::Invalid { field, reason } => {
                assert_eq!(field, "rules[0].expression");
                assert!(reason.contains(needle), "{reason}");
            }
            other => panic!("{other}"),
        }
    }
    let rule = Rule::new("b", RuleAction::Block, "ssl");
    let err = client
        .rulesets(&z)
        .put_entrypoint(&Phase::HttpConfigSettings, "", &[rule])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("rules[0].action"), "{err}");
    assert_eq!(sim.stats().requests, before, "nothing was sent");
}
