//! Every rendered combination validates against the cloud-init 26.1 schema (in process, with
//! check-jsonschema) and passes `cloud-init schema -c`.

use cloudinit_builder::*;

use crate::support::{self, everything};

/// One document per typed key, so a schema error points at the key that caused it.
fn one_key_each() -> Vec<(&'static str, CloudConfig)> {
    let key = Secret::new("0123456789abcdef").unwrap();
    vec![
        ("empty", CloudConfig::new()),
        (
            "package_update",
            CloudConfig::new()
                .package_update(true)
                .package_upgrade(false),
        ),
        (
            "packages",
            CloudConfig::new()
                .packages(["nftables", "docker.io=24.0.7-0ubuntu4"])
                .unwrap(),
        ),
        (
            "apt",
            CloudConfig::new().apt_source(
                AptSource::signed(
                    "wazuh",
                    "https://packages.wazuh.com/4.x/apt/",
                    "stable",
                    ["main"],
                    support::FALCO_KEY,
                )
                .unwrap(),
            ),
        ),
        ("groups", CloudConfig::new().group("app").unwrap()),
        (
            "users",
            CloudConfig::new().user(
                User::new("deploy")
                    .unwrap()
                    .ssh_key(SshPublicKey::new(support::ADMIN_KEY).unwrap()),
            ),
        ),
        ("ssh", CloudConfig::new().hardened_ssh()),
        (
            "ssh_genkeytypes",
            CloudConfig::new().ssh_genkeytypes([SshKeyType::Ed25519, SshKeyType::Ecdsa]),
        ),
        (
            "timezone",
            CloudConfig::new().timezone("Europe/Berlin").unwrap(),
        ),
        (
            "ntp",
            CloudConfig::new().ntp(Ntp::auto().servers(["time.cloudflare.com"]).unwrap()),
        ),
        (
            "mounts",
            CloudConfig::new()
                .mount(Mount::new("tmpfs", "/dev/shm", "tmpfs", "rw,nosuid,nodev,noexec").unwrap()),
        ),
        (
            "bootcmd",
            CloudConfig::new().bootcmd(Command::shell("echo boot > /dev/kmsg").unwrap()),
        ),
        (
            "write_files",
            CloudConfig::new().write_file(WriteFile::new("/etc/a", "").unwrap()),
        ),
        (
            "secret",
            CloudConfig::new().write_file(WriteFile::secret("/etc/k", &key).unwrap()),
        ),
        (
            "runcmd",
            CloudConfig::new().runcmd(Command::argv(["true"]).unwrap()),
        ),
        (
            "power_state",
            CloudConfig::new().power_state(PowerState::new(PowerMode::Poweroff)),
        ),
        (
            "phone_home",
            CloudConfig::new().phone_home(PhoneHome::new("https://a.example/x").unwrap()),
        ),
        (
            "final_message",
            CloudConfig::new()
                .final_message("line one\nline two\n")
                .unwrap(),
        ),
        (
            "raw",
            CloudConfig::new()
                .raw(RawKey::parse("snap", "commands:\n  - [install, jq]\n").unwrap())
                .unwrap(),
        ),
    ]
}

#[test]
fn each_key_alone_is_valid() {
    for (name, cfg) in one_key_each() {
        let out = cfg.render().unwrap_or_else(|e| panic!("{name}: {e}"));
        support::assert_valid(out.as_str());
    }
}

#[test]
fn everything_is_valid_plain_and_compressed() {
    let plain = everything().render().unwrap();
    support::assert_valid(plain.as_str());
    // Compressed files (gz+b64) are valid too.
    let out = support::everything_with_big_file()
        .render_within(4000)
        .unwrap();
    assert_eq!(out.compressed_files(), ["/etc/nftables.d/big.conf"]);
    support::assert_valid(out.as_str());
}

#[test]
fn schema_rejects_what_it_should() {
    // The in-process check is not a look-alike: a misspelt key and a numeric mode fail it.
    let doc = serde_json::json!({"write_files": [{"path": "/x", "permissions": 420}]});
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(support::schema_path()).unwrap()).unwrap();
    assert!(!jsonschema::options().build(&schema).unwrap().is_valid(&doc));
    let doc = serde_json::json!({"run_cmd": ["x"]});
    assert!(!jsonschema::options().build(&schema).unwrap().is_valid(&doc));
}
