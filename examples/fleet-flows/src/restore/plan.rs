//! The typed restore plan: which object, where the identity is read, which host receives the
//! data, and every command with the machine it runs on.

use std::fmt;
use std::path::{Path, PathBuf};

use cloudinit_builder::preset::{ObjectStore, RESTORE_SCRIPT};

use crate::error::{Error, Result};

/// The file name of the decrypted archive in the operator's work directory.
pub const PLAIN_ARCHIVE: &str = "restore.tar.gz";
/// The file name of the restore script in the operator's work directory.
pub const SCRIPT_FILE: &str = "hardened-restore";

/// Which backup to restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectChoice {
    /// The newest `backup-*.tar.gz.age` under the instance's prefix (names sort by time).
    Latest,
    /// One object, by file name (`backup-<UTC stamp>.tar.gz.age`).
    Named(String),
}

/// The machine a step runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Where {
    /// The operator's machine, which holds the age identity.
    Operator,
    /// The fresh host (reached over SSH), which never sees the identity or the ciphertext.
    Host,
}

impl fmt::Display for Where {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Operator => "operator",
            Self::Host => "host",
        })
    }
}

/// How the fresh host's restore script is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostAccess {
    /// Over SSH as the admin (key only): the restore script is installed at [`RESTORE_SCRIPT`],
    /// then run with `sudo`, the archive on its standard input over the SSH channel.
    Ssh {
        /// The admin login.
        user: String,
        /// The host's public IPv4 address.
        address: String,
        /// Its SSH port.
        port: u16,
    },
    /// The restore script run on this machine (a rescue system with the disk mounted, or a
    /// test) by `command` followed by the script's path, e.g. `["bash"]`.
    Local {
        /// The interpreter and its leading arguments.
        command: Vec<String>,
    },
}

/// One command of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Short name, used in errors (`download`, `decrypt`, `check`, `restore`).
    pub name: &'static str,
    /// Where it runs.
    pub runs_on: Where,
    /// The command, as argv (never through a shell; no secret in it).
    pub argv: Vec<String>,
    /// A file fed to its standard input.
    pub stdin: Option<PathBuf>,
    /// What it establishes.
    pub purpose: &'static str,
}

/// A restore of one instance's data from the off-host store onto a fresh host.
///
/// The identity is read on the operator's machine only; decryption is authenticated (age), so
/// a changed or truncated object fails at `decrypt` and nothing reaches the host. The host gets
/// the plain archive on its restore script's standard input, after it has been decrypted and
/// listed.
///
/// ```
/// use cloudinit_builder::preset::{APP_DATA_VOLUME, Backups, ObjectStore, STACK_DIR};
/// use fleet_flows::restore::{HostAccess, ObjectChoice, RestorePlan, Where};
/// let store = ObjectStore::new("https://fsn1.your-objectstorage.com", "fleet-backups", "fsn1")?
///     .prefix("inst-0042")?;
/// let plan = RestorePlan::new(
///     "inst-0042",
///     store,
///     "/home/ops/keys/inst-0042.age",
///     "/home/ops/restore/inst-0042",
///     HostAccess::Ssh { user: "admin".into(), address: "203.0.113.7".into(), port: 24022 },
///     Backups::volume_restore_script(APP_DATA_VOLUME, STACK_DIR)?,
/// )?;
/// let steps = plan.steps("backup-20261202T030000Z.tar.gz.age");
/// let names: Vec<_> = steps.iter().map(|s| s.name).collect();
/// assert_eq!(names, ["download", "decrypt", "check", "install", "restore"]);
/// assert!(steps.iter().filter(|s| s.runs_on == Where::Host).all(|s| !s.argv.iter().any(|a| a.contains(".age"))));
/// assert_eq!(plan.object, ObjectChoice::Latest);
/// # Ok::<(), fleet_flows::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestorePlan {
    /// The instance whose data is restored.
    pub instance_id: String,
    /// The store, with the instance's key prefix.
    pub store: ObjectStore,
    /// Which object.
    pub object: ObjectChoice,
    /// The operator's age identity file (read by `age -d -i`; never copied).
    pub identity_file: PathBuf,
    /// The operator's private work directory (created `0700`; emptied afterwards).
    pub workdir: PathBuf,
    /// The fresh host.
    pub host: HostAccess,
    /// The restore script the host runs
    /// ([`Backups::volume_restore_script`](cloudinit_builder::preset::Backups::volume_restore_script)).
    pub restore_script: String,
}

impl RestorePlan {
    /// A plan for the newest object of `instance_id` under `store`.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming `store` when its prefix is not the instance id, or
    /// `identity_file`/`workdir` when they are not absolute paths.
    pub fn new(
        instance_id: &str,
        store: ObjectStore,
        identity_file: impl Into<PathBuf>,
        workdir: impl Into<PathBuf>,
        host: HostAccess,
        restore_script: String,
    ) -> Result<Self> {
        if store.key_prefix() != instance_id {
            return Err(Error::invalid(
                "store",
                "its prefix must be the instance id (what the host writes under)",
            ));
        }
        let identity_file = identity_file.into();
        let workdir = workdir.into();
        for (field, path) in [("identity_file", &identity_file), ("workdir", &workdir)] {
            if !path.is_absolute() {
                return Err(Error::invalid(field, "must be an absolute path"));
            }
        }
        Ok(Self {
            instance_id: instance_id.to_owned(),
            store,
            object: ObjectChoice::Latest,
            identity_file,
            workdir,
            host,
            restore_script,
        })
    }

    /// Restores a given object instead of the newest.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming `object` unless it is `backup-<stamp>.tar.gz.age`.
    pub fn object(mut self, name: &str) -> Result<Self> {
        check_object(name)?;
        self.object = ObjectChoice::Named(name.to_owned());
        Ok(self)
    }

    /// rclone's arguments for the store (credentials come from the environment).
    pub fn rclone(&self) -> Vec<String> {
        let mut argv = vec!["rclone".to_owned()];
        argv.extend(self.store.rclone_args());
        argv
    }

    /// The command that lists the instance's objects (run first when the object is
    /// [`ObjectChoice::Latest`]).
    pub fn list_step(&self) -> Step {
        let mut argv = self.rclone();
        argv.extend(["lsf", "--include", "backup-*.tar.gz.age"].map(str::to_owned));
        // The trailing slash lists the prefix without first asking for it as an object.
        argv.push(format!("{}/", self.store.remote()));
        Step {
            name: "list",
            runs_on: Where::Operator,
            argv,
            stdin: None,
            purpose: "find the newest backup of the instance",
        }
    }

    /// The steps for the object `name`, in order. Pure: nothing runs.
    pub fn steps(&self, name: &str) -> Vec<Step> {
        let cipher = self.workdir.join(name);
        let plain = self.workdir.join(PLAIN_ARCHIVE);
        let path = |p: &Path| p.display().to_string();
        let mut download = self.rclone();
        download.push("copyto".to_owned());
        download.push(format!("{}/{name}", self.store.remote()));
        download.push(path(&cipher));
        let script = self.workdir.join(SCRIPT_FILE);
        let (install, restore) = match &self.host {
            HostAccess::Ssh {
                user,
                address,
                port,
            } => {
                let ssh = |rest: &[&str]| {
                    let mut argv = vec![
                        "ssh".to_owned(),
                        "-p".to_owned(),
                        port.to_string(),
                        "-o".to_owned(),
                        "BatchMode=yes".to_owned(),
                        format!("{user}@{address}"),
                        "sudo".to_owned(),
                    ];
                    argv.extend(rest.iter().map(|a| (*a).to_owned()));
                    argv
                };
                let install = Step {
                    name: "install",
                    runs_on: Where::Host,
                    argv: ssh(&["install", "-m", "0700", "/dev/stdin", RESTORE_SCRIPT]),
                    stdin: Some(script.clone()),
                    purpose: "put the restore script in place",
                };
                (Some(install), ssh(&[RESTORE_SCRIPT]))
            }
            HostAccess::Local { command } => {
                let mut argv = command.clone();
                argv.push(path(&script));
                (None, argv)
            }
        };
        let mut steps = vec![
            Step {
                name: "download",
                runs_on: Where::Operator,
                argv: download,
                stdin: None,
                purpose: "fetch the encrypted archive from the store",
            },
            Step {
                name: "decrypt",
                runs_on: Where::Operator,
                argv: vec![
                    "age".to_owned(),
                    "-d".to_owned(),
                    "-i".to_owned(),
                    path(&self.identity_file),
                    "-o".to_owned(),
                    path(&plain),
                    path(&cipher),
                ],
                stdin: None,
                purpose: "authenticated decryption: any changed byte fails here",
            },
            Step {
                name: "check",
                runs_on: Where::Operator,
                argv: vec!["tar".to_owned(), "-tzf".to_owned(), path(&plain)],
                stdin: None,
                purpose: "the archive reads to the end",
            },
        ];
        steps.extend(install);
        steps.push(Step {
            name: "restore",
            runs_on: Where::Host,
            argv: restore,
            stdin: Some(plain),
            purpose: "stop the data services, swap in the data directory, start them, wait for their health check",
        });
        steps
    }

    /// The plan as text, one line per step (`<latest>` stands for the object found at run time).
    pub fn describe(&self) -> Vec<String> {
        let name = match &self.object {
            ObjectChoice::Latest => "<latest>".to_owned(),
            ObjectChoice::Named(n) => n.clone(),
        };
        let mut lines = Vec::new();
        if self.object == ObjectChoice::Latest {
            lines.push(line(&self.list_step()));
        }
        lines.extend(self.steps(&name).iter().map(line));
        lines
    }
}

fn line(step: &Step) -> String {
    let stdin = step
        .stdin
        .as_ref()
        .map(|p| format!(" < {}", p.display()))
        .unwrap_or_default();
    format!(
        "[{}] {:8} {}{stdin}   # {}",
        step.runs_on,
        step.name,
        step.argv.join(" "),
        step.purpose
    )
}

/// Checks a backup object name, `backup-<UTC stamp>.tar.gz.age`, before anything is created
/// for a restore.
///
/// ```
/// use fleet_flows::restore::check_object;
/// assert!(check_object("backup-20260101T0300Z.tar.gz.age").is_ok());
/// assert!(check_object("../etc/passwd").unwrap_err().to_string().starts_with("invalid object:"));
/// ```
///
/// # Errors
/// [`Error::Invalid`] naming `object`.
pub fn check_object(name: &str) -> Result<()> {
    let ok = name
        .strip_prefix("backup-")
        .and_then(|r| r.strip_suffix(".tar.gz.age"))
        .is_some_and(|stamp| !stamp.is_empty() && stamp.chars().all(|c| c.is_ascii_alphanumeric()));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "object",
            "must be an object file name backup-<UTC stamp>.tar.gz.age",
        ))
    }
}
