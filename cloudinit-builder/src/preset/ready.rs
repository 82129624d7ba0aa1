//! The ready callback: wait until the app is healthy, then tell the control plane.
//!
//! Departures from the runbook's Appendix A: the callback secret is read from a root-only
//! `0600` environment file instead of being pasted into the command line (where `ps` and the
//! cloud-init logs show it); the JSON body is built by `jq` from the environment, so neither
//! value can break out of its string; the instance id comes from cloud-init's own record; the
//! POST uses `--fail` with retries; and a host whose hardening step failed does not report
//! itself ready.

use super::{Contribution, Part, Slot, Stage};
use crate::command::quote;
use crate::{Command, Error, Result, Secret, WriteFile};

/// The callback script.
pub const READY_SCRIPT: &str = "/usr/local/sbin/hardened-ready";
/// The `0600` environment file holding the callback secret.
pub const READY_ENV: &str = "/etc/hardened-host/ready.env";
/// Marker a failed hardening step leaves; its presence stops the callback.
pub const FAILED_MARKER: &str = "/var/lib/hardened-host/failed";

/// Polls a local health URL, then POSTs `{"instance_id", "callback_secret"}` to the control
/// plane.
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

impl ReadyCallback {
    /// `health_url` is polled (plain HTTP is fine on loopback); `callback_url` must be HTTPS.
    pub fn new(health_url: &str, callback_url: &str, secret: Secret) -> Result<Self> {
        check_url("ready.health_url", health_url, &["http://", "https://"])?;
        check_url("ready.callback_url", callback_url, &["https://"])?;
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
        check_url("ready.callback_url", callback_url, &["https://"])?;
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

    /// The script.
    pub fn script(&self) -> String {
        format!(
            r#"#!/bin/bash
set -euo pipefail
set -a
. {env}
set +a
: "${{CALLBACK_SECRET:?CALLBACK_SECRET is not set}}"
if [ -e {failed} ]; then
  logger -p daemon.crit -t hardened-ready "a hardening step failed; not reporting ready"
  exit 1
fi
attempt=0
{probe}
until healthy; do
  attempt=$((attempt + 1))
  if [ "$attempt" -ge {attempts} ]; then
    logger -p daemon.crit -t hardened-ready "app not healthy after {attempts} attempts"
    exit 1
  fi
  sleep {interval}
done
INSTANCE_ID=$(cat /var/lib/cloud/data/instance-id)
export INSTANCE_ID
jq -n '{{instance_id: env.INSTANCE_ID, callback_secret: env.CALLBACK_SECRET}}' |
  curl -fsS --retry 5 --retry-all-errors --max-time 30 -X POST \
    -H 'Content-Type: application/json' --data-binary @- {callback} >/dev/null
logger -p daemon.info -t hardened-ready "reported ready"
"#,
            env = READY_ENV,
            failed = FAILED_MARKER,
            probe = match &self.health {
                Health::Http(url) => format!(
                    "healthy() {{ curl -fsS -o /dev/null --max-time 5 {}; }}",
                    quote(url)
                ),
                Health::Compose { dir, service } => format!(
                    "healthy() {{\n  id=$(docker compose --project-directory {} ps -q {}) || return 1\n  [ -n \"$id\" ] && [ \"$(docker inspect --format '{{{{.State.Health.Status}}}}' \"$id\")\" = healthy ]\n}}",
                    quote(dir),
                    quote(service)
                ),
            },
            callback = quote(&self.callback_url),
            attempts = self.attempts,
            interval = self.interval_secs,
        )
    }
}

impl Part for ReadyCallback {
    fn slot(&self) -> Slot {
        Slot::ReadyCallback
    }

    fn contribute(&self, out: &mut Contribution) -> Result<()> {
        out.package("curl");
        out.package("jq");
        out.file(WriteFile::secret_env(
            READY_ENV,
            [("CALLBACK_SECRET", &self.secret)],
        )?);
        out.file(WriteFile::new(READY_SCRIPT, self.script())?.permissions(0o700)?);
        out.command(Stage::Ready, Command::argv([READY_SCRIPT])?);
        Ok(())
    }
}
