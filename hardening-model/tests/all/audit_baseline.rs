//! The baseline presets' rendered artifacts, audited as policy: no check fails, and every
//! check the artifacts cover passes.

use std::net::{IpAddr, Ipv4Addr};

use hardening_model::RenderedFile;
use hardening_model::audit::{self, MemoryHost, Scope, Status};
use hardening_model::docker::ImageRef;
use hardening_model::monitoring::{
    CentralMonitoring, Escalation, ExporterAccess, Receiver, ScrapeAuth,
};
use hardening_model::presets::firewall::{baseline, cloudflare_fallback_ranges};
use hardening_model::presets::host::HostBaseline;
use hardening_model::presets::stack::{self, StackImages};
use hardening_model::values::{Domain, Port, UnixUser};

fn image(name: &str, fill: char) -> ImageRef {
    ImageRef::parse(&format!("{name}@sha256:{}", fill.to_string().repeat(64))).expect("image")
}

/// How the monitoring server reaches the host: every baseline is scraped.
fn monitoring() -> ExporterAccess {
    let auth = ScrapeAuth::new("prometheus", "scrape-password-0123456789".into()).expect("auth");
    ExporterAccess::new(
        Port::new(9100).expect("port"),
        ["192.0.2.10/32".parse().expect("cidr")],
        auth,
    )
    .expect("access")
}

/// Every artifact of the host, firewall and stack baselines for one SSH port, as the presets
/// render them (nothing replaced), and the monitoring server's files.
fn baseline_files(ssh_port: u16) -> Vec<RenderedFile> {
    let port = Port::new(ssh_port).expect("port");
    let admins = [UnixUser::new("deploy").expect("user")];
    let access = monitoring();
    let mut files = HostBaseline::new(port, &admins)
        .expect("host")
        .files()
        .expect("host files");
    let firewall = baseline(
        port,
        &["203.0.113.7/32".parse().expect("cidr")],
        &cloudflare_fallback_ranges(),
        None,
    )
    .expect("firewall")
    .with_inbound(access.firewall_rule())
    .expect("scrape rule");
    files.push(firewall.ufw_script());
    files.push(firewall.docker_user_script());
    files.push(firewall.nftables_conf());
    let images = StackImages {
        caddy: image("caddy:2-alpine", 'a'),
        app: image("registry.example.com/team/app:1.4.2", 'b'),
        node_exporter: image("prom/node-exporter:v1.8.2", 'c'),
    };
    files.extend(
        stack::render_all(
            &images,
            Domain::new("app.example.com").expect("domain"),
            Port::new(3000).expect("port"),
            IpAddr::V4(Ipv4Addr::new(203, 0, 113, 10)),
            &cloudflare_fallback_ranges(),
            &access,
        )
        .expect("stack"),
    );
    // The monitoring server's rules, rules tests and routes.
    let ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    let chain = Escalation::new(Receiver::pagerduty("pd-routing-key-0123".into()).expect("pd"));
    files.extend(
        CentralMonitoring::new(access.auth().clone(), ca, chain)
            .expect("central")
            .target("203.0.113.10", 9100)
            .expect("target")
            .render()
            .expect("central files"),
    );
    files
}

/// Checks the rendered baseline covers and must pass.
const COVERED: &[&str] = &[
    "ssh.ed25519-only",
    "ssh.root-login",
    "ssh.password-auth",
    "ssh.log-level",
    "firewall.ufw",
    "firewall.docker-user",
    "docker.daemon",
    "docker.socket",
    "docker.limits",
    "docker.icc",
    "os.sysctl",
    "os.apparmor",
    "os.auditd",
    "os.unattended-upgrades",
    "os.chrony",
    "caddy.tls13",
    "caddy.headers",
    "caddy.admin-off",
    "monitoring.node-exporter",
    "monitoring.alerts",
];

#[test]
fn the_rendered_baseline_passes_every_check_it_covers() {
    let files = baseline_files(2222);
    let report = audit::audit_rendered(&files);
    let table = report.to_table();
    for finding in &report.findings {
        assert_ne!(
            finding.status,
            Status::Fail,
            "{}: {}\n{table}",
            finding.check.id,
            finding.detail
        );
        if COVERED.contains(&finding.check.id) {
            assert_eq!(
                finding.status,
                Status::Pass,
                "{}: {}\n{table}",
                finding.check.id,
                finding.detail
            );
        }
    }
    assert_eq!(report.summary.pass, COVERED.len(), "{table}");
    eprintln!("{table}");
}

#[test]
fn the_same_artifacts_on_a_host_fail_what_they_leave_out() {
    // Read as a host's files, the parts the baseline does not render (backups) are failures:
    // the policy/host distinction is what keeps them Unknown above.
    let files = baseline_files(2222);
    let report = audit::audit_scoped(&MemoryHost::from_rendered(&files), Scope::Host);
    assert_eq!(
        report.finding("backup.daily").expect("finding").status,
        Status::Fail
    );
    assert_eq!(
        report.finding("ssh.root-login").expect("finding").status,
        Status::Pass
    );
}

#[test]
fn the_ssh_port_the_firewall_admits_is_the_one_sshd_listens_on() {
    for port in [22, 2222, 42022, 65000] {
        let report = audit::audit_rendered(&baseline_files(port));
        let ufw = report.finding("firewall.ufw").expect("finding");
        assert_eq!(ufw.status, Status::Pass, "{port}: {}", ufw.detail);
        assert!(
            ufw.detail.contains(&format!("SSH port {port}")),
            "{}",
            ufw.detail
        );
    }
}

#[test]
fn a_weakened_baseline_fails() {
    let mut files = baseline_files(2222);
    let fragment = files
        .iter_mut()
        .find(|f| f.path == "/etc/ssh/sshd_config.d/10-hardening.conf")
        .expect("sshd fragment");
    fragment.content = format!("PermitRootLogin yes\n{}", fragment.content);
    let report = audit::audit_rendered(&files);
    assert_eq!(
        report.finding("ssh.root-login").expect("finding").status,
        Status::Fail
    );
    assert!(report.has_critical_failure());
}
