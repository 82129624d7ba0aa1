//! Images: list (snapshots by label, type, sort), update, delete.

use futures::stream::BoxStream;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::ListParams;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::labels::Labels;
use crate::models::image::{Image, ImageStatus, ImageType};
use crate::pagination::{Page, fetch_page, stream_all};
use crate::request::RequestSpec;

/// Filters for listing images.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListImages {
    /// Common filters.
    pub params: ListParams,
    /// Only these kinds.
    pub kinds: Vec<ImageType>,
    /// Only these states.
    pub status: Vec<ImageStatus>,
}

super::list_filter!(ListImages);

impl ListImages {
    /// Snapshots only.
    pub fn snapshots() -> Self {
        Self {
            kinds: vec![ImageType::Snapshot],
            ..Self::default()
        }
    }
}

/// Builds `GET /images`.
///
/// # Errors
/// An invalid label selector or sort key.
///
/// ```
/// use hetzner_client::resources::images::{list_request, ListImages};
/// let mut filter = ListImages::snapshots();
/// filter.params = filter.params.sort("created:asc");
/// assert_eq!(list_request(&filter).unwrap().path_and_query(), "/images?sort=created%3Aasc&type=snapshot");
/// ```
pub fn list_request(filter: &ListImages) -> Result<RequestSpec> {
    let mut spec = filter.params.apply(RequestSpec::get("/images"))?;
    for kind in &filter.kinds {
        spec = spec.with_query("type", kind.as_str());
    }
    for status in &filter.status {
        spec = spec.with_query("status", status.as_str());
    }
    Ok(spec)
}

/// What to change on an image.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateImage {
    /// New description.
    pub description: Option<String>,
    /// New labels (replace the whole set).
    pub labels: Option<Labels>,
}

/// Builds `PUT /images/{id}`.
///
/// # Errors
/// [`Error::Invalid`] naming `description` or a label.
pub fn update_request(id: u64, update: &UpdateImage) -> Result<RequestSpec> {
    let mut body = Map::new();
    if let Some(description) = &update.description {
        if description.chars().count() > 255 || description.chars().any(char::is_control) {
            return Err(Error::invalid(
                "description",
                "must be one line of at most 255 characters",
            ));
        }
        body.insert("description".into(), json!(description));
    }
    if let Some(labels) = &update.labels {
        labels.validate()?;
        body.insert("labels".into(), json!(labels));
    }
    Ok(RequestSpec::put(
        format!("/images/{id}"),
        Value::Object(body),
    ))
}

#[derive(Deserialize)]
struct ImageEnvelope {
    image: Image,
}

/// Image operations; from [`Client::images`].
#[derive(Debug, Clone, Copy)]
pub struct Images<'a> {
    pub(crate) client: &'a Client,
}

impl Images<'_> {
    /// Gets an image by id.
    ///
    /// # Errors
    /// `not_found` when it does not exist.
    pub async fn get(&self, id: u64) -> Result<Image> {
        let envelope: ImageEnvelope = self
            .client
            .send_json(&RequestSpec::get(format!("/images/{id}")))
            .await?;
        Ok(envelope.image)
    }

    /// One page of images.
    ///
    /// # Errors
    /// An invalid filter (nothing sent) or the API's error.
    pub async fn list(&self, filter: impl Into<ListImages>) -> Result<Page<Image>> {
        let filter = &filter.into();
        fetch_page(self.client, &list_request(filter)?, "images").await
    }

    /// Every image matching `filter`, lazily.
    ///
    /// # Errors
    /// An invalid filter (nothing sent).
    pub fn stream(
        &self,
        filter: impl Into<ListImages>,
    ) -> Result<BoxStream<'static, Result<Image>>> {
        let filter = &filter.into();
        Ok(stream_all(self.client, list_request(filter)?, "images"))
    }

    /// Updates description or labels.
    ///
    /// # Errors
    /// Validation errors (nothing sent) or the API's error.
    pub async fn update(&self, id: u64, update: &UpdateImage) -> Result<Image> {
        let envelope: ImageEnvelope = self.client.send_json(&update_request(id, update)?).await?;
        Ok(envelope.image)
    }

    /// Turns delete protection of a snapshot or backup on or off.
    ///
    /// # Errors
    /// The API's error.
    pub async fn change_protection(
        &self,
        id: u64,
        delete: bool,
    ) -> Result<crate::models::action::Action> {
        let spec = RequestSpec::post(
            format!("/images/{id}/actions/change_protection"),
            json!({ "delete": delete }),
        );
        super::common::send_key(self.client, &spec, "action").await
    }

    /// The actions of images (`GET /images/actions`, `GET /images/{id}/actions`, ...).
    pub fn actions(&self) -> super::common::ResourceActions<'_> {
        super::common::ResourceActions {
            client: self.client,
            base: "/images",
        }
    }

    /// Deletes a snapshot or backup (system images cannot be deleted).
    ///
    /// # Errors
    /// The API's error.
    pub async fn delete(&self, id: u64) -> Result<()> {
        self.client
            .delete_idempotent(&RequestSpec::delete(format!("/images/{id}")))
            .await
    }
}
