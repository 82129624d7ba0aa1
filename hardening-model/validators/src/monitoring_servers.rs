//! Throw-away node_exporter, Prometheus and Alertmanager servers on 127.0.0.1, for tests of the
//! rendered monitoring configuration against the real programs.

use std::path::{Path, PathBuf};

use crate::locate::{find_binary, skip};
use crate::server::{Launch, ServerProcess};

/// The first of `names` found, or a skip (a panic when `CI` is set).
fn find_any(names: &[&str], hint: &str) -> Option<PathBuf> {
    names
        .iter()
        .find_map(|n| find_binary(n))
        .or_else(|| skip(&format!("{} not installed", names[0]), hint))
}

fn s(v: impl Into<String>) -> String {
    v.into()
}

/// Starts node_exporter with `web_config` (`--web.config.file`) and, when given, the textfile
/// collector on `textfile_dir`; only that collector and `os` run, so start-up is quick.
/// `None` (after printing why) when node_exporter is not installed.
///
/// ```no_run
/// # let web_config = std::path::Path::new("web-config.yml");
/// let Some(exporter) = hardening_validators::node_exporter_server(web_config, None) else { return };
/// let _ = exporter.address();
/// ```
///
/// # Panics
/// When `CI` is set and it is missing, or when it is installed but does not start.
pub fn node_exporter_server(
    web_config: &Path,
    textfile_dir: Option<&Path>,
) -> Option<ServerProcess> {
    let binary = find_any(
        &["prometheus-node-exporter", "node_exporter"],
        "apt-get install prometheus-node-exporter, or bash .ci/install-validators",
    )?;
    let web = web_config.to_path_buf();
    let textfile = textfile_dir.map(Path::to_path_buf);
    let args = move |port: u16, _dir: &Path| {
        let mut a = vec![
            format!("--web.listen-address=127.0.0.1:{port}"),
            format!("--web.config.file={}", web.display()),
            s("--collector.disable-defaults"),
            s("--collector.os"),
        ];
        if let Some(dir) = &textfile {
            a.push(s("--collector.textfile"));
            a.push(format!("--collector.textfile.directory={}", dir.display()));
        }
        a
    };
    Some(
        Launch {
            name: "node_exporter",
            binary: &binary,
            args: &args,
            ready_path: None,
        }
        .start(),
    )
}

/// Starts Prometheus with `config` (its storage in a private temporary directory); ready once
/// `/-/ready` answers. `None` (after printing why) when prometheus is not installed.
///
/// # Panics
/// When `CI` is set and it is missing, or when it is installed but does not start.
pub fn prometheus_server(config: &Path) -> Option<ServerProcess> {
    let binary = find_any(
        &["prometheus"],
        "apt-get install prometheus, or bash .ci/install-validators",
    )?;
    let config = config.to_path_buf();
    let args = move |port: u16, dir: &Path| {
        vec![
            format!("--config.file={}", config.display()),
            format!("--storage.tsdb.path={}", dir.join("data").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
        ]
    };
    Some(
        Launch {
            name: "prometheus",
            binary: &binary,
            args: &args,
            ready_path: Some("/-/ready"),
        }
        .start(),
    )
}

/// Starts Alertmanager with `config` (no clustering, storage in a private temporary
/// directory); ready once `/-/ready` answers. `None` (after printing why) when it is not
/// installed.
///
/// # Panics
/// When `CI` is set and it is missing, or when it is installed but does not start.
pub fn alertmanager_server(config: &Path) -> Option<ServerProcess> {
    let binary = find_any(
        &["prometheus-alertmanager", "alertmanager"],
        "apt-get install prometheus-alertmanager, or bash .ci/install-validators",
    )?;
    let config = config.to_path_buf();
    let args = move |port: u16, dir: &Path| {
        vec![
            format!("--config.file={}", config.display()),
            format!("--storage.path={}", dir.join("data").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
            s("--cluster.listen-address="),
        ]
    };
    Some(
        Launch {
            name: "alertmanager",
            binary: &binary,
            args: &args,
            ready_path: Some("/-/ready"),
        }
        .start(),
    )
}
