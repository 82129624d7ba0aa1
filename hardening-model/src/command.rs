//! Commands as data: [`HostCommand`] (an argument vector with its purpose) and POSIX shell
//! quoting.
//!
//! Renderers never build shell text from unchecked strings: they return argument vectors, and
//! whoever needs a shell line (a rendered script, cloud-init `runcmd`) quotes each word with
//! [`quote`], so every argument stays one word whatever it contains.

use std::borrow::Cow;
use std::fmt;

/// One command to run on the host, as an argument vector plus why it runs.
///
/// ```
/// use hardening_model::command::HostCommand;
/// let cmd = HostCommand::new(["systemctl", "restart", "ssh.socket"], "rebind the SSH port");
/// assert_eq!(cmd.shell_line(), "systemctl restart ssh.socket");
/// let quoted = HostCommand::new(["ss", "-Htln", "sport = :2222"], "check");
/// assert_eq!(quoted.shell_line(), "ss -Htln 'sport = :2222'");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostCommand {
    /// Program and arguments.
    pub argv: Vec<String>,
    /// What the step does and why it is needed.
    pub purpose: String,
    /// True when a failure is expected and harmless (e.g. disabling a unit that is not
    /// installed); the step may then be ignored.
    pub may_fail: bool,
}

impl HostCommand {
    /// A command that must succeed.
    pub fn new<I, S>(argv: I, purpose: impl Into<String>) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            argv: argv.into_iter().map(Into::into).collect(),
            purpose: purpose.into(),
            may_fail: false,
        }
    }

    /// Marks the command as allowed to fail.
    #[must_use]
    pub fn allow_failure(mut self) -> Self {
        self.may_fail = true;
        self
    }

    /// The command as one POSIX shell line, every argument quoted when it needs to be; a
    /// command that may fail gets `|| true`.
    pub fn shell_line(&self) -> String {
        let line = self
            .argv
            .iter()
            .map(|a| quote(a))
            .collect::<Vec<_>>()
            .join(" ");
        if self.may_fail {
            format!("{line} || true")
        } else {
            line
        }
    }
}

impl fmt::Display for HostCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shell_line())
    }
}

/// Quotes one word for a POSIX shell: unchanged when it only has characters no shell treats
/// specially, otherwise in single quotes with each `'` written as `'\''`. Nothing inside single
/// quotes is special to the shell, so the word stays one argument.
///
/// `=` is quoted too: in a leading word it would turn the word into an assignment.
///
/// ```
/// use hardening_model::command::quote;
/// assert_eq!(quote("/etc/ssh/sshd_config"), "/etc/ssh/sshd_config");
/// assert_eq!(quote(""), "''");
/// assert_eq!(quote("it's"), r"'it'\''s'");
/// assert_eq!(quote("$(reboot)"), "'$(reboot)'");
/// ```
pub fn quote(word: &str) -> Cow<'_, str> {
    let safe = !word.is_empty()
        && word.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '/' | '.' | '_' | '-' | '+' | ',' | ':' | '@' | '%')
        });
    if safe {
        return Cow::Borrowed(word);
    }
    let mut out = String::with_capacity(word.len() + 2);
    out.push('\'');
    for c in word.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    Cow::Owned(out)
}

/// One command line: every word quoted as needed, separated by single spaces.
///
/// ```
/// use hardening_model::command::line;
/// assert_eq!(line(["ufw", "allow", "from", "$(id)"]), "ufw allow from '$(id)'");
/// ```
pub fn line<I, S>(argv: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    argv.into_iter()
        .map(|word| quote(word.as_ref()).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn quotes_what_a_shell_would_interpret() {
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("a=b"), "'a=b'");
        assert_eq!(quote("a'b"), r"'a'\''b'");
        assert_eq!(line(["echo", "x;y", ""]), "echo 'x;y' ''");
    }

    /// Reads a quoted line back the way a POSIX shell splits it (single quotes and the
    /// `'\''` escape only, which is all [`quote`] produces).
    fn split(line: &str) -> Vec<String> {
        let mut words = Vec::new();
        let mut word = String::new();
        let (mut in_word, mut quoted, mut escaped) = (false, false, false);
        for c in line.chars() {
            if escaped {
                word.push(c);
                escaped = false;
                continue;
            }
            match c {
                '\'' => {
                    quoted = !quoted;
                    in_word = true;
                }
                '\\' if !quoted => {
                    escaped = true;
                    in_word = true;
                }
                ' ' if !quoted => {
                    if in_word {
                        words.push(std::mem::take(&mut word));
                    }
                    in_word = false;
                }
                c => {
                    word.push(c);
                    in_word = true;
                }
            }
        }
        if in_word {
            words.push(word);
        }
        words
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]
        #[test]
        fn every_word_survives_quoting(argv in proptest::collection::vec(any::<String>(), 1..5)) {
            prop_assert_eq!(split(&line(&argv)), argv);
        }
    }
}
