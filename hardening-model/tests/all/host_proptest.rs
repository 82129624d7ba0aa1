//! Adversarial input to the host baseline renderers: rejected with an error naming the field,
//! or kept inside its token, so no extra sysctl, modprobe, audit, apt or systemd line appears.
#![allow(clippy::unwrap_used)] // shared test functions unwrap, like the tests themselves

use hardening_model::auditd::{AuditRules, Filter, FilterField, Op, Perms, SyscallRule};
use hardening_model::command::quote;
use hardening_model::kernel_modules::KernelModulePolicy;
use hardening_model::mounts::{MountFlags, MountPolicy, TmpfsMount};
use hardening_model::services::{DisabledServices, UnitAction};
use hardening_model::sysctl::{SysctlEntry, SysctlPolicy};
use hardening_model::unattended_upgrades::{AllowedOrigin, PackageName, UnattendedUpgrades};
use hardening_model::values::AbsPath;
use proptest::prelude::*;

fn adversarial() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,24}",
        any::<String>(),
        "[a-z0-9_.-]{1,16}",
        (
            "[a-z.]{1,8}",
            "[\n\r\t \u{0}\u{85}\u{2028}#;\"'\\\\{}]",
            "(kernel.sysrq = 1|-e 0|install vfat /bin/true|-D|};)"
        )
            .prop_map(|(a, sep, b)| format!("{a}{sep}{b}")),
    ]
}

/// Lines that are neither empty nor comments.
fn active(text: &str, comment: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with(comment))
        .map(str::to_owned)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn sysctl_entries_stay_on_their_line(key in adversarial(), value in adversarial(), note in adversarial()) {
        let entry = SysctlEntry::anchored(&key, &value, "CIS 1.0", &note);
        match SysctlPolicy::new().push(entry) {
            Err(e) => prop_assert!(
                ["sysctl[0].key", "sysctl[0].value", "sysctl[0].note"].contains(&e.field()),
                "{}", e.field()
            ),
            Ok(p) => {
                let lines = active(&p.render().content, "#");
                prop_assert_eq!(lines, vec![format!("{key} = {value}")]);
                prop_assert!(!key.contains(char::is_whitespace) && !value.contains(['\n', '\r']));
            }
        }
    }

    #[test]
    fn modules_and_reasons_stay_on_their_line(name in adversarial(), reason in adversarial()) {
        match KernelModulePolicy::new().disable(&name, None, &reason) {
            Err(e) => prop_assert!(
                ["kernel_modules[0].name", "kernel_modules[0].reason"].contains(&e.field()),
                "{}", e.field()
            ),
            Ok(p) => {
                let lines = active(&p.render().content, "#");
                prop_assert_eq!(lines, vec![format!("install {name} /bin/false"), format!("blacklist {name}")]);
            }
        }
    }

    #[test]
    fn audit_watches_and_filters_stay_in_their_rule(path in adversarial(), key in adversarial(), value in adversarial()) {
        let rules = AuditRules::new().immutable(false).watch(&path, Perms::CHANGES, &key);
        let rules = match rules {
            Err(e) => {
                prop_assert!(["audit.watches[0].path", "audit.watches[0].key"].contains(&e.field()), "{}", e.field());
                return Ok(());
            }
            Ok(r) => r,
        };
        let filter = match Filter::new(FilterField::Exit, Op::Eq, &value) {
            Err(e) => {
                prop_assert_eq!(e.field(), "filter");
                return Ok(());
            }
            Ok(f) => f,
        };
        let rules = rules.rule(SyscallRule::new(&["openat"], vec![filter], "k").unwrap()).unwrap();
        let lines = active(&rules.render().content, "#");
        prop_assert_eq!(lines.len(), 6, "{:?}", lines); // -D, -b, -f, the watch, two arch twins
        prop_assert_eq!(&lines[3], &format!("-w {path} -p wa -k {key}"));
        prop_assert_eq!(&lines[4], &format!("-a always,exit -F arch=b64 -S openat -F exit={value} -k k"));
    }

    #[test]
    fn units_and_reasons_stay_in_their_command(unit in adversarial(), reason in adversarial()) {
        match DisabledServices::new().unit(&unit, UnitAction::Mask, &reason) {
            Err(e) => prop_assert!(
                ["services[0].unit", "services[0].reason"].contains(&e.field()),
                "{}", e.field()
            ),
            Ok(s) => {
                let cmds = s.commands();
                prop_assert_eq!(&cmds[0].argv, &vec!["systemctl".to_owned(), "mask".to_owned(), "--now".to_owned(), unit.clone()]);
                prop_assert_eq!(cmds[0].shell_line(), format!("systemctl mask --now {} || true", quote(&unit)));
            }
        }
    }

    #[test]
    fn shell_quoting_keeps_one_word(arg in any::<String>()) {
        // A quoted word holds no unquoted shell syntax: outside single quotes only `\'` appears.
        let q = quote(&arg);
        let mut inside = false;
        let mut chars = q.chars().peekable();
        while let Some(c) = chars.next() {
            match (inside, c) {
                (_, '\'') => inside = !inside,
                (false, '\\') => prop_assert_eq!(chars.next(), Some('\'')),
                (false, c) => prop_assert!(c.is_ascii_alphanumeric() || "_-./:@,+%".contains(c), "{:?}", q),
                (true, _) => {}
            }
        }
        prop_assert!(!inside);
    }

    #[test]
    fn packages_and_origins_stay_in_their_string(pkg in adversarial(), origin in adversarial()) {
        let parsed = (PackageName::new(pkg.clone()), AllowedOrigin::new(origin.clone()));
        match parsed {
            (Err(e), _) => prop_assert_eq!(e.field(), "package"),
            (_, Err(e)) => prop_assert_eq!(e.field(), "origin"),
            (Ok(p), Ok(o)) => {
                let base = UnattendedUpgrades::security_only().files().unwrap()[0].content.lines().count();
                let files = UnattendedUpgrades::security_only().hold(p).origin(o).files().unwrap();
                let text = &files[0].content;
                let added = usize::from(!UnattendedUpgrades::security_only().files().unwrap()[0].content.contains(&format!("\"{origin}\";")));
                prop_assert_eq!(text.lines().count(), base + 1 + added);
                prop_assert!(text.lines().filter(|l| l.starts_with("    \"")).all(|l| l.ends_with("\";") && l.matches('"').count() == 2));
            }
        }
    }

    #[test]
    fn tmpfs_mount_points_stay_in_their_unit(path in prop_oneof![adversarial(), "/[a-z._/-]{1,16}"]) {
        let mount = AbsPath::new(path.clone())
            .and_then(|p| TmpfsMount::new(p, 64, 0o1777, MountFlags::HARDENED))
            .and_then(|m| MountPolicy::new().tmpfs(m));
        match mount {
            Err(e) => prop_assert!(["path", "mount_point"].contains(&e.field()), "{}", e.field()),
            Ok(p) => {
                let unit = &p.files()[0];
                prop_assert!(!unit.path[21..].contains('/'), "{}", unit.path);
                prop_assert_eq!(unit.content.lines().filter(|l| l.starts_with("Where=")).count(), 1);
                let where_line = format!("Where={path}");
                prop_assert!(unit.content.lines().any(|l| l == where_line));
            }
        }
    }
}
