//! Resource handles (`client.servers()`, ...) and the pure request builders behind them.

pub mod actions;
pub mod certificates;
pub mod common;
pub mod datacenters;
pub mod firewalls;
pub mod floating_ips;
pub mod images;
pub mod isos;
pub mod load_balancer_types;
pub mod load_balancers;
pub mod locations;
pub mod networks;
pub mod placement_groups;
pub mod pricing;
pub mod primary_ips;
pub mod server_actions;
pub mod server_types;
pub mod servers;
pub mod ssh_keys;
pub mod volumes;
pub mod zones;

use crate::client::Client;
use crate::error::Result;
use crate::labels::LabelSelector;
use crate::pagination::PageRequest;
use crate::request::RequestSpec;

/// Lets a resource's own list filter (a struct with a `params: ListParams` field and defaults
/// for the rest) be given as a plain [`ListParams`], owned or borrowed, like every other list
/// call (`list(&Default::default())` included), or as itself by value.
macro_rules! list_filter {
    ($filter:ty) => {
        impl From<$crate::resources::ListParams> for $filter {
            fn from(params: $crate::resources::ListParams) -> Self {
                Self {
                    params,
                    ..Self::default()
                }
            }
        }

        impl From<&$crate::resources::ListParams> for $filter {
            fn from(params: &$crate::resources::ListParams) -> Self {
                Self::from(params.clone())
            }
        }
    };
}
pub(crate) use list_filter;

/// Filters shared by most list calls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListParams {
    /// Exact name.
    pub name: Option<String>,
    /// Label selector.
    pub label_selector: Option<LabelSelector>,
    /// Sort keys (`id`, `name`, `created`, optionally with `:asc` / `:desc`).
    pub sort: Vec<String>,
    /// Paging (ignored by streams, which walk every page).
    pub page: PageRequest,
}

impl ListParams {
    /// Filters by label selector.
    #[must_use]
    pub fn selector(mut self, selector: LabelSelector) -> Self {
        self.label_selector = Some(selector);
        self
    }

    /// Filters by exact name.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Adds a sort key.
    #[must_use]
    pub fn sort(mut self, key: impl Into<String>) -> Self {
        self.sort.push(key.into());
        self
    }

    /// Applies the filters to a GET request.
    ///
    /// # Errors
    /// An invalid label selector or sort key.
    pub fn apply(&self, mut spec: RequestSpec) -> Result<RequestSpec> {
        if let Some(name) = &self.name {
            spec = spec.with_query("name", name.clone());
        }
        if let Some(selector) = &self.label_selector {
            spec = spec.with_query("label_selector", selector.to_query()?);
        }
        for key in &self.sort {
            let (field, order) = key.split_once(':').unwrap_or((key.as_str(), "asc"));
            let field_ok =
                !field.is_empty() && field.chars().all(|c| c.is_ascii_lowercase() || c == '_');
            if !field_ok || !matches!(order, "asc" | "desc") {
                return Err(crate::Error::invalid(
                    "sort",
                    "must be field, field:asc or field:desc",
                ));
            }
            spec = spec.with_query("sort", key.clone());
        }
        Ok(self.page.apply(spec))
    }
}

/// The handle constructors on [`Client`].
impl Client {
    /// Servers and their actions.
    pub fn servers(&self) -> servers::Servers<'_> {
        servers::Servers { client: self }
    }

    /// Firewalls.
    pub fn firewalls(&self) -> firewalls::Firewalls<'_> {
        firewalls::Firewalls { client: self }
    }

    /// SSH keys.
    pub fn ssh_keys(&self) -> ssh_keys::SshKeys<'_> {
        ssh_keys::SshKeys { client: self }
    }

    /// Images and snapshots.
    pub fn images(&self) -> images::Images<'_> {
        images::Images { client: self }
    }

    /// Actions (get, wait).
    pub fn actions(&self) -> actions::Actions<'_> {
        actions::Actions { client: self }
    }

    /// Server types (read only).
    pub fn server_types(&self) -> server_types::ServerTypes<'_> {
        server_types::ServerTypes { client: self }
    }

    /// Locations (read only).
    pub fn locations(&self) -> locations::Locations<'_> {
        locations::Locations { client: self }
    }

    /// Primary IPs.
    pub fn primary_ips(&self) -> primary_ips::PrimaryIps<'_> {
        common::Handle::new(self)
    }

    /// Placement groups.
    pub fn placement_groups(&self) -> placement_groups::PlacementGroups<'_> {
        common::Handle::new(self)
    }

    /// Floating IPs.
    pub fn floating_ips(&self) -> floating_ips::FloatingIps<'_> {
        common::Handle::new(self)
    }

    /// Volumes.
    pub fn volumes(&self) -> volumes::Volumes<'_> {
        common::Handle::new(self)
    }

    /// Private networks.
    pub fn networks(&self) -> networks::Networks<'_> {
        common::Handle::new(self)
    }

    /// Load balancers.
    pub fn load_balancers(&self) -> load_balancers::LoadBalancers<'_> {
        common::Handle::new(self)
    }

    /// Certificates.
    pub fn certificates(&self) -> certificates::Certificates<'_> {
        common::Handle::new(self)
    }

    /// DNS zones and their RRSets.
    pub fn zones(&self) -> zones::Zones<'_> {
        zones::Zones { client: self }
    }

    /// ISO images (read only).
    pub fn isos(&self) -> isos::Isos<'_> {
        common::Catalog::new(self)
    }

    /// Datacenters (read only).
    pub fn datacenters(&self) -> datacenters::Datacenters<'_> {
        common::Catalog::new(self)
    }

    /// Load balancer types (read only).
    pub fn load_balancer_types(&self) -> load_balancer_types::LoadBalancerTypes<'_> {
        common::Catalog::new(self)
    }
}

/// A reference the API takes as a name or an id: digits are sent as a JSON number.
pub(crate) fn id_or_name(reference: &str) -> serde_json::Value {
    match reference.parse::<u64>() {
        Ok(id) => serde_json::json!(id),
        Err(_) => serde_json::json!(reference),
    }
}

/// Outcome of a create that may have been reconciled after an ambiguous failure.
pub(crate) enum CreateOutcome<R, X> {
    /// The POST succeeded.
    Created(R),
    /// The POST's fate was unknown; a resource with the unique name exists.
    Existing(X),
}

/// Sends a create, and if its fate is unknown (timeout, lost connection, 5xx) looks it up by
/// its unique name instead of replaying it; re-sends only when the lookup proves it absent.
pub(crate) async fn create_reconciled<R, X, F, Fut>(
    client: &Client,
    spec: &RequestSpec,
    lookup: F,
) -> Result<CreateOutcome<R, X>>
where
    R: serde::de::DeserializeOwned,
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<Option<X>>>,
{
    let policy = client.retry_policy();
    let mut attempt = 1;
    let mut uncertain = false;
    loop {
        match client.send_json::<R>(spec).await {
            Ok(created) => return Ok(CreateOutcome::Created(created)),
            Err(err)
                if err.may_have_been_applied()
                    || (uncertain && err.is_uniqueness_error_on("name")) =>
            {
                uncertain = true;
                tracing::warn!(path = %spec.path, "create outcome unknown; reconciling by name");
                if let Some(existing) = lookup().await? {
                    return Ok(CreateOutcome::Existing(existing));
                }
                if attempt >= policy.attempts() {
                    return Err(err);
                }
                tokio::time::sleep(policy.backoff(attempt, rand::random::<f64>())).await;
                attempt += 1;
            }
            Err(err) => return Err(err),
        }
    }
}
