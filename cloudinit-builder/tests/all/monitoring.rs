//! The full preset with central monitoring: node_exporter's web config, certificate and key,
//! the security-events timer and the firewall rule for the monitoring server, within budget.
//! Integrity is AIDE: with Wazuh as well, every part on exceeds the 24 KiB budget and the
//! preset pins the repository keys by fingerprint, which the fixture's short placeholder keys
//! cannot give (the realistic test covers that step with real keys).

use cloudinit_builder::Secret;
use cloudinit_builder::preset::{HardenedHost, HostMonitoring, MONITORING_COMPOSE};
use hardening_model::monitoring::{
    EXPORTER_TLS_CERT, EXPORTER_TLS_KEY, EXPORTER_WEB_CONFIG, ExporterAccess,
    SCRAPE_RULE_DESCRIPTION, ScrapeAuth,
};
use hardening_model::values::Port;

use crate::fixtures::{
    Choices, FULL, MONITORING_KEY_BODY as KEY_BODY, SCRAPE_PASSWORD, extract_files, inputs,
    inputs_monitored, runcmd,
};
use crate::support;

#[test]
fn the_scraped_exporter_is_wired_through_files_firewall_and_commands() {
    let choices = Choices {
        wazuh: false,
        ..FULL
    };
    let host = HardenedHost::runbook(&inputs(choices)).unwrap();
    let out = host.render().unwrap();
    assert!(out.len() <= host.budget_bytes(), "{} bytes", out.len());
    let files = extract_files(out.as_str());
    let key = &files[EXPORTER_TLS_KEY];
    assert_eq!(
        (key.permissions.as_str(), key.owner.as_str()),
        ("0600", "root:root")
    );
    assert!(
        files[EXPORTER_TLS_CERT]
            .text()
            .contains("BEGIN CERTIFICATE")
    );
    let web = &files[EXPORTER_WEB_CONFIG];
    assert_eq!(web.permissions, "0640");
    assert!(web.text().contains("$2b$10$"));
    assert!(web.text().contains("min_version: TLS13"));
    let compose = files[MONITORING_COMPOSE].text();
    assert!(compose.contains("--web.listen-address=:9100"), "{compose}");
    assert!(compose.contains("--web.config.file=/etc/node-exporter/web-config.yml"));
    // The password never reaches the host; the key only its 0600 file.
    let text = support::cloud_config_of(out.as_str());
    assert!(!text.contains(SCRAPE_PASSWORD));
    assert_eq!(text.matches(KEY_BODY).count(), 1);
    // One firewall rule, rendered by every layer, admits the monitoring server only.
    let nft = files["/etc/nftables.conf"].text();
    assert!(nft.contains("192.0.2.10") && nft.contains("9100"), "{nft}");
    assert!(text.contains(SCRAPE_RULE_DESCRIPTION));
    let cmds = runcmd(out.as_str()).join("\n");
    assert!(
        cmds.contains("chown 60910:60910 /etc/node-exporter/tls.key") && !cmds.contains("65534"),
        "{cmds}"
    );
    assert!(cmds.contains("enable --now security-events-textfile.timer"));
    assert!(!files.contains_key(hardening_model::monitoring::ALERT_RULES_PATH));
    support::assert_valid(out.as_str());
}

/// Monitoring is a required input: every runbook host is scraped, none keeps node_exporter on
/// loopback with alert rules no Prometheus reads.
#[test]
fn every_runbook_host_is_scraped() {
    let files = extract_files(crate::fixtures::host(FULL).render().unwrap().as_str());
    let compose = files[MONITORING_COMPOSE].text();
    assert!(!compose.contains("127.0.0.1"), "{compose}");
    assert!(compose.contains("--web.config.file="), "{compose}");
    assert!(files.contains_key(EXPORTER_WEB_CONFIG));
    assert!(files.contains_key(hardening_model::monitoring::SECURITY_EVENTS_SCRIPT));
    assert!(!files.contains_key(hardening_model::monitoring::ALERT_RULES_PATH));
}

#[test]
fn bad_monitoring_input_names_the_field() {
    let auth = ScrapeAuth::new("prometheus", SCRAPE_PASSWORD.into()).unwrap();
    let e = ExporterAccess::new(Port::new(9100).unwrap(), [], auth.clone()).unwrap_err();
    assert_eq!(e.field(), "exporter.scrapers");
    let e = ExporterAccess::new(
        Port::new(9100).unwrap(),
        ["192.0.2.10/24".parse().unwrap()],
        auth.clone(),
    )
    .unwrap_err();
    assert_eq!(e.field(), "exporter.scrapers[0]");
    let access = ExporterAccess::new(
        Port::new(9100).unwrap(),
        ["192.0.2.10/32".parse().unwrap()],
        auth,
    )
    .unwrap();
    let key = Secret::new("not a key at all").unwrap();
    let e = HostMonitoring::new(
        access.clone(),
        "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----",
        key,
    )
    .unwrap_err();
    assert_eq!(e.field(), Some("monitoring.tls_key"));
    // The SSH port cannot be reused for the exporter.
    let clash = ExporterAccess::new(
        Port::new(crate::fixtures::SSH_PORT).unwrap(),
        ["192.0.2.10/32".parse().unwrap()],
        ScrapeAuth::new("prometheus", SCRAPE_PASSWORD.into()).unwrap(),
    )
    .unwrap();
    let m = HostMonitoring::new(
        clash,
        "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----",
        Secret::new("-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----").unwrap(),
    )
    .unwrap();
    let e = HardenedHost::runbook(&inputs_monitored(FULL, m)).unwrap_err();
    assert!(e.to_string().contains("firewall.inbound[2].ports"), "{e}");
}
