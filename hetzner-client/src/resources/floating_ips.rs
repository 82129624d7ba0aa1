//! Floating IPs: create, assign, unassign, reverse DNS, protection (plus the shared calls of
//! [`Handle`]).

use serde_json::{Map, Value, json};

use super::common::{Created, Handle, Resource, dns_ptr_body, protection_body};
use crate::error::{Error, Result};
use crate::labels::Labels;
use crate::models::action::Action;
use crate::models::common::IpType;
use crate::models::floating_ip::FloatingIp;
use crate::request::RequestSpec;

/// Marker for `/floating_ips`.
#[derive(Debug, Clone, Copy)]
pub struct Kind;

impl Resource for Kind {
    type Model = FloatingIp;
    const PATH: &'static str = "/floating_ips";
    const ONE: &'static str = "floating_ip";
    const MANY: &'static str = "floating_ips";
    fn name_of(model: &FloatingIp) -> Option<&str> {
        Some(&model.name)
    }
}

/// Floating IP operations; from [`crate::Client::floating_ips`].
pub type FloatingIps<'a> = Handle<'a, Kind>;

/// A request to create a floating IP (in a home location, or assigned to a server).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateFloatingIp {
    /// Unique name.
    pub name: String,
    /// IPv4 or IPv6.
    pub kind: IpType,
    /// Home location name or id (required unless `server` is set).
    pub home_location: Option<String>,
    /// Server to assign it to.
    pub server: Option<u64>,
    /// Description.
    pub description: Option<String>,
    /// Labels.
    pub labels: Labels,
}

impl CreateFloatingIp {
    /// A floating IP named `name` of family `kind`.
    pub fn new(name: impl Into<String>, kind: IpType) -> Self {
        Self {
            name: name.into(),
            kind,
            home_location: None,
            server: None,
            description: None,
            labels: Labels::new(),
        }
    }

    /// Home location (name or id).
    #[must_use]
    pub fn home_location(mut self, location: impl Into<String>) -> Self {
        self.home_location = Some(location.into());
        self
    }

    /// Assigns it to a server.
    #[must_use]
    pub fn server(mut self, id: u64) -> Self {
        self.server = Some(id);
        self
    }
}

/// Builds `POST /floating_ips`.
///
/// # Errors
/// [`Error::Invalid`] naming the field; nothing is sent.
pub fn create_request(req: &CreateFloatingIp) -> Result<RequestSpec> {
    if req.name.trim().is_empty() {
        return Err(Error::invalid("name", "must not be empty"));
    }
    if req.home_location.is_none() && req.server.is_none() {
        return Err(Error::invalid(
            "home_location",
            "give a home_location or a server",
        ));
    }
    if let Some(d) = &req.description
        && d.chars().count() > 255
    {
        return Err(Error::invalid("description", "at most 255 characters"));
    }
    req.labels.validate()?;
    let mut body = Map::new();
    body.insert("name".into(), json!(req.name));
    body.insert("type".into(), json!(req.kind));
    if let Some(location) = &req.home_location {
        body.insert("home_location".into(), super::id_or_name(location));
    }
    if let Some(server) = req.server {
        body.insert("server".into(), json!(server));
    }
    if let Some(d) = &req.description {
        body.insert("description".into(), json!(d));
    }
    if !req.labels.is_empty() {
        body.insert("labels".into(), json!(req.labels));
    }
    Ok(RequestSpec::post("/floating_ips", Value::Object(body)))
}

impl Handle<'_, Kind> {
    /// Creates a floating IP; an ambiguous failure is reconciled by its unique name.
    ///
    /// # Errors
    /// Validation errors (nothing sent) or the API's error.
    pub async fn create(&self, req: &CreateFloatingIp) -> Result<Created<FloatingIp>> {
        self.create_named(&create_request(req)?, &req.name).await
    }

    /// Routes it to a server.
    ///
    /// # Errors
    /// The API's error.
    pub async fn assign(&self, id: u64, server: u64) -> Result<Action> {
        self.action(id, "assign", Some(json!({ "server": server })))
            .await
    }

    /// Unassigns it.
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
