//! Monitoring (runbook 8.1, 8.6): node_exporter as a hardened compose service and a
//! Prometheus alert rules file for the runbook's thresholds.
//!
//! Departures from the runbook:
//! - node_exporter shares the host PID and network namespaces, so under the daemon's
//!   userns-remap it must set `userns_mode: host` or it refuses to start (erratum 10). It runs
//!   as `nobody` (65534) with every capability dropped, a read-only root, pinned by digest and
//!   listening on 127.0.0.1 only.
//! - `--collector.systemd` is left out: it needs the host's D-Bus socket mounted, which the
//!   runbook does not do (the collector would only log errors).
//! - The outbound-traffic alert: the runbook's `rate(node_network_transmit_bytes_total[1m]) >
//!   104857600` compares a per-second rate with a per-minute budget (it fires at 100 MB/s,
//!   not 100 MB/min). The rule here multiplies the rate by 60.
//! - Alerts that need other sources (Falco shell exec, fail2ban SSH brute force, auditd
//!   docker.sock access, AIDE/Wazuh file integrity, container restarts) are not node_exporter
//!   metrics and are not in this file.

use serde_json::{Value, json};

use crate::docker::image::ImageRef;
use crate::docker::names::ServiceName;
use crate::docker::service::{Mount, Resources, Service};
use crate::values::{AbsPath, Port, check_chars, check_max_len, check_non_empty};
use crate::{Error, Problem, RenderedFile, Result};

/// Where the alert rules file goes by default.
pub const ALERT_RULES_PATH: &str = "/etc/prometheus/alerts.rules.yml";

/// node_exporter as a hardened compose service listening on `127.0.0.1:<port>`.
///
/// ```
/// use hardening_model::docker::ImageRef;
/// use hardening_model::monitoring::node_exporter;
/// use hardening_model::values::Port;
/// let image = ImageRef::parse(&format!("prom/node-exporter@sha256:{}", "0".repeat(64))).unwrap();
/// let svc = node_exporter(image, Port::new(9100).unwrap()).unwrap();
/// assert!(svc.uses_host_network());
/// ```
pub fn node_exporter(image: ImageRef, port: Port) -> Result<Service> {
    let name = ServiceName::new("node-exporter")?;
    let ro = |src: &str, dst: &str| -> Result<Mount> {
        Mount::bind(AbsPath::new(src)?, AbsPath::new(dst)?, true)
    };
    let listen = format!("--web.listen-address=127.0.0.1:{port}");
    Service::new(name, image)
        .with_user("65534:65534")?
        .with_host_pid()
        .with_host_network()
        .with_host_userns()
        .with_tmpfs(Vec::new())
        .with_resources(Resources::new(100, 128, 64)?)
        .with_volume(ro("/proc", "/host/proc")?)
        .with_volume(ro("/sys", "/host/sys")?)
        .with_volume(Mount::host_root_read_only(AbsPath::new("/rootfs")?)?)
        .with_command(&[
            "--path.procfs=/host/proc",
            "--path.sysfs=/host/sys",
            "--path.rootfs=/rootfs",
            "--collector.filesystem.mount-points-exclude=^/(sys|proc|dev|host|etc)($|/)",
            &listen,
            "--collector.processes",
            "--collector.conntrack",
        ])
}

/// Severity label of an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Page someone.
    Critical,
    /// Notify a channel.
    Warning,
}

impl Severity {
    fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::Warning => "warning",
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
                Severity::Critical,
                "node_exporter on {{ $labels.instance }} is down",
            )?,
            AlertRule::new(
                "HighCpuUsage",
                &format!(
                    "100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{{{sel},mode=\"idle\"}}[5m]))) > {}",
                    t.cpu_busy_percent
                ),
                300,
                Severity::Warning,
                "CPU busy above threshold for 5 minutes on {{ $labels.instance }}",
            )?,
            AlertRule::new(
                "LowMemoryAvailable",
                &format!(
                    "node_memory_MemAvailable_bytes{{{sel}}} < {}",
                    u64::from(t.memory_available_mib) * 1024 * 1024
                ),
                300,
                Severity::Warning,
                "Available memory below threshold on {{ $labels.instance }}",
            )?,
            AlertRule::new(
                "DiskSpaceLow",
                &format!(
                    "100 * node_filesystem_avail_bytes{{{fs}}} / node_filesystem_size_bytes{{{fs}}} < {}",
                    t.disk_free_warning_percent
                ),
                600,
                Severity::Warning,
                "Filesystem {{ $labels.mountpoint }} on {{ $labels.instance }} is filling up",
            )?,
            AlertRule::new(
                "DiskSpaceCritical",
                &format!(
                    "100 * node_filesystem_avail_bytes{{{fs}}} / node_filesystem_size_bytes{{{fs}}} < {}",
                    t.disk_free_critical_percent
                ),
                300,
                Severity::Critical,
                "Filesystem {{ $labels.mountpoint }} on {{ $labels.instance }} is almost full",
            )?,
            AlertRule::new(
                "TooManyTcpConnections",
                &format!(
                    "node_netstat_Tcp_CurrEstab{{{sel}}} > {}",
                    t.tcp_established
                ),
                300,
                Severity::Warning,
                "Established TCP connections above threshold on {{ $labels.instance }}",
            )?,
            AlertRule::new(
                "HighLoad",
                &format!(
                    "node_load1{{{sel}}} > on (instance) {} * count by (instance) (node_cpu_seconds_total{{{sel},mode=\"idle\"}})",
                    t.load_per_core
                ),
                300,
                Severity::Warning,
                "Load average above threshold per core on {{ $labels.instance }}",
            )?,
            AlertRule::new(
                "HighInboundTraffic",
                &format!(
                    "rate(node_network_receive_bytes_total{{{sel},device!=\"lo\"}}[5m]) * 60 > {net_bytes}"
                ),
                300,
                Severity::Warning,
                "Inbound traffic on {{ $labels.device }} above threshold (possible DDoS)",
            )?,
            AlertRule::new(
                "UnusualOutboundTraffic",
                &format!(
                    "rate(node_network_transmit_bytes_total{{{sel},device!=\"lo\"}}[5m]) * 60 > {net_bytes}"
                ),
                300,
                Severity::Warning,
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
