//! A `promtool test rules` file for the node and security alerts: for each alert, input
//! series that must make it fire (with its severity label) and one that must not.

use serde_json::{Value, json};

use super::rules::AlertRules;
use crate::{Error, Result};

/// One input series: metric name, labels besides `job` and `instance`, promtool values.
type Series = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static str,
);

/// One unit test: series, when to evaluate, and the alert expected (or none).
struct Case {
    alert: &'static str,
    series: &'static [Series],
    eval: &'static str,
    fires: bool,
    /// `$value` as Prometheus prints it in the summary.
    value: &'static str,
}

const INSTANCE: &str = "host-1:9100";

const CASES: &[Case] = &[
    Case {
        alert: "NodeExporterDown",
        series: &[("up", &[], "0x10")],
        eval: "5m",
        fires: true,
        value: "0",
    },
    Case {
        alert: "NodeExporterDown",
        series: &[("up", &[], "1x10")],
        eval: "5m",
        fires: false,
        value: "",
    },
    Case {
        alert: "FalcoCriticalEvent",
        series: &[(
            "hardened_host_falco_events",
            &[("priority", "critical")],
            "1x5",
        )],
        eval: "1m",
        fires: true,
        value: "1",
    },
    Case {
        alert: "FalcoWarningEvent",
        series: &[(
            "hardened_host_falco_events",
            &[("priority", "warning")],
            "2x5",
        )],
        eval: "1m",
        fires: true,
        value: "2",
    },
    Case {
        alert: "FalcoNoticeEvent",
        series: &[(
            "hardened_host_falco_events",
            &[("priority", "notice")],
            "1x5",
        )],
        eval: "1m",
        fires: true,
        value: "1",
    },
    Case {
        alert: "FalcoNotRunning",
        series: &[("hardened_host_falco_active", &[], "0x20")],
        eval: "10m",
        fires: true,
        value: "0",
    },
    Case {
        alert: "DockerSocketAccess",
        series: &[(
            "hardened_host_audit_events",
            &[("key", "docker-socket")],
            "1x5",
        )],
        eval: "1m",
        fires: true,
        value: "1",
    },
    Case {
        alert: "AuditedFileChanged",
        series: &[("hardened_host_audit_events", &[("key", "identity")], "1x5")],
        eval: "1m",
        fires: true,
        value: "1",
    },
    Case {
        alert: "FileIntegrityChange",
        series: &[("hardened_host_aide_changes", &[], "1x5")],
        eval: "1m",
        fires: true,
        value: "1",
    },
    Case {
        alert: "SshBruteForce",
        series: &[("hardened_host_ssh_failed_logins", &[], "11x5")],
        eval: "1m",
        fires: true,
        value: "11",
    },
    Case {
        alert: "SshBruteForce",
        series: &[("hardened_host_ssh_failed_logins", &[], "5x5")],
        eval: "1m",
        fires: false,
        value: "",
    },
    Case {
        alert: "SecurityEventsStale",
        series: &[(
            "hardened_host_security_events_timestamp_seconds",
            &[],
            "0x30",
        )],
        eval: "20m",
        fires: true,
        value: "",
    },
    Case {
        alert: "ContainerRestarting",
        series: &[(
            "hardened_host_container_restarts",
            &[("container", "stack-app-1")],
            "0 0 0 1 1 1",
        )],
        eval: "5m",
        fires: true,
        value: "",
    },
    Case {
        alert: "ContainerRestarting",
        series: &[(
            "hardened_host_container_restarts",
            &[("container", "stack-app-1")],
            "2x20",
        )],
        eval: "20m",
        fires: false,
        value: "",
    },
    // time() is seconds since the start of the test: a backup at 0 is 27 hours old at 27h.
    Case {
        alert: "BackupTooOld",
        series: &[(
            "hardened_host_backup_last_success_timestamp_seconds",
            &[],
            "0x1700",
        )],
        eval: "27h",
        fires: true,
        value: "",
    },
    Case {
        alert: "BackupTooOld",
        series: &[(
            "hardened_host_backup_last_success_timestamp_seconds",
            &[],
            "0x1700",
        )],
        eval: "25h",
        fires: false,
        value: "",
    },
    Case {
        alert: "HeldSecurityUpdate",
        series: &[(
            "hardened_host_held_security_update",
            &[("package", "docker.io")],
            "1x80",
        )],
        eval: "70m",
        fires: true,
        value: "",
    },
    Case {
        alert: "HeldSecurityUpdate",
        series: &[(
            "hardened_host_held_security_update",
            &[("package", "docker.io")],
            "0x80",
        )],
        eval: "70m",
        fires: false,
        value: "",
    },
    Case {
        alert: "RebootPending",
        series: &[(
            "hardened_host_reboot_required_timestamp_seconds",
            &[],
            "1x11600",
        )],
        eval: "8d",
        fires: true,
        value: "",
    },
    // Quiet cases stay short: promtool evaluates every rule at every minute up to `eval`.
    Case {
        alert: "RebootPending",
        series: &[(
            "hardened_host_reboot_required_timestamp_seconds",
            &[],
            "1x150",
        )],
        eval: "2h",
        fires: false,
        value: "",
    },
    Case {
        alert: "RebootPending",
        series: &[(
            "hardened_host_reboot_required_timestamp_seconds",
            &[],
            "0x150",
        )],
        eval: "2h",
        fires: false,
        value: "",
    },
];

/// Expands the `$value` and `$labels.NAME` placeholders of a summary the way Prometheus does
/// for these simple templates.
fn expand(summary: &str, labels: &[(String, String)], value: &str) -> String {
    let mut out = summary.replace("{{ $value }}", value);
    for (k, v) in labels {
        out = out.replace(&format!("{{{{ $labels.{k} }}}}"), v);
    }
    out
}

/// The test file's YAML; `rule_file` is the rules file's name as the test file sees it.
pub(crate) fn rules_test_yaml(rules: &AlertRules, job: &str, rule_file: &str) -> Result<String> {
    let mut tests = Vec::new();
    for case in CASES {
        let Some(rule) = rules.rules().iter().find(|r| r.name() == case.alert) else {
            continue;
        };
        let mut input = Vec::new();
        let mut labels = vec![
            ("instance".to_owned(), INSTANCE.to_owned()),
            ("job".to_owned(), job.to_owned()),
        ];
        for (metric, extra, values) in case.series {
            let mut sel = format!("job=\"{job}\",instance=\"{INSTANCE}\"");
            for (k, v) in *extra {
                sel.push_str(&format!(",{k}=\"{v}\""));
                labels.push(((*k).to_owned(), (*v).to_owned()));
            }
            input.push(json!({"series": format!("{metric}{{{sel}}}"), "values": values}));
        }
        let expected: Vec<Value> = if case.fires {
            let mut exp = serde_json::Map::new();
            for (k, v) in &labels {
                exp.insert(k.clone(), json!(v));
            }
            exp.insert("severity".into(), json!(rule.severity().as_str()));
            vec![json!({
                "exp_labels": exp,
                "exp_annotations": {"summary": expand(rule.summary(), &labels, case.value)},
            })]
        } else {
            Vec::new()
        };
        tests.push(json!({
            "name": format!("{} {}", case.alert, if case.fires { "fires" } else { "stays quiet" }),
            "interval": "1m",
            "input_series": input,
            "alert_rule_test": [{"eval_time": case.eval, "alertname": case.alert, "exp_alerts": expected}],
        }));
    }
    let doc = json!({"rule_files": [rule_file], "evaluation_interval": "1m", "tests": tests});
    serde_saphyr::to_string(&doc)
        .map_err(|e| Error::invalid("rules_test", format!("YAML serialisation failed: {e}")))
}
