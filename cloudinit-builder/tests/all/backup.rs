//! The backup and verify scripts run for real (bash, tar, sha256sum and age) against a temporary
//! data directory, with a stand-in for `docker`: a backup verifies, and a tampered archive fails
//! verification even when the attacker also rewrites the checksum.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cloudinit_builder::Secret;
use cloudinit_builder::preset::Backups;

fn find(tool: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(tool))
            .find(|f| f.is_file())
    })
}

fn run(script: &Path, identity: &str, shim: &Path) -> Output {
    let path = format!("{}:{}", shim.display(), std::env::var("PATH").unwrap());
    Command::new("bash")
        .arg(script)
        .env("PATH", path)
        .env("BACKUP_AGE_IDENTITY", identity)
        .output()
        .unwrap()
}

fn rewrite_checksum(archive: &Path) {
    let out = Command::new("sha256sum").arg(archive).output().unwrap();
    std::fs::write(format!("{}.sha256", archive.display()), out.stdout).unwrap();
}

#[test]
fn backup_verifies_and_tampering_is_detected() {
    let (Some(keygen), Some(_)) = (find("age-keygen"), find("age")) else {
        assert!(
            !hardening_validators::ci_mode(),
            "age not installed, and CI is set (.ci/install-validators installs it)"
        );
        eprintln!("skipping: age not installed (apt-get install age)");
        return;
    };
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
            "#!/bin/sh\necho \"$*\" >> '{}'\nif [ \"$1\" = volume ]; then echo '{}'; fi\n",
            log.display(),
            data.display()
        ),
    )
    .unwrap();
    Command::new("chmod")
        .args(["+x"])
        .arg(&docker)
        .status()
        .unwrap();

    let keys = String::from_utf8(Command::new(keygen).output().unwrap().stdout).unwrap();
    let identity = keys
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .unwrap()
        .to_owned();
    let backups = root.join("backups");
    let part = Backups::new(
        data.to_str().unwrap(),
        root.join("srv/app").to_str().unwrap(),
        Secret::new(identity.clone()).unwrap(),
    )
    .unwrap()
    .backup_dir(backups.to_str().unwrap())
    .unwrap();
    let backup = root.join("backup.sh");
    let verify = root.join("verify.sh");
    std::fs::write(&backup, part.backup_script()).unwrap();
    std::fs::write(&verify, part.verify_script()).unwrap();

    let out = run(&backup, &identity, &shim);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let calls = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        calls, "compose stop\ncompose start\n",
        "quiesced and restarted"
    );
    let archive = std::fs::read_dir(&backups)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "age"))
        .unwrap();
    let bytes = std::fs::read(&archive).unwrap();
    assert!(
        !bytes.windows(13).any(|w| w == b"customer data"),
        "archive is encrypted"
    );

    let ok = run(&verify, &identity, &shim);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).starts_with("PASS"));

    // One flipped byte in the payload, checksum rewritten to match: age's authentication fails.
    let mut tampered = bytes.clone();
    let mid = tampered.len() / 2;
    tampered[mid] ^= 0x01;
    std::fs::write(&archive, &tampered).unwrap();
    rewrite_checksum(&archive);
    let bad = run(&verify, &identity, &shim);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("tampered or corrupt"));

    // Truncation (a cut-off final chunk) is detected too.
    std::fs::write(&archive, &bytes[..bytes.len() - 100]).unwrap();
    rewrite_checksum(&archive);
    assert!(!run(&verify, &identity, &shim).status.success());

    // A modification without rewriting the checksum is caught by the checksum first.
    std::fs::write(&archive, &tampered).unwrap();
    let sum = run(&verify, &identity, &shim);
    assert!(String::from_utf8_lossy(&sum.stderr).contains("checksum mismatch"));

    // A missing identity is refused before anything is read.
    let none = run(&verify, "", &shim);
    assert!(!none.status.success());

    // A Docker volume is resolved to its real mount point by asking Docker.
    std::fs::remove_dir_all(&backups).unwrap();
    std::fs::remove_file(&log).unwrap();
    let by_volume = Backups::volume(
        "stack_app_data",
        root.join("srv/app").to_str().unwrap(),
        Secret::new(identity.clone()).unwrap(),
    )
    .unwrap()
    .backup_dir(backups.to_str().unwrap())
    .unwrap();
    std::fs::write(&backup, by_volume.backup_script()).unwrap();
    std::fs::write(&verify, by_volume.verify_script()).unwrap();
    let out = run(&backup, &identity, &shim);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(
        calls.starts_with("volume inspect --format {{ .Mountpoint }} stack_app_data\n"),
        "{calls}"
    );
    assert!(run(&verify, &identity, &shim).status.success());
}
