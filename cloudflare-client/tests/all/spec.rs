//! The requests this crate builds exist in Cloudflare's OpenAPI document (copied into
//! `tests/spec/`) with the same method, and none of them is a retired endpoint.

#![allow(clippy::unwrap_used)] // tests may unwrap

use cloudflare_client::resources::bot_management::{self, BotManagement};
use cloudflare_client::resources::dns::{
    self, DnsFilter, DnsRecordPatch, NewDnsRecord, RecordType,
};
use cloudflare_client::resources::rulesets::{self, Phase, Rule, RuleAction};
use cloudflare_client::resources::settings::{self, Ssl, SslMode, ZoneSettings};
use cloudflare_client::resources::{ips, zones};
use cloudflare_client::transport::request::RequestSpec;
use serde_json::Value;

fn spec() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/spec/cloudflare-hardening-subset.openapi.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The spec path template matching `path`, if any (`{param}` segments match anything).
fn find<'a>(spec: &'a Value, path: &str) -> Option<(&'a str, &'a Value)> {
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .find_map(|(tpl, ops)| {
            let t: Vec<&str> = tpl.trim_start_matches('/').split('/').collect();
            let hit = t.len() == segs.len()
                && t.iter()
                    .zip(&segs)
                    .all(|(a, b)| a.starts_with('{') || a == b);
            hit.then_some((tpl.as_str(), ops))
        })
}

fn built() -> Vec<RequestSpec> {
    let z = "023e105f4ecef8ad9ca31a8372d0c353";
    let r = "372e67954025e0ba6aaa6d586b9e0b59";
    let rec = NewDnsRecord::new(RecordType::A, "www.example.com", "192.0.2.1");
    let patch = DnsRecordPatch {
        proxied: Some(true),
        ..Default::default()
    };
    let rule = Rule::new(
        "a",
        RuleAction::Block,
        "(http.request.uri.path contains \"/.git\")",
    );
    vec![
        ips::get_request(),
        settings::get_request::<Ssl>(z).unwrap(),
        settings::patch_request::<Ssl>(z, &SslMode::Strict).unwrap(),
        settings::get_all_request(z).unwrap(),
        settings::bulk_edit_request(
            z,
            &ZoneSettings {
                ssl: Some(SslMode::Strict),
                ..Default::default()
            },
        )
        .unwrap(),
        dns::create_request(z, &rec).unwrap(),
        dns::list_request(z, &DnsFilter::default()).unwrap(),
        dns::get_request(z, r).unwrap(),
        dns::patch_request(z, r, &patch).unwrap(),
        dns::delete_request(z, r).unwrap(),
        rulesets::get_entrypoint_request(z, &Phase::HttpRequestFirewallCustom).unwrap(),
        rulesets::put_entrypoint_request(z, &Phase::HttpRatelimit, "", &[]).unwrap(),
        rulesets::put_entrypoint_request(z, &Phase::HttpRequestFirewallCustom, "", &[rule])
            .unwrap(),
        rulesets::list_request(z, None, 50).unwrap(),
        bot_management::get_request(z).unwrap(),
        bot_management::put_request(
            z,
            &cloudflare_client::PlanTier::Free,
            &BotManagement::default(),
        )
        .unwrap(),
    ]
}

#[test]
fn every_request_is_in_the_spec_and_not_deprecated() {
    let spec = spec();
    for req in built() {
        let (tpl, ops) =
            find(&spec, &req.path).unwrap_or_else(|| panic!("{} not in the spec", req.path));
        let op = &ops[req.method.as_str().to_ascii_lowercase()];
        assert!(
            op.is_object(),
            "{} {} ({tpl}) not in the spec",
            req.method,
            req.path
        );
        assert_ne!(
            op["deprecated"],
            Value::Bool(true),
            "{} {tpl} is deprecated",
            req.method
        );
    }
}

#[test]
fn requests_absent_from_the_2024_spec_are_known() {
    // Zones are outside the subset; the DNS batch endpoint is newer than the 2024 document.
    let spec = spec();
    let z = "023e105f4ecef8ad9ca31a8372d0c353";
    assert!(find(&spec, &zones::get_request(z).unwrap().path).is_none());
    let batch = dns::DnsBatch {
        deletes: vec!["abc".into()],
        ..Default::default()
    };
    let batch_path = dns::batch_request(z, &batch).unwrap().path;
    // It only matches `dns_records/{dns_record_id}`, which has no POST.
    assert!(find(&spec, &batch_path).is_none_or(|(_, ops)| ops["post"].is_null()));
}

#[test]
fn retired_endpoints_are_deprecated_in_the_spec_and_never_built() {
    let spec = spec();
    for (tpl, method) in [
        ("/zones/{zone_identifier}/firewall/rules", "post"),
        ("/zones/{zone_identifier}/rate_limits", "post"),
        ("/zones/{zone_identifier}/filters", "post"),
    ] {
        assert_eq!(
            spec["paths"][tpl][method]["deprecated"],
            Value::Bool(true),
            "{tpl}"
        );
    }
    for req in built() {
        for retired in ["/firewall/", "/rate_limits", "/filters", "/pagerules"] {
            assert!(
                !req.path.contains(retired),
                "{} uses a retired endpoint",
                req.path
            );
        }
    }
    // Settings are PATCH: there is no PUT in the spec.
    assert!(spec["paths"]["/zones/{zone_id}/settings/{setting_id}"]["put"].is_null());
}
