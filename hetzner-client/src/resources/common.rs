//! The one pattern every newer resource follows: a marker type implementing [`Resource`]
//! (path, JSON keys, model), a [`Handle`] with the calls every resource shares (get, list,
//! stream, find by name, update, delete, actions), and per-resource `impl Handle<'_, Kind>`
//! blocks for the calls only that resource has.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> hetzner_client::Result<()> {
//! use hetzner_client::resources::placement_groups::CreatePlacementGroup;
//! use hetzner_client::simulator::Simulator;
//! use hetzner_client::{Client, ListParams};
//!
//! let sim = Simulator::new();
//! let client = Client::simulated(&sim)?;
//! let group = client.placement_groups().create(&CreatePlacementGroup::spread("web")).await?;
//! let same = client.placement_groups().get(group.value.id).await?;
//! assert_eq!(same.name, "web");
//! let page = client.placement_groups().list(&ListParams::default().name("web")).await?;
//! assert_eq!(page.items.len(), 1);
//! client.placement_groups().delete(group.value.id).await?;
//! # Ok(()) }
//! ```

use std::marker::PhantomData;

use futures::stream::BoxStream;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use super::ListParams;
use crate::client::{Client, decode_value};
use crate::decode::decode_key;
use crate::error::{Error, Result};
use crate::labels::Labels;
use crate::models::action::{Action, ActionStatus};
use crate::pagination::{Page, PageRequest, fetch_page, stream_all};
use crate::request::RequestSpec;

/// What a resource kind is on the wire.
pub trait Resource {
    /// The response model.
    type Model: DeserializeOwned + Send + 'static;
    /// Collection path, e.g. `/primary_ips`.
    const PATH: &'static str;
    /// JSON key of one entry, e.g. `primary_ip`.
    const ONE: &'static str;
    /// JSON key of a list, e.g. `primary_ips`.
    const MANY: &'static str;
    /// The model's unique name, when the kind has one (used to reconcile creates).
    fn name_of(model: &Self::Model) -> Option<&str>;
}

/// Operations on one resource kind; from `client.primary_ips()`, `client.volumes()`, ...
pub struct Handle<'a, R> {
    pub(crate) client: &'a Client,
    kind: PhantomData<fn() -> R>,
}

impl<R> Clone for Handle<'_, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<R> Copy for Handle<'_, R> {}

impl<R> std::fmt::Debug for Handle<'_, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle")
            .field("kind", &std::any::type_name::<R>())
            .finish_non_exhaustive()
    }
}

impl<'a, R: Resource> Handle<'a, R> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Self {
            client,
            kind: PhantomData,
        }
    }

    /// Gets one entry by id.
    ///
    /// # Errors
    /// `not_found` when it does not exist, or the API's error.
    pub async fn get(&self, id: u64) -> Result<R::Model> {
        send_key(
            self.client,
            &RequestSpec::get(format!("{}/{id}", R::PATH)),
            R::ONE,
        )
        .await
    }

    /// One page of entries.
    ///
    /// # Errors
    /// An invalid filter (nothing sent) or the API's error.
    pub async fn list(&self, params: &ListParams) -> Result<Page<R::Model>> {
        fetch_page(
            self.client,
            &params.apply(RequestSpec::get(R::PATH))?,
            R::MANY,
        )
        .await
    }

    /// Every entry matching `params`, fetched lazily 50 at a time.
    ///
    /// # Errors
    /// An invalid filter (nothing sent).
    pub fn stream(&self, params: &ListParams) -> Result<BoxStream<'static, Result<R::Model>>> {
        Ok(stream_all(
            self.client,
            params.apply(RequestSpec::get(R::PATH))?,
            R::MANY,
        ))
    }

    /// Finds an entry by its exact name.
    ///
    /// # Errors
    /// The API's error, or [`Error::Decode`] when an entry of the
    /// answer does not decode (it could be the one looked for).
    pub async fn get_by_name(&self, name: &str) -> Result<Option<R::Model>> {
        let page = self.list(&ListParams::default().name(name)).await?;
        Ok(page
            .complete()?
            .into_iter()
            .find(|m| R::name_of(m) == Some(name)))
    }

    /// Changes the name and/or labels (and, for some kinds, the fields in `update.extra`).
    ///
    /// # Errors
    /// Invalid labels (nothing sent) or the API's error.
    pub async fn update(&self, id: u64, update: &Update) -> Result<R::Model> {
        let spec = update.request(&format!("{}/{id}", R::PATH))?;
        send_key(self.client, &spec, R::ONE).await
    }

    /// Deletes an entry; a retried delete whose first attempt went through counts as done.
    ///
    /// # Errors
    /// The API's error (`protected` when delete protection is on, `not_found`, ...).
    pub async fn delete(&self, id: u64) -> Result<()> {
        self.client
            .delete_idempotent(&RequestSpec::delete(format!("{}/{id}", R::PATH)))
            .await
    }

    /// The actions of this kind (`GET {path}/actions`, per entry `GET {path}/{id}/actions`).
    pub fn actions(&self) -> ResourceActions<'a> {
        ResourceActions {
            client: self.client,
            base: R::PATH,
        }
    }

    /// Runs `POST {path}/{id}/actions/{name}` and returns its action.
    pub(crate) async fn action(&self, id: u64, name: &str, body: Option<Value>) -> Result<Action> {
        let path = format!("{}/{id}/actions/{name}", R::PATH);
        let spec = match body {
            Some(body) => RequestSpec::post(path, body),
            None => RequestSpec::new(http::Method::POST, path),
        };
        send_key(self.client, &spec, "action").await
    }

    /// Sends a create and, when its fate is unknown, finds the entry by its unique `name`
    /// instead of creating it twice.
    pub(crate) async fn create_named(
        &self,
        spec: &RequestSpec,
        name: &str,
    ) -> Result<Created<R::Model>> {
        let outcome = super::create_reconciled::<Map<String, Value>, R::Model, _, _>(
            self.client,
            spec,
            || self.get_by_name(name),
        )
        .await?;
        match outcome {
            super::CreateOutcome::Created(body) => Created::from_body(body, R::ONE),
            super::CreateOutcome::Existing(value) => Ok(Created {
                value,
                action: None,
                next_actions: Vec::new(),
                reconciled: true,
            }),
        }
    }
}

/// Read-only catalogs (ISOs, datacenters, load balancer types): get, list, stream, by name.
pub struct Catalog<'a, R> {
    pub(crate) client: &'a Client,
    kind: PhantomData<fn() -> R>,
}

impl<R> Clone for Catalog<'_, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<R> Copy for Catalog<'_, R> {}

impl<R> std::fmt::Debug for Catalog<'_, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("kind", &std::any::type_name::<R>())
            .finish_non_exhaustive()
    }
}

impl<'a, R: Resource> Catalog<'a, R> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Self {
            client,
            kind: PhantomData,
        }
    }

    fn handle(&self) -> Handle<'a, R> {
        Handle::new(self.client)
    }

    /// Gets one entry by id.
    ///
    /// # Errors
    /// `not_found`, or the API's error.
    pub async fn get(&self, id: u64) -> Result<R::Model> {
        self.handle().get(id).await
    }

    /// One page of entries (only `name` and paging apply to catalogs).
    ///
    /// # Errors
    /// The API's error.
    pub async fn list(&self, params: &ListParams) -> Result<Page<R::Model>> {
        self.handle().list(params).await
    }

    /// Every entry, lazily.
    ///
    /// # Errors
    /// An invalid filter (nothing sent).
    pub fn stream(&self, params: &ListParams) -> Result<BoxStream<'static, Result<R::Model>>> {
        self.handle().stream(params)
    }

    /// Finds an entry by its exact name.
    ///
    /// # Errors
    /// The API's error.
    pub async fn get_by_name(&self, name: &str) -> Result<Option<R::Model>> {
        self.handle().get_by_name(name).await
    }
}

/// A created entry with the actions that finish creating it.
#[derive(Debug, Clone)]
pub struct Created<T> {
    /// The entry.
    pub value: T,
    /// The create action, when the kind has one (`None` when reconciled by name).
    pub action: Option<Action>,
    /// Follow-up actions.
    pub next_actions: Vec<Action>,
    /// True when the POST's outcome was unknown and the entry was found by its name.
    pub reconciled: bool,
}

impl<T: DeserializeOwned> Created<T> {
    pub(crate) fn from_body(mut body: Map<String, Value>, key: &str) -> Result<Self> {
        let take = |body: &mut Map<String, Value>, k: &str| body.remove(k).unwrap_or(Value::Null);
        let value = decode_value(take(&mut body, key), key)?;
        let action = decode_value(take(&mut body, "action"), "action")?;
        let next = take(&mut body, "next_actions");
        let next_actions = if next.is_null() {
            Vec::new()
        } else {
            decode_value(next, "next_actions")?
        };
        Ok(Self {
            value,
            action,
            next_actions,
            reconciled: false,
        })
    }

    /// Every action to wait for.
    pub fn actions(&self) -> Vec<Action> {
        self.action
            .iter()
            .cloned()
            .chain(self.next_actions.iter().cloned())
            .collect()
    }
}

/// The body of a `PUT {path}/{id}`: name, labels, and kind-specific fields.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Update {
    /// New name.
    pub name: Option<String>,
    /// New labels (replace all).
    pub labels: Option<Labels>,
    /// Other fields the kind's update accepts (`auto_delete`, `description`, ...).
    pub extra: Map<String, Value>,
}

impl Update {
    /// Renames.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Replaces the labels.
    #[must_use]
    pub fn labels(mut self, labels: Labels) -> Self {
        self.labels = Some(labels);
        self
    }

    /// Sets a kind-specific field.
    #[must_use]
    pub fn field(mut self, key: &str, value: Value) -> Self {
        self.extra.insert(key.to_owned(), value);
        self
    }

    /// Builds `PUT {path}`.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming `name` or a label.
    pub fn request(&self, path: &str) -> Result<RequestSpec> {
        let mut body = self.extra.clone();
        if let Some(name) = &self.name {
            if name.trim().is_empty() {
                return Err(Error::invalid("name", "must not be empty"));
            }
            body.insert("name".into(), json!(name));
        }
        if let Some(labels) = &self.labels {
            labels.validate()?;
            body.insert("labels".into(), json!(labels));
        }
        Ok(RequestSpec::put(path, Value::Object(body)))
    }
}

/// Filters for listing actions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListActions {
    /// Only these action ids.
    pub ids: Vec<u64>,
    /// Only actions in these states.
    pub status: Vec<ActionStatus>,
    /// Sort keys (`id`, `command`, `status`, `started`, `finished`, with `:asc`/`:desc`).
    pub sort: Vec<String>,
    /// Paging (ignored by streams).
    pub page: PageRequest,
}

impl ListActions {
    fn apply(&self, mut spec: RequestSpec) -> RequestSpec {
        for id in &self.ids {
            spec = spec.with_query("id", id.to_string());
        }
        for status in &self.status {
            spec = spec.with_query("status", status.as_str());
        }
        for key in &self.sort {
            spec = spec.with_query("sort", key.clone());
        }
        self.page.apply(spec)
    }
}

/// The actions of one resource kind; from `.actions()` on a resource handle.
#[derive(Debug, Clone, Copy)]
pub struct ResourceActions<'a> {
    pub(crate) client: &'a Client,
    pub(crate) base: &'static str,
}

impl ResourceActions<'_> {
    /// One page of this kind's actions (`GET {path}/actions`).
    ///
    /// # Errors
    /// The API's error.
    pub async fn list(&self, filter: &ListActions) -> Result<Page<Action>> {
        let spec = filter.apply(RequestSpec::get(format!("{}/actions", self.base)));
        fetch_page(self.client, &spec, "actions").await
    }

    /// Every action of this kind, lazily.
    pub fn stream(&self, filter: &ListActions) -> BoxStream<'static, Result<Action>> {
        let spec = filter.apply(RequestSpec::get(format!("{}/actions", self.base)));
        stream_all(self.client, spec, "actions")
    }

    /// One action of this kind (`GET {path}/actions/{id}`).
    ///
    /// # Errors
    /// `not_found`, or the API's error.
    pub async fn get(&self, action_id: u64) -> Result<Action> {
        let spec = RequestSpec::get(format!("{}/actions/{action_id}", self.base));
        send_key(self.client, &spec, "action").await
    }

    /// One page of the actions of entry `id` (`GET {path}/{id}/actions`).
    ///
    /// # Errors
    /// The API's error.
    pub async fn list_for(&self, id: u64, filter: &ListActions) -> Result<Page<Action>> {
        let spec = filter.apply(RequestSpec::get(format!("{}/{id}/actions", self.base)));
        fetch_page(self.client, &spec, "actions").await
    }

    /// One action of entry `id` (`GET {path}/{id}/actions/{action_id}`).
    ///
    /// # Errors
    /// `not_found`, or the API's error.
    pub async fn get_for(&self, id: u64, action_id: u64) -> Result<Action> {
        let spec = RequestSpec::get(format!("{}/{id}/actions/{action_id}", self.base));
        send_key(self.client, &spec, "action").await
    }
}

/// Sends `spec` and decodes the value under `key` of the JSON response.
pub(crate) async fn send_key<T: DeserializeOwned>(
    client: &Client,
    spec: &RequestSpec,
    key: &str,
) -> Result<T> {
    let response = client.execute(spec).await?;
    decode_key(&response.body, key)
}

/// `{ "delete": .., "rebuild": .. }` bodies of `change_protection`, leaving out unset flags.
pub(crate) fn protection_body(flags: &[(&str, Option<bool>)]) -> Result<Value> {
    let body: Map<String, Value> = flags
        .iter()
        .filter_map(|(k, v)| v.map(|v| ((*k).to_owned(), json!(v))))
        .collect();
    if body.is_empty() {
        return Err(Error::invalid("protection", "set at least one flag"));
    }
    Ok(Value::Object(body))
}

/// Checks that `ip` is an IPv4 or IPv6 address, naming `field` when it is not.
pub(crate) fn check_ip(field: &str, ip: &str) -> Result<()> {
    ip.parse::<std::net::IpAddr>()
        .map(|_| ())
        .map_err(|_| Error::invalid(field, "must be an IP address"))
}

/// The body of `attach_to_network` (servers and load balancers): the network, an optional
/// fixed IP in it and alias IPs (servers only; pass `&[]` otherwise), every address checked.
pub(crate) fn attach_to_network_body(
    network: u64,
    ip: Option<&str>,
    alias_ips: &[&str],
) -> Result<Value> {
    let mut body = json!({ "network": network });
    if let Some(ip) = ip {
        check_ip("ip", ip)?;
        body["ip"] = json!(ip);
    }
    if !alias_ips.is_empty() {
        for alias in alias_ips {
            check_ip("alias_ips", alias)?;
        }
        body["alias_ips"] = json!(alias_ips);
    }
    Ok(body)
}

/// Checks a reverse DNS entry: a hostname, or `None` to reset it to the default.
pub(crate) fn dns_ptr_body(ip: &str, dns_ptr: Option<&str>) -> Result<Value> {
    if ip.parse::<std::net::IpAddr>().is_err() {
        return Err(Error::invalid("ip", "must be an IP address"));
    }
    if let Some(ptr) = dns_ptr {
        let ok = !ptr.is_empty()
            && ptr.len() <= 253
            && ptr.trim_end_matches('.').split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            });
        if !ok {
            return Err(Error::invalid("dns_ptr", "must be a hostname"));
        }
    }
    Ok(json!({ "ip": ip, "dns_ptr": dns_ptr }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_and_helper_bodies() {
        let spec = Update::default()
            .name("web")
            .field("auto_delete", json!(false))
            .request("/primary_ips/4")
            .unwrap();
        assert_eq!(spec.method, http::Method::PUT);
        assert_eq!(
            spec.body.unwrap(),
            json!({"name": "web", "auto_delete": false})
        );
        assert!(Update::default().name(" ").request("/x").is_err());
        assert_eq!(
            protection_body(&[("delete", Some(true)), ("rebuild", None)]).unwrap(),
            json!({"delete": true})
        );
        assert!(protection_body(&[("delete", None)]).is_err());
        assert!(dns_ptr_body("203.0.113.4", Some("web.example.com")).is_ok());
        assert!(dns_ptr_body("203.0.113.4", None).is_ok());
        let err = dns_ptr_body("203.0.113.4", Some("bad host\nx")).unwrap_err();
        assert!(err.to_string().contains("dns_ptr"));
        assert!(dns_ptr_body("nope", None).is_err());
        let listed = ListActions {
            ids: vec![1],
            status: vec![ActionStatus::Running],
            ..ListActions::default()
        }
        .apply(RequestSpec::get("/volumes/actions"));
        assert_eq!(
            listed.path_and_query(),
            "/volumes/actions?id=1&status=running"
        );
    }
}
