//! The Appendix B audit against fixture hosts: a hardened host passes, and every check fails
//! on a realistic bad configuration (Ubuntu's stock files, the runbook's own defects).

use std::path::{Path, PathBuf};

use hardening_model::audit::{self, CHECKS, DirHost, MemoryHost, Report, Status};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/audit")
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(fixtures().join(name)).expect("fixture file")
}

/// The good host tree loaded into memory, so tests can change single files.
fn good_host() -> MemoryHost {
    fn walk(root: &Path, dir: &Path, host: &mut MemoryHost) {
        for entry in std::fs::read_dir(dir).expect("fixture dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                walk(root, &path, host);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .expect("below root")
                    .to_string_lossy()
                    .into_owned();
                host.insert(
                    format!("/{rel}"),
                    std::fs::read_to_string(&path).expect("fixture file"),
                );
            }
        }
    }
    let root = fixtures().join("good-host");
    let mut host = MemoryHost::new();
    walk(&root, &root, &mut host);
    host
}

/// Checks the host's files cannot decide, even on a perfect host.
const NOT_ON_HOST: &[&str] = &[
    "firewall.hetzner",
    "cloudflare.ssl-strict",
    "cloudflare.waf",
    "cloudflare.origin-hidden",
    "backup.verified",
];

fn status(report: &Report, id: &str) -> Status {
    report
        .finding(id)
        .unwrap_or_else(|| panic!("no finding {id}"))
        .status
}

fn assert_good(report: &Report) {
    for finding in &report.findings {
        let expected = if NOT_ON_HOST.contains(&finding.check.id) {
            Status::Unknown
        } else {
            Status::Pass
        };
        assert_eq!(
            finding.status,
            expected,
            "{}: {}\n{}",
            finding.check.id,
            finding.detail,
            report.to_table()
        );
    }
}

#[test]
fn the_hardened_fixture_host_passes_from_a_directory_and_from_memory() {
    let from_dir = audit::audit(&DirHost::new(fixtures().join("good-host")));
    assert_good(&from_dir);
    assert!(!from_dir.has_critical_failure());
    let from_memory = audit::audit(&good_host());
    assert_good(&from_memory);
    assert_eq!(from_dir.summary, from_memory.summary);
    assert_eq!(from_dir.summary.pass, CHECKS.len() - NOT_ON_HOST.len());
}

/// Applies `change` to the good host and asserts that check `id` fails.
fn fails_after(id: &str, change: impl FnOnce(&mut MemoryHost)) -> String {
    let mut host = good_host();
    change(&mut host);
    let report = audit::audit(&host);
    let finding = report.finding(id).expect("finding");
    assert_eq!(
        finding.status,
        Status::Fail,
        "{id} should fail: {}",
        finding.detail
    );
    finding.detail.clone()
}

const DROP_IN: &str = "/etc/ssh/sshd_config.d/10-hardening.conf";

fn edit(host: &mut MemoryHost, path: &str, from: &str, to: &str) {
    let old = match hardening_model::audit::HostFiles::read(host, path) {
        hardening_model::audit::FileState::Present(text) => text,
        other => panic!("{path}: {other:?}"),
    };
    assert!(old.contains(from), "{path} lacks {from:?}");
    host.insert(path, old.replace(from, to));
}

#[test]
fn ubuntu_stock_sshd_config_fails_every_ssh_check() {
    let mut host = MemoryHost::new();
    host.insert("/etc/ssh/sshd_config", fixture("ubuntu-24.04-sshd_config"));
    // Ubuntu cloud images add this drop-in, which sshd reads first.
    host.insert(
        "/etc/ssh/sshd_config.d/50-cloud-init.conf",
        "PasswordAuthentication yes\n",
    );
    let report = audit::audit(&host);
    for id in [
        "ssh.ed25519-only",
        "ssh.root-login",
        "ssh.password-auth",
        "ssh.log-level",
    ] {
        assert_eq!(
            status(&report, id),
            Status::Fail,
            "{id}: {}",
            report.finding(id).unwrap().detail
        );
    }
    let password = &report.finding("ssh.password-auth").unwrap().detail;
    assert!(password.contains("50-cloud-init.conf:1"), "{password}");
    assert!(
        report
            .finding("ssh.root-login")
            .unwrap()
            .detail
            .contains("prohibit-password")
    );
    assert!(report.has_critical_failure());
}

#[test]
fn each_ssh_check_fails_on_its_own_defect() {
    fails_after("ssh.ed25519-only", |h| {
        edit(
            h,
            DROP_IN,
            "PubkeyAcceptedAlgorithms ssh-ed25519,",
            "PubkeyAcceptedAlgorithms rsa-sha2-512,ssh-ed25519,",
        )
    });
    fails_after("ssh.ed25519-only", |h| {
        edit(
            h,
            DROP_IN,
            "HostKeyAlgorithms ssh-ed25519,",
            "HostKeyAlgorithms +ssh-rsa,",
        )
    });
    fails_after("ssh.root-login", |h| {
        edit(
            h,
            DROP_IN,
            "PermitRootLogin no",
            "PermitRootLogin prohibit-password",
        )
    });
    fails_after("ssh.password-auth", |h| {
        edit(
            h,
            DROP_IN,
            "KbdInteractiveAuthentication no",
            "KbdInteractiveAuthentication yes",
        )
    });
    fails_after("ssh.log-level", |h| {
        edit(h, DROP_IN, "LogLevel VERBOSE", "LogLevel INFO")
    });
    // A Match block re-enabling passwords counts, even though the global value is right.
    let detail = fails_after("ssh.password-auth", |h| {
        edit(
            h,
            DROP_IN,
            "\tAllowTcpForwarding local",
            "\tAllowTcpForwarding local\n\tPasswordAuthentication yes",
        )
    });
    assert!(detail.contains("Match User deploy"), "{detail}");
    // A later value does not override the first one sshd read.
    let mut host = good_host();
    edit(
        &mut host,
        "/etc/ssh/sshd_config",
        "UsePAM yes",
        "UsePAM yes\nPermitRootLogin yes\nLogLevel QUIET",
    );
    let report = audit::audit(&host);
    assert_eq!(status(&report, "ssh.root-login"), Status::Pass);
    assert_eq!(status(&report, "ssh.log-level"), Status::Pass);
}

#[test]
fn each_firewall_check_fails_on_its_own_defect() {
    fails_after("firewall.ufw", |h| {
        edit(h, "/etc/ufw/ufw.conf", "ENABLED=yes", "ENABLED=no")
    });
    fails_after("firewall.ufw", |h| {
        edit(h, "/etc/default/ufw", "\"DROP\"", "\"ACCEPT\"")
    });
    // The runbook's port change without the socket fix: ufw opens 2222 but sshd stays on 22.
    let detail = fails_after("firewall.ufw", |h| {
        h.insert(
            "/etc/systemd/system/ssh.socket.d/listen.conf",
            "[Socket]\nListenStream=\nListenStream=22\n",
        );
    });
    assert!(detail.contains("port 22"), "{detail}");
    let detail = fails_after("firewall.ufw", |h| {
        edit(
            h,
            "/etc/ufw/user.rules",
            "### END RULES ###",
            "### tuple ### allow tcp 9100 0.0.0.0/0 any 0.0.0.0/0 in\n### END RULES ###",
        )
    });
    assert!(detail.contains("9100"), "{detail}");
    fails_after("firewall.docker-user", |h| {
        edit(
            h,
            "/etc/ufw/after.rules",
            "-A DOCKER-USER -i eth0 -j DROP\n",
            "",
        )
    });
}

#[test]
fn each_docker_check_fails_on_its_own_defect() {
    const DAEMON: &str = "/etc/docker/daemon.json";
    const COMPOSE: &str = "/opt/app/docker-compose.yml";
    fails_after("docker.daemon", |h| {
        edit(
            h,
            DAEMON,
            "\"no-new-privileges\": true",
            "\"no-new-privileges\": false",
        )
    });
    fails_after("docker.daemon", |h| {
        edit(
            h,
            DAEMON,
            "  \"userns-remap\": \"default\"\n",
            "  \"debug\": false\n",
        )
    });
    fails_after("docker.icc", |h| {
        edit(h, DAEMON, "\"icc\": false", "\"icc\": true")
    });
    let detail = fails_after("docker.socket", |h| {
        edit(
            h,
            COMPOSE,
            "      - caddy-data:/data",
            "      - caddy-data:/data\n      - /var/run/docker.sock:/var/run/docker.sock:ro",
        )
    });
    assert!(detail.contains("service caddy"), "{detail}");
    let detail = fails_after("docker.limits", |h| {
        edit(h, COMPOSE, "    pids_limit: 512\n", "")
    });
    assert!(detail.contains("service app has no pids limit"), "{detail}");
    // A missing daemon.json means Docker's defaults: icc on, no userns-remap.
    let mut host = good_host();
    host.insert("/etc/docker/daemon.json", "{ \"icc\": false, ");
    let report = audit::audit(&host);
    assert_eq!(status(&report, "docker.daemon"), Status::Fail);
    assert!(
        report
            .finding("docker.daemon")
            .unwrap()
            .detail
            .contains("could not be parsed")
    );
}

#[test]
fn each_os_check_fails_on_its_own_defect() {
    fails_after("os.sysctl", |h| {
        edit(
            h,
            "/etc/sysctl.d/99-hardening.conf",
            "kernel.kptr_restrict = 2",
            "kernel.kptr_restrict = 0",
        )
    });
    // A later file wins over the hardening file.
    fails_after("os.sysctl", |h| {
        h.insert(
            "/etc/sysctl.d/99-zz-debug.conf",
            "kernel.yama.ptrace_scope = 0\n",
        );
    });
    fails_after("os.apparmor", |h| {
        edit(
            h,
            "/opt/app/docker-compose.yml",
            "apparmor=docker-app\"",
            "apparmor=unconfined\"",
        )
    });
    fails_after("os.apparmor", |h| {
        edit(
            h,
            "/etc/apparmor.d/docker-app",
            "flags=(attach_disconnected",
            "flags=(complain,attach_disconnected",
        )
    });
    fails_after("os.auditd", |h| {
        edit(h, "/etc/audit/rules.d/hardening.rules", "-e 2\n", "")
    });
    let detail = fails_after("os.auditd", |h| {
        h.remove("/etc/systemd/system/multi-user.target.wants/auditd.service")
            .unwrap();
    });
    assert!(detail.contains("not enabled at boot"), "{detail}");
    fails_after("os.unattended-upgrades", |h| {
        edit(
            h,
            "/etc/apt/apt.conf.d/20auto-upgrades",
            "Unattended-Upgrade \"1\"",
            "Unattended-Upgrade \"0\"",
        )
    });
    fails_after("os.chrony", |h| {
        edit(
            h,
            "/etc/chrony/chrony.conf",
            "pool ntp.ubuntu.com iburst maxsources 4\n",
            "",
        )
    });
    let detail = fails_after("os.services", |h| {
        h.insert(
            "/etc/systemd/system/multi-user.target.wants/avahi-daemon.service",
            "",
        );
    });
    assert!(detail.contains("avahi-daemon.service"), "{detail}");
}

#[test]
fn each_caddy_check_fails_on_its_own_defect() {
    const CADDY: &str = "/opt/app/Caddyfile";
    fails_after("caddy.tls13", |h| {
        edit(h, CADDY, "protocols tls1.3", "protocols tls1.2 tls1.3")
    });
    fails_after("caddy.admin-off", |h| edit(h, CADDY, "\tadmin off\n", ""));
    fails_after("caddy.headers", |h| edit(h, CADDY, "\t\t-Server\n", ""));
    fails_after("caddy.headers", |h| {
        edit(
            h,
            CADDY,
            "\t\tReferrer-Policy \"strict-origin-when-cross-origin\"\n",
            "",
        )
    });
    let detail = fails_after("caddy.headers", |h| {
        edit(h, CADDY, "import security_headers", "# no headers")
    });
    assert!(detail.contains("app.example.com"), "{detail}");
    let detail = fails_after("caddy.tls13", |h| {
        edit(
            h,
            CADDY,
            "app.example.com {",
            "app.example.com {\n\trespond \"{",
        )
    });
    assert!(detail.contains("could not be parsed"), "{detail}");
}

#[test]
fn each_backup_and_monitoring_check_fails_on_its_own_defect() {
    fails_after("backup.daily", |h| {
        edit(h, "/etc/cron.d/backup", "15 3 * * *", "15 3 * * 0")
    });
    fails_after("backup.encrypted", |h| {
        edit(
            h,
            "/usr/local/sbin/backup.sh",
            "| age -r \"$BACKUP_AGE_RECIPIENT\" -o",
            "| openssl enc -aes-256-cbc -pass env:K -out",
        )
    });
    fails_after("backup.verified", |h| {
        edit(
            h,
            "/etc/cron.d/backup-verify",
            "backup-verify.sh",
            "backup-check.sh",
        )
    });
    fails_after("monitoring.node-exporter", |h| {
        edit(
            h,
            "/opt/app/docker-compose.yml",
            "quay.io/prometheus/node-exporter",
            "quay.io/prometheus/blackbox",
        )
    });
    fails_after("monitoring.ids", |h| {
        // Erratum 18: `falco.service` is not the unit Falco ships.
        h.remove("/etc/systemd/system/multi-user.target.wants/falco-modern-bpf.service")
            .unwrap();
        h.insert(
            "/etc/systemd/system/multi-user.target.wants/falco.service",
            "",
        );
    });
    fails_after("monitoring.alerts", |h| {
        edit(
            h,
            "/etc/prometheus/alerts.rules.yml",
            "- alert: DiskAlmostFull",
            "- record: disk_free",
        )
    });
}

#[test]
fn monitoring_that_reaches_no_one_fails() {
    let d = fails_after("monitoring.node-exporter", |h| {
        edit(
            h,
            "/opt/app/docker-compose.yml",
            "--web.listen-address=:9100",
            "--web.listen-address=127.0.0.1:9100",
        )
    });
    assert!(d.contains("127.0.0.1:9100 only"), "{d}");
    let d = fails_after("monitoring.node-exporter", |h| {
        edit(
            h,
            "/opt/app/docker-compose.yml",
            ", \"--web.config.file=/config/web-config.yml\"",
            "",
        )
    });
    assert!(d.contains("without --web.config.file"), "{d}");
    let d = fails_after("monitoring.node-exporter", |h| {
        edit(
            h,
            "/etc/node-exporter/web-config.yml",
            "basic_auth_users:",
            "basic_auth_users_off:",
        )
    });
    assert!(d.contains("no authentication"), "{d}");
    let d = fails_after("monitoring.ids", |h| {
        h.remove("/etc/systemd/system/timers.target.wants/security-events-textfile.timer")
            .unwrap();
    });
    assert!(d.contains("local journal"), "{d}");
    let d = fails_after("monitoring.alerts", |h| {
        edit(
            h,
            "/etc/prometheus/alerts.rules.yml",
            "labels: { severity: critical }",
            "labels: { team: ops }",
        )
    });
    assert!(
        d.contains("without a severity label: DiskAlmostFull"),
        "{d}"
    );
    let d = fails_after("monitoring.alerts", |h| {
        edit(
            h,
            "/etc/prometheus/alertmanager.yml",
            "webhook_configs:\n      - url: https://alerts.example.com/hook",
            "webhook_configs: []",
        )
    });
    assert!(d.contains("notifies no one"), "{d}");
    let d = fails_after("monitoring.alerts", |h| {
        h.remove("/etc/prometheus/alertmanager.yml").unwrap();
    });
    assert!(d.contains("nobody is notified"), "{d}");
    // Routed but never tested: not a pass.
    let mut host = good_host();
    host.remove("/etc/prometheus/alerts.test.yml").unwrap();
    let report = audit::audit(&host);
    assert_eq!(status(&report, "monitoring.alerts"), Status::Unknown);
}

#[test]
fn an_enabled_alloy_carries_falco_alerts_off_the_host_and_promtail_no_longer_does() {
    let without_timer = |h: &mut MemoryHost| {
        h.remove("/etc/systemd/system/timers.target.wants/security-events-textfile.timer")
            .unwrap();
    };
    // Promtail reached end of life on 2026-03-02: it no longer counts as the log shipper.
    let d = fails_after("monitoring.ids", |h| {
        without_timer(h);
        h.insert(
            "/etc/systemd/system/multi-user.target.wants/promtail.service",
            "",
        );
    });
    assert!(d.contains("local journal"), "{d}");
    let mut host = good_host();
    without_timer(&mut host);
    host.insert(
        "/etc/systemd/system/multi-user.target.wants/alloy.service",
        "",
    );
    let report = audit::audit(&host);
    let finding = report.finding("monitoring.ids").expect("finding");
    assert_eq!(finding.status, Status::Pass, "{}", finding.detail);
    assert!(
        finding.detail.contains("alloy.service enabled"),
        "{}",
        finding.detail
    );
}

#[test]
fn the_runbooks_own_defects_are_caught() {
    let mut host = good_host();
    host.insert("/opt/app/Caddyfile", fixture("runbook-Caddyfile"));
    host.insert(
        "/etc/audit/rules.d/hardening.rules",
        fixture("runbook-audit.rules"),
    );
    host.insert(
        "/etc/sysctl.d/99-hardening.conf",
        fixture("runbook-sysctl.conf"),
    );
    host.insert(
        "/etc/cron.d/backup",
        fixture("runbook-cron-openclaw-backup"),
    );
    host.insert(
        "/opt/openclaw/scripts/backup.sh",
        fixture("runbook-backup.sh"),
    );
    host.insert("/etc/docker/daemon.json", fixture("runbook-daemon.json"));
    let report = audit::audit(&host);
    let detail = |id: &str| report.finding(id).unwrap().detail.clone();

    // X-XSS-Protection "1; mode=block" (erratum 14); TLS 1.3 and admin off are right.
    assert_eq!(status(&report, "caddy.headers"), Status::Fail);
    assert!(detail("caddy.headers").contains("X-XSS-Protection"));
    assert_eq!(status(&report, "caddy.tls13"), Status::Pass);
    assert_eq!(status(&report, "caddy.admin-off"), Status::Pass);
    // No module-loading syscall rules, no arch=b32 twins, no /etc/docker watch (erratum 9).
    assert_eq!(status(&report, "os.auditd"), Status::Fail);
    assert!(detail("os.auditd").contains("arch=b32"));
    assert!(detail("os.auditd").contains("/etc/docker"));
    // The CIS network keys the runbook leaves out.
    assert_eq!(status(&report, "os.sysctl"), Status::Fail);
    assert!(detail("os.sysctl").contains("accept_redirects"));
    // The key on a world-readable cron line and unauthenticated CBC (erratum 17).
    assert_eq!(status(&report, "backup.encrypted"), Status::Fail);
    assert!(detail("backup.encrypted").contains("command line"));
    assert!(detail("backup.encrypted").contains("unauthenticated"));
    assert!(
        !report.to_json().unwrap().contains("example-not-a-real-key"),
        "a secret leaked into the report"
    );
    // The runbook's daemon.json itself is fine for these checks.
    assert_eq!(status(&report, "docker.daemon"), Status::Pass);
    assert_eq!(status(&report, "docker.icc"), Status::Pass);
}

#[test]
fn missing_unreadable_and_unparsable_files_are_findings_not_passes() {
    let empty = audit::audit(&MemoryHost::new());
    assert_eq!(empty.summary.pass, 0, "{}", empty.to_table());
    assert_eq!(empty.findings.len(), CHECKS.len());
    assert!(
        empty
            .finding("ssh.root-login")
            .unwrap()
            .detail
            .contains("not found")
    );

    let mut host = good_host();
    host.insert_unreadable("/etc/ssh/sshd_config", "permission denied");
    host.insert(
        "/opt/app/docker-compose.yml",
        "services:\n  app: [unclosed\n",
    );
    let report = audit::audit(&host);
    assert_eq!(status(&report, "ssh.root-login"), Status::Unknown);
    assert!(
        report
            .finding("ssh.root-login")
            .unwrap()
            .detail
            .contains("permission denied")
    );
    assert_eq!(status(&report, "docker.socket"), Status::Fail);
    assert!(
        report
            .finding("docker.socket")
            .unwrap()
            .detail
            .contains("could not be parsed")
    );

    // An unreadable included file could hold the first value: never a pass.
    let mut host = good_host();
    host.insert_unreadable(DROP_IN, "permission denied");
    host.insert(
        "/etc/ssh/sshd_config.d/20-extra.conf",
        "PermitRootLogin no\n",
    );
    let report = audit::audit(&host);
    assert_eq!(
        status(&report, "ssh.root-login"),
        Status::Unknown,
        "{}",
        report.to_table()
    );
}

#[test]
fn captured_sshd_t_output_is_preferred() {
    let mut host = good_host();
    host.insert(
        audit::captures::SSHD_T,
        "port 2222\npermitrootlogin without-password\npasswordauthentication no\nkbdinteractiveauthentication no\nloglevel VERBOSE\n",
    );
    let report = audit::audit(&host);
    assert_eq!(status(&report, "ssh.root-login"), Status::Fail);
    assert!(
        report
            .finding("ssh.root-login")
            .unwrap()
            .detail
            .contains("sshd -T")
    );
    assert_eq!(status(&report, "ssh.password-auth"), Status::Pass);
}

#[test]
fn reports_render_as_table_and_json() {
    let report = audit::audit(&good_host());
    let table = report.to_table();
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("PASS") && l.contains("ssh.root-login"))
    );
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("UNKNOWN") && l.contains("firewall.hetzner"))
    );
    assert!(table.trim_end().ends_with(&report.summary.to_string()));
    assert_eq!(
        report.summary.to_string(),
        "30 checks: 25 pass, 0 fail (0 critical), 5 unknown"
    );
    let json: serde_json::Value = serde_json::from_str(&report.to_json().unwrap()).unwrap();
    assert_eq!(json["findings"].as_array().unwrap().len(), CHECKS.len());
    assert_eq!(json["findings"][1]["check"]["id"], "ssh.root-login");
    assert_eq!(json["findings"][1]["check"]["severity"], "critical");
    assert_eq!(json["findings"][1]["status"], "pass");
    assert_eq!(json["summary"]["fail"], 0);
}

#[test]
fn backup_status_files_are_evidence_for_the_last_run_and_the_last_verification() {
    use hardening_model::backup::{LAST_BACKUP, LAST_VERIFY};
    let status = |host: &MemoryHost, id: &str| {
        let report = audit::audit(host);
        let f = report.finding(id).expect("finding");
        (f.status, f.detail.clone())
    };
    // No status file: the schedule passes `daily`, and `verified` cannot be told.
    let mut host = good_host();
    assert_eq!(status(&host, "backup.verified").0, Status::Unknown);
    host.insert(
        LAST_VERIFY,
        "result=pass\nfinished_at=2026-12-06T04:07:12Z\nobject=inst-1/backup-20261206T031204Z.tar.gz.age\nsha256=ab12\n",
    );
    let (s, detail) = status(&host, "backup.verified");
    assert_eq!(s, Status::Pass, "{detail}");
    assert!(detail.contains("2026-12-06T04:07:12Z") && detail.contains("backup-20261206T031204Z"));
    host.insert(
        LAST_VERIFY,
        "result=fail\nfinished_at=2026-12-13T04:02:00Z\ndetail=checksum mismatch: inst-1/x changed since upload\n",
    );
    let (s, detail) = status(&host, "backup.verified");
    assert_eq!(s, Status::Fail);
    assert!(detail.contains("checksum mismatch"), "{detail}");
    host.insert(LAST_VERIFY, "garbage\n");
    assert_eq!(status(&host, "backup.verified").0, Status::Fail);
    host.insert_unreadable(LAST_VERIFY, "permission denied");
    assert_eq!(status(&host, "backup.verified").0, Status::Unknown);

    // The backup job's own record: a failed last run fails `daily` despite the schedule.
    assert_eq!(status(&host, "backup.daily").0, Status::Pass);
    host.insert(
        LAST_BACKUP,
        "result=fail\nfinished_at=2026-12-14T03:05:00Z\ndetail=exit status 1\n",
    );
    let (s, detail) = status(&host, "backup.daily");
    assert_eq!(s, Status::Fail);
    assert!(detail.contains("exit status 1"), "{detail}");
    host.insert(
        LAST_BACKUP,
        "result=pass\nfinished_at=2026-12-15T03:05:00Z\n",
    );
    let (s, detail) = status(&host, "backup.daily");
    assert_eq!(s, Status::Pass);
    assert!(detail.contains("2026-12-15T03:05:00Z"), "{detail}");
    // The run's downtime, when the job recorded it.
    host.insert(
        LAST_BACKUP,
        "result=pass\nfinished_at=2026-12-16T03:05:00Z\nquiesce_seconds=2.35\n",
    );
    let (s, detail) = status(&host, "backup.daily");
    assert_eq!(s, Status::Pass);
    assert!(
        detail.ends_with("the data services stopped 2.4 s"),
        "{detail}"
    );
}

#[test]
fn mounts_are_judged_live_where_the_host_shows_them() {
    // From the files only: the configuration passes, and says the live table was not seen.
    let report = audit::audit(&good_host());
    let files = report.finding("os.mounts").unwrap();
    assert_eq!(files.status, Status::Pass, "{}", files.detail);
    assert!(files.detail.contains("configured"), "{}", files.detail);
    // A live table where /tmp is still the distribution's (no noexec) fails, whatever the
    // files say: the change has not been applied.
    let mut host = good_host();
    host.insert(
        audit::captures::MOUNTS,
        "proc /proc proc rw,nosuid,nodev,noexec,relatime,gid=996,hidepid=invisible 0 0\n\
         tmpfs /dev/shm tmpfs rw,nosuid,nodev,noexec 0 0\n\
         tmpfs /tmp tmpfs rw,nosuid,nodev,size=1620092k,nr_inodes=1048576 0 0\n\
         tmpfs /var/tmp tmpfs rw,nosuid,nodev,noexec,relatime,size=262144k,mode=1777 0 0\n",
    );
    let detail = fails_after("os.mounts", |h| *h = host.clone());
    assert!(
        detail.contains("/tmp is mounted") && detail.contains("live"),
        "{detail}"
    );
    // The same table with /tmp remounted passes.
    host.insert(
        audit::captures::MOUNTS,
        "proc /proc proc rw,nosuid,nodev,noexec,relatime,gid=996,hidepid=invisible 0 0\n\
         tmpfs /dev/shm tmpfs rw,nosuid,nodev,noexec 0 0\n\
         tmpfs /tmp tmpfs rw,nosuid,nodev,size=1620092k,nr_inodes=1048576 0 0\n\
         tmpfs /var/tmp tmpfs rw,nosuid,nodev,noexec,relatime,size=262144k,mode=1777 0 0\n\
         tmpfs /tmp tmpfs rw,nosuid,nodev,noexec,size=524288k,mode=1777 0 0\n",
    );
    let live = audit::audit(&host);
    assert_eq!(live.finding("os.mounts").unwrap().status, Status::Pass);
    // No /proc hidepid and no mount units: the files fail.
    let detail = fails_after("os.mounts", |h| {
        h.insert(
            "/etc/fstab",
            "LABEL=root / ext4 defaults 0 1\nproc /proc proc defaults 0 0\n",
        );
    });
    assert!(
        detail.contains("/proc") && detail.contains("hidepid"),
        "{detail}"
    );
    let detail = fails_after("os.mounts", |h| {
        h.insert("/etc/fstab", "LABEL=root / ext4 defaults 0 1\n");
        h.remove("/etc/systemd/system/tmp.mount");
        h.remove("/etc/systemd/system/var-tmp.mount");
    });
    assert!(detail.contains("no mount unit"), "{detail}");
}
