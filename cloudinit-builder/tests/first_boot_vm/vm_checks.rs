//! The checks only a VM can make: the guest's own kernel against what the document rendered.

use cloudinit_builder::CloudConfig;

use crate::shared::Shell;

/// The rendered files under `dir` whose names end with `suffix`, with their text.
fn rendered<'a>(cfg: &'a CloudConfig, dir: &str, suffix: &str) -> Vec<(&'a str, &'a str)> {
    cfg.files()
        .iter()
        .filter(|f| f.path().starts_with(dir) && f.path().ends_with(suffix))
        .filter_map(|f| Some((f.path(), f.text()?)))
        .collect()
}

/// auditd is running, `auditctl -s` says `enabled 2` and `auditctl -l` lists as many rules as
/// the rendered rules files hold. Returns `loaded/rendered`.
pub fn auditd(guest: &dyn Shell, cfg: &CloudConfig, problems: &mut Vec<String>) -> String {
    let active = guest.text(&["systemctl", "is-active", "auditd.service"]);
    if active.trim() != "active" {
        problems.push(format!("auditd is {}", active.trim()));
    }
    let status = guest.text(&["auditctl", "-s"]);
    if !status.lines().any(|l| l.trim() == "enabled 2") {
        problems.push(format!("auditctl -s does not say `enabled 2`:\n{status}"));
    }
    let rendered_rules = rendered(cfg, "/etc/audit/rules.d/", ".rules")
        .iter()
        .flat_map(|(_, text)| text.lines())
        .filter(|l| l.starts_with("-w ") || l.starts_with("-a "))
        .count();
    let listed = guest.text(&["auditctl", "-l"]);
    let loaded = listed
        .lines()
        .filter(|l| l.starts_with("-w ") || l.starts_with("-a "))
        .count();
    if rendered_rules == 0 || loaded != rendered_rules {
        problems.push(format!(
            "auditctl -l lists {loaded} rules, the document renders {rendered_rules}:\n{listed}"
        ));
    }
    format!("{loaded}/{rendered_rules}")
}

/// Every rendered `.mount` unit's flags are on the live mount; returns the live options of
/// each rendered mount point and of `/dev/shm` and `/proc`.
pub fn mounts(guest: &dyn Shell, cfg: &CloudConfig, problems: &mut Vec<String>) -> String {
    let mut expected: Vec<(String, Vec<String>)> = Vec::new();
    for (path, text) in rendered(cfg, "/etc/systemd/system/", ".mount") {
        let value = |key: &str| {
            text.lines()
                .find_map(|l| l.trim().strip_prefix(key))
                .map(|v| v.trim().to_owned())
        };
        let (Some(target), Some(options)) = (value("Where="), value("Options=")) else {
            problems.push(format!("{path}: no Where= or Options="));
            continue;
        };
        let flags = options
            .split(',')
            .filter(|o| !o.contains('='))
            .map(str::to_owned)
            .collect();
        expected.push((target, flags));
    }
    if expected.is_empty() {
        problems.push("the document renders no mount unit".into());
    }
    let mut shown = Vec::new();
    let targets: Vec<String> = expected
        .iter()
        .map(|(t, _)| t.clone())
        .chain(["/dev/shm".to_owned(), "/proc".to_owned()])
        .collect();
    for target in &targets {
        let live = guest.text(&["findmnt", "-n", "-o", "OPTIONS", "--mountpoint", target]);
        let live = live.trim().to_owned();
        shown.push(format!(
            "{target}={}",
            if live.is_empty() {
                "(not mounted)"
            } else {
                &live
            }
        ));
        if let Some((_, flags)) = expected.iter().find(|(t, _)| t == target) {
            let have: Vec<&str> = live.split(',').collect();
            for flag in flags {
                if !have.contains(&flag.as_str()) {
                    problems.push(format!(
                        "{target} is mounted without {flag} (rendered; live: {live:?})"
                    ));
                }
            }
        }
    }
    shown.join(" ")
}

/// Every key of the rendered `sysctl.d` files has the rendered value in the running kernel.
/// Returns `matching/rendered`.
pub fn sysctls(guest: &dyn Shell, cfg: &CloudConfig, problems: &mut Vec<String>) -> String {
    let mut wanted: Vec<(String, String)> = Vec::new();
    for (_, text) in rendered(cfg, "/etc/sysctl.d/", ".conf") {
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some((k, v)) = line.split_once('=') {
                let key = k.trim().trim_start_matches('-').to_owned();
                let value = v.split_whitespace().collect::<Vec<_>>().join(" ");
                wanted.retain(|(k, _)| *k != key);
                wanted.push((key, value));
            }
        }
    }
    if wanted.is_empty() {
        problems.push("the document renders no sysctl".into());
    }
    let mut matching = 0;
    for (key, value) in &wanted {
        let live = guest.text(&["sysctl", "-n", key]);
        let live = live.split_whitespace().collect::<Vec<_>>().join(" ");
        if live == *value {
            matching += 1;
        } else {
            problems.push(format!("sysctl {key} is {live:?}, rendered {value:?}"));
        }
    }
    format!("{matching}/{}", wanted.len())
}

/// Every module the rendered `modprobe.d` files disable (`install NAME /bin/false` or
/// `blacklist NAME`) fails to load and is not loaded. Returns `refused/rendered`.
pub fn modules(guest: &dyn Shell, cfg: &CloudConfig, problems: &mut Vec<String>) -> String {
    let mut names: Vec<String> = rendered(cfg, "/etc/modprobe.d/", ".conf")
        .iter()
        .flat_map(|(_, text)| text.lines())
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            match words.next() {
                Some("install" | "blacklist") => words.next().map(str::to_owned),
                _ => None,
            }
        })
        .collect();
    names.sort();
    names.dedup();
    if names.is_empty() {
        problems.push("the document disables no kernel module".into());
    }
    let mut refused = 0;
    for name in &names {
        let out = guest.text(&[
            "sh",
            "-c",
            "modprobe \"$1\" >/dev/null 2>&1 && echo loaded; exit 0",
            "sh",
            name,
        ]);
        let loaded = guest.text(&["cat", "/proc/modules"]);
        let in_kernel = loaded
            .lines()
            .any(|l| l.split_whitespace().next() == Some(&name.replace('-', "_")));
        if out.trim() == "loaded" || in_kernel {
            problems.push(format!("kernel module {name} loads despite the blacklist"));
        } else {
            refused += 1;
        }
    }
    format!("{refused}/{}", names.len())
}
