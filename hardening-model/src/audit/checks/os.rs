//! Section 2: kernel parameters, AppArmor, auditd, updates, time, services.

use std::collections::BTreeMap;

use serde_json::Value;

use super::docker::each_service;
use crate::audit::Check;
use crate::audit::host::{Gap, Host};
use crate::audit::report::{Finding, Status};
use crate::audit::source::join;

/// How a kernel parameter is compared with the spec.
#[derive(Debug, Clone, Copy)]
enum Want {
    /// Exactly this number.
    Eq(i64),
    /// At least this number (higher is stricter).
    AtLeast(i64),
}

/// The security-relevant kernel parameters of runbook 2.2 (and CIS 3.3 for the network keys
/// the runbook leaves out), with the comparison that keeps each one at least as strict.
const KERNEL_SPEC: &[(&str, Want)] = &[
    ("kernel.kptr_restrict", Want::AtLeast(2)),
    ("kernel.dmesg_restrict", Want::Eq(1)),
    ("kernel.perf_event_paranoid", Want::AtLeast(2)),
    ("kernel.unprivileged_bpf_disabled", Want::AtLeast(1)),
    ("net.core.bpf_jit_harden", Want::Eq(2)),
    ("kernel.randomize_va_space", Want::Eq(2)),
    ("kernel.yama.ptrace_scope", Want::AtLeast(1)),
    ("net.ipv4.tcp_syncookies", Want::Eq(1)),
    ("net.ipv4.conf.all.rp_filter", Want::Eq(1)),
    ("net.ipv4.conf.default.rp_filter", Want::Eq(1)),
    ("net.ipv4.conf.all.accept_redirects", Want::Eq(0)),
    ("net.ipv4.conf.all.send_redirects", Want::Eq(0)),
    ("net.ipv4.conf.all.accept_source_route", Want::Eq(0)),
    ("net.ipv6.conf.all.accept_redirects", Want::Eq(0)),
    ("net.ipv4.conf.all.log_martians", Want::Eq(1)),
    ("fs.protected_hardlinks", Want::Eq(1)),
    ("fs.protected_symlinks", Want::Eq(1)),
    ("fs.protected_fifos", Want::AtLeast(1)),
    ("fs.protected_regular", Want::AtLeast(1)),
    ("fs.suid_dumpable", Want::Eq(0)),
];

pub(crate) fn sysctl(host: &Host<'_>, check: Check) -> Finding {
    let s = &host.sysctl;
    let mut bad = Vec::new();
    for (key, want) in KERNEL_SPEC {
        let shown = match want {
            Want::Eq(n) => format!("{n}"),
            Want::AtLeast(n) => format!(">= {n}"),
        };
        match s.get(key) {
            None => bad.push(format!("{key} not set (want {shown})")),
            Some(value) => {
                let ok = value.trim().parse::<i64>().is_ok_and(|v| match want {
                    Want::Eq(n) => v == *n,
                    Want::AtLeast(n) => v >= *n,
                });
                if !ok {
                    let file = s.values.get(*key).map_or("", |(_, f)| f.as_str());
                    bad.push(format!("{key} = {value} in {file} (want {shown})"));
                }
            }
        }
    }
    let mut evidence = s.files.clone();
    evidence.extend(s.problems.iter().cloned());
    if bad.is_empty() && s.problems.is_empty() {
        Finding::new(
            check,
            Status::Pass,
            format!("{} parameters as specified", KERNEL_SPEC.len()),
            evidence,
        )
    } else if bad.is_empty() {
        Finding::new(
            check,
            Status::Unknown,
            format!("could not read: {}", s.problems.join("; ")),
            evidence,
        )
    } else if s.files.is_empty() {
        Finding::new(
            check,
            host.absent(Status::Fail),
            "no sysctl.d files found: none of the hardening parameters is set",
            evidence,
        )
    } else {
        Finding::new(check, Status::Fail, bad.join("\n"), evidence)
    }
}

/// Profile names declared under /etc/apparmor.d, and whether each is in complain mode.
fn apparmor_profiles(host: &Host<'_>) -> Option<BTreeMap<String, bool>> {
    let dir = "/etc/apparmor.d";
    let names = host.entries(dir)?;
    let mut profiles = BTreeMap::new();
    for name in names {
        let Ok(text) = host.text(&join(dir, &name)) else {
            continue;
        };
        for line in text.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            if words.first() == Some(&"profile")
                && let Some(profile) = words.get(1)
            {
                {
                    let complain = line.contains("complain") && line.contains("flags");
                    profiles.insert((*profile).to_owned(), complain);
                }
            }
        }
    }
    Some(profiles)
}

pub(crate) fn apparmor(host: &Host<'_>, check: Check) -> Finding {
    let profiles = apparmor_profiles(host);
    each_service(
        host,
        check,
        "confined by AppArmor (named profiles enforcing, others docker-default)",
        |_, _, service| {
            if service.get("privileged") == Some(&Value::Bool(true)) {
                return Some("is privileged (no AppArmor confinement)".to_owned());
            }
            let options: Vec<&str> = service
                .get("security_opt")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let profile = options.iter().find_map(|o| {
                o.strip_prefix("apparmor=")
                    .or_else(|| o.strip_prefix("apparmor:"))
            })?;
            if profile == "unconfined" {
                return Some("runs with apparmor=unconfined".to_owned());
            }
            match &profiles {
                None => Some(format!(
                    "uses AppArmor profile {profile} but /etc/apparmor.d is missing"
                )),
                Some(known) => match known.get(profile) {
                    None => Some(format!(
                        "uses AppArmor profile {profile}, not defined in /etc/apparmor.d"
                    )),
                    Some(true) => Some(format!(
                        "uses AppArmor profile {profile}, which is in complain mode"
                    )),
                    Some(false) => None,
                },
            }
        },
    )
}

/// True when systemd would start `unit` at boot: a symlink in one of the `.wants` directories.
/// `None` when the host's `/etc/systemd/system` is not visible (rendered artifacts).
pub(crate) fn enabled(host: &Host<'_>, unit: &str) -> Option<bool> {
    let base = "/etc/systemd/system";
    let dirs = host.entries(base)?;
    if !dirs.iter().any(|d| d.ends_with(".wants")) {
        return None;
    }
    Some(dirs.iter().filter(|d| d.ends_with(".wants")).any(|d| {
        host.entries(&join(base, d))
            .is_some_and(|units| units.iter().any(|u| u == unit))
    }))
}

/// Adds the boot-enablement evidence for `unit` to a passing finding (fails it when the unit
/// is visibly not enabled).
fn require_enabled(host: &Host<'_>, unit: &str, mut finding: Finding) -> Finding {
    match enabled(host, unit) {
        Some(true) => finding
            .detail
            .push_str(&format!("; {unit} enabled at boot")),
        Some(false) if finding.status == Status::Pass => {
            finding.status = Status::Fail;
            finding.detail = format!("{unit} is not enabled at boot ({})", finding.detail);
        }
        Some(false) => finding
            .detail
            .push_str(&format!("; {unit} is not enabled at boot")),
        None => finding
            .detail
            .push_str(&format!("; whether {unit} is enabled is not visible here")),
    }
    finding
}

const AUDIT_WATCHES: &[&str] = &[
    "/etc/passwd",
    "/etc/shadow",
    "/etc/group",
    "/etc/sudoers",
    "/etc/ssh/sshd_config",
    "/etc/docker",
];
const MODULE_SYSCALLS: &[&str] = &["init_module", "finit_module", "delete_module"];

fn audit_rules(host: &Host<'_>) -> Result<(Vec<String>, Vec<String>), Gap> {
    let dir = "/etc/audit/rules.d";
    let mut files: Vec<String> = host
        .entries(dir)
        .unwrap_or_default()
        .iter()
        .filter(|n| n.ends_with(".rules"))
        .map(|n| join(dir, n))
        .collect();
    if files.is_empty() {
        files.push("/etc/audit/audit.rules".to_owned());
    }
    let mut lines = Vec::new();
    for file in &files {
        let text = host.text(file)?;
        lines.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_owned),
        );
    }
    Ok((files, lines))
}

pub(crate) fn auditd(host: &Host<'_>, check: Check) -> Finding {
    let (files, lines) = match audit_rules(host) {
        Ok(found) => found,
        Err(gap) => return gap.finding(check, host.absent(Status::Fail), "auditd has no rules"),
    };
    let mut bad = Vec::new();
    for path in AUDIT_WATCHES {
        let watched = lines.iter().any(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            words
                .windows(2)
                .any(|w| w[0] == "-w" && w[1].trim_end_matches('/') == *path)
                || words
                    .iter()
                    .any(|w| *w == format!("path={path}") || *w == format!("dir={path}"))
        });
        if !watched {
            bad.push(format!("no watch on {path}"));
        }
    }
    for arch in ["b64", "b32"] {
        for syscall in MODULE_SYSCALLS {
            let found = lines.iter().any(|l| {
                l.contains(&format!("arch={arch}"))
                    && l.split_whitespace()
                        .collect::<Vec<_>>()
                        .windows(2)
                        .any(|w| w[0] == "-S" && w[1].split(',').any(|s| s == *syscall))
            });
            if !found {
                bad.push(format!("no arch={arch} rule for {syscall}"));
            }
        }
    }
    if lines.last().map(String::as_str) != Some("-e 2") {
        bad.push("rules are not made immutable with `-e 2` as the last line".to_owned());
    }
    let finding = if bad.is_empty() {
        Finding::new(
            check,
            Status::Pass,
            format!(
                "{} rules: identity, sshd, docker and module-loading covered, immutable",
                lines.len()
            ),
            files,
        )
    } else {
        Finding::new(check, Status::Fail, bad.join("; "), files)
    };
    require_enabled(host, "auditd.service", finding)
}

/// APT configuration values (`Key "value";`) from every apt.conf.d file, later files winning.
fn apt_values(host: &Host<'_>) -> (BTreeMap<String, String>, Vec<String>) {
    let dir = "/etc/apt/apt.conf.d";
    let mut values = BTreeMap::new();
    let mut files = Vec::new();
    for name in host.entries(dir).unwrap_or_default() {
        let path = join(dir, &name);
        let Ok(text) = host.text(&path) else { continue };
        for line in text.lines() {
            let line = line.trim();
            let Some((key, rest)) = line.split_once(char::is_whitespace) else {
                continue;
            };
            if key.contains("::") && rest.trim().starts_with('"') {
                let value = rest.trim().trim_end_matches(';').trim().trim_matches('"');
                values.insert(key.to_owned(), value.to_owned());
            }
        }
        files.push(path);
    }
    (values, files)
}

pub(crate) fn unattended_upgrades(host: &Host<'_>, check: Check) -> Finding {
    let (values, files) = apt_values(host);
    if files.is_empty() {
        return Finding::new(
            check,
            host.absent(Status::Fail),
            "/etc/apt/apt.conf.d not found: automatic upgrades are not configured",
            files,
        );
    }
    let mut bad = Vec::new();
    for key in [
        "APT::Periodic::Update-Package-Lists",
        "APT::Periodic::Unattended-Upgrade",
    ] {
        match values.get(key).map(String::as_str) {
            Some(v) if v != "0" && !v.is_empty() => {}
            Some(v) => bad.push(format!("{key} is \"{v}\"")),
            None => bad.push(format!("{key} not set")),
        }
    }
    let security = files.iter().any(|f| {
        host.text(f).is_ok_and(|t| {
            (t.contains("Allowed-Origins") || t.contains("Origins-Pattern"))
                && t.contains("security")
        })
    });
    if !security {
        bad.push("no Allowed-Origins/Origins-Pattern includes the security pocket".to_owned());
    }
    let finding = if bad.is_empty() {
        Finding::new(
            check,
            Status::Pass,
            "daily package lists and unattended security upgrades on",
            files,
        )
    } else {
        Finding::new(check, Status::Fail, bad.join("; "), files)
    };
    require_enabled(host, "unattended-upgrades.service", finding)
}

pub(crate) fn chrony(host: &Host<'_>, check: Check) -> Finding {
    let mut files = vec!["/etc/chrony/chrony.conf".to_owned()];
    for dir in ["/etc/chrony/conf.d", "/etc/chrony/sources.d"] {
        files.extend(
            host.entries(dir)
                .unwrap_or_default()
                .iter()
                .map(|n| join(dir, n)),
        );
    }
    let mut sources = 0;
    let mut evidence = Vec::new();
    let mut unreadable = Vec::new();
    for file in &files {
        match host.text(file) {
            Ok(text) => {
                evidence.push(file.clone());
                sources += text
                    .lines()
                    .filter(|l| {
                        matches!(
                            l.split_whitespace().next(),
                            Some("server" | "pool" | "peer")
                        )
                    })
                    .count();
            }
            Err(Gap::Unreadable(p, why)) => unreadable.push(format!("{p} ({why})")),
            Err(_) => {}
        }
    }
    let finding = if sources > 0 {
        Finding::new(
            check,
            Status::Pass,
            format!("{sources} time sources configured (sync state needs `chronyc tracking`)"),
            evidence,
        )
    } else if !unreadable.is_empty() {
        Finding::new(
            check,
            Status::Unknown,
            format!("could not read {}", unreadable.join(", ")),
            evidence,
        )
    } else if evidence.is_empty() {
        Finding::new(
            check,
            host.absent(Status::Fail),
            "no chrony configuration found (/etc/chrony/chrony.conf)",
            evidence,
        )
    } else {
        Finding::new(
            check,
            Status::Fail,
            "chrony has no server or pool lines",
            evidence,
        )
    };
    require_enabled(host, "chrony.service", finding)
}

/// Units runbook 2.8 disables, plus other network daemons a VPS does not need.
const UNNECESSARY: &[&str] = &[
    "snapd.service",
    "snapd.socket",
    "avahi-daemon.service",
    "avahi-daemon.socket",
    "cups.service",
    "cups.socket",
    "cups-browsed.service",
    "bluetooth.service",
    "ModemManager.service",
    "rpcbind.service",
    "rpcbind.socket",
];

pub(crate) fn services(host: &Host<'_>, check: Check) -> Finding {
    let base = "/etc/systemd/system";
    let Some(dirs) = host
        .entries(base)
        .filter(|d| d.iter().any(|n| n.ends_with(".wants")))
    else {
        return Finding::new(
            check,
            Status::Unknown,
            format!(
                "{base} not visible: which services start at boot cannot be read from these files"
            ),
            Vec::new(),
        );
    };
    let mut found = Vec::new();
    for dir in dirs.iter().filter(|d| d.ends_with(".wants")) {
        for unit in host.entries(&join(base, dir)).unwrap_or_default() {
            if UNNECESSARY.contains(&unit.as_str()) {
                found.push(format!("{unit} ({dir})"));
            }
        }
    }
    if found.is_empty() {
        Finding::new(
            check,
            Status::Pass,
            format!("none of {} units is enabled", UNNECESSARY.len()),
            vec![base.to_owned()],
        )
    } else {
        Finding::new(
            check,
            Status::Fail,
            format!("enabled at boot: {}", found.join(", ")),
            vec![base.to_owned()],
        )
    }
}
