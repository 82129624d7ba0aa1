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

/// The mount flags compared with the live mount.
const SECURITY_FLAGS: &[&str] = &["noexec", "nosuid", "nodev", "ro"];

/// Every rendered `.mount` unit's security flags ([`SECURITY_FLAGS`]) are on the live mount; returns the live options of
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
        // The security flags; the kernel shows no `strictatime` and formats `size=` its own way.
        let flags = options
            .split(',')
            .filter(|o| SECURITY_FLAGS.contains(o))
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
    // One `sysctl` for every key: `key = value` lines (a missing key only prints an error).
    let mut argv = vec!["sysctl"];
    argv.extend(wanted.iter().map(|(k, _)| k.as_str()));
    let answer = guest.text(&argv);
    let live: Vec<(&str, String)> = answer
        .lines()
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, v)| (k.trim(), v.split_whitespace().collect::<Vec<_>>().join(" ")))
        .collect();
    let mut matching = 0;
    for (key, value) in &wanted {
        match live.iter().find(|(k, _)| k == key) {
            Some((_, v)) if v == value => matching += 1,
            found => problems.push(format!(
                "sysctl {key} is {:?}, rendered {value:?}",
                found.map_or("(missing)", |(_, v)| v.as_str())
            )),
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
    // One shell: try to load each module, then list what the kernel holds.
    let mut argv = vec![
        "sh",
        "-c",
        "for m; do modprobe \"$m\" >/dev/null 2>&1 && echo \"loaded $m\"; done; cat /proc/modules",
        "sh",
    ];
    argv.extend(names.iter().map(String::as_str));
    let answer = guest.text(&argv);
    let mut refused = 0;
    for name in &names {
        let loaded = answer.lines().any(|l| {
            let mut words = l.split_whitespace();
            let first = words.next();
            first == Some(&name.replace('-', "_"))
                || (first == Some("loaded") && words.next() == Some(name))
        });
        if loaded {
            problems.push(format!("kernel module {name} loads despite the blacklist"));
        } else {
            refused += 1;
        }
    }
    format!("{refused}/{}", names.len())
}

/// The checks' verdicts on scripted guest answers: these run without a VM, so a check that
/// stops catching what it is for fails here too.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::{Tier, document};
    use hardening_model::presets::host;

    /// A guest whose answers come from a function of the command line.
    struct Scripted<F: Fn(&[&str]) -> String>(F);

    impl<F: Fn(&[&str]) -> String> Shell for Scripted<F> {
        fn text(&self, argv: &[&str]) -> String {
            (self.0)(argv)
        }
    }

    fn cfg() -> CloudConfig {
        let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGd57HjhRR4VamDykKe623D1jAHBRqdZ8MGiEdeSNTev admin";
        document(
            key,
            "http://10.0.2.100:9/ready",
            "http://10.0.2.100:9/health",
            Tier::Vm,
        )
        .cloud_config()
        .unwrap()
    }

    #[test]
    fn auditd_wants_the_rules_locked_and_all_loaded() {
        let cfg = cfg();
        let rules = host::audit_rules().render().content;
        let listed: String = rules
            .lines()
            .filter(|l| l.starts_with("-w ") || l.starts_with("-a "))
            .map(|l| format!("{l}\n"))
            .collect();
        let answer = |enabled: &'static str, listed: String| {
            move |argv: &[&str]| match argv {
                ["systemctl", ..] => "active\n".to_owned(),
                ["auditctl", "-s"] => format!("enabled {enabled}\nfailure 1\n"),
                ["auditctl", "-l"] => listed.clone(),
                _ => String::new(),
            }
        };
        let mut problems = Vec::new();
        let shown = auditd(&Scripted(answer("2", listed.clone())), &cfg, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        assert!(shown.starts_with(&format!("{}/", listed.lines().count())));
        auditd(&Scripted(answer("1", listed.clone())), &cfg, &mut problems);
        assert!(
            problems.iter().any(|p| p.contains("enabled 2")),
            "{problems:?}"
        );
        problems.clear();
        let fewer: String = listed.lines().skip(1).map(|l| format!("{l}\n")).collect();
        auditd(&Scripted(answer("2", fewer)), &cfg, &mut problems);
        assert!(
            problems.iter().any(|p| p.contains("auditctl -l lists")),
            "{problems:?}"
        );
    }

    #[test]
    fn a_rendered_mount_flag_missing_live_is_a_problem() {
        let cfg = cfg();
        let live = |tmp: &'static str| {
            move |argv: &[&str]| match argv.last() {
                Some(&"/tmp") => format!("{tmp}\n"),
                Some(&"/var/tmp") => "rw,nosuid,nodev,noexec,relatime\n".to_owned(),
                _ => "rw,nosuid,nodev\n".to_owned(),
            }
        };
        let mut problems = Vec::new();
        let shown = mounts(
            &Scripted(live("rw,nosuid,nodev,noexec,size=524288k")),
            &cfg,
            &mut problems,
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert!(shown.contains("/dev/shm=rw,nosuid,nodev"), "{shown}");
        mounts(
            &Scripted(live("rw,nosuid,nodev,size=524288k")),
            &cfg,
            &mut problems,
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("/tmp is mounted without noexec")),
            "{problems:?}"
        );
    }

    #[test]
    fn a_sysctl_the_kernel_does_not_hold_is_a_problem() {
        let cfg = cfg();
        let policy = host::sysctl();
        let first = policy.entries()[0].key.clone();
        let kernel = |wrong: Option<String>| {
            let policy = policy.clone();
            move |argv: &[&str]| {
                argv.iter()
                    .skip(1)
                    .map(|key| match policy.get(key) {
                        _ if wrong.as_deref() == Some(*key) => format!("{key} = 7\n"),
                        Some(v) => format!("{key} = {}\n", v.replace(' ', "\t")),
                        None => format!("sysctl: cannot stat /proc/sys/{key}\n"),
                    })
                    .collect::<String>()
            }
        };
        let mut problems = Vec::new();
        let shown = sysctls(&Scripted(kernel(None)), &cfg, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(shown, format!("{0}/{0}", policy.entries().len()));
        sysctls(&Scripted(kernel(Some(first.clone()))), &cfg, &mut problems);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains(&first));
    }

    #[test]
    fn a_module_that_loads_is_a_problem() {
        let cfg = cfg();
        let disabled = host::kernel_modules();
        let loads = disabled.modules()[0].name.as_str().to_owned();
        let kernel = |loads: Option<String>| {
            move |argv: &[&str]| {
                let loaded: String = argv
                    .iter()
                    .skip(4)
                    .filter(|m| loads.as_deref() == Some(**m))
                    .map(|m| format!("loaded {m}\n"))
                    .collect();
                format!("{loaded}ext4 1 0 - Live 0x0\n")
            }
        };
        let mut problems = Vec::new();
        let shown = modules(&Scripted(kernel(None)), &cfg, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(shown, format!("{0}/{0}", disabled.modules().len()));
        modules(&Scripted(kernel(Some(loads.clone()))), &cfg, &mut problems);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains(&loads));
    }
}
