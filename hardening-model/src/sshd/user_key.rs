//! Admin (user) public keys: only the key types the rendered sshd accepts for login.
//!
//! [`ADMIN_KEY_ALGORITHMS`] is the one list of user key types that may log in: the non-
//! certificate entries of the baseline `PubkeyAcceptedAlgorithms` with hardware keys on
//! ([`SshCrypto::baseline(true)`](super::SshCrypto::baseline), which the host preset renders).
//! Every input path that takes an admin key (cloud-init users, Hetzner SSH keys, certificate
//! requests) checks against it, so a key sshd would refuse is refused before it can lock an
//! admin out.

use std::fmt;

use super::cert::KeyLine;
use super::crypto::KeyAlgorithm;
use crate::{Error, Result};

/// The user key types the rendered sshd accepts: Ed25519 and FIDO2 Ed25519
/// (`sk-ssh-ed25519@openssh.com`). Certificates for these keys are accepted too (their
/// `-cert-v01` algorithms are in the same `PubkeyAcceptedAlgorithms` line).
///
/// ECDSA and RSA keys are left out on purpose: the baseline policy does not list them, so sshd
/// would refuse them at login (runbook 3.2: Ed25519 only).
pub const ADMIN_KEY_ALGORITHMS: [KeyAlgorithm; 2] =
    [KeyAlgorithm::Ed25519, KeyAlgorithm::SkEd25519];

/// The key type names of [`ADMIN_KEY_ALGORITHMS`], as they start a public key line.
pub fn admin_key_types() -> [&'static str; 2] {
    ADMIN_KEY_ALGORITHMS.map(KeyAlgorithm::as_str)
}

/// Checks that `key_type` (the first word of a public key line) is one the rendered sshd
/// accepts, with an error on `field` that says why otherwise.
///
/// ```
/// use hardening_model::sshd::check_admin_key_type;
/// assert!(check_admin_key_type("key", "ssh-ed25519").is_ok());
/// let err = check_admin_key_type("key", "ecdsa-sha2-nistp256").unwrap_err();
/// assert_eq!(err.field(), "key");
/// assert!(err.to_string().contains("PubkeyAcceptedAlgorithms"));
/// ```
pub fn check_admin_key_type(field: &str, key_type: &str) -> Result<()> {
    if admin_key_types().contains(&key_type) {
        return Ok(());
    }
    Err(Error::invalid(
        field,
        format!(
            "key type {:?} is refused by the rendered sshd (PubkeyAcceptedAlgorithms accepts only {} \
             keys and their certificates), so this key could not log in",
            truncate(key_type),
            admin_key_types().join(" and ")
        ),
    ))
}

fn truncate(s: &str) -> String {
    s.chars()
        .take(40)
        .filter(|c| c.is_ascii_graphic())
        .collect()
}

/// An admin's public key line `TYPE BASE64 [COMMENT]`, of a type the rendered sshd accepts.
///
/// The type must be in [`ADMIN_KEY_ALGORITHMS`], the base64 must decode to a key blob of that
/// type, and the comment must be one line without shell metacharacters.
///
/// ```
/// use hardening_model::sshd::AdminPublicKey;
///
/// let line = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGr7Q2W8n3VdoGhBvJf3G1V3nJm7d3L8eS1pUe0d6L9x alice";
/// assert_eq!(AdminPublicKey::parse("admin_key", line).unwrap().key_type(), "ssh-ed25519");
/// let rsa = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 bob";
/// let err = AdminPublicKey::parse("admin_key", rsa).unwrap_err();
/// assert!(err.to_string().contains("refused by the rendered sshd"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AdminPublicKey {
    key_type: &'static str,
    blob: String,
    comment: Option<String>,
}

impl AdminPublicKey {
    /// Parses one public key line; errors name `field`.
    pub fn parse(field: &str, line: &str) -> Result<Self> {
        let parts = KeyLine::parse(field, line, 8 * 1024, |t| check_admin_key_type(field, t))?;
        let Some(key_type) = admin_key_types().into_iter().find(|t| *t == parts.key_type) else {
            return Err(Error::invalid(field, "unknown key type"));
        };
        Ok(Self {
            key_type,
            blob: parts.blob.to_owned(),
            comment: parts.comment.map(str::to_owned),
        })
    }

    /// The key type, e.g. `ssh-ed25519`.
    pub fn key_type(&self) -> &'static str {
        self.key_type
    }

    /// The key as one line, without a line break.
    pub fn to_line(&self) -> String {
        match &self.comment {
            Some(c) => format!("{} {} {c}", self.key_type, self.blob),
            None => format!("{} {}", self.key_type, self.blob),
        }
    }
}

impl fmt::Debug for AdminPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminPublicKey")
            .field("key_type", &self.key_type)
            .field("comment", &self.comment)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sshd::SshCrypto;

    const ED: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIGr7Q2W8n3VdoGhBvJf3G1V3nJm7d3L8eS1pUe0d6L9x";

    #[test]
    fn the_list_is_what_the_baseline_accepts() {
        // The plain (non-certificate) key algorithms of the rendered PubkeyAcceptedAlgorithms.
        let rendered = SshCrypto::baseline(true).pubkey_algorithms_line();
        let plain: Vec<&str> = rendered
            .split(',')
            .filter(|a| !a.contains("-cert-"))
            .collect();
        assert_eq!(plain, admin_key_types());
    }

    #[test]
    fn refuses_what_sshd_refuses() {
        for ty in [
            "ecdsa-sha2-nistp256",
            "ssh-rsa",
            "sk-ecdsa-sha2-nistp256@openssh.com",
            "ssh-dss",
        ] {
            let e = AdminPublicKey::parse("k", &format!("{ty} {ED}")).unwrap_err();
            assert_eq!(e.field(), "k");
            assert!(e.to_string().contains("could not log in"), "{e}");
        }
        assert!(AdminPublicKey::parse("k", &format!("ssh-ed25519 {ED} a b")).is_ok());
        assert!(AdminPublicKey::parse("k", &format!("ssh-ed25519 {ED} a;b")).is_err());
        assert!(AdminPublicKey::parse("k", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5").is_err());
        // An Ed25519 blob declared as a hardware key.
        let e =
            AdminPublicKey::parse("k", &format!("sk-ssh-ed25519@openssh.com {ED}")).unwrap_err();
        assert!(e.to_string().contains("declared type"));
    }
}
