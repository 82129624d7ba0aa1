//! Validated building blocks shared by every policy.
//!
//! Each type checks its input once, in its constructor, and renders safely everywhere after
//! that: a value that passed [`UnixUser::new`] can be written into `sshd_config`, a ufw command
//! or a YAML document without quoting surprises. Every check returns an [`Error`] naming the
//! field, so callers learn which input was wrong.
//!
//! The `check_*` functions are the shared mechanism the policy modules validate their own
//! string fields with.

use std::fmt;
use std::num::NonZeroU16;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Error, Problem, Result};

/// Characters that a POSIX shell, sshd, nftables or Caddy would treat specially, besides
/// whitespace and control characters.
pub const METACHARACTERS: &[char] = &[
    '"', '\'', '`', '$', '\\', ';', '&', '|', '<', '>', '(', ')', '{', '}', '[', ']', '*', '?',
    '!', '#', '~', '%', '^',
];

/// Rejects an empty value.
pub fn check_non_empty(field: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::new(field, Problem::Empty));
    }
    Ok(())
}

/// Rejects a value longer than `max` characters.
pub fn check_max_len(field: &str, value: &str, max: usize) -> Result<()> {
    let len = value.chars().count();
    if len > max {
        return Err(Error::new(field, Problem::TooLong { max, len }));
    }
    Ok(())
}

/// Rejects the first character for which `allowed` is false.
pub fn check_chars(field: &str, value: &str, allowed: impl Fn(char) -> bool) -> Result<()> {
    match value.chars().enumerate().find(|(_, c)| !allowed(*c)) {
        Some((at, ch)) => Err(Error::new(field, Problem::ForbiddenChar { ch, at })),
        None => Ok(()),
    }
}

/// A single line of human text (comments, descriptions): printable, no control characters,
/// no quotes, backslashes or shell metacharacters, at most `max` characters.
pub fn check_single_line(field: &str, value: &str, max: usize) -> Result<()> {
    check_max_len(field, value, max)?;
    check_chars(field, value, |c| {
        !c.is_control() && !METACHARACTERS.contains(&c) && c != '\u{2028}' && c != '\u{2029}'
    })
}

/// A bare token: ASCII letters, digits and `._-` plus any of `extra`.
pub fn check_token(field: &str, value: &str, extra: &[char]) -> Result<()> {
    check_non_empty(field, value)?;
    check_chars(field, value, |c| {
        c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') || extra.contains(&c)
    })
}

/// A Linux user name as `useradd` accepts it by default on Ubuntu:
/// `[a-z_][a-z0-9_-]*`, at most 32 characters.
///
/// ```
/// use hardening_model::values::UnixUser;
/// assert_eq!(UnixUser::new("deploy").unwrap().as_str(), "deploy");
/// assert!(UnixUser::new("root;reboot").is_err());
/// assert!(UnixUser::new("Admin").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct UnixUser(String);

impl UnixUser {
    /// Validates a user name (errors name the field `user`).
    pub fn new(name: impl Into<String>) -> Result<Self> {
        let name = name.into();
        check_unix_name("user", &name)?;
        Ok(Self(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A Linux group name as `groupadd` accepts it by default on Ubuntu: the same rule as
/// [`UnixUser`] (`[a-z_][a-z0-9_-]*`, at most 32 characters), kept a separate type so that a
/// group can never be passed where a user is meant (sshd's `AllowGroups` vs `AllowUsers`).
///
/// ```
/// use hardening_model::values::UnixGroup;
/// assert_eq!(UnixGroup::new("sshusers").unwrap().as_str(), "sshusers");
/// let err = UnixGroup::new("wheel staff").unwrap_err();
/// assert_eq!(err.field(), "group");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct UnixGroup(String);

impl UnixGroup {
    /// Validates a group name (errors name the field `group`).
    pub fn new(name: impl Into<String>) -> Result<Self> {
        let name = name.into();
        check_unix_name("group", &name)?;
        Ok(Self(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The rule Ubuntu's `useradd`/`groupadd` apply by default to user and group names.
fn check_unix_name(field: &str, name: &str) -> Result<()> {
    check_non_empty(field, name)?;
    check_max_len(field, name, 32)?;
    check_chars(field, name, |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-'
    })?;
    if name.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
        return Err(Error::invalid(
            field,
            "must start with a lowercase letter or '_'",
        ));
    }
    Ok(())
}

/// An absolute Unix path made of safe characters: `/`, ASCII letters, digits and `._-+@:`.
///
/// No `..` component, no empty component (`//`), no trailing slash except for `/` itself.
///
/// ```
/// use hardening_model::values::AbsPath;
/// assert!(AbsPath::new("/srv/app/data").is_ok());
/// assert!(AbsPath::new("relative/path").is_err());
/// assert!(AbsPath::new("/srv/../etc").is_err());
/// assert!(AbsPath::new("/srv/a b").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct AbsPath(String);

impl AbsPath {
    /// Validates an absolute path.
    pub fn new(path: impl Into<String>) -> Result<Self> {
        let path = path.into();
        let field = "path";
        check_non_empty(field, &path)?;
        check_max_len(field, &path, 4096)?;
        check_chars(field, &path, |c| {
            c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '+' | '@' | ':')
        })?;
        if !path.starts_with('/') {
            return Err(Error::invalid(field, "must be absolute (start with '/')"));
        }
        if path != "/" {
            if path.ends_with('/') {
                return Err(Error::invalid(field, "must not end with '/'"));
            }
            if path[1..]
                .split('/')
                .any(|seg| seg.is_empty() || seg == "." || seg == "..")
            {
                return Err(Error::invalid(
                    field,
                    "must not contain empty, '.' or '..' components",
                ));
            }
        }
        Ok(Self(path))
    }

    /// The path.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when `self` is `other` or lies below it.
    ///
    /// ```
    /// use hardening_model::values::AbsPath;
    /// let data = AbsPath::new("/srv/app").unwrap();
    /// assert!(AbsPath::new("/srv/app/db").unwrap().is_within(&data));
    /// assert!(!AbsPath::new("/srv/apple").unwrap().is_within(&data));
    /// ```
    pub fn is_within(&self, other: &AbsPath) -> bool {
        other.0 == "/"
            || self.0 == other.0
            || (self.0.starts_with(&other.0) && self.0.as_bytes().get(other.0.len()) == Some(&b'/'))
    }
}

/// A DNS host name (RFC 1123): lowercase labels of `a-z0-9-`, 1-63 characters each, not
/// starting or ending with `-`, at most 253 characters. A leading `*.` wildcard label is
/// accepted only through [`Domain::wildcard`].
///
/// ```
/// use hardening_model::values::Domain;
/// assert_eq!(Domain::new("App.Example.com").unwrap().as_str(), "app.example.com");
/// assert!(Domain::new("example.com\n{").is_err());
/// assert!(Domain::new("-bad.example.com").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Domain(String);

impl Domain {
    /// Validates a host name; ASCII letters are lowercased.
    pub fn new(name: impl AsRef<str>) -> Result<Self> {
        let name = name.as_ref().to_ascii_lowercase();
        Self::check(&name)?;
        Ok(Self(name))
    }

    /// Validates `*.` followed by a host name.
    pub fn wildcard(name: impl AsRef<str>) -> Result<Self> {
        let name = name.as_ref().to_ascii_lowercase();
        let Some(rest) = name.strip_prefix("*.") else {
            return Err(Error::invalid("domain", "a wildcard must start with '*.'"));
        };
        Self::check(rest)?;
        Ok(Self(name))
    }

    fn check(name: &str) -> Result<()> {
        let field = "domain";
        check_non_empty(field, name)?;
        check_max_len(field, name, 253)?;
        check_chars(field, name, |c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'
        })?;
        for label in name.split('.') {
            if label.is_empty() || label.len() > 63 {
                return Err(Error::invalid(
                    field,
                    "every label must have 1 to 63 characters",
                ));
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Err(Error::invalid(
                    field,
                    "a label must not start or end with '-'",
                ));
            }
        }
        Ok(())
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A TCP or UDP port, 1-65535.
///
/// ```
/// use hardening_model::values::Port;
/// assert_eq!(Port::new(2222).unwrap().get(), 2222);
/// assert!(Port::new(0).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Port(NonZeroU16);

impl Port {
    /// Validates a port number.
    pub fn new(port: u16) -> Result<Self> {
        NonZeroU16::new(port).map(Self).ok_or_else(|| {
            Error::new(
                "port",
                Problem::OutOfRange {
                    min: 1,
                    max: 65535,
                    value: 0,
                },
            )
        })
    }

    /// The number.
    pub fn get(self) -> u16 {
        self.0.get()
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An inclusive port range; a single port is a range of one.
///
/// ```
/// use hardening_model::values::PortRange;
/// let r = PortRange::new(8000, 8010).unwrap();
/// assert_eq!(r.to_string(), "8000-8010");
/// assert_eq!(PortRange::single(443).unwrap().to_string(), "443");
/// assert!(PortRange::new(9000, 8000).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortRange {
    start: Port,
    end: Port,
}

impl PortRange {
    /// Validates `start..=end`.
    pub fn new(start: u16, end: u16) -> Result<Self> {
        let (start, end) = (Port::new(start)?, Port::new(end)?);
        if start > end {
            return Err(Error::invalid(
                "port_range",
                "start must not be greater than end",
            ));
        }
        Ok(Self { start, end })
    }

    /// A range holding one port.
    pub fn single(port: u16) -> Result<Self> {
        Self::new(port, port)
    }

    /// First port.
    pub fn start(self) -> Port {
        self.start
    }

    /// Last port.
    pub fn end(self) -> Port {
        self.end
    }

    /// True when the range holds exactly one port.
    pub fn is_single(self) -> bool {
        self.start == self.end
    }

    /// True when `port` lies in the range.
    pub fn contains(self, port: Port) -> bool {
        self.start <= port && port <= self.end
    }
}

impl From<Port> for PortRange {
    fn from(port: Port) -> Self {
        Self {
            start: port,
            end: port,
        }
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_single() {
            write!(f, "{}", self.start)
        } else {
            write!(f, "{}-{}", self.start, self.end)
        }
    }
}

impl FromStr for PortRange {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let parse = |p: &str| {
            p.parse::<u16>()
                .map_err(|_| Error::invalid("port_range", "expected a port number or START-END"))
        };
        match s.split_once('-') {
            Some((a, b)) => Self::new(parse(a)?, parse(b)?),
            None => Self::single(parse(s)?),
        }
    }
}

macro_rules! deserialize_via_new {
    ($($ty:ident),*) => {$(
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::new(s).map_err(serde::de::Error::custom)
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    )*};
}
deserialize_via_new!(UnixUser, UnixGroup, AbsPath, Domain);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]

        #[test]
        fn accepted_values_hold_no_metacharacters(s in "\\PC{0,40}") {
            for accepted in [
                UnixUser::new(s.clone()).ok().map(|v| v.0),
                UnixGroup::new(s.clone()).ok().map(|v| v.0),
                AbsPath::new(s.clone()).ok().map(|v| v.0),
                Domain::new(&s).ok().map(|v| v.0),
            ].into_iter().flatten() {
                prop_assert!(!accepted.chars().any(|c| c.is_whitespace() || c.is_control() || METACHARACTERS.contains(&c)));
            }
        }

        #[test]
        fn single_line_rejects_every_line_break(a in "[a-z ]{0,10}", b in "[a-z ]{0,10}", sep in "[\n\r\u{0}\u{2028}\u{2029}]") {
            let joined = format!("{a}{sep}{b}");
            prop_assert!(check_single_line("d", &joined, 255).is_err());
        }

        #[test]
        fn port_range_round_trips(a in 1u16.., b in 1u16..) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let r = PortRange::new(lo, hi).unwrap();
            prop_assert_eq!(r.to_string().parse::<PortRange>().unwrap(), r);
        }
    }

    #[test]
    fn user_rules() {
        assert!(UnixUser::new("_svc").is_ok());
        assert!(UnixUser::new("1abc").is_err());
        assert!(UnixUser::new("a".repeat(33)).is_err());
        assert_eq!(UnixUser::new("").unwrap_err().problem(), &Problem::Empty);
    }

    #[test]
    fn domain_rules() {
        assert!(Domain::wildcard("*.example.com").is_ok());
        assert!(Domain::new("*.example.com").is_err());
        assert!(Domain::new("a..b").is_err());
        assert!(Domain::new(format!("{}.com", "a".repeat(64))).is_err());
    }

    #[test]
    fn deserialize_validates() {
        assert!(serde_json::from_str::<UnixUser>("\"ok\"").is_ok());
        assert!(serde_json::from_str::<UnixUser>("\"no way\"").is_err());
    }
}
