//! Every operational example runs out of the box (offline, with its defaults), so an example
//! broken by a change fails CI; bad input prints a Display chain naming the flag and writes
//! nothing; `RUST_LOG` reaches the libraries' events.
//!
//! The examples are built by `cargo test` next to this test's binary (`target/<profile>/
//! examples/`). Benchmarks are left out (they are timed runs), as are `audit` (it needs a
//! host's files) and `serve-simulator` (a server that runs until stopped).

use std::path::PathBuf;
use std::process::{Command, Output};

/// The examples that must succeed with no argument at all.
const OUT_OF_THE_BOX: &[&str] = &[
    "provision",
    "quarantine",
    "retire",
    "restore",
    "cleanup-snapshots",
    "ssh-keys",
    "harden-zone",
    "render-artifacts",
];

fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/<test> -> target/<profile>/examples/<name>
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir")
        .join("examples");
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "{} is missing: run `cargo test -p examples` (which builds the examples)",
        path.display()
    );
    path
}

fn run(name: &str, args: &[&str], cwd: &std::path::Path, rust_log: Option<&str>) -> Output {
    let mut cmd = Command::new(example(name));
    cmd.args(args)
        .current_dir(cwd)
        .env_remove("HCLOUD_TOKEN")
        .env_remove("CLOUDFLARE_API_TOKEN")
        .env_remove("RUST_LOG");
    if let Some(filter) = rust_log {
        cmd.env("RUST_LOG", filter);
    }
    cmd.output().expect("example starts")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn every_example_runs_with_its_defaults() {
    let mut failed = Vec::new();
    for name in OUT_OF_THE_BOX {
        let dir = tempfile::tempdir().unwrap();
        let out = run(name, &[], dir.path(), None);
        if !out.status.success() {
            failed.push(format!("{name}: {}\n{}", out.status, text(&out.stderr)));
        }
    }
    assert!(
        failed.is_empty(),
        "examples broken out of the box:\n{}",
        failed.join("\n")
    );
}

#[test]
fn bad_input_prints_a_display_chain_naming_the_flag_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "provision",
            &["--admin-user", "root", "--callback-secret-file", "cb"],
            "invalid admin_user:",
        ),
        (
            "provision",
            &["--admin-cidr", "10.0.0.1/8", "--backup-identity-file", "id"],
            "invalid admin_cidr[0]:",
        ),
        (
            "provision",
            &["--instance-id", "Bad Id", "--callback-secret-file", "cb"],
            "invalid instance_id:",
        ),
        (
            "provision",
            &[
                "--hetzner-ssh-key",
                " padded",
                "--callback-secret-file",
                "cb",
            ],
            "invalid hetzner_ssh_key[0]:",
        ),
        (
            "restore",
            &["--object", "../../etc/passwd"],
            "invalid object:",
        ),
        (
            "cleanup-snapshots",
            &["--older-than-hours", "18446744073709551615", "--yes"],
            "invalid older_than_hours:",
        ),
        ("retire", &["--subdomain", "a.b"], "invalid subdomain:"),
        ("quarantine", &["--zone", "not a zone"], "invalid zone:"),
    ];
    for (name, args, want) in cases {
        let out = run(name, args, dir.path(), None);
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{name} {args:?} succeeded");
        let error = stderr
            .lines()
            .find(|l| l.starts_with("error: "))
            .unwrap_or_else(|| panic!("{name} {args:?}: no error line in {stderr}"));
        assert!(
            error.starts_with(&format!("error: {want}")),
            "{name} {args:?}: {error}"
        );
        assert!(!stderr.contains("Invalid {"), "Debug output: {stderr}");
        assert!(
            !stderr.contains("==>"),
            "{name} {args:?} started work: {stderr}"
        );
    }
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "files written: {left:?}");
}

#[test]
fn rust_log_shows_the_libraries_events() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--older-than-hours", "48", "--yes"];
    let quiet = run("cleanup-snapshots", &args, dir.path(), None);
    assert!(quiet.status.success());
    assert!(!text(&quiet.stderr).contains("deleted stale snapshot"));
    let loud = run(
        "cleanup-snapshots",
        &args,
        dir.path(),
        Some("hetzner_client=info"),
    );
    assert!(loud.status.success());
    assert!(
        text(&loud.stderr).contains("deleted stale snapshot"),
        "{}",
        text(&loud.stderr)
    );
}
