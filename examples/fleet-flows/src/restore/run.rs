//! Running a [`RestorePlan`]: each step in order, stopping at the first failure, with the
//! plaintext removed from the operator's machine whatever happens.

use std::fs::File;
use std::process::{Command, Stdio};

use cloudinit_builder::preset::S3Credentials;

use super::health::Health;
use super::plan::{ObjectChoice, PLAIN_ARCHIVE, RestorePlan, SCRIPT_FILE, Step};
use crate::error::{Error, Result};
use crate::progress::Progress;

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Executed {
    /// The object restored (file name under the instance's prefix).
    pub object: String,
    /// Size of the encrypted object, bytes.
    pub encrypted_bytes: u64,
    /// Size of the decrypted archive, bytes.
    pub archive_bytes: u64,
    /// The steps run, by name.
    pub steps: Vec<&'static str>,
    /// The data services' health check after the swap, as the restore script reported it.
    pub health: Health,
}

/// Runs `plan`. `credentials` are the operator's read keys for the store; they reach rclone
/// through its environment only. An `AWS_CA_BUNDLE` in the environment is handed to rclone as
/// `--ca-cert` (rclone 1.60's S3 client refuses the variable itself).
///
/// Nothing is sent to the host unless the download, the authenticated decryption and the
/// archive listing all succeeded. The work directory is created `0700`; the encrypted and the
/// decrypted archive are deleted at the end, on success and on failure.
///
/// The restore ends with the data services' health check (the script's `health:` lines): a
/// service that is unhealthy or not healthy in time is reported in [`Executed::health`], not
/// as an error, because the data was swapped in; the caller decides (the example exits
/// non-zero).
///
/// # Errors
/// [`Error::Command`] naming the step that failed (e.g. `decrypt` for a changed object, or
/// `restore` when the script failed before reporting the health check), or [`Error::State`]
/// when the store holds no backup of the instance.
pub fn execute(
    plan: &RestorePlan,
    credentials: &S3Credentials,
    progress: &Progress,
) -> Result<Executed> {
    private_dir(&plan.workdir)?;
    let mut ran = Vec::new();
    let object = match &plan.object {
        ObjectChoice::Named(name) => name.clone(),
        ObjectChoice::Latest => {
            let step = plan.list_step();
            progress.step(format!("listing {}", plan.store.remote()));
            let out = run(&step, credentials)?;
            ran.push(step.name);
            String::from_utf8_lossy(&out)
                .lines()
                .map(str::trim)
                .filter(|l| l.starts_with("backup-") && l.ends_with(".tar.gz.age"))
                .max()
                .map(str::to_owned)
                .ok_or_else(|| {
                    Error::State(format!(
                        "no backup of {} under {}",
                        plan.instance_id,
                        plan.store.remote()
                    ))
                })?
        }
    };
    let cipher = plan.workdir.join(&object);
    let plain = plan.workdir.join(PLAIN_ARCHIVE);
    let script = plan.workdir.join(SCRIPT_FILE);
    let cleanup = || {
        let _ = std::fs::remove_file(&cipher);
        let _ = std::fs::remove_file(&plain);
        let _ = std::fs::remove_file(&script);
    };
    std::fs::write(&script, &plan.restore_script)
        .map_err(|e| Error::invalid("workdir", format!("{}: {e}", script.display())))?;
    let mut sizes = (0, 0);
    let mut health = None;
    for step in plan.steps(&object) {
        progress.step(format!(
            "{} ({}): {}",
            step.name, step.runs_on, step.purpose
        ));
        let outcome = if step.name == "restore" {
            restore(&step, credentials).map(|h| health = Some(h))
        } else {
            run(&step, credentials).map(drop)
        };
        if let Err(e) = outcome {
            cleanup();
            return Err(e);
        }
        ran.push(step.name);
        if step.name == "check" {
            sizes = (file_size(&cipher), file_size(&plain));
        }
    }
    cleanup();
    let health = health.ok_or_else(|| Error::State("the plan has no restore step".to_owned()))?;
    progress.step(format!("health check: {health}"));
    Ok(Executed {
        object,
        encrypted_bytes: sizes.0,
        archive_bytes: sizes.1,
        steps: ran,
        health,
    })
}

/// Runs the restore step: its health report when it printed one (exit status 0 healthy, 3 not),
/// an error otherwise.
fn restore(step: &Step, credentials: &S3Credentials) -> Result<Health> {
    let out = spawn(step, credentials)?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    match Health::parse(&stdout) {
        Some(h) if out.status.success() || out.status.code() == Some(3) => Ok(h),
        _ if !out.status.success() => Err(failed(step, &out)),
        _ => Err(Error::Command {
            step: step.name.to_owned(),
            detail: "the restore script reported no health check".to_owned(),
        }),
    }
}

fn file_size(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn private_dir(dir: &std::path::Path) -> Result<()> {
    let bad = |e: std::io::Error| Error::invalid("workdir", format!("{}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(bad)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(bad)?;
    }
    Ok(())
}

/// Runs one step; its stdout on success.
fn run(step: &Step, credentials: &S3Credentials) -> Result<Vec<u8>> {
    let out = spawn(step, credentials)?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(failed(step, &out))
    }
}

/// The error for a step that exited non-zero: its status and the last line of its stderr.
fn failed(step: &Step, out: &std::process::Output) -> Error {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    Error::Command {
        step: step.name.to_owned(),
        detail: format!("{}: {}", out.status, last.trim()),
    }
}

/// Runs one step to its end, whatever its exit status.
fn spawn(step: &Step, credentials: &S3Credentials) -> Result<std::process::Output> {
    let failed = |detail: String| Error::Command {
        step: step.name.to_owned(),
        detail,
    };
    let (program, args) = step
        .argv
        .split_first()
        .ok_or_else(|| failed("empty command".to_owned()))?;
    let mut cmd = Command::new(program);
    if program == "rclone" {
        cmd.env(
            "RCLONE_S3_ACCESS_KEY_ID",
            credentials.access_key_id().expose(),
        )
        .env(
            "RCLONE_S3_SECRET_ACCESS_KEY",
            credentials.secret_access_key().expose(),
        )
        .env_remove("AWS_CA_BUNDLE");
        if let Some(bundle) = std::env::var_os("AWS_CA_BUNDLE") {
            cmd.arg("--ca-cert").arg(bundle);
        }
    }
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    match &step.stdin {
        Some(path) => {
            let file = File::open(path).map_err(|e| failed(format!("{}: {e}", path.display())))?;
            cmd.stdin(file);
        }
        None => {
            cmd.stdin(Stdio::null());
        }
    }
    cmd.output()
        .map_err(|e| failed(format!("{program} could not start: {e}")))
}
