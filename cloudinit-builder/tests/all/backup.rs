//! The backup and verify scripts run for real (bash, tar, age, sha256sum and rclone) against a
//! temporary data directory and a real S3 server on 127.0.0.1 (`s3s-fs`), with a stand-in for
//! `docker` (the S3 server listens in the test's own network namespace, where no Docker engine
//! runs; the shim records the argv): only the data services stop, the seconds they were stopped
//! are recorded, the upload is encrypted to the recipient only, verification passes, a changed
//! stored object fails it, and a failed upload is recorded and still restarts the services.
//! The restore script also runs against a real Docker engine in private namespaces: only the app
//! restarts, and its real health check is reported.

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

/// The preset's restore script against a real Docker engine (dockerd in private mount, network
/// and PID namespaces, tmpfs on `/run`, `/var/lib` and `/etc/docker`; Compose v2 from
/// `.ci/venv`; a busybox image imported from `busybox-static`): a stack of `app` (its health
/// check reads the data directory) and `caddy` (depends on `app`). Restoring an archive whose
/// data makes the check pass reports `healthy`; one that makes it fail reports `unhealthy` with
/// the probe's output and exit status 3. Only `app` restarts: `caddy` keeps its start time.
#[test]
fn restore_against_real_docker_stops_only_the_app_and_reports_its_health() {
    let hint = "apt-get install docker.io busybox-static util-linux; bash .ci/install-validators";
    let tools = ["unshare", "dockerd", "docker", "busybox", "docker-compose"]
        .map(|t| hardening_validators::require_tool(t, hint));
    let [
        Some(unshare),
        Some(_),
        Some(_),
        Some(busybox),
        Some(compose),
    ] = tools
    else {
        return;
    };
    let root_user = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"));
    if !root_user {
        assert!(
            !hardening_validators::ci_mode(),
            "a private Docker engine needs root, and CI is set"
        );
        eprintln!("skipping: a private Docker engine needs root");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let stack = root.join("stack");
    let data = stack.join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("state"), "first boot\n").unwrap();
    std::fs::write(
        stack.join("docker-compose.yml"),
        "name: stack\nservices:\n  app:\n    image: bb:local\n    command: [\"sleep\", \"100000\"]\n    \
         volumes: [\"./data:/data\"]\n    healthcheck:\n      \
         test: [\"CMD\", \"sh\", \"-c\", \"test -e /data/ok || { echo database is locked; exit 1; }\"]\n      \
         interval: 1s\n      retries: 2\n  caddy:\n    image: bb:local\n    command: [\"sleep\", \"100000\"]\n    \
         depends_on: [app]\n",
    )
    .unwrap();
    // Two archives of the data directory: one the health check accepts, one it refuses.
    for (name, ok) in [("good", true), ("bad", false)] {
        let src = root.join(name).join("data");
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(src.join("state"), format!("{name}\n")).unwrap();
        if ok {
            std::fs::write(src.join("ok"), "").unwrap();
        }
        let tar = Command::new("tar")
            .arg("-C")
            .arg(root.join(name))
            .args(["-czf"])
            .arg(root.join(format!("{name}.tar.gz")))
            .arg("data")
            .status()
            .unwrap();
        assert!(tar.success());
    }
    let script = root.join("restore.sh");
    std::fs::write(
        &script,
        Backups::volume_restore_script("stack_app_data", stack.to_str().unwrap())
            .unwrap()
            .replace(
                "data_dir=$(docker volume inspect --format '{{ .Mountpoint }}' stack_app_data)",
                &format!("data_dir='{}'", data.display()),
            ),
    )
    .unwrap();
    let inner = format!(
        r#"set -u
mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/lib && mkdir -p /etc/docker && mount -t tmpfs tmpfs /etc/docker
ip link set lo up 2>/dev/null || true
export DOCKER_CONFIG={root}/docker-config DOCKER_HOST=unix:///run/docker.sock
mkdir -p "$DOCKER_CONFIG/cli-plugins" {root}/rootfs/bin
ln -s {compose} "$DOCKER_CONFIG/cli-plugins/docker-compose"
dockerd --iptables=false --ip6tables=false >{root}/dockerd.log 2>&1 &
for _ in $(seq 60); do docker version >/dev/null 2>&1 && break; sleep 0.5; done
cp {busybox} {root}/rootfs/bin/busybox
for a in sh sleep test echo; do ln -s busybox {root}/rootfs/bin/$a; done
tar -C {root}/rootfs -c . | docker import - bb:local >/dev/null
cd {root}/stack && docker compose up -d --quiet-pull >/dev/null 2>&1
started() {{ docker inspect --format '{{{{.State.StartedAt}}}}' "$(docker compose ps -aq "$1")"; }}
caddy0=$(started caddy); app0=$(started app)
for a in good bad; do
  RESTORE_HEALTH_TIMEOUT=30 bash {root}/restore.sh < {root}/$a.tar.gz > {root}/$a.out 2>{root}/$a.err
  echo "$a rc=$?"
done
[ "$(started caddy)" = "$caddy0" ] && echo "caddy kept running"
[ "$(started app)" != "$app0" ] && echo "app restarted"
docker compose down -t 1 >/dev/null 2>&1
kill %1; wait
"#,
        root = root.display(),
        compose = compose.display(),
        busybox = busybox.display(),
    );
    std::fs::write(root.join("ns.sh"), inner).unwrap();
    let out = Command::new(&unshare)
        .args(["-m", "-n", "-p", "-f", "--mount-proc", "bash"])
        .arg(root.join("ns.sh"))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    let read = |f: &str| std::fs::read_to_string(root.join(f)).unwrap_or_default();
    let context = format!(
        "{said}\n{}\ngood: {}{}\nbad: {}{}\ndockerd: {}",
        String::from_utf8_lossy(&out.stderr),
        read("good.out"),
        read("good.err"),
        read("bad.out"),
        read("bad.err"),
        read("dockerd.log")
            .lines()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(said.contains("good rc=0\n"), "{context}");
    assert!(
        read("good.out").contains("health: app healthy\n"),
        "{context}"
    );
    assert!(said.contains("bad rc=3\n"), "{context}");
    let bad = read("bad.out");
    let line = bad
        .lines()
        .find(|l| l.starts_with("health: app unhealthy {"))
        .unwrap_or_else(|| panic!("{context}"));
    assert!(
        line.contains(r#""Output":"database is locked\n""#),
        "{line}"
    );
    // The data of the second restore is in place, the first one's kept beside it.
    assert_eq!(
        std::fs::read_to_string(data.join("state")).unwrap(),
        "bad\n"
    );
    assert!(stack.join(".previous-data/ok").exists());
    assert!(said.contains("caddy kept running"), "{context}");
    assert!(said.contains("app restarted"), "{context}");
}
