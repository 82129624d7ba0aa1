//! One evaluator per checklist line.

mod caddy;
mod docker;
mod firewall;
mod mounts;
mod offhost;
mod os;
mod ssh;

use super::Check;
use super::host::Host;
use super::report::{Finding, Status};

/// Evaluates one check against the loaded host.
pub(crate) fn evaluate(host: &Host<'_>, check: Check) -> Finding {
    match check.id {
        "ssh.ed25519-only" => ssh::ed25519_only(host, check),
        "ssh.root-login" => ssh::root_login(host, check),
        "ssh.password-auth" => ssh::password_auth(host, check),
        "ssh.log-level" => ssh::log_level(host, check),
        "firewall.ufw" => firewall::ufw(host, check),
        "firewall.docker-user" => firewall::docker_user(host, check),
        "firewall.hetzner" => firewall::hetzner(host, check),
        "docker.daemon" => docker::daemon(host, check),
        "docker.socket" => docker::socket(host, check),
        "docker.limits" => docker::limits(host, check),
        "docker.icc" => docker::icc(host, check),
        "os.sysctl" => os::sysctl(host, check),
        "os.apparmor" => os::apparmor(host, check),
        "os.auditd" => os::auditd(host, check),
        "os.mounts" => mounts::mounts(host, check),
        "os.unattended-upgrades" => os::unattended_upgrades(host, check),
        "os.chrony" => os::chrony(host, check),
        "os.services" => os::services(host, check),
        "caddy.tls13" => caddy::tls13(host, check),
        "caddy.headers" => caddy::headers_check(host, check),
        "caddy.admin-off" => caddy::admin_off(host, check),
        "cloudflare.ssl-strict" | "cloudflare.waf" | "cloudflare.origin-hidden" => {
            offhost::cloudflare(host, check)
        }
        "backup.daily" => offhost::backup_daily(host, check),
        "backup.encrypted" => offhost::backup_encrypted(host, check),
        "backup.verified" => offhost::backup_verified(host, check),
        "monitoring.node-exporter" => offhost::node_exporter(host, check),
        "monitoring.ids" => offhost::ids(host, check),
        "monitoring.alerts" => offhost::alerts(host, check),
        _ => Finding::new(
            check,
            Status::Unknown,
            "no evaluator for this check",
            Vec::new(),
        ),
    }
}
