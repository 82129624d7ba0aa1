//! Test support: runs the real validators on rendered artifacts.
//!
//! Each validator has a finder function (`sshd()`, `caddy()`, `nft()`, ...) that returns `None`
//! when the tool is not installed, after printing
//! `skipping: <tool> not installed (<how to install>)` to stderr. When the `CI` environment
//! variable is set (to anything but an empty string, `0` or `false`) the finder panics with that
//! message instead, so no validator test can skip silently in CI (`bash .ci/run` installs them all).
//!
//! Tools are looked up in `<workspace root>/.ci/venv/bin` first, where `.ci/install-validators`
//! puts the pinned Python-packaged tools (ssh-audit, check-jsonschema, docker-compose, Caddy
//! 2.11), then on `PATH`.
//!
//! [`redis_server`] starts a throw-away `redis-server` on an ephemeral port of 127.0.0.1 for
//! tests of code that shares state through Redis (same skip-or-fail rule), and [`s3_server`] a
//! throw-away S3-compatible `s3s-fs` for tests of code that writes to an object store;
//! [`node_exporter_server`], [`prometheus_server`] and [`alertmanager_server`] start the real
//! monitoring programs there on rendered configuration, each a [`ServerProcess`] with a small
//! HTTP client for its API. [`ssh_login`] starts a real sshd on a rendered config and logs in
//! to it with the OpenSSH client. [`dockerd`] starts the real Docker daemon on a rendered
//! `daemon.json` in private namespaces (root only).
//!
//! Inputs are written to private temporary files; nothing is written to the user's home or to
//! `/etc`. A tool that rejects its input yields a [`Rejection`] carrying its exit status, stdout
//! and stderr.
//!
//! ```no_run
//! let Some(nft) = hardening_validators::nft() else { return };
//! nft.check("table inet filter { chain input { type filter hook input priority 0; policy drop; } }")
//!     .unwrap();
//! ```
#![forbid(unsafe_code)]

mod amtool;
mod apparmor;
mod caddy;
mod cloud_init;
mod compose;
mod dockerd;
mod exec;
pub mod guest;
mod hcloud_cli;
mod jsonschema;
mod locate;
mod monitoring_servers;
mod nft;
mod pki;
mod promtool;
mod redis;
mod rejection;
mod s3;
mod seccomp;
mod server;
mod ssh_audit;
mod ssh_login;
mod sshd;
mod ufw;
mod xmllint;

pub use amtool::{Amtool, amtool};
pub use apparmor::{AppArmorParser, apparmor_parser, apparmor4_root};
pub use caddy::{Caddy, caddy};
pub use cloud_init::{CloudInit, DecodedPart, cloud_init};
pub use compose::{Compose, compose};
pub use dockerd::{Dockerd, dockerd};
pub use hcloud_cli::{HcloudCli, hcloud_cli};
pub use jsonschema::{
    CheckJsonschema, check_jsonschema, cloud_init_26_1_schema, falco_rules_schema,
};
pub use locate::{ci_mode, require_tool, workspace_root};
pub use monitoring_servers::{alertmanager_server, node_exporter_server, prometheus_server};
pub use nft::{Nft, NftNetns, nft, nft_netns};
pub use pki::{TestPki, test_client_pki, test_pki};
pub use promtool::{Promtool, promtool};
pub use redis::{RedisServer, redis_server};
pub use rejection::Rejection;
pub use s3::{S3_ACCESS_KEY, S3_SECRET_KEY, S3Server, s3_server};
pub use seccomp::{ScmpResolver, scmp_sys_resolver};
pub use server::ServerProcess;
pub use ssh_audit::{SshAudit, project_ssh_audit_policy, ssh_audit};
pub use ssh_login::{LoginAttempt, SshLogin, ssh_login};
pub use sshd::{Sshd, sshd};
pub use ufw::{Ufw, ufw};
pub use xmllint::{Xmllint, wazuh_agent_schema, xmllint};
