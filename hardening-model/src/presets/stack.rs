//! The Docker + Caddy + monitoring part of the runbook baseline (sections 2.3, 5, 6, 8), with
//! every known erratum fixed.
//!
//! Each function returns plain policy values that callers can adjust before rendering.
//! Departures from the runbook are listed on each function.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::caddy::{
    Caddyfile, HeaderName, ReverseProxy, Site, TlsPolicy, TlsProtocols, Upstream, UriPath,
};
use crate::docker::names::{Capability, NetworkName, ServiceName, VolumeName};
use crate::docker::service::{Healthcheck, Mount, PortBinding, Resources, Tmpfs, Ulimit};
use crate::docker::{
    AppArmorProfile, ComposeFile, DaemonConfig, ImageRef, Network, SeccompProfile, Service,
};
use crate::monitoring::{
    AlertRules, AlertThresholds, ExporterAccess, SecurityEvents, node_exporter_scraped,
};
use crate::values::{AbsPath, Domain, Port};
use crate::{RenderedFile, Result};

/// Host path of the application's seccomp profile (named by its compose `security_opt`).
pub const APP_SECCOMP_PATH: &str = "/etc/docker/seccomp/app.json";
/// Name of the application's AppArmor profile.
pub const APP_APPARMOR_PROFILE: &str = "docker-app";
/// Name of the application's compose service (and its DNS name on the backend network).
pub const APP_SERVICE: &str = "app";
/// Name of the Caddy compose service.
pub const CADDY_SERVICE: &str = "caddy";
/// Where the application's data volume is mounted.
pub const APP_DATA_DIR: &str = "/app/data";
/// Host path of the Caddyfile, bind-mounted read-only into the Caddy container.
pub const CADDYFILE_HOST_PATH: &str = "/etc/caddy/Caddyfile";
/// Host path of the compose file.
pub const COMPOSE_PATH: &str = "/opt/stack/docker-compose.yml";
/// Host path of the monitoring compose file.
pub const MONITORING_COMPOSE_PATH: &str = "/opt/monitoring/docker-compose.yml";

/// The Docker daemon configuration (runbook 5.1).
///
/// Departure: no `nproc` default ulimit. Under `userns-remap` every container's root maps to
/// the same host user, so nproc becomes one budget shared by all containers (erratum 10);
/// per-service `pids` limits do the job instead.
pub fn daemon_config() -> DaemonConfig {
    DaemonConfig::hardened()
}

/// The application's seccomp profile (runbook 5.8).
///
/// Departure (erratum 12): derived from Docker's default profile instead of a hand-written
/// allowlist, so `clone` keeps Docker's namespace-flag filter, `clone3` returns `ENOSYS`,
/// and the syscalls runtimes need (`chmod`, `fork`, `fchdir`, `close_range`, `msync`,
/// `semctl`, xattr calls) stay allowed. On top of Docker's default it removes device-node
/// creation (`mknod`, `mknodat`), `fanotify_mark`, `name_to_handle_at` and `vmsplice`, which a
/// web application does not need, and limits `socket` to unix, IPv4, IPv6 and netlink.
pub fn seccomp_profile() -> Result<SeccompProfile> {
    SeccompProfile::docker_default_x86_64()
        .without(&[
            "mknod",
            "mknodat",
            "fanotify_mark",
            "name_to_handle_at",
            "vmsplice",
        ])?
        .with_socket_families(&[1, 2, 10, 16])
}

/// The Caddy service: digest-pinned, only `NET_BIND_SERVICE`, ports 80/443 bound to
/// `bind_ip` (docker-bench 5.14), Caddyfile mounted read-only, data and config volumes.
///
/// Departures: `cap_drop: [ALL]` (the runbook dropped none), ports bound to one address,
/// HTTP/3 not published (the Caddyfile speaks h1 and h2).
pub fn caddy_service(image: ImageRef, bind_ip: IpAddr) -> Result<Service> {
    let port = |p: u16| -> Result<PortBinding> {
        Ok(PortBinding {
            host_ip: bind_ip,
            host_port: Port::new(p)?,
            container_port: Port::new(p)?,
            udp: false,
        })
    };
    Ok(Service::new(ServiceName::new(CADDY_SERVICE)?, image)
        .with_cap(Capability::new("NET_BIND_SERVICE")?)
        .with_tmpfs(vec![Tmpfs::new(AbsPath::new("/tmp")?, 64, 0o1777)?])
        .with_resources(Resources::new(500, 256, 100)?.with_reservation(64)?)
        .with_ulimit(Ulimit::new("nofile", 8192, 16384)?)
        .with_network(NetworkName::new("frontend")?)
        .with_network(NetworkName::new("backend")?)
        .with_volume(Mount::bind(
            AbsPath::new(CADDYFILE_HOST_PATH)?,
            AbsPath::new("/etc/caddy/Caddyfile")?,
            true,
        )?)
        .with_volume(Mount::named(
            VolumeName::new("caddy_data")?,
            AbsPath::new("/data")?,
            false,
        ))
        .with_volume(Mount::named(
            VolumeName::new("caddy_config")?,
            AbsPath::new("/config")?,
            false,
        ))
        .with_port(port(80)?)
        .with_port(port(443)?)
        .depends_on(ServiceName::new(APP_SERVICE)?))
}

/// The application service (a Node.js app as in the runbook), listening on `port` on the
/// internal backend network only.
///
/// Departures: runs as 1000:1000 with `cap_drop: [ALL]`; the cache tmpfs is owned by that
/// user (the runbook's root-owned 0700 tmpfs was unwritable); a real `healthcheck`
/// (docker-bench 5.27); pids limit instead of an nproc ulimit (erratum 10); the AppArmor
/// profile and seccomp profile of this module.
pub fn app_service(image: ImageRef, port: Port) -> Result<Service> {
    let probe = format!(
        "fetch('http://127.0.0.1:{port}/health').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
    );
    Service::new(ServiceName::new(APP_SERVICE)?, image)
        .with_user("1000:1000")?
        .with_tmpfs(vec![
            Tmpfs::new(AbsPath::new("/tmp")?, 256, 0o1777)?,
            Tmpfs::new(AbsPath::new("/home/node/.cache")?, 512, 0o700)?.owned_by(1000, 1000),
        ])
        .with_apparmor(APP_APPARMOR_PROFILE)?
        .with_seccomp(AbsPath::new(APP_SECCOMP_PATH)?)
        .with_resources(Resources::new(1500, 3072, 512)?.with_reservation(512)?)
        .with_ulimit(Ulimit::new("nofile", 32768, 65536)?)
        .with_network(NetworkName::new("backend")?)
        .with_volume(Mount::named(
            VolumeName::new("app_data")?,
            AbsPath::new(APP_DATA_DIR)?,
            false,
        ))
        .with_healthcheck(Healthcheck::new(&["node", "-e", &probe])?)
        .with_env("NODE_ENV", "production")?
        .with_env("PORT", &port.to_string())
}

/// The Caddy + application stack (runbook 5.2-5.7): `frontend` bridge for Caddy, `internal`
/// `backend` bridge shared by Caddy and the app, fixed subnets and bridge names.
///
/// Note: the app sits only on the internal network, so it has no route to the internet. If
/// it needs egress (APIs), attach it to an egress network and restrict that in DOCKER-USER.
pub fn compose_stack(
    caddy_image: ImageRef,
    app_image: ImageRef,
    app_port: Port,
    bind_ip: IpAddr,
) -> Result<ComposeFile> {
    let frontend = Network::new(NetworkName::new("frontend")?, false)
        .with_subnet(net("172.20.0.0/24")?)
        .with_bridge_name("br-frontend")?;
    let backend = Network::new(NetworkName::new("backend")?, true)
        .with_subnet(net("172.21.0.0/24")?)
        .with_bridge_name("br-backend")?;
    Ok(ComposeFile::new()
        .with_network(frontend)
        .with_network(backend)
        .with_service(caddy_service(caddy_image, bind_ip)?)
        .with_service(app_service(app_image, app_port)?))
}

/// The application's AppArmor profile, with writable paths taken from `app`'s read-write
/// volumes and tmpfs mounts.
///
/// Departure (erratum 11): signal rules for runc/crun/unconfined peers so `docker stop`
/// delivers SIGTERM, capability rules matching `cap_add`, and writes allowed where the data
/// volume is actually mounted.
///
/// The application code under `/app` may be executed and mapped (native Node.js addons); the
/// writable mounts never are (`deny ... x`).
pub fn apparmor_profile(app: &Service) -> Result<AppArmorProfile> {
    AppArmorProfile::for_service(APP_APPARMOR_PROFILE, app)?.with_executable(AbsPath::new("/app")?)
}

/// The Caddyfile for `domain`, proxying to `upstream`, reachable only from `cloudflare`
/// (Cloudflare's IPv4 and IPv6 ranges, e.g. from the Cloudflare client's IP-ranges call).
///
/// Departures (erratum 14): `trusted_proxies` with Cloudflare's ranges and `Cf-Connecting-Ip`
/// so `{client_ip}` is the visitor; no `rate_limit` (stock Caddy lacks it, and Cloudflare's
/// edge rate limiting covers it); Caddy's default curves, which keep X25519MLKEM768 and P-256;
/// `X-XSS-Protection: 0`; HSTS without `preload`; CSP without `'unsafe-inline'` scripts; the
/// origin allow-list includes IPv6. The JSON access log goes to stdout, where the daemon's
/// journald log driver picks it up for the host's log shipper (the runbook's file in `/data`
/// never left the host).
pub fn caddyfile(domain: Domain, upstream: Upstream, cloudflare: &[IpNet]) -> Result<Caddyfile> {
    let proxy = ReverseProxy::new(vec![upstream])?.with_health_check(UriPath::new("/health")?);
    let mut site = Site::new(vec![domain], proxy)?
        .only_from(cloudflare)?
        .with_access_log_to_stdout();
    site.tls = TlsPolicy::new(TlsProtocols::Tls13Only);
    Caddyfile::new()
        .with_trusted_proxies(cloudflare, Some(HeaderName::new("Cf-Connecting-Ip")?))
        .map(|c| c.with_site(site))
}

/// `compose` with the origin-pull CA file that `origin_pull` trusts bind-mounted read-only
/// into the Caddy service at the same path, so the Caddyfile's `trust_pool file` finds it.
/// Pair it with [`Caddyfile::require_origin_pull`].
///
/// # Errors
/// When the compose file has no [`CADDY_SERVICE`].
pub fn mount_origin_pull_ca(
    compose: ComposeFile,
    origin_pull: &crate::caddy::OriginPull,
) -> Result<ComposeFile> {
    let path = AbsPath::new(origin_pull.ca_file())?;
    let mount = Mount::bind(path.clone(), path, true)?;
    compose.map_service(CADDY_SERVICE, |s| s.with_volume(mount))
}

/// node_exporter (runbook 8.1) in its own compose file, scraped by the central Prometheus
/// through `access` ([`node_exporter_scraped`]).
///
/// Departures: `userns_mode: host` next to `pid: host`/`network_mode: host` (erratum 10), image
/// pinned by digest, runs as its own uid with no capabilities, no `--collector.systemd` (needs
/// the D-Bus socket). It listens on the access port with TLS 1.3 and basic auth instead of
/// 127.0.0.1 (erratum "Detection"): on 127.0.0.1 with no Prometheus on the host no metric, and
/// so no alert, ever left it.
pub fn monitoring_compose(
    node_exporter_image: ImageRef,
    access: &ExporterAccess,
) -> Result<ComposeFile> {
    Ok(ComposeFile::new().with_service(node_exporter_scraped(node_exporter_image, access)?))
}

/// Every host file of monitoring: the exporter's compose file ([`monitoring_compose`]), its web
/// config (TLS and the bcrypt hash of the scrape password) and the security-events timer
/// ([`SecurityEvents`]: Falco, auditd, AIDE, failed SSH, container restarts, pending reboot,
/// held security updates, backup age) that feeds its textfile collector. The TLS certificate
/// and key are the host's own secrets, written by whoever provisions it at
/// [`EXPORTER_TLS_CERT`](crate::monitoring::EXPORTER_TLS_CERT) and
/// [`EXPORTER_TLS_KEY`](crate::monitoring::EXPORTER_TLS_KEY). The alert rules on these
/// metrics live on the monitoring server ([`CentralMonitoring`](crate::monitoring::CentralMonitoring)).
///
/// ```
/// use hardening_model::docker::ImageRef;
/// use hardening_model::monitoring::{ExporterAccess, ScrapeAuth, SecurityEvents};
/// use hardening_model::presets::stack;
/// use hardening_model::values::Port;
/// let auth = ScrapeAuth::new("prometheus", "a-long-scrape-password".into())?;
/// let access = ExporterAccess::new(Port::new(9100)?, ["192.0.2.10/32".parse()?], auth)?;
/// let image = ImageRef::parse(&format!("prom/node-exporter:v1.8.2@sha256:{}", "c".repeat(64)))?;
/// let files = stack::monitoring_files(image, &access, &SecurityEvents::new())?;
/// assert!(files.iter().any(|f| f.path == stack::MONITORING_COMPOSE_PATH));
/// assert!(files.iter().any(|f| f.path.ends_with("security-events-textfile.timer")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn monitoring_files(
    node_exporter_image: ImageRef,
    access: &ExporterAccess,
    events: &SecurityEvents,
) -> Result<Vec<RenderedFile>> {
    let mut files = vec![
        monitoring_compose(node_exporter_image, access)?.render_at(MONITORING_COMPOSE_PATH)?,
        access.web_config()?,
    ];
    files.extend(events.files());
    Ok(files)
}

/// The alert rules for the runbook's thresholds (8.1, 8.6), for scrape job `node`.
///
/// Departure: the outbound-traffic rule compares bytes per minute (the runbook compared a
/// per-second rate against a per-minute budget).
pub fn alert_rules() -> Result<AlertRules> {
    AlertRules::for_thresholds(&AlertThresholds::default(), "node")
}

/// Every stack artifact rendered, for the given images, domain, upstream port, bind address,
/// Cloudflare ranges and the monitoring server's access: daemon.json, the stack compose file,
/// the seccomp and AppArmor profiles, the Caddyfile and the [`monitoring_files`] (scraped
/// exporter, web config, security-events timer). Monitoring is not optional: the firewall
/// rule for `monitoring` is [`ExporterAccess::firewall_rule`], and the alert rules are
/// rendered for the monitoring server ([`alert_rules`],
/// [`CentralMonitoring`](crate::monitoring::CentralMonitoring)), not for the host.
pub fn render_all(
    images: &StackImages,
    domain: Domain,
    app_port: Port,
    bind_ip: IpAddr,
    cloudflare: &[IpNet],
    monitoring: &ExporterAccess,
) -> Result<Vec<RenderedFile>> {
    let stack = compose_stack(images.caddy.clone(), images.app.clone(), app_port, bind_ip)?;
    let app = stack
        .service(APP_SERVICE)
        .ok_or_else(|| crate::Error::new("services.app", crate::Problem::Empty))?;
    let upstream = Upstream::new(APP_SERVICE, app_port)?;
    let mut files = vec![
        daemon_config().render()?,
        stack.render_at(COMPOSE_PATH)?,
        seccomp_profile()?.render(&AbsPath::new(APP_SECCOMP_PATH)?)?,
        apparmor_profile(app)?.render(),
        caddyfile(domain, upstream, cloudflare)?.render_at(CADDYFILE_HOST_PATH)?,
    ];
    files.extend(monitoring_files(
        images.node_exporter.clone(),
        monitoring,
        &SecurityEvents::new(),
    )?);
    Ok(files)
}

/// The digest-pinned images of the stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackImages {
    /// Caddy (stock build; no rate-limit plugin assumed).
    pub caddy: ImageRef,
    /// The application.
    pub app: ImageRef,
    /// node_exporter.
    pub node_exporter: ImageRef,
}

fn net(s: &str) -> Result<IpNet> {
    s.parse()
        .map_err(|_| crate::Error::invalid("network.subnet", "not a CIDR network"))
}
