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
use crate::monitoring::{AlertRules, AlertThresholds};
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

/// node_exporter (runbook 8.1), listening on 127.0.0.1:9100, in its own compose file.
///
/// Departures: `userns_mode: host` next to `pid: host`/`network_mode: host` (erratum 10), image
/// pinned by digest, runs as `nobody` with no capabilities, no `--collector.systemd` (needs
/// the D-Bus socket).
pub fn monitoring_compose(node_exporter_image: ImageRef) -> Result<ComposeFile> {
    Ok(
        ComposeFile::new().with_service(crate::monitoring::node_exporter(
            node_exporter_image,
            Port::new(9100)?,
        )?),
    )
}

/// The alert rules for the runbook's thresholds (8.1, 8.6), for scrape job `node`.
///
/// Departure: the outbound-traffic rule compares bytes per minute (the runbook compared a
/// per-second rate against a per-minute budget).
pub fn alert_rules() -> Result<AlertRules> {
    AlertRules::for_thresholds(&AlertThresholds::default(), "node")
}

/// Every stack artifact rendered, for the given images, domain, upstream port, bind address
/// and Cloudflare ranges: daemon.json, the stack compose file, the seccomp and AppArmor
/// profiles, the Caddyfile, the monitoring compose file and the alert rules.
pub fn render_all(
    images: &StackImages,
    domain: Domain,
    app_port: Port,
    bind_ip: IpAddr,
    cloudflare: &[IpNet],
) -> Result<Vec<RenderedFile>> {
    let stack = compose_stack(images.caddy.clone(), images.app.clone(), app_port, bind_ip)?;
    let app = stack
        .service(APP_SERVICE)
        .ok_or_else(|| crate::Error::new("services.app", crate::Problem::Empty))?;
    let upstream = Upstream::new(APP_SERVICE, app_port)?;
    Ok(vec![
        daemon_config().render()?,
        stack.render_at(COMPOSE_PATH)?,
        seccomp_profile()?.render(&AbsPath::new(APP_SECCOMP_PATH)?)?,
        apparmor_profile(app)?.render(),
        caddyfile(domain, upstream, cloudflare)?.render_at(CADDYFILE_HOST_PATH)?,
        monitoring_compose(images.node_exporter.clone())?.render_at(MONITORING_COMPOSE_PATH)?,
        alert_rules()?.render_at(crate::monitoring::ALERT_RULES_PATH)?,
    ])
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
