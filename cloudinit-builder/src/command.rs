//! `runcmd` and `bootcmd` entries: argv quoted for the shell by default, raw shell on request.

use std::borrow::Cow;
use std::fmt;

use crate::{Error, Result};

/// One command for `runcmd` or `bootcmd`.
///
/// [`Command::argv`] quotes every argument so that no argument can start another command,
/// redirect, expand a variable or glob; [`Command::shell`] takes a script verbatim and must be
/// asked for explicitly.
///
/// ```
/// use cloudinit_builder::Command;
/// let c = Command::argv(["echo", "a b", "$(reboot)"])?;
/// assert_eq!(c.to_string(), "echo 'a b' '$(reboot)'");
/// let s = Command::shell("systemctl daemon-reload && systemctl restart ssh.socket")?;
/// assert!(s.args().is_none());
/// # Ok::<(), cloudinit_builder::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command(Repr);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Repr {
    Argv(Vec<String>),
    Shell(String),
}

impl Command {
    /// A command from its argument vector. The program name must not be empty; no argument may
    /// contain NUL (a shell cannot pass it).
    pub fn argv<I, S>(args: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let args: Vec<String> = args.into_iter().map(Into::into).collect();
        match args.first() {
            None => return Err(Error::invalid("argv", "at least the program is required")),
            Some(p) if p.is_empty() => {
                return Err(Error::invalid("argv[0]", "the program must not be empty"));
            }
            Some(_) => {}
        }
        if let Some(i) = args.iter().position(|a| a.contains('\0')) {
            return Err(Error::invalid(format!("argv[{i}]"), "must not contain NUL"));
        }
        Ok(Self(Repr::Argv(args)))
    }

    /// A raw shell script, run by `/bin/sh` as written. Use only for pipelines, conditionals or
    /// loops; the caller is responsible for its quoting.
    pub fn shell(script: impl Into<String>) -> Result<Self> {
        let script = script.into();
        if script.trim().is_empty() {
            return Err(Error::invalid("shell", "must not be empty"));
        }
        if script.contains('\0') {
            return Err(Error::invalid("shell", "must not contain NUL"));
        }
        Ok(Self(Repr::Shell(script)))
    }

    /// Commands built with [`Command::argv`] joined with `&&`: each runs only when the one before
    /// succeeded (cloud-init runs `runcmd` entries one after the other whatever their status, so
    /// a step that must not run after a failure belongs in the same entry).
    ///
    /// ```
    /// use cloudinit_builder::Command;
    /// let c = Command::chain([
    ///     Command::argv(["sshd", "-t"])?,
    ///     Command::argv(["systemctl", "restart", "ssh.socket"])?,
    /// ])?;
    /// assert_eq!(c.to_string(), "sshd -t && systemctl restart ssh.socket");
    /// assert!(Command::chain([Command::shell("a | b")?]).is_err());
    /// # Ok::<(), cloudinit_builder::Error>(())
    /// ```
    pub fn chain(commands: impl IntoIterator<Item = Command>) -> Result<Self> {
        let mut parts = Vec::new();
        for (i, c) in commands.into_iter().enumerate() {
            if c.is_shell() {
                return Err(Error::invalid(
                    format!("chain[{i}]"),
                    "only argv commands can be chained",
                ));
            }
            parts.push(c.to_shell().into_owned());
        }
        if parts.is_empty() {
            return Err(Error::invalid("chain", "at least one command is required"));
        }
        Ok(Self(Repr::Shell(parts.join(" && "))))
    }

    /// The argument vector, for commands built with [`Command::argv`].
    pub fn args(&self) -> Option<&[String]> {
        match &self.0 {
            Repr::Argv(a) => Some(a),
            Repr::Shell(_) => None,
        }
    }

    /// Whether the command is a raw shell script.
    pub fn is_shell(&self) -> bool {
        matches!(self.0, Repr::Shell(_))
    }

    /// The shell text cloud-init runs for this entry.
    pub fn to_shell(&self) -> Cow<'_, str> {
        match &self.0 {
            Repr::Shell(s) => Cow::Borrowed(s),
            Repr::Argv(a) => Cow::Owned(argv_line(a)),
        }
    }
}

/// `argv` as one command line, quoted as needed: like [`hardening_model::command::line`], but
/// a word after the first that holds `=` among otherwise plain characters stays bare
/// (`env DEBIAN_FRONTEND=noninteractive`, `--unit=name`): only a first word can be an
/// assignment.
fn argv_line(argv: &[String]) -> String {
    argv.iter()
        .enumerate()
        .map(|(i, w)| {
            if i > 0 && quote(&w.replace('=', "")) == w.replace('=', "") && !w.starts_with('=') {
                w.clone()
            } else {
                quote(w).into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_shell())
    }
}

/// Quotes one word for a POSIX shell (hardening-model's quoting, shared so that every rendered
/// script and every `runcmd` entry quotes alike).
///
/// ```
/// use cloudinit_builder::command::quote;
/// assert_eq!(quote("/etc/ssh/sshd_config"), "/etc/ssh/sshd_config");
/// assert_eq!(quote("it's"), r"'it'\''s'");
/// ```
pub use hardening_model::command::quote;

#[cfg(test)]
mod tests {
    #[test]
    fn an_assignment_like_argument_stays_bare_but_a_first_word_is_quoted() {
        let c = super::Command::argv(["env", "A=b", "--unit=x", "a=b c", "=x"]).unwrap();
        assert_eq!(c.to_shell(), "env A=b --unit=x 'a=b c' '=x'");
        let c = super::Command::argv(["A=b", "x"]).unwrap();
        assert_eq!(c.to_shell(), "'A=b' x");
    }

    use super::*;

    #[test]
    fn argv_rejects_empty_and_nul() {
        assert_eq!(
            Command::argv(Vec::<String>::new()).unwrap_err().field(),
            Some("argv")
        );
        assert_eq!(Command::argv([""]).unwrap_err().field(), Some("argv[0]"));
        assert_eq!(
            Command::argv(["a", "b\0"]).unwrap_err().field(),
            Some("argv[1]")
        );
        assert!(Command::shell("  \n").is_err());
    }

    #[test]
    fn metacharacters_are_quoted() {
        let c = Command::argv(["sh", "-c", "x; y", "a'b", "~", "*", "a=b", "\n"]).unwrap();
        // `a=b` after the first word is an argument, not an assignment: it stays bare.
        assert_eq!(c.to_shell(), "sh -c 'x; y' 'a'\\''b' '~' '*' a=b '\n'");
    }
}
