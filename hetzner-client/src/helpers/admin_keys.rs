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
    /// [`Error::Invalid`] naming `owner` (must be a label-safe handle, not personal data).
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use hetzner_client::helpers::admin_keys::AdminKey;
    /// let key = AdminKey { owner: "alice".into(), public_key: "ssh-ed25519 AAAA".into(), expires: NaiveDate::from_ymd_opt(2026, 8, 3).unwrap() };
    /// let req = key.request().unwrap();
    /// assert_eq!(req.name, "admin-alice-202608");
    /// assert_eq!(req.labels.get("expires"), Some("2026-08-03"));
    /// ```
    pub fn request(&self) -> Result<CreateSshKey> {
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
