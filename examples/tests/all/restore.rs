//! The restore flow for real: the preset's backup script uploads a data directory to a real S3
//! server on 127.0.0.1 (`s3s-fs`), encrypted to a recipient derived from the operator's
//! identity; a changed stored object fails the restore with nothing written to the target; the
//! untouched object restores through the preset's restore script, byte for byte, with only the
//! app stopped, and ends with the app's health check: healthy, unhealthy (with the probe's last
//! output) and not healthy in time are each reported. No Docker daemon runs here: a `docker`
//! stand-in records the argv and answers the health status.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cloudinit_builder::Secret;
use cloudinit_builder::preset::{BackupTarget, Backups, ObjectStore, S3Credentials};
use examples::restore::{Health, HostAccess, RestorePlan, execute};
use examples::secrets::{age_identity, age_recipient, load_or_create};
use examples::{Error, Progress};
use hardening_validators::{S3_ACCESS_KEY, S3_SECRET_KEY};

const INSTANCE: &str = "inst-0042";

fn find(tool: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(tool))
            .find(|f| f.is_file())
    })
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A `docker` stand-in logging its arguments, in its own directory. `compose ps` names one
/// container; `docker inspect` answers the health status from `DIR/health` (and Docker's
/// `.State.Health` JSON from `DIR/health.json`).
fn shim(dir: &Path) -> (PathBuf, PathBuf) {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = dir.join("docker.log");
    let d = dir.display();
    std::fs::write(
        bin.join("docker"),
        format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\ncase \"$1 $2\" in\n\
             'compose ps') echo c0ffee ;;\n\
             'inspect --format') case \"$3\" in *json*) cat '{d}/health.json' ;; *) cat '{d}/health' ;; esac ;;\n\
             esac\nexit 0\n",
            log.display()
        ),
    )
    .unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(bin.join("docker"))
        .status()
        .unwrap();
    (bin, log)
}

/// Every file under `dir`, by relative path, with its bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

#[test]
fn back_up_tamper_fails_with_nothing_written_then_restore_compares_equal() {
    let (Some(keygen), Some(_), Some(_)) = (find("age-keygen"), find("age"), find("rclone")) else {
        assert!(
            !hardening_validators::ci_mode(),
            "age or rclone not installed, and CI is set (.ci/install-validators installs them)"
        );
        eprintln!("skipping: age or rclone not installed (apt-get install age rclone)");
        return;
    };
    let Some(s3) = hardening_validators::s3_server() else {
        return;
    };
    s3.create_bucket("fleet-backups");
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();

    // The operator's identity, in a 0600 file; the host gets the recipient, which must be what
    // age itself derives.
    let identity_file = root.join("operator/identity.age");
    std::fs::create_dir_all(identity_file.parent().unwrap()).unwrap();
    let (identity, _) = load_or_create("backup_identity", &identity_file, age_identity).unwrap();
    let recipient = age_recipient(&identity).unwrap();
    let by_age = ok(&Command::new(&keygen)
        .arg("-y")
        .arg(&identity_file)
        .output()
        .unwrap());
    assert_eq!(by_age.trim(), recipient.as_str());

    let store = ObjectStore::new(&s3.endpoint(), "fleet-backups", "fsn1")
        .unwrap()
        .prefix(INSTANCE)
        .unwrap();
    let credentials = S3Credentials::new(
        Secret::new(S3_ACCESS_KEY).unwrap(),
        Secret::new(S3_SECRET_KEY).unwrap(),
    );
    let target = BackupTarget::new(recipient, store.clone(), credentials.clone());

    // The lost host: its data, backed up by the preset's script.
    let old = root.join("old");
    let data = old.join("volumes/stack_app_data/_data");
    std::fs::create_dir_all(data.join("uploads/2026")).unwrap();
    let blob: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(data.join("db.sqlite"), &blob).unwrap();
    std::fs::write(
        data.join("uploads/2026/invoice.pdf"),
        b"%PDF-1.7 customer invoice",
    )
    .unwrap();
    std::fs::write(data.join(".env.local"), "FEATURE=on\n").unwrap();
    let (old_bin, _) = shim(&old);
    let backup = Backups::new(
        data.to_str().unwrap(),
        old.to_str().unwrap(),
        target.clone(),
    )
    .unwrap()
    .state_dir(old.join("state").to_str().unwrap())
    .unwrap();
    let script = old.join("backup.sh");
    std::fs::write(&script, backup.backup_script()).unwrap();
    let path = format!("{}:{}", old_bin.display(), std::env::var("PATH").unwrap());
    ok(&Command::new("bash")
        .arg(&script)
        .env("PATH", &path)
        .env_remove("AWS_CA_BUNDLE")
        .env("RCLONE_S3_ACCESS_KEY_ID", S3_ACCESS_KEY)
        .env("RCLONE_S3_SECRET_ACCESS_KEY", S3_SECRET_KEY)
        .output()
        .unwrap());
    let prefix_dir = s3.root().join("fleet-backups").join(INSTANCE);
    let stored = std::fs::read_dir(&prefix_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "age"))
        .unwrap();
    let original = std::fs::read(&stored).unwrap();

    // The fresh host: its (empty, freshly created) volume and the preset's restore script,
    // run here through `env PATH=... bash` instead of over SSH.
    let fresh = root.join("fresh");
    let fresh_data = fresh.join("volumes/stack_app_data/_data");
    std::fs::create_dir_all(&fresh_data).unwrap();
    std::fs::write(fresh_data.join("placeholder"), "created by first boot\n").unwrap();
    let (fresh_bin, fresh_log) = shim(&fresh);
    let restore = Backups::new(
        fresh_data.to_str().unwrap(),
        fresh.to_str().unwrap(),
        target,
    )
    .unwrap()
    .restore_script();
    let local = vec![
        "env".to_owned(),
        format!(
            "PATH={}:{}",
            fresh_bin.display(),
            std::env::var("PATH").unwrap()
        ),
        "bash".to_owned(),
    ];
    let workdir = root.join("operator/work");
    let plan = RestorePlan::new(
        INSTANCE,
        store,
        &identity_file,
        &workdir,
        HostAccess::Local { command: local },
        restore,
    )
    .unwrap();
    let before = tree(&fresh_data);

    // One flipped byte in the stored copy: the restore fails before the host sees anything.
    let mut tampered = original.clone();
    let mid = tampered.len() / 2;
    tampered[mid] ^= 0x20;
    std::fs::write(&stored, &tampered).unwrap();
    match execute(&plan, &credentials, &Progress::silent()) {
        Err(Error::Command { step, .. }) => {
            assert!(step == "decrypt" || step == "download", "{step}");
        }
        other => panic!("a tampered object must fail the restore, got {other:?}"),
    }
    assert_eq!(tree(&fresh_data), before, "nothing written to the target");
    assert!(!fresh_log.exists(), "the host's stack was not touched");
    assert_eq!(
        std::fs::read_dir(&workdir).unwrap().count(),
        0,
        "no plaintext left"
    );
    // Truncation is caught the same way.
    std::fs::write(&stored, &original[..original.len() - 64]).unwrap();
    assert!(execute(&plan, &credentials, &Progress::silent()).is_err());
    assert_eq!(tree(&fresh_data), before);

    // The untouched copy restores, byte for byte, with the app stopped around the swap, and
    // the app's health check passes.
    std::fs::write(&stored, &original).unwrap();
    std::fs::write(fresh.join("health"), "healthy\n").unwrap();
    let done = execute(&plan, &credentials, &Progress::silent()).unwrap();
    assert_eq!(
        done.health,
        Health::Healthy {
            services: vec!["app".to_owned()],
            running: vec![],
        }
    );
    assert_eq!(
        done.steps,
        ["list", "download", "decrypt", "check", "restore"]
    );
    assert_eq!(done.encrypted_bytes, original.len() as u64);
    assert_eq!(tree(&fresh_data), tree(&data));
    assert_eq!(
        std::fs::read_to_string(&fresh_log).unwrap(),
        "compose stop app\ncompose start app\ncompose ps -aq app\n\
         inspect --format {{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}} c0ffee\n",
        "only the app stops (Caddy keeps serving); its container's health is asked after the start"
    );
    assert_eq!(
        std::fs::read_dir(&workdir).unwrap().count(),
        0,
        "no plaintext left"
    );
    // The previous content is kept beside the volume, not deleted.
    assert!(
        fresh
            .join("volumes/stack_app_data/.previous-_data/placeholder")
            .exists()
    );

    // The same restore with a failing health check: the data is in place, and the report
    // carries the probe's last output instead of an error.
    std::fs::write(fresh.join("health"), "unhealthy\n").unwrap();
    std::fs::write(
        fresh.join("health.json"),
        r#"{"Status":"unhealthy","FailingStreak":3,"Log":[{"ExitCode":1,"Output":"starting"},{"ExitCode":1,"Output":"GET /healthz: database is locked\n"}]}"#,
    )
    .unwrap();
    let sick = execute(&plan, &credentials, &Progress::silent()).unwrap();
    assert_eq!(
        sick.health,
        Health::Unhealthy {
            service: "app".to_owned(),
            last_output: "GET /healthz: database is locked".to_owned(),
            exit_code: Some(1),
        }
    );
    assert!(!sick.health.is_healthy());
    assert_eq!(tree(&fresh_data), tree(&data));

    // A container that never leaves `starting`: the bounded wait ends and says so.
    std::fs::write(fresh.join("health"), "starting\n").unwrap();
    let HostAccess::Local { command } = &plan.host else {
        unreachable!()
    };
    let mut slow = plan.clone();
    let mut short = vec![command[0].clone(), "RESTORE_HEALTH_TIMEOUT=1".to_owned()];
    short.extend(command[1..].iter().cloned());
    slow.host = HostAccess::Local { command: short };
    let late = execute(&slow, &credentials, &Progress::silent()).unwrap();
    assert_eq!(
        late.health,
        Health::TimedOut {
            service: "app".to_owned(),
            status: "starting".to_owned(),
        }
    );
    assert_eq!(
        std::fs::read_dir(&workdir).unwrap().count(),
        0,
        "no plaintext left"
    );

    s3.stop();
}
