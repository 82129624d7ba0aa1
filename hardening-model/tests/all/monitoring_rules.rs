//! Monitoring: node_exporter's compose service (erratum 10) and the alert rules file
//! (`promtool check rules`), with adversarial rule text that never adds a YAML key.

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::collections::BTreeSet;

use hardening_model::docker::{ComposeFile, ImageRef};
use hardening_model::monitoring::{
    AlertRule, AlertRules, AlertThresholds, Severity, node_exporter,
};
use hardening_model::values::Port;
use proptest::prelude::*;
use serde_json::Value;

fn exporter_yaml() -> String {
    let image = ImageRef::parse(&format!(
        "prom/node-exporter:v1.8.2@sha256:{}",
        "7".repeat(64)
    ))
    .unwrap();
    ComposeFile::new()
        .with_service(node_exporter(image, Port::new(9100).unwrap()).unwrap())
        .render()
        .unwrap()
}

fn rules() -> AlertRules {
    AlertRules::for_thresholds(&AlertThresholds::default(), "node").unwrap()
}

#[test]
fn node_exporter_is_hardened_and_userns_host() {
    let doc: Value = serde_saphyr::from_str(&exporter_yaml()).unwrap();
    let s = &doc["services"]["node-exporter"];
    assert_eq!(s["pid"], "host");
    assert_eq!(s["network_mode"], "host");
    assert_eq!(s["userns_mode"], "host");
    assert_eq!(s["read_only"], true);
    // Its own uid, not nobody's: the TLS key it owns must not be readable by other processes.
    assert_eq!(s["user"], "60910:60910");
    assert_eq!(s["cap_drop"], serde_json::json!(["ALL"]));
    assert!(s.get("cap_add").is_none());
    for v in s["volumes"].as_array().unwrap() {
        assert_eq!(v["read_only"], true, "{v}");
    }
    let args: Vec<&str> = s["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(args.contains(&"--web.listen-address=127.0.0.1:9100"));
    assert!(
        args.iter().any(|a| a.ends_with("($$|/)")),
        "compose must not interpolate the regex's $"
    );
}

#[test]
fn real_compose_accepts_node_exporter() {
    let Some(compose) = hardening_validators::compose() else {
        return;
    };
    compose.check(&exporter_yaml()).unwrap();
}

#[test]
fn rules_cover_the_runbook_thresholds() {
    let r = rules();
    let names: BTreeSet<&str> = r.rules().iter().map(AlertRule::name).collect();
    for n in [
        "HighCpuUsage",
        "LowMemoryAvailable",
        "DiskSpaceLow",
        "DiskSpaceCritical",
        "TooManyTcpConnections",
        "HighLoad",
        "HighInboundTraffic",
        "UnusualOutboundTraffic",
        "NodeExporterDown",
    ] {
        assert!(names.contains(n), "{n}");
    }
    let expr = |n: &str| {
        r.rules()
            .iter()
            .find(|x| x.name() == n)
            .unwrap()
            .expr()
            .to_owned()
    };
    assert!(expr("LowMemoryAvailable").ends_with("< 268435456"));
    assert!(expr("HighCpuUsage").ends_with("> 80"));
    assert!(expr("DiskSpaceLow").ends_with("< 15"));
    assert!(
        expr("UnusualOutboundTraffic").contains("* 60 > 104857600"),
        "bytes per minute, not per second"
    );
    let bad = AlertThresholds {
        disk_free_critical_percent: 20,
        ..AlertThresholds::default()
    };
    assert_eq!(
        AlertRules::for_thresholds(&bad, "node")
            .unwrap_err()
            .field(),
        "alert.disk_free_percent"
    );
    assert_eq!(
        AlertRules::for_thresholds(&AlertThresholds::default(), "no\"de")
            .unwrap_err()
            .field(),
        "alert.job"
    );
}

#[test]
fn promtool_accepts_the_rules() {
    let Some(promtool) = hardening_validators::promtool() else {
        return;
    };
    promtool.check_rules(&rules().to_yaml().unwrap()).unwrap();
    let custom = rules().with_rule(
        AlertRule::new(
            "ContainerMemoryHigh",
            "node_memory_MemAvailable_bytes < 1",
            60,
            Severity::Sev2,
            "a: b # c {{ $labels.instance }}",
        )
        .unwrap(),
    );
    promtool.check_rules(&custom.to_yaml().unwrap()).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    /// Adversarial summaries are rejected naming the field, or read back unchanged with the
    /// rule's usual keys only.
    #[test]
    fn adversarial_summaries(s in prop_oneof![any::<String>(), "[a-z]{0,3}[\"':#{}\\[\\]\\n|>&*!%@` -]{1,8}"]) {
        match AlertRule::new("Custom", "up == 0", 60, Severity::Sev3, &s) {
            Err(e) => prop_assert!(e.field() == "alert.summary", "{}", e.field()),
            Ok(rule) => {
                let yaml = AlertRules::for_thresholds(&AlertThresholds::default(), "node").unwrap().with_rule(rule).to_yaml().unwrap();
                let doc: Value = serde_saphyr::from_str(&yaml).unwrap();
                prop_assert_eq!(doc.as_object().unwrap().len(), 1);
                let rules = doc["groups"][0]["rules"].as_array().unwrap();
                let last = rules.last().unwrap();
                let keys: BTreeSet<&str> = last.as_object().unwrap().keys().map(String::as_str).collect();
                prop_assert_eq!(keys, BTreeSet::from(["alert", "annotations", "expr", "for", "labels"]));
                prop_assert_eq!(last["annotations"]["summary"].as_str().unwrap(), s.as_str());
                prop_assert_eq!(last["annotations"].as_object().unwrap().len(), 1);
            }
        }
    }
}
