//! `apt.sources`: third-party repositories pinned to their signing key with `signed-by`.

use hardening_model::values::check_token;

use crate::{Error, Result};

/// A third-party apt repository whose packages are trusted only with its own key.
///
/// cloud-init writes `key` to a keyring file and replaces `$KEY_FILE` in the source line with
/// that file's path, so the repository's key never becomes trusted for other repositories.
///
/// ```
/// use cloudinit_builder::AptSource;
/// let key = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBF\n-----END PGP PUBLIC KEY BLOCK-----\n";
/// let falco = AptSource::signed("falcosecurity", "https://download.falco.org/packages/deb", "stable", ["main"], key)?;
/// assert_eq!(falco.source_line(), "deb [signed-by=$KEY_FILE] https://download.falco.org/packages/deb stable main");
/// # Ok::<(), cloudinit_builder::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AptSource {
    pub(crate) name: String,
    pub(crate) source: String,
    pub(crate) key: String,
}

impl AptSource {
    /// A `deb` source `uri suite components...` signed by the ASCII-armoured `key`.
    pub fn signed<I, S>(
        name: &str,
        uri: &str,
        suite: &str,
        components: I,
        key: &str,
    ) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        check_token("apt.sources.name", name, &[])?;
        check_uri(uri)?;
        check_token("apt.sources.suite", suite, &['/'])?;
        let mut source = format!("deb [signed-by=$KEY_FILE] {uri} {suite}");
        for (i, c) in components.into_iter().enumerate() {
            check_token(&format!("apt.sources.components[{i}]"), c.as_ref(), &[])?;
            source.push(' ');
            source.push_str(c.as_ref());
        }
        let trimmed = key.trim();
        if !trimmed.starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----")
            || !trimmed.ends_with("-----END PGP PUBLIC KEY BLOCK-----")
        {
            return Err(Error::invalid(
                "apt.sources.key",
                "must be an ASCII-armoured PGP public key block",
            ));
        }
        if key.chars().any(|c| c.is_control() && c != '\n') {
            return Err(Error::invalid(
                "apt.sources.key",
                "must not contain control characters other than line feeds",
            ));
        }
        let mut key = key.to_owned();
        if !key.ends_with('\n') {
            key.push('\n');
        }
        Ok(Self {
            name: name.to_owned(),
            source,
            key,
        })
    }

    /// The source line cloud-init writes (with the `$KEY_FILE` placeholder).
    pub fn source_line(&self) -> &str {
        &self.source
    }

    /// The repository's name (the key of the `apt.sources` map and the list file name).
    pub fn name(&self) -> &str {
        &self.name
    }
}

fn check_uri(uri: &str) -> Result<()> {
    let field = "apt.sources.uri";
    let rest = uri
        .strip_prefix("https://")
        .or_else(|| uri.strip_prefix("http://"))
        .ok_or_else(|| Error::invalid(field, "must start with https:// or http://"))?;
    if rest.is_empty()
        || !rest.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/' | ':' | '~' | '+')
        })
    {
        return Err(Error::invalid(
            field,
            "host and path may only use ASCII letters, digits and ._-/:~+",
        ));
    }
    Ok(())
}
