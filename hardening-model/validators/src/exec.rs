//! Running a validator on temp files and turning a non-zero exit into a [`Rejection`].

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tempfile::TempDir;

use crate::Rejection;

/// A private temporary directory holding a validator's input files.
#[derive(Debug)]
pub(crate) struct Workdir {
    dir: TempDir,
}

impl Workdir {
    /// Creates a fresh temporary directory.
    pub(crate) fn new(tool: &str) -> Result<Self, Rejection> {
        tempfile::Builder::new()
            .prefix("hardening-validators-")
            .tempdir()
            .map(|dir| Self { dir })
            .map_err(|e| Rejection::setup(tool, format!("temp dir: {e}")))
    }

    /// The directory's path.
    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `content` to `name` (which may contain subdirectories) and returns its path.
    pub(crate) fn write(&self, name: &str, content: &str) -> Result<PathBuf, Rejection> {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                Rejection::setup(name, format!("creating {}: {e}", parent.display()))
            })?;
        }
        std::fs::write(&path, content)
            .map_err(|e| Rejection::setup(name, format!("writing {}: {e}", path.display())))?;
        Ok(path)
    }
}

/// Renders a command line for messages.
pub(crate) fn describe(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `cmd` to completion with stdin closed and both outputs captured.
pub(crate) fn output(cmd: &mut Command) -> Result<Output, Rejection> {
    let line = describe(cmd);
    cmd.stdin(Stdio::null())
        .output()
        .map_err(|e| Rejection::setup(line, e))
}

/// Runs `cmd`; exit status 0 is success, anything else a [`Rejection`].
pub(crate) fn run(cmd: &mut Command) -> Result<Output, Rejection> {
    let out = output(cmd)?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(Rejection::from_output(describe(cmd), &out))
    }
}
