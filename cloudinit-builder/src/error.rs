//! The crate's error type: what was wrong with the document, naming the field.

use std::fmt;

/// Why a cloud-config could not be built or rendered.
///
/// Nothing is rendered when any of these is returned. No variant carries a file body or a secret:
/// errors name fields and sizes only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value failed validation; the error names the field.
    #[error(transparent)]
    Invalid(#[from] hardening_model::Error),
    /// A secret would end up somewhere other than a root-owned `0600` file.
    #[error("secret refused in {field}: {reason}")]
    SecretExposed {
        /// Where the secret was found or was about to go, e.g. `runcmd[3]`.
        field: String,
        /// Why that place is not allowed.
        reason: &'static str,
    },
    /// The rendered document is larger than the budget even after compressing every file.
    #[error("{0}")]
    TooLarge(Box<Overflow>),
    /// The YAML serialiser failed (a bug in this crate if it ever happens).
    #[error("YAML serialisation failed: {0}")]
    Serialize(String),
}

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The field the error is about, when there is one.
    ///
    /// ```
    /// use cloudinit_builder::{Command, Error};
    /// let err = Command::argv(Vec::<String>::new()).unwrap_err();
    /// assert_eq!(err.field(), Some("argv"));
    /// ```
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid(e) => Some(e.field()),
            Self::SecretExposed { field, .. } => Some(field),
            Self::TooLarge(_) | Self::Serialize(_) => None,
        }
    }

    pub(crate) fn invalid(field: impl Into<String>, why: impl Into<String>) -> Self {
        Self::Invalid(hardening_model::Error::invalid(field, why))
    }

    /// Prefixes the field path of a validation error.
    #[must_use]
    pub(crate) fn within(self, parent: &str) -> Self {
        match self {
            Self::Invalid(e) => Self::Invalid(e.within(parent)),
            Self::SecretExposed { field, reason } => Self::SecretExposed {
                field: format!("{parent}.{field}"),
                reason,
            },
            other => other,
        }
    }
}

/// How far a document is over its size budget, and what takes the most room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overflow {
    /// Size of the smallest rendering reached (every compressible file compressed), in bytes.
    pub size: usize,
    /// The budget, in bytes.
    pub limit: usize,
    /// The largest parts of that rendering, largest first (at most five).
    pub largest: Vec<PartSize>,
}

impl Overflow {
    /// Bytes over the budget.
    pub fn over_by(&self) -> usize {
        self.size.saturating_sub(self.limit)
    }
}

impl fmt::Display for Overflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "user-data is {} bytes, {} over the {}-byte budget after compressing every file; largest parts:",
            self.size,
            self.over_by(),
            self.limit
        )?;
        for (i, part) in self.largest.iter().enumerate() {
            let sep = if i == 0 { " " } else { ", " };
            write!(f, "{sep}{} ({} bytes)", part.name, part.bytes)?;
        }
        Ok(())
    }
}

/// The rendered size of one part of a document: a `write_files` entry or a top-level key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartSize {
    /// The part, e.g. `write_files[/etc/nftables.conf]` or `runcmd`.
    pub name: String,
    /// Its rendered size in bytes.
    pub bytes: usize,
}
