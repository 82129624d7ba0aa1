//! Admin SSH keys labelled with their owner and expiry date, and the query for expired ones.

use chrono::NaiveDate;
use futures::TryStreamExt;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::labels::{LabelSelector, Labels};
use crate::models::ssh_key::SshKey;
use crate::resources::ListParams;
use crate::resources::ssh_keys::{CreateSshKey, CreatedSshKey};

/// Label marking a key as an admin key (`role=admin`).
pub const ROLE_LABEL: &str = "role";
/// Label holding the key owner's (non-personal) handle.
pub const OWNER_LABEL: &str = "owner";
/// Label holding the expiry date, `YYYY-MM-DD`.
pub const EXPIRES_LABEL: &str = "expires";

/// An admin key to upload: the owner's handle (a login name, not an email), the public key,
/// and the date after which it must be rotated (the runbook rotates every 6 months).
///
/// Only key types the hardened sshd accepts pass
/// ([`hardening_model::sshd::ADMIN_KEY_ALGORITHMS`]: `ssh-ed25519` and
/// `sk-ssh-ed25519@openssh.com`): an ECDSA or RSA key would be uploaded, injected by Hetzner
/// and then refused at login, locking its owner out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminKey {
    /// Owner handle, e.g. `alice`.
    pub owner: String,
    /// OpenSSH public key line.
    pub public_key: String,
    /// Last valid day.
    pub expires: NaiveDate,
}

impl AdminKey {
    /// The create request: name `admin-<owner>-<YYYYMM of expiry>`, labels `role=admin`,
    /// `owner=<owner>`, `expires=<YYYY-MM-DD>`.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming `owner` (must be a label-safe handle, not personal data) or
    /// `public_key` (must be an Ed25519 or FIDO2 Ed25519 public key line; the reason says why
    /// another type is refused).
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use hetzner_client::helpers::admin_keys::AdminKey;
    /// let key = AdminKey {
    ///     owner: "alice".into(),
    ///     public_key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice".into(),
    ///     expires: NaiveDate::from_ymd_opt(2026, 8, 3).unwrap(),
    /// };
    /// let req = key.request().unwrap();
    /// assert_eq!(req.name, "admin-alice-202608");
    /// assert_eq!(req.labels.get("expires"), Some("2026-08-03"));
    ///
    /// let ecdsa = AdminKey { public_key: "ecdsa-sha2-nistp256 AAAAE2VjZHNh".into(), ..key };
    /// let err = ecdsa.request().unwrap_err();
    /// assert!(err.to_string().contains("refused by the rendered sshd"), "{err}");
    /// ```
    pub fn request(&self) -> Result<CreateSshKey> {
        hardening_model::sshd::AdminPublicKey::parse("public_key", &self.public_key)
            .map_err(|e| Error::invalid("public_key", e.problem().to_string()))?;
        let labels = Labels::new()
            .with(ROLE_LABEL, "admin")?
            .with(OWNER_LABEL, self.owner.as_str())
            .map_err(|e| match e {
                Error::Invalid { reason, .. } => Error::invalid("owner", reason),
                other => other,
            })?
            .with(EXPIRES_LABEL, self.expires.format("%Y-%m-%d").to_string())?;
        Ok(CreateSshKey::new(
            format!("admin-{}-{}", self.owner, self.expires.format("%Y%m")),
            self.public_key.clone(),
        )
        .labels(labels))
    }
}

/// The expiry date of a key, if it carries a valid `expires` label.
pub fn expiry_of(key: &SshKey) -> Option<NaiveDate> {
    key.labels
        .get(EXPIRES_LABEL)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

impl Client {
    /// Uploads an admin key (reconciled by name if the outcome is unknown).
    ///
    /// # Errors
    /// Validation errors (nothing sent) or the API's error.
    pub async fn create_admin_key(&self, key: &AdminKey) -> Result<CreatedSshKey> {
        self.ssh_keys().create(&key.request()?).await
    }

    /// Admin keys whose expiry date is before `today`, plus admin keys without a readable
    /// expiry (which are treated as expired: nobody can say they are still valid).
    ///
    /// # Errors
    /// The API's error.
    pub async fn expired_admin_keys(&self, today: NaiveDate) -> Result<Vec<SshKey>> {
        let filter = ListParams::default().selector(LabelSelector::new().eq(ROLE_LABEL, "admin"));
        let keys: Vec<SshKey> = self.ssh_keys().stream(filter)?.try_collect().await?;
        Ok(keys
            .into_iter()
            .filter(|k| expiry_of(k).is_none_or(|d| d < today))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED25519: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice";

    fn key(public_key: &str) -> AdminKey {
        AdminKey {
            owner: "alice".into(),
            public_key: public_key.into(),
            expires: NaiveDate::from_ymd_opt(2026, 8, 3).unwrap_or_default(),
        }
    }

    #[test]
    fn only_key_types_the_hardened_sshd_accepts() {
        assert!(key(ED25519).request().is_ok());
        for refused in [
            "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg= bob",
            "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 bob",
            "ssh-ed25519 AAAA",
            "",
        ] {
            match key(refused).request() {
                Err(Error::Invalid { field, reason }) => {
                    assert_eq!(field, "public_key");
                    assert!(!reason.is_empty());
                }
                other => panic!("{refused:?} was not refused: {other:?}"),
            }
        }
        let Err(Error::Invalid { reason, .. }) = key("ssh-rsa AAAAB3NzaC1yc2E bob").request()
        else {
            panic!("RSA accepted");
        };
        assert!(reason.contains("ssh-ed25519"), "{reason}");
    }
}
