//! `apt.sources`: third-party repositories pinned to their signing key with `signed-by`.

use base64::Engine as _;
use hardening_model::values::check_token;
use sha1::{Digest as _, Sha1};

use crate::{Error, Result};

/// A third-party apt repository whose packages are trusted only with its own key.
///
/// cloud-init writes `key` to a keyring file and replaces `$KEY_FILE` in the source line with
/// that file's path, so the repository's key never becomes trusted for other repositories.
///
/// A real-size armoured key is about 2.5 KB of incompressible key material.
/// [`fetched`](Self::fetched) sends only the key's full OpenPGP v4 fingerprint instead (`keyid`, plus
/// `keyserver`): cloud-init fetches the key at first boot with `gpg --recv-keys <fingerprint>`
/// and writes it to the same `signed-by` keyring. With a full 40-hex-digit fingerprint GnuPG
/// imports only the key whose fingerprint matches and refuses anything else the keyserver
/// returns, so the pin is as strong as the embedded key; what it adds is a dependency on the
/// keyserver being reachable at first boot.
///
/// ```
/// use cloudinit_builder::AptSource;
/// let key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/falco.asc"));
/// let falco = AptSource::signed("falcosecurity", "https://download.falco.org/packages/deb", "stable", ["main"], key)?;
/// assert_eq!(falco.source_line(), "deb [signed-by=$KEY_FILE] https://download.falco.org/packages/deb stable main");
/// let fpr = falco.fingerprint()?;
/// assert_eq!(fpr.len(), 40);
/// let fetched = falco.fetched()?;
/// assert_eq!(fetched.keyid(), Some(fpr.as_str()));
/// assert_eq!(fetched.keyserver(), Some(cloudinit_builder::DEFAULT_KEYSERVER));
/// # Ok::<(), cloudinit_builder::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AptSource {
    pub(crate) name: String,
    pub(crate) source: String,
    pub(crate) key: String,
    /// `(fingerprint, keyserver)` when the key is fetched at first boot instead of embedded.
    pub(crate) fetch: Option<(String, String)>,
}

/// The keyserver [`AptSource::fetched`] names: cloud-init's own default.
pub const DEFAULT_KEYSERVER: &str = "keyserver.ubuntu.com";

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
            fetch: None,
        })
    }

    /// The full OpenPGP v4 fingerprint of the key (40 upper-case hex digits), as
    /// `gpg --show-keys --with-colons` prints it on its `fpr` line: SHA-1 over `0x99`, the
    /// two-byte length and the body of the key's first packet.
    ///
    /// [`Error::Invalid`] naming `apt.sources.key` when the armour does not decode or its first
    /// packet is not a version 4 public key.
    pub fn fingerprint(&self) -> Result<String> {
        v4_fingerprint(&self.key)
    }

    /// The same source with its key fetched at first boot from [`DEFAULT_KEYSERVER`] by full
    /// fingerprint instead of embedded (see the type's documentation).
    pub fn fetched(self) -> Result<Self> {
        self.fetched_from(DEFAULT_KEYSERVER)
    }

    /// The same source with its key fetched at first boot from `keyserver` (a host name, or a
    /// `hkps://host` URI) by full fingerprint instead of embedded.
    pub fn fetched_from(mut self, keyserver: &str) -> Result<Self> {
        check_token("apt.sources.keyserver", keyserver, &['.', '-', ':', '/'])?;
        let fingerprint = self.fingerprint()?;
        self.fetch = Some((fingerprint, keyserver.to_owned()));
        Ok(self)
    }

    /// The fingerprint cloud-init fetches the key by (`keyid`), when the key is not embedded.
    pub fn keyid(&self) -> Option<&str> {
        self.fetch.as_ref().map(|(f, _)| f.as_str())
    }

    /// The keyserver cloud-init fetches the key from, when the key is not embedded.
    pub fn keyserver(&self) -> Option<&str> {
        self.fetch.as_ref().map(|(_, k)| k.as_str())
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

/// The v4 fingerprint of the first packet of an ASCII-armoured public key block.
fn v4_fingerprint(armored: &str) -> Result<String> {
    let field = "apt.sources.key";
    let bad = |why: &str| Error::invalid(field, why);
    let mut b64 = String::new();
    let mut in_body = false;
    for line in armored.lines().map(str::trim) {
        if line.starts_with("-----BEGIN ") {
            in_body = false;
            continue;
        }
        if line.starts_with("-----END ") {
            break;
        }
        if !in_body {
            // Armour headers (`Comment: ...`) end at the first empty line.
            if line.is_empty() {
                in_body = true;
            }
            continue;
        }
        if line.starts_with('=') {
            break; // the CRC-24 line
        }
        b64.push_str(line);
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.as_bytes())
        .map_err(|e| bad(&format!("the armoured key does not decode: {e}")))?;
    let body = first_packet_body(&bytes, 6)
        .ok_or_else(|| bad("the first packet is not a complete public-key packet (tag 6)"))?;
    if body.first() != Some(&4) {
        return Err(bad("the public key is not a version 4 key"));
    }
    let len = u16::try_from(body.len()).map_err(|_| bad("the public-key packet is too long"))?;
    let mut hasher = Sha1::new();
    hasher.update([0x99]);
    hasher.update(len.to_be_bytes());
    hasher.update(body);
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect())
}

/// The body of the first OpenPGP packet when its tag is `tag` (old or new format header).
fn first_packet_body(bytes: &[u8], tag: u8) -> Option<&[u8]> {
    let (&head, rest) = bytes.split_first()?;
    if head & 0x80 == 0 {
        return None;
    }
    let (got, len, rest) = if head & 0x40 != 0 {
        // New format: one-, two- or five-octet length.
        let (&l0, rest) = rest.split_first()?;
        let (len, rest) = match l0 {
            0..=191 => (usize::from(l0), rest),
            192..=223 => {
                let (&l1, rest) = rest.split_first()?;
                ((usize::from(l0) - 192) * 256 + usize::from(l1) + 192, rest)
            }
            255 => {
                let (n, rest) = rest.split_at_checked(4)?;
                (
                    usize::try_from(u32::from_be_bytes(n.try_into().ok()?)).ok()?,
                    rest,
                )
            }
            _ => return None, // partial lengths are not allowed for keys
        };
        (head & 0x3f, len, rest)
    } else {
        let width = match head & 0x03 {
            0 => 1,
            1 => 2,
            2 => 4,
            _ => return None, // indeterminate length
        };
        let (n, rest) = rest.split_at_checked(width)?;
        let len = n.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        ((head >> 2) & 0x0f, len, rest)
    };
    (got == tag).then_some(())?;
    rest.get(..len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn armor(bytes: &[u8]) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
        format!(
            "-----BEGIN PGP PUBLIC KEY BLOCK-----\nComment: test\n\n{b64}\n=AAAA\n-----END PGP PUBLIC KEY BLOCK-----\n"
        )
    }

    #[test]
    fn old_and_new_format_headers_give_the_same_fingerprint() {
        let body = [4u8, 0, 0, 0, 1, 22, 0, 8, 0xAB];
        let mut old = vec![0x98, body.len() as u8];
        old.extend_from_slice(&body);
        let mut new = vec![0xC6, body.len() as u8];
        new.extend_from_slice(&body);
        let a = v4_fingerprint(&armor(&old)).unwrap();
        assert_eq!(a, v4_fingerprint(&armor(&new)).unwrap());
        assert_eq!(a.len(), 40);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        );
    }

    #[test]
    fn a_non_key_packet_or_a_v3_key_is_refused_naming_the_field() {
        // Tag 2 (signature) first.
        let sig = [0x88u8, 3, 4, 0, 0];
        let v3 = [0x98u8, 3, 3, 0, 0];
        let truncated = [0x98u8, 9, 4, 0];
        for bytes in [&sig[..], &v3[..], &truncated[..]] {
            let err = v4_fingerprint(&armor(bytes)).unwrap_err().to_string();
            assert!(err.contains("apt.sources.key"), "{err}");
        }
        let err = v4_fingerprint(
            "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n!!!\n-----END PGP PUBLIC KEY BLOCK-----\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("apt.sources.key"), "{err}");
    }
}
