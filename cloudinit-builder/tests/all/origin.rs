//! Authenticated Origin Pulls at the origin: the runbook preset makes Caddy require the
//! client certificate by default, mounts the CA into the Caddy container, and installs
//! Cloudflare's CA at first boot only when its fingerprint is the pinned one. The install
//! script runs here with real curl and openssl against a loopback server.

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::process::Command;

use cloudinit_builder::preset::{
    CUSTOM_ORIGIN_PULL_CA, HardenedHost, OriginPullTrust, origin_pull_fetch_script,
};
use hardening_model::caddy::OriginPull;
use hardening_model::presets::stack;

use crate::fixtures::{self, FULL};

fn text(host: &HardenedHost, path: &str) -> String {
    let config = host.cloud_config().unwrap();
    let file = config.files().iter().find(|f| f.path() == path);
    file.unwrap_or_else(|| panic!("{path} is not written"))
        .text()
        .unwrap()
        .to_owned()
}

fn stack_commands(host: &HardenedHost) -> String {
    let config = host.cloud_config().unwrap();
    let lines: Vec<String> = config
        .commands()
        .iter()
        .map(|c| c.to_shell().into_owned())
        .collect();
    lines.join("\n")
}

#[test]
fn the_default_requires_cloudflares_client_certificate() {
    let host = fixtures::host(FULL);
    let caddyfile = text(&host, stack::CADDYFILE_HOST_PATH);
    assert!(
        caddyfile.contains(&format!(
            "client_auth {{\n\t\t\tmode require_and_verify\n\t\t\ttrust_pool file {}\n",
            OriginPull::CLOUDFLARE_CA_PATH
        )),
        "{caddyfile}"
    );
    // Bind-mounted read-only; Docker never creates a missing source as a directory.
    let compose = text(&host, stack::COMPOSE_PATH);
    let mount = format!(
        "create_host_path: false\n      read_only: true\n      source: {0}\n      target: {0}\n",
        OriginPull::CLOUDFLARE_CA_PATH
    );
    assert!(compose.contains(&mount), "{compose}");
    let commands = stack_commands(&host);
    assert!(
        commands.contains(OriginPull::CLOUDFLARE_CA_SHA256),
        "{commands}"
    );
    // Installed before the containers start (Caddy would fail on a missing trust pool).
    let fetch = commands.find(OriginPull::CLOUDFLARE_CA_URL).unwrap();
    let up = commands.find("up -d --wait").unwrap();
    assert!(fetch < up, "{commands}");
}

#[test]
fn a_custom_ca_is_written_and_nothing_is_fetched() {
    let pem = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n";
    let inputs = fixtures::inputs(FULL).origin_pull(Some(OriginPullTrust::custom(pem).unwrap()));
    let host = HardenedHost::runbook(&inputs).unwrap();
    assert_eq!(text(&host, CUSTOM_ORIGIN_PULL_CA), pem);
    assert!(
        text(&host, stack::CADDYFILE_HOST_PATH)
            .contains(&format!("trust_pool file {CUSTOM_ORIGIN_PULL_CA}"))
    );
    assert!(!stack_commands(&host).contains(OriginPull::CLOUDFLARE_CA_URL));
}

#[test]
fn switched_off_the_origin_requires_no_certificate() {
    let host = HardenedHost::runbook(&fixtures::inputs(FULL).origin_pull(None)).unwrap();
    assert!(!text(&host, stack::CADDYFILE_HOST_PATH).contains("client_auth"));
    assert!(!text(&host, stack::COMPOSE_PATH).contains("origin-pull"));
}

/// Serves `body` to every request on 127.0.0.1 (a bounded number of connections).
fn serve(body: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(8) {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}/ca.pem")
}

fn fingerprint(pem: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ca.pem");
    std::fs::write(&path, pem).unwrap();
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
        .arg(&path)
        .output()
        .unwrap();
    let line = String::from_utf8(out.stdout).unwrap();
    line.trim().split('=').nth(1).unwrap().replace(':', "")
}

#[test]
fn the_install_script_keeps_only_the_pinned_certificate() {
    if hardening_validators::require_tool("curl", "apt-get install curl").is_none() {
        return;
    }
    let Some(good) = hardening_validators::test_client_pki("pinned origin-pull CA") else {
        return;
    };
    let other = hardening_validators::test_client_pki("another CA").unwrap();
    let pinned = fingerprint(&good.ca_pem);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("origin-pull-ca.pem");
    let run = |url: &str| {
        let script = origin_pull_fetch_script(url, &pinned, dest.to_str().unwrap()).unwrap();
        Command::new("sh").arg("-c").arg(script).output().unwrap()
    };

    let refused = run(&serve(other.ca_pem.clone()));
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("is not the pinned"), "{stderr}");
    assert!(
        !dest.exists(),
        "a certificate with another fingerprint was installed"
    );
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "download left behind"
    );

    let installed = run(&serve(good.ca_pem.clone()));
    assert!(
        installed.status.success(),
        "{}",
        String::from_utf8_lossy(&installed.stderr)
    );
    assert_eq!(std::fs::read_to_string(&dest).unwrap(), good.ca_pem);
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644);
}

#[test]
fn caddy_is_published_on_one_address_never_on_all() {
    let compose = text(&fixtures::host(FULL), stack::COMPOSE_PATH);
    assert_eq!(
        compose.matches("host_ip: \"203.0.113.10\"").count(),
        2,
        "{compose}"
    );
    for every in ["0.0.0.0", "::"] {
        let inputs = fixtures::inputs_binding(FULL, every.parse().unwrap());
        let err = HardenedHost::runbook(&inputs).unwrap_err().to_string();
        assert!(err.contains("bind_ip"), "{every}: {err}");
    }
}
