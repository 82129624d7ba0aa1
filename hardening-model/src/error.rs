//! The one error type of the crate: a value that failed validation, naming its field.

use std::fmt;

/// A policy value was rejected before anything was rendered.
///
/// The error names the field (for example `sshd.allow_users[2]`) and says what is wrong with it.
/// It never repeats the offending value itself, because values can be secrets.
///
/// ```
/// use hardening_model::values::UnixUser;
///
/// let err = UnixUser::new("deploy\nPermitRootLogin yes").unwrap_err();
/// assert_eq!(err.field(), "user");
/// assert!(err.to_string().contains("line feed"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field}: {problem}")]
pub struct Error {
    field: String,
    problem: Problem,
}

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Creates an error for `field`.
    pub fn new(field: impl Into<String>, problem: Problem) -> Self {
        Self {
            field: field.into(),
            problem,
        }
    }

    /// Creates an error whose problem is described in words.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::new(field, Problem::Invalid(reason.into()))
    }

    /// The field that was rejected, as a path such as `firewall.inbound[3].description`.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// What is wrong with the value.
    pub fn problem(&self) -> &Problem {
        &self.problem
    }

    /// Prefixes the field path, for errors raised inside a nested value.
    ///
    /// ```
    /// use hardening_model::{Error, Problem};
    /// let e = Error::new("port", Problem::Empty).within("ssh");
    /// assert_eq!(e.field(), "ssh.port");
    /// ```
    #[must_use]
    pub fn within(mut self, parent: &str) -> Self {
        self.field = if self.field.starts_with('[') {
            format!("{parent}{}", self.field)
        } else {
            format!("{parent}.{}", self.field)
        };
        self
    }
}

/// What is wrong with a rejected value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// The value is empty where something is required.
    Empty,
    /// The value is longer than the target format allows.
    TooLong {
        /// Largest accepted length.
        max: usize,
        /// Length that was given.
        len: usize,
    },
    /// The value contains a character that could escape its token in the rendered file.
    ForbiddenChar {
        /// The character.
        ch: char,
        /// Its character index in the value.
        at: usize,
    },
    /// A number outside its accepted range.
    OutOfRange {
        /// Smallest accepted value.
        min: i64,
        /// Largest accepted value.
        max: i64,
        /// Value that was given.
        value: i64,
    },
    /// A collection has more entries than the target allows.
    TooMany {
        /// Largest accepted count.
        max: usize,
        /// Count that was given.
        count: usize,
    },
    /// Two settings that cannot be combined.
    Conflict(String),
    /// Any other rule, described in words.
    Invalid(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("must not be empty"),
            Self::TooLong { max, len } => write!(f, "{len} characters, at most {max} allowed"),
            Self::ForbiddenChar { ch, at } => {
                write!(f, "{} at position {at} is not allowed", describe_char(*ch))
            }
            Self::OutOfRange { min, max, value } => {
                write!(f, "{value} is outside {min}..={max}")
            }
            Self::TooMany { max, count } => write!(f, "{count} entries, at most {max} allowed"),
            Self::Conflict(why) | Self::Invalid(why) => f.write_str(why),
        }
    }
}

/// Names a character so that an error message never contains a raw control character.
fn describe_char(ch: char) -> String {
    match ch {
        '\n' => "line feed".to_owned(),
        '\r' => "carriage return".to_owned(),
        '\t' => "tab".to_owned(),
        '\0' => "NUL".to_owned(),
        ' ' => "space".to_owned(),
        c if c.is_control() => format!("control character U+{:04X}", u32::from(c)),
        c => format!("{c:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_field_and_problem_without_raw_controls() {
        let e = Error::new(
            "caddy.header[0].value",
            Problem::ForbiddenChar { ch: '\r', at: 4 },
        );
        assert_eq!(
            e.to_string(),
            "invalid caddy.header[0].value: carriage return at position 4 is not allowed"
        );
    }

    #[test]
    fn within_builds_paths() {
        let e = Error::new("[2]", Problem::Empty)
            .within("allow_users")
            .within("sshd");
        assert_eq!(e.field(), "sshd.allow_users[2]");
    }
}
