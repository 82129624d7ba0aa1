//! SSH keys: create, list, update labels, delete.

use futures::stream::BoxStream;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{CreateOutcome, ListParams, create_reconciled};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::labels::Labels;
use crate::models::ssh_key::SshKey;
use crate::pagination::{Page, fetch_page, stream_all};
use crate::request::RequestSpec;

/// A request to store a public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateSshKey {
    /// Unique name.
    pub name: String,
    /// The public key in OpenSSH format (`ssh-ed25519 AAAA... comment`).
    pub public_key: String,
    /// Labels.
    pub labels: Labels,
}

impl CreateSshKey {
    /// A key named `name`.
    pub fn new(name: impl Into<String>, public_key: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            public_key: public_key.into(),
            labels: Labels::new(),
        }
    }

    /// Sets the labels.
    #[must_use]
    pub fn labels(mut self, labels: Labels) -> Self {
        self.labels = labels;
        self
    }
}

const KEY_TYPES: &[&str] = &[
    "ssh-ed25519",
    "sk-ssh-ed25519@openssh.com",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ecdsa-sha2-nistp256@openssh.com",
];

/// Builds `POST /ssh_keys`.
///
/// # Errors
/// [`Error::Invalid`] naming `name`, `public_key` or a label; nothing is sent.
///
/// ```
/// use hetzner_client::resources::ssh_keys::{create_request, CreateSshKey};
/// assert!(create_request(&CreateSshKey::new("k", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl")).is_ok());
/// assert!(create_request(&CreateSshKey::new("k", "-----BEGIN OPENSSH PRIVATE KEY-----")).is_err());
/// ```
pub fn create_request(req: &CreateSshKey) -> Result<RequestSpec> {
    if req.name.trim().is_empty() || req.name.chars().any(char::is_control) || req.name.len() > 128
    {
        return Err(Error::invalid(
            "name",
            "must be one non-empty line of at most 128 characters",
        ));
    }
    let key = req.public_key.trim();
    if key.contains("PRIVATE KEY") {
        return Err(Error::invalid(
            "public_key",
            "is a private key; only the public key may be uploaded",
        ));
    }
    let mut parts = key.split_whitespace();
    let kind = parts.next().unwrap_or("");
    let blob = parts.next().unwrap_or("");
    if !KEY_TYPES.contains(&kind) || blob.is_empty() || key.contains('\n') {
        return Err(Error::invalid(
            "public_key",
            "must be one OpenSSH public key line",
        ));
    }
    if !blob
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
    {
        return Err(Error::invalid("public_key", "the key data is not base64"));
    }
    req.labels.validate()?;
    let mut body = Map::new();
    body.insert("name".into(), json!(req.name));
    body.insert("public_key".into(), json!(key));
    if !req.labels.is_empty() {
        body.insert("labels".into(), json!(req.labels));
    }
    Ok(RequestSpec::post("/ssh_keys", Value::Object(body)))
}

/// Builds `PUT /ssh_keys/{id}` replacing the labels (the API overwrites the whole set).
///
/// # Errors
/// An invalid label.
pub fn update_labels_request(id: u64, labels: &Labels) -> Result<RequestSpec> {
    labels.validate()?;
    Ok(RequestSpec::put(
        format!("/ssh_keys/{id}"),
        json!({ "labels": labels }),
    ))
}

/// Filters for listing keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListSshKeys {
    /// Common filters.
    pub params: ListParams,
    /// Exact fingerprint.
    pub fingerprint: Option<String>,
}

super::list_filter!(ListSshKeys);

/// Builds `GET /ssh_keys`.
///
/// # Errors
/// An invalid label selector or sort key.
pub fn list_request(filter: &ListSshKeys) -> Result<RequestSpec> {
    let mut spec = filter.params.apply(RequestSpec::get("/ssh_keys"))?;
    if let Some(fingerprint) = &filter.fingerprint {
        spec = spec.with_query("fingerprint", fingerprint.clone());
    }
    Ok(spec)
}

#[derive(Deserialize)]
struct KeyEnvelope {
    ssh_key: SshKey,
}

/// Result of [`SshKeys::create`].
#[derive(Debug, Clone)]
pub struct CreatedSshKey {
    /// The key.
    pub ssh_key: SshKey,
    /// True when the POST's outcome was unknown and the key was found by its name.
    pub reconciled: bool,
}

/// SSH key operations; from [`Client::ssh_keys`].
#[derive(Debug, Clone, Copy)]
pub struct SshKeys<'a> {
    pub(crate) client: &'a Client,
}

impl SshKeys<'_> {
    /// Stores a key, reconciling by name if the outcome is unknown.
    ///
    /// # Errors
    /// Validation errors (nothing sent) or the API's error (`uniqueness_error` for a key or
    /// name that already exists).
    pub async fn create(&self, req: &CreateSshKey) -> Result<CreatedSshKey> {
        let spec = create_request(req)?;
        let outcome = create_reconciled::<KeyEnvelope, SshKey, _, _>(self.client, &spec, || {
            self.get_by_name(&req.name)
        })
        .await?;
        Ok(match outcome {
            CreateOutcome::Created(r) => CreatedSshKey {
                ssh_key: r.ssh_key,
                reconciled: false,
            },
            CreateOutcome::Existing(ssh_key) => CreatedSshKey {
                ssh_key,
                reconciled: true,
            },
        })
    }

    /// Gets a key by id.
    ///
    /// # Errors
    /// `not_found` when it does not exist.
    pub async fn get(&self, id: u64) -> Result<SshKey> {
        let envelope: KeyEnvelope = self
            .client
            .send_json(&RequestSpec::get(format!("/ssh_keys/{id}")))
            .await?;
        Ok(envelope.ssh_key)
    }

    /// Finds a key by its exact name.
    ///
    /// # Errors
    /// The API's error, or [`Error::Decode`] when an entry of the
    /// answer does not decode (it could be the one looked for).
    pub async fn get_by_name(&self, name: &str) -> Result<Option<SshKey>> {
        let page: Page<SshKey> = fetch_page(
            self.client,
            &list_request(&ListParams::default().name(name).into())?,
            "ssh_keys",
        )
        .await?;
        Ok(page.complete()?.into_iter().find(|k| k.name == name))
    }

    /// One page of keys.
    ///
    /// # Errors
    /// An invalid filter (nothing sent) or the API's error.
    pub async fn list(&self, filter: impl Into<ListSshKeys>) -> Result<Page<SshKey>> {
        let filter = &filter.into();
        fetch_page(self.client, &list_request(filter)?, "ssh_keys").await
    }

    /// Every key matching `filter`, lazily.
    ///
    /// # Errors
    /// An invalid filter (nothing sent).
    pub fn stream(
        &self,
        filter: impl Into<ListSshKeys>,
    ) -> Result<BoxStream<'static, Result<SshKey>>> {
        let filter = &filter.into();
        Ok(stream_all(self.client, list_request(filter)?, "ssh_keys"))
    }

    /// Replaces a key's labels.
    ///
    /// # Errors
    /// Validation errors (nothing sent) or the API's error.
    pub async fn update_labels(&self, id: u64, labels: &Labels) -> Result<SshKey> {
        let envelope: KeyEnvelope = self
            .client
            .send_json(&update_labels_request(id, labels)?)
            .await?;
        Ok(envelope.ssh_key)
    }

    /// Deletes a key.
    ///
    /// # Errors
    /// The API's error.
    pub async fn delete(&self, id: u64) -> Result<()> {
        self.client
            .delete_idempotent(&RequestSpec::delete(format!("/ssh_keys/{id}")))
            .await
    }
}
