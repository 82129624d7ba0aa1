//! Hetzner's own `hcloud` CLI (Debian's `hcloud-cli`, built on hcloud-go, installed by
//! `.ci/install-validators`) drives an operator's session against the served simulator,
//! unchanged: catalog lookups, SSH keys, firewalls (rules, label selectors, servers), placement
//! groups, primary and floating IPs, networks, servers and their actions (protection, rescue,
//! power, resize, rebuild, snapshots), volumes, certificates (one read from a real PEM) and
//! load balancers. The session is `tests/hcloud-cli/operator-flow.txt`; the test prints
//! `hcloud-cli: N passed, M failed` and fails unless every command did what the file expects.
//! Skips with a reason when `hcloud` is missing locally; fails when `CI` is set.
#![allow(clippy::unwrap_used, clippy::print_stdout)] // tests: a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use examples::loopback;
use hardening_validators::{HcloudCli, hcloud_cli, test_pki};
use hetzner_client::simulator::{SIMULATOR_TOKEN, Simulator};

/// One line of the session file.
#[derive(Debug)]
struct Step {
    line: usize,
    args: Vec<String>,
    must_fail: bool,
    keep_as: Option<String>,
}

/// Splits a line into arguments: whitespace separates, single quotes keep spaces.
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in text.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    out.push(std::mem::take(&mut current));
                    any = false;
                }
            }
            c => {
                current.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(current);
    }
    out
}

fn steps(text: &str) -> Vec<Step> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(i, l)| {
            let mut rest = l.trim();
            let must_fail = rest.starts_with("! ");
            if must_fail {
                rest = rest[2..].trim_start();
            }
            let mut keep_as = None;
            if let Some(named) = rest.strip_prefix('=') {
                let (name, command) = named.split_once(' ').unwrap();
                keep_as = Some(name.to_owned());
                rest = command;
            }
            Step {
                line: i + 1,
                args: words(rest),
                must_fail,
                keep_as,
            }
        })
        .collect()
}

/// The first run of digits in `text`.
fn first_number(text: &str) -> Option<String> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let digits: String = text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some(digits)
}

/// Runs every step; returns (passed, failures as text).
fn run_session(
    cli: &HcloudCli,
    endpoint: &str,
    dir: &Path,
    session: &[Step],
) -> (usize, Vec<String>) {
    let mut kept: BTreeMap<String, String> = BTreeMap::new();
    let mut passed = 0;
    let mut failures = Vec::new();
    for step in session {
        let args: Vec<String> = step
            .args
            .iter()
            .map(|a| {
                let mut a = a.replace("{dir}", &dir.display().to_string());
                for (name, value) in &kept {
                    a = a.replace(&format!("${name}"), value);
                }
                a
            })
            .collect();
        let output = cli
            .command(endpoint, SIMULATOR_TOKEN, dir)
            .arg("--poll-interval")
            .arg("50ms")
            .args(&args)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let ok = output.status.success() != step.must_fail;
        if let Some(name) = &step.keep_as
            && let Some(number) = first_number(&stdout)
        {
            kept.insert(name.clone(), number);
        }
        if ok {
            passed += 1;
        } else {
            failures.push(format!(
                "line {}: hcloud {} ({}, expected {}):\n{stdout}{stderr}",
                step.line,
                args.join(" "),
                output.status,
                if step.must_fail { "failure" } else { "success" },
            ));
        }
    }
    (passed, failures)
}

#[test]
fn session_lines_are_split_like_a_shell_would() {
    assert_eq!(words("a  'b c' d''"), ["a", "b c", "d"]);
    assert_eq!(words("x ''"), ["x", ""]);
    let parsed =
        steps("# note\n\n! server delete x\n=snap server create-image x --type snapshot\n");
    assert_eq!(parsed.len(), 2);
    assert!(parsed[0].must_fail && parsed[0].line == 3);
    assert_eq!(parsed[1].keep_as.as_deref(), Some("snap"));
    assert_eq!(parsed[1].args[0], "server");
    assert_eq!(
        first_number("Image 1042 created from server 7").as_deref(),
        Some("1042")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hcloud_cli_runs_an_operator_session_against_the_served_simulator() {
    let Some(cli) = hcloud_cli() else {
        return;
    };
    let Some(pki) = test_pki() else {
        return;
    };
    let sim = Simulator::new();
    sim.set_action_duration(Duration::from_millis(100));
    let server = loopback::serve_on(&sim, None, 0).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cert.pem"), &pki.cert_pem).unwrap();
    write_private(&dir.path().join("key.pem"), &pki.key_pem);
    std::fs::write(
        dir.path().join("rules.json"),
        r#"[{"direction": "in", "protocol": "tcp", "port": "48213",
             "source_ips": ["198.51.100.0/24", "2001:db8::/32"], "description": "ssh"},
            {"direction": "in", "protocol": "icmp", "source_ips": ["0.0.0.0/0", "::/0"]}]"#,
    )
    .unwrap();
    let text = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/hcloud-cli/operator-flow.txt"),
    )
    .unwrap();
    let session = steps(&text);
    let endpoint = server.endpoint();
    let path = dir.path().to_path_buf();
    let (passed, failures) =
        tokio::task::spawn_blocking(move || run_session(&cli, &endpoint, &path, &session))
            .await
            .unwrap();
    println!("hcloud-cli: {passed} passed, {} failed", failures.len());
    server.stop();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(passed >= 140, "the session runs every command ({passed})");
    // what the CLI did is the simulator's state: everything it made, it deleted
    assert!(sim.servers().is_empty() && sim.firewalls().is_empty() && sim.ssh_keys().is_empty());
    let uploaded = sim
        .requests()
        .into_iter()
        .filter(|r| r.path == "/certificates" && r.status == 201)
        .count();
    assert_eq!(uploaded, 2, "the uploaded and the managed certificate");
}

/// Writes the test key readable by its owner only.
fn write_private(path: &Path, text: &str) {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .unwrap();
    file.write_all(text.as_bytes()).unwrap();
}
