//! End-to-end: the `provision` flow against both simulators, under tokio's paused clock (the
//! simulators sit behind the clients' transport trait, so no socket is involved).
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::io::Read as _;
use std::net::IpAddr;

use base64::Engine as _;
use cloudflare_client::PlanTier;
use cloudflare_client::resources::dns::RecordType;
use cloudflare_client::simulator::{Fault as CfFault, FaultRule};
use cloudinit_builder::preset::{
    BACKUP_ENV, BACKUP_SCRIPT, BackupTarget, HardenedHost, HostMonitoring, ObjectStore, READY_ENV,
    RunbookInputs, RunbookRequired, S3Credentials,
};
use cloudinit_builder::{Secret, SshPublicKey, User};
use examples::host::{APP_PORT, DEMO_CALLBACK_URL, HostPolicy};
use examples::provision::{ProvisionRequest, SSH_PORT_LABEL, Summary, instance_store, provision};
use examples::secrets::{age_identity, age_recipient, callback_secret};
use examples::{Backends, Error, Progress};
use hardening_model::docker::ImageRef;
use hardening_model::presets::stack::StackImages;
use hardening_model::values::{Domain, Port, UnixUser};
use hetzner_client::models::firewall::{Direction, Protocol};
use hetzner_client::simulator::{Fault, Simulator};
use http::Method;

const ZONE: &str = "example.com";

struct World {
    backends: Backends,
    hetzner: Simulator,
    cloudflare: cloudflare_client::simulator::Simulator,
    zone_id: String,
}

fn world() -> World {
    let hetzner = Simulator::new();
    let cloudflare = cloudflare_client::simulator::Simulator::new();
    let zone_id = cloudflare.add_zone(ZONE, PlanTier::Free);
    let backends = Backends::with_simulators(&hetzner, &cloudflare).unwrap();
    World {
        backends,
        hetzner,
        cloudflare,
        zone_id,
    }
}

/// A request with its two secrets fixed, so the test can render the same document itself.
/// The central Prometheus at 203.0.113.200 (built once: the scrape password's bcrypt salt is
/// random, and the tests compare documents byte for byte).
fn monitoring() -> HostMonitoring {
    static MONITORING: std::sync::LazyLock<HostMonitoring> = std::sync::LazyLock::new(|| {
        let auth = hardening_model::monitoring::ScrapeAuth::new(
            "prometheus",
            "scrape-password-0123456789".into(),
        )
        .unwrap();
        let access = hardening_model::monitoring::ExporterAccess::new(
            Port::new(9100).unwrap(),
            ["203.0.113.200/32".parse().unwrap()],
            auth,
        )
        .unwrap();
        HostMonitoring::new(
            access,
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
            Secret::new("-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n").unwrap(),
        )
        .unwrap()
    });
    MONITORING.clone()
}

fn request() -> ProvisionRequest {
    let mut req = ProvisionRequest::new("inst-0042", "acme", ZONE);
    req.monitoring = Some(monitoring());
    req.callback_secret = Some(callback_secret().unwrap());
    req.backup_recipient = Some(age_recipient(&age_identity().unwrap()).unwrap());
    req.backup_store = Some(
        ObjectStore::new(
            "https://fsn1.your-objectstorage.com",
            "fleet-backups",
            "fsn1",
        )
        .unwrap(),
    );
    req.backup_credentials = Some(S3Credentials::new(
        Secret::new("AKIDFLEET0042").unwrap(),
        callback_secret().unwrap(),
    ));
    req
}

/// The backup target the flow derives from the request: the instance id as the key prefix.
fn backup_target(req: &ProvisionRequest) -> BackupTarget {
    BackupTarget::new(
        req.backup_recipient.clone().unwrap(),
        instance_store(req.backup_store.as_ref().unwrap(), &req.instance_id).unwrap(),
        req.backup_credentials.clone().unwrap(),
    )
}

async fn run(w: &World, req: &ProvisionRequest) -> Summary {
    provision(&w.backends, req, &Progress::silent())
        .await
        .unwrap()
}

/// The runbook preset rendered independently (straight from cloudinit-builder, not through
/// the example's `HostPolicy`) from the same values the flow used.
async fn expected_user_data(
    w: &World,
    req: &ProvisionRequest,
    ssh_port: u16,
    caddy_bind: IpAddr,
) -> String {
    let ranges = w.backends.cloudflare.ips().get().await.unwrap().to_model();
    let admin = User::new(req.admin_user.as_str())
        .unwrap()
        .groups(["sudo"])
        .unwrap()
        .shell("/bin/bash")
        .unwrap()
        .sudo("ALL=(ALL) NOPASSWD:ALL")
        .unwrap()
        .ssh_key(SshPublicKey::new(req.admin_key.as_str()).unwrap());
    let inputs = RunbookInputs::new(RunbookRequired {
        admin,
        ssh_port: Port::new(ssh_port).unwrap(),
        cloudflare_ranges: ranges,
        domain: Domain::new(req.fqdn()).unwrap(),
        images: StackImages {
            caddy: ImageRef::parse(&req.caddy_image).unwrap(),
            app: ImageRef::parse(&req.app_image).unwrap(),
            node_exporter: ImageRef::parse(&req.node_exporter_image).unwrap(),
        },
        app_port: Port::new(APP_PORT).unwrap(),
        bind_ip: caddy_bind,
        callback_url: DEMO_CALLBACK_URL.to_owned(),
        callback_secret: req.callback_secret.clone().unwrap(),
        backup: backup_target(req),
        monitoring: monitoring(),
    })
    .admin_sources(req.ssh_sources(true).unwrap().0);
    HardenedHost::runbook(&inputs)
        .unwrap()
        .render()
        .unwrap()
        .into_string()
}

/// One `write_files` entry, its content decoded.
struct Entry {
    permissions: String,
    owner: String,
    content: String,
}

/// Every `write_files` entry of user-data, decoded (plain, `b64`, `gz+b64`).
fn entries(user_data: &str) -> BTreeMap<String, Entry> {
    let text = cloudinit_builder::cloud_config_of(user_data).unwrap();
    let doc: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    let mut out = BTreeMap::new();
    for f in doc["write_files"].as_array().unwrap() {
        let content = f["content"].as_str().unwrap_or_default();
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.decode(s).unwrap();
        let bytes = match f.get("encoding").and_then(|e| e.as_str()) {
            None => content.as_bytes().to_vec(),
            Some("b64") => b64(content),
            Some("gz+b64") => {
                let mut v = Vec::new();
                flate2::read::GzDecoder::new(&b64(content)[..])
                    .read_to_end(&mut v)
                    .unwrap();
                v
            }
            Some(other) => panic!("unexpected encoding {other}"),
        };
        let text = |key: &str| f[key].as_str().unwrap_or_default().to_owned();
        out.insert(
            f["path"].as_str().unwrap().to_owned(),
            Entry {
                permissions: text("permissions"),
                owner: text("owner"),
                content: String::from_utf8(bytes).unwrap(),
            },
        );
    }
    out
}

/// Path -> decoded content.
fn files(user_data: &str) -> BTreeMap<String, String> {
    entries(user_data)
        .into_iter()
        .map(|(path, e)| (path, e.content))
        .collect()
}

/// Each secret appears in user_data only inside root-owned 0600 files: in exactly the one file
/// meant for it, and nowhere else in the document once those files are taken out.
fn assert_secrets_confined(user_data: &str, secrets: &[(&str, &str)]) {
    let entries = entries(user_data);
    for (secret, home) in secrets {
        let holders: Vec<&String> = entries
            .iter()
            .filter(|(_, e)| e.content.contains(secret))
            .map(|(p, _)| p)
            .collect();
        assert_eq!(holders, [home], "files holding the secret");
        let e = &entries[*home];
        assert_eq!(e.permissions, "0600");
        // cloud-init's default owner is root:root; the renderer may leave it implicit.
        assert!(matches!(e.owner.as_str(), "" | "root:root"), "{}", e.owner);
    }
    let text = cloudinit_builder::cloud_config_of(user_data).unwrap();
    let mut doc: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    let files = doc["write_files"].as_array_mut().unwrap();
    let before = files.len();
    files.retain(|f| f["permissions"].as_str() != Some("0600"));
    assert!(files.len() < before);
    let rest = doc.to_string();
    for (secret, _) in secrets {
        assert!(!rest.contains(secret), "a secret outside its 0600 file");
    }
    // The document holds each at most once (in its file, when that file is not compressed).
    for (secret, _) in secrets {
        assert!(text.matches(secret).count() <= 1);
    }
}

fn file_ending<'a>(files: &'a BTreeMap<String, String>, part: &str) -> &'a str {
    let hits: Vec<&String> = files.keys().filter(|p| p.contains(part)).collect();
    assert_eq!(hits.len(), 1, "one file under {part}: {hits:?}");
    &files[hits[0]]
}

#[tokio::test(start_paused = true)]
async fn one_server_one_firewall_one_record_and_a_rerun_creates_nothing() {
    let w = world();
    let req = request();
    let first = run(&w, &req).await;
    assert!(first.created.server && first.created.firewall && first.created.record);

    let servers = w.hetzner.servers();
    let firewalls = w.hetzner.firewalls();
    let records = w.cloudflare.dns_records(&w.zone_id);
    // One A and one AAAA record.
    assert_eq!((servers.len(), firewalls.len(), records.len()), (1, 1, 2));
    let (server, firewall) = (&servers[0], &firewalls[0]);
    let record = records
        .iter()
        .find(|r| r.record_type == RecordType::A)
        .unwrap();
    let aaaa = records
        .iter()
        .find(|r| r.record_type == RecordType::Aaaa)
        .unwrap();
    assert_eq!(Some(aaaa), first.record_v6.as_ref());
    assert_eq!(aaaa.proxied, Some(true));
    let v6: ipnet::Ipv6Net = server.public_net.ipv6.as_ref().unwrap().ip.parse().unwrap();
    assert!(v6.contains(&aaaa.content.parse::<std::net::Ipv6Addr>().unwrap()));
    assert_eq!(server.id, first.server_id);
    assert!(
        server.name.starts_with("rc-fsn1-"),
        "opaque name: {}",
        server.name
    );
    assert!(!server.name.contains("acme") && !server.name.contains("inst"));
    assert_eq!(server.labels.get("instance"), Some("inst-0042"));
    assert_eq!(firewall.id, first.firewall_id);
    assert!(
        server
            .public_net
            .firewalls
            .iter()
            .any(|f| f.id == firewall.id)
    );

    // The user_data the simulator received is the rendered preset (one gzip MIME part),
    // with 8 KiB of the 32 KiB limit to spare.
    let user_data = w.hetzner.user_data(server.id).unwrap();
    let caddy_bind = IpAddr::V4(first.ipv4.as_deref().unwrap().parse().unwrap());
    assert!(user_data.contains("\nContent-Type: application/gzip\n"));
    assert!(
        cloudinit_builder::cloud_config_of(&user_data)
            .unwrap()
            .starts_with("#cloud-config\n")
    );
    assert!(user_data.len() <= 24 * 1024, "{} bytes", user_data.len());
    assert_eq!(
        user_data,
        expected_user_data(&w, &req, first.ssh_port, caddy_bind).await
    );
    // Caddy is published on the server's primary IPv4 only (docker-bench 5.14).
    let compose = files(&user_data)["/opt/stack/docker-compose.yml"].clone();
    let bound = format!("host_ip: \"{}\"", first.ipv4.as_deref().unwrap());
    assert_eq!(compose.matches(&bound).count(), 2, "{compose}");
    assert!(!compose.contains("0.0.0.0"), "{compose}");
    assert_eq!(first.user_data_bytes, user_data.len());

    // One SSH port: firewall rule, label, sshd fragment and ssh.socket drop-in agree.
    let port = first.ssh_port.to_string();
    assert_eq!(server.labels.get(SSH_PORT_LABEL), Some(port.as_str()));
    let inbound_tcp: Vec<_> = firewall
        .rules
        .iter()
        .filter(|r| r.direction == Direction::In && r.protocol == Protocol::Tcp)
        .collect();
    let ssh_rules: Vec<_> = inbound_tcp
        .iter()
        .filter(|r| r.port.as_deref() == Some(port.as_str()))
        .collect();
    assert_eq!(ssh_rules.len(), 1, "{inbound_tcp:?}");
    assert!(
        inbound_tcp.iter().all(|r| r.port.as_deref() != Some("22")),
        "port 22 must not be open: {inbound_tcp:?}"
    );
    // The runbook's own parts are there: ready callback, backups, modules-load restart.
    let secret = req.callback_secret.as_ref().unwrap().expose();
    let s3_key = req
        .backup_credentials
        .as_ref()
        .unwrap()
        .secret_access_key()
        .expose()
        .to_owned();
    let identity = s3_key.as_str();
    assert_secrets_confined(&user_data, &[(secret, READY_ENV), (identity, BACKUP_ENV)]);
    // Only the recipient reaches the host: it cannot decrypt its own backups.
    assert!(!user_data.contains("AGE-SECRET-KEY"));
    let backup_script = &files(&user_data)[BACKUP_SCRIPT];
    assert!(backup_script.contains(req.backup_recipient.as_ref().unwrap().as_str()));
    assert!(backup_script.contains(":s3:fleet-backups/inst-0042"));
    let doc: serde_json::Value =
        serde_saphyr::from_str(&cloudinit_builder::cloud_config_of(&user_data).unwrap()).unwrap();
    let runcmd = doc["runcmd"].to_string();
    assert!(runcmd.contains("systemd-modules-load.service"), "{runcmd}");
    // No secret in labels, names, the DNS record or the summary.
    let visible = format!(
        "{:?} {} {:?} {} {:?} {:?} {first} {first:?} {req:?}",
        server.labels, server.name, firewall.labels, firewall.name, record.name, record.comment
    );
    assert!(!visible.contains(secret) && !visible.contains(identity));

    let files = files(&user_data);
    let sshd = file_ending(&files, "sshd_config.d/");
    let sshd_ports: Vec<&str> = sshd
        .lines()
        .filter_map(|l| l.strip_prefix("Port "))
        .collect();
    assert_eq!(sshd_ports, [port.as_str()]);
    let socket = file_ending(&files, "ssh.socket.d/");
    assert!(socket.contains(&format!(":{port}\n")), "{socket}");
    // The 443 rule admits Cloudflare's ranges only, the same ones Caddy allows.
    let https = inbound_tcp
        .iter()
        .find(|r| r.port.as_deref() == Some("443"))
        .unwrap();
    let ranges = w.backends.cloudflare.ips().get().await.unwrap().all();
    assert_eq!(https.source_ips.len(), ranges.len());
    let caddyfile = file_ending(&files, "Caddyfile");
    assert!(ranges.iter().all(|r| caddyfile.contains(&r.to_string())));

    // The record: proxied, for the subdomain, pointing at the server.
    assert_eq!(record.name, "acme.example.com");
    assert_eq!(record.proxied, Some(true));
    assert_eq!(Some(record.content.clone()), first.ipv4);
    assert_eq!(
        Some(record.content.as_str()),
        server.public_net.ipv4.as_ref().map(|ip| ip.ip.as_str())
    );

    // A second run finds everything and writes nothing.
    w.hetzner.clear_requests();
    let writes_before = w.cloudflare.stats().writes;
    let again = run(&w, &req).await;
    assert!(!again.created.any(), "{again:?}");
    assert!(again.updated.is_empty(), "{:?}", again.updated);
    assert_eq!(
        (
            again.server_id,
            again.firewall_id,
            &again.record.id,
            again.ssh_port
        ),
        (
            first.server_id,
            first.firewall_id,
            &first.record.id,
            first.ssh_port
        )
    );
    let hetzner_writes: Vec<_> = w
        .hetzner
        .requests()
        .into_iter()
        .filter(|r| r.method != Method::GET)
        .collect();
    assert!(hetzner_writes.is_empty(), "{hetzner_writes:?}");
    assert_eq!(w.cloudflare.stats().writes, writes_before);
    assert_eq!(w.hetzner.servers().len(), 1);
    assert_eq!(w.hetzner.firewalls().len(), 1);
    assert_eq!(w.cloudflare.dns_records(&w.zone_id).len(), 2);
}

#[tokio::test(start_paused = true)]
async fn faults_during_create_still_end_with_exactly_one_server_and_no_error() {
    let w = world();
    w.hetzner
        .inject(Fault::ServerError, Method::POST, "/servers", 1);
    w.hetzner
        .inject(Fault::RateLimited, Method::POST, "/servers", 1);
    w.hetzner
        .inject(Fault::DropConnection, Method::POST, "/servers", 1);
    w.hetzner
        .inject(Fault::DropConnection, Method::POST, "/firewalls", 1);
    w.hetzner
        .inject(Fault::BareUnavailable, Method::GET, "/actions", 2);
    w.cloudflare.inject(
        FaultRule::new(CfFault::ServerError(502))
            .method(Method::POST)
            .path_contains("dns_records"),
    );
    w.cloudflare.inject(
        FaultRule::new(CfFault::DropConnection)
            .method(Method::POST)
            .path_contains("dns_records"),
    );
    let summary = run(&w, &request()).await;

    let servers = w.hetzner.servers();
    assert_eq!(servers.len(), 1, "{servers:?}");
    assert_eq!(servers[0].id, summary.server_id);
    assert_eq!(w.hetzner.firewalls().len(), 1);
    // A and AAAA, each created once although a create's connection dropped.
    assert_eq!(w.cloudflare.dns_records(&w.zone_id).len(), 2);
    // The faults really happened: a 500, a 429 and a dropped create were answered.
    let creates: Vec<u16> = w
        .hetzner
        .requests()
        .into_iter()
        .filter(|r| r.method == Method::POST && r.path == "/servers")
        .map(|r| r.status)
        .collect();
    assert!(
        creates.contains(&500) && creates.contains(&429) && creates.contains(&0),
        "{creates:?}"
    );
    assert!(w.cloudflare.stats().faults >= 2);
    // And the flow is still idempotent afterwards.
    let again = run(&w, &request()).await;
    assert!(!again.created.any());
    assert_eq!(w.hetzner.servers().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn bad_input_is_a_typed_error_naming_the_field_and_sends_nothing() {
    let w = world();
    type Spoil = fn(&mut ProvisionRequest);
    let cases: [(&str, Spoil); 8] = [
        ("subdomain", |r| r.subdomain = "a.b".into()),
        ("instance_id", |r| r.instance_id = "Inst 42".into()),
        ("instance_id", |r| {
            r.instance_id = "3f2b8e4c-9a1d-4c2e-8f1a-2b3c4d5e6f70".into();
        }),
        ("ssh_port", |r| r.ssh_port = Some(443)),
        ("location", |r| r.location = "fsn1;rm".into()),
        ("app_image", |r| {
            r.app_image = "ghcr.io/example/app:latest".into()
        }),
        ("callback_url", |r| {
            r.callback_url = "http://control.example.com/ready".into()
        }),
        ("callback_url", |r| {
            r.callback_url = "https://control.example.com/ready;reboot".into()
        }),
    ];
    for (field, spoil) in cases {
        let mut req = request();
        spoil(&mut req);
        match provision(&w.backends, &req, &Progress::silent()).await {
            Err(Error::Invalid { field: f, reason }) => {
                assert_eq!(f, field);
                assert!(!reason.contains("not-an-age"), "the value leaked: {reason}");
            }
            other => panic!("{field}: expected Invalid, got {other:?}"),
        }
    }
    assert!(w.hetzner.requests().is_empty());
    assert_eq!(w.cloudflare.stats().requests, 0);
}

#[tokio::test(start_paused = true)]
async fn an_existing_instance_keeps_its_ssh_port() {
    let w = world();
    let mut req = request();
    req.ssh_port = Some(24_022);
    let first = run(&w, &req).await;
    assert_eq!(first.ssh_port, 24_022);
    // Without a port the labelled one is reused...
    req.ssh_port = None;
    assert_eq!(run(&w, &req).await.ssh_port, 24_022);
    // ...and a different one is refused before anything changes.
    req.ssh_port = Some(25_000);
    w.hetzner.clear_requests();
    match provision(&w.backends, &req, &Progress::silent()).await {
        Err(Error::Invalid { field, .. }) => assert_eq!(field, "ssh_port"),
        other => panic!("expected Invalid ssh_port, got {other:?}"),
    }
    assert!(w.hetzner.requests().iter().all(|r| r.method == Method::GET));
}

#[tokio::test(start_paused = true)]
async fn a_missing_zone_is_reported_before_anything_is_created() {
    let w = world();
    let mut req = request();
    req.zone = "not-there.example".into();
    let err = provision(&w.backends, &req, &Progress::silent())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::State(_)), "{err:?}");
    assert!(err.to_string().contains("not-there.example"));
    assert!(w.hetzner.servers().is_empty() && w.hetzner.firewalls().is_empty());
}

/// The value of `NAME='value'` in a decoded env file.
fn env_value(files: &BTreeMap<String, String>, path: &str, name: &str) -> String {
    let line = files[path]
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=")))
        .unwrap();
    line.trim_matches('\'').to_owned()
}

#[tokio::test(start_paused = true)]
async fn offline_runs_get_fresh_random_secrets_per_instance_kept_in_0600_files() {
    let w = world();
    let mut seen = Vec::new();
    for (id, sub) in [("inst-0101", "one"), ("inst-0102", "two")] {
        // No secrets given: the simulated run generates them.
        let req = ProvisionRequest::new(id, sub, ZONE);
        let summary = run(&w, &req).await;
        let user_data = w.hetzner.user_data(summary.server_id).unwrap();
        let files = files(&user_data);
        let secret = env_value(&files, READY_ENV, "CALLBACK_SECRET");
        let identity = env_value(&files, BACKUP_ENV, "RCLONE_S3_SECRET_ACCESS_KEY");
        assert!(secret.len() >= 32 && secret.chars().all(|c| c.is_ascii_alphanumeric()));
        assert!(identity.len() >= 32, "demo S3 keys are random");
        assert!(!user_data.contains("AGE-SECRET-KEY"));
        assert_secrets_confined(&user_data, &[(&secret, READY_ENV), (&identity, BACKUP_ENV)]);
        let printed = format!("{summary} {summary:?}");
        assert!(!printed.contains(&secret) && !printed.contains(&identity));
        seen.push((secret, identity));
    }
    assert_ne!(seen[0].0, seen[1].0, "callback secrets are per instance");
    assert_ne!(seen[0].1, seen[1].1, "demo S3 keys are per instance");
}

#[tokio::test(start_paused = true)]
async fn the_host_firewall_in_user_data_is_the_policy_the_hetzner_rules_come_from() {
    let w = world();
    let mut req = request();
    req.admin_sources = vec!["198.51.100.0/24".parse().unwrap()];
    let summary = run(&w, &req).await;
    let user_data = w.hetzner.user_data(summary.server_id).unwrap();
    // The budget had to compress files to fit: decoding them is part of what is tested.
    assert!(user_data.contains("\nContent-Type: application/gzip\n"));
    let files = files(&user_data);

    let ranges = w.backends.cloudflare.ips().get().await.unwrap().to_model();
    let policy = HostPolicy {
        ssh_port: Port::new(summary.ssh_port).unwrap(),
        admin_user: UnixUser::new(req.admin_user.as_str()).unwrap(),
        admin_key: req.admin_key.clone(),
        admin_sources: req.admin_sources.clone(),
        bastion_sources: Vec::new(),
        ssh_ca: None,
        cloudflare_ranges: ranges,
        caddy_bind: std::net::IpAddr::V4(summary.ipv4.as_deref().unwrap().parse().unwrap()),
        domain: Domain::new(req.fqdn()).unwrap(),
        images: StackImages {
            caddy: ImageRef::parse(&req.caddy_image).unwrap(),
            app: ImageRef::parse(&req.app_image).unwrap(),
            node_exporter: ImageRef::parse(&req.node_exporter_image).unwrap(),
        },
        callback_url: req.callback_url.clone(),
        callback_secret: req.callback_secret.clone().unwrap(),
        backup: backup_target(&req),
        monitoring: monitoring(),
    };
    let shown = format!("{policy:?}");
    assert!(!shown.contains(req.callback_secret.as_ref().unwrap().expose()));
    let s3_key = req.backup_credentials.as_ref().unwrap().secret_access_key();
    assert!(!shown.contains(s3_key.expose()));
    // The policy renders the same document the flow sent...
    assert_eq!(policy.user_data().unwrap().into_string(), user_data);
    // ...whose ufw, nftables and DOCKER-USER files are this policy's, byte for byte...
    let fw = policy.firewall_policy().unwrap();
    // (in the dense form the preset ships: comments dropped, address runs as loops)
    for f in [fw.ufw_script(), fw.docker_user_script()] {
        let shipped = cloudinit_builder::preset::shipped_content(&f.path, &f.content);
        assert_eq!(files.get(&f.path), Some(&shipped), "{}", f.path);
    }
    // The nftables ruleset travels in `bootcmd` (firewall first, before packages and sshd),
    // which writes it to its path: that entry carries this policy's ruleset byte for byte.
    let nft = fw.nftables_conf();
    let nft_shipped = cloudinit_builder::preset::shipped_content(&nft.path, &nft.content);
    let text = cloudinit_builder::cloud_config_of(&user_data).unwrap();
    let doc: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    let bootcmd = doc["bootcmd"].as_array().expect("bootcmd");
    assert!(
        bootcmd
            .iter()
            .filter_map(|c| c.as_str())
            .any(|c| c.contains(&nft.path) && c.contains(nft_shipped.trim_end())),
        "no bootcmd entry writes {}",
        nft.path
    );
    // ...and whose Hetzner rules are the ones on the cloud firewall.
    let want = hetzner_client::policy::rules_from_policy(&fw.hetzner_rules().unwrap()).unwrap();
    let firewall = &w.hetzner.firewalls()[0];
    assert_eq!(firewall.rules.len(), want.len());
    for rule in &want {
        assert!(
            firewall.rules.iter().any(|r| {
                let (mut a, mut b) = (r.source_ips.clone(), rule.source_ips.clone());
                a.sort();
                b.sort();
                r.direction == rule.direction && r.port == rule.port && a == b
            }),
            "{rule:?}"
        );
    }
    // The admin source restricts SSH on both.
    let port = summary.ssh_port.to_string();
    let ssh = firewall
        .rules
        .iter()
        .find(|r| r.port.as_deref() == Some(port.as_str()))
        .unwrap();
    assert_eq!(ssh.source_ips, ["198.51.100.0/24"]);
    // The monitoring server alone reaches node_exporter, on both.
    let scrape = firewall
        .rules
        .iter()
        .find(|r| r.port.as_deref() == Some("9100"))
        .expect("scrape rule");
    assert_eq!(scrape.source_ips, ["203.0.113.200/32"]);
    assert!(files["/opt/monitoring/docker-compose.yml"].contains("--web.config.file="));
}
