//! `phone_home`: cloud-init's built-in POST of instance data when boot finishes.

use crate::{Error, Result};

/// A field cloud-init's `phone_home` module can post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum PhoneHomeField {
    /// The instance id.
    InstanceId,
    /// The host name.
    Hostname,
    /// The fully qualified domain name.
    Fqdn,
    /// The Ed25519 host public key.
    PubKeyEd25519,
    /// The ECDSA host public key.
    PubKeyEcdsa,
}

impl PhoneHomeField {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::InstanceId => "instance_id",
            Self::Hostname => "hostname",
            Self::Fqdn => "fqdn",
            Self::PubKeyEd25519 => "pub_key_ed25519",
            Self::PubKeyEcdsa => "pub_key_ecdsa",
        }
    }
}

/// Where and what cloud-init posts at the end of boot.
///
/// This is unauthenticated; the hardened preset's ready callback (which carries a secret from a
/// `0600` file) is built separately.
///
/// ```
/// use cloudinit_builder::{PhoneHome, PhoneHomeField};
/// let p = PhoneHome::new("https://ops.example.com/booted/$INSTANCE_ID")?
///     .post([PhoneHomeField::InstanceId, PhoneHomeField::PubKeyEd25519])
///     .tries(5);
/// assert!(PhoneHome::new("ftp://x").is_err());
/// # Ok::<(), cloudinit_builder::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneHome {
    pub(crate) url: String,
    pub(crate) post: Vec<PhoneHomeField>,
    pub(crate) tries: Option<u32>,
}

impl PhoneHome {
    /// Posts to an `https://` URL (`$INSTANCE_ID` is replaced by cloud-init).
    pub fn new(url: &str) -> Result<Self> {
        let field = "phone_home.url";
        let Some(rest) = url.strip_prefix("https://") else {
            return Err(Error::invalid(field, "must start with https://"));
        };
        if rest.is_empty()
            || !rest.chars().all(|c| {
                c.is_ascii_alphanumeric()
                    || matches!(c, '.' | '-' | '_' | '/' | ':' | '~' | '$' | '?' | '=' | '&')
            })
        {
            return Err(Error::invalid(
                field,
                "may only use ASCII letters, digits and ._-/:~$?=&",
            ));
        }
        Ok(Self {
            url: url.to_owned(),
            post: Vec::new(),
            tries: None,
        })
    }

    /// The fields to post (default: all).
    #[must_use]
    pub fn post(mut self, fields: impl IntoIterator<Item = PhoneHomeField>) -> Self {
        self.post = fields.into_iter().collect();
        self.post.sort();
        self.post.dedup();
        self
    }

    /// How many times to try.
    #[must_use]
    pub fn tries(mut self, tries: u32) -> Self {
        self.tries = Some(tries);
        self
    }
}
