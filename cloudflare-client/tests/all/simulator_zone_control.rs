//! The zone control plane calls against the simulator, under a paused clock and faults: the raw
//! request path, token verification, cache purge, account lists, Origin CA certificates,
//! Authenticated Origin Pulls, per-rule ruleset calls, versions and rollback, DNS export.

#![allow(clippy::unwrap_used)] // tests may unwrap

use cloudflare_client::resources::cache::Purge;
use cloudflare_client::resources::dns::{NewDnsRecord, RecordType};
use cloudflare_client::resources::lists::{ListItem, NewList};
use cloudflare_client::resources::origin_ca::NewOriginCertificate;
use cloudflare_client::resources::rulesets::{Phase, Position, Rule, RuleAction};
use cloudflare_client::simulator::{Fault, FaultRule, Simulator};
use cloudflare_client::transport::request::RequestSpec;
use cloudflare_client::{Error, PlanTier};
use http::Method;

const CSR: &str =
    "-----BEGIN CERTIFICATE REQUEST-----\nMIIBszCCAVkCAQAw\n-----END CERTIFICATE REQUEST-----\n";

#[tokio::test(start_paused = true)]
async fn raw_requests_share_the_gate_retries_and_errors() {
    let sim = Simulator::new();
    let zone = sim.add_zone("example.com", PlanTier::Free);
    let client = sim.client().unwrap();
    // A typed-out call through the raw path, retried over a 503 like any GET.
    sim.inject(FaultRule::new(Fault::ServerError(503)).method(Method::GET));
    let z = client
        .execute_json::<serde_json::Value>(&RequestSpec::get(format!("/zones/{zone}")))
        .await
        .unwrap();
    assert_eq!(z.result["name"], "example.com");
    assert_eq!(sim.stats().http_5xx, 1);
    // An unknown route is the API's error, decoded.
    let err = client
        .execute(&RequestSpec::get(format!("/zones/{zone}/no_such_thing")))
        .await
        .unwrap_err();
    assert!(err.is_not_found() && err.has_code(7003), "{err}");
    // A POST whose answer is lost is not replayed: the purge happened once.
    sim.inject(FaultRule::new(Fault::DropConnection).method(Method::POST));
    let purge = RequestSpec::new(Method::POST, format!("/zones/{zone}/purge_cache"))
        .with_json(&serde_json::json!({"purge_everything": true}))
        .unwrap();
    let err = client.execute(&purge).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err}");
    assert_eq!(sim.purges(&zone).len(), 1);
    // A non-JSON answer comes back as it is.
    client
        .dns(&zone)
        .create(&NewDnsRecord::new(RecordType::A, "www.example.com", "192.0.2.1").proxied(true))
        .await
        .unwrap();
    let raw = client
        .execute(&RequestSpec::get(format!(
            "/zones/{zone}/dns_records/export"
        )))
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&raw.body).contains("www.example.com.\t1\tIN\tA\t192.0.2.1"));
    let text = client.dns(&zone).export().await.unwrap();
    assert!(text.contains("IN\tSOA"), "{text}");
}

#[tokio::test(start_paused = true)]
async fn inactive_tokens_are_refused() {
    let sim = Simulator::new();
    sim.add_zone("example.com", PlanTier::Free);
    let client = sim.client().unwrap();
    assert!(client.tokens().ensure_active().await.unwrap().is_active());
    sim.set_token_status("expired");
    let err = client.tokens().ensure_active().await.unwrap_err();
    assert!(
        matches!(&err, Error::TokenInactive { status } if status == "expired"),
        "{err}"
    );
    assert!(
        !err.to_string()
            .contains(cloudflare_client::simulator::TOKEN)
    );
}

#[tokio::test(start_paused = true)]
async fn purge_validates_before_sending() {
    let sim = Simulator::new();
    let zone = sim.add_zone("example.com", PlanTier::Free);
    let client = sim.client().unwrap();
    client
        .cache(&zone)
        .purge(&Purge::Files(vec!["https://www.example.com/app.js".into()]))
        .await
        .unwrap();
    let before = sim.stats().requests;
    let err = client
        .cache(&zone)
        .purge(&Purge::Files(vec!["www.example.com/app.js".into()]))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("files[0]"), "{err}");
    assert_eq!(sim.stats().requests, before, "nothing was sent");
    assert_eq!(
        sim.purges(&zone),
        [serde_json::json!({"files": ["https://www.example.com/app.js"]})]
    );
}

#[tokio::test(start_paused = true)]
async fn lists_reconcile_creates_and_page_items() {
    let sim = Simulator::new();
    sim.add_zone("example.com", PlanTier::Pro);
    let client = sim.client().unwrap();
    let lists = client.lists(&sim.account_id().unwrap());
    sim.inject(FaultRule::new(Fault::DropConnection).method(Method::POST));
    let created = lists.create(&NewList::ip("office_ips")).await.unwrap();
    assert_eq!(
        lists.list().await.unwrap().len(),
        1,
        "one list despite the lost answer"
    );
    let items: Vec<ListItem> = (0..1200)
        .map(|i| ListItem::ip(&format!("10.{}.{}.0/24", i / 256, i % 256)).unwrap())
        .collect();
    let op = lists.replace_items(&created.id, &items).await.unwrap();
    assert_eq!(
        lists.wait_for(&op).await.unwrap().status,
        cloudflare_client::resources::lists::OperationStatus::Completed
    );
    let stored = lists.items(&created.id).await.unwrap();
    assert_eq!(stored.len(), 1200, "three pages of 500 followed");
    let op = lists
        .append_items(&created.id, &[ListItem::ip("192.0.2.7").unwrap()])
        .await
        .unwrap();
    lists.wait_for(&op).await.unwrap();
    assert_eq!(sim.list_items("office_ips").unwrap().len(), 1201);
    // A Pro account holds 10 lists: the 11th is the API's error.
    for i in 1..10 {
        lists.create(&NewList::ip(format!("l{i}"))).await.unwrap();
    }
    let err = lists
        .create(&NewList::ip("one_too_many"))
        .await
        .unwrap_err();
    assert!(err.has_code(10019), "{err}");
    lists.delete(&created.id).await.unwrap();
    assert!(sim.list_items("office_ips").is_none());
}

#[tokio::test(start_paused = true)]
async fn origin_certificates_reconcile_by_csr_and_revoke() {
    let sim = Simulator::new();
    let zone = sim.add_zone("example.com", PlanTier::Free);
    let client = sim.client().unwrap();
    let ca = client.origin_ca();
    sim.inject(FaultRule::new(Fault::DropConnection).path_contains("/certificates"));
    let new = NewOriginCertificate::ecc(CSR, vec!["acme.example.com".into()]);
    let cert = ca.create(&zone, &new).await.unwrap();
    assert_eq!(sim.certificates().len(), 1, "reconciled, not issued twice");
    assert!(
        cert.certificate
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    let err = ca
        .create(
            &zone,
            &NewOriginCertificate::ecc(CSR, vec!["acme.other.org".into()]),
        )
        .await
        .unwrap_err();
    assert!(err.has_code(1010), "{err}");
    ca.revoke(&cert.id).await.unwrap();
    assert!(sim.certificates().is_empty());
    assert!(ca.get(&cert.id).await.unwrap_err().is_not_found());
}

#[tokio::test(start_paused = true)]
async fn origin_pulls_switch() {
    let sim = Simulator::new();
    let zone = sim.add_zone("example.com", PlanTier::Free);
    let client = sim.client().unwrap();
    assert!(!client.origin_pulls(&zone).get().await.unwrap().enabled);
    assert!(client.origin_pulls(&zone).set(true).await.unwrap().enabled);
    assert!(sim.origin_pulls(&zone));
}

#[tokio::test(start_paused = true)]
async fn single_rules_versions_and_rollback() {
    let sim = Simulator::new();
    let zone = sim.add_zone("example.com", PlanTier::Free);
    let client = sim.client().unwrap();
    let rs = client.rulesets(&zone);
    let phase = Phase::HttpRequestFirewallCustom;
    let rule = |r: &str| {
        Rule::new(
            r,
            RuleAction::Block,
            format!("(http.request.uri.path contains \"/{r}\")"),
        )
    };
    let v1 = rs
        .put_entrypoint(&phase, "custom", &[rule("a")])
        .await
        .unwrap();
    // The add's answer is lost: the rule is found by its ref, not added twice.
    sim.inject(FaultRule::new(Fault::DropConnection).method(Method::POST));
    let v2 = rs
        .add_rule(
            &v1.id,
            &phase,
            &rule("b"),
            Some(&Position::Before(String::new())),
        )
        .await
        .unwrap();
    let refs: Vec<&str> = v2.rules.iter().map(|r| r.rule_ref.as_str()).collect();
    assert_eq!(refs, ["b", "a"]);
    let a_id = v2.rules[1].id.clone().unwrap();
    assert_eq!(a_id, v1.rules[0].id.clone().unwrap(), "ids follow refs");
    let v3 = rs
        .edit_rule(&v1.id, &a_id, &phase, &rule("a").description("edited"))
        .await
        .unwrap();
    assert_eq!(v3.rules[1].description, "edited");
    let v4 = rs.delete_rule(&v1.id, &phase, &a_id).await.unwrap();
    assert_eq!(v4.rules.len(), 1);
    let versions = rs.entrypoint_versions(&phase).await.unwrap();
    assert_eq!(versions.len(), 4);
    assert_eq!(rs.versions(&v1.id).await.unwrap(), versions);
    let back = rs.rollback_entrypoint(&phase, "1").await.unwrap();
    assert_eq!(back.version.as_deref(), Some("5"));
    let refs: Vec<&str> = back.rules.iter().map(|r| r.rule_ref.as_str()).collect();
    assert_eq!(refs, ["a"]);
    assert!(
        back.rules[0].description.is_empty(),
        "version 1's rule, not the edit"
    );
    // A rule for the wrong phase never leaves the client.
    let cache = Rule::set_cache_settings(
        "c",
        "true",
        &cloudflare_client::resources::rulesets::CacheSettings::bypass(),
    )
    .unwrap();
    let err = rs.add_rule(&v1.id, &phase, &cache, None).await.unwrap_err();
    assert!(err.to_string().contains("rules[0].action"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn rules_may_only_reference_existing_lists() {
    let sim = Simulator::new();
    let zone = sim.add_zone("example.com", PlanTier::Free);
    let client = sim.client().unwrap();
    let rule = Rule::new(
        "office_only",
        RuleAction::Block,
        "(not (ip.src in $office_ips))",
    );
    let phase = Phase::HttpRequestFirewallCustom;
    let err = client
        .rulesets(&zone)
        .put_entrypoint(&phase, "", std::slice::from_ref(&rule))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("unknown list $office_ips"),
        "{err}"
    );
    client
        .lists(&sim.account_id().unwrap())
        .create(&NewList::ip("office_ips"))
        .await
        .unwrap();
    client
        .rulesets(&zone)
        .put_entrypoint(&phase, "", &[rule])
        .await
        .unwrap();
}
