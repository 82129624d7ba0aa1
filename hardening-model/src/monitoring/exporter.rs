//! node_exporter as a hardened compose service, and [`ExporterAccess`]: how the monitoring
//! server reaches it (TLS, basic auth, one firewall rule).
//!
//! Departures from the runbook (8.1):
//! - node_exporter shares the host PID and network namespaces, so under the daemon's
//!   userns-remap it must set `userns_mode: host` or it refuses to start (erratum 10). It runs
//!   as its own uid ([`EXPORTER_UID`], never `nobody`) with every capability dropped, a read-only root, pinned by digest.
//! - The runbook listened on 127.0.0.1 with no Prometheus on the host, so no metric left it.
//!   With [`ExporterAccess`] it listens on every address, serves TLS 1.3 only and requires basic
//!   auth (`--web.config.file`, bcrypt hash on the host), and the firewall opens its port only
//!   to the monitoring server's addresses.
//! - `--collector.systemd` is left out: it needs the host's D-Bus socket mounted, which the
//!   runbook does not do (the collector would only log errors).
//! - The textfile collector reads [`TEXTFILE_DIR`], where the security-events timer
//!   ([`SecurityEvents`](super::SecurityEvents)) writes Falco, auditd, AIDE and SSH figures, so
//!   the one authenticated channel carries them too.

use ipnet::IpNet;
use serde_json::json;

use super::auth::ScrapeAuth;
use crate::docker::image::ImageRef;
use crate::docker::names::ServiceName;
use crate::docker::service::{Mount, Resources, Service};
use crate::firewall::Rule;
use crate::values::{AbsPath, Port};
use crate::{Error, Problem, RenderedFile, Result};

/// Directory of node_exporter's web config, certificate and key (mounted read-only at the same
/// path inside the container).
pub const EXPORTER_CONFIG_DIR: &str = "/etc/node-exporter";
/// node_exporter's `--web.config.file`.
pub const EXPORTER_WEB_CONFIG: &str = "/etc/node-exporter/web-config.yml";
/// The exporter's TLS certificate (PEM, chain allowed).
pub const EXPORTER_TLS_CERT: &str = "/etc/node-exporter/tls.crt";
/// The exporter's TLS private key (PEM), owned by the exporter's uid, mode `0400`.
pub const EXPORTER_TLS_KEY: &str = "/etc/node-exporter/tls.key";
/// The textfile collector's directory on the host (mounted read-only in the container).
pub const TEXTFILE_DIR: &str = "/var/lib/node-exporter/textfile";
/// The uid and gid node_exporter runs as: its own, which no account and no other process on
/// the host uses, since it owns the TLS private key. Not `nobody` (65534): every process
/// running as `nobody` could read the key. 60910 lies outside the ranges distributions and
/// systemd hand out (login users up to 59999, systemd-homed 60001-60513, dynamic users
/// 61184-65519).
pub const EXPORTER_UID: u32 = 60910;
/// The description of the scrape rule in every firewall rendering.
pub const SCRAPE_RULE_DESCRIPTION: &str = "node_exporter, TLS and basic auth, from monitoring";

const TEXTFILE_MOUNT: &str = "/textfile";

/// node_exporter as a hardened compose service listening on `127.0.0.1:<port>` only (metrics
/// for a local agent; nothing off the host can scrape it). See [`node_exporter_scraped`].
///
/// ```
/// use hardening_model::docker::ImageRef;
/// use hardening_model::monitoring::node_exporter;
/// use hardening_model::values::Port;
/// let image = ImageRef::parse(&format!("prom/node-exporter@sha256:{}", "0".repeat(64))).unwrap();
/// let svc = node_exporter(image, Port::new(9100).unwrap()).unwrap();
/// assert!(svc.uses_host_network());
/// ```
pub fn node_exporter(image: ImageRef, port: Port) -> Result<Service> {
    let listen = format!("--web.listen-address=127.0.0.1:{port}");
    base(image)?.with_command(&[
        "--path.procfs=/host/proc",
        "--path.sysfs=/host/sys",
        "--path.rootfs=/rootfs",
        "--collector.filesystem.mount-points-exclude=^/(sys|proc|dev|host|etc)($|/)",
        &listen,
        "--collector.processes",
        "--collector.conntrack",
    ])
}

/// node_exporter scraped by a central Prometheus: listening on `:<port>` with
/// `--web.config.file` ([`ExporterAccess::web_config`]: TLS 1.3 and basic auth), the
/// [`TEXTFILE_DIR`] collector, and [`EXPORTER_CONFIG_DIR`] mounted read-only.
///
/// ```
/// use hardening_model::docker::ImageRef;
/// use hardening_model::monitoring::{ExporterAccess, ScrapeAuth, node_exporter_scraped};
/// use hardening_model::values::Port;
/// let image = ImageRef::parse(&format!("prom/node-exporter@sha256:{}", "0".repeat(64))).unwrap();
/// let auth = ScrapeAuth::new("prometheus", "a-long-scrape-password".into()).unwrap();
/// let access = ExporterAccess::new(Port::new(9100).unwrap(), ["192.0.2.10/32".parse().unwrap()], auth).unwrap();
/// let svc = node_exporter_scraped(image, &access).unwrap();
/// assert!(svc.uses_host_network());
/// ```
pub fn node_exporter_scraped(image: ImageRef, access: &ExporterAccess) -> Result<Service> {
    let listen = format!("--web.listen-address=:{}", access.port);
    let web = format!("--web.config.file={EXPORTER_WEB_CONFIG}");
    let textfile = format!("--collector.textfile.directory={TEXTFILE_MOUNT}");
    let ro = |src: &str, dst: &str| -> Result<Mount> {
        Mount::bind(AbsPath::new(src)?, AbsPath::new(dst)?, true)
    };
    base(image)?
        .with_volume(ro(EXPORTER_CONFIG_DIR, EXPORTER_CONFIG_DIR)?)
        .with_volume(ro(TEXTFILE_DIR, TEXTFILE_MOUNT)?)
        .with_command(&[
            "--path.procfs=/host/proc",
            "--path.sysfs=/host/sys",
            "--path.rootfs=/rootfs",
            "--collector.filesystem.mount-points-exclude=^/(sys|proc|dev|host|etc)($|/)",
            &listen,
            &web,
            &textfile,
            "--collector.processes",
            "--collector.conntrack",
        ])
}

fn base(image: ImageRef) -> Result<Service> {
    let name = ServiceName::new("node-exporter")?;
    let ro = |src: &str, dst: &str| -> Result<Mount> {
        Mount::bind(AbsPath::new(src)?, AbsPath::new(dst)?, true)
    };
    Ok(Service::new(name, image)
        .with_user(&format!("{EXPORTER_UID}:{EXPORTER_UID}"))?
        .with_host_pid()
        .with_host_network()
        .with_host_userns()
        .with_tmpfs(Vec::new())
        .with_resources(Resources::new(100, 128, 64)?)
        .with_volume(ro("/proc", "/host/proc")?)
        .with_volume(ro("/sys", "/host/sys")?)
        .with_volume(Mount::host_root_read_only(AbsPath::new("/rootfs")?)?))
}

/// How the central Prometheus reaches a host's node_exporter: the port, the monitoring
/// server's addresses (the only sources the firewall admits there) and the credentials.
///
/// The TLS certificate and key are the host's own (issued by the CA the monitoring server
/// pins, see [`CentralMonitoring`](super::CentralMonitoring)); they are placed at
/// [`EXPORTER_TLS_CERT`] and [`EXPORTER_TLS_KEY`] by whoever writes the host's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExporterAccess {
    port: Port,
    scrapers: Vec<IpNet>,
    auth: ScrapeAuth,
}

impl ExporterAccess {
    /// `scrapers` must not be empty (an empty peer list would mean "anywhere" to the
    /// firewall) and must have no host bits set.
    pub fn new(
        port: Port,
        scrapers: impl IntoIterator<Item = IpNet>,
        auth: ScrapeAuth,
    ) -> Result<Self> {
        let scrapers: Vec<IpNet> = scrapers.into_iter().collect();
        if scrapers.is_empty() {
            return Err(Error::new("exporter.scrapers", Problem::Empty));
        }
        for (i, net) in scrapers.iter().enumerate() {
            if net.trunc() != *net {
                return Err(Error::invalid(
                    format!("exporter.scrapers[{i}]"),
                    format!("{net} has host bits set (did you mean {}?)", net.trunc()),
                ));
            }
        }
        Ok(Self {
            port,
            scrapers,
            auth,
        })
    }

    /// The port node_exporter listens on.
    pub fn port(&self) -> Port {
        self.port
    }

    /// The monitoring server's networks.
    pub fn scrapers(&self) -> &[IpNet] {
        &self.scrapers
    }

    /// The scrape credentials.
    pub fn auth(&self) -> &ScrapeAuth {
        &self.auth
    }

    /// The inbound rule every firewall layer renders: TCP `port` from the scrapers only.
    pub fn firewall_rule(&self) -> Rule {
        Rule::tcp(self.port.get())
            .peers(self.scrapers.iter().copied())
            .describe(SCRAPE_RULE_DESCRIPTION)
    }

    /// node_exporter's web config at [`EXPORTER_WEB_CONFIG`] (`root:nogroup` `0640`: the
    /// exporter reads it, other users do not see the hash): TLS 1.3 with
    /// [`EXPORTER_TLS_CERT`]/[`EXPORTER_TLS_KEY`], basic auth with the bcrypt hash.
    pub fn web_config(&self) -> Result<RenderedFile> {
        self.web_config_at(EXPORTER_WEB_CONFIG, EXPORTER_TLS_CERT, EXPORTER_TLS_KEY)
    }

    /// [`web_config`](Self::web_config) with other paths (for a test that runs the real
    /// exporter on files in a temporary directory).
    pub fn web_config_at(&self, path: &str, cert: &str, key: &str) -> Result<RenderedFile> {
        for (field, p) in [
            ("exporter.web_config", path),
            ("exporter.tls_cert", cert),
            ("exporter.tls_key", key),
        ] {
            AbsPath::new(p).map_err(|e| Error::new(field, e.problem().clone()))?;
        }
        let doc = json!({
            "tls_server_config": {"cert_file": cert, "key_file": key, "min_version": "TLS13"},
            "basic_auth_users": {self.auth.username(): self.auth.password_hash()},
        });
        let text = serde_saphyr::to_string(&doc).map_err(|e| {
            Error::invalid(
                "exporter.web_config",
                format!("YAML serialisation failed: {e}"),
            )
        })?;
        let mut file = RenderedFile::root(path, 0o640, text);
        file.owner = "root:nogroup".to_owned();
        Ok(file)
    }
}
