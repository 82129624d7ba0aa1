//! Docker hardening (runbook section 5 and 2.3): the daemon's `daemon.json`, a hardened compose
//! service model rendered into a complete `docker-compose.yml`, a seccomp profile model in
//! Docker's JSON format and an AppArmor profile model whose writable paths come from the
//! service's volumes.
//!
//! - [`daemon::DaemonConfig`] renders `/etc/docker/daemon.json`.
//! - [`image::ImageRef`] is an image pinned by digest (`name@sha256:<64 hex>`); tags alone are
//!   refused because Docker Content Trust is being retired (erratum 13).
//! - [`service::Service`] is one hardened compose service; [`compose::ComposeFile`] holds the
//!   services, networks and volumes and renders the YAML.
//! - [`seccomp::SeccompProfile`] starts from Docker's default profile semantics (erratum 12).
//! - [`apparmor::AppArmorProfile`] carries the signal and capability rules `docker stop`
//!   needs (erratum 11).

pub mod apparmor;
pub mod compose;
pub mod daemon;
pub mod image;
pub mod limits;
pub mod mounts;
pub mod names;
pub mod seccomp;
pub mod service;

pub use apparmor::AppArmorProfile;
pub use compose::{ComposeFile, Network};
pub use daemon::DaemonConfig;
pub use image::ImageRef;
pub use seccomp::SeccompProfile;
pub use service::Service;
