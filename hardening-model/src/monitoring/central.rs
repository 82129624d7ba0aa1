//! [`CentralMonitoring`]: the monitoring server's files (Prometheus scrape config, rules,
//! pinned CA, Alertmanager routes), rendered from the same values the hosts are.

use serde_json::json;

use super::auth::ScrapeAuth;
use super::escalation::Escalation;
use super::rules::{AlertRules, AlertThresholds};
use super::security::SecurityEvents;
use crate::values::{AbsPath, check_chars, check_max_len, check_non_empty};
use crate::{Error, Problem, RenderedFile, Result};

/// The scrape job of the hosts' node_exporters (the `job` label the alert rules select).
pub const NODE_JOB: &str = "node";

/// The monitoring server's configuration directory (Debian's `prometheus` and
/// `prometheus-alertmanager` packages read theirs from here).
pub const CENTRAL_CONFIG_DIR: &str = "/etc/prometheus";

/// A central Prometheus and Alertmanager for a fleet.
///
/// [`render`](Self::render) returns, under [`config_dir`](Self::config_dir):
///
/// | file | mode | what |
/// |---|---|---|
/// | `prometheus.yml` | `0600` `prometheus` | scrape job `node` over HTTPS with basic auth and the pinned CA, rule files, Alertmanager |
/// | `node-exporter-ca.pem` | `0644` | the CA that issued the hosts' exporter certificates (no other CA is trusted) |
/// | `rules/hardened-host.rules.yml` | `0644` | the node and security alert rules |
/// | `rules/hardened-host.test.yml` | `0644` | `promtool test rules` cases: each security alert fires with its severity |
/// | `alertmanager.yml` | `0600` `prometheus` | the [`Escalation`] routes |
///
/// ```
/// use hardening_model::monitoring::{CentralMonitoring, Escalation, Receiver, ScrapeAuth};
/// let auth = ScrapeAuth::new("prometheus", "a-long-scrape-password".into())?;
/// let ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
/// let chain = Escalation::new(Receiver::pagerduty("pd-routing-key-0123".into())?);
/// let central = CentralMonitoring::new(auth, ca, chain)?.target("203.0.113.10", 9100)?;
/// let files = central.render()?;
/// let prom = files.iter().find(|f| f.path == "/etc/prometheus/prometheus.yml").unwrap();
/// assert_eq!(prom.mode, 0o600);
/// assert!(prom.content.contains("203.0.113.10:9100"));
/// # Ok::<(), hardening_model::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct CentralMonitoring {
    auth: ScrapeAuth,
    ca_pem: String,
    escalation: Escalation,
    targets: Vec<String>,
    alertmanager: String,
    scrape_interval_s: u32,
    config_dir: String,
    rules: AlertRules,
}

impl CentralMonitoring {
    /// The scrape credentials (the same [`ScrapeAuth`] the hosts' exporters were rendered
    /// with), the PEM CA certificate that issued their TLS certificates, and the contact chain.
    /// Rules: the runbook's node thresholds plus [`SecurityEvents::alert_rules`].
    pub fn new(auth: ScrapeAuth, ca_pem: &str, escalation: Escalation) -> Result<Self> {
        let field = "central.ca_pem";
        if !ca_pem
            .trim_start()
            .starts_with("-----BEGIN CERTIFICATE-----")
            || !ca_pem.trim_end().ends_with("-----END CERTIFICATE-----")
        {
            return Err(Error::invalid(field, "must be a PEM certificate"));
        }
        check_max_len(field, ca_pem, 64 * 1024)?;
        let rules = AlertRules::for_thresholds(&AlertThresholds::default(), NODE_JOB)?
            .with_rules(SecurityEvents::new().alert_rules(NODE_JOB)?);
        Ok(Self {
            auth,
            ca_pem: ca_pem.to_owned(),
            escalation,
            targets: Vec::new(),
            alertmanager: "127.0.0.1:9093".to_owned(),
            scrape_interval_s: 30,
            config_dir: CENTRAL_CONFIG_DIR.to_owned(),
            rules,
        })
    }

    /// Adds a host's exporter: `host` is an IPv4 address, `[IPv6]` or a DNS name (it must be
    /// in the exporter certificate's subject alternative names).
    pub fn target(mut self, host: &str, port: u16) -> Result<Self> {
        let field = format!("central.targets[{}]", self.targets.len());
        check_non_empty(&field, host)?;
        check_max_len(&field, host, 253)?;
        check_chars(&field, host, |c| {
            c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']')
        })?;
        if host.contains(':') && !(host.starts_with('[') && host.ends_with(']')) {
            return Err(Error::invalid(field, "IPv6 addresses go in brackets"));
        }
        if port == 0 {
            return Err(Error::new(
                format!("{field}.port"),
                Problem::OutOfRange {
                    min: 1,
                    max: 65535,
                    value: 0,
                },
            ));
        }
        self.targets.push(format!("{host}:{port}"));
        Ok(self)
    }

    /// Where Prometheus sends alerts (`host:port`, default `127.0.0.1:9093`).
    pub fn alertmanager(mut self, address: &str) -> Result<Self> {
        let field = "central.alertmanager";
        check_non_empty(field, address)?;
        check_chars(field, address, |c| {
            c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']')
        })?;
        self.alertmanager = address.to_owned();
        Ok(self)
    }

    /// The scrape and rule evaluation interval in seconds (5 to 300, default 30).
    pub fn scrape_interval(mut self, seconds: u32) -> Result<Self> {
        if !(5..=300).contains(&seconds) {
            return Err(Error::new(
                "central.scrape_interval",
                Problem::OutOfRange {
                    min: 5,
                    max: 300,
                    value: i64::from(seconds),
                },
            ));
        }
        self.scrape_interval_s = seconds;
        Ok(self)
    }

    /// Renders under another directory (default [`CENTRAL_CONFIG_DIR`]); paths inside the
    /// files follow it.
    pub fn config_dir(mut self, dir: &str) -> Result<Self> {
        let dir =
            AbsPath::new(dir).map_err(|e| Error::new("central.config_dir", e.problem().clone()))?;
        self.config_dir = dir.as_str().trim_end_matches('/').to_owned();
        Ok(self)
    }

    /// Replaces the alert rules (every rule should carry a [`Severity`](super::Severity), as
    /// [`AlertRule`](super::AlertRule) always does).
    #[must_use]
    pub fn rules(mut self, rules: AlertRules) -> Self {
        self.rules = rules;
        self
    }

    /// The alert rules rendered.
    pub fn alert_rules(&self) -> &AlertRules {
        &self.rules
    }

    /// The contact chain.
    pub fn escalation(&self) -> &Escalation {
        &self.escalation
    }

    fn path(&self, name: &str) -> String {
        format!("{}/{name}", self.config_dir)
    }

    /// `prometheus.yml`'s text.
    pub fn prometheus_yaml(&self) -> Result<String> {
        if self.targets.is_empty() {
            return Err(Error::new("central.targets", Problem::Empty));
        }
        let interval = format!("{}s", self.scrape_interval_s);
        let doc = json!({
            "global": {"scrape_interval": interval, "evaluation_interval": interval},
            "rule_files": [self.path("rules/*.rules.yml")],
            "alerting": {"alertmanagers": [{"static_configs": [{"targets": [self.alertmanager]}]}]},
            "scrape_configs": [{
                "job_name": NODE_JOB,
                "scheme": "https",
                "basic_auth": {"username": self.auth.username(), "password": self.auth.password()},
                "tls_config": {
                    "ca_file": self.path("node-exporter-ca.pem"),
                    "min_version": "TLS13",
                    "insecure_skip_verify": false,
                },
                "static_configs": [{"targets": self.targets}],
            }],
        });
        serde_saphyr::to_string(&doc)
            .map_err(|e| Error::invalid("central", format!("YAML serialisation failed: {e}")))
    }

    /// Every file of the monitoring server (see the table above).
    pub fn render(&self) -> Result<Vec<RenderedFile>> {
        let mut prom =
            RenderedFile::root(self.path("prometheus.yml"), 0o600, self.prometheus_yaml()?);
        prom.owner = "prometheus:prometheus".to_owned();
        Ok(vec![
            prom,
            RenderedFile::root(
                self.path("node-exporter-ca.pem"),
                0o644,
                self.ca_pem.clone(),
            ),
            self.rules
                .render_at(&self.path("rules/hardened-host.rules.yml"))?,
            RenderedFile::root(
                self.path("rules/hardened-host.test.yml"),
                0o644,
                super::rules_test::rules_test_yaml(
                    &self.rules,
                    NODE_JOB,
                    "hardened-host.rules.yml",
                )?,
            ),
            self.escalation.render_at(&self.path("alertmanager.yml"))?,
        ])
    }
}
