//! Secret values that may only be written into root-owned `0600` files.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use crate::{Error, Result};

/// Shortest secret accepted. Shorter values would be found by accident in ordinary text, which
/// would make the leak check ([`CloudConfig::render`](crate::CloudConfig::render)) meaningless.
pub const MIN_SECRET_LEN: usize = 8;

/// A secret value (backup key, callback secret, API credential).
///
/// A `Secret` can only be placed in a `write_files` entry built with
/// [`WriteFile::secret`](crate::WriteFile::secret) or
/// [`WriteFile::secret_env`](crate::WriteFile::secret_env), which are owned by `root:root` with
/// mode `0600`. Rendering also scans every other string of the document (commands, other
/// files, messages, raw keys) and refuses it if a secret's value appears there.
///
/// `Debug` never shows the value:
///
/// ```
/// use cloudinit_builder::Secret;
/// let s = Secret::new("hunter2hunter2").unwrap();
/// assert_eq!(format!("{s:?}"), "Secret([REDACTED])");
/// assert!(Secret::new("short").is_err());
/// ```
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    /// Wraps a secret value of at least [`MIN_SECRET_LEN`] characters without NUL.
    pub fn new(value: impl Into<String>) -> Result<Self> {
        let value: String = value.into();
        let len = value.chars().count();
        if len < MIN_SECRET_LEN {
            return Err(Error::invalid(
                "secret",
                format!("must have at least {MIN_SECRET_LEN} characters"),
            ));
        }
        if value.contains('\0') {
            return Err(Error::invalid("secret", "must not contain NUL"));
        }
        Ok(Self(SecretString::from(value)))
    }

    /// The value, for the renderer and for callers that must hand it to another system.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl From<SecretString> for Secret {
    /// Wraps an existing `SecretString`. Rendering still refuses values shorter than
    /// [`MIN_SECRET_LEN`].
    fn from(value: SecretString) -> Self {
        Self(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}
