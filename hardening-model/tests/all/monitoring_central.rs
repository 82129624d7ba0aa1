//! The central monitoring files checked by the real tools: `promtool check config`,
//! `promtool check rules`, `promtool test rules`, `amtool check-config` and
//! `amtool config routes test`, and the security-events script's output by
//! `promtool check metrics`.

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::path::Path;

use hardening_model::RenderedFile;
use hardening_model::monitoring::{
    BusinessHours, CentralMonitoring, Escalation, Receiver, ScrapeAuth, SecurityEvents, Severity,
};

const CA: &str =
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2VudHJhbA==\n-----END CERTIFICATE-----\n";

fn auth() -> ScrapeAuth {
    ScrapeAuth::new("prometheus", "scrape-password-0123456789".into()).unwrap()
}

fn escalation() -> Escalation {
    Escalation::new(Receiver::pagerduty("pd-routing-key-sev1-0123".into()).unwrap())
        .receiver(
            Severity::Sev2,
            Receiver::opsgenie("og-api-key-sev2-0123".into()).unwrap(),
        )
        .receiver(
            Severity::Sev3,
            Receiver::email(
                "ops@example.com",
                "alerts@example.com",
                "smtp.example.com:587",
            )
            .unwrap()
            .with_smtp_auth("alerts", "smtp-password-0123".into())
            .unwrap(),
        )
        .receiver(
            Severity::Sev3,
            Receiver::webhook("https://chat.example.com/hooks/T0K3N".into()).unwrap(),
        )
        .business_hours(BusinessHours::new(9, 17, "Europe/Berlin").unwrap())
}

fn central(dir: &Path) -> CentralMonitoring {
    CentralMonitoring::new(auth(), CA, escalation())
        .unwrap()
        .config_dir(dir.to_str().unwrap())
        .unwrap()
        .target("203.0.113.10", 9100)
        .unwrap()
        .target("[2001:db8::10]", 9100)
        .unwrap()
}

fn write(files: &[RenderedFile]) {
    for f in files {
        let path = Path::new(&f.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, &f.content).unwrap();
    }
}

fn file<'a>(files: &'a [RenderedFile], name: &str) -> &'a RenderedFile {
    files.iter().find(|f| f.path.ends_with(name)).unwrap()
}

#[test]
fn secrets_only_in_the_0600_files() {
    let dir = tempfile::tempdir().unwrap();
    let files = central(dir.path()).render().unwrap();
    let secrets = [
        "scrape-password-0123456789",
        "pd-routing-key-sev1-0123",
        "og-api-key-sev2-0123",
        "smtp-password-0123",
        "T0K3N",
    ];
    for f in &files {
        for s in secrets {
            if f.content.contains(s) {
                assert_eq!(f.mode, 0o600, "{s} in {}", f.path);
                assert!(!f.is_world_readable());
            }
        }
    }
    assert!(
        file(&files, "prometheus.yml")
            .content
            .contains("scrape-password-0123456789")
    );
    assert!(
        file(&files, "alertmanager.yml")
            .content
            .contains("pd-routing-key-sev1-0123")
    );
    let debug = format!("{:?} {:?}", central(dir.path()), files);
    for s in secrets {
        assert!(!debug.contains(s), "{s} in Debug");
    }
}

#[test]
fn bad_input_is_a_typed_error_naming_the_field() {
    let e = CentralMonitoring::new(auth(), "not a pem", escalation()).unwrap_err();
    assert_eq!(e.field(), "central.ca_pem");
    let e = CentralMonitoring::new(auth(), CA, escalation())
        .unwrap()
        .target("203.0.113.10\n- job_name: x", 9100)
        .unwrap_err();
    assert_eq!(e.field(), "central.targets[0]");
    let e = CentralMonitoring::new(auth(), CA, escalation())
        .unwrap()
        .render()
        .unwrap_err();
    assert_eq!(e.field(), "central.targets");
    assert_eq!(
        Receiver::webhook("http://chat.example.com/hook".into())
            .unwrap_err()
            .field(),
        "receiver.webhook.url"
    );
    assert_eq!(
        Receiver::email("ops", "a@example.com", "smtp.example.com:587")
            .unwrap_err()
            .field(),
        "receiver.email.to"
    );
    assert_eq!(
        BusinessHours::new(17, 9, "Europe/Berlin")
            .unwrap_err()
            .field(),
        "business_hours.end_hour"
    );
    assert_eq!(
        BusinessHours::new(9, 17, "../../etc/passwd")
            .unwrap_err()
            .field(),
        "business_hours.location"
    );
    for days in [0, 91] {
        let e = SecurityEvents::new().reboot_pending_days(days).unwrap_err();
        assert_eq!(e.field(), "security_events.reboot_pending_days");
    }
    for hours in [0, 1, 745] {
        let e = SecurityEvents::new()
            .backup_max_age_hours(hours)
            .unwrap_err();
        assert_eq!(e.field(), "security_events.backup_max_age_hours");
    }
}

#[test]
fn promtool_accepts_the_config_and_the_rules_fire() {
    let Some(promtool) = hardening_validators::promtool() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let files = central(dir.path()).render().unwrap();
    write(&files);
    let rules = file(&files, "hardened-host.rules.yml");
    promtool.check_rules(&rules.content).unwrap();
    promtool
        .check_config(Path::new(&file(&files, "prometheus.yml").path))
        .unwrap_or_else(|e| panic!("{}", e.output()));
    let report = promtool
        .test_rules(Path::new(&file(&files, "hardened-host.test.yml").path))
        .unwrap_or_else(|e| panic!("{}", e.output()));
    assert!(report.contains("SUCCESS"), "{report}");
    // Every security alert has a case that proves it fires.
    let tests = &file(&files, "hardened-host.test.yml").content;
    for alert in [
        "FalcoCriticalEvent",
        "FalcoWarningEvent",
        "FalcoNotRunning",
        "DockerSocketAccess",
        "AuditedFileChanged",
        "FileIntegrityChange",
        "SshBruteForce",
        "SecurityEventsStale",
        "NodeExporterDown",
        "ContainerRestarting",
        "BackupTooOld",
        "HeldSecurityUpdate",
        "RebootPending",
    ] {
        assert!(tests.contains(&format!("{alert} fires")), "{alert}");
    }
    for alert in [
        "ContainerRestarting",
        "BackupTooOld",
        "HeldSecurityUpdate",
        "RebootPending",
    ] {
        assert!(tests.contains(&format!("{alert} stays quiet")), "{alert}");
    }
}

/// The timer and its service pass `systemd-analyze verify` (every key known, the timer's unit
/// present, the script executable), with the script in a temporary directory.
#[test]
fn the_timer_units_pass_systemd_analyze_verify() {
    use hardening_model::monitoring::SECURITY_EVENTS_SCRIPT;
    let Some(analyze) =
        hardening_validators::require_tool("systemd-analyze", "apt-get install systemd")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("security-events-textfile");
    let mut units = Vec::new();
    for f in SecurityEvents::new().files() {
        let name = Path::new(&f.path).file_name().unwrap().to_owned();
        if f.path == SECURITY_EVENTS_SCRIPT {
            std::fs::write(&script, &f.content).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        } else {
            let text = f
                .content
                .replace(SECURITY_EVENTS_SCRIPT, script.to_str().unwrap());
            std::fs::write(dir.path().join(&name), text).unwrap();
            units.push(dir.path().join(&name));
        }
    }
    assert_eq!(units.len(), 2);
    let run = std::process::Command::new(&analyze)
        .args(["verify", "--man=no"])
        .args(&units)
        .env("SYSTEMD_UNIT_PATH", format!("{}:", dir.path().display()))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(!stderr.contains("Unknown"), "{stderr}");
}

/// The reboot and backup windows reach the rules that use them.
#[test]
fn the_reboot_and_backup_windows_reach_their_rules() {
    let rules = SecurityEvents::new()
        .reboot_pending_days(3)
        .unwrap()
        .backup_max_age_hours(50)
        .unwrap()
        .alert_rules("node")
        .unwrap();
    let rule = |name: &str| {
        rules
            .rules()
            .iter()
            .find(|r| r.name() == name)
            .unwrap()
            .clone()
    };
    assert!(rule("RebootPending").expr().ends_with("> 259200"));
    assert!(rule("RebootPending").summary().contains("3 days"));
    assert!(rule("BackupTooOld").expr().ends_with("> 180000"));
    assert_eq!(rule("BackupTooOld").severity(), Severity::Sev2);
    assert_eq!(rule("HeldSecurityUpdate").severity(), Severity::Sev3);
    assert_eq!(rule("ContainerRestarting").severity(), Severity::Sev2);
}

#[test]
fn promtool_test_rules_catches_a_wrong_severity() {
    let Some(promtool) = hardening_validators::promtool() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let files = central(dir.path()).render().unwrap();
    write(&files);
    let rules = file(&files, "hardened-host.rules.yml");
    let broken = rules
        .content
        .replacen("severity: sev1", "severity: sev3", 1);
    assert_ne!(broken, rules.content);
    std::fs::write(&rules.path, broken).unwrap();
    let err = promtool
        .test_rules(Path::new(&file(&files, "hardened-host.test.yml").path))
        .unwrap_err();
    assert!(
        err.output().contains("FalcoCriticalEvent"),
        "{}",
        err.output()
    );
}

/// Thresholds that would never fire, or fire too early, fail the promtool cases of the new
/// alerts (one broken rules file, one promtool run: the long-horizon cases are slow).
#[test]
fn promtool_test_rules_catches_wrong_thresholds() {
    let Some(promtool) = hardening_validators::promtool() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let files = central(dir.path()).render().unwrap();
    write(&files);
    let rules = file(&files, "hardened-host.rules.yml");
    let mut broken = rules.content.clone();
    for (from, to) in [
        ("> 93600", "> 9360000"),
        ("> 604800", "> 0"),
        ("[15m]) > 0", "[15m]) > 5"),
        (
            "hardened_host_held_security_update{job=\"node\"} > 0",
            "hardened_host_held_security_update{job=\"node\"} > 1",
        ),
    ] {
        let next = broken.replacen(from, to, 1);
        assert_ne!(next, broken, "{from}");
        broken = next;
    }
    std::fs::write(&rules.path, broken).unwrap();
    let err = promtool
        .test_rules(Path::new(&file(&files, "hardened-host.test.yml").path))
        .unwrap_err();
    for alert in [
        "BackupTooOld",
        "RebootPending",
        "ContainerRestarting",
        "HeldSecurityUpdate",
    ] {
        assert!(err.output().contains(alert), "{alert}: {}", err.output());
    }
}

#[test]
fn amtool_accepts_the_routes_and_each_severity_reaches_its_receiver() {
    let Some(amtool) = hardening_validators::amtool() else {
        return;
    };
    let yaml = escalation().to_yaml().unwrap();
    let out = amtool
        .check_config(&yaml)
        .unwrap_or_else(|e| panic!("{}\n{yaml}", e.output()));
    assert!(out.contains("SUCCESS"), "{out}");
    for (labels, receiver) in [
        (&["severity=sev1", "instance=h:9100"][..], "sev1-on-call"),
        (&["severity=sev2"][..], "sev2-on-call"),
        (
            &["severity=sev3", "alertname=SshBruteForce"][..],
            "sev3-on-call",
        ),
        (&["alertname=Unlabelled"][..], "sev2-on-call"),
    ] {
        let got = amtool.routes_test(&yaml, labels).unwrap();
        assert_eq!(got, receiver, "{labels:?}");
    }
    // A SEV2 or SEV3 without receivers of its own uses the more severe level's.
    let minimal = Escalation::new(Receiver::pagerduty("pd-routing-key-0123".into()).unwrap());
    assert_eq!(minimal.receivers(Severity::Sev3).len(), 1);
    amtool.check_config(&minimal.to_yaml().unwrap()).unwrap();
}

#[test]
fn amtool_rejects_a_broken_route() {
    let Some(amtool) = hardening_validators::amtool() else {
        return;
    };
    let yaml = escalation().to_yaml().unwrap();
    let broken = yaml.replacen("receiver: sev1-on-call", "receiver: nobody", 1);
    assert_ne!(broken, yaml);
    assert!(amtool.check_config(&broken).is_err());
}

/// A stub command on PATH that prints `output` (and exits 0).
fn stub(dir: &Path, name: &str, output: &str) {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\ncat <<'STUB'\n{output}STUB\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// `apt list --upgradable` as apt 2.x prints it: docker.io's candidate is in the security
/// pocket (and -updates), containerd's only in -updates; runc is up to date; openssl (not held)
/// has a security update.
const APT_UPGRADABLE: &str = "Listing...
containerd/noble-updates 1.7.24-0ubuntu1~24.04.1 amd64 [upgradable from: 1.7.12-0ubuntu4]
docker.io/noble-updates,noble-security 24.0.7-0ubuntu4.1 amd64 [upgradable from: 24.0.7-0ubuntu4]
openssl/noble-security 3.0.13-0ubuntu3.5 amd64 [upgradable from: 3.0.13-0ubuntu3.4]
";

/// Runs the security-events script with stub journalctl/ausearch/aide/falco/systemctl and
/// returns the metrics file it wrote.
pub fn run_events_script(out_dir: &Path) -> String {
    run_events_script_in(out_dir, Path::new("/nonexistent-root"))
}

/// [`run_events_script`] with the reboot flag and backup status files read under `root`, and
/// stub docker, apt-mark and apt.
fn run_events_script_in(out_dir: &Path, root: &Path) -> String {
    let bin = tempfile::tempdir().unwrap();
    let docker = bin.path().join("docker");
    std::fs::write(
        &docker,
        "#!/bin/sh
case \"$1\" in
  ps) printf 'c0ffee01\\nc0ffee02\\n' ;;
           inspect) printf '/stack-app-1 3\\n/stack-caddy-1 0\\n' ;;
esac
",
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&docker, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    stub(bin.path(), "apt-mark", "docker.io\ncontainerd\nrunc\n");
    stub(bin.path(), "apt", APT_UPGRADABLE);
    let journal = "Invalid user admin from 198.51.100.7 port 4242\n\
                   Connection closed by invalid user root 198.51.100.7 port 4243 [preauth]\n\
                   Failed publickey for deploy from 198.51.100.8 port 22 ssh2\n\
                   Accepted publickey for deploy from 203.0.113.7 port 22 ssh2\n\
                   12:00:01.123456789: Critical Sensitive file read in app container (file=/etc/shadow)\n\
                   12:00:02.123456789: Warning Shell spawned in app container (user=root)\n\
                   12:00:03.123456789: Warning Shell spawned in app container (user=root)\n";
    stub(bin.path(), "journalctl", journal);
    // Records from now (a login session and a daemon) and from an hour ago.
    let ausearch = bin.path().join("ausearch");
    std::fs::write(
        &ausearch,
        "#!/bin/sh\nnow=$(date +%s)\nold=$((now - 3600))\n\
         echo \"type=SYSCALL msg=audit($now.100:1): arch=c000003e syscall=42 auid=1000 uid=0 key=\\\"docker-socket\\\"\"\n\
         echo \"type=PATH msg=audit($now.100:1): item=0 name=\\\"/run/docker.sock\\\"\"\n\
         echo \"type=SYSCALL msg=audit($now.200:2): arch=c000003e syscall=42 auid=4294967295 uid=0\"\n\
         echo \"type=SYSCALL msg=audit($old.300:3): arch=c000003e syscall=42 auid=1000 uid=0\"\n",
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&ausearch, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    stub(bin.path(), "aide", "");
    stub(bin.path(), "falco", "");
    stub(bin.path(), "systemctl", "");
    let script = SecurityEvents::new().script_in(out_dir.to_str().unwrap(), root.to_str().unwrap());
    let script_path = bin.path().join("events.sh");
    std::fs::write(&script_path, script).unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.path().display());
    let out = std::process::Command::new("sh")
        .arg(&script_path)
        .env("PATH", path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(out_dir.join("security-events.prom")).unwrap()
}

fn metric(text: &str, line_start: &str) -> f64 {
    text.lines()
        .find_map(|l| {
            l.strip_prefix(line_start)
                .map(|v| v.trim().parse().unwrap())
        })
        .unwrap_or_else(|| panic!("{line_start} missing in\n{text}"))
}

#[test]
fn the_events_script_counts_what_the_logs_say_and_promtool_reads_it() {
    let out = tempfile::tempdir().unwrap();
    let text = run_events_script(out.path());
    assert_eq!(metric(&text, "hardened_host_ssh_failed_logins "), 3.0);
    // The daemon's (auid unset) socket use is not counted, nor the record older than the
    // window; the login session's is.
    assert_eq!(
        metric(&text, "hardened_host_audit_events{key=\"docker-socket\"} "),
        1.0
    );
    assert_eq!(
        metric(&text, "hardened_host_falco_events{priority=\"critical\"} "),
        1.0
    );
    assert_eq!(
        metric(&text, "hardened_host_falco_events{priority=\"warning\"} "),
        2.0
    );
    assert_eq!(metric(&text, "hardened_host_falco_active "), 1.0);
    assert!(metric(&text, "hardened_host_security_events_timestamp_seconds ") > 1.7e9);
    let Some(promtool) = hardening_validators::promtool() else {
        return;
    };
    promtool
        .check_metrics(&text)
        .unwrap_or_else(|e| panic!("{}\n{text}", e.output()));
}

/// The file's mtime set `secs_ago` seconds back (with the real `touch`).
fn age(path: &Path, secs_ago: u64) {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - secs_ago;
    let ok = std::process::Command::new("touch")
        .arg("-d")
        .arg(format!("@{stamp}"))
        .arg(path)
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

#[test]
fn the_events_script_reports_restarts_reboots_held_updates_and_backups() {
    use hardening_model::backup::{LAST_BACKUP, MANIFEST};
    use hardening_model::monitoring::REBOOT_REQUIRED;
    let root = tempfile::tempdir().unwrap();
    let under = |p: &str| root.path().join(p.trim_start_matches('/'));
    for p in [REBOOT_REQUIRED, LAST_BACKUP] {
        std::fs::create_dir_all(under(p).parent().unwrap()).unwrap();
    }
    // No reboot pending, no backup yet: the age counts from the script's own file.
    let out = tempfile::tempdir().unwrap();
    let text = run_events_script_in(out.path(), root.path());
    assert_eq!(
        metric(&text, "hardened_host_reboot_required_timestamp_seconds "),
        0.0
    );
    let first = metric(
        &text,
        "hardened_host_backup_last_success_timestamp_seconds ",
    );
    assert!((now() - first).abs() < 120.0, "{first}");
    assert_eq!(
        metric(
            &text,
            "hardened_host_container_restarts{container=\"stack-app-1\"} "
        ),
        3.0
    );
    assert_eq!(
        metric(
            &text,
            "hardened_host_container_restarts{container=\"stack-caddy-1\"} "
        ),
        0.0
    );
    // Only docker.io's candidate comes from -security; containerd's is from -updates, runc is
    // current, and openssl is not held.
    assert_eq!(
        metric(
            &text,
            "hardened_host_held_security_update{package=\"docker.io\"} "
        ),
        1.0
    );
    assert_eq!(
        metric(
            &text,
            "hardened_host_held_security_update{package=\"containerd\"} "
        ),
        0.0
    );
    assert_eq!(
        metric(
            &text,
            "hardened_host_held_security_update{package=\"runc\"} "
        ),
        0.0
    );

    // A reboot pending for three days; a successful backup 30 hours ago, then a failed one:
    // the age is the last upload's (the manifest's), not the failed run's.
    std::fs::write(under(REBOOT_REQUIRED), "*** System restart required ***\n").unwrap();
    age(&under(REBOOT_REQUIRED), 3 * 86_400);
    std::fs::write(
        under(MANIFEST),
        "20261201T030000Z inst-1/b.tar.gz.age 00 1\n",
    )
    .unwrap();
    age(&under(MANIFEST), 30 * 3600);
    std::fs::write(under(LAST_BACKUP), "result=fail\ndetail=exit status 1\n").unwrap();
    let text = run_events_script_in(out.path(), root.path());
    let reboot = metric(&text, "hardened_host_reboot_required_timestamp_seconds ");
    assert!((now() - reboot - 3.0 * 86_400.0).abs() < 120.0, "{reboot}");
    let backup = metric(
        &text,
        "hardened_host_backup_last_success_timestamp_seconds ",
    );
    assert!((now() - backup - 30.0 * 3600.0).abs() < 120.0, "{backup}");

    // The next backup passes: its status file's time is the last success.
    std::fs::write(
        under(LAST_BACKUP),
        "result=pass\nfinished_at=2026-12-02T03:04:05Z\n",
    )
    .unwrap();
    age(&under(LAST_BACKUP), 600);
    let text = run_events_script_in(out.path(), root.path());
    let backup = metric(
        &text,
        "hardened_host_backup_last_success_timestamp_seconds ",
    );
    assert!((now() - backup - 600.0).abs() < 120.0, "{backup}");

    let Some(promtool) = hardening_validators::promtool() else {
        return;
    };
    promtool
        .check_metrics(&text)
        .unwrap_or_else(|e| panic!("{}\n{text}", e.output()));
}

mod adversarial {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    /// Built once: bcrypt makes each [`ScrapeAuth`] cost a hash.
    static BASE: std::sync::LazyLock<CentralMonitoring> =
        std::sync::LazyLock::new(|| CentralMonitoring::new(auth(), CA, escalation()).unwrap());

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        /// A receiver secret is rejected naming its field, or reads back unchanged from
        /// `alertmanager.yml` without adding a key anywhere.
        #[test]
        fn receiver_secrets_stay_in_their_field(s in prop_oneof![any::<String>(), "[a-z]{0,3}[\"':#{}\\[\\]\\n|>&*!%@` -]{1,8}"]) {
            match Receiver::pagerduty(s.clone().into()) {
                Err(e) => prop_assert_eq!(e.field(), "receiver.pagerduty.routing_key"),
                Ok(r) => {
                    let yaml = Escalation::new(r).to_yaml().unwrap();
                    let doc: Value = serde_saphyr::from_str(&yaml).unwrap();
                    let keys: Vec<&str> = doc.as_object().unwrap().keys().map(String::as_str).collect();
                    prop_assert_eq!(keys, vec!["global", "inhibit_rules", "receivers", "route"]);
                    let pd = &doc["receivers"][0]["pagerduty_configs"][0];
                    prop_assert_eq!(pd.as_object().unwrap().len(), 3);
                    prop_assert_eq!(pd["routing_key"].as_str().unwrap(), s.as_str());
                }
            }
        }

        /// A scrape target is rejected naming its field, or is one target of the one job.
        #[test]
        fn scrape_targets_stay_in_their_field(s in prop_oneof![any::<String>(), "[a-z0-9.]{1,6}[\"':#{}\\[\\]\\n|>&*!%@` -]{0,4}"]) {
            match BASE.clone().target(&s, 9100) {
                Err(e) => prop_assert_eq!(e.field(), "central.targets[0]"),
                Ok(c) => {
                    let doc: Value = serde_saphyr::from_str(&c.prometheus_yaml().unwrap()).unwrap();
                    let jobs = doc["scrape_configs"].as_array().unwrap();
                    prop_assert_eq!(jobs.len(), 1);
                    let targets = jobs[0]["static_configs"][0]["targets"].as_array().unwrap();
                    prop_assert_eq!(targets.len(), 1);
                    prop_assert_eq!(targets[0].as_str().unwrap(), format!("{s}:9100"));
                }
            }
        }
    }
}
