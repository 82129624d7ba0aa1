//! Findings and reports: a table for people, JSON for machines.

use std::fmt::{self, Write as _};

use serde::Serialize;

use super::check::{Check, Severity};

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The evidence shows the requirement is met.
    Pass,
    /// The evidence shows the requirement is not met (or the file that should meet it is
    /// missing or broken).
    Fail,
    /// The requirement could not be decided from the available files; the detail says why.
    Unknown,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Pass => "PASS",
            Self::Fail => "FAIL",
            Self::Unknown => "UNKNOWN",
        })
    }
}

/// The result of one check, with what it was decided on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The check.
    pub check: Check,
    /// Its outcome.
    pub status: Status,
    /// Why, in one or more sentences (never the content of secret files).
    pub detail: String,
    /// The files the decision was based on.
    pub evidence: Vec<String>,
}

impl Finding {
    pub(crate) fn new(
        check: Check,
        status: Status,
        detail: impl Into<String>,
        evidence: Vec<String>,
    ) -> Self {
        Self {
            check,
            status,
            detail: detail.into(),
            evidence,
        }
    }
}

/// Counts per status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Checks that passed.
    pub pass: usize,
    /// Checks that failed.
    pub fail: usize,
    /// Checks that could not be decided.
    pub unknown: usize,
    /// Failed checks of critical severity.
    pub critical_failures: usize,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} checks: {} pass, {} fail ({} critical), {} unknown",
            self.pass + self.fail + self.unknown,
            self.pass,
            self.fail,
            self.critical_failures,
            self.unknown
        )
    }
}

/// Every finding of one audit run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// What was audited (e.g. `directory /srv/host1`).
    pub source: String,
    /// One finding per check, in checklist order.
    pub findings: Vec<Finding>,
    /// Counts per status.
    pub summary: Summary,
}

impl Report {
    pub(crate) fn new(source: String, findings: Vec<Finding>) -> Self {
        let mut summary = Summary::default();
        for finding in &findings {
            match finding.status {
                Status::Pass => summary.pass += 1,
                Status::Fail => {
                    summary.fail += 1;
                    if finding.check.severity == Severity::Critical {
                        summary.critical_failures += 1;
                    }
                }
                Status::Unknown => summary.unknown += 1,
            }
        }
        Self {
            source,
            findings,
            summary,
        }
    }

    /// The finding for a check id.
    pub fn finding(&self, id: &str) -> Option<&Finding> {
        self.findings.iter().find(|f| f.check.id == id)
    }

    /// True when a check of critical severity failed.
    pub fn has_critical_failure(&self) -> bool {
        self.summary.critical_failures > 0
    }

    /// The report as pretty-printed JSON (`source`, `findings`, `summary`).
    ///
    /// # Errors
    /// Only if serialisation fails, which plain data like this does not.
    pub fn to_json(&self) -> serde_json::Result<String> {
        serde_json::to_string_pretty(self)
    }

    /// The report as a fixed-width table followed by the summary line.
    pub fn to_table(&self) -> String {
        let id_width = self
            .findings
            .iter()
            .map(|f| f.check.id.len())
            .max()
            .unwrap_or(2)
            .max(2);
        let mut out = String::new();
        let _ = writeln!(out, "audit of {}", self.source);
        let _ = writeln!(
            out,
            "{:<7}  {:<8}  {:<5}  {:<id_width$}  detail",
            "status", "severity", "sect", "id"
        );
        for f in &self.findings {
            let mut lines = f.detail.lines();
            let first = lines.next().unwrap_or("");
            let _ = writeln!(
                out,
                "{:<7}  {:<8}  {:<5}  {:<id_width$}  {}",
                f.status.to_string(),
                f.check.severity.to_string(),
                f.check.section,
                f.check.id,
                first
            );
            for more in lines {
                let _ = writeln!(
                    out,
                    "{:<7}  {:<8}  {:<5}  {:<id_width$}  {more}",
                    "", "", "", ""
                );
            }
        }
        let _ = writeln!(out, "{}", self.summary);
        out
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_table())
    }
}
