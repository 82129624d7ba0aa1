//! Admin keys: the ones past their `expires` label, and rotating one.
//!
//! A rotation has two sides. In Hetzner ([`rotate`]): the new key is uploaded first, then the
//! old one deleted, so the owner is never locked out of new servers. On running hosts
//! ([`host`]): the key reaches `authorized_keys` over SSH (through the bastion, `ssh -J`),
//! by a script that adds the new key before it removes the old one; cloud-init only reads
//! keys at first boot, so this is the mechanism for hosts that already run.

pub mod host;

use chrono::NaiveDate;
use hetzner_client::helpers::admin_keys::{AdminKey, OWNER_LABEL, expiry_of};
use hetzner_client::models::ssh_key::SshKey;

use crate::backends::Backends;
use crate::error::{Error, Result};

/// Admin keys whose expiry is before `today` (or unreadable).
///
/// # Errors
/// The API's error.
pub async fn expired(backends: &Backends, today: NaiveDate) -> Result<Vec<SshKey>> {
    Ok(backends.hetzner.expired_admin_keys(today).await?)
}

/// What a rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The new key's id and name.
    pub new_key: (u64, String),
    /// The retired key's id and name.
    pub old_key: (u64, String),
}

/// Uploads `replacement` for the owner of the key named `old_name`, then deletes the old key.
/// The new key is in place before the old one goes, so the owner is never locked out.
///
/// # Errors
/// [`Error::State`] when no key has that name, [`Error::Invalid`] naming `owner` when the
/// replacement is for someone else, or the API's error.
pub async fn rotate(
    backends: &Backends,
    old_name: &str,
    replacement: &AdminKey,
) -> Result<Rotation> {
    let keys = backends.hetzner.ssh_keys();
    let old = keys
        .get_by_name(old_name)
        .await?
        .ok_or_else(|| Error::State(format!("no SSH key named {old_name}")))?;
    if old.labels.get(OWNER_LABEL) != Some(replacement.owner.as_str()) {
        return Err(Error::invalid(
            "owner",
            "the replacement key must belong to the old key's owner",
        ));
    }
    let created = backends.hetzner.create_admin_key(replacement).await?;
    if created.ssh_key.id != old.id {
        keys.delete(old.id).await?;
    }
    Ok(Rotation {
        new_key: (created.ssh_key.id, created.ssh_key.name),
        old_key: (old.id, old.name),
    })
}

/// One line per key: name, owner, expiry.
pub fn describe(keys: &[SshKey]) -> Vec<String> {
    if keys.is_empty() {
        return vec!["no admin key is past its expiry".to_owned()];
    }
    keys.iter()
        .map(|k| {
            format!(
                "expired: {} (id {}, owner {}, expires {})",
                k.name,
                k.id,
                k.labels.get(OWNER_LABEL).unwrap_or("?"),
                expiry_of(k).map_or("unreadable".to_owned(), |d| d.to_string())
            )
        })
        .collect()
}
