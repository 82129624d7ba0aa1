//! The fleet drift report: per instance, every Appendix B line with its status and why; JSON
//! for machines, a table for people.

use std::fmt::Write as _;

use hardening_model::audit::Status;

/// One checklist line for one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The check id (`firewall.hetzner`, `ssh.root-login`, ... or `converge.version`).
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its outcome.
    pub status: Status,
    /// Where the answer came from: `api`, `host report` or `policy`.
    pub source: &'static str,
    /// Why.
    pub detail: String,
}

/// Every line of one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceAudit {
    /// The instance id.
    pub instance: String,
    /// One line per check.
    pub lines: Vec<Line>,
}

impl InstanceAudit {
    /// The lines that failed: the instance's drift.
    pub fn drift(&self) -> impl Iterator<Item = &Line> {
        self.lines.iter().filter(|l| l.status == Status::Fail)
    }
}

/// The whole fleet's audit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FleetAudit {
    /// One entry per instance, sorted by id.
    pub instances: Vec<InstanceAudit>,
}

impl FleetAudit {
    /// Failed lines across the fleet; 0 means no drift.
    pub fn drift_count(&self) -> usize {
        self.instances.iter().map(|i| i.drift().count()).sum()
    }

    /// Instances with at least one failed line.
    pub fn drifted_instances(&self) -> Vec<&str> {
        self.instances
            .iter()
            .filter(|i| i.drift().next().is_some())
            .map(|i| i.instance.as_str())
            .collect()
    }

    /// `{"instances": [{"instance", "drift": [...], "lines": [...]}], "drift": N}`.
    pub fn to_json(&self) -> serde_json::Value {
        let line = |l: &Line| {
            serde_json::json!({
                "id": l.id, "title": l.title, "status": l.status,
                "source": l.source, "detail": l.detail,
            })
        };
        serde_json::json!({
            "drift": self.drift_count(),
            "instances": self.instances.iter().map(|i| serde_json::json!({
                "instance": i.instance,
                "drift": i.drift().map(line).collect::<Vec<_>>(),
                "lines": i.lines.iter().map(line).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })
    }

    /// One row per failed line (instance, check, source, why), then a summary line; a fleet
    /// without drift prints only the summary.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let rows: Vec<(&str, &Line)> = self
            .instances
            .iter()
            .flat_map(|i| i.drift().map(move |l| (i.instance.as_str(), l)))
            .collect();
        if !rows.is_empty() {
            let w = rows.iter().map(|(i, _)| i.len()).max().unwrap_or(8).max(8);
            let _ = writeln!(
                out,
                "{:<w$}  {:<28}  {:<11}  DETAIL",
                "INSTANCE", "CHECK", "SOURCE"
            );
            for (instance, l) in rows {
                let _ = writeln!(
                    out,
                    "{instance:<w$}  {:<28}  {:<11}  {}",
                    l.id, l.source, l.detail
                );
            }
        }
        let _ = writeln!(
            out,
            "{} instances audited, {} drifted, {} failed lines",
            self.instances.len(),
            self.drifted_instances().len(),
            self.drift_count()
        );
        out
    }
}
