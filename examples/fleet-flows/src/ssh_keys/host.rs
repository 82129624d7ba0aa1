//! The host side of an admin key rotation, over SSH through the bastion.
//!
//! [`HostKeyRotation::script`] is a POSIX `sh` script that edits one `authorized_keys` file:
//! the new key is appended when it is missing, then every line carrying the old key's blob is
//! removed, and the file is replaced atomically with mode `0600` (a run that stops half way
//! leaves the old file or the new one, never a broken one). It is idempotent. The keys are
//! checked OpenSSH public key lines, so nothing in them can escape the script's quoting.
//! [`HostKeyRotation::ssh_command`] is the `ssh` invocation that runs it on a host as its
//! admin, with the script on standard input.
//!
//! ```
//! use fleet_flows::ssh_keys::host::{HostKeyRotation, SshTarget};
//! let rotation = HostKeyRotation::new(
//!     "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILc2XfqJ2tHyuC1V30KKS6gMKu3fLxi2JcrAVVcb7Quy alice-2026",
//!     "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOnVuPlLJbRW5ljyoLBVt6D7650AxObyWECVjsKlV3we alice-2027",
//! )?;
//! let target = SshTarget { user: "admin".into(), address: "203.0.113.7".into(), port: 24022,
//!     bastion: Some("ops@bastion.example.com".into()) };
//! let argv = rotation.ssh_command(&target)?;
//! assert_eq!(argv[..3], ["ssh", "-J", "ops@bastion.example.com"]);
//! assert!(rotation.script(".ssh/authorized_keys")?.contains("AAAAC3NzaC1lZDI1NTE5AAAAIOnVuPlLJbRW"));
//! # Ok::<(), fleet_flows::Error>(())
//! ```

use std::io::Write as _;
use std::process::{Command, Stdio};

use cloudinit_builder::SshPublicKey;

use crate::error::{Error, Result};

/// Where the script runs: the host's admin login, address and SSH port, and the bastion to
/// jump through (`user@host[:port]`, as `ssh -J` takes it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshTarget {
    /// The admin login on the host.
    pub user: String,
    /// The host's address.
    pub address: String,
    /// Its SSH port.
    pub port: u16,
    /// The bastion, if any.
    pub bastion: Option<String>,
}

/// Replace one admin key by another in a host's `authorized_keys`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostKeyRotation {
    old_blob: String,
    new_line: String,
}

fn key(field: &str, line: &str) -> Result<(String, String)> {
    let checked = SshPublicKey::new(line.trim())
        .map_err(|_| Error::invalid(field, "must be one OpenSSH public key line"))?;
    let line = checked.as_str().to_owned();
    if line.contains(['\'', '\\', '\n', '\r']) {
        return Err(Error::invalid(
            field,
            "must not contain quotes, backslashes or line breaks",
        ));
    }
    let blob = line
        .split_whitespace()
        .nth(1)
        .ok_or_else(|| Error::invalid(field, "has no key body"))?
        .to_owned();
    Ok((line, blob))
}

/// A shell word for a value made of safe characters only.
fn safe_word(field: &str, value: &str) -> Result<String> {
    let ok = !value.is_empty()
        && value.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@' | ':' | '/' | '[' | ']')
        });
    if ok && !value.starts_with('-') {
        Ok(value.to_owned())
    } else {
        Err(Error::invalid(
            field,
            "may only use letters, digits and .-_@:/[] and must not start with '-'",
        ))
    }
}

impl HostKeyRotation {
    /// The rotation from `old_key` to `new_key` (OpenSSH public key lines).
    ///
    /// # Errors
    /// [`Error::Invalid`] naming `old_key` or `new_key`, or `new_key` when both are the same.
    pub fn new(old_key: &str, new_key: &str) -> Result<Self> {
        let (_, old_blob) = key("old_key", old_key)?;
        let (new_line, new_blob) = key("new_key", new_key)?;
        if old_blob == new_blob {
            return Err(Error::invalid("new_key", "is the same key as old_key"));
        }
        Ok(Self { old_blob, new_line })
    }

    /// The script editing `authorized_keys` (relative paths are from the login's home).
    ///
    /// # Errors
    /// [`Error::Invalid`] naming `authorized_keys` for a path with unsafe characters.
    pub fn script(&self, authorized_keys: &str) -> Result<String> {
        let file = safe_word("authorized_keys", authorized_keys)?;
        let blob = &self.old_blob;
        let new = &self.new_line;
        Ok(format!(
            "set -eu\n\
             umask 077\n\
             f='{file}'\n\
             mkdir -p \"$(dirname \"$f\")\"\n\
             touch \"$f\"\n\
             t=\"$f.rotate.$$\"\n\
             {{ awk -v old='{blob}' '$0 !~ /^[[:space:]]*#/ {{ for (i = 1; i <= NF; i++) if ($i == old) next }} {{ print }}' \"$f\"\n\
             grep -qF -- '{new}' \"$f\" || printf '%s\\n' '{new}'; }} > \"$t\"\n\
             grep -qF -- '{new}' \"$t\"\n\
             chmod 600 \"$t\"\n\
             mv -f \"$t\" \"$f\"\n"
        ))
    }

    /// `ssh` arguments that run the script on `target` as its admin (key authentication only,
    /// the host key checked against `known_hosts`), with the script on standard input.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming `user`, `address` or `bastion` for unsafe values.
    pub fn ssh_command(&self, target: &SshTarget) -> Result<Vec<String>> {
        let user = safe_word("user", &target.user)?;
        let address = safe_word("address", &target.address)?;
        let mut argv = vec!["ssh".to_owned()];
        if let Some(bastion) = &target.bastion {
            argv.push("-J".to_owned());
            argv.push(safe_word("bastion", bastion)?);
        }
        argv.extend(
            [
                "-p",
                &target.port.to_string(),
                "-o",
                "BatchMode=yes",
                "-o",
                "StrictHostKeyChecking=yes",
                &format!("{user}@{address}"),
                "sh",
                "-s",
            ]
            .map(str::to_owned),
        );
        Ok(argv)
    }

    /// Runs the script on `target` over SSH and waits for it.
    ///
    /// # Errors
    /// [`Error::Command`] with ssh's exit status and last stderr line when it fails.
    pub fn run_over_ssh(&self, target: &SshTarget) -> Result<()> {
        let argv = self.ssh_command(target)?;
        run(&argv, &self.script(".ssh/authorized_keys")?)
    }
}

/// Runs `argv` with `script` on its standard input.
pub(crate) fn run(argv: &[String], script: &str) -> Result<()> {
    let failed = |detail: String| Error::Command {
        step: "rotate host key".to_owned(),
        detail,
    };
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| failed("no command".to_owned()))?;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| failed(format!("{program}: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(script.as_bytes())
            .map_err(|e| failed(format!("writing the script: {e}")))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| failed(format!("{program}: {e}")))?;
    if out.status.success() {
        Ok(())
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        Err(failed(format!(
            "{}: {}",
            out.status,
            stderr.lines().last().unwrap_or("")
        )))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const OLD: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILc2XfqJ2tHyuC1V30KKS6gMKu3fLxi2JcrAVVcb7Quy alice-2026";
    const NEW: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOnVuPlLJbRW5ljyoLBVt6D7650AxObyWECVjsKlV3we alice-2027";
    const BOB: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKsH9kh9aYEYJRPvXDtayJbiBGboYA/Kqzy5JaF34F8T bob";

    fn run_local(rotation: &HostKeyRotation, file: &std::path::Path) {
        let script = rotation.script(file.to_str().unwrap()).unwrap();
        run(&["sh".to_owned(), "-s".to_owned()], &script).unwrap();
    }

    #[test]
    fn the_script_adds_the_new_key_removes_the_old_and_keeps_the_rest() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("authorized_keys");
        std::fs::write(&file, format!("# admins\n{BOB}\nrestrict {OLD}\n")).unwrap();
        let rotation = HostKeyRotation::new(OLD, NEW).unwrap();
        run_local(&rotation, &file);
        let text = std::fs::read_to_string(&file).unwrap();
        assert_eq!(text, format!("# admins\n{BOB}\n{NEW}\n"));
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
        run_local(&rotation, &file);
        assert_eq!(std::fs::read_to_string(&file).unwrap(), text, "idempotent");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left"
        );
    }

    #[test]
    fn hostile_values_are_refused() {
        assert!(HostKeyRotation::new(OLD, OLD).is_err());
        assert!(HostKeyRotation::new(OLD, &format!("{NEW}'; rm -rf /")).is_err());
        assert!(HostKeyRotation::new("garbage", NEW).is_err());
        let r = HostKeyRotation::new(OLD, NEW).unwrap();
        assert!(r.script("a b").is_err() && r.script("$(x)").is_err());
        let target = |user: &str, bastion: Option<&str>| SshTarget {
            user: user.into(),
            address: "203.0.113.7".into(),
            port: 22,
            bastion: bastion.map(Into::into),
        };
        assert!(r.ssh_command(&target("-oProxyCommand=x", None)).is_err());
        assert!(
            r.ssh_command(&target("admin", Some("-oProxyCommand=x")))
                .is_err()
        );
        let argv = r.ssh_command(&target("admin", None)).unwrap();
        assert_eq!(argv.last().unwrap(), "-s");
        assert!(argv.contains(&"admin@203.0.113.7".to_owned()));
    }
}
