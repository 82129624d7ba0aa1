//! Monitoring that reaches someone (runbook section 8 and Appendix C).
//!
//! On each host: node_exporter ([`node_exporter_scraped`]) behind TLS 1.3 and basic auth
//! ([`ExporterAccess`]), its port open only to the monitoring server, and a root timer
//! ([`SecurityEvents`]) that turns Falco, auditd, AIDE and failed-SSH events, container
//! restarts, a pending reboot, held security updates and the last backup's age into textfile
//! metrics the exporter serves on the same authenticated channel.
//!
//! On the monitoring server ([`CentralMonitoring`]): Prometheus scraping every host with the
//! credentials and the pinned CA, the alert rules ([`AlertRules`], every rule with an Appendix C
//! [`Severity`]), and Alertmanager routes from the contact chain ([`Escalation`]).
//!
//! Every file is checked by the tool that reads it: `promtool check config`, `promtool check
//! rules` and `promtool test rules`, `amtool check-config` and `amtool config routes test`, and
//! a real node_exporter, Prometheus and Alertmanager in the tests.

mod auth;
mod central;
mod escalation;
mod exporter;
mod rules;
mod rules_test;
mod security;

/// The secret type of scrape passwords and receiver keys (re-exported from `secrecy`).
pub use secrecy::SecretString;

pub use auth::{BCRYPT_COST, MIN_SCRAPE_PASSWORD_LEN, ScrapeAuth};
pub use central::{CENTRAL_CONFIG_DIR, CentralMonitoring, NODE_JOB};
pub use escalation::{
    ALERTMANAGER_CONFIG_PATH, BUSINESS_HOURS, BusinessHours, Escalation, Receiver,
};
pub use exporter::{
    EXPORTER_CONFIG_DIR, EXPORTER_TLS_CERT, EXPORTER_TLS_KEY, EXPORTER_UID, EXPORTER_WEB_CONFIG,
    ExporterAccess, SCRAPE_RULE_DESCRIPTION, TEXTFILE_DIR, node_exporter, node_exporter_scraped,
};
pub use rules::{ALERT_RULES_PATH, AlertRule, AlertRules, AlertThresholds, Severity};
pub use security::{
    REBOOT_REQUIRED, SECURITY_EVENTS_FILE, SECURITY_EVENTS_SCRIPT, SECURITY_EVENTS_UNIT,
    SecurityEvents,
};
