//! The server calls beyond create/get/list/delete: update, metrics, action listings, and the
//! server actions (protection, rescue, reverse DNS, ISOs, networks, placement groups, backups,
//! type changes, console, passwords).

use std::fmt;

use chrono::SecondsFormat;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Value, json};

use super::common::{
    ResourceActions, Update, attach_to_network_body, check_ip, dns_ptr_body, protection_body,
    send_key,
};
use super::servers::{ActionWithPassword, PasswordEnvelope, Servers};
use crate::error::{Error, Result};
use crate::models::Timestamp;
use crate::models::action::Action;
use crate::models::metrics::Metrics;
use crate::models::server::Server;
use crate::request::RequestSpec;

/// Builds `POST /servers/{id}/actions/{name}` with an optional body.
pub fn server_action_request(id: u64, name: &str, body: Option<Value>) -> RequestSpec {
    let path = format!("/servers/{id}/actions/{name}");
    match body {
        Some(body) => RequestSpec::post(path, body),
        None => RequestSpec::new(http::Method::POST, path),
    }
}

/// Builds `GET /servers/{id}/metrics` (also used for load balancers with their path).
///
/// # Errors
/// [`Error::Invalid`] when no type is given or `end` is before `start`.
pub fn metrics_request(
    path: &str,
    kinds: &[&str],
    start: Timestamp,
    end: Timestamp,
    step: Option<u32>,
) -> Result<RequestSpec> {
    if kinds.is_empty() {
        return Err(Error::invalid("type", "name at least one metrics type"));
    }
    if end < start {
        return Err(Error::invalid("end", "must not be before start"));
    }
    let mut spec = RequestSpec::get(path);
    for kind in kinds {
        spec = spec.with_query("type", *kind);
    }
    spec = spec
        .with_query("start", start.to_rfc3339_opts(SecondsFormat::Secs, true))
        .with_query("end", end.to_rfc3339_opts(SecondsFormat::Secs, true));
    if let Some(step) = step {
        spec = spec.with_query("step", step.to_string());
    }
    Ok(spec)
}

/// A VNC console session (`request_console`); the password is redacted in Debug.
#[derive(Clone)]
pub struct Console {
    /// WebSocket URL of the console.
    pub wss_url: String,
    /// VNC password.
    pub password: SecretString,
    /// The action.
    pub action: Action,
}

impl fmt::Debug for Console {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Console")
            .field("password", &"[redacted]")
            .field("action", &self.action.id)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct ConsoleEnvelope {
    wss_url: String,
    password: String,
    action: Action,
}

impl Servers<'_> {
    async fn post(&self, id: u64, name: &str, body: Option<Value>) -> Result<Action> {
        send_key(
            self.client,
            &server_action_request(id, name, body),
            "action",
        )
        .await
    }

    /// Renames and/or relabels a server.
    ///
    /// # Errors
    /// Invalid name or labels (nothing sent) or the API's error.
    pub async fn update(&self, id: u64, update: &Update) -> Result<Server> {
        if let Some(name) = &update.name {
            crate::names::validate_hostname("name", name)?;
        }
        let spec = update.request(&format!("/servers/{id}"))?;
        send_key(self.client, &spec, "server").await
    }

    /// Metrics of `kinds` (`cpu`, `disk`, `network`) between `start` and `end`.
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
        let spec = metrics_request(&format!("/servers/{id}/metrics"), kinds, start, end, step)?;
        send_key(self.client, &spec, "metrics").await
    }

    /// The actions of servers (`GET /servers/actions`, `GET /servers/{id}/actions`, ...).
    pub fn actions(&self) -> ResourceActions<'_> {
        ResourceActions {
            client: self.client,
            base: "/servers",
        }
    }

    /// Hard reset (like pulling the power cord and plugging it back in).
    ///
    /// # Errors
    /// The API's error.
    pub async fn reset(&self, id: u64) -> Result<Action> {
        self.post(id, "reset", None).await
    }

    /// Turns delete and rebuild protection on or off (the API keeps both flags equal).
    ///
    /// # Errors
    /// The API's error.
    pub async fn change_protection(&self, id: u64, protect: bool) -> Result<Action> {
        let body = protection_body(&[("delete", Some(protect)), ("rebuild", Some(protect))])?;
        self.post(id, "change_protection", Some(body)).await
    }

    /// Sets (or with `None` resets) the reverse DNS entry of one of the server's addresses.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a malformed IP or hostname (nothing sent), or the API's error.
    pub async fn change_dns_ptr(&self, id: u64, ip: &str, dns_ptr: Option<&str>) -> Result<Action> {
        self.post(id, "change_dns_ptr", Some(dns_ptr_body(ip, dns_ptr)?))
            .await
    }

    /// Boots the rescue system on the next boot (reboot to enter it); with no SSH key ids
    /// the API returns a root password.
    ///
    /// # Errors
    /// The API's error.
    pub async fn enable_rescue(&self, id: u64, ssh_keys: &[u64]) -> Result<ActionWithPassword> {
        let mut body = json!({ "type": "linux64" });
        if !ssh_keys.is_empty() {
            body["ssh_keys"] = json!(ssh_keys);
        }
        let spec = server_action_request(id, "enable_rescue", Some(body));
        let envelope: PasswordEnvelope = self.client.send_json(&spec).await?;
        Ok(envelope.into())
    }

    /// Boots from disk again on the next boot.
    ///
    /// # Errors
    /// The API's error.
    pub async fn disable_rescue(&self, id: u64) -> Result<Action> {
        self.post(id, "disable_rescue", None).await
    }

    /// Resets the root password (needs the qemu guest agent); returns the new one.
    ///
    /// # Errors
    /// The API's error.
    pub async fn reset_password(&self, id: u64) -> Result<ActionWithPassword> {
        let spec = server_action_request(id, "reset_password", None);
        let envelope: PasswordEnvelope = self.client.send_json(&spec).await?;
        Ok(envelope.into())
    }

    /// Opens a VNC console session.
    ///
    /// # Errors
    /// The API's error.
    pub async fn request_console(&self, id: u64) -> Result<Console> {
        let spec = server_action_request(id, "request_console", None);
        let envelope: ConsoleEnvelope = self.client.send_json(&spec).await?;
        Ok(Console {
            wss_url: envelope.wss_url,
            password: SecretString::from(envelope.password),
            action: envelope.action,
        })
    }

    /// Turns daily backups on.
    ///
    /// # Errors
    /// The API's error.
    pub async fn enable_backup(&self, id: u64) -> Result<Action> {
        self.post(id, "enable_backup", None).await
    }

    /// Turns backups off (and deletes the existing ones).
    ///
    /// # Errors
    /// The API's error.
    pub async fn disable_backup(&self, id: u64) -> Result<Action> {
        self.post(id, "disable_backup", None).await
    }

    /// Changes the server type of a powered-off server; `upgrade_disk` makes it irreversible.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an empty type (nothing sent), or the API's error.
    pub async fn change_type(
        &self,
        id: u64,
        server_type: &str,
        upgrade_disk: bool,
    ) -> Result<Action> {
        if server_type.trim().is_empty() {
            return Err(Error::invalid("server_type", "must not be empty"));
        }
        let body = json!({ "server_type": server_type, "upgrade_disk": upgrade_disk });
        self.post(id, "change_type", Some(body)).await
    }

    /// Attaches an ISO (name or id) to the virtual drive.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an empty reference (nothing sent), or the API's error.
    pub async fn attach_iso(&self, id: u64, iso: &str) -> Result<Action> {
        if iso.trim().is_empty() {
            return Err(Error::invalid("iso", "must not be empty"));
        }
        self.post(id, "attach_iso", Some(json!({ "iso": iso })))
            .await
    }

    /// Ejects the ISO.
    ///
    /// # Errors
    /// The API's error.
    pub async fn detach_iso(&self, id: u64) -> Result<Action> {
        self.post(id, "detach_iso", None).await
    }

    /// Adds a powered-off server to a placement group.
    ///
    /// # Errors
    /// The API's error.
    pub async fn add_to_placement_group(&self, id: u64, placement_group: u64) -> Result<Action> {
        let body = json!({ "placement_group": placement_group });
        self.post(id, "add_to_placement_group", Some(body)).await
    }

    /// Takes a server out of its placement group.
    ///
    /// # Errors
    /// The API's error.
    pub async fn remove_from_placement_group(&self, id: u64) -> Result<Action> {
        self.post(id, "remove_from_placement_group", None).await
    }

    /// Attaches the server to a private network (optionally with a fixed IP and alias IPs).
    ///
    /// # Errors
    /// [`Error::Invalid`] for a malformed IP (nothing sent), or the API's error.
    pub async fn attach_to_network(
        &self,
        id: u64,
        network: u64,
        ip: Option<&str>,
        alias_ips: &[&str],
    ) -> Result<Action> {
        let body = attach_to_network_body(network, ip, alias_ips)?;
        self.post(id, "attach_to_network", Some(body)).await
    }

    /// Detaches the server from a private network.
    ///
    /// # Errors
    /// The API's error.
    pub async fn detach_from_network(&self, id: u64, network: u64) -> Result<Action> {
        self.post(
            id,
            "detach_from_network",
            Some(json!({ "network": network })),
        )
        .await
    }

    /// Replaces the alias IPs of the server in a network.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a malformed IP (nothing sent), or the API's error.
    pub async fn change_alias_ips(
        &self,
        id: u64,
        network: u64,
        alias_ips: &[&str],
    ) -> Result<Action> {
        for alias in alias_ips {
            check_ip("alias_ips", alias)?;
        }
        let body = json!({ "network": network, "alias_ips": alias_ips });
        self.post(id, "change_alias_ips", Some(body)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_requests_are_checked() {
        let start = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let end = start + chrono::Duration::hours(1);
        let spec = metrics_request("/servers/4/metrics", &["cpu"], start, end, Some(60)).unwrap();
        assert_eq!(
            spec.path_and_query(),
            "/servers/4/metrics?type=cpu&start=2026-01-01T00%3A00%3A00Z&end=2026-01-01T01%3A00%3A00Z&step=60"
        );
        assert!(metrics_request("/x", &[], start, end, None).is_err());
        assert!(metrics_request("/x", &["cpu"], end, start, None).is_err());
        assert!(check_ip("ip", "10.0.0.2").is_ok());
        assert!(check_ip("ip", "10.0.0").is_err());
    }
}
