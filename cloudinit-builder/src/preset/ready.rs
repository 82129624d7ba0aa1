//! The ready callback: every hardening step's outcome, the app's health and the host's SSH
//! host keys, reported to the control plane in one signed request.
//!
//! Departures from the runbook's Appendix A (which only checked a marker the sshd step wrote
//! and sent the callback secret itself in the body):
//! - every `runcmd` step of the preset runs through [`STEP_RUNNER`], which records its
//!   outcome under [`STEPS_DIR`] (and in the journal) and passes its exit status on, so a failed
//!   package install, Docker, log shipper, Falco, auditd, ufw or nftables step is reported by
//!   name;
//! - the callback carries `ready` or `failed` with the failed steps and the host's SSH public
//!   host keys, signed with HMAC-SHA256 over timestamp and body, with a one-time nonce
//!   ([`crate::callback`] has the format and the verifier); the secret stays in a root-only
//!   `0600` file and never travels;
//! - the script is Python (always present where cloud-init runs), retries with exponential
//!   backoff (8 attempts, re-signed each time), logs every attempt to the journal
//!   (`journalctl -t hardened-ready`), and reports `failed` instead of nothing when a step
//!   failed or the app never became healthy;
//! - it exits non-zero unless the host is ready, so `cloud-init status` says `error`; and it
//!   leaves [`BOOT_FAILED`], which a `bootcmd` check turns into a cloud-init error on every
//!   later boot, so a reboot cannot make `cloud-init status` say `done` for a failed host.

use super::{Contribution, Part, Slot, Stage};
use crate::{Command, Error, Result, Secret, WriteFile};

/// The callback script.
pub const READY_SCRIPT: &str = "/usr/local/sbin/hardened-ready";
/// The `0600` environment file holding the callback secret.
pub const READY_ENV: &str = "/etc/hardened-host/ready.env";
/// Marker a failed hardening step may leave (`STEP: why` lines); each named step is reported
/// failed.
pub const FAILED_MARKER: &str = "/var/lib/hardened-host/failed";
/// Where [`STEP_RUNNER`] records each step's outcome (`ok` or `failed`, one file per step).
pub const STEPS_DIR: &str = "/var/lib/hardened-host/steps";
/// `hardened-step NAME COMMAND...`: runs the command, records its outcome, keeps its status.
pub const STEP_RUNNER: &str = "/usr/local/sbin/hardened-step";
/// Left by the callback when first boot failed; a `bootcmd` check reports it on every boot.
pub const BOOT_FAILED: &str = "/var/lib/hardened-host/first-boot-failed";

/// Waits for the app's health, then POSTs the signed report ([`crate::callback`]) to the
/// control plane.
///
/// ```
/// use cloudinit_builder::Secret;
/// use cloudinit_builder::preset::ReadyCallback;
/// let cb = ReadyCallback::new(
///     "http://127.0.0.1:3000/health",
///     "https://control.example.com/api/instances/ready",
///     Secret::new("cb-secret-0123456789abcdef")?,
/// )?;
/// assert!(ReadyCallback::new("http://127.0.0.1:3000/health", "http://insecure.example", Secret::new("cb-secret-0123456789")?).is_err());
/// // Plain HTTP only to a literal private address (a control plane on the private network):
/// assert!(ReadyCallback::new("http://127.0.0.1:3000/health", "http://10.0.0.2:8080/ready", Secret::new("cb-secret-0123456789")?).is_ok());
/// # Ok::<(), cloudinit_builder::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ReadyCallback {
    health: Health,
    callback_url: String,
    secret: Secret,
    attempts: u32,
    interval_secs: u32,
}

/// How the script decides the app is up.
#[derive(Debug, Clone)]
enum Health {
    /// An HTTP URL answering 2xx.
    Http(String),
    /// A Compose service whose container health check reports `healthy`.
    Compose { dir: String, service: String },
}

fn check_url(field: &str, url: &str, schemes: &[&str]) -> Result<()> {
    let rest = schemes
        .iter()
        .find_map(|s| url.strip_prefix(s))
        .ok_or_else(|| {
            Error::invalid(field, format!("must start with {}", schemes.join(" or ")))
        })?;
    if rest.is_empty()
        || !rest.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    '.' | '-' | '_' | '/' | ':' | '~' | '?' | '=' | '&' | '[' | ']'
                )
        })
    {
        return Err(Error::invalid(
            field,
            "may only use ASCII letters, digits and ._-/:~?=&[]",
        ));
    }
    Ok(())
}

/// The callback URL: HTTPS, or plain HTTP to a literal private, loopback or link-local
/// address (the report is signed either way; nothing secret travels).
fn check_callback_url(url: &str) -> Result<()> {
    const FIELD: &str = "ready.callback_url";
    if let Some(rest) = url.strip_prefix("http://") {
        check_url(FIELD, url, &["http://"])?;
        let authority = rest.split('/').next().unwrap_or_default();
        let host = match authority.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default(),
            None => authority.split(':').next().unwrap_or_default(),
        };
        let private = match host.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V4(a)) => a.is_private() || a.is_loopback() || a.is_link_local(),
            Ok(std::net::IpAddr::V6(a)) => {
                a.is_loopback() || (a.segments()[0] & 0xfe00) == 0xfc00
            }
            Err(_) => false,
        };
        if !private {
            return Err(Error::invalid(
                FIELD,
                "must be https://, or http:// to a literal private address",
            ));
        }
        return Ok(());
    }
    check_url(FIELD, url, &["https://"])
}

impl ReadyCallback {
    /// `health_url` is polled (plain HTTP is fine on loopback); `callback_url` must be HTTPS,
    /// or plain HTTP to a literal private address.
    pub fn new(health_url: &str, callback_url: &str, secret: Secret) -> Result<Self> {
        check_url("ready.health_url", health_url, &["http://", "https://"])?;
        check_callback_url(callback_url)?;
        Ok(Self {
            health: Health::Http(health_url.to_owned()),
            callback_url: callback_url.to_owned(),
            secret,
            attempts: 60,
            interval_secs: 5,
        })
    }

    /// Waits for the Compose `service` of the project in `dir` to report `healthy` (its own
    /// health check), for stacks whose app is not published on the host (the hardened stack
    /// keeps it on an internal network, so the runbook's `curl localhost:3000` cannot reach it).
    pub fn compose_healthy(
        dir: &str,
        service: &str,
        callback_url: &str,
        secret: Secret,
    ) -> Result<Self> {
        let dir = hardening_model::values::AbsPath::new(dir)
            .map_err(|e| Error::from(e).within("ready.dir"))?;
        hardening_model::values::check_token("ready.service", service, &[])?;
        check_callback_url(callback_url)?;
        Ok(Self {
            health: Health::Compose {
                dir: dir.as_str().to_owned(),
                service: service.to_owned(),
            },
            callback_url: callback_url.to_owned(),
            secret,
            attempts: 60,
            interval_secs: 5,
        })
    }

    /// Health polling: `attempts` tries, `interval_secs` apart (default 60 x 5 s).
    #[must_use]
    pub fn polling(mut self, attempts: u32, interval_secs: u32) -> Self {
        self.attempts = attempts.max(1);
        self.interval_secs = interval_secs.max(1);
        self
    }

    /// The callback script (Python 3).
    pub fn script(&self) -> String {
        let json = |v: serde_json::Value| v.to_string();
        let health = match &self.health {
            Health::Http(url) => json(serde_json::json!({ "http": url })),
            Health::Compose { dir, service } => {
                json(serde_json::json!({ "compose": [dir, service] }))
            }
        };
        READY_TEMPLATE
            .replace("@ENV@", &json(READY_ENV.into()))
            .replace("@STEPS@", &json(STEPS_DIR.into()))
            .replace("@FAILED@", &json(FAILED_MARKER.into()))
            .replace("@BOOT_FAILED@", &json(BOOT_FAILED.into()))
            .replace("@HEALTH@", &health)
            .replace("@CALLBACK@", &json(self.callback_url.as_str().into()))
            .replace("@ATTEMPTS@", &self.attempts.to_string())
            .replace("@INTERVAL@", &self.interval_secs.to_string())
    }
}

/// The step runner every preset `runcmd` step goes through.
pub(crate) fn step_runner() -> String {
    format!(
        r#"#!/bin/sh
# hardened-step NAME COMMAND...: run COMMAND, record its outcome for the ready callback,
# exit with its status
name="$1"; shift
mkdir -p {steps}
if "$@"; then
  [ -e "{steps}/$name" ] || echo ok > "{steps}/$name"
  logger -p daemon.info -t hardened-step "$name: ok"
else
  rc=$?
  echo failed > "{steps}/$name"
  logger -p daemon.err -t hardened-step "$name: failed with exit status $rc: $*"
  exit "$rc"
fi
"#,
        steps = STEPS_DIR
    )
}

/// The `bootcmd` check that keeps a failed first boot visible after a reboot.
pub(crate) fn boot_failed_check() -> Result<Command> {
    Command::shell(format!(
        "if [ -e {f} ]; then logger -p daemon.crit -t hardened-ready \"first boot failed: $(cat {f})\"; exit 1; fi",
        f = BOOT_FAILED
    ))
}

const READY_TEMPLATE: &str = r#"#!/usr/bin/python3
"""Report this host's first boot to the control plane: ready, or failed with the steps."""
import hashlib, hmac, json, os, secrets, subprocess, sys, syslog, time, urllib.request

ENV, STEPS, FAILED, BOOT_FAILED = @ENV@, @STEPS@, @FAILED@, @BOOT_FAILED@
HEALTH, CALLBACK = @HEALTH@, @CALLBACK@
ATTEMPTS, INTERVAL, SEND_ATTEMPTS = @ATTEMPTS@, @INTERVAL@, 8

syslog.openlog("hardened-ready", 0, syslog.LOG_DAEMON)

def log(prio, msg):
    syslog.syslog(prio, msg)
    print(msg, flush=True)

def callback_secret():
    with open(ENV) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            if k == "CALLBACK_SECRET" and len(v) > 2:
                return v[1:-1].encode()
    raise RuntimeError("CALLBACK_SECRET is not set in " + ENV)

def failed_steps():
    failed = set()
    if os.path.isdir(STEPS):
        for name in os.listdir(STEPS):
            with open(os.path.join(STEPS, name)) as f:
                if f.read().strip() != "ok":
                    failed.add(name)
    if os.path.exists(FAILED):
        with open(FAILED) as f:
            failed.update(l.split(":", 1)[0].strip() or "unknown" for l in f if l.strip())
    return sorted(failed)

def healthy():
    try:
        if "http" in HEALTH:
            with urllib.request.urlopen(HEALTH["http"], timeout=5) as r:
                return 200 <= r.status < 300
        d, svc = HEALTH["compose"]
        run = lambda *a: subprocess.run(a, capture_output=True, text=True, timeout=30).stdout.strip()
        cid = run("docker", "compose", "--project-directory", d, "ps", "-q", svc)
        return bool(cid) and run("docker", "inspect", "--format", "{{.State.Health.Status}}", cid) == "healthy"
    except Exception:
        return False

def host_keys():
    keys = []
    for name in sorted(os.listdir("/etc/ssh")):
        if name.startswith("ssh_host_") and name.endswith("_key.pub"):
            with open(os.path.join("/etc/ssh", name)) as f:
                keys.append(" ".join(f.read().split()[:2]))
    return keys

def fingerprint(key):
    import base64
    digest = hashlib.sha256(base64.b64decode(key.split()[1])).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")

def main():
    key = callback_secret()
    failed = failed_steps()
    if not failed:
        for _ in range(ATTEMPTS):
            if healthy():
                break
            time.sleep(INTERVAL)
        else:
            failed = ["health"]
    status = "failed" if failed else "ready"
    if failed:
        os.makedirs(os.path.dirname(BOOT_FAILED), exist_ok=True)
        with open(BOOT_FAILED, "w") as f:
            f.write(" ".join(failed) + "
")
        log(syslog.LOG_CRIT, "hardening steps failed: " + " ".join(failed))
    with open("/var/lib/cloud/data/instance-id") as f:
        instance_id = f.read().strip()
    keys = host_keys()
    log(syslog.LOG_INFO, "host keys: " + " ".join(fingerprint(k) for k in keys))
    delay = 2
    for attempt in range(1, SEND_ATTEMPTS + 1):
        ts = int(time.time())
        body = json.dumps({"v": 1, "instance_id": instance_id, "status": status,
                           "failed_steps": failed, "host_keys": keys,
                           "nonce": secrets.token_hex(16), "timestamp": ts},
                          separators=(",", ":")).encode()
        sig = hmac.new(key, str(ts).encode() + b"." + body, hashlib.sha256).hexdigest()
        req = urllib.request.Request(CALLBACK, data=body, method="POST", headers={
            "Content-Type": "application/json", "X-Hardened-Timestamp": str(ts),
            "X-Hardened-Signature": "sha256=" + sig})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                log(syslog.LOG_INFO, "reported %s (attempt %d, HTTP %d)" % (status, attempt, r.status))
                return 0 if status == "ready" else 1
        except Exception as e:
            log(syslog.LOG_WARNING, "callback attempt %d failed: %s" % (attempt, type(e).__name__))
            if attempt < SEND_ATTEMPTS:
                time.sleep(delay)
                delay = min(delay * 2, 60)
    log(syslog.LOG_CRIT, "could not report %s after %d attempts" % (status, SEND_ATTEMPTS))
    return 1

if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:
        log(syslog.LOG_CRIT, "ready callback crashed: %s: %s" % (type(e).__name__, e))
        sys.exit(1)
"#;

impl Part for ReadyCallback {
    fn slot(&self) -> Slot {
        Slot::ReadyCallback
    }

    fn contribute(&self, out: &mut Contribution) -> Result<()> {
        out.package("python3");
        out.file(WriteFile::secret_env(
            READY_ENV,
            [("CALLBACK_SECRET", &self.secret)],
        )?);
        out.file(WriteFile::new(READY_SCRIPT, self.script())?.permissions(0o700)?);
        out.command(Stage::Ready, Command::argv([READY_SCRIPT])?);
        out.boot_command(boot_failed_check()?);
        Ok(())
    }
}
