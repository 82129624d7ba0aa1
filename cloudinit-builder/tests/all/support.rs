//! Shared test support: sample documents, parse-back, and schema validation (in-process with the
//! vendored cloud-init 26.1 schema, plus check-jsonschema and `cloud-init schema` when present).

use std::path::PathBuf;
use std::sync::OnceLock;

use cloudinit_builder::*;
use serde_json::Value;

pub const FALCO_KEY: &str = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBGPiT3oBEADExample\n=abcd\n-----END PGP PUBLIC KEY BLOCK-----\n";
pub const ADMIN_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx4bXBsZS1rZXktZm9yLXRlc3Rz admin@example";

pub fn schema_path() -> PathBuf {
    hardening_validators::cloud_init_26_1_schema()
}

fn validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let text = std::fs::read_to_string(schema_path()).unwrap();
        let schema: Value = serde_json::from_str(&text).unwrap();
        jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap()
    })
}

/// The cloud-config inside user-data: the text itself, or the content of the one
/// `application/gzip` part of a MIME document (base64 decoded, gunzipped), decoded here
/// independently of the crate.
pub fn cloud_config_of(user_data: &str) -> String {
    use base64::Engine as _;
    use std::io::Read as _;
    let Some(rest) = user_data.strip_prefix("Content-Type: multipart/mixed; boundary=\"") else {
        return user_data.to_owned();
    };
    let boundary = format!("--{}", &rest[..rest.find('"').unwrap()]);
    let parts: Vec<&str> = user_data.split(boundary.as_str()).collect();
    // Preamble, one part, closing "--".
    assert_eq!(parts.len(), 3, "one part expected");
    let (headers, body) = parts[1].split_once("\n\n").unwrap();
    assert!(
        headers.contains("\nContent-Type: application/gzip\n"),
        "{headers}"
    );
    assert!(
        headers.contains("\nContent-Transfer-Encoding: base64\n"),
        "{headers}"
    );
    assert!(
        body.lines()
            .all(|l| l.len() <= cloudinit_builder::GZIP_LINE)
    );
    let b64: String = body.lines().collect();
    let gz = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// Parses rendered user-data back (after unwrapping and checking the header).
pub fn parse(user_data: &str) -> Value {
    let text = cloud_config_of(user_data);
    let body = text
        .strip_prefix("#cloud-config\n")
        .expect("header on the first line");
    serde_saphyr::from_str(body).unwrap()
}

/// The 26.1 schema, in process (fast enough for property tests).
pub fn assert_schema_in_process(user_data: &str) {
    let doc = parse(user_data);
    let errors: Vec<String> = validator()
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "schema errors: {errors:#?}\n{user_data}");
}

/// Every check: in-process schema, check-jsonschema with the 26.1 schema, `cloud-init schema`.
pub fn assert_valid(user_data: &str) {
    let text = cloud_config_of(user_data);
    assert_schema_in_process(&text);
    external_checks(&text);
}

/// check-jsonschema with the vendored 26.1 schema and Debian's `cloud-init schema -c`, through
/// hardening-validators (skipped with a printed reason locally when missing, fatal in CI).
fn external_checks(user_data: &str) {
    if let Some(cj) = hardening_validators::check_jsonschema()
        && let Err(e) = cj.check(&schema_path(), user_data)
    {
        panic!("check-jsonschema rejected the document: {e}\n{user_data}");
    }
    if let Some(ci) = hardening_validators::cloud_init()
        && let Err(e) = ci.check(user_data)
    {
        panic!("cloud-init schema rejected the document: {e}\n{user_data}");
    }
}

/// A document using every typed key.
pub fn everything() -> CloudConfig {
    let key = Secret::new("s3cr3t-value-123456").unwrap();
    CloudConfig::new()
        .package_update(true)
        .package_upgrade(true)
        .package_reboot_if_required(false)
        .packages(["ufw", "chrony", "docker.io", "jq"])
        .unwrap()
        .apt_source(
            AptSource::signed(
                "falcosecurity",
                "https://download.falco.org/packages/deb",
                "stable",
                ["main"],
                FALCO_KEY,
            )
            .unwrap(),
        )
        .group("docker")
        .unwrap()
        .no_default_user()
        .user(
            User::new("admin")
                .unwrap()
                .groups(["sudo", "docker"])
                .unwrap()
                .shell("/bin/bash")
                .unwrap()
                .sudo("ALL=(ALL) NOPASSWD:ALL")
                .unwrap()
                .ssh_key(SshPublicKey::new(ADMIN_KEY).unwrap()),
        )
        .user(
            User::new("app")
                .unwrap()
                .system(true)
                .no_create_home(true)
                .homedir("/srv/app")
                .unwrap()
                .shell("/usr/sbin/nologin")
                .unwrap(),
        )
        .hardened_ssh()
        .timezone("Etc/UTC")
        .unwrap()
        .ntp(
            Ntp::chrony()
                .pools(["ntp.ubuntu.com"])
                .unwrap()
                .servers(["ntp1.hetzner.de"])
                .unwrap(),
        )
        .mount(Mount::new("tmpfs", "/tmp", "tmpfs", "rw,nosuid,nodev,noexec,size=1G").unwrap())
        .bootcmd(Command::argv(["mkdir", "-p", "/run/sshd"]).unwrap())
        .write_file(WriteFile::new("/etc/motd", "yes\non\n# comment: with colon\n").unwrap())
        .write_file(
            WriteFile::new("/srv/app/config.yml", "port: 3000\n")
                .unwrap()
                .owner("app:app")
                .unwrap()
                .permissions(0o640)
                .unwrap()
                .defer(true),
        )
        .write_file(
            WriteFile::new("/etc/hosts.allow", "sshd: ALL\n")
                .unwrap()
                .append(true)
                .unwrap(),
        )
        .write_file(WriteFile::secret_env("/etc/backup/env", [("BACKUP_KEY", &key)]).unwrap())
        .write_file(WriteFile::binary("/etc/app/blob", vec![0u8, 1, 2, 254, 255]).unwrap())
        .runcmd(Command::argv(["systemctl", "restart", "ssh.socket"]).unwrap())
        .runcmd(Command::argv(["echo", "it's", "yes", "$HOME"]).unwrap())
        .runcmd(Command::shell("if ! sshd -t; then\n  exit 1\nfi\n").unwrap())
        .power_state(
            PowerState::new(PowerMode::Reboot)
                .delay_minutes(1)
                .timeout_secs(120)
                .message("rebooting after upgrades")
                .unwrap()
                .only_if_reboot_required(true),
        )
        .phone_home(
            PhoneHome::new("https://ops.example.com/booted/$INSTANCE_ID")
                .unwrap()
                .post([PhoneHomeField::InstanceId, PhoneHomeField::PubKeyEd25519])
                .tries(3),
        )
        .final_message("first boot done after $UPTIME seconds")
        .unwrap()
        .raw(RawKey::parse("ca_certs", "remove_defaults: false\n").unwrap())
        .unwrap()
}

/// [`everything`] plus a 6 KB compressible file, for budget tests.
pub fn everything_with_big_file() -> CloudConfig {
    everything().write_file(
        WriteFile::new(
            "/etc/nftables.d/big.conf",
            "add element inet filter allow { 10.0.0.1 }\n".repeat(140),
        )
        .unwrap(),
    )
}
