//! The backup and verify scripts run for real (bash, tar, age, sha256sum and rclone) against a
//! temporary data directory and a real S3 server on 127.0.0.1 (`s3s-fs`). With a recording
//! stand-in for `docker`: only the data services stop, the seconds they were stopped are
//! recorded, the upload is encrypted to the recipient only, verification passes, a changed stored
//! object fails it, and a failed upload is recorded and still restarts the services. With a real
//! Docker engine in private namespaces ([`Engine`]): the backup stops only the app (Caddy keeps
//! running) and records the real downtime, and a restore reports the app's real health check.
//! (Just over 600 lines: the engine harness belongs to the test that uses it.)

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

/// A real Docker engine for one test: dockerd in private mount, network and PID namespaces
/// (tmpfs on `/run`, `/var/lib` and `/etc/docker`, no iptables), listening on a socket file in
/// the test's directory, so scripts run here (next to the S3 server) drive it through
/// `DOCKER_HOST`. Compose v2 comes from `.ci/venv` as a CLI plugin, the image `bb:local` from
/// `busybox-static`. The project in `DIR/stack` is up when [`Engine::start`] returns; dropping
/// the engine takes it down and ends the namespaces.
struct Engine {
    child: std::process::Child,
    dir: PathBuf,
}

impl Engine {
    fn start(dir: &Path, compose_yaml: &str) -> Option<Self> {
        let hint =
            "apt-get install docker.io busybox-static util-linux; bash .ci/install-validators";
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
            return None;
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
            return None;
        }
        std::fs::create_dir_all(dir.join("stack/data")).unwrap();
        std::fs::write(dir.join("stack/docker-compose.yml"), compose_yaml).unwrap();
        let plugins = dir.join("docker-config/cli-plugins");
        std::fs::create_dir_all(&plugins).unwrap();
        std::os::unix::fs::symlink(&compose, plugins.join("docker-compose")).unwrap();
        let engine = format!(
            r#"set -u
mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/lib && mkdir -p /etc/docker && mount -t tmpfs tmpfs /etc/docker
ip link set lo up
export DOCKER_CONFIG={d}/docker-config DOCKER_HOST=unix://{d}/docker.sock
dockerd -H "$DOCKER_HOST" --iptables=false --ip6tables=false >{d}/dockerd.log 2>&1 &
for _ in $(seq 120); do docker version >/dev/null 2>&1 && break; sleep 0.5; done
mkdir -p {d}/rootfs/bin && cp {busybox} {d}/rootfs/bin/busybox
for a in sh sleep test echo; do ln -s busybox {d}/rootfs/bin/$a; done
tar -C {d}/rootfs -c . | docker import - bb:local >/dev/null
cd {d}/stack && docker compose up -d >{d}/up.log 2>&1 && touch {d}/ready
while [ ! -e {d}/stop ]; do sleep 0.2; done
docker compose down -t 1 >/dev/null 2>&1
kill %1; wait
"#,
            d = dir.display(),
            busybox = busybox.display(),
        );
        std::fs::write(dir.join("engine.sh"), engine).unwrap();
        let child = Command::new(&unshare)
            .args(["-m", "-n", "-p", "-f", "--mount-proc", "--kill-child"])
            .arg("bash")
            .arg(dir.join("engine.sh"))
            .spawn()
            .unwrap();
        let mut engine = Self {
            child,
            dir: dir.to_path_buf(),
        };
        for _ in 0..600 {
            if dir.join("ready").exists() {
                return Some(engine);
            }
            if let Ok(Some(status)) = engine.child.try_wait() {
                panic!("{status}: {}", engine.logs());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the engine did not come up in 60 s: {}", engine.logs());
    }

    fn logs(&self) -> String {
        let read = |f: &str| std::fs::read_to_string(self.dir.join(f)).unwrap_or_default();
        let tail = read("dockerd.log")
            .lines()
            .rev()
            .take(8)
            .collect::<Vec<_>>()
            .join("\n");
        format!("{}\n{tail}", read("up.log"))
    }

    /// `cmd` talking to this engine, with the Compose plugin.
    fn env<'a>(&self, cmd: &'a mut Command) -> &'a mut Command {
        cmd.env(
            "DOCKER_HOST",
            format!("unix://{}/docker.sock", self.dir.display()),
        )
        .env("DOCKER_CONFIG", self.dir.join("docker-config"))
    }

    /// The start time of `service`'s container (changes when it restarts).
    fn started(&self, service: &str) -> String {
        let out = self
            .env(&mut Command::new("sh"))
            .arg("-c")
            .arg(format!(
                "cd '{}/stack' && docker inspect --format '{{{{.State.StartedAt}}}}' \
                 \"$(docker compose ps -aq {service})\"",
                self.dir.display()
            ))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = std::fs::write(self.dir.join("stop"), "");
        for _ in 0..300 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `app`, whose health check reads its data directory, and `caddy`, which depends on it.
/// The app ends on SIGTERM, as a real one should (a `sleep` as PID 1 would hold the stop for
/// Docker's 10 s grace period).
const STACK: &str = "name: stack\nservices:\n  app:\n    image: bb:local\n    \
    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep 100000 & wait\"]\n    volumes: [\"./data:/data\"]\n    healthcheck:\n      \
    test: [\"CMD\", \"sh\", \"-c\", \"test -e /data/ok || { echo database is locked; exit 1; }\"]\n      \
    interval: 1s\n      retries: 2\n  caddy:\n    image: bb:local\n    \
    command: [\"sleep\", \"100000\"]\n    depends_on: [app]\n";

/// The preset's backup and restore scripts against a real Docker engine ([`Engine`]) and the
/// real S3 server: the nightly backup stops `app` only (`caddy` keeps its start time) and records
/// a real downtime; restoring data that makes the app's health check pass reports `healthy`
/// (exit 0), data that makes it fail reports `unhealthy` with the probe's output (exit 3).
#[test]
fn backup_and_restore_against_real_docker_stop_only_the_app_and_report_its_health() {
    let (Some(_), Some(_)) = (find("age"), find("rclone")) else {
        assert!(
            !hardening_validators::ci_mode(),
            "age or rclone not installed, and CI is set (.ci/install-validators installs them)"
        );
        eprintln!("skipping: age or rclone not installed (apt-get install age rclone)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let Some(engine) = Engine::start(root, STACK) else {
        return;
    };
    let Some(s3) = hardening_validators::s3_server() else {
        return;
    };
    s3.create_bucket("fleet-backups");
    let stack = root.join("stack");
    let data = stack.join("data");
    std::fs::write(data.join("state"), "first boot\n").unwrap();
    let caddy = engine.started("caddy");
    let app = engine.started("app");

    // The nightly backup, for real: only the app stops, and its downtime is recorded.
    let part = Backups::new(
        data.to_str().unwrap(),
        stack.to_str().unwrap(),
        BackupTarget::new(
            AgeRecipient::new("age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p")
                .unwrap(),
            ObjectStore::new(&s3.endpoint(), "fleet-backups", "fsn1")
                .unwrap()
                .prefix("inst-docker")
                .unwrap(),
            S3Credentials::new(
                Secret::new(S3_ACCESS_KEY).unwrap(),
                Secret::new(S3_SECRET_KEY).unwrap(),
            ),
        ),
    )
    .unwrap()
    .state_dir(root.join("state").to_str().unwrap())
    .unwrap()
    .metrics_dir(root.join("textfile").to_str().unwrap())
    .unwrap();
    let backup = root.join("backup.sh");
    std::fs::write(&backup, part.backup_script()).unwrap();
    let out = engine
        .env(&mut Command::new("bash"))
        .arg(&backup)
        .env("RCLONE_RETRIES", "1")
        .env_remove("AWS_CA_BUNDLE")
        .env("RCLONE_S3_ACCESS_KEY_ID", S3_ACCESS_KEY)
        .env("RCLONE_S3_SECRET_ACCESS_KEY", S3_SECRET_KEY)
        .output()
        .unwrap();
    ok(&out);
    let last = status(&root.join("state/last-backup"));
    assert_eq!(last.result, JobResult::Pass);
    let quiesce = last.quiesce.expect("quiesce_seconds recorded");
    assert!(
        quiesce > Duration::ZERO && quiesce < Duration::from_secs(60),
        "{quiesce:?}"
    );
    eprintln!("real Docker: the app was stopped {quiesce:?} for the backup");
    assert_eq!(engine.started("caddy"), caddy, "caddy kept running");
    assert_ne!(
        engine.started("app"),
        app,
        "the app was stopped and started"
    );

    // Restores: the health check judges the restored data.
    let script = root.join("restore.sh");
    std::fs::write(&script, part.restore_script()).unwrap();
    for (name, healthy) in [("good", true), ("bad", false)] {
        let src = root.join(name).join("data");
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(src.join("state"), format!("{name}\n")).unwrap();
        if healthy {
            std::fs::write(src.join("ok"), "").unwrap();
        }
        let archive = root.join(format!("{name}.tar.gz"));
        let tar = Command::new("tar")
            .arg("-C")
            .arg(root.join(name))
            .arg("-czf")
            .arg(&archive)
            .arg("data")
            .status()
            .unwrap();
        assert!(tar.success());
        let out = engine
            .env(&mut Command::new("bash"))
            .arg(&script)
            .env("RESTORE_HEALTH_TIMEOUT", "30")
            .stdin(std::fs::File::open(&archive).unwrap())
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stdout);
        let context = format!("{said}\n{}", String::from_utf8_lossy(&out.stderr));
        if healthy {
            assert!(out.status.success(), "{context}");
            assert!(said.contains("health: app healthy\n"), "{context}");
        } else {
            assert_eq!(out.status.code(), Some(3), "{context}");
            let line = said
                .lines()
                .find(|l| l.starts_with("health: app unhealthy {"))
                .unwrap_or_else(|| panic!("{context}"));
            assert!(
                line.contains(r#""Output":"database is locked\n""#),
                "{line}"
            );
        }
        assert_eq!(
            std::fs::read_to_string(data.join("state")).unwrap(),
            format!("{name}\n")
        );
    }
    assert!(
        stack.join(".previous-data/ok").exists(),
        "the previous data kept beside"
    );
    assert_eq!(engine.started("caddy"), caddy, "caddy kept running");
    drop(engine);
    s3.stop();
}
