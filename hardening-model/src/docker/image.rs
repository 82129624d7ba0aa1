//! Container images pinned by digest.

use std::fmt;

use crate::values::{check_chars, check_max_len, check_non_empty};
use crate::{Error, Result};

/// An image reference pinned by content digest: `name[:tag]@sha256:<64 lowercase hex>`.
///
/// A mutable tag alone (`caddy:2-alpine`) is refused: what runs must be exactly what was
/// reviewed. The tag, when given, is kept for the reader only; Docker resolves the digest.
///
/// ```
/// use hardening_model::docker::ImageRef;
/// let digest = "a".repeat(64);
/// let image = ImageRef::parse(&format!("caddy:2-alpine@sha256:{digest}")).unwrap();
/// assert_eq!(image.name(), "caddy");
/// assert_eq!(image.to_string(), format!("caddy:2-alpine@sha256:{digest}"));
/// assert!(ImageRef::parse("caddy:2-alpine").is_err());
/// assert!(ImageRef::parse("caddy@sha256:ABC").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageRef {
    name: String,
    tag: Option<String>,
    digest: String,
}

const FIELD: &str = "image";

impl ImageRef {
    /// Parses `name[:tag]@sha256:<hex>`.
    pub fn parse(reference: &str) -> Result<Self> {
        check_non_empty(FIELD, reference)?;
        check_max_len(FIELD, reference, 512)?;
        let Some((name_tag, digest)) = reference.split_once('@') else {
            return Err(Error::invalid(
                FIELD,
                "must be pinned by digest: name@sha256:<64 hex digits>",
            ));
        };
        let (name, tag) = split_tag(name_tag);
        Self::new(name, tag, digest)
    }

    /// Builds a reference from its parts; `digest` is `sha256:<64 lowercase hex>`.
    pub fn new(name: &str, tag: Option<&str>, digest: &str) -> Result<Self> {
        check_name(name)?;
        if let Some(tag) = tag {
            check_tag(tag)?;
        }
        check_digest(digest)?;
        Ok(Self {
            name: name.to_owned(),
            tag: tag.map(str::to_owned),
            digest: digest.to_owned(),
        })
    }

    /// The repository name, e.g. `prom/node-exporter`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The informational tag, if any.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest, `sha256:<hex>`.
    pub fn digest(&self) -> &str {
        &self.digest
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        write!(f, "@{}", self.digest)
    }
}

/// Splits `name:tag`, taking care that a registry port (`host:5000/app`) is not a tag.
fn split_tag(name_tag: &str) -> (&str, Option<&str>) {
    match name_tag.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => (name, Some(tag)),
        _ => (name_tag, None),
    }
}

fn check_name(name: &str) -> Result<()> {
    let field = "image.name";
    check_non_empty(field, name)?;
    check_max_len(field, name, 255)?;
    check_chars(field, name, |c| {
        c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | ':')
    })?;
    let mut parts = name.split('/').peekable();
    let mut first = true;
    while let Some(part) = parts.next() {
        let is_registry = first && parts.peek().is_some() && looks_like_registry(part);
        first = false;
        if is_registry {
            continue;
        }
        if !is_path_component(part) {
            return Err(Error::invalid(
                field,
                "each path component must be lowercase [a-z0-9] joined by '.', '_', '__' or '-'",
            ));
        }
    }
    Ok(())
}

fn looks_like_registry(part: &str) -> bool {
    let (host, port) = match part.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (part, None),
    };
    let host_ok = !host.is_empty()
        && (host.contains('.') || host == "localhost")
        && host
            .split('.')
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit()));
    host_ok && port_ok
}

fn is_path_component(part: &str) -> bool {
    if part.is_empty() {
        return false;
    }
    let bytes = part.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    // separators: '.', '_', '__', or runs of '-'; never two different ones in a row
    let mut prev_sep: Option<u8> = None;
    let mut run = 0;
    for &b in bytes {
        if alnum(b) {
            prev_sep = None;
            run = 0;
            continue;
        }
        match (b, prev_sep) {
            (b'-', None | Some(b'-')) => {}
            (b'_', None) => {}
            (b'_', Some(b'_')) if run < 2 => {}
            (b'.', None) => {}
            _ => return false,
        }
        prev_sep = Some(b);
        run += 1;
    }
    true
}

fn check_tag(tag: &str) -> Result<()> {
    let field = "image.tag";
    check_non_empty(field, tag)?;
    check_max_len(field, tag, 128)?;
    check_chars(field, tag, |c| {
        c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
    })?;
    if tag.starts_with(['.', '-']) {
        return Err(Error::invalid(field, "must not start with '.' or '-'"));
    }
    Ok(())
}

fn check_digest(digest: &str) -> Result<()> {
    let field = "image.digest";
    let Some(hex) = digest.strip_prefix("sha256:") else {
        return Err(Error::invalid(
            field,
            "must be sha256:<64 lowercase hex digits>",
        ));
    };
    if hex.len() != 64 {
        return Err(Error::invalid(
            field,
            "must be sha256:<64 lowercase hex digits>",
        ));
    }
    check_chars(field, hex, |c| {
        c.is_ascii_digit() || ('a'..='f').contains(&c)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex() -> String {
        "0123456789abcdef".repeat(4)
    }

    #[test]
    fn accepts_registry_with_port_and_nested_paths() {
        let r = format!(
            "registry.example.com:5000/team/app_one:v1.2@sha256:{}",
            hex()
        );
        let image = ImageRef::parse(&r).unwrap();
        assert_eq!(image.name(), "registry.example.com:5000/team/app_one");
        assert_eq!(image.tag(), Some("v1.2"));
        assert_eq!(image.to_string(), r);
        let no_tag = ImageRef::parse(&format!("localhost:5000/app@sha256:{}", hex())).unwrap();
        assert_eq!(no_tag.tag(), None);
    }

    #[test]
    fn refuses_unpinned_and_malformed() {
        assert_eq!(ImageRef::parse("caddy:2").unwrap_err().field(), "image");
        assert_eq!(
            ImageRef::parse(&format!("Caddy@sha256:{}", hex()))
                .unwrap_err()
                .field(),
            "image.name"
        );
        assert_eq!(
            ImageRef::parse(&format!("caddy:-x@sha256:{}", hex()))
                .unwrap_err()
                .field(),
            "image.tag"
        );
        assert_eq!(
            ImageRef::parse("caddy@sha256:ABCDEF").unwrap_err().field(),
            "image.digest"
        );
        assert!(ImageRef::parse(&format!("caddy@sha512:{}", hex())).is_err());
        assert!(ImageRef::parse(&format!("a//b@sha256:{}", hex())).is_err());
        assert!(ImageRef::parse(&format!("a--@sha256:{}", hex())).is_err());
        assert!(ImageRef::parse(&format!("a\nb@sha256:{}", hex())).is_err());
    }
}
