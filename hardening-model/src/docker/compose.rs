//! A complete `docker-compose.yml`: services, networks and named volumes.

use std::collections::BTreeSet;

use ipnet::IpNet;
use serde_json::{Map, Value, json};

use super::names::{NetworkName, VolumeName};
use super::service::Service;
use crate::values::{AbsPath, check_chars, check_max_len, check_non_empty};
use crate::{Error, Problem, RenderedFile, Result};

/// A user-defined bridge network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    name: NetworkName,
    /// `internal: true`: no route out of the host (runbook 5.6).
    pub internal: bool,
    subnet: Option<IpNet>,
    bridge_name: Option<String>,
}

impl Network {
    /// A bridge network; `internal` cuts it off from the outside world.
    pub fn new(name: NetworkName, internal: bool) -> Self {
        Self {
            name,
            internal,
            subnet: None,
            bridge_name: None,
        }
    }

    /// Fixes the subnet (IPAM config).
    #[must_use]
    pub fn with_subnet(mut self, subnet: IpNet) -> Self {
        self.subnet = Some(subnet.trunc());
        self
    }

    /// Names the Linux bridge (`com.docker.network.bridge.name`), at most 15 characters of
    /// `[a-z0-9-]`, so host firewall rules can refer to it.
    pub fn with_bridge_name(mut self, bridge: &str) -> Result<Self> {
        let field = "network.bridge_name";
        check_non_empty(field, bridge)?;
        check_max_len(field, bridge, 15)?;
        check_chars(field, bridge, |c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
        })?;
        self.bridge_name = Some(bridge.to_owned());
        Ok(self)
    }

    /// The network's name.
    pub fn name(&self) -> &NetworkName {
        &self.name
    }

    fn render(&self) -> Value {
        let mut m = Map::new();
        m.insert("driver".into(), json!("bridge"));
        m.insert("internal".into(), json!(self.internal));
        if let Some(b) = &self.bridge_name {
            m.insert(
                "driver_opts".into(),
                json!({ "com.docker.network.bridge.name": b }),
            );
        }
        if let Some(s) = self.subnet {
            m.insert(
                "ipam".into(),
                json!({ "config": [ { "subnet": s.to_string() } ] }),
            );
        }
        Value::Object(m)
    }
}

/// A compose project: its services, networks and named volumes.
///
/// ```
/// use hardening_model::docker::{ComposeFile, ImageRef, Network, Service};
/// use hardening_model::docker::names::{NetworkName, ServiceName};
///
/// let image = ImageRef::parse(&format!("nginx@sha256:{}", "ab".repeat(32))).unwrap();
/// let backend = NetworkName::new("backend").unwrap();
/// let web = Service::new(ServiceName::new("web").unwrap(), image).with_network(backend.clone());
/// let file = ComposeFile::new()
///     .with_network(Network::new(backend, true))
///     .with_service(web)
///     .render_at("/opt/app/docker-compose.yml")
///     .unwrap();
/// assert!(file.content.contains("cap_drop"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComposeFile {
    services: Vec<Service>,
    networks: Vec<Network>,
    volumes: Vec<VolumeName>,
}

impl ComposeFile {
    /// An empty project.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a service.
    #[must_use]
    pub fn with_service(mut self, service: Service) -> Self {
        self.services.push(service);
        self
    }

    /// Adds a network.
    #[must_use]
    pub fn with_network(mut self, network: Network) -> Self {
        self.networks.push(network);
        self
    }

    /// Declares a named volume. Volumes used by services are declared automatically.
    #[must_use]
    pub fn with_volume(mut self, volume: VolumeName) -> Self {
        if !self.volumes.contains(&volume) {
            self.volumes.push(volume);
        }
        self
    }

    /// The services.
    pub fn services(&self) -> &[Service] {
        &self.services
    }

    /// Replaces the service named `name` with `change(service)`; the error names the field
    /// when no service has that name.
    pub fn map_service(
        mut self,
        name: &str,
        change: impl FnOnce(Service) -> Service,
    ) -> Result<Self> {
        let at = self
            .services
            .iter()
            .position(|s| s.name().as_str() == name)
            .ok_or_else(|| Error::invalid("services", format!("no service named {name}")))?;
        let service = self.services.remove(at);
        self.services.insert(at, change(service));
        Ok(self)
    }

    /// Looks a service up by name.
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name().as_str() == name)
    }

    /// Checks the project: unique names, every referenced network and dependency defined,
    /// and each service's own rules (host namespaces need `userns_mode: host`, ...).
    pub fn validate(&self) -> Result<()> {
        if self.services.is_empty() {
            return Err(Error::new("services", Problem::Empty));
        }
        let mut names = BTreeSet::new();
        for s in &self.services {
            if !names.insert(s.name().as_str()) {
                return Err(Error::invalid(
                    format!("services.{}", s.name()),
                    "duplicate service name",
                ));
            }
        }
        let mut nets = BTreeSet::new();
        for n in &self.networks {
            if !nets.insert(n.name.as_str()) {
                return Err(Error::invalid(
                    format!("networks.{}", n.name),
                    "duplicate network name",
                ));
            }
        }
        for s in &self.services {
            s.validate()?;
            for n in s.networks() {
                if !nets.contains(n.as_str()) {
                    return Err(Error::invalid(
                        format!("services.{}.networks", s.name()),
                        "refers to a network that is not defined",
                    ));
                }
            }
            for d in s.dependencies() {
                if !names.contains(d.as_str()) || d == s.name() {
                    return Err(Error::invalid(
                        format!("services.{}.depends_on", s.name()),
                        "refers to an unknown service or to itself",
                    ));
                }
            }
        }
        Ok(())
    }

    /// Renders the YAML document.
    pub fn render(&self) -> Result<String> {
        self.validate()?;
        let mut services = Map::new();
        for s in &self.services {
            services.insert(s.name().as_str().to_owned(), s.to_value());
        }
        let mut doc = Map::new();
        doc.insert("services".into(), Value::Object(services));
        if !self.networks.is_empty() {
            let nets: Map<String, Value> = self
                .networks
                .iter()
                .map(|n| (n.name.as_str().to_owned(), n.render()))
                .collect();
            doc.insert("networks".into(), Value::Object(nets));
        }
        let mut volumes: BTreeSet<&VolumeName> = self.volumes.iter().collect();
        volumes.extend(self.services.iter().flat_map(Service::named_volumes));
        if !volumes.is_empty() {
            let vols: Map<String, Value> = volumes
                .iter()
                .map(|v| (v.as_str().to_owned(), json!({})))
                .collect();
            doc.insert("volumes".into(), Value::Object(vols));
        }
        serde_saphyr::to_string(&Value::Object(doc))
            .map_err(|e| Error::invalid("compose", format!("YAML serialisation failed: {e}")))
    }

    /// Renders the YAML as a root-owned 0644 file at `path`.
    pub fn render_at(&self, path: &str) -> Result<RenderedFile> {
        let path =
            AbsPath::new(path).map_err(|e| Error::new("compose.path", e.problem().clone()))?;
        Ok(RenderedFile::root(path.as_str(), 0o644, self.render()?))
    }
}
