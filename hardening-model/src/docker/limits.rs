//! Resource limits, ulimits, logging, health checks and published ports of a compose service.

use std::net::IpAddr;

use serde_json::{Value, json};

use super::service::{check_free_text, compose_literal};
use crate::values::{Port, check_non_empty};
use crate::{Error, Problem, Result};

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

    pub(crate) fn render(&self) -> Value {
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
    pub(crate) name: &'static str,
    pub(crate) soft: u64,
    pub(crate) hard: u64,
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

/// Where Docker sends a container's stdout and stderr (`log-driver`).
///
/// [`LogDriver::Journald`] is the hardened default: every line lands in the host journal with
/// `CONTAINER_NAME` as a field, so the host's log shipper (running unprivileged, in the
/// `systemd-journal` group) ships container logs, Caddy's access log included, without reading
/// `/var/lib/docker` (root `0700`) or joining the `docker` group. Docker's dual logging keeps
/// `docker logs` working from a bounded local cache (`cache-max-size`, `cache-max-file`), and
/// journald's own limits bound the journal (its per-unit rate limit, 10,000 lines per 30 s by
/// default, is shared by every container under `docker.service`). The file drivers keep logs only on the host, which
/// docker-bench 2.13 (centralised and remote logging) warns about.
///
/// ```
/// use hardening_model::docker::limits::{LogDriver, Logging};
/// let logging = Logging::default();
/// assert_eq!(logging.driver, LogDriver::Journald);
/// assert_eq!(logging.options(), [("cache-max-file", "3".to_owned()), ("cache-max-size", "10m".to_owned())]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogDriver {
    /// `json-file`, rotated by `max-size` and `max-file`.
    JsonFile,
    /// `local` (compressed), rotated by `max-size` and `max-file`.
    Local,
    /// `journald`, with the dual-logging cache bounded by `cache-max-size` and `cache-max-file`
    /// (the journald driver refuses `max-size` and `max-file`).
    #[default]
    Journald,
}

impl LogDriver {
    /// The driver's name in `daemon.json` and compose files.
    pub fn name(self) -> &'static str {
        match self {
            Self::JsonFile => "json-file",
            Self::Local => "local",
            Self::Journald => "journald",
        }
    }

    /// The bounded-size options for this driver, sorted by key: `max-size`/`max-file` for the
    /// file drivers, their `cache-` counterparts for journald.
    pub fn size_options(self, max_size_mib: u32, max_file: u32) -> [(&'static str, String); 2] {
        let size = format!("{max_size_mib}m");
        let files = max_file.to_string();
        match self {
            Self::JsonFile | Self::Local => [("max-file", files), ("max-size", size)],
            Self::Journald => [("cache-max-file", files), ("cache-max-size", size)],
        }
    }
}

/// Log driver settings with bounded size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Logging {
    /// The log driver (journald by default).
    pub driver: LogDriver,
    /// Size of one log file (or cache file, for journald) in MiB.
    pub max_size_mib: u32,
    /// Number of rotated files (or cache files, for journald) kept.
    pub max_file: u32,
}

impl Default for Logging {
    fn default() -> Self {
        Self {
            driver: LogDriver::default(),
            max_size_mib: 10,
            max_file: 3,
        }
    }
}

impl Logging {
    /// The driver's options, sorted by key (sizes below 1 are raised to 1).
    pub fn options(&self) -> [(&'static str, String); 2] {
        self.driver
            .size_options(self.max_size_mib.max(1), self.max_file.max(1))
    }

    pub(crate) fn render(&self) -> Value {
        let options: serde_json::Map<String, Value> = self
            .options()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), Value::String(v)))
            .collect();
        json!({
            "driver": self.driver.name(),
            "options": options,
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

    pub(crate) fn render(&self) -> Value {
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
    pub(crate) fn render(&self) -> Value {
        json!({
            "target": self.container_port.get(),
            "published": self.host_port.get().to_string(),
            "host_ip": self.host_ip.to_string(),
            "protocol": if self.udp { "udp" } else { "tcp" },
        })
    }
}
