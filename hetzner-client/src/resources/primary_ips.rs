//! Primary IPs: create, assign, unassign, reverse DNS, protection (plus the shared calls of
//! [`Handle`]). A primary IP created with `auto_delete: false` survives its server, so a
//! reprovisioned host keeps its address (see `helpers::reprovision`).

use serde_json::{Map, Value, json};

use super::common::{Created, Handle, Resource, dns_ptr_body, protection_body};
use crate::error::{Error, Result};
use crate::labels::Labels;
use crate::models::action::Action;
use crate::models::common::IpType;
use crate::models::primary_ip::PrimaryIp;
use crate::request::RequestSpec;

/// Marker for `/primary_ips`.
#[derive(Debug, Clone, Copy)]
pub struct Kind;

impl Resource for Kind {
    type Model = PrimaryIp;
    const PATH: &'static str = "/primary_ips";
    const ONE: &'static str = "primary_ip";
    const MANY: &'static str = "primary_ips";
    fn name_of(model: &PrimaryIp) -> Option<&str> {
        Some(&model.name)
    }
}

/// Primary IP operations; from [`crate::Client::primary_ips`].
pub type PrimaryIps<'a> = Handle<'a, Kind>;

/// A request to create a primary IP: either in a location, or assigned to a server.
///
/// ```
/// use hetzner_client::models::common::IpType;
/// use hetzner_client::resources::primary_ips::{create_request, CreatePrimaryIp};
/// let spec = create_request(&CreatePrimaryIp::new("web-v4", IpType::Ipv4).location("fsn1")).unwrap();
/// assert_eq!(spec.body.unwrap()["assignee_type"], "server");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CreatePrimaryIp {
    /// Unique name.
    pub name: String,
    /// IPv4 or IPv6.
    pub kind: IpType,
    /// Location name or id (required unless `assignee_id` is set).
    pub location: Option<String>,
    /// Server to assign it to right away.
    pub assignee_id: Option<u64>,
    /// Delete it together with its server (default false: it outlives the server).
    pub auto_delete: bool,
    /// Labels.
    pub labels: Labels,
}

impl CreatePrimaryIp {
    /// A primary IP named `name` of family `kind`.
    pub fn new(name: impl Into<String>, kind: IpType) -> Self {
        Self {
            name: name.into(),
            kind,
            location: None,
            assignee_id: None,
            auto_delete: false,
            labels: Labels::new(),
        }
    }

    /// Creates it in this location (name or id).
    #[must_use]
    pub fn location(mut self, location: impl Into<String>) -> Self {
        self.location = Some(location.into());
        self
    }

    /// Assigns it to this server.
    #[must_use]
    pub fn assignee(mut self, server_id: u64) -> Self {
        self.assignee_id = Some(server_id);
        self
    }

    /// Whether it is deleted with its server.
    #[must_use]
    pub fn auto_delete(mut self, auto_delete: bool) -> Self {
        self.auto_delete = auto_delete;
        self
    }

    /// Labels.
    #[must_use]
    pub fn labels(mut self, labels: Labels) -> Self {
        self.labels = labels;
        self
    }
}

/// Builds `POST /primary_ips`.
///
/// # Errors
/// [`Error::Invalid`] naming the field; nothing is sent.
pub fn create_request(req: &CreatePrimaryIp) -> Result<RequestSpec> {
    if req.name.trim().is_empty() {
        return Err(Error::invalid("name", "must not be empty"));
    }
    if req.location.is_none() && req.assignee_id.is_none() {
        return Err(Error::invalid(
            "location",
            "give a location or an assignee_id",
        ));
    }
    req.labels.validate()?;
    let mut body = Map::new();
    body.insert("name".into(), json!(req.name));
    body.insert("type".into(), json!(req.kind));
    body.insert("assignee_type".into(), json!("server"));
    if let Some(location) = &req.location {
        body.insert("location".into(), super::id_or_name(location));
    }
    if let Some(id) = req.assignee_id {
        body.insert("assignee_id".into(), json!(id));
    }
    body.insert("auto_delete".into(), json!(req.auto_delete));
    if !req.labels.is_empty() {
        body.insert("labels".into(), json!(req.labels));
    }
    Ok(RequestSpec::post("/primary_ips", Value::Object(body)))
}

impl Handle<'_, Kind> {
    /// Creates a primary IP; an ambiguous failure is reconciled by its unique name.
    ///
    /// # Errors
    /// Validation errors (nothing sent) or the API's error.
    pub async fn create(&self, req: &CreatePrimaryIp) -> Result<Created<PrimaryIp>> {
        self.create_named(&create_request(req)?, &req.name).await
    }

    /// Assigns it to a (powered off) server.
    ///
    /// # Errors
    /// The API's error.
    pub async fn assign(&self, id: u64, server_id: u64) -> Result<Action> {
        let body = json!({ "assignee_type": "server", "assignee_id": server_id });
        self.action(id, "assign", Some(body)).await
    }

    /// Unassigns it from its (powered off) server.
    ///
    /// # Errors
    /// The API's error.
    pub async fn unassign(&self, id: u64) -> Result<Action> {
        self.action(id, "unassign", None).await
    }

    /// Sets (or with `None` resets) the reverse DNS entry of `ip`.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a malformed IP or hostname (nothing sent), or the API's error.
    pub async fn change_dns_ptr(&self, id: u64, ip: &str, dns_ptr: Option<&str>) -> Result<Action> {
        self.action(id, "change_dns_ptr", Some(dns_ptr_body(ip, dns_ptr)?))
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
