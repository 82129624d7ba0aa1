//! `write_files` entries: path, content, owner, permissions, encoding, append, defer.

use std::fmt;

use hardening_model::RenderedFile;
use hardening_model::values::{AbsPath, UnixUser};
use secrecy::{ExposeSecret, SecretString};

use crate::{Error, Result, Secret};

/// Mode every secret file gets.
pub const SECRET_MODE: u32 = 0o600;
/// Owner every secret file gets.
pub const SECRET_OWNER: &str = "root:root";

/// One `write_files` entry.
///
/// Plain files default to `root:root` and `0644`. Secret files ([`WriteFile::secret`],
/// [`WriteFile::secret_env`]) are always `root:root` `0600`, never appended, and the setters
/// refuse to change that.
///
/// ```
/// use cloudinit_builder::WriteFile;
/// let f = WriteFile::new("/etc/motd", "authorised use only\n")?
///     .permissions(0o644)?
///     .owner("root:root")?
///     .defer(true);
/// assert_eq!(f.path(), "/etc/motd");
/// assert!(WriteFile::new("etc/motd", "").is_err());
/// # Ok::<(), cloudinit_builder::Error>(())
/// ```
#[derive(Clone)]
pub struct WriteFile {
    pub(crate) path: String,
    pub(crate) content: Content,
    pub(crate) owner: String,
    pub(crate) mode: u32,
    pub(crate) append: bool,
    pub(crate) defer: bool,
    pub(crate) gzip: bool,
}

/// What a file holds.
#[derive(Clone)]
pub(crate) enum Content {
    /// UTF-8 text, rendered as a `|` block scalar.
    Text(String),
    /// Arbitrary bytes, rendered base64-encoded (`encoding: b64`).
    Binary(Vec<u8>),
    /// Secret text; `values` are the secret values inside it, which must appear nowhere else.
    Secret {
        text: SecretString,
        values: Vec<Secret>,
    },
}

impl Content {
    pub(crate) fn len(&self) -> usize {
        match self {
            Self::Text(t) => t.len(),
            Self::Binary(b) => b.len(),
            Self::Secret { text, .. } => text.expose_secret().len(),
        }
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            Self::Text(t) => t.as_bytes(),
            Self::Binary(b) => b,
            Self::Secret { text, .. } => text.expose_secret().as_bytes(),
        }
    }
}

impl WriteFile {
    /// A root-owned `0644` text file at an absolute path.
    pub fn new(path: &str, content: impl Into<String>) -> Result<Self> {
        Self::with_content(path, Content::Text(content.into()))
    }

    /// A root-owned `0644` file with arbitrary bytes (rendered with `encoding: b64`).
    pub fn binary(path: &str, content: impl Into<Vec<u8>>) -> Result<Self> {
        Self::with_content(path, Content::Binary(content.into()))
    }

    /// A `root:root` `0600` file whose whole content is `secret`.
    ///
    /// ```
    /// use cloudinit_builder::{Secret, WriteFile};
    /// let key = Secret::new("correct horse battery staple")?;
    /// let f = WriteFile::secret("/etc/backup/key", &key)?;
    /// assert_eq!(f.mode(), 0o600);
    /// assert!(f.clone().permissions(0o644).is_err());
    /// assert!(f.owner("app:app").is_err());
    /// # Ok::<(), cloudinit_builder::Error>(())
    /// ```
    pub fn secret(path: &str, secret: &Secret) -> Result<Self> {
        let content = Content::Secret {
            text: SecretString::from(secret.expose().to_owned()),
            values: vec![secret.clone()],
        };
        let mut file = Self::with_content(path, content)?;
        file.mode = SECRET_MODE;
        Ok(file)
    }

    /// A `root:root` `0600` environment file, one `NAME='value'` line per variable, readable by
    /// systemd's `EnvironmentFile=` and by a POSIX shell's `.`.
    ///
    /// Names are `[A-Z_][A-Z0-9_]*`; values must not contain a single quote or a control
    /// character.
    ///
    /// ```
    /// use cloudinit_builder::{Secret, WriteFile};
    /// let key = Secret::new("AGE-SECRET-KEY-1EXAMPLE")?;
    /// let f = WriteFile::secret_env("/etc/backup/env", [("BACKUP_KEY", &key)])?;
    /// assert_eq!(f.mode(), 0o600);
    /// assert!(WriteFile::secret_env("/etc/x", [("bad name", &key)]).is_err());
    /// # Ok::<(), cloudinit_builder::Error>(())
    /// ```
    pub fn secret_env<'a, K: AsRef<str>>(
        path: &str,
        vars: impl IntoIterator<Item = (K, &'a Secret)>,
    ) -> Result<Self> {
        let mut text = String::new();
        let mut values = Vec::new();
        for (i, (name, value)) in vars.into_iter().enumerate() {
            let name = name.as_ref();
            let field = format!("env[{i}]");
            check_env_name(&field, name)?;
            if let Some(at) = value
                .expose()
                .chars()
                .position(|c| c == '\'' || c.is_control())
            {
                return Err(Error::invalid(
                    format!("{field}.value"),
                    format!("character at position {at} is a single quote or a control character"),
                ));
            }
            text.push_str(name);
            text.push_str("='");
            text.push_str(value.expose());
            text.push_str("'\n");
            values.push(value.clone());
        }
        if values.is_empty() {
            return Err(Error::invalid("env", "at least one variable is required"));
        }
        let content = Content::Secret {
            text: SecretString::from(text),
            values,
        };
        let mut file = Self::with_content(path, content)?;
        file.mode = SECRET_MODE;
        Ok(file)
    }

    fn with_content(path: &str, content: Content) -> Result<Self> {
        AbsPath::new(path)?;
        Ok(Self {
            path: path.to_owned(),
            content,
            owner: SECRET_OWNER.to_owned(),
            mode: 0o644,
            append: false,
            defer: false,
            gzip: false,
        })
    }

    /// Sets the owner, `user` or `user:group` (refused for secret files unless `root:root`).
    pub fn owner(mut self, owner: &str) -> Result<Self> {
        check_owner(owner)?;
        self.owner = owner.to_owned();
        self.check_secret_placement()?;
        Ok(self)
    }

    /// Sets the permission bits, at most `0o7777` (refused for secret files unless `0o600`).
    pub fn permissions(mut self, mode: u32) -> Result<Self> {
        check_mode(mode)?;
        self.mode = mode;
        self.check_secret_placement()?;
        Ok(self)
    }

    /// Appends to the file instead of replacing it (refused for secret files: the existing
    /// file's owner and mode would be kept).
    pub fn append(mut self, append: bool) -> Result<Self> {
        self.append = append;
        self.check_secret_placement()?;
        Ok(self)
    }

    /// Writes the file late (cloud-init's `final` stage, after users and packages exist).
    #[must_use]
    pub fn defer(mut self, defer: bool) -> Self {
        self.defer = defer;
        self
    }

    /// Always store the file compressed (`encoding: gz+b64`), not only when the size budget
    /// needs it.
    #[must_use]
    pub fn gzip(mut self, gzip: bool) -> Self {
        self.gzip = gzip;
        self
    }

    /// The target path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The permission bits.
    pub fn mode(&self) -> u32 {
        self.mode
    }

    /// The owner as `user:group`.
    pub fn owner_name(&self) -> &str {
        &self.owner
    }

    /// Whether the file is written in the `final` stage.
    pub fn is_deferred(&self) -> bool {
        self.defer
    }

    /// Whether the file is appended to.
    pub fn is_append(&self) -> bool {
        self.append
    }

    /// Whether the content is a secret.
    pub fn is_secret(&self) -> bool {
        matches!(self.content, Content::Secret { .. })
    }

    /// The content when it is plain text (not binary, not secret).
    pub fn text(&self) -> Option<&str> {
        match &self.content {
            Content::Text(t) => Some(t),
            _ => None,
        }
    }

    /// Size of the content in bytes, before any encoding.
    pub fn content_len(&self) -> usize {
        self.content.len()
    }

    /// Checks every field; called again at render time for files built with `From`.
    pub(crate) fn validate(&self) -> Result<()> {
        AbsPath::new(self.path.as_str())?;
        check_owner(&self.owner)?;
        check_mode(self.mode)?;
        self.check_secret_placement()
    }

    fn check_secret_placement(&self) -> Result<()> {
        if !self.is_secret() {
            return Ok(());
        }
        let reason = if self.owner != SECRET_OWNER {
            "a secret file must be owned by root:root"
        } else if self.mode != SECRET_MODE {
            "a secret file must have mode 0600"
        } else if self.append {
            "a secret must not be appended to a file whose owner and mode are unknown"
        } else {
            return Ok(());
        };
        Err(Error::SecretExposed {
            field: "write_files".to_owned(),
            reason,
        })
    }
}

impl From<RenderedFile> for WriteFile {
    /// Takes a renderer's output as a plain text file. Path, owner and mode are checked when
    /// the document is rendered.
    fn from(file: RenderedFile) -> Self {
        Self {
            path: file.path,
            content: Content::Text(file.content),
            owner: file.owner,
            mode: file.mode,
            append: false,
            defer: false,
            gzip: false,
        }
    }
}

impl fmt::Debug for WriteFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.content {
            Content::Text(_) => "text",
            Content::Binary(_) => "binary",
            Content::Secret { .. } => "secret",
        };
        f.debug_struct("WriteFile")
            .field("path", &self.path)
            .field("owner", &self.owner)
            .field("mode", &format_args!("{:04o}", self.mode))
            .field(
                "content",
                &format_args!("{kind}, {} bytes", self.content_len()),
            )
            .field("append", &self.append)
            .field("defer", &self.defer)
            .field("gzip", &self.gzip)
            .finish()
    }
}

fn check_owner(owner: &str) -> Result<()> {
    let mut parts = owner.splitn(2, ':');
    let user = parts.next().unwrap_or_default();
    UnixUser::new(user).map_err(|e| Error::from(e).within("owner"))?;
    if let Some(group) = parts.next() {
        UnixUser::new(group).map_err(|e| Error::from(e).within("owner"))?;
    }
    Ok(())
}

fn check_mode(mode: u32) -> Result<()> {
    if mode > 0o7777 {
        return Err(Error::Invalid(hardening_model::Error::new(
            "permissions",
            hardening_model::Problem::OutOfRange {
                min: 0,
                max: 0o7777,
                value: i64::from(mode),
            },
        )));
    }
    Ok(())
}

fn check_env_name(field: &str, name: &str) -> Result<()> {
    let ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_uppercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            format!("{field}.name"),
            "must match [A-Z_][A-Z0-9_]*",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_rendered_file_keeps_metadata() {
        let f = WriteFile::from(RenderedFile::root("/etc/x.conf", 0o640, "a\n"));
        assert_eq!(
            (f.path(), f.mode(), f.owner_name()),
            ("/etc/x.conf", 0o640, "root:root")
        );
        assert_eq!(f.text(), Some("a\n"));
        assert!(f.validate().is_ok());
        let bad = WriteFile::from(RenderedFile::root("relative", 0o644, ""));
        assert_eq!(bad.validate().unwrap_err().field(), Some("path"));
    }

    #[test]
    fn owner_and_mode_are_validated() {
        let f = WriteFile::new("/etc/x", "").unwrap();
        assert_eq!(
            f.clone().owner("root;rm").unwrap_err().field(),
            Some("owner.user")
        );
        assert!(f.clone().owner("app").is_ok());
        assert_eq!(
            f.permissions(0o10000).unwrap_err().field(),
            Some("permissions")
        );
    }

    #[test]
    fn secret_files_cannot_be_loosened() {
        let s = Secret::new("0123456789abcdef").unwrap();
        let f = WriteFile::secret("/etc/k", &s).unwrap();
        assert!(matches!(
            f.clone().permissions(0o640),
            Err(Error::SecretExposed { .. })
        ));
        assert!(matches!(
            f.clone().append(true),
            Err(Error::SecretExposed { .. })
        ));
        assert!(f.clone().permissions(0o600).is_ok());
        let dbg = format!("{f:?}");
        assert!(!dbg.contains("0123456789abcdef"), "{dbg}");
    }

    #[test]
    fn env_values_refuse_quotes_and_newlines() {
        let q = Secret::new("abc'defgh").unwrap();
        assert!(WriteFile::secret_env("/etc/e", [("K", &q)]).is_err());
        let n = Secret::new("abcdefgh\nX=1").unwrap();
        assert!(WriteFile::secret_env("/etc/e", [("K", &n)]).is_err());
        let ok = Secret::new("abcdefgh+/=").unwrap();
        let f = WriteFile::secret_env("/etc/e", [("K", &ok), ("L_2", &ok)]).unwrap();
        assert_eq!(f.content.bytes(), b"K='abcdefgh+/='\nL_2='abcdefgh+/='\n");
    }
}
