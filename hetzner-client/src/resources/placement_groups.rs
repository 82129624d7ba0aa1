//! Placement groups: create (plus the shared calls of [`Handle`]). Servers join with
//! `servers().add_to_placement_group` or at creation.

use serde_json::json;

use super::common::{Created, Handle, Resource};
use crate::error::{Error, Result};
use crate::labels::Labels;
use crate::models::placement_group::{PlacementGroup, PlacementGroupType};
use crate::request::RequestSpec;

/// Marker for `/placement_groups`.
#[derive(Debug, Clone, Copy)]
pub struct Kind;

impl Resource for Kind {
    type Model = PlacementGroup;
    const PATH: &'static str = "/placement_groups";
    const ONE: &'static str = "placement_group";
    const MANY: &'static str = "placement_groups";
    fn name_of(model: &PlacementGroup) -> Option<&str> {
        Some(&model.name)
    }
}

/// Placement group operations; from [`crate::Client::placement_groups`].
pub type PlacementGroups<'a> = Handle<'a, Kind>;

/// A request to create a placement group.
#[derive(Debug, Clone, PartialEq)]
pub struct CreatePlacementGroup {
    /// Unique name.
    pub name: String,
    /// Strategy.
    pub kind: PlacementGroupType,
    /// Labels.
    pub labels: Labels,
}

impl CreatePlacementGroup {
    /// A `spread` group: every member on a different physical host.
    pub fn spread(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            kind: PlacementGroupType::Spread,
            labels: Labels::new(),
        }
    }

    /// Labels.
    #[must_use]
    pub fn labels(mut self, labels: Labels) -> Self {
        self.labels = labels;
        self
    }
}

/// Builds `POST /placement_groups`.
///
/// # Errors
/// [`Error::Invalid`] naming `name` or a label.
pub fn create_request(req: &CreatePlacementGroup) -> Result<RequestSpec> {
    if req.name.trim().is_empty() {
        return Err(Error::invalid("name", "must not be empty"));
    }
    req.labels.validate()?;
    let mut body = json!({ "name": req.name, "type": req.kind });
    if !req.labels.is_empty() {
        body["labels"] = json!(req.labels);
    }
    Ok(RequestSpec::post("/placement_groups", body))
}

impl Handle<'_, Kind> {
    /// Creates a placement group; an ambiguous failure is reconciled by its unique name.
    ///
    /// # Errors
    /// Validation errors (nothing sent) or the API's error.
    pub async fn create(&self, req: &CreatePlacementGroup) -> Result<Created<PlacementGroup>> {
        self.create_named(&create_request(req)?, &req.name).await
    }
}
