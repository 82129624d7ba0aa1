//! One hardened compose service.
//!
//! [`Service::new`] starts from the hardened defaults (read-only root, `cap_drop: [ALL]`,
//! `no-new-privileges`, memory/CPU/pids limits, bounded logs to journald, a small `/tmp` tmpfs)
//! and every `with_*` method adds to them. Values that end up in the YAML are validated here;
//! cross-service checks (networks, volumes, host namespaces) happen in
//! [`ComposeFile::render`](super::ComposeFile::render).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::{Map, Value, json};

use super::image::ImageRef;
pub use super::limits::{Healthcheck, LogDriver, Logging, PortBinding, Resources, ULIMITS, Ulimit};
pub use super::mounts::{Mount, MountSource, Tmpfs};
use super::names::{Capability, EnvName, NetworkName, ServiceName, VolumeName};
use crate::values::{AbsPath, check_chars, check_max_len, check_non_empty};
use crate::{Error, Problem, Result};

/// Escapes a user string for compose variable interpolation (`$` becomes `$$`), so that the
/// value reaches the container literally.
pub(crate) fn compose_literal(s: &str) -> String {
    s.replace('$', "$$")
}

/// Rejects NUL and control characters other than tab and line feed, and values over `max`.
pub(crate) fn check_free_text(field: &str, value: &str, max: usize) -> Result<()> {
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
    env_files: Vec<AbsPath>,
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
    /// `no-new-privileges`, 1 CPU / 512 MiB / 256 pids, logs to journald (cache 10 MiB x 3),
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
            env_files: Vec::new(),
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
        self.ulimits.retain(|u| u.name() != ulimit.name());
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

    /// Sets an environment variable. Never a secret: the value is written into
    /// `docker-compose.yml`, which is world-readable; secrets go through
    /// [`with_env_file`](Self::with_env_file). The value reaches the container literally (`$` is
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

    /// Reads environment variables from `path` (compose `env_file`), the way secrets reach a
    /// service: the compose file names only the path, and the file (root-owned, mode `0600`,
    /// `NAME='value'` lines) is read by the compose CLI, which runs as root, when the container
    /// is created. Unlike compose `secrets:` files, which are bind-mounted as they are, this
    /// works for a container user that cannot read a root-only file (and under `userns-remap`).
    ///
    /// ```
    /// use hardening_model::docker::{ImageRef, Service};
    /// use hardening_model::docker::names::ServiceName;
    /// use hardening_model::values::AbsPath;
    /// let image = ImageRef::parse(&format!("app@sha256:{}", "ab".repeat(32))).unwrap();
    /// let app = Service::new(ServiceName::new("app").unwrap(), image)
    ///     .with_env_file(AbsPath::new("/opt/stack/app.env").unwrap());
    /// assert_eq!(app.env_files()[0].as_str(), "/opt/stack/app.env");
    /// ```
    #[must_use]
    pub fn with_env_file(mut self, path: AbsPath) -> Self {
        if !self.env_files.contains(&path) {
            self.env_files.push(path);
        }
        self
    }

    /// The env files the service reads ([`with_env_file`](Self::with_env_file)).
    pub fn env_files(&self) -> &[AbsPath] {
        &self.env_files
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
        if self.volumes.iter().any(Mount::exposes_runtime_socket) {
            let non_root = self.user.as_deref().is_some_and(|u| {
                let uid = u.split(':').next().unwrap_or(u);
                uid.chars().all(|c| c.is_ascii_digit()) && !uid.trim_start_matches('0').is_empty()
            });
            if !non_root || !self.cap_add.is_empty() {
                return Err(Error::new(
                    field("volumes"),
                    Problem::Conflict(
                        "a read-only host root mount needs a non-root numeric user and no added capabilities".into(),
                    ),
                ));
            }
        }
        let mut targets = BTreeSet::new();
        for t in self
            .volumes
            .iter()
            .map(|v| v.target())
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
        if !self.env_files.is_empty() {
            m.insert(
                "env_file".into(),
                self.env_files.iter().map(|p| json!(p.as_str())).collect(),
            );
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
        self.volumes.iter().filter_map(|v| match v.source() {
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
