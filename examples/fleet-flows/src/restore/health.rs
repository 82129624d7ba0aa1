//! The data services' health after a restore, as the restore script reports it.
//!
//! The script ([`Backups::restore_script`](cloudinit_builder::preset::Backups::restore_script))
//! starts the data services after the swap, waits a bounded time for Docker's health status, and
//! prints one line per service:
//!
//! - `health: SERVICE healthy` (or `running`, when the image defines no health check),
//! - `health: SERVICE unhealthy {...}` with Docker's `.State.Health` as JSON (its `Log` holds the
//!   last probes' output),
//! - `health: SERVICE timeout STATUS` when the wait ran out (`starting`, `restarting`, `exited`,
//!   `missing` for no container).

use std::fmt;

/// The outcome of the health check that ends a restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// Every data service reported `healthy`; `running` lists those without a health check,
    /// which only showed they run.
    Healthy {
        /// The services checked, in order.
        services: Vec<String>,
        /// Those with no health check defined (their containers were running).
        running: Vec<String>,
    },
    /// A service's health check failed after the restore.
    Unhealthy {
        /// The service.
        service: String,
        /// The last probe's output (Docker's health log), trimmed.
        last_output: String,
        /// The last probe's exit code.
        exit_code: Option<i64>,
    },
    /// A service reported neither `healthy` nor `unhealthy` before the script's time ran out.
    TimedOut {
        /// The service.
        service: String,
        /// Its last state (`starting`, `restarting`, `exited`, or `missing` for no container).
        status: String,
    },
}

impl Health {
    /// Whether every data service came back healthy (or running, without a health check).
    pub fn is_healthy(&self) -> bool {
        matches!(self, Self::Healthy { .. })
    }

    /// Reads the restore script's `health:` lines; `None` when it printed none (it failed
    /// before the data was swapped in, or it is not the preset's script). The first service that
    /// is not healthy decides the outcome.
    ///
    /// ```
    /// use fleet_flows::restore::Health;
    /// let ok = Health::parse("restored /data\nhealth: app healthy\n").unwrap();
    /// assert!(ok.is_healthy());
    /// let bad = Health::parse(
    ///     r#"health: app unhealthy {"Status":"unhealthy","FailingStreak":3,"Log":[{"ExitCode":1,"Output":"db locked\n"}]}"#,
    /// )
    /// .unwrap();
    /// assert_eq!(bad.to_string(), "app unhealthy (exit 1): db locked");
    /// assert_eq!(Health::parse("restored /data\n"), None);
    /// ```
    pub fn parse(stdout: &str) -> Option<Self> {
        let mut services = Vec::new();
        let mut running = Vec::new();
        for line in stdout.lines() {
            let Some(rest) = line.strip_prefix("health: ") else {
                continue;
            };
            let mut words = rest.splitn(3, ' ');
            let service = words.next().unwrap_or_default().to_owned();
            let status = words.next().unwrap_or_default();
            let detail = words.next().unwrap_or_default().trim();
            match status {
                "healthy" => services.push(service),
                "running" => {
                    services.push(service.clone());
                    running.push(service);
                }
                "unhealthy" => {
                    let (last_output, exit_code) = last_probe(detail);
                    return Some(Self::Unhealthy {
                        service,
                        last_output,
                        exit_code,
                    });
                }
                _ => {
                    return Some(Self::TimedOut {
                        service,
                        status: if detail.is_empty() {
                            status.to_owned()
                        } else {
                            detail.to_owned()
                        },
                    });
                }
            }
        }
        (!services.is_empty()).then_some(Self::Healthy { services, running })
    }
}

/// The last probe's output and exit code from Docker's `.State.Health` JSON (`Log[-1].Output`,
/// `Log[-1].ExitCode`); the raw text when it is not that JSON.
fn last_probe(json: &str) -> (String, Option<i64>) {
    let Ok(health) = serde_json::from_str::<serde_json::Value>(json) else {
        return (json.to_owned(), None);
    };
    let last = health
        .get("Log")
        .and_then(serde_json::Value::as_array)
        .and_then(|log| log.last());
    let output = last
        .and_then(|p| p.get("Output"))
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default();
    let code = last
        .and_then(|p| p.get("ExitCode"))
        .and_then(serde_json::Value::as_i64);
    (output.trim().to_owned(), code)
}

impl fmt::Display for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Healthy { services, running } => {
                write!(f, "healthy: {}", services.join(", "))?;
                if !running.is_empty() {
                    write!(f, " (no health check, running: {})", running.join(", "))?;
                }
                Ok(())
            }
            Self::Unhealthy {
                service,
                last_output,
                exit_code,
            } => {
                write!(f, "{service} unhealthy")?;
                if let Some(code) = exit_code {
                    write!(f, " (exit {code})")?;
                }
                write!(f, ": {last_output}")
            }
            Self::TimedOut { service, status } => {
                write!(f, "{service} not healthy in time (last status {status})")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_outcome_is_read_and_the_first_failing_service_decides() {
        assert_eq!(
            Health::parse("restored /x\nhealth: app healthy\nhealth: worker running\n"),
            Some(Health::Healthy {
                services: vec!["app".into(), "worker".into()],
                running: vec!["worker".into()],
            })
        );
        let json = r#"{"Status":"unhealthy","FailingStreak":4,"Log":[{"Start":"2026-12-08T01:00:00Z","ExitCode":1,"Output":"old"},{"ExitCode":7,"Output":"  connection refused\n"}]}"#;
        assert_eq!(
            Health::parse(&format!(
                "health: app healthy\nhealth: db unhealthy {json}\n"
            )),
            Some(Health::Unhealthy {
                service: "db".into(),
                last_output: "connection refused".into(),
                exit_code: Some(7),
            })
        );
        assert_eq!(
            Health::parse("health: app timeout starting\n"),
            Some(Health::TimedOut {
                service: "app".into(),
                status: "starting".into(),
            })
        );
        let t = Health::parse("health: app timeout missing").unwrap();
        assert_eq!(
            t.to_string(),
            "app not healthy in time (last status missing)"
        );
        assert!(!t.is_healthy());
        // Not Docker's JSON: the raw text is kept.
        let raw = Health::parse("health: app unhealthy probe failed").unwrap();
        assert_eq!(raw.to_string(), "app unhealthy: probe failed");
        assert_eq!(Health::parse(""), None);
    }
}
