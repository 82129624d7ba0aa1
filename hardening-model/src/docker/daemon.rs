//! `/etc/docker/daemon.json` (runbook 5.1, docker-bench section 2).

use ipnet::IpNet;
use serde::Serialize;
use std::collections::BTreeMap;

use super::limits::LogDriver;
use super::service::Ulimit;
use crate::values::{check_chars, check_max_len, check_non_empty};
use crate::{Error, Problem, RenderedFile, Result};

/// Where `daemon.json` lives.
pub const DAEMON_JSON_PATH: &str = "/etc/docker/daemon.json";

/// The Docker daemon's hardening settings.
///
/// Fields map one to one to `daemon.json` keys. Rendering is deterministic (keys sorted).
///
/// ```
/// use hardening_model::docker::DaemonConfig;
/// let file = DaemonConfig::hardened().render().unwrap();
/// let json: serde_json::Value = serde_json::from_str(&file.content).unwrap();
/// assert_eq!(json["icc"], false);
/// assert_eq!(json["userns-remap"], "default");
/// assert_eq!(json["log-driver"], "journald");
/// assert_eq!(json["log-opts"]["cache-max-size"], "10m");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaemonConfig {
    /// `icc`: inter-container traffic on the default bridge (docker-bench 2.2).
    pub icc: bool,
    /// `userns-remap`: `Some("default")` maps container root to `dockremap` (2.9).
    pub userns_remap: Option<String>,
    /// `no-new-privileges` for every container (2.14).
    pub no_new_privileges: bool,
    /// `live-restore`: containers survive daemon restarts (2.15).
    pub live_restore: bool,
    /// `userland-proxy` (2.16); false uses iptables NAT only.
    pub userland_proxy: bool,
    /// `log-driver` (journald by default: see [`LogDriver`]).
    pub log_driver: LogDriver,
    /// `log-opts.max-size` in MiB (`cache-max-size` for journald).
    pub log_max_size_mib: u32,
    /// `log-opts.max-file` (`cache-max-file` for journald).
    pub log_max_file: u32,
    /// `default-ulimits` (nproc is refused by [`Ulimit::new`]: erratum 10).
    pub default_ulimits: Vec<Ulimit>,
    /// `default-address-pools` as (base, size).
    pub address_pools: Vec<(IpNet, u8)>,
    /// `storage-driver`, normally `overlay2`.
    pub storage_driver: String,
}

#[derive(Serialize)]
struct UlimitJson {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Soft")]
    soft: u64,
    #[serde(rename = "Hard")]
    hard: u64,
}

#[derive(Serialize)]
struct PoolJson {
    base: String,
    size: u8,
}

#[derive(Serialize)]
struct DaemonJson {
    #[serde(
        rename = "default-address-pools",
        skip_serializing_if = "Vec::is_empty"
    )]
    pools: Vec<PoolJson>,
    #[serde(rename = "default-ulimits", skip_serializing_if = "BTreeMap::is_empty")]
    ulimits: BTreeMap<String, UlimitJson>,
    icc: bool,
    #[serde(rename = "live-restore")]
    live_restore: bool,
    #[serde(rename = "log-driver")]
    log_driver: &'static str,
    #[serde(rename = "log-opts")]
    log_opts: BTreeMap<&'static str, String>,
    #[serde(rename = "no-new-privileges")]
    no_new_privileges: bool,
    #[serde(rename = "storage-driver")]
    storage_driver: String,
    #[serde(rename = "userland-proxy")]
    userland_proxy: bool,
    #[serde(rename = "userns-remap", skip_serializing_if = "Option::is_none")]
    userns_remap: Option<String>,
}

impl DaemonConfig {
    /// The hardened baseline: icc off, userns-remap `default`, no-new-privileges, live-restore,
    /// userland-proxy off, container logs to journald (dual-logging cache 10 MiB x 3, so the
    /// host's shipper carries them off the host), nofile 32768/65536, overlay2, no nproc
    /// ulimit (use pids limits), address pool 172.17.0.0/16 split into /24s.
    pub fn hardened() -> Self {
        let pools = "172.17.0.0/16"
            .parse()
            .map(|n| vec![(n, 24)])
            .unwrap_or_default();
        Self {
            icc: false,
            userns_remap: Some("default".to_owned()),
            no_new_privileges: true,
            live_restore: true,
            userland_proxy: false,
            log_driver: LogDriver::Journald,
            log_max_size_mib: 10,
            log_max_file: 3,
            default_ulimits: Ulimit::new("nofile", 32768, 65536).into_iter().collect(),
            address_pools: pools,
            storage_driver: "overlay2".to_owned(),
        }
    }

    /// Checks every field.
    pub fn validate(&self) -> Result<()> {
        if let Some(user) = &self.userns_remap {
            let field = "daemon.userns-remap";
            check_non_empty(field, user)?;
            check_max_len(field, user, 65)?;
            check_chars(field, user, |c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | ':')
            })?;
        }
        check_non_empty("daemon.storage-driver", &self.storage_driver)?;
        check_chars("daemon.storage-driver", &self.storage_driver, |c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
        })?;
        for (field, v) in [
            ("daemon.log-opts.max-size", self.log_max_size_mib),
            ("daemon.log-opts.max-file", self.log_max_file),
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
        for (i, (base, size)) in self.address_pools.iter().enumerate() {
            if *size < base.prefix_len() || *size > base.max_prefix_len() {
                return Err(Error::invalid(
                    format!("daemon.default-address-pools[{i}].size"),
                    "must lie between the base prefix length and the address width",
                ));
            }
        }
        Ok(())
    }

    /// Renders `/etc/docker/daemon.json` (root, 0644 as docker-bench 3.18 expects).
    pub fn render(&self) -> Result<RenderedFile> {
        self.validate()?;
        let log_opts: BTreeMap<&'static str, String> = self
            .log_driver
            .size_options(self.log_max_size_mib, self.log_max_file)
            .into_iter()
            .collect();
        let json = DaemonJson {
            pools: self
                .address_pools
                .iter()
                .map(|(b, s)| PoolJson {
                    base: b.trunc().to_string(),
                    size: *s,
                })
                .collect(),
            ulimits: self
                .default_ulimits
                .iter()
                .map(|u| {
                    let (soft, hard) = u.limits();
                    (
                        u.name().to_owned(),
                        UlimitJson {
                            name: u.name().to_owned(),
                            soft,
                            hard,
                        },
                    )
                })
                .collect(),
            icc: self.icc,
            live_restore: self.live_restore,
            log_driver: self.log_driver.name(),
            log_opts,
            no_new_privileges: self.no_new_privileges,
            storage_driver: self.storage_driver.clone(),
            userland_proxy: self.userland_proxy,
            userns_remap: self.userns_remap.clone(),
        };
        let mut text = serde_json::to_string_pretty(&json)
            .map_err(|e| Error::invalid("daemon", format!("JSON serialisation failed: {e}")))?;
        text.push('\n');
        Ok(RenderedFile::root(DAEMON_JSON_PATH, 0o644, text))
    }
}
