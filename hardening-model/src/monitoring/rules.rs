//! Prometheus alerting rules: the runbook's node_exporter thresholds (8.1, 8.6) and the rules
//! file format `promtool check rules` reads.
//!
//! Departures from the runbook:
//! - The outbound-traffic alert: the runbook's `rate(node_network_transmit_bytes_total[1m]) >
//!   104857600` compares a per-second rate with a per-minute budget (it fires at 100 MB/s,
//!   not 100 MB/min). The rule here multiplies the rate by 60.
//! - Every rule carries a `severity` label of Appendix C (`sev1`, `sev2`, `sev3`), which the
//!   [`Escalation`](super::Escalation) routes; the runbook's `critical`/`warning` named no
//!   receiver.

use serde_json::{Value, json};

use crate::values::{AbsPath, check_chars, check_max_len, check_non_empty};
use crate::{Error, Problem, RenderedFile, Result};

/// Where the alert rules file goes by default.
pub const ALERT_RULES_PATH: &str = "/etc/prometheus/alerts.rules.yml";

/// The `severity` label of an alert: the incident levels of the runbook's Appendix C, which
/// an [`Escalation`](super::Escalation) routes to receivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Data breach or full compromise: page at once, escalate, invoke the playbook.
    Sev1,
    /// Service disruption or partial compromise: page, begin investigation.
    Sev2,
    /// Suspicious activity or anomaly: notify, investigated during business hours.
    Sev3,
}

impl Severity {
    /// Every level, most severe first.
    pub const ALL: [Severity; 3] = [Severity::Sev1, Severity::Sev2, Severity::Sev3];

    /// The label value: `sev1`, `sev2` or `sev3`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sev1 => "sev1",
            Self::Sev2 => "sev2",
            Self::Sev3 => "sev3",
        }
    }
}

/// One alerting rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRule {
    name: String,
    expr: String,
    for_s: u32,
    severity: Severity,
    summary: String,
}

impl AlertRule {
    /// Validates a rule: name `[A-Za-z_][A-Za-z0-9_]*`; `expr` and `summary` one line of
    /// printable text (they are YAML string scalars; PromQL syntax is checked by promtool).
    pub fn new(
        name: &str,
        expr: &str,
        for_s: u32,
        severity: Severity,
        summary: &str,
    ) -> Result<Self> {
        check_non_empty("alert.name", name)?;
        check_max_len("alert.name", name, 128)?;
        check_chars("alert.name", name, |c| {
            c.is_ascii_alphanumeric() || c == '_'
        })?;
        if name.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(Error::invalid("alert.name", "must not start with a digit"));
        }
        for (field, v) in [("alert.expr", expr), ("alert.summary", summary)] {
            check_non_empty(field, v)?;
            check_max_len(field, v, 2048)?;
            check_chars(field, v, |c| {
                !c.is_control() && c != '\u{2028}' && c != '\u{2029}' && c != '\u{feff}'
            })?;
        }
        Ok(Self {
            name: name.to_owned(),
            expr: expr.to_owned(),
            for_s,
            severity,
            summary: summary.to_owned(),
        })
    }

    /// The alert's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The PromQL expression.
    pub fn expr(&self) -> &str {
        &self.expr
    }

    /// The `summary` annotation (a Prometheus template).
    pub fn summary(&self) -> &str {
        &self.summary
    }

    /// The `severity` label.
    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// How long the expression must hold before the alert fires, in seconds.
    pub fn for_seconds(&self) -> u32 {
        self.for_s
    }

    fn to_value(&self) -> Value {
        json!({
            "alert": self.name,
            "expr": self.expr,
            "for": format!("{}s", self.for_s),
            "labels": { "severity": self.severity.as_str() },
            "annotations": { "summary": self.summary },
        })
    }
}

/// The runbook's thresholds (8.1 and 8.6), all integers so they render exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertThresholds {
    /// CPU busy percent sustained for 5 minutes (80).
    pub cpu_busy_percent: u32,
    /// Available memory floor in MiB (256).
    pub memory_available_mib: u32,
    /// Free disk percent that warns (15, i.e. usage above 85%).
    pub disk_free_warning_percent: u32,
    /// Free disk percent that pages (10).
    pub disk_free_critical_percent: u32,
    /// Established TCP connections (500).
    pub tcp_established: u32,
    /// 1-minute load per CPU core (2).
    pub load_per_core: u32,
    /// Network bytes per minute in either direction, in MiB (100).
    pub network_mib_per_minute: u32,
}

impl Default for AlertThresholds {
    fn default() -> Self {
        Self {
            cpu_busy_percent: 80,
            memory_available_mib: 256,
            disk_free_warning_percent: 15,
            disk_free_critical_percent: 10,
            tcp_established: 500,
            load_per_core: 2,
            network_mib_per_minute: 100,
        }
    }
}

/// A Prometheus rules file with one group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRules {
    group: String,
    rules: Vec<AlertRule>,
}

impl AlertRules {
    /// The runbook's node_exporter alerts for scrape job `job` (`[a-z0-9_-]`), plus an alert
    /// when the exporter itself is down.
    pub fn for_thresholds(t: &AlertThresholds, job: &str) -> Result<Self> {
        check_non_empty("alert.job", job)?;
        check_max_len("alert.job", job, 64)?;
        check_chars("alert.job", job, |c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-'
        })?;
        if t.disk_free_critical_percent >= t.disk_free_warning_percent
            || t.disk_free_warning_percent >= 100
        {
            return Err(Error::new(
                "alert.disk_free_percent",
                Problem::Conflict("critical must be below warning, warning below 100".into()),
            ));
        }
        if t.cpu_busy_percent == 0 || t.cpu_busy_percent >= 100 {
            return Err(Error::new(
                "alert.cpu_busy_percent",
                Problem::OutOfRange {
                    min: 1,
                    max: 99,
                    value: i64::from(t.cpu_busy_percent),
                },
            ));
        }
        let sel = format!("job=\"{job}\"");
        let fs = format!("{sel},fstype!~\"tmpfs|overlay|squashfs|nsfs\"");
        let net_bytes = u64::from(t.network_mib_per_minute) * 1024 * 1024;
        let rules = vec![
            AlertRule::new(
                "NodeExporterDown",
                &format!("up{{{sel}}} == 0"),
                120,
                Severity::Sev2,
                "node_exporter on {{ $labels.instance }} is down",
            )?,
            AlertRule::new(
                "HighCpuUsage",
                &format!(
                    "100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{{{sel},mode=\"idle\"}}[5m]))) > {}",
                    t.cpu_busy_percent
                ),
                300,
                Severity::Sev3,
                "CPU busy above threshold for 5 minutes on {{ $labels.instance }}",
            )?,
            AlertRule::new(
                "LowMemoryAvailable",
                &format!(
                    "node_memory_MemAvailable_bytes{{{sel}}} < {}",
                    u64::from(t.memory_available_mib) * 1024 * 1024
                ),
                300,
                Severity::Sev3,
                "Available memory below threshold on {{ $labels.instance }}",
            )?,
            AlertRule::new(
                "DiskSpaceLow",
                &format!(
                    "100 * node_filesystem_avail_bytes{{{fs}}} / node_filesystem_size_bytes{{{fs}}} < {}",
                    t.disk_free_warning_percent
                ),
                600,
                Severity::Sev3,
                "Filesystem {{ $labels.mountpoint }} on {{ $labels.instance }} is filling up",
            )?,
            AlertRule::new(
                "DiskSpaceCritical",
                &format!(
                    "100 * node_filesystem_avail_bytes{{{fs}}} / node_filesystem_size_bytes{{{fs}}} < {}",
                    t.disk_free_critical_percent
                ),
                300,
                Severity::Sev2,
                "Filesystem {{ $labels.mountpoint }} on {{ $labels.instance }} is almost full",
            )?,
            AlertRule::new(
                "TooManyTcpConnections",
                &format!(
                    "node_netstat_Tcp_CurrEstab{{{sel}}} > {}",
                    t.tcp_established
                ),
                300,
                Severity::Sev3,
                "Established TCP connections above threshold on {{ $labels.instance }}",
            )?,
            AlertRule::new(
                "HighLoad",
                &format!(
                    "node_load1{{{sel}}} > on (instance) {} * count by (instance) (node_cpu_seconds_total{{{sel},mode=\"idle\"}})",
                    t.load_per_core
                ),
                300,
                Severity::Sev3,
                "Load average above threshold per core on {{ $labels.instance }}",
            )?,
            AlertRule::new(
                "HighInboundTraffic",
                &format!(
                    "rate(node_network_receive_bytes_total{{{sel},device!=\"lo\"}}[5m]) * 60 > {net_bytes}"
                ),
                300,
                Severity::Sev3,
                "Inbound traffic on {{ $labels.device }} above threshold (possible DDoS)",
            )?,
            AlertRule::new(
                "UnusualOutboundTraffic",
                &format!(
                    "rate(node_network_transmit_bytes_total{{{sel},device!=\"lo\"}}[5m]) * 60 > {net_bytes}"
                ),
                300,
                Severity::Sev3,
                "Outbound traffic on {{ $labels.device }} above threshold (possible exfiltration)",
            )?,
        ];
        Ok(Self {
            group: "host-hardening".to_owned(),
            rules,
        })
    }

    /// Adds a rule.
    #[must_use]
    pub fn with_rule(mut self, rule: AlertRule) -> Self {
        self.rules.push(rule);
        self
    }

    /// Adds every rule of `other` (its group name is dropped).
    #[must_use]
    pub fn with_rules(mut self, other: AlertRules) -> Self {
        self.rules.extend(other.rules);
        self
    }

    /// A group of `rules` named `group` (`[A-Za-z0-9_-]`, at most 64 characters).
    pub fn group(group: &str, rules: Vec<AlertRule>) -> Result<Self> {
        check_non_empty("alert.group", group)?;
        check_max_len("alert.group", group, 64)?;
        check_chars("alert.group", group, |c| {
            c.is_ascii_alphanumeric() || c == '_' || c == '-'
        })?;
        Ok(Self {
            group: group.to_owned(),
            rules,
        })
    }

    /// The rules.
    pub fn rules(&self) -> &[AlertRule] {
        &self.rules
    }

    /// The YAML document (`groups: [{name, rules}]`).
    pub fn to_yaml(&self) -> Result<String> {
        let mut names = std::collections::BTreeSet::new();
        for r in &self.rules {
            if !names.insert(r.name.as_str()) {
                return Err(Error::invalid(
                    format!("alert.{}", r.name),
                    "duplicate alert name",
                ));
            }
        }
        let doc = json!({
            "groups": [ { "name": self.group, "rules": self.rules.iter().map(AlertRule::to_value).collect::<Vec<_>>() } ]
        });
        serde_saphyr::to_string(&doc)
            .map_err(|e| Error::invalid("alerts", format!("YAML serialisation failed: {e}")))
    }

    /// Renders to `path` (root, 0644).
    pub fn render_at(&self, path: &str) -> Result<RenderedFile> {
        let path =
            AbsPath::new(path).map_err(|e| Error::new("alerts.path", e.problem().clone()))?;
        Ok(RenderedFile::root(path.as_str(), 0o644, self.to_yaml()?))
    }
}
