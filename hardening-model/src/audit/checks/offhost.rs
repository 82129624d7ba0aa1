//! Sections 7 to 9: Cloudflare, backups and monitoring.

use serde_json::Value;

use super::os::enabled;
use crate::audit::Check;
use crate::audit::host::Gap;
use crate::audit::host::Host;
use crate::audit::parse::ufw::shell_words;
use crate::audit::report::{Finding, Status};
use crate::audit::source::join;
use crate::backup::{JobResult, JobStatus, LAST_BACKUP, LAST_VERIFY};

pub(crate) fn cloudflare(_host: &Host<'_>, check: Check) -> Finding {
    Finding::new(
        check,
        Status::Unknown,
        "a Cloudflare zone setting, not visible in the host's files: check it with the Cloudflare API",
        Vec::new(),
    )
}

/// A scheduled job mentioning `word`: its file, the command words and whether it runs daily.
struct Job {
    file: String,
    command: Vec<String>,
    daily: bool,
    /// The job line assigns a variable whose name looks like a secret.
    inline_secret: bool,
}

fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    ["KEY", "SECRET", "PASSWORD", "PASSPHRASE", "TOKEN"]
        .iter()
        .any(|s| upper.contains(s))
}

fn jobs(host: &Host<'_>, word: &str) -> Vec<Job> {
    let mut out = Vec::new();
    for dir in ["/etc/cron.d", "/var/spool/cron/crontabs"] {
        for name in host.entries(dir).unwrap_or_default() {
            let path = join(dir, &name);
            let Ok(text) = host.text(&path) else { continue };
            for line in text
                .lines()
                .map(str::trim)
                .filter(|l| !l.starts_with('#') && l.contains(word))
            {
                let words = shell_words(line);
                let (daily, skip) = match words.first().map(String::as_str) {
                    Some("@daily" | "@midnight") => (true, 1),
                    Some(w) if w.starts_with('@') => (false, 1),
                    _ if words.len() >= 5 => (
                        words[2] == "*"
                            && words[3] == "*"
                            && words[4] == "*"
                            && !words[1].contains('*'),
                        5,
                    ),
                    _ => continue,
                };
                let rest: Vec<String> = words.into_iter().skip(skip).collect();
                let inline_secret = rest.iter().any(|w| {
                    w.split_once('=')
                        .is_some_and(|(k, _)| !k.starts_with('-') && is_secret_name(k))
                });
                out.push(Job {
                    file: path.clone(),
                    command: rest,
                    daily,
                    inline_secret,
                });
            }
        }
    }
    for dir in ["/etc/cron.daily"] {
        for name in host
            .entries(dir)
            .unwrap_or_default()
            .into_iter()
            .filter(|n| n.contains(word))
        {
            out.push(Job {
                file: join(dir, &name),
                command: vec![join(dir, &name)],
                daily: true,
                inline_secret: false,
            });
        }
    }
    let units = "/etc/systemd/system";
    for name in host
        .entries(units)
        .unwrap_or_default()
        .into_iter()
        .filter(|n| n.contains(word) && n.ends_with(".timer"))
    {
        let path = join(units, &name);
        let Ok(text) = host.text(&path) else { continue };
        let daily = text.lines().any(|l| {
            l.trim()
                .strip_prefix("OnCalendar=")
                .is_some_and(|v| v.trim() == "daily" || v.trim().starts_with("*-*-* "))
        });
        let service = join(units, &name.replace(".timer", ".service"));
        let command = host
            .text(&service)
            .ok()
            .and_then(|t| {
                t.lines()
                    .find_map(|l| l.trim().strip_prefix("ExecStart=").map(shell_words))
            })
            .unwrap_or_default();
        out.push(Job {
            file: path,
            command,
            daily,
            inline_secret: false,
        });
    }
    out
}

/// Backup jobs other than verification jobs.
fn backup_jobs(host: &Host<'_>) -> Vec<Job> {
    jobs(host, "backup")
        .into_iter()
        .filter(|j| !j.command.iter().any(|w| w.contains("verify")))
        .collect()
}

/// A job's status file ([`crate::backup`]): `Ok(None)` when absent, `Err` when unreadable.
fn job_status(host: &Host<'_>, path: &str) -> Result<Option<JobStatus>, String> {
    match host.text(path) {
        Ok(text) => Ok(Some(JobStatus::parse(&text))),
        Err(Gap::Missing(_)) => Ok(None),
        Err(Gap::Unreadable(_, why) | Gap::Invalid(_, why)) => Err(why),
    }
}

/// `at T (object)` for a status.
fn when(status: &JobStatus) -> String {
    format!(
        "at {} ({})",
        status
            .finished_at
            .as_deref()
            .unwrap_or("an unrecorded time"),
        status.object.as_deref().unwrap_or("no object recorded")
    )
}

pub(crate) fn backup_daily(host: &Host<'_>, check: Check) -> Finding {
    let jobs = backup_jobs(host);
    let mut evidence: Vec<String> = jobs.iter().map(|j| j.file.clone()).collect();
    if jobs.iter().any(|j| j.daily) {
        let last = job_status(host, LAST_BACKUP);
        if matches!(last, Ok(Some(_)) | Err(_)) {
            evidence.push(LAST_BACKUP.to_owned());
        }
        let (status, detail) = match last {
            Ok(Some(s)) if s.result == JobResult::Pass => (
                Status::Pass,
                format!(
                    "a daily backup job is scheduled; its last run passed {}{}",
                    when(&s),
                    s.quiesce
                        .map(|q| format!(", the data services stopped {:.1} s", q.as_secs_f64()))
                        .unwrap_or_default()
                ),
            ),
            Ok(Some(s)) if s.result == JobResult::Fail => (
                Status::Fail,
                format!(
                    "a daily backup job is scheduled, but its last run failed {}: {}",
                    when(&s),
                    s.detail.as_deref().unwrap_or("no reason recorded")
                ),
            ),
            Ok(Some(_)) => (
                Status::Fail,
                format!("{LAST_BACKUP} holds no result=pass or result=fail line"),
            ),
            Ok(None) => (
                Status::Pass,
                format!("a daily backup job is scheduled (no run recorded in {LAST_BACKUP} yet)"),
            ),
            Err(why) => (
                Status::Unknown,
                format!("a daily backup job is scheduled; {LAST_BACKUP} could not be read ({why})"),
            ),
        };
        Finding::new(check, status, detail, evidence)
    } else if jobs.is_empty() {
        Finding::new(
            check,
            host.absent(Status::Fail),
            "no backup job in /etc/cron.d, crontabs, /etc/cron.daily or systemd timers",
            evidence,
        )
    } else {
        Finding::new(
            check,
            Status::Fail,
            "backup jobs exist but none runs daily",
            evidence,
        )
    }
}

pub(crate) fn backup_encrypted(host: &Host<'_>, check: Check) -> Finding {
    let jobs = backup_jobs(host);
    if jobs.is_empty() {
        return Finding::new(
            check,
            host.absent(Status::Fail),
            "no backup job found, so nothing is encrypted",
            Vec::new(),
        );
    }
    let mut bad = Vec::new();
    let mut good = Vec::new();
    let mut unknown = Vec::new();
    let mut evidence = Vec::new();
    for job in &jobs {
        evidence.push(job.file.clone());
        if job.inline_secret {
            bad.push(format!(
                "{} passes the encryption key on the job's command line (a world-readable file)",
                job.file
            ));
        }
        let scripts: Vec<&String> = job.command.iter().filter(|w| w.starts_with('/')).collect();
        let mut text = job.command.join(" ");
        for script in scripts {
            if let Ok(body) = host.text(script) {
                evidence.push(script.clone());
                text.push('\n');
                text.push_str(&body);
            }
        }
        if text.contains("aes-256-cbc") || text.contains("openssl enc") {
            bad.push(format!(
                "{}: `openssl enc` (CBC) is unauthenticated: tampering goes unnoticed",
                job.file
            ));
        } else if ["age ", "age\n", "gpg", "restic", "borg", "aes-256-gcm"]
            .iter()
            .any(|t| text.contains(t))
        {
            let holds_identity = text.contains("AGE-SECRET-KEY") || text.contains("age-keygen -y");
            good.push(if holds_identity {
                format!(
                    "{} (the host holds the decrypting identity, so it can read its own backups)",
                    job.file
                )
            } else if text.contains("age -e -r") || text.contains("age -r") {
                format!("{} (age to a recipient: the host cannot decrypt)", job.file)
            } else {
                job.file.clone()
            });
        } else {
            unknown.push(job.file.clone());
        }
    }
    evidence.dedup();
    if !bad.is_empty() {
        Finding::new(check, Status::Fail, bad.join("; "), evidence)
    } else if !unknown.is_empty() {
        Finding::new(
            check,
            Status::Unknown,
            format!("no encryption tool seen in {}", unknown.join(", ")),
            evidence,
        )
    } else {
        Finding::new(
            check,
            Status::Pass,
            format!("authenticated encryption in {}", good.join(", ")),
            evidence,
        )
    }
}

pub(crate) fn backup_verified(host: &Host<'_>, check: Check) -> Finding {
    let jobs = jobs(host, "verify");
    let mut evidence: Vec<String> = jobs.iter().map(|j| j.file.clone()).collect();
    if jobs.is_empty() {
        return Finding::new(
            check,
            host.absent(Status::Fail),
            "no backup verification job is scheduled",
            evidence,
        );
    }
    let last = job_status(host, LAST_VERIFY);
    if matches!(last, Ok(Some(_)) | Err(_)) {
        evidence.push(LAST_VERIFY.to_owned());
    }
    let (status, detail) = match last {
        Ok(Some(s)) if s.result == JobResult::Pass => (
            Status::Pass,
            format!(
                "the last verification passed {}: the stored copy matches the SHA-256 recorded at upload",
                when(&s)
            ),
        ),
        Ok(Some(s)) if s.result == JobResult::Fail => (
            Status::Fail,
            format!(
                "the last verification failed {}: {}",
                when(&s),
                s.detail.as_deref().unwrap_or("no reason recorded")
            ),
        ),
        Ok(Some(_)) => (
            Status::Fail,
            format!("{LAST_VERIFY} holds no result=pass or result=fail line"),
        ),
        Ok(None) => (
            Status::Unknown,
            format!(
                "a verification job is scheduled but has not recorded a result ({LAST_VERIFY} absent; the runbook's own job records none)"
            ),
        ),
        Err(why) => (
            Status::Unknown,
            format!("{LAST_VERIFY} could not be read ({why})"),
        ),
    };
    Finding::new(check, status, detail, evidence)
}

fn service_image(service: &Value) -> String {
    service
        .get("image")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// Whether a compose service's image contains one of `names`, or one of `units` is enabled.
fn running(host: &Host<'_>, check: Check, names: &[&str], units: &[&str], what: &str) -> Finding {
    let mut found = Vec::new();
    for file in host.compose.iter().flatten() {
        for (name, service) in file.services() {
            let image = service_image(service);
            if names.iter().any(|n| image.contains(n)) {
                found.push(format!("compose service {name} in {}", file.path));
            }
        }
    }
    for unit in units {
        if enabled(host, unit) == Some(true) {
            found.push(format!("{unit} enabled"));
        }
    }
    if found.is_empty() {
        let visible = enabled(host, "x").is_some();
        let status = if visible || !host.compose.is_empty() {
            host.absent(Status::Fail)
        } else {
            Status::Unknown
        };
        Finding::new(
            check,
            status,
            format!("no {what} found (compose services, systemd units)"),
            Vec::new(),
        )
    } else {
        Finding::new(check, Status::Pass, found.join(", "), Vec::new())
    }
}

/// A compose service's `command` as words.
fn command_words(service: &Value) -> Vec<String> {
    match service.get("command") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Some(Value::String(s)) => shell_words(s),
        _ => Vec::new(),
    }
}

/// The host path of `path` as seen inside a container with these volumes (bind mounts in
/// short `src:dst[:opts]` or long `{source, target}` form); the path itself when none maps it.
fn host_path(service: &Value, path: &str) -> String {
    let volumes = service.get("volumes").and_then(Value::as_array);
    for v in volumes.into_iter().flatten() {
        let (src, dst) = match v {
            Value::String(s) => {
                let mut parts = s.split(':');
                (
                    parts.next().map(str::to_owned),
                    parts.next().map(str::to_owned),
                )
            }
            Value::Object(_) => (
                v.get("source").and_then(Value::as_str).map(str::to_owned),
                v.get("target").and_then(Value::as_str).map(str::to_owned),
            ),
            _ => (None, None),
        };
        if let (Some(src), Some(dst)) = (src, dst)
            && src.starts_with('/')
            && let Some(rest) = path.strip_prefix(dst.trim_end_matches('/'))
            && (rest.is_empty() || rest.starts_with('/'))
        {
            return format!("{}{rest}", src.trim_end_matches('/'));
        }
    }
    path.to_owned()
}

/// What a node_exporter web config provides: `Ok(detail)` with TLS and bcrypt basic auth,
/// `Err(problem)` otherwise.
fn web_config_ok(text: &str) -> Result<String, String> {
    let doc: Value = serde_saphyr::from_str(text).map_err(|e| format!("does not parse: {e}"))?;
    let tls = doc.get("tls_server_config");
    let has = |k: &str| {
        tls.and_then(|t| t.get(k))
            .and_then(Value::as_str)
            .is_some_and(|v| !v.is_empty())
    };
    if !(has("cert_file") && has("key_file")) {
        return Err("serves plain HTTP (no tls_server_config cert_file/key_file)".into());
    }
    let users = doc
        .get("basic_auth_users")
        .and_then(Value::as_object)
        .map(|m| {
            m.values()
                .filter(|h| h.as_str().is_some_and(|h| h.starts_with("$2")))
                .count()
        })
        .unwrap_or(0);
    if users == 0 {
        return Err("requires no authentication (no bcrypt basic_auth_users)".into());
    }
    Ok(format!("TLS and basic auth for {users} user(s)"))
}

pub(crate) fn node_exporter(host: &Host<'_>, check: Check) -> Finding {
    let names = ["node-exporter", "node_exporter"];
    let mut good = Vec::new();
    let mut bad = Vec::new();
    let mut evidence = Vec::new();
    for file in host.compose.iter().flatten() {
        for (name, service) in file.services() {
            let image = service_image(service);
            if !names.iter().any(|n| image.contains(n)) {
                continue;
            }
            evidence.push(file.path.clone());
            let args = command_words(service);
            let flag = |f: &str| {
                args.iter()
                    .find_map(|a| a.strip_prefix(f).map(str::to_owned))
            };
            let listen = flag("--web.listen-address=").unwrap_or_else(|| ":9100".into());
            if ["127.", "localhost:", "[::1]:"]
                .iter()
                .any(|p| listen.starts_with(p))
            {
                bad.push(format!(
                    "{name} listens on {listen} only: no monitoring server can scrape it"
                ));
                continue;
            }
            let Some(config) = flag("--web.config.file=") else {
                bad.push(format!(
                    "{name} listens on {listen} without --web.config.file: metrics without TLS or authentication"
                ));
                continue;
            };
            let on_host = host_path(service, &config);
            match host.text(&on_host) {
                Ok(text) => {
                    evidence.push(on_host.clone());
                    match web_config_ok(&text) {
                        Ok(detail) => {
                            good.push(format!("{name} on {listen}: {detail} ({on_host})"))
                        }
                        Err(problem) => bad.push(format!("{name}: {on_host} {problem}")),
                    }
                }
                Err(_) => bad.push(format!("{name}: its web config {on_host} is missing")),
            }
        }
    }
    if !bad.is_empty() {
        return Finding::new(check, Status::Fail, bad.join("; "), evidence);
    }
    if !good.is_empty() {
        return Finding::new(check, Status::Pass, good.join("; "), evidence);
    }
    // No compose service: a packaged unit, whose flags live outside the checked files.
    let finding = running(
        host,
        check,
        &names,
        &["prometheus-node-exporter.service", "node_exporter.service"],
        "node_exporter",
    );
    if finding.status == Status::Pass {
        Finding::new(
            check,
            Status::Unknown,
            format!(
                "{}; its listen address and web config are not checked for a systemd unit",
                finding.detail
            ),
            finding.evidence,
        )
    } else {
        finding
    }
}

/// Whether the security-events timer (or a log shipper) carries the host's events off it.
fn events_exported(host: &Host<'_>) -> Option<String> {
    let timer = format!("{}.timer", crate::monitoring::SECURITY_EVENTS_UNIT);
    let unit_file = join("/etc/systemd/system", &timer);
    match enabled(host, &timer) {
        Some(true) => return Some(format!("{timer} enabled")),
        None if host.text(&unit_file).is_ok() => return Some(unit_file),
        _ => {}
    }
    // Grafana Alloy ships the journal, where Falco writes its alerts. Promtail (end of life
    // 2026-03-02) no longer counts.
    (enabled(host, "alloy.service") == Some(true)).then(|| "alloy.service enabled".to_owned())
}

pub(crate) fn ids(host: &Host<'_>, check: Check) -> Finding {
    let finding = running(
        host,
        check,
        &["falco", "wazuh"],
        &[
            "falco-modern-bpf.service",
            "falco-kmod.service",
            "falco-bpf.service",
            "wazuh-agent.service",
        ],
        "Falco or Wazuh agent",
    );
    if finding.status != Status::Pass {
        return finding;
    }
    if finding.detail.contains("wazuh") {
        // The agent ships its events to the manager itself.
        return finding;
    }
    match events_exported(host) {
        Some(how) => Finding::new(
            check,
            Status::Pass,
            format!("{}; its alerts leave the host ({how})", finding.detail),
            finding.evidence,
        ),
        None => Finding::new(
            check,
            Status::Fail,
            format!(
                "{}, but its alerts stay in the local journal (no security-events timer, no log shipper)",
                finding.detail
            ),
            finding.evidence,
        ),
    }
}

/// The severity values an Alertmanager route matches (`matchers` or the older `match`).
fn route_severity(route: &Value) -> Option<String> {
    if let Some(m) = route.get("matchers").and_then(Value::as_array) {
        for m in m.iter().filter_map(Value::as_str) {
            let m = m.replace(' ', "");
            if let Some(v) = m.strip_prefix("severity=") {
                return Some(v.trim_matches('"').to_owned());
            }
        }
    }
    route
        .get("match")
        .and_then(|m| m.get("severity"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Where an alert with `severity` goes: the receiver of the first child route matching it, or
/// the root's; `Err` when that receiver has no integration.
fn routed(am: &Value, severity: &str) -> Result<String, String> {
    let root = am.get("route").cloned().unwrap_or(Value::Null);
    let receiver = root
        .get("routes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|r| route_severity(r).as_deref() == Some(severity))
        .and_then(|r| r.get("receiver"))
        .or_else(|| root.get("receiver"))
        .and_then(Value::as_str)
        .ok_or_else(|| format!("severity {severity} reaches no receiver"))?;
    let integrations = am
        .get("receivers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|r| r.get("name").and_then(Value::as_str) == Some(receiver))
        .and_then(Value::as_object)
        .map(|r| {
            r.iter()
                .filter(|(k, v)| {
                    k.ends_with("_configs") && v.as_array().is_some_and(|a| !a.is_empty())
                })
                .count()
        })
        .unwrap_or(0);
    if integrations == 0 {
        Err(format!(
            "severity {severity} reaches receiver {receiver}, which notifies no one"
        ))
    } else {
        Ok(format!("{severity} -> {receiver}"))
    }
}

pub(crate) fn alerts(host: &Host<'_>, check: Check) -> Finding {
    let mut files = Vec::new();
    for dir in ["/etc/prometheus", "/etc/prometheus/rules"] {
        files.extend(
            host.entries(dir)
                .unwrap_or_default()
                .iter()
                .filter(|n| n.ends_with(".yml") || n.ends_with(".yaml"))
                .map(|n| join(dir, n)),
        );
    }
    for base in ["/opt", "/srv"] {
        for project in host.entries(base).unwrap_or_default() {
            let dir = join(base, &project);
            files.extend(
                host.entries(&dir)
                    .unwrap_or_default()
                    .iter()
                    .filter(|n| n.contains("rules"))
                    .map(|n| join(&dir, n)),
            );
        }
    }
    let mut alert_count = 0;
    let mut severities = std::collections::BTreeSet::new();
    let mut unlabelled = Vec::new();
    let mut alertmanager = None;
    let mut tested = Vec::new();
    let mut evidence = Vec::new();
    let mut rule_files = 0;
    for file in &files {
        let Ok(text) = host.text(file) else { continue };
        let Ok(doc) = serde_saphyr::from_str::<Value>(&text) else {
            continue;
        };
        if let Some(groups) = doc.get("groups").and_then(Value::as_array) {
            rule_files += 1;
            let alerts: Vec<&Value> = groups
                .iter()
                .filter_map(|g| g.get("rules").and_then(Value::as_array))
                .flatten()
                .filter(|r| r.get("alert").is_some())
                .collect();
            for rule in &alerts {
                match rule
                    .get("labels")
                    .and_then(|l| l.get("severity"))
                    .and_then(Value::as_str)
                {
                    Some(sev) => {
                        severities.insert(sev.to_owned());
                    }
                    None => unlabelled.push(
                        rule.get("alert")
                            .and_then(Value::as_str)
                            .unwrap_or("?")
                            .to_owned(),
                    ),
                }
            }
            if !alerts.is_empty() {
                alert_count += alerts.len();
                evidence.push(file.clone());
            }
        }
        if doc.get("route").is_some() && doc.get("receivers").is_some() {
            alertmanager = Some(doc.clone());
            evidence.push(file.clone());
        }
        if doc
            .get("tests")
            .and_then(Value::as_array)
            .is_some_and(|t| t.iter().any(|t| t.get("alert_rule_test").is_some()))
        {
            tested.push(file.clone());
            evidence.push(file.clone());
        }
    }
    if alert_count == 0 {
        let scraped = host
            .text(crate::monitoring::EXPORTER_WEB_CONFIG)
            .is_ok_and(|t| web_config_ok(&t).is_ok());
        if scraped && rule_files == 0 && alertmanager.is_none() {
            return Finding::new(
                check,
                Status::Unknown,
                "the host is scraped by a central Prometheus: its rules and routes are in the monitoring server's files (audit those)",
                vec![crate::monitoring::EXPORTER_WEB_CONFIG.to_owned()],
            );
        }
        return Finding::new(
            check,
            host.absent(Status::Fail),
            "no Prometheus alert rules found (/etc/prometheus, /opt/*/*rules*)",
            evidence,
        );
    }
    let Some(am) = alertmanager else {
        return Finding::new(
            check,
            host.absent(Status::Fail),
            format!(
                "{alert_count} alert rules but no Alertmanager route/receivers: nobody is notified"
            ),
            evidence,
        );
    };
    let mut problems = Vec::new();
    if !unlabelled.is_empty() {
        problems.push(format!(
            "alerts without a severity label: {}",
            unlabelled.join(", ")
        ));
    }
    let mut routes = Vec::new();
    for sev in &severities {
        match routed(&am, sev) {
            Ok(r) => routes.push(r),
            Err(p) => problems.push(p),
        }
    }
    if !problems.is_empty() {
        return Finding::new(check, Status::Fail, problems.join("; "), evidence);
    }
    if tested.is_empty() {
        Finding::new(
            check,
            Status::Unknown,
            format!(
                "{alert_count} alert rules routed ({}); no rules unit tests (promtool test rules) found",
                routes.join(", ")
            ),
            evidence,
        )
    } else {
        Finding::new(
            check,
            Status::Pass,
            format!(
                "{alert_count} alert rules routed ({}); unit tests in {}",
                routes.join(", "),
                tested.join(", ")
            ),
            evidence,
        )
    }
}
