//! daemon.json: the hardened keys, deterministic output, and refusals.

#![allow(clippy::unwrap_used)] // tests may unwrap

use hardening_model::docker::DaemonConfig;
use serde_json::Value;

#[test]
fn hardened_daemon_json() {
    let file = DaemonConfig::hardened().render().unwrap();
    assert_eq!(file.path, "/etc/docker/daemon.json");
    assert_eq!(file.mode_string(), "0644");
    let v: Value = serde_json::from_str(&file.content).unwrap();
    assert_eq!(v["icc"], false);
    assert_eq!(v["userns-remap"], "default");
    assert_eq!(v["no-new-privileges"], true);
    assert_eq!(v["live-restore"], true);
    assert_eq!(v["userland-proxy"], false);
    assert_eq!(v["log-driver"], "json-file");
    assert_eq!(v["log-opts"]["max-size"], "10m");
    assert_eq!(v["default-ulimits"]["nofile"]["Hard"], 65536);
    assert!(
        v["default-ulimits"].get("nproc").is_none(),
        "erratum 10: no nproc under userns-remap"
    );
    assert_eq!(v["default-address-pools"][0]["base"], "172.17.0.0/16");
    assert_eq!(
        file.content,
        DaemonConfig::hardened().render().unwrap().content
    );
}

#[test]
fn bad_values_are_refused() {
    let mut c = DaemonConfig::hardened();
    c.userns_remap = Some("dock\"remap".into());
    assert_eq!(c.render().unwrap_err().field(), "daemon.userns-remap");
    let mut c = DaemonConfig::hardened();
    c.log_max_file = 0;
    assert_eq!(c.render().unwrap_err().field(), "daemon.log-opts.max-file");
    let mut c = DaemonConfig::hardened();
    c.address_pools = vec![("10.0.0.0/16".parse().unwrap(), 8)];
    assert_eq!(
        c.render().unwrap_err().field(),
        "daemon.default-address-pools[0].size"
    );
}
