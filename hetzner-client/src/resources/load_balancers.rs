//! Load balancers: create, services, targets, networks, algorithm, type, public interface,
//! reverse DNS, protection, metrics (plus the shared calls of [`Handle`]).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::common::{
    Created, Handle, Resource, attach_to_network_body, dns_ptr_body, protection_body, send_key,
};
use super::server_actions::metrics_request;
use crate::error::{Error, Result};
use crate::labels::{LabelSelector, Labels};
use crate::models::Timestamp;
use crate::models::action::Action;
use crate::models::load_balancer::{Algorithm, LoadBalancer};
use crate::models::metrics::Metrics;
use crate::request::RequestSpec;

/// Marker for `/load_balancers`.
#[derive(Debug, Clone, Copy)]
pub struct Kind;

impl Resource for Kind {
    type Model = LoadBalancer;
    const PATH: &'static str = "/load_balancers";
    const ONE: &'static str = "load_balancer";
    const MANY: &'static str = "load_balancers";
    fn name_of(model: &LoadBalancer) -> Option<&str> {
        Some(&model.name)
    }
}

/// Load balancer operations; from [`crate::Client::load_balancers`].
pub type LoadBalancers<'a> = Handle<'a, Kind>;

/// A service: what the load balancer listens on and where it forwards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Service {
    /// `tcp`, `http` or `https`.
    pub protocol: String,
    /// Port it listens on.
    pub listen_port: u16,
    /// Port of the targets.
    pub destination_port: u16,
    /// Sends the PROXY protocol header.
    #[serde(default)]
    pub proxyprotocol: bool,
    /// Health check.
    pub health_check: HealthCheck,
    /// HTTP settings (JSON: `certificates`, `redirect_http`, `sticky_sessions`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<Value>,
}

/// How a service checks its targets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthCheck {
    /// `tcp` or `http`.
    pub protocol: String,
    /// Port to check.
    pub port: u16,
    /// Seconds between checks (3 to 60).
    pub interval: u32,
    /// Seconds to wait (1 to 60).
    pub timeout: u32,
    /// Failures before a target is unhealthy (1 to 5).
    pub retries: u32,
    /// HTTP settings of `http` checks (JSON: `domain`, `path`, `status_codes`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<Value>,
}

impl Service {
    /// A TCP service, health-checked over TCP on the destination port every 15 s.
    pub fn tcp(listen_port: u16, destination_port: u16) -> Self {
        Self {
            protocol: "tcp".into(),
            listen_port,
            destination_port,
            proxyprotocol: false,
            health_check: HealthCheck {
                protocol: "tcp".into(),
                port: destination_port,
                interval: 15,
                timeout: 10,
                retries: 3,
                http: None,
            },
            http: None,
        }
    }
}

/// A target of a load balancer.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// One server.
    Server {
        /// Server id.
        id: u64,
        /// Reach it over its private network.
        use_private_ip: bool,
    },
    /// Every server matching a selector.
    LabelSelector {
        /// The selector.
        selector: LabelSelector,
        /// Reach them over their private network.
        use_private_ip: bool,
    },
    /// A public IP outside Hetzner Cloud.
    Ip(std::net::IpAddr),
}

impl Target {
    /// The target as the API takes it.
    ///
    /// # Errors
    /// An invalid label selector.
    pub fn to_json(&self, with_private_ip: bool) -> Result<Value> {
        let mut value = match self {
            Self::Server { id, use_private_ip } => {
                json!({ "type": "server", "server": { "id": id }, "use_private_ip": use_private_ip })
            }
            Self::LabelSelector {
                selector,
                use_private_ip,
            } => json!({
                "type": "label_selector",
                "label_selector": { "selector": selector.to_query()? },
                "use_private_ip": use_private_ip,
            }),
            Self::Ip(ip) => json!({ "type": "ip", "ip": { "ip": ip.to_string() } }),
        };
        if !with_private_ip && let Some(map) = value.as_object_mut() {
            map.remove("use_private_ip");
        }
        Ok(value)
    }
}

/// A request to create a load balancer.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateLoadBalancer {
    /// Unique name.
    pub name: String,
    /// Type name or id, e.g. `lb11`.
    pub load_balancer_type: String,
    /// Location name (or give `network_zone`).
    pub location: Option<String>,
    /// Network zone, e.g. `eu-central`.
    pub network_zone: Option<String>,
    /// Algorithm (API default: round robin).
    pub algorithm: Option<Algorithm>,
    /// Services.
    pub services: Vec<Service>,
    /// Targets.
    pub targets: Vec<Target>,
    /// Network to attach.
    pub network: Option<u64>,
    /// Public interface on (API default: true).
    pub public_interface: Option<bool>,
    /// Labels.
    pub labels: Labels,
}

impl CreateLoadBalancer {
    /// A load balancer named `name` of `load_balancer_type` in `location`.
    pub fn new(
        name: impl Into<String>,
        load_balancer_type: impl Into<String>,
        location: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            load_balancer_type: load_balancer_type.into(),
            location: Some(location.into()),
            network_zone: None,
            algorithm: None,
            services: Vec::new(),
            targets: Vec::new(),
            network: None,
            public_interface: None,
            labels: Labels::new(),
        }
    }
}

/// Builds `POST /load_balancers`.
///
/// # Errors
/// [`Error::Invalid`] naming the field; nothing is sent.
pub fn create_request(req: &CreateLoadBalancer) -> Result<RequestSpec> {
    if req.name.trim().is_empty() {
        return Err(Error::invalid("name", "must not be empty"));
    }
    if req.load_balancer_type.trim().is_empty() {
        return Err(Error::invalid("load_balancer_type", "must not be empty"));
    }
    req.labels.validate()?;
    let mut body = Map::new();
    body.insert("name".into(), json!(req.name));
    body.insert("load_balancer_type".into(), json!(req.load_balancer_type));
    if let Some(location) = &req.location {
        body.insert("location".into(), json!(location));
    }
    if let Some(zone) = &req.network_zone {
        body.insert("network_zone".into(), json!(zone));
    }
    if let Some(algorithm) = &req.algorithm {
        body.insert("algorithm".into(), json!({ "type": algorithm }));
    }
    if !req.services.is_empty() {
        body.insert("services".into(), json!(req.services));
    }
    if !req.targets.is_empty() {
        let targets = req
            .targets
            .iter()
            .map(|t| t.to_json(true))
            .collect::<Result<Vec<_>>>()?;
        body.insert("targets".into(), Value::Array(targets));
    }
    if let Some(network) = req.network {
        body.insert("network".into(), json!(network));
    }
    if let Some(public) = req.public_interface {
        body.insert("public_interface".into(), json!(public));
    }
    if !req.labels.is_empty() {
        body.insert("labels".into(), json!(req.labels));
    }
    Ok(RequestSpec::post("/load_balancers", Value::Object(body)))
}

impl Handle<'_, Kind> {
    /// Creates a load balancer; an ambiguous failure is reconciled by its unique name.
    ///
    /// # Errors
    /// Validation errors (nothing sent) or the API's error.
    pub async fn create(&self, req: &CreateLoadBalancer) -> Result<Created<LoadBalancer>> {
        self.create_named(&create_request(req)?, &req.name).await
    }

    /// Adds a service.
    ///
    /// # Errors
    /// The API's error.
    pub async fn add_service(&self, id: u64, service: &Service) -> Result<Action> {
        self.action(id, "add_service", Some(json!(service))).await
    }

    /// Replaces the service listening on `service.listen_port`.
    ///
    /// # Errors
    /// The API's error.
    pub async fn update_service(&self, id: u64, service: &Service) -> Result<Action> {
        self.action(id, "update_service", Some(json!(service)))
            .await
    }

    /// Deletes the service listening on `listen_port`.
    ///
    /// # Errors
    /// The API's error.
    pub async fn delete_service(&self, id: u64, listen_port: u16) -> Result<Action> {
        let body = json!({ "listen_port": listen_port });
        self.action(id, "delete_service", Some(body)).await
    }

    /// Adds a target.
    ///
    /// # Errors
    /// An invalid selector (nothing sent) or the API's error.
    pub async fn add_target(&self, id: u64, target: &Target) -> Result<Action> {
        self.action(id, "add_target", Some(target.to_json(true)?))
            .await
    }

    /// Removes a target.
    ///
    /// # Errors
    /// An invalid selector (nothing sent) or the API's error.
    pub async fn remove_target(&self, id: u64, target: &Target) -> Result<Action> {
        self.action(id, "remove_target", Some(target.to_json(false)?))
            .await
    }

    /// Attaches it to a private network.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a malformed IP (nothing sent), or the API's error.
    pub async fn attach_to_network(
        &self,
        id: u64,
        network: u64,
        ip: Option<&str>,
    ) -> Result<Action> {
        let body = attach_to_network_body(network, ip, &[])?;
        self.action(id, "attach_to_network", Some(body)).await
    }

    /// Detaches it from a private network.
    ///
    /// # Errors
    /// The API's error.
    pub async fn detach_from_network(&self, id: u64, network: u64) -> Result<Action> {
        self.action(
            id,
            "detach_from_network",
            Some(json!({ "network": network })),
        )
        .await
    }

    /// Changes the algorithm.
    ///
    /// # Errors
    /// The API's error.
    pub async fn change_algorithm(&self, id: u64, algorithm: &Algorithm) -> Result<Action> {
        self.action(id, "change_algorithm", Some(json!({ "type": algorithm })))
            .await
    }

    /// Changes the type (name or id).
    ///
    /// # Errors
    /// The API's error.
    pub async fn change_type(&self, id: u64, load_balancer_type: &str) -> Result<Action> {
        let body = json!({ "load_balancer_type": load_balancer_type });
        self.action(id, "change_type", Some(body)).await
    }

    /// Sets (or with `None` resets) the reverse DNS entry of one of its public addresses.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a malformed IP or hostname (nothing sent), or the API's error.
    pub async fn change_dns_ptr(&self, id: u64, ip: &str, dns_ptr: Option<&str>) -> Result<Action> {
        self.action(id, "change_dns_ptr", Some(dns_ptr_body(ip, dns_ptr)?))
            .await
    }

    /// Turns the public interface on or off.
    ///
    /// # Errors
    /// The API's error.
    pub async fn set_public_interface(&self, id: u64, enabled: bool) -> Result<Action> {
        let name = if enabled {
            "enable_public_interface"
        } else {
            "disable_public_interface"
        };
        self.action(id, name, None).await
    }

    /// Turns delete protection on or off.
    ///
    /// # Errors
    /// The API's error.
    pub async fn change_protection(&self, id: u64, delete: bool) -> Result<Action> {
        let body = protection_body(&[("delete", Some(delete))])?;
        self.action(id, "change_protection", Some(body)).await
    }

    /// Metrics of `kinds` (`open_connections`, `connections_per_second`,
    /// `requests_per_second`, `bandwidth`) between `start` and `end`.
    ///
    /// # Errors
    /// Invalid arguments (nothing sent) or the API's error.
    pub async fn metrics(
        &self,
        id: u64,
        kinds: &[&str],
        start: Timestamp,
        end: Timestamp,
        step: Option<u32>,
    ) -> Result<Metrics> {
        let path = format!("/load_balancers/{id}/metrics");
        let spec = metrics_request(&path, kinds, start, end, step)?;
        send_key(self.client, &spec, "metrics").await
    }
}
