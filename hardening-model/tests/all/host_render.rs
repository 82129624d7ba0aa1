//! The host baseline presets as rendered, with each runbook erratum checked.
#![allow(clippy::unwrap_used)] // shared test functions unwrap, like the tests themselves

use hardening_model::command::HostCommand;
use hardening_model::presets::host;

#[test]
fn sysctl_labels_the_docker_exception_and_loads_conntrack() {
    let p = host::sysctl();
    assert_eq!(p.entries().len(), 53);
    let files = p.files();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0].path, "/etc/modules-load.d/nf_conntrack.conf");
    assert!(files[0].content.lines().any(|l| l == "nf_conntrack"));
    let text = &files[1].content;
    assert_eq!(files[1].path, "/etc/sysctl.d/99-hardening.conf");
    assert!(text.contains(
        "# EXCEPTION to CIS 3.3.1: Docker routes container traffic through the host and needs forwarding\nnet.ipv4.ip_forward = 1\n"
    ));
    for key in [
        "net.ipv6.conf.all.accept_redirects",
        "net.ipv6.conf.default.accept_redirects",
        "net.ipv6.conf.all.accept_source_route",
        "net.ipv6.conf.default.accept_source_route",
    ] {
        assert_eq!(p.get(key), Some("0"), "{key}");
    }
    assert_eq!(p.get("kernel.perf_event_paranoid"), Some("4"));
    assert_eq!(text.matches("net.ipv4.conf.all.rp_filter = ").count(), 1);
    // Every non-comment line is `key = value`.
    for line in text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (k, v) = line.split_once(" = ").unwrap();
        assert!(!k.contains(' ') && !v.is_empty(), "{line}");
    }
}

#[test]
fn kernel_modules_fix_erratum_1() {
    let p = host::kernel_modules();
    assert_eq!(p.modules().len(), 15);
    assert!(p.disables("freevxfs"));
    for absent in ["freevfat", "vfat", "overlay", "squashfs"] {
        assert!(!p.disables(absent), "{absent}");
    }
    let text = p.render().content;
    for m in p.modules() {
        assert!(text.contains(&format!(
            "\ninstall {} /bin/false\nblacklist {}\n",
            m.name, m.name
        )));
    }
    assert!(!text.contains("/bin/true"));
}

#[test]
fn mounts_are_units_not_fstab_appends() {
    let p = host::mounts();
    let files = p.files();
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/etc/systemd/system/tmp.mount",
            "/etc/systemd/system/var-tmp.mount",
            "/etc/systemd/system/systemd-logind.service.d/hidepid.conf",
            "/etc/systemd/system/polkit.service.d/hidepid.conf"
        ]
    );
    for f in &files[..2] {
        assert!(f.content.contains("nosuid,nodev,noexec"));
        assert!(
            f.content
                .contains("\n[Install]\nWantedBy=local-fs.target\n")
        );
    }
    let lines: Vec<String> = p
        .tmpfs_commands()
        .iter()
        .map(HostCommand::shell_line)
        .collect();
    assert_eq!(
        lines,
        [
            "systemctl daemon-reload",
            "systemctl enable tmp.mount var-tmp.mount",
            "systemctl reload-or-restart tmp.mount var-tmp.mount"
        ]
    );
    assert!(lines.iter().all(|l| !l.contains("fstab")));
    let api: Vec<String> = p.api_mounts().iter().map(|m| m.fstab_line()).collect();
    assert_eq!(
        api,
        [
            "tmpfs /dev/shm tmpfs nosuid,nodev,noexec 0 0",
            "proc /proc proc nosuid,nodev,noexec,hidepid=invisible,gid=proc 0 0"
        ]
    );
    assert!(p.cloud_init_mounts().is_empty());
}

#[test]
fn audit_rules_fix_erratum_9() {
    let rules = host::audit_rules();
    assert_eq!(rules.watches().len(), 33);
    assert_eq!(rules.rules().len(), 10);
    let text = rules.render().content;
    assert_eq!(rules.render().path, "/etc/audit/rules.d/hardening.rules");
    assert_eq!(rules.render().mode, 0o640);
    // Every b64 syscall rule has its b32 twin.
    let b64: Vec<&str> = text.lines().filter(|l| l.contains("-F arch=b64")).collect();
    assert!(!b64.is_empty());
    for line in &b64 {
        assert!(
            text.contains(&line.replace("arch=b64", "arch=b32")),
            "{line}"
        );
    }
    assert_eq!(
        text.lines().filter(|l| l.contains("-F arch=b32")).count(),
        b64.len()
    );
    assert!(text.contains("-S init_module,finit_module,delete_module -k modules"));
    assert!(text.contains("-F path=/usr/bin/kmod -F perm=x"));
    assert!(text.contains("\n-w /etc/docker -p wa -k docker-config\n"));
    assert!(!text.contains("/sbin/insmod"));
    assert_eq!(text.lines().rfind(|l| !l.is_empty()), Some("-e 2"));
    assert_eq!(text.matches("-e 2").count(), 1);
}

#[test]
fn unattended_upgrades_hold_what_is_installed() {
    let u = host::unattended_upgrades();
    let held: Vec<&str> = u.held_packages().iter().map(|p| p.as_str()).collect();
    assert_eq!(held, ["docker.io", "containerd", "runc"]);
    let files = u.files().unwrap();
    assert_eq!(files[0].path, "/etc/apt/apt.conf.d/50unattended-upgrades");
    assert_eq!(files[1].path, "/etc/apt/apt.conf.d/20auto-upgrades");
    let main = &files[0].content;
    assert!(main.contains("    \"^docker\\.io$\";\n    \"^containerd$\";\n    \"^runc$\";\n"));
    assert!(!main.contains("docker-ce"));
    assert!(main.contains("\"${distro_id}:${distro_codename}-security\";"));
    assert!(main.contains("Unattended-Upgrade::Automatic-Reboot \"false\";"));
    assert_eq!(
        u.apt_mark_hold().unwrap().shell_line(),
        "apt-mark hold docker.io containerd runc"
    );
}

#[test]
fn chrony_is_a_client_only() {
    let c = host::chrony();
    let text = c.render().unwrap().content;
    for line in [
        "server ntp1.hetzner.de iburst",
        "server ntp2.hetzner.com iburst",
        "server ntp3.hetzner.net iburst",
        "pool ntp.ubuntu.com iburst",
        "makestep 1.0 3",
        "leapseclist /usr/share/zoneinfo/leap-seconds.list",
        "bindcmdaddress 127.0.0.1",
        "deny all",
    ] {
        assert!(text.lines().any(|l| l == line), "{line}");
    }
    assert!(!text.lines().any(|l| l.starts_with("allow")));
    // right/UTC lives in tzdata-legacy on Ubuntu 24.04 and Debian 13: chronyd failed on it.
    assert!(!text.contains("leapsectz"));
    let debian = host::chrony_with_pool("2.debian.pool.ntp.org")
        .render()
        .unwrap()
        .content;
    assert!(
        debian
            .lines()
            .any(|l| l == "pool 2.debian.pool.ntp.org iburst")
    );
    assert!(!debian.contains("ubuntu"));
}

#[test]
fn services_are_data_with_reasons() {
    let s = host::disabled_services();
    assert_eq!(s.units().len(), 10);
    let cmds = s.commands();
    assert!(
        cmds.iter()
            .all(|c| c.may_fail && c.argv[0] == "systemctl" && c.argv[2] == "--now")
    );
    let lines: Vec<String> = cmds.iter().map(HostCommand::shell_line).collect();
    assert!(lines.contains(&"systemctl mask --now snapd.socket || true".to_owned()));
    assert!(lines.contains(&"systemctl mask --now apport.service || true".to_owned()));
}

#[test]
fn host_baseline_bundles_files_and_ordered_steps() {
    use hardening_model::presets::host::HostBaseline;
    use hardening_model::values::{Port, UnixUser};

    let host = HostBaseline::new(
        Port::new(40022).unwrap(),
        &[UnixUser::new("deploy").unwrap()],
    )
    .unwrap();
    let files = host.files().unwrap();
    let mut paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    // 13, and the hidepid drop-ins for logind and polkit.
    assert_eq!(paths.len(), 15, "{paths:?}");
    assert!(paths.iter().all(|p| p.starts_with('/')));
    paths.sort_unstable();
    paths.dedup();
    assert_eq!(paths.len(), 15, "a path is written twice");
    let banner = files.iter().find(|f| f.path == "/etc/issue.net").unwrap();
    assert!(!banner.content.contains("Ubuntu"));
    let limits = files
        .iter()
        .find(|f| f.path == "/etc/security/limits.d/10-hardening.conf")
        .unwrap();
    assert!(limits.content.lines().any(|l| l == "* hard core 0"));

    let lines: Vec<String> = host
        .commands()
        .iter()
        .map(HostCommand::shell_line)
        .collect();
    let at = |needle: &str| {
        lines
            .iter()
            .position(|l| l == needle)
            .unwrap_or_else(|| panic!("{needle}: {lines:?}"))
    };
    assert!(at("systemctl restart systemd-modules-load.service") < at("sysctl --system"));
    assert!(at("sysctl --system") < at("sshd -t"));
    assert!(at("augenrules --load || true") < at("sshd -t"));
    assert!(at("sshd -t") < at("systemctl restart ssh.socket"));
    assert_eq!(lines.last().unwrap(), "ss -Htln 'sport = :40022'");
    assert_eq!(
        host.packages(),
        ["auditd", "audispd-plugins", "unattended-upgrades", "chrony"]
    );
}
