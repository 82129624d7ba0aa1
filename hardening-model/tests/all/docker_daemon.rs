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
    // journald refuses max-size/max-file ("unknown log opt"): only the cache options.
    assert_eq!(v["log-driver"], "journald");
    assert_eq!(v["log-opts"]["cache-max-size"], "10m");
    assert_eq!(v["log-opts"]["cache-max-file"], "3");
    assert_eq!(v["log-opts"].as_object().unwrap().len(), 2);
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

/// The real dockerd starts on the hardened daemon.json (journald with its cache options,
/// userns-remap, address pools) and refuses `max-size` under the journald driver.
#[test]
fn hardened_daemon_json_starts_real_dockerd() {
    let Some(dockerd) = hardening_validators::dockerd() else {
        return;
    };
    let file = DaemonConfig::hardened().render().unwrap();
    dockerd.check(&file.content).unwrap();
    let wrong = file.content.replace("\"cache-max-size\"", "\"max-size\"");
    assert_ne!(wrong, file.content);
    let err = dockerd.check(&wrong).unwrap_err();
    assert!(err.output().contains("unknown log opt"), "{err}");
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
    c.log_driver = hardening_model::docker::limits::LogDriver::JsonFile;
    let v: Value = serde_json::from_str(&c.render().unwrap().content).unwrap();
    assert_eq!(v["log-driver"], "json-file");
    assert_eq!(v["log-opts"]["max-size"], "10m");
    assert!(v["log-opts"].get("cache-max-size").is_none());
    let mut c = DaemonConfig::hardened();
    c.address_pools = vec![("10.0.0.0/16".parse().unwrap(), 8)];
    assert_eq!(
        c.render().unwrap_err().field(),
        "daemon.default-address-pools[0].size"
    );
}
