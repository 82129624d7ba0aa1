//! Servers: create, get, list, delete, and the power/image/rebuild actions.

use std::fmt;

use futures::stream::BoxStream;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{CreateOutcome, ListParams, create_reconciled};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::labels::Labels;
use crate::models::action::Action;
use crate::models::image::Image;
use crate::models::server::{Server, ServerStatus};
use crate::names::validate_hostname;
use crate::pagination::{Page, fetch_page, stream_all};
use crate::request::RequestSpec;

/// Hetzner refuses `user_data` above 32 KiB.
pub const MAX_USER_DATA_BYTES: usize = 32 * 1024;

/// A request to create a server. Required values go in [`CreateServer::new`].
///
/// ```
/// use hetzner_client::resources::servers::{create_request, CreateServer};
/// let req = CreateServer::new("rc-fsn1-a3f2c1", "cx22", "ubuntu-24.04")
///     .location("fsn1")
///     .ssh_key("admin-alice-202602")
///     .firewall(38)
///     .user_data("#cloud-config\n");
/// let spec = create_request(&req).unwrap();
/// assert_eq!(spec.path, "/servers");
/// assert_eq!(spec.body.unwrap()["firewalls"][0]["firewall"], 38);
/// assert!(!format!("{req:?}").contains("cloud-config"));
/// ```
#[derive(Clone, PartialEq)]
pub struct CreateServer {
    /// Unique RFC 1123 name.
    pub name: String,
    /// Server type id or name.
    pub server_type: String,
    /// Image id or name.
    pub image: String,
    /// Location name.
    pub location: Option<String>,
    /// SSH key ids or names.
    pub ssh_keys: Vec<String>,
    /// Firewall ids to apply at creation.
    pub firewalls: Vec<u64>,
    /// Private network ids.
    pub networks: Vec<u64>,
    /// cloud-init user data (at most 32 KiB). Redacted in Debug: it may hold secrets.
    pub user_data: Option<String>,
    /// Labels.
    pub labels: Labels,
    /// Start the server after creating it (API default: true).
    pub start_after_create: Option<bool>,
    /// Public IPv4 / IPv6 switches (API default: both on).
    pub public_net: Option<(bool, bool)>,
    /// Existing primary IPv4 to use (kept across reprovisioning) instead of a new one.
    pub primary_ipv4: Option<u64>,
    /// Existing primary IPv6 to use instead of a new one.
    pub primary_ipv6: Option<u64>,
    /// Placement group to join.
    pub placement_group: Option<u64>,
    /// Volume ids to attach.
    pub volumes: Vec<u64>,
}

impl fmt::Debug for CreateServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateServer")
            .field("name", &self.name)
            .field("server_type", &self.server_type)
            .field("image", &self.image)
            .field("location", &self.location)
            .field("ssh_keys", &self.ssh_keys)
            .field("firewalls", &self.firewalls)
            .field("user_data_bytes", &self.user_data.as_ref().map(String::len))
            .field("labels", &self.labels)
            .field("primary_ips", &(self.primary_ipv4, self.primary_ipv6))
            .field("placement_group", &self.placement_group)
            .finish_non_exhaustive()
    }
}

impl CreateServer {
    /// A server named `name` of `server_type` from `image`.
    pub fn new(
        name: impl Into<String>,
        server_type: impl Into<String>,
        image: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            server_type: server_type.into(),
            image: image.into(),
            location: None,
            ssh_keys: Vec::new(),
            firewalls: Vec::new(),
            networks: Vec::new(),
            user_data: None,
            labels: Labels::new(),
            start_after_create: None,
            public_net: None,
            primary_ipv4: None,
            primary_ipv6: None,
            placement_group: None,
            volumes: Vec::new(),
        }
    }

    /// Uses existing primary IPs (ids) instead of new ones; `None` keeps the default.
    #[must_use]
    pub fn primary_ips(mut self, ipv4: Option<u64>, ipv6: Option<u64>) -> Self {
        self.primary_ipv4 = ipv4;
        self.primary_ipv6 = ipv6;
        self
    }

    /// Joins a placement group.
    #[must_use]
    pub fn placement_group(mut self, id: u64) -> Self {
        self.placement_group = Some(id);
        self
    }

    /// Attaches a volume.
    #[must_use]
    pub fn volume(mut self, id: u64) -> Self {
        self.volumes.push(id);
        self
    }

    /// Attaches a private network.
    #[must_use]
    pub fn network(mut self, id: u64) -> Self {
        self.networks.push(id);
        self
    }

    /// Location name, e.g. `fsn1`.
    #[must_use]
    pub fn location(mut self, location: impl Into<String>) -> Self {
        self.location = Some(location.into());
        self
    }

    /// Adds an SSH key (id or name).
    #[must_use]
    pub fn ssh_key(mut self, key: impl Into<String>) -> Self {
        self.ssh_keys.push(key.into());
        self
    }

    /// Adds a firewall by id.
    #[must_use]
    pub fn firewall(mut self, id: u64) -> Self {
        self.firewalls.push(id);
        self
    }

    /// Sets cloud-init user data.
    #[must_use]
    pub fn user_data(mut self, user_data: impl Into<String>) -> Self {
        self.user_data = Some(user_data.into());
        self
    }

    /// Sets the labels.
    #[must_use]
    pub fn labels(mut self, labels: Labels) -> Self {
        self.labels = labels;
        self
    }

    /// Whether to start after creation.
    #[must_use]
    pub fn start_after_create(mut self, start: bool) -> Self {
        self.start_after_create = Some(start);
        self
    }

    /// Enables or disables public IPv4 and IPv6.
    #[must_use]
    pub fn public_net(mut self, ipv4: bool, ipv6: bool) -> Self {
        self.public_net = Some((ipv4, ipv6));
        self
    }
}

/// Builds `POST /servers`, validating every field first.
///
/// # Errors
/// [`Error::Invalid`] naming the field; nothing is sent.
pub fn create_request(req: &CreateServer) -> Result<RequestSpec> {
    validate_hostname("name", &req.name)?;
    if req.server_type.trim().is_empty() {
        return Err(Error::invalid("server_type", "must not be empty"));
    }
    if req.image.trim().is_empty() {
        return Err(Error::invalid("image", "must not be empty"));
    }
    if let Some(user_data) = &req.user_data
        && user_data.len() > MAX_USER_DATA_BYTES
    {
        return Err(Error::invalid(
            "user_data",
            format!(
                "{} bytes; Hetzner accepts at most {MAX_USER_DATA_BYTES}",
                user_data.len()
            ),
        ));
    }
    for (i, key) in req.ssh_keys.iter().enumerate() {
        if key.trim().is_empty() {
            return Err(Error::invalid(
                format!("ssh_keys[{i}]"),
                "must not be empty",
            ));
        }
    }
    req.labels.validate()?;
    let mut body = Map::new();
    body.insert("name".into(), json!(req.name));
    body.insert("server_type".into(), json!(req.server_type));
    body.insert("image".into(), json!(req.image));
    if let Some(location) = &req.location {
        body.insert("location".into(), json!(location));
    }
    if !req.ssh_keys.is_empty() {
        body.insert("ssh_keys".into(), json!(req.ssh_keys));
    }
    if !req.firewalls.is_empty() {
        let firewalls: Vec<Value> = req
            .firewalls
            .iter()
            .map(|id| json!({ "firewall": id }))
            .collect();
        body.insert("firewalls".into(), Value::Array(firewalls));
    }
    if !req.networks.is_empty() {
        body.insert("networks".into(), json!(req.networks));
    }
    if let Some(user_data) = &req.user_data {
        body.insert("user_data".into(), json!(user_data));
    }
    if !req.labels.is_empty() {
        body.insert("labels".into(), json!(req.labels));
    }
    if let Some(start) = req.start_after_create {
        body.insert("start_after_create".into(), json!(start));
    }
    if req.public_net.is_some() || req.primary_ipv4.is_some() || req.primary_ipv6.is_some() {
        let (ipv4, ipv6) = req.public_net.unwrap_or((true, true));
        let mut net = json!({ "enable_ipv4": ipv4 || req.primary_ipv4.is_some(), "enable_ipv6": ipv6 || req.primary_ipv6.is_some() });
        if let Some(id) = req.primary_ipv4 {
            net["ipv4"] = json!(id);
        }
        if let Some(id) = req.primary_ipv6 {
            net["ipv6"] = json!(id);
        }
        body.insert("public_net".into(), net);
    }
    if let Some(group) = req.placement_group {
        body.insert("placement_group".into(), json!(group));
    }
    if !req.volumes.is_empty() {
        body.insert("volumes".into(), json!(req.volumes));
    }
    Ok(RequestSpec::post("/servers", Value::Object(body)))
}

/// Filters for listing servers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListServers {
    /// Common filters.
    pub params: ListParams,
    /// Only servers in these states.
    pub status: Vec<ServerStatus>,
}

super::list_filter!(ListServers);

/// Builds `GET /servers`.
///
/// # Errors
/// An invalid label selector or sort key.
pub fn list_request(filter: &ListServers) -> Result<RequestSpec> {
    let mut spec = filter.params.apply(RequestSpec::get("/servers"))?;
    for status in &filter.status {
        spec = spec.with_query("status", status.as_str());
    }
    Ok(spec)
}

/// Builds `POST /servers/{id}/actions/{action}` for actions without a body
/// (`reboot`, `poweroff`, `poweron`, `shutdown`, `reset`).
pub fn action_request(id: u64, action: &str) -> RequestSpec {
    RequestSpec::new(
        http::Method::POST,
        format!("/servers/{id}/actions/{action}"),
    )
}

/// What to put in a server image.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateImage {
    /// Description (at most 255 characters, single line).
    pub description: Option<String>,
    /// `snapshot` (default) or `backup`.
    pub backup: bool,
    /// Labels.
    pub labels: Labels,
}

/// Builds `POST /servers/{id}/actions/create_image`.
///
/// # Errors
/// [`Error::Invalid`] naming `description` or a label.
pub fn create_image_request(id: u64, req: &CreateImage) -> Result<RequestSpec> {
    let mut body = Map::new();
    if let Some(description) = &req.description {
        if description.chars().count() > 255 || description.chars().any(char::is_control) {
            return Err(Error::invalid(
                "description",
                "must be one line of at most 255 characters",
            ));
        }
        body.insert("description".into(), json!(description));
    }
    body.insert(
        "type".into(),
        json!(if req.backup { "backup" } else { "snapshot" }),
    );
    req.labels.validate()?;
    if !req.labels.is_empty() {
        body.insert("labels".into(), json!(req.labels));
    }
    Ok(RequestSpec::post(
        format!("/servers/{id}/actions/create_image"),
        Value::Object(body),
    ))
}

/// Builds `POST /servers/{id}/actions/rebuild`.
///
/// # Errors
/// [`Error::Invalid`] naming `image` or `user_data`.
pub fn rebuild_request(id: u64, image: &str, user_data: Option<&str>) -> Result<RequestSpec> {
    if image.trim().is_empty() {
        return Err(Error::invalid("image", "must not be empty"));
    }
    let mut body = json!({ "image": image });
    if let Some(user_data) = user_data {
        if user_data.len() > MAX_USER_DATA_BYTES {
            return Err(Error::invalid("user_data", "larger than 32 KiB"));
        }
        body["user_data"] = json!(user_data);
    }
    Ok(RequestSpec::post(
        format!("/servers/{id}/actions/rebuild"),
        body,
    ))
}

/// Result of [`Servers::create`].
#[derive(Debug, Clone)]
pub struct CreatedServer {
    /// The server.
    pub server: Server,
    /// The `create_server` action (`None` when the create was reconciled by name).
    pub action: Option<Action>,
    /// Follow-up actions (e.g. `start_server`).
    pub next_actions: Vec<Action>,
    /// Root password, only when no SSH key was given (redacted in Debug).
    pub root_password: Option<SecretString>,
    /// True when the POST's outcome was unknown and the server was found by its name.
    pub reconciled: bool,
}

impl CreatedServer {
    /// Every action to wait for.
    pub fn actions(&self) -> Vec<Action> {
        self.action
            .iter()
            .cloned()
            .chain(self.next_actions.iter().cloned())
            .collect()
    }
}

#[derive(Deserialize)]
struct CreateResponse {
    server: Server,
    action: Action,
    #[serde(default)]
    next_actions: Vec<Action>,
    #[serde(default)]
    root_password: Option<String>,
}

#[derive(Deserialize)]
struct ServerEnvelope {
    server: Server,
}

#[derive(Deserialize)]
pub(crate) struct ActionEnvelope {
    pub(crate) action: Action,
}

#[derive(Deserialize)]
struct ImageActionEnvelope {
    image: Image,
    action: Action,
}

/// What [`Servers::create_image`] returns: the new image (still `creating`) and the action
/// that finishes it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CreatedImage {
    /// The image, in status `creating` until the action finishes.
    pub image: Image,
    /// The `create_image` action.
    pub action: Action,
}

/// An action that may come with a new root password (rebuild, rescue, password reset); the
/// password is redacted in Debug.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ActionWithPassword {
    /// The action.
    pub action: Action,
    /// The new root password, when the API returned one.
    pub root_password: Option<SecretString>,
}

/// The `{action, root_password}` answer of rebuild, rescue and password reset.
#[derive(Deserialize)]
pub(crate) struct PasswordEnvelope {
    action: Action,
    #[serde(default)]
    root_password: Option<String>,
}

impl From<PasswordEnvelope> for ActionWithPassword {
    fn from(envelope: PasswordEnvelope) -> Self {
        Self {
            action: envelope.action,
            root_password: envelope.root_password.map(SecretString::from),
        }
    }
}

/// Server operations; from [`Client::servers`].
#[derive(Debug, Clone, Copy)]
pub struct Servers<'a> {
    pub(crate) client: &'a Client,
}

impl Servers<'_> {
    /// Creates a server. If the outcome is unknown (timeout, lost connection, 5xx, or a
    /// success whose body arrived damaged, such as a truncated `201`) the server is looked up
    /// by its unique name instead of being created twice.
    ///
    /// # Errors
    /// Validation errors (nothing sent) or the API's error.
    pub async fn create(&self, req: &CreateServer) -> Result<CreatedServer> {
        let spec = create_request(req)?;
        let outcome = create_reconciled::<CreateResponse, Server, _, _>(self.client, &spec, || {
            self.get_by_name(&req.name)
        })
        .await?;
        Ok(match outcome {
            CreateOutcome::Created(r) => CreatedServer {
                server: r.server,
                action: Some(r.action),
                next_actions: r.next_actions,
                root_password: r.root_password.map(SecretString::from),
                reconciled: false,
            },
            CreateOutcome::Existing(server) => CreatedServer {
                server,
                action: None,
                next_actions: Vec::new(),
                root_password: None,
                reconciled: true,
            },
        })
    }

    /// Gets a server by id.
    ///
    /// # Errors
    /// `not_found` when it does not exist.
    pub async fn get(&self, id: u64) -> Result<Server> {
        let envelope: ServerEnvelope = self
            .client
            .send_json(&RequestSpec::get(format!("/servers/{id}")))
            .await?;
        Ok(envelope.server)
    }

    /// Gets a server by id; `None` when it does not exist.
    ///
    /// # Errors
    /// Any error other than not-found.
    pub async fn get_opt(&self, id: u64) -> Result<Option<Server>> {
        match self.get(id).await {
            Ok(server) => Ok(Some(server)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Finds a server by its exact name.
    ///
    /// # Errors
    /// The API's error.
    pub async fn get_by_name(&self, name: &str) -> Result<Option<Server>> {
        let spec = list_request(&ListParams::default().name(name).into())?;
        let page: Page<Server> = fetch_page(self.client, &spec, "servers").await?;
        Ok(page.items.into_iter().find(|s| s.name == name))
    }

    /// One page of servers.
    ///
    /// # Errors
    /// An invalid filter (nothing sent) or the API's error.
    pub async fn list(&self, filter: impl Into<ListServers>) -> Result<Page<Server>> {
        fetch_page(self.client, &list_request(&filter.into())?, "servers").await
    }

    /// Every server matching `filter`, fetched lazily 50 at a time.
    ///
    /// # Errors
    /// An invalid filter (nothing sent).
    pub fn stream(
        &self,
        filter: impl Into<ListServers>,
    ) -> Result<BoxStream<'static, Result<Server>>> {
        Ok(stream_all(
            self.client,
            list_request(&filter.into())?,
            "servers",
        ))
    }

    /// Deletes a server; returns the `delete_server` action.
    ///
    /// # Errors
    /// The API's error.
    pub async fn delete(&self, id: u64) -> Result<Action> {
        let envelope: ActionEnvelope = self
            .client
            .send_json(&RequestSpec::delete(format!("/servers/{id}")))
            .await?;
        Ok(envelope.action)
    }

    async fn action(&self, id: u64, action: &str) -> Result<Action> {
        let envelope: ActionEnvelope = self.client.send_json(&action_request(id, action)).await?;
        Ok(envelope.action)
    }

    /// Soft reboot (ACPI).
    ///
    /// # Errors
    /// The API's error.
    pub async fn reboot(&self, id: u64) -> Result<Action> {
        self.action(id, "reboot").await
    }

    /// Cuts power (may lose data).
    ///
    /// # Errors
    /// The API's error.
    pub async fn poweroff(&self, id: u64) -> Result<Action> {
        self.action(id, "poweroff").await
    }

    /// Powers on.
    ///
    /// # Errors
    /// The API's error.
    pub async fn poweron(&self, id: u64) -> Result<Action> {
        self.action(id, "poweron").await
    }

    /// ACPI shutdown (success only means the request reached the guest; use poweroff to be sure).
    ///
    /// # Errors
    /// The API's error.
    pub async fn shutdown(&self, id: u64) -> Result<Action> {
        self.action(id, "shutdown").await
    }

    /// Creates a snapshot (or backup) image of the server.
    ///
    /// # Errors
    /// Validation errors (nothing sent) or the API's error.
    pub async fn create_image(&self, id: u64, req: &CreateImage) -> Result<CreatedImage> {
        let envelope: ImageActionEnvelope = self
            .client
            .send_json(&create_image_request(id, req)?)
            .await?;
        Ok(CreatedImage {
            image: envelope.image,
            action: envelope.action,
        })
    }

    /// Rebuilds the server from `image`, optionally with new user data. Returns the action and,
    /// when the image sets one, the new root password.
    ///
    /// # Errors
    /// Validation errors (nothing sent) or the API's error.
    pub async fn rebuild(
        &self,
        id: u64,
        image: &str,
        user_data: Option<&str>,
    ) -> Result<ActionWithPassword> {
        let envelope: PasswordEnvelope = self
            .client
            .send_json(&rebuild_request(id, image, user_data)?)
            .await?;
        Ok(envelope.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_validates_before_building() {
        let too_big = "x".repeat(MAX_USER_DATA_BYTES + 1);
        let err =
            create_request(&CreateServer::new("ok", "cx22", "ubuntu-24.04").user_data(too_big))
                .unwrap_err();
        assert!(err.to_string().starts_with("invalid user_data"));
        let err =
            create_request(&CreateServer::new("bad_name", "cx22", "ubuntu-24.04")).unwrap_err();
        assert!(err.to_string().starts_with("invalid name"));
        let spec = create_request(
            &CreateServer::new("ok", "cx22", "ubuntu-24.04").start_after_create(false),
        )
        .unwrap();
        assert_eq!(
            spec.body.unwrap(),
            json!({"name":"ok","server_type":"cx22","image":"ubuntu-24.04","start_after_create":false})
        );
    }

    #[test]
    fn list_and_action_requests() {
        let filter = ListServers {
            params: ListParams::default()
                .selector(crate::LabelSelector::new().eq("env", "prod"))
                .sort("created:desc"),
            status: vec![ServerStatus::Running],
        };
        assert_eq!(
            list_request(&filter).unwrap().path_and_query(),
            "/servers?label_selector=env%3Dprod&sort=created%3Adesc&status=running"
        );
        assert!(list_request(&ListParams::default().sort("id;drop").into()).is_err());
        let spec = action_request(42, "poweroff");
        assert_eq!(
            (spec.method, spec.path.as_str(), spec.body),
            (http::Method::POST, "/servers/42/actions/poweroff", None)
        );
        let img = create_image_request(
            7,
            &CreateImage {
                description: Some("debug".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            img.body.unwrap(),
            json!({"description":"debug","type":"snapshot"})
        );
    }
}
