//! SSH certificate authentication: the trusted user CA key and per-user principals files.
//!
//! The runbook only mentions `TrustedUserCAKeys` and `AuthorizedPrincipalsFile` in a comment, so
//! certificate logins never actually work there. Here, giving a [`CertAuthority`] to the
//! [`SshdPolicy`](super::SshdPolicy) renders both directives *and* the files they point to.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::values::{AbsPath, UnixUser, check_chars, check_max_len, check_non_empty};
use crate::{Error, Problem, RenderedFile, Result};

/// Key types accepted for a certificate authority.
const CA_KEY_TYPES: &[&str] = &[
    "ssh-ed25519",
    "sk-ssh-ed25519@openssh.com",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "ssh-rsa",
];

/// A CA public key line as `ssh-keygen` writes it: `TYPE BASE64 [COMMENT]`.
///
/// The type must be a known key type, the base64 must decode to an SSH public key blob of that
/// same type, and the comment (if any) must be a single line without quotes or shell
/// metacharacters. Nothing after the key can turn into a second line of the file.
///
/// ```
/// use hardening_model::sshd::CaPublicKey;
///
/// let line = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGr7Q2W8n3VdoGhBvJf3G1V3nJm7d3L8eS1pUe0d6L9x ops-ca";
/// let key = CaPublicKey::parse(line).unwrap();
/// assert_eq!(key.key_type(), "ssh-ed25519");
/// assert!(CaPublicKey::parse("ssh-ed25519 AAAA\nssh-rsa AAAA").is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct CaPublicKey {
    key_type: String,
    blob: String,
    comment: Option<String>,
}

impl CaPublicKey {
    /// Parses and validates one public key line (a trailing line break is not accepted).
    pub fn parse(line: &str) -> Result<Self> {
        let field = "ca_public_key";
        let parts = KeyLine::parse(field, line, 16 * 1024, |key_type| {
            if CA_KEY_TYPES.contains(&key_type) {
                Ok(())
            } else {
                Err(Error::invalid(
                    field,
                    format!(
                        "the key type must be one of {}; certificate options are not accepted",
                        CA_KEY_TYPES.join(", ")
                    ),
                ))
            }
        })?;
        Ok(Self {
            key_type: parts.key_type.to_owned(),
            blob: parts.blob.to_owned(),
            comment: parts.comment.map(str::to_owned),
        })
    }

    /// A key from its type and base64 blob as an encoder wrote them (no comment).
    pub(super) fn from_blob(key_type: &str, blob: String) -> Self {
        Self {
            key_type: key_type.to_owned(),
            blob,
            comment: None,
        }
    }

    /// The key type, e.g. `ssh-ed25519`.
    pub fn key_type(&self) -> &str {
        &self.key_type
    }

    /// The key as one line, without a line break.
    pub fn to_line(&self) -> String {
        match &self.comment {
            Some(c) => format!("{} {} {c}", self.key_type, self.blob),
            None => format!("{} {}", self.key_type, self.blob),
        }
    }
}

impl fmt::Debug for CaPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaPublicKey")
            .field("key_type", &self.key_type)
            .field("blob_len", &self.blob.len())
            .finish_non_exhaustive()
    }
}

/// The three parts of a checked public key line `TYPE BASE64 [COMMENT]`.
pub(super) struct KeyLine<'a> {
    pub(super) key_type: &'a str,
    pub(super) blob: &'a str,
    pub(super) comment: Option<&'a str>,
}

impl<'a> KeyLine<'a> {
    /// Checks one public key line: printable ASCII on one line, at most `max_len` characters,
    /// a type `check_type` accepts, base64 that decodes to a key blob of that same type, and a
    /// comment without quotes or shell metacharacters. Errors name `field`.
    pub(super) fn parse(
        field: &str,
        line: &'a str,
        max_len: usize,
        check_type: impl Fn(&str) -> Result<()>,
    ) -> Result<Self> {
        check_non_empty(field, line)?;
        check_max_len(field, line, max_len)?;
        check_chars(field, line, |c| c == ' ' || c.is_ascii_graphic())?;
        let mut parts = line.splitn(3, ' ');
        let key_type = parts.next().unwrap_or_default();
        let blob = parts.next().unwrap_or_default();
        let comment = parts.next();
        check_type(key_type)?;
        let decoded = STANDARD
            .decode(blob)
            .map_err(|_| Error::invalid(field, "the key is not valid base64"))?;
        if embedded_type(&decoded) != Some(key_type.as_bytes()) {
            return Err(Error::invalid(
                field,
                "the base64 blob does not hold a public key of the declared type",
            ));
        }
        if let Some(c) = comment {
            check_chars(&format!("{field}.comment"), c, |ch| {
                (ch == ' ' || ch.is_ascii_graphic()) && !crate::values::METACHARACTERS.contains(&ch)
            })?;
        }
        Ok(Self {
            key_type,
            blob,
            comment,
        })
    }
}

/// The key type string embedded at the start of an SSH public key blob (RFC 4253 `string`).
fn embedded_type(blob: &[u8]) -> Option<&[u8]> {
    let len_bytes: [u8; 4] = blob.get(..4)?.try_into().ok()?;
    let len = usize::try_from(u32::from_be_bytes(len_bytes)).ok()?;
    let ty = blob.get(4..4usize.checked_add(len)?)?;
    // A key blob carries key material after its type.
    (blob.len() > 4 + len).then_some(ty)
}

/// A certificate principal: ASCII letters, digits and `._@-`, at most 64 characters.
///
/// ```
/// use hardening_model::sshd::Principal;
/// assert!(Principal::new("ops-admins").is_ok());
/// assert!(Principal::new("ops admins").is_err());
/// assert!(Principal::new("#comment").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Principal(String);

impl Principal {
    /// Validates a principal name.
    pub fn new(name: impl Into<String>) -> Result<Self> {
        let name = name.into();
        let field = "principal";
        check_non_empty(field, &name)?;
        check_max_len(field, &name, 64)?;
        check_chars(field, &name, |c| {
            c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-')
        })?;
        Ok(Self(name))
    }

    /// The principal.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Certificate trust for sshd: one CA key, and for each login user the principals a certificate
/// must carry (one of) to log in as that user.
///
/// Renders `TrustedUserCAKeys` and `AuthorizedPrincipalsFile DIR/%u`, the CA key file, and one
/// principals file per user (mode 0644, owned by root, as sshd's `StrictModes` wants).
/// A user without a principals file cannot log in with a certificate at all, which is the safe
/// default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertAuthority {
    key: CaPublicKey,
    key_path: Option<AbsPath>,
    principals_dir: Option<AbsPath>,
    principals: BTreeMap<UnixUser, Vec<Principal>>,
}

impl CertAuthority {
    /// Default path of the CA key file.
    pub const DEFAULT_KEY_PATH: &'static str = "/etc/ssh/trusted_user_ca_keys.pub";
    /// Default directory of the per-user principals files.
    pub const DEFAULT_PRINCIPALS_DIR: &'static str = "/etc/ssh/auth_principals";

    /// Trust `key`, with files at the default paths and no principals yet.
    pub fn new(key: CaPublicKey) -> Self {
        Self {
            key,
            key_path: None,
            principals_dir: None,
            principals: BTreeMap::new(),
        }
    }

    /// Lets certificates naming any of `principals` log in as `user`.
    ///
    /// ```
    /// use hardening_model::sshd::{CaPublicKey, CertAuthority, Principal};
    /// use hardening_model::values::UnixUser;
    /// # let key = CaPublicKey::parse("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGr7Q2W8n3VdoGhBvJf3G1V3nJm7d3L8eS1pUe0d6L9x").unwrap();
    /// let ca = CertAuthority::new(key)
    ///     .allow(UnixUser::new("deploy").unwrap(), [Principal::new("ops").unwrap()]);
    /// let files = ca.files();
    /// assert_eq!(files[1].path, "/etc/ssh/auth_principals/deploy");
    /// assert_eq!(files[1].content, "ops\n");
    /// ```
    #[must_use]
    pub fn allow(
        mut self,
        user: UnixUser,
        principals: impl IntoIterator<Item = Principal>,
    ) -> Self {
        let list = self.principals.entry(user).or_default();
        for p in principals {
            if !list.contains(&p) {
                list.push(p);
            }
        }
        self
    }

    /// Stores the CA key at `path` instead of the default.
    #[must_use]
    pub fn key_path(mut self, path: AbsPath) -> Self {
        self.key_path = Some(path);
        self
    }

    /// Keeps the principals files in `dir` instead of the default.
    #[must_use]
    pub fn principals_dir(mut self, dir: AbsPath) -> Self {
        self.principals_dir = Some(dir);
        self
    }

    fn key_file(&self) -> &str {
        self.key_path
            .as_ref()
            .map_or(Self::DEFAULT_KEY_PATH, AbsPath::as_str)
    }

    fn dir(&self) -> &str {
        self.principals_dir
            .as_ref()
            .map_or(Self::DEFAULT_PRINCIPALS_DIR, AbsPath::as_str)
    }

    /// The trusted CA key.
    pub fn key(&self) -> &CaPublicKey {
        &self.key
    }

    /// The users that have a principals file.
    pub fn users(&self) -> impl Iterator<Item = &UnixUser> {
        self.principals.keys()
    }

    /// Checks that every listed user has at least one principal.
    pub fn check(&self) -> Result<()> {
        for (user, list) in &self.principals {
            if list.is_empty() {
                return Err(Error::new(
                    format!("cert_authority.principals.{user}"),
                    Problem::Empty,
                ));
            }
        }
        Ok(())
    }

    /// The `sshd_config` lines that enable certificate logins.
    pub(crate) fn directives(&self) -> [(&'static str, String); 2] {
        [
            ("TrustedUserCAKeys", self.key_file().to_owned()),
            ("AuthorizedPrincipalsFile", format!("{}/%u", self.dir())),
        ]
    }

    /// The CA key file followed by one principals file per user.
    pub fn files(&self) -> Vec<RenderedFile> {
        let mut files = vec![RenderedFile::root(
            self.key_file(),
            0o644,
            format!("{}\n", self.key.to_line()),
        )];
        for (user, list) in &self.principals {
            let mut content = String::new();
            for p in list {
                content.push_str(p.as_str());
                content.push('\n');
            }
            files.push(RenderedFile::root(
                format!("{}/{user}", self.dir()),
                0o644,
                content,
            ));
        }
        files
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIGr7Q2W8n3VdoGhBvJf3G1V3nJm7d3L8eS1pUe0d6L9x";

    #[test]
    fn parses_and_round_trips() {
        let k = CaPublicKey::parse(&format!("ssh-ed25519 {KEY} ca@example")).unwrap();
        assert_eq!(k.to_line(), format!("ssh-ed25519 {KEY} ca@example"));
        assert!(!format!("{k:?}").contains(KEY));
    }

    #[test]
    fn rejects_type_mismatch_and_garbage() {
        // Ed25519 blob declared as RSA.
        let e = CaPublicKey::parse(&format!("ssh-rsa {KEY}")).unwrap_err();
        assert!(e.to_string().contains("declared type"));
        assert!(CaPublicKey::parse("ssh-ed25519 !!!").is_err());
        assert!(CaPublicKey::parse(&format!("cert-authority ssh-ed25519 {KEY}")).is_err());
        assert!(CaPublicKey::parse(&format!("ssh-ed25519 {KEY}\n")).is_err());
        assert!(CaPublicKey::parse(&format!("ssh-ed25519 {KEY} a;b")).is_err());
        assert!(CaPublicKey::parse("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5").is_err());
    }

    #[test]
    fn empty_principals_rejected() {
        let k = CaPublicKey::parse(&format!("ssh-ed25519 {KEY}")).unwrap();
        let ca = CertAuthority::new(k).allow(UnixUser::new("ops").unwrap(), []);
        assert_eq!(
            ca.check().unwrap_err().field(),
            "cert_authority.principals.ops"
        );
    }
}
