//! `users` entries: named accounts with SSH keys and no password.

use hardening_model::sshd::AdminPublicKey;
use hardening_model::values::{AbsPath, UnixGroup, UnixUser};

use crate::{Error, Result};

/// Key types accepted in `ssh_authorized_keys`: exactly the user key types the rendered sshd
/// accepts at login ([`hardening_model::sshd::ADMIN_KEY_ALGORITHMS`]: Ed25519 and FIDO2
/// Ed25519). ECDSA and RSA keys are refused: sshd would refuse them, and the admin would be
/// locked out of a host that booted fine.
pub const SSH_KEY_TYPES: &[&str] = &["ssh-ed25519", "sk-ssh-ed25519@openssh.com"];

/// An OpenSSH public key line: `TYPE BASE64 [comment]`.
///
/// ```
/// use cloudinit_builder::SshPublicKey;
/// let k = SshPublicKey::new("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx4bXBsZS1rZXktZm9yLXRlc3Rz admin@laptop")?;
/// assert_eq!(
///     k.as_str(),
///     "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx4bXBsZS1rZXktZm9yLXRlc3Rz admin@laptop"
/// );
/// // sshd refuses ECDSA user keys, so they are refused here
/// assert!(SshPublicKey::new("ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY= a").is_err());
/// assert!(SshPublicKey::new("ssh-rsa AAAAB3Nza").is_err());
/// assert!(SshPublicKey::new("ssh-ed25519 AAAA\nssh-ed25519 BBBB").is_err());
/// # Ok::<(), cloudinit_builder::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshPublicKey(String);

impl SshPublicKey {
    /// Validates a public key line: a type the rendered sshd accepts ([`SSH_KEY_TYPES`]),
    /// base64 that decodes to a key of that type, and a comment without shell
    /// metacharacters. Errors name the field `ssh_key`.
    pub fn new(line: impl Into<String>) -> Result<Self> {
        let line = line.into();
        AdminPublicKey::parse("ssh_key", &line)?;
        Ok(Self(line))
    }

    /// The key line.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A user account created by cloud-init. The password is always locked (`lock_passwd: true`):
/// access is by SSH key only.
///
/// ```
/// use cloudinit_builder::{SshPublicKey, User};
/// let admin = User::new("admin")?
///     .groups(["sudo"])?
///     .shell("/bin/bash")?
///     .sudo("ALL=(ALL) NOPASSWD:ALL")?
///     .ssh_key(SshPublicKey::new("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx4bXBsZS1rZXktZm9yLXRlc3Rz admin")?);
/// assert_eq!(admin.name(), "admin");
/// # Ok::<(), cloudinit_builder::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub(crate) name: UnixUser,
    pub(crate) groups: Vec<UnixGroup>,
    pub(crate) shell: Option<AbsPath>,
    pub(crate) homedir: Option<AbsPath>,
    pub(crate) sudo: Option<String>,
    pub(crate) system: bool,
    pub(crate) no_create_home: bool,
    pub(crate) ssh_keys: Vec<SshPublicKey>,
}

impl User {
    /// A user with a locked password and no keys yet.
    pub fn new(name: &str) -> Result<Self> {
        Ok(Self {
            name: UnixUser::new(name).map_err(|e| Error::from(e).within("name"))?,
            groups: Vec::new(),
            shell: None,
            homedir: None,
            sudo: None,
            system: false,
            no_create_home: false,
            ssh_keys: Vec::new(),
        })
    }

    /// Supplementary groups.
    pub fn groups<I, S>(mut self, groups: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for (i, g) in groups.into_iter().enumerate() {
            let g = UnixGroup::new(g.as_ref())
                .map_err(|e| Error::from(e).within(&format!("groups[{i}]")))?;
            self.groups.push(g);
        }
        Ok(self)
    }

    /// Login shell.
    pub fn shell(mut self, shell: &str) -> Result<Self> {
        self.shell = Some(AbsPath::new(shell).map_err(|e| Error::from(e).within("shell"))?);
        Ok(self)
    }

    /// Home directory.
    pub fn homedir(mut self, dir: &str) -> Result<Self> {
        self.homedir = Some(AbsPath::new(dir).map_err(|e| Error::from(e).within("homedir"))?);
        Ok(self)
    }

    /// A sudoers rule for this user, e.g. `ALL=(ALL) NOPASSWD:ALL`; one line, no control
    /// characters.
    pub fn sudo(mut self, rule: &str) -> Result<Self> {
        if rule.trim().is_empty() {
            return Err(Error::invalid("sudo", "must not be empty"));
        }
        if let Some(at) = rule.chars().position(char::is_control) {
            return Err(Error::invalid(
                "sudo",
                format!("control character at position {at}"),
            ));
        }
        self.sudo = Some(rule.to_owned());
        Ok(self)
    }

    /// A system account (no aging, UID below 1000).
    #[must_use]
    pub fn system(mut self, system: bool) -> Self {
        self.system = system;
        self
    }

    /// Do not create the home directory.
    #[must_use]
    pub fn no_create_home(mut self, no: bool) -> Self {
        self.no_create_home = no;
        self
    }

    /// Adds an authorised SSH key.
    #[must_use]
    pub fn ssh_key(mut self, key: SshPublicKey) -> Self {
        self.ssh_keys.push(key);
        self
    }

    /// The user name.
    pub fn name(&self) -> &str {
        self.name.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accepted_key_types_are_the_ones_sshd_accepts() {
        assert_eq!(
            SSH_KEY_TYPES,
            hardening_model::sshd::admin_key_types().as_slice()
        );
    }

    #[test]
    fn a_key_sshd_would_refuse_is_refused_naming_the_field() {
        let p384 = "ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBNTb/X8s25tjF5+jDBzVv/gdGTLvYH/HDxaTl/T9J6A3NDn7Md7BCC2SkD6ehEpXjHKYR9jVsPGNhLlHzrtRoqtdtyuMojDtM8TzbWPwWBooyjZ63s3Szyajl62VKGIafQ== carol";
        let err = SshPublicKey::new(p384).unwrap_err();
        assert_eq!(err.field(), Some("ssh_key"));
        assert!(
            err.to_string().contains("PubkeyAcceptedAlgorithms"),
            "{err}"
        );
        // a type that claims Ed25519 but carries another key blob
        let forged = "ssh-ed25519 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBNTb carol";
        assert!(SshPublicKey::new(forged).is_err());
    }
}
