//! The served simulators work for clients we did not write: Hetzner's official Python library
//! (`hcloud`, pinned in `.ci/install-validators`) creates, reads, lists, changes and deletes
//! servers, SSH keys, firewalls, primary and floating IPs, placement groups, volumes,
//! networks, a load balancer and a DNS zone over real HTTP, and plain HTTP requests reach the
//! Cloudflare simulator on the same port. Skips with a reason when the library is missing
//! locally; fails when `CI` is set.
#![allow(clippy::unwrap_used, clippy::print_stdout)] // tests: a failed unwrap is a failed test

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use examples::loopback;
use hetzner_client::simulator::{SIMULATOR_TOKEN, Simulator};

/// A Python that can import `hcloud`: the CI venv's, else the one on PATH.
fn python_with_hcloud() -> Result<PathBuf, String> {
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.ci/venv/bin/python");
    let candidates = [venv, PathBuf::from("python3")];
    for python in candidates {
        let probe = Command::new(&python)
            .args(["-c", "import hcloud; print(hcloud.__version__)"])
            .output();
        if let Ok(out) = probe
            && out.status.success()
        {
            return Ok(python);
        }
    }
    Err("no Python with the hcloud library (run .ci/install-validators)".into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hetzners_python_library_works_against_the_served_simulator() {
    let python = match python_with_hcloud() {
        Ok(python) => python,
        Err(reason) => {
            assert!(std::env::var_os("CI").is_none(), "CI is set but {reason}");
            println!("skipping: {reason}");
            return;
        }
    };
    let sim = Simulator::new();
    sim.set_action_duration(Duration::from_millis(200));
    let cloudflare = cloudflare_client::simulator::Simulator::new();
    let server = loopback::serve_on(&sim, Some(&cloudflare), 0)
        .await
        .unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/hcloud_session.py");
    let endpoint = server.endpoint();
    // a real certificate and key to upload (openssl is installed with the validators)
    let Some(pki) = hardening_validators::test_pki() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, &pki.cert_pem).unwrap();
    std::fs::write(&key, &pki.key_pem).unwrap();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .env("HCLOUD_ENDPOINT", endpoint)
            .env("HCLOUD_TOKEN", SIMULATOR_TOKEN)
            .env("CERT_FILE", cert)
            .env("KEY_FILE", key)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if let Some(count) = stdout.lines().find(|l| l.starts_with("hcloud-python:")) {
        println!("{count}");
    }
    assert!(
        output.status.success()
            && stdout.contains("hcloud-session: ok")
            && stdout.contains(", 0 failed"),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    // what the library did is visible in the simulator's own state
    let servers = sim.servers();
    assert!(servers.is_empty(), "the session deletes its server");
    assert!(sim.requests().iter().any(|r| r.path == "/primary_ips"));
    assert_eq!(sim.ssh_keys().len(), 1);
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_port_serves_both_apis_to_a_plain_http_client() {
    let sim = Simulator::new();
    let cloudflare = cloudflare_client::simulator::Simulator::new();
    let zone = cloudflare.add_zone("example.com", cloudflare_client::PlanTier::Free);
    let server = loopback::serve_on(&sim, Some(&cloudflare), 0)
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let hetzner: serde_json::Value = http
        .get(format!("{}/locations?name=fsn1", server.endpoint()))
        .bearer_auth(SIMULATOR_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(hetzner["locations"][0]["name"], "fsn1");
    // pagination links point back at this server, as the API's point at itself
    let paged = http
        .get(format!("{}/locations?per_page=2", server.endpoint()))
        .bearer_auth(SIMULATOR_TOKEN)
        .send()
        .await
        .unwrap();
    let link = paged.headers()["link"].to_str().unwrap().to_owned();
    let endpoint = server.endpoint();
    assert_eq!(
        link,
        format!(
            "<{endpoint}/locations?per_page=2&page=2>; rel=\"next\", <{endpoint}/locations?per_page=2&page=3>; rel=\"last\""
        )
    );
    // a 204 crosses HTTP bare: no body, no Content-Type
    let key = http
        .post(format!("{endpoint}/ssh_keys"))
        .bearer_auth(SIMULATOR_TOKEN)
        .json(&serde_json::json!({"name": "k", "public_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl k"}))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let deleted = http
        .delete(format!("{endpoint}/ssh_keys/{}", key["ssh_key"]["id"]))
        .bearer_auth(SIMULATOR_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert!(deleted.headers().get("content-type").is_none());
    assert!(deleted.bytes().await.unwrap().is_empty());
    let zones = http
        .get(format!("{}/zones", server.cloudflare_endpoint()))
        .bearer_auth(cloudflare_client::simulator::TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(zones.status(), 200);
    let zones: serde_json::Value = zones.json().await.unwrap();
    assert_eq!(zones["result"][0]["id"], zone.as_str());
    let unknown = http
        .get(format!("http://{}/client/v5/zones", server.addr))
        .bearer_auth(SIMULATOR_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    server.stop();
}
