//! One hardened compose service.
//!
//! [`Service::new`] starts from the hardened defaults (read-only root, `cap_drop: [ALL]`,
//! `no-new-privileges`, memory/CPU/pids limits, bounded json-file logs, a small `/tmp` tmpfs)
//! and every `with_*` method adds to them. Values that end up in the YAML are validated here;
//! cross-service checks (networks, volumes, host namespaces) happen in
//! [`ComposeFile::render`](super::ComposeFile::render).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::IpAddr;

use serde_json::{Map, Value, json};

use super::image::ImageRef;
use super::names::{Capability, EnvName, NetworkName, ServiceName, VolumeName};
use crate::values::{AbsPath, Port, check_chars, check_max_len, check_non_empty};
use crate::{Error, Problem, Result};

/// Socket paths that give a container control over the host's container runtime.
const RUNTIME_SOCKETS: &[&str] = &[
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/containerd/containerd.sock",
    "/run/containerd/containerd.sock",
];

/// Escapes a user string for compose variable interpolation (`$` becomes `$$`), so that the
/// value reaches the container literally.
pub(crate) fn compose_literal(s: &str) -> String {
    s.replace('$', "$$")
}

/// Rejects NUL and control characters other than tab and line feed, and values over `max`.
fn check_free_text(field: &str, value: &str, max: usize) -> Result<()> {
    check_max_len(field, value, max)?;
    check_chars(field, value, |c| {
        (!c.is_control() || c == '\t' || c == '\n') && c != '\u{feff}'
    })
}

/// The restart policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Restart {
    /// `unless-stopped` (the runbook's choice).
    #[default]
    UnlessStopped,
    /// `on-failure` (retries unbounded in compose; CIS 5.15 wants a bound, see docker-bench).
    OnFailure,
    /// `always`.
    Always,
    /// `no`.
    No,
}

impl Restart {
    fn as_str(self) -> &'static str {
        match self {
            Self::UnlessStopped => "unless-stopped",
            Self::OnFailure => "on-failure",
            Self::Always => "always",
            Self::No => "no",
        }
    }
}

/// A tmpfs mount: target path, size, mode and optional owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tmpfs {
    /// Mount point inside the container.
    pub target: AbsPath,
    /// Size limit in MiB (at least 1).
    pub size_mib: u32,
    /// Permission bits, e.g. `0o1777`.
    pub mode: u32,
    /// Owner uid and gid, for images running as a non-root user (the runbook's 0700 tmpfs
    /// was root-owned and unwritable for `node`).
    pub owner: Option<(u32, u32)>,
}

impl Tmpfs {
    /// A tmpfs of `size_mib` MiB with mode `mode`.
    pub fn new(target: AbsPath, size_mib: u32, mode: u32) -> Result<Self> {
        if size_mib == 0 {
            return Err(Error::new(
                "tmpfs.size_mib",
                Problem::OutOfRange {
                    min: 1,
                    max: i64::from(u32::MAX),
                    value: 0,
                },
            ));
        }
        if mode > 0o7777 {
            return Err(Error::invalid("tmpfs.mode", "must be at most 0o7777"));
        }
        Ok(Self {
            target,
            size_mib,
            mode,
            owner: None,
        })
    }

    /// Sets the owner.
    #[must_use]
    pub fn owned_by(mut self, uid: u32, gid: u32) -> Self {
        self.owner = Some((uid, gid));
        self
    }

    fn render(&self) -> String {
        let mut s = format!(
            "{}:size={}m,mode={:o}",
            self.target.as_str(),
            self.size_mib,
            self.mode
        );
        if let Some((uid, gid)) = self.owner {
            s.push_str(&format!(",uid={uid},gid={gid}"));
        }
        s
    }
}

/// Where a volume's data comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountSource {
    /// A named volume declared in the compose file.
    Named(VolumeName),
    /// A host path (bind mount).
    Bind(AbsPath),
}

/// A volume mounted into the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    source: MountSource,
    target: AbsPath,
    read_only: bool,
}

impl Mount {
    /// A named volume at `target`.
    pub fn named(volume: VolumeName, target: AbsPath, read_only: bool) -> Self {
        Self {
            source: MountSource::Named(volume),
            target,
            read_only,
        }
    }

    /// A bind mount of a host path. The Docker or containerd socket (or a directory holding
    /// it) is refused: access to it is root on the host (runbook 5.4).
    ///
    /// ```
    /// use hardening_model::docker::service::Mount;
    /// use hardening_model::values::AbsPath;
    /// let sock = AbsPath::new("/var/run/docker.sock").unwrap();
    /// let err = Mount::bind(sock, AbsPath::new("/var/run/docker.sock").unwrap(), true).unwrap_err();
    /// assert_eq!(err.field(), "volume.source");
    /// ```
    pub fn bind(source: AbsPath, target: AbsPath, read_only: bool) -> Result<Self> {
        for sock in RUNTIME_SOCKETS {
            let sock = AbsPath::new(*sock)?;
            if sock.is_within(&source) {
                return Err(Error::invalid(
                    "volume.source",
                    "the Docker/containerd socket must never be mounted into a container",
                ));
            }
        }
        if source.as_str().ends_with(".sock") && source.as_str().contains("docker") {
            return Err(Error::invalid(
                "volume.source",
                "the Docker/containerd socket must never be mounted into a container",
            ));
        }
        Ok(Self {
            source: MountSource::Bind(source),
            target,
            read_only,
        })
    }

    /// The mount's source.
    pub fn source(&self) -> &MountSource {
        &self.source
    }

    /// Mount point inside the container.
    pub fn target(&self) -> &AbsPath {
        &self.target
    }

    /// Whether the mount is read-only.
    pub fn read_only(&self) -> bool {
        self.read_only
    }

    fn render(&self) -> Value {
        let (kind, source) = match &self.source {
            MountSource::Named(v) => ("volume", v.as_str().to_owned()),
            MountSource::Bind(p) => ("bind", p.as_str().to_owned()),
        };
        let mut m = Map::new();
        m.insert("type".into(), json!(kind));
        m.insert("source".into(), json!(source));
        m.insert("target".into(), json!(self.target.as_str()));
        m.insert("read_only".into(), json!(self.read_only));
        if kind == "bind" {
            m.insert("bind".into(), json!({ "create_host_path": false }));
        }
        Value::Object(m)
    }
}

/// CPU, memory and process limits (`deploy.resources`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resources {
    /// CPU limit in thousandths of a CPU (`1500` = 1.5 CPUs).
    pub milli_cpus: u32,
    /// Memory limit in MiB.
    pub memory_mib: u32,
    /// Memory reservation in MiB, if any.
    pub memory_reservation_mib: Option<u32>,
    /// Maximum number of processes/threads (fork-bomb guard; use this, not nproc ulimits,
    /// under userns-remap: erratum 10).
    pub pids: u32,
}

impl Resources {
    /// Validated limits: each at least 1, reservation at most the limit.
    pub fn new(milli_cpus: u32, memory_mib: u32, pids: u32) -> Result<Self> {
        for (field, v) in [
            ("resources.milli_cpus", milli_cpus),
            ("resources.memory_mib", memory_mib),
            ("resources.pids", pids),
        ] {
            if v == 0 {
                return Err(Error::new(
                    field,
                    Problem::OutOfRange {
                        min: 1,
                        max: i64::from(u32::MAX),
                        value: 0,
                    },
                ));
            }
        }
        Ok(Self {
            milli_cpus,
            memory_mib,
            memory_reservation_mib: None,
            pids,
        })
    }

    /// Adds a memory reservation.
    pub fn with_reservation(mut self, mib: u32) -> Result<Self> {
        if mib == 0 || mib > self.memory_mib {
            return Err(Error::new(
                "resources.memory_reservation_mib",
                Problem::OutOfRange {
                    min: 1,
                    max: i64::from(self.memory_mib),
                    value: i64::from(mib),
                },
            ));
        }
        self.memory_reservation_mib = Some(mib);
        Ok(self)
    }

    fn render(&self) -> Value {
        let cpus = format!("{}.{:03}", self.milli_cpus / 1000, self.milli_cpus % 1000);
        let cpus = cpus.trim_end_matches('0').trim_end_matches('.').to_owned();
        let mut res = json!({
            "limits": { "cpus": cpus, "memory": format!("{}M", self.memory_mib), "pids": self.pids }
        });
        if let Some(r) = self.memory_reservation_mib {
            res["reservations"] = json!({ "memory": format!("{r}M") });
        }
        json!({ "resources": res })
    }
}

/// Ulimit names compose accepts here. `nproc` is deliberately absent: under userns-remap it
/// counts every container of the remapped user together (erratum 10); use [`Resources::pids`].
pub const ULIMITS: &[&str] = &[
    "core",
    "cpu",
    "data",
    "fsize",
    "locks",
    "memlock",
    "msgqueue",
    "nice",
    "nofile",
    "rtprio",
    "rttime",
    "sigpending",
    "stack",
];

/// A soft/hard ulimit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ulimit {
    name: &'static str,
    soft: u64,
    hard: u64,
}

impl Ulimit {
    /// Validates the name and that `soft <= hard`.
    ///
    /// ```
    /// use hardening_model::docker::service::Ulimit;
    /// assert!(Ulimit::new("nofile", 8192, 16384).is_ok());
    /// assert_eq!(Ulimit::new("nproc", 1, 2).unwrap_err().field(), "ulimits.nproc");
    /// ```
    pub fn new(name: &str, soft: u64, hard: u64) -> Result<Self> {
        if name == "nproc" {
            return Err(Error::invalid(
                "ulimits.nproc",
                "nproc counts per host user under userns-remap; set a pids limit instead",
            ));
        }
        let Some(name) = ULIMITS.iter().find(|n| **n == name) else {
            return Err(Error::invalid("ulimits", "unknown ulimit name"));
        };
        if soft > hard {
            return Err(Error::invalid(
                format!("ulimits.{name}"),
                "soft limit above hard limit",
            ));
        }
        Ok(Self { name, soft, hard })
    }

    /// The ulimit's name.
    pub fn name(&self) -> &str {
        self.name
    }

    /// The (soft, hard) limits.
    pub fn limits(&self) -> (u64, u64) {
        (self.soft, self.hard)
    }
}

/// Log driver settings with bounded size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Logging {
    /// `local` instead of `json-file` when true (compressed, same rotation options).
    pub local_driver: bool,
    /// Size of one log file in MiB.
    pub max_size_mib: u32,
    /// Number of rotated files kept.
    pub max_file: u32,
}

impl Default for Logging {
    fn default() -> Self {
        Self {
            local_driver: false,
            max_size_mib: 10,
            max_file: 3,
        }
    }
}

impl Logging {
    fn render(&self) -> Value {
        json!({
            "driver": if self.local_driver { "local" } else { "json-file" },
            "options": {
                "max-size": format!("{}m", self.max_size_mib.max(1)),
                "max-file": self.max_file.max(1).to_string(),
            }
        })
    }
}

/// A container health check run with `CMD` (argv, no shell).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Healthcheck {
    argv: Vec<String>,
    /// Seconds between checks.
    pub interval_s: u32,
    /// Seconds before one check counts as failed.
    pub timeout_s: u32,
    /// Failures before the container is unhealthy.
    pub retries: u32,
    /// Grace period after start, in seconds.
    pub start_period_s: u32,
}

impl Healthcheck {
    /// A check running `argv` directly (30 s interval, 5 s timeout, 3 retries, 10 s start).
    ///
    /// ```
    /// use hardening_model::docker::service::Healthcheck;
    /// assert!(Healthcheck::new(&["wget", "-q", "--spider", "http://127.0.0.1:3000/health"]).is_ok());
    /// assert!(Healthcheck::new(&[]).is_err());
    /// ```
    pub fn new(argv: &[&str]) -> Result<Self> {
        if argv.is_empty() {
            return Err(Error::new("healthcheck.test", Problem::Empty));
        }
        for (i, a) in argv.iter().enumerate() {
            let field = format!("healthcheck.test[{i}]");
            check_free_text(&field, a, 4096)?;
        }
        check_non_empty("healthcheck.test[0]", argv[0])?;
        Ok(Self {
            argv: argv.iter().map(|s| (*s).to_owned()).collect(),
            interval_s: 30,
            timeout_s: 5,
            retries: 3,
            start_period_s: 10,
        })
    }

    fn render(&self) -> Value {
        let mut test = vec![Value::from("CMD")];
        test.extend(self.argv.iter().map(|a| Value::from(compose_literal(a))));
        json!({
            "test": test,
            "interval": format!("{}s", self.interval_s.max(1)),
            "timeout": format!("{}s", self.timeout_s.max(1)),
            "retries": self.retries.max(1),
            "start_period": format!("{}s", self.start_period_s),
        })
    }
}

/// A published port bound to one host address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortBinding {
    /// Host address to bind (docker-bench 5.14: never all interfaces by accident).
    pub host_ip: IpAddr,
    /// Host port.
    pub host_port: Port,
    /// Container port.
    pub container_port: Port,
    /// UDP instead of TCP.
    pub udp: bool,
}

impl PortBinding {
    fn render(&self) -> Value {
        json!({
            "target": self.container_port.get(),
            "published": self.host_port.get().to_string(),
            "host_ip": self.host_ip.to_string(),
            "protocol": if self.udp { "udp" } else { "tcp" },
        })
    }
}

/// An environment value; may be secret, so `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
struct EnvValue(String);

impl fmt::Debug for EnvValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// One hardened compose service. See the module docs for the defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    name: ServiceName,
    image: ImageRef,
    /// Restart policy.
    pub restart: Restart,
    user: Option<String>,
    /// Read-only root filesystem (default true).
    pub read_only: bool,
    tmpfs: Vec<Tmpfs>,
    cap_add: BTreeSet<Capability>,
    /// `no-new-privileges:true` (default true).
    pub no_new_privileges: bool,
    apparmor: Option<String>,
    seccomp: Option<AbsPath>,
    /// Resource limits.
    pub resources: Resources,
    ulimits: Vec<Ulimit>,
    /// Log settings.
    pub logging: Logging,
    networks: Vec<NetworkName>,
    volumes: Vec<Mount>,
    healthcheck: Option<Healthcheck>,
    environment: BTreeMap<EnvName, EnvValue>,
    command: Vec<String>,
    ports: Vec<PortBinding>,
    pid_host: bool,
    network_host: bool,
    userns_host: bool,
    depends_on: Vec<ServiceName>,
    init: bool,
}

impl Service {
    /// A service with the hardened defaults: read-only root, all capabilities dropped,
    /// `no-new-privileges`, 1 CPU / 512 MiB / 256 pids, json-file logs 10 MiB x 3,
    /// a 64 MiB `/tmp` tmpfs (mode 1777), restart `unless-stopped`, `init: true`.
    pub fn new(name: ServiceName, image: ImageRef) -> Self {
        // "/tmp" always passes AbsPath's rules, so the default tmpfs is always present.
        let tmpfs = AbsPath::new("/tmp")
            .map(|target| {
                vec![Tmpfs {
                    target,
                    size_mib: 64,
                    mode: 0o1777,
                    owner: None,
                }]
            })
            .unwrap_or_default();
        Self {
            name,
            image,
            restart: Restart::default(),
            user: None,
            read_only: true,
            tmpfs,
            cap_add: BTreeSet::new(),
            no_new_privileges: true,
            apparmor: None,
            seccomp: None,
            resources: Resources {
                milli_cpus: 1000,
                memory_mib: 512,
                memory_reservation_mib: None,
                pids: 256,
            },
            ulimits: Vec::new(),
            logging: Logging::default(),
            networks: Vec::new(),
            volumes: Vec::new(),
            healthcheck: None,
            environment: BTreeMap::new(),
            command: Vec::new(),
            ports: Vec::new(),
            pid_host: false,
            network_host: false,
            userns_host: false,
            depends_on: Vec::new(),
            init: true,
        }
    }

    /// The service name.
    pub fn name(&self) -> &ServiceName {
        &self.name
    }

    /// The pinned image.
    pub fn image(&self) -> &ImageRef {
        &self.image
    }

    /// Runs as `user`: a numeric `uid[:gid]` or a user name (`[a-z_][a-z0-9_-]*`).
    pub fn with_user(mut self, user: &str) -> Result<Self> {
        let field = "user";
        check_non_empty(field, user)?;
        check_max_len(field, user, 65)?;
        let ok = match user.split_once(':') {
            Some((u, g)) => is_user_token(u) && is_user_token(g),
            None => is_user_token(user),
        };
        if !ok {
            return Err(Error::invalid(
                field,
                "must be uid[:gid] or a plain user name",
            ));
        }
        self.user = Some(user.to_owned());
        Ok(self)
    }

    /// Replaces the tmpfs mounts.
    #[must_use]
    pub fn with_tmpfs(mut self, tmpfs: Vec<Tmpfs>) -> Self {
        self.tmpfs = tmpfs;
        self
    }

    /// Adds a capability back after `cap_drop: [ALL]`.
    #[must_use]
    pub fn with_cap(mut self, cap: Capability) -> Self {
        self.cap_add.insert(cap);
        self
    }

    /// Confines the service with the named AppArmor profile (`[a-z0-9][a-z0-9_.-]*`).
    pub fn with_apparmor(mut self, profile: &str) -> Result<Self> {
        super::apparmor::check_profile_name(profile)
            .map_err(|e| Error::new("apparmor", e.problem().clone()))?;
        self.apparmor = Some(profile.to_owned());
        Ok(self)
    }

    /// Uses the seccomp profile at `path` on the host.
    #[must_use]
    pub fn with_seccomp(mut self, path: AbsPath) -> Self {
        self.seccomp = Some(path);
        self
    }

    /// Sets the resource limits.
    #[must_use]
    pub fn with_resources(mut self, resources: Resources) -> Self {
        self.resources = resources;
        self
    }

    /// Adds a ulimit (a later one of the same name replaces the earlier).
    #[must_use]
    pub fn with_ulimit(mut self, ulimit: Ulimit) -> Self {
        self.ulimits.retain(|u| u.name != ulimit.name);
        self.ulimits.push(ulimit);
        self
    }

    /// Attaches the service to a network.
    #[must_use]
    pub fn with_network(mut self, network: NetworkName) -> Self {
        if !self.networks.contains(&network) {
            self.networks.push(network);
        }
        self
    }

    /// Mounts a volume.
    #[must_use]
    pub fn with_volume(mut self, mount: Mount) -> Self {
        self.volumes.push(mount);
        self
    }

    /// Sets the health check.
    #[must_use]
    pub fn with_healthcheck(mut self, check: Healthcheck) -> Self {
        self.healthcheck = Some(check);
        self
    }

    /// Sets an environment variable. The value reaches the container literally (`$` is
    /// escaped for compose interpolation); NUL and control characters other than tab and
    /// line feed are refused. Values never appear in `Debug` output.
    pub fn with_env(mut self, name: &str, value: &str) -> Result<Self> {
        let name = EnvName::new(name)?;
        check_free_text(&format!("environment.{}", name.as_str()), value, 32 * 1024)?;
        self.environment.insert(name, EnvValue(value.to_owned()));
        Ok(self)
    }

    /// Sets the command (argv, no shell).
    pub fn with_command(mut self, argv: &[&str]) -> Result<Self> {
        for (i, a) in argv.iter().enumerate() {
            check_free_text(&format!("command[{i}]"), a, 4096)?;
        }
        self.command = argv.iter().map(|s| (*s).to_owned()).collect();
        Ok(self)
    }

    /// Publishes a port on one host address.
    #[must_use]
    pub fn with_port(mut self, port: PortBinding) -> Self {
        self.ports.push(port);
        self
    }

    /// Shares the host's PID namespace (`pid: host`). Under userns-remap this requires
    /// [`Service::with_host_userns`] (erratum 10); rendering checks it.
    #[must_use]
    pub fn with_host_pid(mut self) -> Self {
        self.pid_host = true;
        self
    }

    /// Uses the host's network stack (`network_mode: host`); same userns rule as above.
    #[must_use]
    pub fn with_host_network(mut self) -> Self {
        self.network_host = true;
        self
    }

    /// Opts the service out of userns-remap (`userns_mode: host`).
    #[must_use]
    pub fn with_host_userns(mut self) -> Self {
        self.userns_host = true;
        self
    }

    /// Starts this service after `other`.
    #[must_use]
    pub fn depends_on(mut self, other: ServiceName) -> Self {
        if !self.depends_on.contains(&other) {
            self.depends_on.push(other);
        }
        self
    }

    /// Disables the `init: true` default (a tiny init reaping zombies and forwarding signals).
    #[must_use]
    pub fn without_init(mut self) -> Self {
        self.init = false;
        self
    }

    /// The mounted volumes.
    pub fn volumes(&self) -> &[Mount] {
        &self.volumes
    }

    /// The tmpfs mounts.
    pub fn tmpfs(&self) -> &[Tmpfs] {
        &self.tmpfs
    }

    /// Capabilities added after dropping all.
    pub fn capabilities(&self) -> impl Iterator<Item = Capability> + '_ {
        self.cap_add.iter().copied()
    }

    /// Networks the service is attached to.
    pub fn networks(&self) -> &[NetworkName] {
        &self.networks
    }

    /// Services this one depends on.
    pub fn dependencies(&self) -> &[ServiceName] {
        &self.depends_on
    }

    /// Names of the environment variables (never their values).
    pub fn env_names(&self) -> impl Iterator<Item = &str> {
        self.environment.keys().map(EnvName::as_str)
    }

    /// True for `network_mode: host`.
    pub fn uses_host_network(&self) -> bool {
        self.network_host
    }

    /// Checks rules that concern this service alone.
    pub(crate) fn validate(&self) -> Result<()> {
        let field = |f: &str| format!("services.{}.{f}", self.name);
        if (self.pid_host || self.network_host) && !self.userns_host {
            return Err(Error::new(
                field("userns_mode"),
                Problem::Conflict(
                    "pid: host / network_mode: host need userns_mode: host under userns-remap"
                        .into(),
                ),
            ));
        }
        if self.network_host && !self.networks.is_empty() {
            return Err(Error::new(
                field("networks"),
                Problem::Conflict("network_mode: host cannot join networks".into()),
            ));
        }
        if self.network_host && !self.ports.is_empty() {
            return Err(Error::new(
                field("ports"),
                Problem::Conflict("network_mode: host cannot publish ports".into()),
            ));
        }
        let mut targets = BTreeSet::new();
        for t in self
            .volumes
            .iter()
            .map(|v| &v.target)
            .chain(self.tmpfs.iter().map(|t| &t.target))
        {
            if !targets.insert(t.as_str()) {
                return Err(Error::invalid(
                    field("volumes"),
                    "two mounts share one target",
                ));
            }
        }
        Ok(())
    }

    /// The service as a compose mapping.
    pub(crate) fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("image".into(), json!(self.image.to_string()));
        m.insert("restart".into(), json!(self.restart.as_str()));
        if let Some(u) = &self.user {
            m.insert("user".into(), json!(u));
        }
        m.insert("read_only".into(), json!(self.read_only));
        m.insert("init".into(), json!(self.init));
        if !self.tmpfs.is_empty() {
            m.insert(
                "tmpfs".into(),
                self.tmpfs.iter().map(Tmpfs::render).collect(),
            );
        }
        m.insert("cap_drop".into(), json!(["ALL"]));
        if !self.cap_add.is_empty() {
            m.insert(
                "cap_add".into(),
                self.cap_add.iter().map(|c| c.as_str()).collect(),
            );
        }
        let mut sec = Vec::new();
        if self.no_new_privileges {
            sec.push("no-new-privileges:true".to_owned());
        }
        if let Some(p) = &self.apparmor {
            sec.push(format!("apparmor={p}"));
        }
        if let Some(p) = &self.seccomp {
            sec.push(format!("seccomp={}", p.as_str()));
        }
        if !sec.is_empty() {
            m.insert("security_opt".into(), json!(sec));
        }
        m.insert("deploy".into(), self.resources.render());
        if !self.ulimits.is_empty() {
            let u: Map<String, Value> = self
                .ulimits
                .iter()
                .map(|u| (u.name.to_owned(), json!({ "soft": u.soft, "hard": u.hard })))
                .collect();
            m.insert("ulimits".into(), Value::Object(u));
        }
        m.insert("logging".into(), self.logging.render());
        if self.network_host {
            m.insert("network_mode".into(), json!("host"));
        } else if !self.networks.is_empty() {
            m.insert(
                "networks".into(),
                self.networks.iter().map(|n| n.as_str()).collect(),
            );
        }
        if self.pid_host {
            m.insert("pid".into(), json!("host"));
        }
        if self.userns_host {
            m.insert("userns_mode".into(), json!("host"));
        }
        if !self.volumes.is_empty() {
            m.insert(
                "volumes".into(),
                self.volumes.iter().map(Mount::render).collect(),
            );
        }
        if let Some(h) = &self.healthcheck {
            m.insert("healthcheck".into(), h.render());
        }
        if !self.environment.is_empty() {
            let env: Map<String, Value> = self
                .environment
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), json!(compose_literal(&v.0))))
                .collect();
            m.insert("environment".into(), Value::Object(env));
        }
        if !self.command.is_empty() {
            m.insert(
                "command".into(),
                self.command.iter().map(|a| compose_literal(a)).collect(),
            );
        }
        if !self.ports.is_empty() {
            m.insert(
                "ports".into(),
                self.ports.iter().map(PortBinding::render).collect(),
            );
        }
        if !self.depends_on.is_empty() {
            m.insert(
                "depends_on".into(),
                self.depends_on.iter().map(|s| s.as_str()).collect(),
            );
        }
        Value::Object(m)
    }

    /// Named volumes this service uses.
    pub(crate) fn named_volumes(&self) -> impl Iterator<Item = &VolumeName> {
        self.volumes.iter().filter_map(|v| match &v.source {
            MountSource::Named(n) => Some(n),
            MountSource::Bind(_) => None,
        })
    }
}

fn is_user_token(s: &str) -> bool {
    !s.is_empty()
        && (s.chars().all(|c| c.is_ascii_digit())
            || (s.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')))
}
