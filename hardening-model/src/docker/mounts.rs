//! Mounts of a compose service: tmpfs, named volumes and bind mounts.

use serde_json::{Map, Value, json};

use super::names::VolumeName;
use crate::values::AbsPath;
use crate::{Error, Problem, Result};

/// Socket paths that give a container control over the host's container runtime.
const RUNTIME_SOCKETS: &[&str] = &[
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/containerd/containerd.sock",
    "/run/containerd/containerd.sock",
];

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

    pub(crate) fn render(&self) -> String {
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

    /// The host's root filesystem, read-only, at `target` (what node_exporter needs for
    /// filesystem metrics). The Docker socket stays reachable through it (a socket on a
    /// read-only mount can still be connected to), so rendering requires the service to run
    /// as a non-root numeric user with no added capabilities.
    pub fn host_root_read_only(target: AbsPath) -> Result<Self> {
        Ok(Self {
            source: MountSource::Bind(AbsPath::new("/")?),
            target,
            read_only: true,
        })
    }

    /// True for a bind mount of a directory that holds the container runtime's socket.
    pub(crate) fn exposes_runtime_socket(&self) -> bool {
        match &self.source {
            MountSource::Bind(src) => RUNTIME_SOCKETS
                .iter()
                .filter_map(|s| AbsPath::new(*s).ok())
                .any(|sock| sock.is_within(src)),
            MountSource::Named(_) => false,
        }
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

    pub(crate) fn render(&self) -> Value {
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
