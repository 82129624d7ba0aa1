//! Publishing a bundle to the object store the hosts read, with rclone.

use std::path::Path;
use std::process::{Command, Stdio};

use cloudinit_builder::preset::{ObjectStore, S3Credentials};

use super::bundle::Bundle;
use crate::error::{Error, Result};

/// Uploads `bundle` below `store`'s prefix: contents first, then the signed agent (`agent`,
/// `agent.sig`, which the hosts' bootstrap installs), then `manifest.sig`, then `manifest`, so a host that reads between two uploads sees either the old manifest or a
/// manifest whose signature does not verify yet (rejected, nothing changed, retried next
/// tick) — never a verified manifest with missing files. `workdir` must be a private, empty
/// directory for the staged layout. The credentials reach rclone through its environment only.
///
/// # Errors
/// [`Error::Command`] (step `publish`) with rclone's exit status and last stderr line.
pub fn publish(
    bundle: &Bundle,
    store: &ObjectStore,
    credentials: &S3Credentials,
    workdir: &Path,
) -> Result<()> {
    bundle.write_to(workdir)?;
    let remote = store.remote();
    rclone(
        store,
        credentials,
        &[
            "copy".into(),
            workdir.join("files").display().to_string(),
            // a trailing / so rclone lists the prefix instead of first asking for it as an object
            format!("{remote}/files/"),
        ],
    )?;
    for name in ["agent", "agent.sig", "manifest.sig", "manifest"] {
        rclone(
            store,
            credentials,
            &[
                "copyto".into(),
                workdir.join(name).display().to_string(),
                format!("{remote}/{name}"),
            ],
        )?;
    }
    Ok(())
}

/// Reads one object of `store` (a host report, say) as text.
///
/// # Errors
/// [`Error::Command`] (step `publish`) when rclone fails or the object is not UTF-8.
pub fn read_object(store: &ObjectStore, credentials: &S3Credentials, key: &str) -> Result<String> {
    let out = rclone(
        store,
        credentials,
        &["cat".into(), format!("{}/{key}", store.remote())],
    )?;
    String::from_utf8(out).map_err(|_| Error::Command {
        step: "publish".to_owned(),
        detail: format!("{key} is not UTF-8"),
    })
}

fn rclone(store: &ObjectStore, credentials: &S3Credentials, args: &[String]) -> Result<Vec<u8>> {
    let fail = |detail: String| Error::Command {
        step: "publish".to_owned(),
        detail,
    };
    let mut cmd = Command::new("rclone");
    cmd.args(store.rclone_args());
    // rclone 1.60's S3 client refuses AWS_CA_BUNDLE itself; it takes the bundle as --ca-cert
    // (as the restore flow does)
    cmd.env_remove("AWS_CA_BUNDLE");
    if let Some(bundle) = std::env::var_os("AWS_CA_BUNDLE") {
        cmd.arg("--ca-cert").arg(bundle);
    }
    let out = cmd
        .args(args)
        .env(
            "RCLONE_S3_ACCESS_KEY_ID",
            credentials.access_key_id().expose(),
        )
        .env(
            "RCLONE_S3_SECRET_ACCESS_KEY",
            credentials.secret_access_key().expose(),
        )
        .stdin(Stdio::null())
        .output()
        .map_err(|e| fail(format!("rclone could not start: {e}")))?;
    if out.status.success() {
        return Ok(out.stdout);
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    Err(fail(format!("{}: {}", out.status, last.trim())))
}
