//! The served Cloudflare simulator works for a client we did not write: Cloudflare's official
//! Python SDK (`cloudflare`, pinned in `.ci/install-validators`) runs a zone control-plane flow
//! over real HTTP (`tests/python/cloudflare_session.py`: token verification, zones, settings,
//! DNS CRUD, filters, paging, export and batch, cache purge, bot management, rulesets of every
//! phase the fleet uses, lists and items, Origin CA, Authenticated Origin Pulls, IP ranges, and
//! the refusals Cloudflare makes). Every step must pass. Skips with a reason when the SDK is
//! missing locally; fails when `CI` is set.
#![allow(clippy::unwrap_used, clippy::print_stdout)] // tests: a failed unwrap is a failed test

use std::path::PathBuf;
use std::process::Command;

use cloudflare_client::PlanTier;
use cloudflare_client::simulator::{Simulator as CloudflareSimulator, TOKEN};
use examples::loopback;
use hardening_validators::ci_mode;
use hetzner_client::simulator::Simulator;

/// A Python that can import the SDK: the CI venv's, else the one on PATH.
fn python_with_cloudflare() -> Result<PathBuf, String> {
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.ci/venv/bin/python");
    for python in [venv, PathBuf::from("python3")] {
        let probe = Command::new(&python)
            .args(["-c", "import cloudflare; print(cloudflare.__version__)"])
            .output();
        if let Ok(out) = probe
            && out.status.success()
        {
            return Ok(python);
        }
    }
    Err("no Python with Cloudflare's SDK `cloudflare` (run .ci/install-validators)".into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloudflares_python_sdk_runs_a_zone_control_plane_flow() {
    let python = match python_with_cloudflare() {
        Ok(python) => python,
        Err(reason) => {
            assert!(!ci_mode(), "CI is set but {reason}");
            println!("skipping: {reason}");
            return;
        }
    };
    let hetzner = Simulator::new();
    let cloudflare = CloudflareSimulator::new();
    let zone = cloudflare.add_zone("example.com", PlanTier::Pro);
    let server = loopback::serve_on(&hetzner, Some(&cloudflare), 0)
        .await
        .unwrap();
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/cloudflare_session.py");
    let base_url = server.cloudflare_endpoint();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .env("CLOUDFLARE_BASE_URL", base_url)
            .env("CLOUDFLARE_API_TOKEN", TOKEN)
            .env("CLOUDFLARE_ZONE", "example.com")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    server.stop();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let summary = stdout
        .lines()
        .find(|l| l.starts_with("cloudflare-python: "))
        .unwrap_or_else(|| panic!("no summary line\nstdout:\n{stdout}\nstderr:\n{stderr}"));
    println!("{summary}");
    assert!(
        output.status.success() && summary.ends_with(" passed, 0 failed"),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let passed: u32 = summary
        .trim_start_matches("cloudflare-python: ")
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(passed >= 90, "the flow shrank to {passed} steps");
    // What the SDK did is visible in the simulator's own state.
    assert!(cloudflare.origin_pulls(&zone));
    assert_eq!(cloudflare.certificates().len(), 2);
    assert_eq!(
        cloudflare.list_items("admin_ips").unwrap(),
        ["198.51.100.0/24", "203.0.113.7"]
    );
    assert_eq!(cloudflare.dns_records(&zone).len(), 6);
    assert_eq!(cloudflare.purges(&zone).len(), 2);
}
