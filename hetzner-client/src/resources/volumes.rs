//! Volumes: create, attach, detach, resize, protection (plus the shared calls of [`Handle`]).

use serde_json::{Map, Value, json};

use super::common::{Created, Handle, Resource, protection_body};
use crate::error::{Error, Result};
use crate::labels::Labels;
use crate::models::action::Action;
use crate::models::volume::Volume;
use crate::request::RequestSpec;

/// Marker for `/volumes`.
#[derive(Debug, Clone, Copy)]
pub struct Kind;

impl Resource for Kind {
    type Model = Volume;
    const PATH: &'static str = "/volumes";
    const ONE: &'static str = "volume";
    const MANY: &'static str = "volumes";
    fn name_of(model: &Volume) -> Option<&str> {
        Some(&model.name)
    }
}

/// Volume operations; from [`crate::Client::volumes`].
pub type Volumes<'a> = Handle<'a, Kind>;

/// Smallest and largest volume sizes in GB.
pub const VOLUME_SIZE_GB: std::ops::RangeInclusive<u64> = 10..=10240;

/// A request to create a volume (in a location, or attached to a server).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateVolume {
    /// Unique name.
    pub name: String,
    /// Size in GB (10 to 10240).
    pub size: u64,
    /// Location name (required unless `server` is set).
    pub location: Option<String>,
    /// Server to attach it to.
    pub server: Option<u64>,
    /// Mount it automatically (with `server`).
    pub automount: Option<bool>,
    /// Filesystem to create (`ext4` or `xfs`).
    pub format: Option<String>,
    /// Labels.
    pub labels: Labels,
}

impl CreateVolume {
    /// A volume named `name` of `size` GB.
    pub fn new(name: impl Into<String>, size: u64) -> Self {
        Self {
            name: name.into(),
            size,
            location: None,
            server: None,
            automount: None,
            format: None,
            labels: Labels::new(),
        }
    }

    /// Location name.
    #[must_use]
    pub fn location(mut self, location: impl Into<String>) -> Self {
        self.location = Some(location.into());
        self
    }

    /// Attaches it to a server (and mounts it when `automount`).
    #[must_use]
    pub fn server(mut self, id: u64, automount: bool) -> Self {
        self.server = Some(id);
        self.automount = Some(automount);
        self
    }

    /// Formats it with `ext4` or `xfs`.
    #[must_use]
    pub fn format(mut self, format: impl Into<String>) -> Self {
        self.format = Some(format.into());
        self
    }
}

/// Builds `POST /volumes`.
///
/// # Errors
/// [`Error::Invalid`] naming the field; nothing is sent.
pub fn create_request(req: &CreateVolume) -> Result<RequestSpec> {
    if req.name.trim().is_empty() {
        return Err(Error::invalid("name", "must not be empty"));
    }
    if !VOLUME_SIZE_GB.contains(&req.size) {
        return Err(Error::invalid("size", "must be 10 to 10240 GB"));
    }
    if req.location.is_none() && req.server.is_none() {
        return Err(Error::invalid("location", "give a location or a server"));
    }
    if let Some(format) = &req.format
        && !matches!(format.as_str(), "ext4" | "xfs")
    {
        return Err(Error::invalid("format", "must be ext4 or xfs"));
    }
    req.labels.validate()?;
    let mut body = Map::new();
    body.insert("name".into(), json!(req.name));
    body.insert("size".into(), json!(req.size));
    for (key, value) in [
        ("location", req.location.as_ref().map(|l| json!(l))),
        ("server", req.server.map(|s| json!(s))),
        ("automount", req.automount.map(|a| json!(a))),
        ("format", req.format.as_ref().map(|f| json!(f))),
    ] {
        if let Some(value) = value {
            body.insert(key.into(), value);
        }
    }
    if !req.labels.is_empty() {
        body.insert("labels".into(), json!(req.labels));
    }
    Ok(RequestSpec::post("/volumes", Value::Object(body)))
}

impl Handle<'_, Kind> {
    /// Creates a volume; an ambiguous failure is reconciled by its unique name.
    ///
    /// # Errors
    /// Validation errors (nothing sent) or the API's error.
    pub async fn create(&self, req: &CreateVolume) -> Result<Created<Volume>> {
        self.create_named(&create_request(req)?, &req.name).await
    }

    /// Attaches it to a server in the same location.
    ///
    /// # Errors
    /// The API's error.
    pub async fn attach(&self, id: u64, server: u64, automount: bool) -> Result<Action> {
        let body = json!({ "server": server, "automount": automount });
        self.action(id, "attach", Some(body)).await
    }

    /// Detaches it.
    ///
    /// # Errors
    /// The API's error.
    pub async fn detach(&self, id: u64) -> Result<Action> {
        self.action(id, "detach", None).await
    }

    /// Grows it to `size` GB (volumes never shrink).
    ///
    /// # Errors
    /// [`Error::Invalid`] for a size out of range (nothing sent), or the API's error.
    pub async fn resize(&self, id: u64, size: u64) -> Result<Action> {
        if !VOLUME_SIZE_GB.contains(&size) {
            return Err(Error::invalid("size", "must be 10 to 10240 GB"));
        }
        self.action(id, "resize", Some(json!({ "size": size })))
            .await
    }

    /// Turns delete protection on or off.
    ///
    /// # Errors
    /// The API's error.
    pub async fn change_protection(&self, id: u64, delete: bool) -> Result<Action> {
        let body = protection_body(&[("delete", Some(delete))])?;
        self.action(id, "change_protection", Some(body)).await
    }
}
