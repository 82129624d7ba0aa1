//! Private networks: create, subnets, routes, range, protection (plus the shared calls of
//! [`Handle`]).

use serde_json::{Value, json};

use super::common::{Created, Handle, Resource, protection_body};
use crate::error::{Error, Result};
use crate::labels::Labels;
use crate::models::action::Action;
use crate::models::network::{Network, Route, Subnet};
use crate::request::RequestSpec;

/// Marker for `/networks`.
#[derive(Debug, Clone, Copy)]
pub struct Kind;

impl Resource for Kind {
    type Model = Network;
    const PATH: &'static str = "/networks";
    const ONE: &'static str = "network";
    const MANY: &'static str = "networks";
    fn name_of(model: &Network) -> Option<&str> {
        Some(&model.name)
    }
}

/// Network operations; from [`crate::Client::networks`].
pub type Networks<'a> = Handle<'a, Kind>;

/// A request to create a network.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateNetwork {
    /// Unique name.
    pub name: String,
    /// Range, e.g. `10.0.0.0/16` (RFC 1918).
    pub ip_range: String,
    /// Subnets.
    pub subnets: Vec<Subnet>,
    /// Routes.
    pub routes: Vec<Route>,
    /// Labels.
    pub labels: Labels,
}

impl CreateNetwork {
    /// A network named `name` over `ip_range`.
    pub fn new(name: impl Into<String>, ip_range: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ip_range: ip_range.into(),
            subnets: Vec::new(),
            routes: Vec::new(),
            labels: Labels::new(),
        }
    }

    /// Adds a subnet.
    #[must_use]
    pub fn subnet(mut self, subnet: Subnet) -> Self {
        self.subnets.push(subnet);
        self
    }
}

fn check_range(field: &str, range: &str) -> Result<()> {
    let ok = range.split_once('/').is_some_and(|(ip, bits)| {
        ip.parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_private())
            && bits.parse::<u8>().is_ok_and(|b| b <= 32)
    });
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            "must be a private IPv4 range like 10.0.0.0/16",
        ))
    }
}

/// Builds `POST /networks`.
///
/// # Errors
/// [`Error::Invalid`] naming the field; nothing is sent.
pub fn create_request(req: &CreateNetwork) -> Result<RequestSpec> {
    if req.name.trim().is_empty() {
        return Err(Error::invalid("name", "must not be empty"));
    }
    check_range("ip_range", &req.ip_range)?;
    for subnet in &req.subnets {
        if let Some(range) = &subnet.ip_range {
            check_range("subnets.ip_range", range)?;
        }
    }
    req.labels.validate()?;
    let mut body = json!({ "name": req.name, "ip_range": req.ip_range });
    if !req.subnets.is_empty() {
        body["subnets"] = json!(req.subnets);
    }
    if !req.routes.is_empty() {
        body["routes"] = json!(req.routes);
    }
    if !req.labels.is_empty() {
        body["labels"] = json!(req.labels);
    }
    Ok(RequestSpec::post("/networks", body))
}

impl Handle<'_, Kind> {
    /// Creates a network; an ambiguous failure is reconciled by its unique name.
    ///
    /// # Errors
    /// Validation errors (nothing sent) or the API's error.
    pub async fn create(&self, req: &CreateNetwork) -> Result<Created<Network>> {
        self.create_named(&create_request(req)?, &req.name).await
    }

    /// Adds a subnet (the API sets its gateway).
    ///
    /// # Errors
    /// Invalid range (nothing sent) or the API's error.
    pub async fn add_subnet(&self, id: u64, subnet: &Subnet) -> Result<Action> {
        if let Some(range) = &subnet.ip_range {
            check_range("ip_range", range)?;
        }
        let mut body = json!(subnet);
        if let Some(map) = body.as_object_mut() {
            map.remove("gateway");
        }
        self.action(id, "add_subnet", Some(body)).await
    }

    /// Deletes the subnet with `ip_range`.
    ///
    /// # Errors
    /// The API's error.
    pub async fn delete_subnet(&self, id: u64, ip_range: &str) -> Result<Action> {
        self.action(id, "delete_subnet", Some(json!({ "ip_range": ip_range })))
            .await
    }

    /// Adds a route.
    ///
    /// # Errors
    /// The API's error.
    pub async fn add_route(&self, id: u64, route: &Route) -> Result<Action> {
        self.action(id, "add_route", Some(json!(route))).await
    }

    /// Deletes a route.
    ///
    /// # Errors
    /// The API's error.
    pub async fn delete_route(&self, id: u64, route: &Route) -> Result<Action> {
        self.action(id, "delete_route", Some(json!(route))).await
    }

    /// Changes the network's range (it may only grow).
    ///
    /// # Errors
    /// Invalid range (nothing sent) or the API's error.
    pub async fn change_ip_range(&self, id: u64, ip_range: &str) -> Result<Action> {
        check_range("ip_range", ip_range)?;
        self.action(id, "change_ip_range", Some(json!({ "ip_range": ip_range })))
            .await
    }

    /// Turns delete protection on or off.
    ///
    /// # Errors
    /// The API's error.
    pub async fn change_protection(&self, id: u64, delete: bool) -> Result<Action> {
        let body: Value = protection_body(&[("delete", Some(delete))])?;
        self.action(id, "change_protection", Some(body)).await
    }
}
