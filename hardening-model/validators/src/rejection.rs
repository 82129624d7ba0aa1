//! The error a validator returns when it refuses its input.

use std::fmt;
use std::process::Output;

/// A validator refused its input (or could not be run at all).
///
/// Carries the command that ran, its exit status and everything it printed, so a failing test
/// shows the tool's own explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The command line that ran (program and arguments, temp file paths included).
    pub command: String,
    /// The exit code; `None` when the tool was killed by a signal or could not be started.
    pub status: Option<i32>,
    /// What the tool printed on stdout.
    pub stdout: String,
    /// What the tool printed on stderr (or why it could not be started).
    pub stderr: String,
}

impl Rejection {
    /// Builds a rejection from a finished process.
    pub(crate) fn from_output(command: String, output: &Output) -> Self {
        Self {
            command,
            status: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Builds a rejection for a tool that could not be run (temp file, spawn or wait failure).
    pub(crate) fn setup(command: impl Into<String>, why: impl fmt::Display) -> Self {
        Self {
            command: command.into(),
            status: None,
            stdout: String::new(),
            stderr: format!("could not run the validator: {why}"),
        }
    }

    /// Stdout and stderr together, for matching on the tool's message.
    pub fn output(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            Some(code) => write!(
                f,
                "`{}` rejected the input (exit status {code})",
                self.command
            )?,
            None => write!(f, "`{}` did not finish normally", self.command)?,
        }
        if !self.stdout.trim().is_empty() {
            write!(f, "\n--- stdout ---\n{}", self.stdout.trim_end())?;
        }
        if !self.stderr.trim().is_empty() {
            write!(f, "\n--- stderr ---\n{}", self.stderr.trim_end())?;
        }
        Ok(())
    }
}

impl std::error::Error for Rejection {}
