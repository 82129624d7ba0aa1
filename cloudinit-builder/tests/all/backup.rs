//! The backup and verify scripts run for real (bash, tar, age, sha256sum and rclone) against a
//! temporary data directory and a real S3 server on 127.0.0.1 (`s3s-fs`), with a stand-in for
//! `docker` (no Docker daemon in the test environment; the shim records the argv): only the data
//! services stop, the seconds they were stopped are recorded, the upload is encrypted to the
//! recipient only, verification passes, a changed stored object fails it, and a failed upload is
//! recorded and still restarts the services.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cloudinit_builder::Secret;
use cloudinit_builder::age::AgeRecipient;
use cloudinit_builder::preset::{BackupTarget, Backups, ObjectStore, S3Credentials};
use std::time::Duration;

use hardening_model::backup::{JobResult, JobStatus, QUIESCE_METRIC};
use hardening_validators::{S3_ACCESS_KEY, S3_SECRET_KEY};

fn find(tool: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(tool))
            .find(|f| f.is_file())
    })
}

/// Runs `script` as systemd would: the credentials from the env file, the shim first on PATH.
/// `AWS_CA_BUNDLE` (set on some build machines) makes rclone's S3 client refuse to start.
fn run(script: &Path, secret_key: &str, shim: &Path) -> Output {
    let path = format!("{}:{}", shim.display(), std::env::var("PATH").unwrap());
    // rclone retries refused requests (3 times, each with 10 low-level retries): once is enough
    // to see a refusal here.
    Command::new("bash")
        .env("RCLONE_RETRIES", "1")
        .env("RCLONE_LOW_LEVEL_RETRIES", "1")
        .arg(script)
        .env("PATH", path)
        .env_remove("AWS_CA_BUNDLE")
        .env("RCLONE_S3_ACCESS_KEY_ID", S3_ACCESS_KEY)
        .env("RCLONE_S3_SECRET_ACCESS_KEY", secret_key)
        .output()
        .unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn status(path: &Path) -> JobStatus {
    JobStatus::parse(&std::fs::read_to_string(path).unwrap())
}

#[test]
fn backups_go_off_host_encrypted_to_the_recipient_and_verification_catches_changes() {
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
    let data = root.join("srv/app/data");
    std::fs::create_dir_all(data.join("sub")).unwrap();
    std::fs::write(data.join("db.sqlite"), vec![42u8; 200_000]).unwrap();
    std::fs::write(data.join("sub/notes.txt"), "customer data\n").unwrap();
    let shim = root.join("shim");
    std::fs::create_dir_all(&shim).unwrap();
    let log = root.join("docker.log");
    let docker = shim.join("docker");
    std::fs::write(
        &docker,
        format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\nif [ \"$1\" = volume ]; then echo '{}'; fi\n\
             if [ \"$2\" = stop ]; then sleep 1; fi\n",
            log.display(),
            data.display()
        ),
    )
    .unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(&docker)
        .status()
        .unwrap();

    // The operator's key pair: only the recipient goes into the part.
    let identity_file = root.join("operator-identity.txt");
    let out = Command::new(&keygen)
        .arg("-o")
        .arg(&identity_file)
        .output()
        .unwrap();
    ok(&out);
    let recipient = ok(&Command::new(&keygen)
        .arg("-y")
        .arg(&identity_file)
        .output()
        .unwrap());
    let recipient = AgeRecipient::new(recipient.trim()).unwrap();
    let store = ObjectStore::new(&s3.endpoint(), "fleet-backups", "fsn1")
        .unwrap()
        .prefix("fleet/inst-test")
        .unwrap();
    let credentials = S3Credentials::new(
        Secret::new(S3_ACCESS_KEY).unwrap(),
        Secret::new(S3_SECRET_KEY).unwrap(),
    );
    let state = root.join("state");
    let textfile = root.join("textfile");
    std::fs::create_dir_all(&textfile).unwrap();
    let part = Backups::volume(
        "stack_app_data",
        root.join("srv/app").to_str().unwrap(),
        BackupTarget::new(recipient, store, credentials),
    )
    .unwrap()
    .state_dir(state.to_str().unwrap())
    .unwrap()
    .metrics_dir(textfile.to_str().unwrap())
    .unwrap();
    let identity = std::fs::read_to_string(&identity_file).unwrap();
    for text in [
        part.backup_script(),
        part.verify_script(),
        part.restore_script(),
    ] {
        assert!(!text.contains("AGE-SECRET-KEY") && !text.contains(S3_SECRET_KEY));
    }
    let backup = root.join("backup.sh");
    let verify = root.join("verify.sh");
    std::fs::write(&backup, part.backup_script()).unwrap();
    std::fs::write(&verify, part.verify_script()).unwrap();

    ok(&run(&backup, S3_SECRET_KEY, &shim));
    let calls = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        calls,
        "volume inspect --format {{ .Mountpoint }} stack_app_data\ncompose stop app\ncompose start app\n",
        "the real mount point; only the app stopped and started, Caddy untouched"
    );
    let last = status(&state.join("last-backup"));
    assert_eq!(last.result, JobResult::Pass);
    // The shim's `compose stop` takes a second: the recorded downtime covers it, and no more
    // than the archive of a small directory adds.
    let quiesce = last.quiesce.expect("quiesce_seconds recorded");
    assert!(
        quiesce >= Duration::from_secs(1) && quiesce < Duration::from_secs(30),
        "{quiesce:?}"
    );
    let metric = std::fs::read_to_string(textfile.join("hardened-backup.prom")).unwrap();
    let value: f64 = metric
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{QUIESCE_METRIC} ")))
        .unwrap()
        .parse()
        .unwrap();
    assert!((value - quiesce.as_secs_f64()).abs() < 0.01, "{metric}");
    assert!(metric.contains(&format!("# TYPE {QUIESCE_METRIC} gauge")));
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(textfile.join("hardened-backup.prom"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644, "node_exporter reads it");
    }
    let object = last.object.clone().unwrap();
    assert!(object.starts_with("fleet/inst-test/backup-") && object.ends_with(".tar.gz.age"));
    let manifest = std::fs::read_to_string(state.join("manifest")).unwrap();
    assert!(manifest.contains(&format!("{object} {}", last.sha256.as_deref().unwrap())));
    assert_eq!(
        std::fs::read_dir(state.join("spool")).unwrap().count(),
        0,
        "nothing stays on the host"
    );

    // The stored object is an age file only the operator's identity opens.
    let stored = s3.root().join("fleet-backups").join(&object);
    let bytes = std::fs::read(&stored).unwrap();
    assert!(bytes.starts_with(b"age-encryption.org/v1\n"));
    assert!(!bytes.windows(13).any(|w| w == b"customer data"));
    let listing = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "age -d -i '{}' '{}' | tar -tzf -",
            identity_file.display(),
            stored.display()
        ))
        .output()
        .unwrap();
    assert!(ok(&listing).contains("data/sub/notes.txt"));
    assert!(!identity.is_empty());

    let passed = ok(&run(&verify, S3_SECRET_KEY, &shim));
    assert!(
        passed.starts_with("PASS") && passed.contains(&object),
        "{passed}"
    );
    assert_eq!(status(&state.join("last-verify")).result, JobResult::Pass);

    // One flipped byte in the stored copy: the manifest's SHA-256 no longer matches.
    let mut tampered = bytes.clone();
    let mid = tampered.len() / 2;
    tampered[mid] ^= 0x01;
    std::fs::write(&stored, &tampered).unwrap();
    let bad = run(&verify, S3_SECRET_KEY, &shim);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("checksum mismatch"));
    let failed = status(&state.join("last-verify"));
    assert_eq!(failed.result, JobResult::Fail);
    assert!(failed.detail.unwrap().contains("changed since upload"));
    // A deleted copy fails as well.
    std::fs::remove_file(&stored).unwrap();
    assert!(!run(&verify, S3_SECRET_KEY, &shim).status.success());

    // Refused credentials: the upload fails loudly, is recorded, and the stack still restarts.
    std::fs::remove_file(&log).unwrap();
    let refused = run(&backup, "wrong-secret-key-value", &shim);
    assert!(!refused.status.success());
    assert_eq!(status(&state.join("last-backup")).result, JobResult::Fail);
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(
        calls.ends_with("compose stop app\ncompose start app\n"),
        "{calls}"
    );
    assert!(status(&state.join("last-backup")).quiesce.is_some());
    assert_eq!(std::fs::read_dir(state.join("spool")).unwrap().count(), 0);

    // Without credentials nothing runs at all.
    let none = Command::new("bash")
        .arg(&backup)
        .env_remove("RCLONE_S3_SECRET_ACCESS_KEY")
        .env_remove("RCLONE_S3_ACCESS_KEY_ID")
        .output()
        .unwrap();
    assert!(!none.status.success());
    s3.stop();
}

#[test]
fn the_host_gets_the_recipient_and_s3_keys_in_a_0600_file_never_an_identity() {
    let recipient =
        AgeRecipient::new("age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p")
            .unwrap();
    let store = ObjectStore::new(
        "https://fsn1.your-objectstorage.com",
        "fleet-backups",
        "fsn1",
    )
    .unwrap()
    .prefix("inst-0042")
    .unwrap();
    let key = Secret::new("s3-secret-key-value-1").unwrap();
    let part = Backups::new(
        "/srv/app/data",
        "/srv/app",
        BackupTarget::new(
            recipient.clone(),
            store,
            S3Credentials::new(Secret::new("AKIDEXAMPLE").unwrap(), key.clone()),
        ),
    )
    .unwrap();
    let env = part.env_file().unwrap();
    assert_eq!(env.mode(), 0o600);
    assert!(part.backup_script().contains(recipient.as_str()));
    assert!(!format!("{part:?}").contains(key.expose()));
    let bad = Backups::new(
        "/srv/app/data",
        "/srv/app",
        BackupTarget::new(
            recipient,
            ObjectStore::new("https://s3.example.com", "bucket", "fsn1").unwrap(),
            S3Credentials::new(
                Secret::new("AKIDEXAMPLE").unwrap(),
                Secret::new("has'quote'inside").unwrap(),
            ),
        ),
    )
    .unwrap();
    assert!(
        part.backup_script()
            .contains("docker compose stop \"${services[@]}\"")
            && part.backup_script().contains("services=(app)\n")
    );
    let two = part.clone().services(&["app", "worker_2"]).unwrap();
    assert!(two.backup_script().contains("services=(app worker_2)\n"));
    assert!(two.restore_script().contains("services=(app worker_2)\n"));
    for (names, field) in [
        (&[][..], "backups.services"),
        (&["app", "Caddy;reboot"][..], "backups.services[1]"),
        (&["-x"][..], "backups.services[0]"),
    ] {
        let err = part.clone().services(names).unwrap_err();
        assert_eq!(err.field(), Some(field), "{err}");
    }
    let err = bad.env_file().unwrap_err();
    assert!(
        err.field().unwrap().starts_with("backups.credentials"),
        "{err}"
    );
    assert!(!err.to_string().contains("quote'inside"));
}
