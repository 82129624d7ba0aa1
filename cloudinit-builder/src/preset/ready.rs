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
            Ok(std::net::IpAddr::V6(a)) => a.is_loopback() || (a.segments()[0] & 0xfe00) == 0xfc00,
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
        let probe = match &self.health {
            Health::Http(url) => format!(
                "        with ur.urlopen({},timeout=5) as r:return r.status<300",
                json(url.as_str().into())
            ),
            Health::Compose { dir, service } => format!(
                "        run=lambda *a:sp.run(a,capture_output=True,text=True,timeout=30).stdout.strip()\n\
                 \x20       c=run(\"docker\",\"compose\",\"--project-directory\",{},\"ps\",\"-q\",{})\n\
                 \x20       return bool(c) and run(\"docker\",\"inspect\",\"--format\",\"{{{{.State.Health.Status}}}}\",c)==\"healthy\"",
                json(dir.as_str().into()),
                json(service.as_str().into())
            ),
        };
        READY_TEMPLATE
            .replace("@ENV@", &json(READY_ENV.into()))
            .replace("@STEPS@", &json(STEPS_DIR.into()))
            .replace("@FAILED@", &json(FAILED_MARKER.into()))
            .replace("@BOOT_FAILED@", &json(BOOT_FAILED.into()))
            .replace("@PROBE@", &probe)
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
# Reports first boot to the control plane: ready, or failed with the failed steps.
import base64,hashlib,hmac,json,os,secrets,subprocess as sp,sys,syslog,time,urllib.request as ur
ENV,STEPS,FAILED,BOOT_FAILED=@ENV@,@STEPS@,@FAILED@,@BOOT_FAILED@
URL,TRIES,WAIT=@CALLBACK@,@ATTEMPTS@,@INTERVAL@
syslog.openlog("hardened-ready",0,syslog.LOG_DAEMON)
def log(p,m):
    syslog.syslog(p,m);print(m,flush=True)
def read(p):
    with open(p) as f:return f.read()
def healthy():
    try:
@PROBE@
    except Exception:return False
def main():
    key=next(l.split("=",1)[1].strip()[1:-1] for l in read(ENV).splitlines() if l.startswith("CALLBACK_SECRET=")).encode()
    failed={n for n in (os.listdir(STEPS) if os.path.isdir(STEPS) else []) if read(os.path.join(STEPS,n)).strip()!="ok"}
    if os.path.exists(FAILED):failed|={l.split(":",1)[0].strip() or "unknown" for l in read(FAILED).splitlines() if l.strip()}
    failed=sorted(failed)
    if not failed:
        for _ in range(TRIES):
            if healthy():break
            time.sleep(WAIT)
        else:failed=["health"]
    status="failed" if failed else "ready"
    if failed:
        os.makedirs(os.path.dirname(BOOT_FAILED),exist_ok=True)
        with open(BOOT_FAILED,"w") as f:f.write(" ".join(failed)+"\n")
        log(syslog.LOG_CRIT,"hardening steps failed: "+" ".join(failed))
    keys=[" ".join(read("/etc/ssh/"+n).split()[:2]) for n in sorted(os.listdir("/etc/ssh")) if n.startswith("ssh_host_") and n.endswith("_key.pub")]
    log(syslog.LOG_INFO,"host keys: "+" ".join("SHA256:"+base64.b64encode(hashlib.sha256(base64.b64decode(k.split()[1])).digest()).decode().rstrip("=") for k in keys))
    iid,delay=read("/var/lib/cloud/data/instance-id").strip(),2
    for n in range(1,9):
        ts=int(time.time())
        body=json.dumps({"v":1,"instance_id":iid,"status":status,"failed_steps":failed,"host_keys":keys,"nonce":secrets.token_hex(16),"timestamp":ts},separators=(",",":")).encode()
        sig=hmac.new(key,str(ts).encode()+b"."+body,hashlib.sha256).hexdigest()
        req=ur.Request(URL,data=body,method="POST",headers={"Content-Type":"application/json","X-Hardened-Timestamp":str(ts),"X-Hardened-Signature":"sha256="+sig})
        try:
            with ur.urlopen(req,timeout=30) as r:
                log(syslog.LOG_INFO,"reported %s (attempt %d, HTTP %d)"%(status,n,r.status))
                return 0 if status=="ready" else 1
        except Exception as e:
            log(syslog.LOG_WARNING,"callback attempt %d failed: %s %s"%(n,type(e).__name__,getattr(e,"code","")))
            if n<8:time.sleep(delay);delay=min(delay*2,60)
    log(syslog.LOG_CRIT,"could not report %s after 8 attempts"%status)
    return 1
try:sys.exit(main())
except Exception as e:
    log(syslog.LOG_CRIT,"ready callback crashed: %s"%type(e).__name__);sys.exit(1)
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
