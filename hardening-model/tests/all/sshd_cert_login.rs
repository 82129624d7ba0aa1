//! Certificate logins against a real sshd on loopback: the rendered `SshdPolicy` with a
//! `CertAuthority` accepts a freshly signed certificate, and refuses an expired one, one for a
//! principal the user does not list, one from another CA, and the bare key.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hardening_model::sshd::{
    AdminPublicKey, CaSigningKey, CertAuthority, Principal, SshdPolicy, UserCertRequest,
};
use hardening_model::values::{AbsPath, Port, UnixUser};
use hardening_validators::ServerProcess;

/// A user present on every Debian and Ubuntu system; its shell refuses sessions, which the
/// login check tells apart from a refused authentication (ssh exits 1, not 255).
const USER: &str = "nobody";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// A directory sshd's StrictModes accepts: not below a world-writable directory such as /tmp,
/// readable by the user sshd reads the principals file as.
fn private_dir() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("sshd-cert-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("temp dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    dir
}

fn abs(p: &Path) -> AbsPath {
    AbsPath::new(p.to_str().expect("utf-8 path")).expect("absolute path")
}

fn user_key(dir: &Path) -> (PathBuf, AdminPublicKey) {
    let key = dir.join("id_ed25519");
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "admin", "-f"])
        .arg(&key)
        .output()
        .expect("ssh-keygen");
    assert!(out.status.success(), "ssh-keygen failed");
    let line = std::fs::read_to_string(key.with_extension("pub")).expect("public key");
    let public = AdminPublicKey::parse("admin_key", line.trim_end()).expect("admin key");
    (key, public)
}

fn write_cert(dir: &Path, name: &str, line: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("{line}\n")).expect("write cert");
    path
}

fn wait_for_log(server: &ServerProcess, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let log = server.log();
        if log.contains(needle) || Instant::now() > deadline {
            return log;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// sshd on port 2222 trusting `ca` for [`USER`] with principal `ops`, its CA key and
/// principals files under `dir`.
fn trusting(
    login: &hardening_validators::SshLogin,
    dir: &tempfile::TempDir,
    ca: &CaSigningKey,
) -> SshdPolicy {
    let user = UnixUser::new(USER).expect("user");
    let trust = CertAuthority::new(ca.public_key())
        .key_path(abs(&dir.path().join("trusted_user_ca_keys.pub")))
        .principals_dir(abs(&dir.path().join("principals")))
        .allow(user.clone(), [Principal::new("ops").expect("principal")]);
    SshdPolicy::new(Port::new(2222).expect("port"))
        .hardware_keys(true)
        .host_key(abs(&login.host_key()))
        .allow_user(user)
        .cert_authority(trust)
}

/// Writes the policy's files that belong under `dir` (CA key, principals) with their modes,
/// and returns the sshd fragment.
fn install(dir: &tempfile::TempDir, policy: &SshdPolicy) -> String {
    let mut config = None;
    for file in policy.files().expect("files") {
        if file.path == hardening_model::sshd::FRAGMENT_PATH {
            config = Some(file.content);
        } else if file.path.starts_with(dir.path().to_str().expect("utf-8")) {
            let path = Path::new(&file.path);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::set_permissions(
                path.parent().expect("parent"),
                std::fs::Permissions::from_mode(0o755),
            )
            .expect("chmod");
            std::fs::write(path, &file.content).expect("write");
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(file.mode))
                .expect("chmod");
        }
    }
    config.expect("sshd fragment")
}

#[test]
fn signed_certificates_log_in_and_expired_or_foreign_ones_do_not() {
    let Some(login) = hardening_validators::ssh_login() else {
        return;
    };
    let dir = private_dir();
    let ca = CaSigningKey::generate();
    let policy = trusting(&login, &dir, &ca);
    let config = install(&dir, &policy);
    assert!(config.contains("\nTrustedUserCAKeys "));
    assert!(config.contains("\nAuthorizedPrincipalsFile "));
    let server = login.serve(&config);

    let (identity, public) = user_key(dir.path());
    let t = now();
    let ops = vec![Principal::new("ops").expect("principal")];

    // A fresh certificate logs in, and sshd names it by key id and serial.
    let mut fresh = UserCertRequest::for_hours(public.clone(), ops.clone(), "alice@laptop", 1)
        .expect("request");
    fresh.serial = 4242;
    let cert = ca.sign(&fresh).expect("sign");
    let cert_path = write_cert(dir.path(), "fresh-cert.pub", cert.to_openssh());
    let ok = login.attempt(&server, USER, &identity, Some(&cert_path));
    let log = wait_for_log(&server, "Accepted publickey");
    assert!(
        ok.authenticated(),
        "fresh certificate refused: {}\n{log}",
        ok.stderr
    );
    assert!(
        log.contains(&format!("Accepted publickey for {USER}"))
            && log.contains("ID alice@laptop (serial 4242)"),
        "{log}"
    );

    // An expired certificate (signed two hours ago for one hour) is refused.
    let expired = UserCertRequest {
        valid_after: t - 7200,
        valid_before: t - 3600,
        key_id: "old-cert".into(),
        ..fresh.clone()
    };
    let cert = ca.sign_at(&expired, t - 7200).expect("sign");
    let path = write_cert(dir.path(), "expired-cert.pub", cert.to_openssh());
    let refused = login.attempt(&server, USER, &identity, Some(&path));
    assert!(!refused.authenticated(), "expired certificate accepted");
    // With MaxAuthTries 2, the certificate and the bare key use up the attempts.
    assert!(
        refused.stderr.contains("Permission denied")
            || refused.stderr.contains("Too many authentication failures"),
        "{}",
        refused.stderr
    );
    let log = wait_for_log(&server, "Certificate invalid: expired");
    assert!(log.contains("Certificate invalid: expired"), "{log}");

    // A certificate for a principal the user's principals file does not list is refused.
    let wrong = UserCertRequest {
        principals: vec![Principal::new("dev").expect("principal")],
        key_id: "dev-cert".into(),
        ..fresh.clone()
    };
    let cert = ca.sign(&wrong).expect("sign");
    let path = write_cert(dir.path(), "wrong-cert.pub", cert.to_openssh());
    let refused = login.attempt(&server, USER, &identity, Some(&path));
    assert!(!refused.authenticated(), "wrong principal accepted");
    let log = wait_for_log(&server, "does not contain an authorized principal");
    assert!(
        log.contains("does not contain an authorized principal"),
        "{log}"
    );

    // A certificate from another CA is refused.
    let other = CaSigningKey::generate().sign(&fresh).expect("sign");
    let path = write_cert(dir.path(), "other-ca-cert.pub", other.to_openssh());
    assert!(
        !login
            .attempt(&server, USER, &identity, Some(&path))
            .authenticated(),
        "certificate from a foreign CA accepted"
    );

    // The bare key (no authorized_keys entry) is refused.
    assert!(
        !login
            .attempt(&server, USER, &identity, None)
            .authenticated(),
        "key without certificate accepted"
    );
    assert_eq!(
        server.log().matches("Accepted publickey").count(),
        1,
        "only the fresh certificate may log in"
    );
}

/// The admin key list is what the real sshd accepts with the rendered policy: `sshd -T` lists
/// every type of `ADMIN_KEY_ALGORITHMS` in `pubkeyacceptedalgorithms`, and no ECDSA or RSA type.
#[test]
fn admin_key_types_are_the_ones_sshd_accepts() {
    let Some(sshd) = hardening_validators::sshd() else {
        return;
    };
    let fragment = SshdPolicy::new(Port::new(2222).expect("port"))
        .hardware_keys(true)
        .render()
        .expect("render")
        .content;
    let effective = sshd.effective(&fragment).expect("sshd -T");
    let accepted: Vec<&str> = effective
        .lines()
        .find_map(|l| l.strip_prefix("pubkeyacceptedalgorithms "))
        .expect("pubkeyacceptedalgorithms")
        .split(',')
        .collect();
    let plain: Vec<&str> = accepted
        .iter()
        .copied()
        .filter(|a| !a.contains("-cert-"))
        .collect();
    assert_eq!(
        plain,
        hardening_model::sshd::admin_key_types(),
        "{accepted:?}"
    );
    assert!(
        !accepted
            .iter()
            .any(|a| a.contains("ecdsa") || a.contains("rsa")),
        "{accepted:?}"
    );
}

/// `certificates_only`: a bare key listed in an `authorized_keys` file is refused, while the
/// same configuration without it accepts that key (so the refusal is the directive's doing),
/// and a certificate still logs in. `sshd -T` reads `authorizedkeysfile none`.
#[test]
fn certificates_only_refuses_an_authorized_bare_key() {
    let Some(login) = hardening_validators::ssh_login() else {
        return;
    };
    let dir = private_dir();
    let ca = CaSigningKey::generate();
    let policy = trusting(&login, &dir, &ca);
    install(&dir, &policy);
    let (identity, public) = user_key(dir.path());
    let authorized = dir.path().join("authorized_keys");
    std::fs::write(&authorized, format!("{}\n", public.to_line())).expect("authorized_keys");
    std::fs::set_permissions(&authorized, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    // sshd keeps the first value of a keyword: the appended line only counts when the
    // fragment sets none.
    let with_keys = |fragment: String| {
        format!(
            "{fragment}AuthorizedKeysFile {}\n",
            authorized.to_str().expect("utf-8")
        )
    };

    let open = with_keys(policy.render().expect("render").content);
    let server = login.serve(&open);
    assert!(
        login
            .attempt(&server, USER, &identity, None)
            .authenticated(),
        "control: the authorized bare key must log in without certificates_only\n{}",
        server.log()
    );
    drop(server);

    let only = policy.certificates_only(true);
    let fragment = only.render().expect("render").content;
    assert!(
        fragment.contains("\nAuthorizedKeysFile none\n"),
        "{fragment}"
    );
    if let Some(sshd) = hardening_validators::sshd() {
        let effective = sshd.effective(&fragment).expect("sshd -T");
        assert!(
            effective.lines().any(|l| l == "authorizedkeysfile none"),
            "{effective}"
        );
    }
    let server = login.serve(&with_keys(fragment));
    assert!(
        !login
            .attempt(&server, USER, &identity, None)
            .authenticated(),
        "certificates_only accepted a bare key"
    );
    let request = UserCertRequest::for_hours(
        public,
        vec![Principal::new("ops").expect("principal")],
        "alice@laptop",
        1,
    )
    .expect("request");
    let cert = ca.sign(&request).expect("sign");
    let cert_path = write_cert(dir.path(), "only-cert.pub", cert.to_openssh());
    let ok = login.attempt(&server, USER, &identity, Some(&cert_path));
    assert!(
        ok.authenticated(),
        "certificate refused under certificates_only: {}\n{}",
        ok.stderr,
        server.log()
    );
}
