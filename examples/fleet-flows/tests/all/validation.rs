//! An adversarial table: every bad input is refused with an error naming the user's field,
//! before the first request and before any file is written. Each case runs the whole path a
//! program runs (prepare the inputs, write the generated secret files, verify the token,
//! provision), so a check that comes too late shows up as a request in the simulators' logs
//! or as a file on disk.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::path::{Path, PathBuf};

use cloudflare_client::PlanTier;
use fleet_flows::provision::{ProvisionInputs, provision};
use fleet_flows::{Backends, Error, Progress};
use hetzner_client::simulator::Simulator;

const ZONE: &str = "example.com";
const GOOD_KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGV4YW1wbGUtYWRtaW4ta2V5LXJlcGxhY2UtaXQtbm93 admin@example";

fn good() -> ProvisionInputs {
    ProvisionInputs {
        instance_id: "inst-0042".into(),
        subdomain: "acme".into(),
        zone: ZONE.into(),
        ..ProvisionInputs::default()
    }
}

/// Fixture files (read, never written by the flow) in `dir`.
fn fixture(dir: &Path, name: &str, content: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

type Spoil = Box<dyn Fn(&mut ProvisionInputs)>;

/// (expected field, spoiler, against the real API)
fn cases(fx: &Path) -> Vec<(&'static str, Spoil, bool)> {
    let mut out: Vec<(&'static str, Spoil, bool)> = Vec::new();
    let mut add = |field: &'static str, real: bool, f: Spoil| out.push((field, f, real));
    for bad in [
        "",
        "A",
        "inst 1",
        "-a",
        "a-",
        "a_b",
        "a/b",
        "a.b",
        "ä",
        "a\n",
        &"a".repeat(41),
    ] {
        let bad = bad.to_owned();
        add(
            "instance_id",
            false,
            Box::new(move |i| i.instance_id = bad.clone()),
        );
    }
    for bad in [
        "",
        "A",
        "a b",
        "-a",
        "a-",
        "a.b",
        "a_b",
        &"a".repeat(64),
        "*",
    ] {
        let bad = bad.to_owned();
        add(
            "subdomain",
            false,
            Box::new(move |i| i.subdomain = bad.clone()),
        );
    }
    for bad in [
        "",
        "not a zone",
        "-a.com",
        "a..com",
        "exa_mple.com",
        "a.com/",
        "com",
    ] {
        let bad = bad.to_owned();
        add("zone", false, Box::new(move |i| i.zone = bad.clone()));
    }
    for bad in ["", "FSN1", "fsn 1", &"a".repeat(17)] {
        let bad = bad.to_owned();
        add(
            "location",
            false,
            Box::new(move |i| i.location = Some(bad.clone())),
        );
    }
    for bad in ["", "CX22", "cx 22", &"c".repeat(33)] {
        let bad = bad.to_owned();
        add(
            "server_type",
            false,
            Box::new(move |i| i.server_type = Some(bad.clone())),
        );
    }
    for bad in ["", "ubuntu 24.04", &"u".repeat(65), "ubuntu\t24"] {
        let bad = bad.to_owned();
        add(
            "image",
            false,
            Box::new(move |i| i.image = Some(bad.clone())),
        );
    }
    for bad in [0u16, 1, 21, 80, 443, 1023] {
        add("ssh_port", false, Box::new(move |i| i.ssh_port = Some(bad)));
    }
    for bad in [
        "root",
        "",
        "Admin",
        "a b",
        "1abc",
        "a;b",
        "a:b",
        &"a".repeat(33),
    ] {
        let bad = bad.to_owned();
        add(
            "admin_user",
            false,
            Box::new(move |i| i.admin_user = Some(bad.clone())),
        );
    }
    for (n, bad) in [
        "",
        "garbage",
        "ssh-rsa AAAAB3Nza",
        "ssh-ed25519 not-base64!!",
        &format!("{GOOD_KEY}\n{GOOD_KEY}"),
        "ssh-dss AAAAB3NzaC1kc3MAAACBAP admin",
    ]
    .iter()
    .enumerate()
    {
        let path = fixture(fx, &format!("admin-key-{n}"), bad);
        add(
            "admin_key_file",
            false,
            Box::new(move |i| i.admin_key_file = Some(path.clone())),
        );
    }
    // SSH is never open to every address, from the admins or through the bastion.
    for (field, bad) in [
        ("admin_cidr[0]", "0.0.0.0/0"),
        ("admin_cidr[0]", "::/0"),
        ("bastion_cidr[0]", "0.0.0.0/0"),
        ("bastion_cidr[0]", "10.0.0.1/8"),
    ] {
        let net: ipnet::IpNet = bad.parse().unwrap();
        add(
            field,
            false,
            Box::new(move |i| {
                if field.starts_with("admin") {
                    i.admin_cidr = vec![net];
                } else {
                    i.bastion_cidr = vec![net];
                }
            }),
        );
    }
    let missing_ca = fx.join("no-such-ca.pub");
    add(
        "ssh_ca_file",
        false,
        Box::new(move |i| i.ssh_ca_file = Some(missing_ca.clone())),
    );
    for (n, bad) in [
        "",
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ",
        "ssh-ed25519 not-base64!",
    ]
    .iter()
    .enumerate()
    {
        let path = fixture(fx, &format!("ca-{n}.pub"), bad);
        add(
            "ssh_ca_file",
            false,
            Box::new(move |i| i.ssh_ca_file = Some(path.clone())),
        );
    }
    let ca = fixture(
        fx,
        "ca.pub",
        &hardening_model::sshd::CaSigningKey::generate()
            .public_key()
            .to_line(),
    );
    for bad in ["", "a b", "a,b", "\n"] {
        let ca = ca.clone();
        add(
            "ssh_principal[0]",
            false,
            Box::new(move |i| {
                i.ssh_ca_file = Some(ca.clone());
                i.ssh_principal = vec![bad.to_owned()];
            }),
        );
    }
    let missing = fx.join("no-such-key.pub");
    add(
        "admin_key_file",
        false,
        Box::new(move |i| i.admin_key_file = Some(missing.clone())),
    );
    for bad in [
        "10.0.0.1/8",
        "192.168.1.1/24",
        "2001:db8::1/64",
        "0.0.0.1/0",
        "172.16.0.1/12",
    ] {
        let net: ipnet::IpNet = bad.parse().unwrap();
        add(
            "admin_cidr[0]",
            false,
            Box::new(move |i| i.admin_cidr = vec![net]),
        );
    }
    for bad in ["", " a", "a ", "a\nb", "a\u{7}", &"k".repeat(129)] {
        let bad = bad.to_owned();
        add(
            "hetzner_ssh_key[0]",
            false,
            Box::new(move |i| i.hetzner_ssh_key = vec![bad.clone()]),
        );
    }
    for bad in [
        "caddy:2",
        "caddy",
        "",
        "caddy@sha256:xyz",
        "caddy:2@sha256:00",
        "a b@sha256:00",
    ] {
        let b1 = bad.to_owned();
        add(
            "caddy_image",
            false,
            Box::new(move |i| i.caddy_image = Some(b1.clone())),
        );
        let b2 = bad.to_owned();
        add(
            "app_image",
            false,
            Box::new(move |i| i.app_image = Some(b2.clone())),
        );
        let b3 = bad.to_owned();
        add(
            "node_exporter_image",
            false,
            Box::new(move |i| i.node_exporter_image = Some(b3.clone())),
        );
    }
    for bad in [
        "http://x.example",
        "",
        "https://",
        "https://a b",
        "ftp://x",
        "https://x'y",
        "https://x\"y",
    ] {
        let bad = bad.to_owned();
        add(
            "callback_url",
            false,
            Box::new(move |i| i.callback_url = Some(bad.clone())),
        );
    }
    for (n, bad) in [
        "short",
        "abc'defghijklmnopqrstuvwxyz0123456789",
        "abc\u{1}defghijklmnopqrstuvwxyz0123",
        "",
        "# only a comment\n",
    ]
    .iter()
    .enumerate()
    {
        let path = fixture(fx, &format!("callback-{n}"), bad);
        add(
            "callback_secret_file",
            false,
            Box::new(move |i| i.callback_secret_file = Some(path.clone())),
        );
    }
    let nodir = fx.join("no-such-dir").join("callback");
    add(
        "callback_secret_file",
        false,
        Box::new(move |i| i.callback_secret_file = Some(nodir.clone())),
    );
    for (n, bad) in [
        "AGE-SECRET-KEY-1NOTAKEYATALLNOTAKEYATALL",
        "",
        "not an identity at all, long enough",
    ]
    .iter()
    .enumerate()
    {
        let path = fixture(fx, &format!("identity-{n}"), bad);
        add(
            "backup_identity_file",
            false,
            Box::new(move |i| i.backup_identity_file = Some(path.clone())),
        );
    }
    let nodir = fx.join("no-such-dir").join("identity");
    add(
        "backup_identity_file",
        false,
        Box::new(move |i| i.backup_identity_file = Some(nodir.clone())),
    );
    add(
        "backup_endpoint",
        false,
        Box::new(|i| i.backup_endpoint = Some("https://s3.example".into())),
    );
    add(
        "backup_endpoint",
        false,
        Box::new(|i| i.backup_bucket = Some("bucket".into())),
    );
    add(
        "backup_endpoint",
        false,
        Box::new(|i| {
            i.backup_endpoint = Some("ftp://s3.example".into());
            i.backup_bucket = Some("bucket".into());
        }),
    );
    add(
        "backup_bucket",
        false,
        Box::new(|i| {
            i.backup_endpoint = Some("https://s3.example".into());
            i.backup_bucket = Some("UPPER".into());
        }),
    );
    for (n, bad) in ["", "only-one-line-of-credentials"].iter().enumerate() {
        let path = fixture(fx, &format!("s3-{n}"), bad);
        add(
            "backup_credentials_file",
            false,
            Box::new(move |i| i.backup_credentials_file = Some(path.clone())),
        );
    }
    let missing = fx.join("no-such-credentials");
    add(
        "backup_credentials_file",
        false,
        Box::new(move |i| i.backup_credentials_file = Some(missing.clone())),
    );
    // monitoring: all four flags or (offline) none; each file checked, nothing written
    let cert = fixture(
        fx,
        "exporter.crt",
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    );
    let tls_key = fixture(
        fx,
        "exporter.key",
        "-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n",
    );
    let password = fixture(fx, "scrape-password", "scrape-password-0123456789\n");
    let monitored = {
        let (cert, tls_key, password) = (cert.clone(), tls_key.clone(), password.clone());
        std::rc::Rc::new(move |i: &mut ProvisionInputs| {
            i.monitoring_cidr = vec!["192.0.2.10/32".parse().unwrap()];
            i.monitoring_cert_file = Some(cert.clone());
            i.monitoring_key_file = Some(tls_key.clone());
            i.scrape_password_file = Some(password.clone());
        })
    };
    for field in [
        "monitoring_cidr",
        "monitoring_cert_file",
        "monitoring_key_file",
        "scrape_password_file",
    ] {
        let monitored = monitored.clone();
        add(
            field,
            false,
            Box::new(move |i| {
                monitored(i);
                match field {
                    "monitoring_cidr" => i.monitoring_cidr.clear(),
                    "monitoring_cert_file" => i.monitoring_cert_file = None,
                    "monitoring_key_file" => i.monitoring_key_file = None,
                    _ => i.scrape_password_file = None,
                }
            }),
        );
    }
    let not_pem = fixture(fx, "not-pem", "not a certificate\n");
    for field in ["monitoring_cert_file", "monitoring_key_file"] {
        let (monitored, not_pem) = (monitored.clone(), not_pem.clone());
        add(
            field,
            false,
            Box::new(move |i| {
                monitored(i);
                if field == "monitoring_cert_file" {
                    i.monitoring_cert_file = Some(not_pem.clone());
                } else {
                    i.monitoring_key_file = Some(not_pem.clone());
                }
            }),
        );
    }
    {
        let monitored = monitored.clone();
        add(
            "monitoring_cidr",
            false,
            Box::new(move |i| {
                monitored(i);
                // host bits set: the firewall would admit a network nobody meant
                i.monitoring_cidr = vec!["192.0.2.10/24".parse().unwrap()];
            }),
        );
    }
    let missing_cert = fx.join("no-such-cert");
    {
        let monitored = monitored.clone();
        add(
            "monitoring_cert_file",
            false,
            Box::new(move |i| {
                monitored(i);
                i.monitoring_cert_file = Some(missing_cert.clone());
            }),
        );
    }
    // against the real API the demo defaults are refused, each naming its flag
    let key = fixture(fx, "admin.pub", GOOD_KEY);
    let creds = fixture(fx, "s3", "AKIAEXAMPLEEXAMPLE\nsecretsecretsecretsecret\n");
    let complete = move |i: &mut ProvisionInputs, out: &Path| {
        i.admin_key_file = Some(key.clone());
        i.caddy_image = Some(format!("caddy:2@sha256:{}", "1".repeat(64)));
        i.app_image = Some(format!("app:1@sha256:{}", "2".repeat(64)));
        i.node_exporter_image = Some(format!("ne:1@sha256:{}", "3".repeat(64)));
        i.callback_url = Some("https://control.example.com/ready".into());
        i.callback_secret_file = Some(out.join("real-callback"));
        i.backup_identity_file = Some(out.join("real-identity"));
        i.backup_endpoint = Some("https://fsn1.your-objectstorage.com".into());
        i.backup_bucket = Some("bucket".into());
        i.backup_credentials_file = Some(creds.clone());
        i.monitoring_cidr = vec!["198.51.100.20/32".parse().unwrap()];
        i.monitoring_cert_file = Some(cert.clone());
        i.monitoring_key_file = Some(tls_key.clone());
        i.scrape_password_file = Some(out.join("real-scrape-password"));
        i.admin_cidr = vec!["203.0.113.0/24".parse().unwrap()];
    };
    let complete = std::rc::Rc::new(complete);
    std::fs::create_dir_all(fx.join("out-of-reach")).unwrap();
    let fxo = fx.to_owned();
    for field in [
        "admin_cidr",
        "admin_key_file",
        "caddy_image",
        "app_image",
        "node_exporter_image",
        "callback_url",
        "callback_secret_file",
        "backup_identity_file",
        "backup_endpoint",
        "backup_credentials_file",
        "monitoring_cidr",
    ] {
        let complete = complete.clone();
        let out_dir = fxo.join("out-of-reach");
        add(
            field,
            true,
            Box::new(move |i| {
                complete(i, &out_dir);
                match field {
                    // no admin source, no bastion and no CA: SSH would be open to all
                    "admin_cidr" => i.admin_cidr.clear(),
                    "admin_key_file" => i.admin_key_file = None,
                    "caddy_image" => i.caddy_image = None,
                    "app_image" => i.app_image = None,
                    "node_exporter_image" => i.node_exporter_image = None,
                    "callback_url" => i.callback_url = None,
                    "callback_secret_file" => i.callback_secret_file = None,
                    "backup_identity_file" => i.backup_identity_file = None,
                    "backup_endpoint" => {
                        i.backup_endpoint = None;
                        i.backup_bucket = None;
                    }
                    "monitoring_cidr" => {
                        i.monitoring_cidr.clear();
                        i.monitoring_cert_file = None;
                        i.monitoring_key_file = None;
                        i.scrape_password_file = None;
                    }
                    _ => i.backup_credentials_file = None,
                }
            }),
        );
    }
    out
}

/// What a program does with the inputs, in its order.
async fn attempt(backends: &Backends, inputs: ProvisionInputs, real: bool) -> Result<(), Error> {
    let prepared = inputs.prepare(real)?;
    prepared.write_secrets()?;
    backends.verify_cloudflare_token().await?;
    provision(backends, &prepared.request, &Progress::silent()).await?;
    Ok(())
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_in(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[tokio::test(start_paused = true)]
async fn bad_inputs_are_refused_naming_the_field_with_nothing_sent_and_nothing_written() {
    let fixtures = tempfile::tempdir().unwrap();
    let table = cases(fixtures.path());
    let fixture_files = files_in(fixtures.path()).len();
    let mut checked = 0;
    let mut failures = Vec::new();
    // every case twice: without secret files, and with secret files that do not exist yet
    // (they would be created by a check that comes too late)
    for with_new_files in [false, true] {
        for (n, (field, spoil, real)) in table.iter().enumerate() {
            let out = tempfile::tempdir().unwrap();
            let h = Simulator::new();
            let c = cloudflare_client::simulator::Simulator::new();
            c.add_zone(ZONE, PlanTier::Free);
            let backends = Backends::with_simulators(&h, &c).unwrap();
            let mut inputs = good();
            if with_new_files {
                inputs.callback_secret_file = Some(out.path().join("callback"));
                inputs.backup_identity_file = Some(out.path().join("identity"));
            }
            spoil(&mut inputs);
            let problem = match attempt(&backends, inputs, *real).await {
                Ok(()) => Some("accepted".to_owned()),
                Err(Error::Invalid { field: got, .. }) if got != *field => {
                    Some(format!("names {got}"))
                }
                Err(err @ Error::Invalid { .. }) => {
                    let text = err.to_string();
                    (!text.starts_with(&format!("invalid {field}: ")))
                        .then(|| format!("message {text}"))
                }
                Err(other) => Some(format!("not a field error: {other}")),
            }
            .or_else(|| (h.request_count() != 0).then(|| "Hetzner requests sent".to_owned()))
            .or_else(|| (c.stats().requests != 0).then(|| "Cloudflare requests sent".to_owned()))
            .or_else(|| {
                let written = files_in(out.path());
                (!written.is_empty()).then(|| format!("files written: {written:?}"))
            });
            if let Some(problem) = problem {
                failures.push(format!(
                    "case {n} ({field}, new files {with_new_files}): {problem}"
                ));
            }
            checked += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        files_in(fixtures.path()).len(),
        fixture_files,
        "fixtures untouched"
    );
    assert!(checked >= 200, "only {checked} cases");
}

#[tokio::test(start_paused = true)]
async fn a_missing_hetzner_ssh_key_stops_before_anything_is_created() {
    let h = Simulator::new();
    let c = cloudflare_client::simulator::Simulator::new();
    c.add_zone(ZONE, PlanTier::Free);
    let backends = Backends::with_simulators(&h, &c).unwrap();
    let mut inputs = good();
    inputs.hetzner_ssh_key = vec!["nobody's key".into()];
    let err = attempt(&backends, inputs, false).await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("invalid hetzner_ssh_keys[0]: no SSH key named"),
        "{err}"
    );
    assert!(
        h.requests().iter().all(|r| r.method == http::Method::GET),
        "{:?}",
        h.requests()
    );
    assert!(h.firewalls().is_empty() && h.servers().is_empty());
}

#[test]
fn a_name_key_file_keys_the_server_name_and_is_written_0600_only_after_every_check() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("name-key");
    let mut inputs = good();
    inputs.name_key_file = Some(path.clone());
    let prepared = inputs.clone().prepare(false).unwrap();
    assert!(files_in(dir.path()).is_empty(), "prepare writes nothing");
    prepared.write_secrets().unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    let request = &prepared.request;
    let instance = request.instance().unwrap();
    let keyed =
        fleet_flows::naming::server_name(request.name_key.as_ref(), &instance, &request.location);
    let public = fleet_flows::naming::server_name(None, &instance, &request.location);
    assert_ne!(keyed, public, "the key changes the name");
    // the file is read back: the same key gives the same name on the next run
    let again = inputs.prepare(false).unwrap();
    let name = fleet_flows::naming::server_name(
        again.request.name_key.as_ref(),
        &instance,
        &request.location,
    );
    assert_eq!(name, keyed);

    // a key file that holds no key is refused naming the flag
    let bad = dir.path().join("bad-key");
    std::fs::write(&bad, "# no key in this file\n").unwrap();
    let mut inputs = good();
    inputs.name_key_file = Some(bad);
    let err = inputs.prepare(false).unwrap_err();
    assert!(
        err.to_string().starts_with("invalid name_key_file"),
        "{err}"
    );
}
