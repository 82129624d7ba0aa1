//! Firewalls: create, set rules, apply to and remove from resources, list, delete.

use futures::stream::BoxStream;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{CreateOutcome, ListParams, create_reconciled};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::labels::Labels;
use crate::models::action::Action;
use crate::models::firewall::{
    ApplyTo, ApplyToType, Firewall, FirewallRule, MAX_FIREWALL_NAME_LEN, validate_rules,
};
use crate::pagination::{Page, fetch_page, stream_all};
use crate::request::RequestSpec;

/// A request to create a firewall.
///
/// ```
/// use hetzner_client::models::firewall::{FirewallRule, Protocol};
/// use hetzner_client::resources::firewalls::{create_request, CreateFirewall};
/// let req = CreateFirewall::new("web")
///     .rule(FirewallRule::inbound(Protocol::Tcp, Some("443"), ["0.0.0.0/0", "::/0"]));
/// let spec = create_request(&req).unwrap();
/// assert_eq!(spec.body.unwrap()["rules"][0]["port"], "443");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateFirewall {
    /// Unique name (at most 128 characters).
    pub name: String,
    /// Labels.
    pub labels: Labels,
    /// Rules (at most 50).
    pub rules: Vec<FirewallRule>,
    /// Targets to apply to at creation.
    pub apply_to: Vec<ApplyTo>,
}

impl CreateFirewall {
    /// A firewall named `name` without rules (which drops all inbound traffic).
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            labels: Labels::new(),
            rules: Vec::new(),
            apply_to: Vec::new(),
        }
    }

    /// Adds a rule.
    #[must_use]
    pub fn rule(mut self, rule: FirewallRule) -> Self {
        self.rules.push(rule);
        self
    }

    /// Replaces the rules.
    #[must_use]
    pub fn rules(mut self, rules: Vec<FirewallRule>) -> Self {
        self.rules = rules;
        self
    }

    /// Sets the labels.
    #[must_use]
    pub fn labels(mut self, labels: Labels) -> Self {
        self.labels = labels;
        self
    }

    /// Adds a target.
    #[must_use]
    pub fn apply_to(mut self, target: ApplyTo) -> Self {
        self.apply_to.push(target);
        self
    }
}

fn validate_name(name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::invalid("name", "must not be empty"));
    }
    if name.chars().count() > MAX_FIREWALL_NAME_LEN {
        return Err(Error::invalid(
            "name",
            format!("longer than {MAX_FIREWALL_NAME_LEN} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid(
            "name",
            "must not contain control characters",
        ));
    }
    Ok(())
}

fn validate_targets(field: &str, targets: &[ApplyTo]) -> Result<()> {
    for (i, target) in targets.iter().enumerate() {
        let ok = match target.kind {
            ApplyToType::Server => target.server.is_some() && target.label_selector.is_none(),
            ApplyToType::LabelSelector => {
                target.label_selector.is_some() && target.server.is_none()
            }
            _ => false,
        };
        if !ok {
            return Err(Error::invalid(
                format!("{field}[{i}]"),
                "a target is either one server or one label selector",
            ));
        }
    }
    Ok(())
}

/// Builds `POST /firewalls`.
///
/// # Errors
/// [`Error::Invalid`] naming the field; nothing is sent.
pub fn create_request(req: &CreateFirewall) -> Result<RequestSpec> {
    validate_name(&req.name)?;
    req.labels.validate()?;
    validate_rules(&req.rules)?;
    validate_targets("apply_to", &req.apply_to)?;
    let mut body = Map::new();
    body.insert("name".into(), json!(req.name));
    if !req.labels.is_empty() {
        body.insert("labels".into(), json!(req.labels));
    }
    body.insert("rules".into(), json!(req.rules));
    if !req.apply_to.is_empty() {
        body.insert("apply_to".into(), json!(req.apply_to));
    }
    Ok(RequestSpec::post("/firewalls", Value::Object(body)))
}

/// Builds `POST /firewalls/{id}/actions/set_rules` (replaces every rule; empty removes all).
///
/// # Errors
/// [`Error::Invalid`] naming `rules...`.
pub fn set_rules_request(id: u64, rules: &[FirewallRule]) -> Result<RequestSpec> {
    validate_rules(rules)?;
    Ok(RequestSpec::post(
        format!("/firewalls/{id}/actions/set_rules"),
        json!({ "rules": rules }),
    ))
}

/// Builds `POST /firewalls/{id}/actions/apply_to_resources`.
///
/// # Errors
/// [`Error::Invalid`] naming `apply_to`.
pub fn apply_request(id: u64, targets: &[ApplyTo]) -> Result<RequestSpec> {
    if targets.is_empty() {
        return Err(Error::invalid("apply_to", "needs at least one target"));
    }
    validate_targets("apply_to", targets)?;
    Ok(RequestSpec::post(
        format!("/firewalls/{id}/actions/apply_to_resources"),
        json!({ "apply_to": targets }),
    ))
}

/// Builds `POST /firewalls/{id}/actions/remove_from_resources`.
///
/// # Errors
/// [`Error::Invalid`] naming `remove_from`.
pub fn remove_request(id: u64, targets: &[ApplyTo]) -> Result<RequestSpec> {
    if targets.is_empty() {
        return Err(Error::invalid("remove_from", "needs at least one target"));
    }
    validate_targets("remove_from", targets)?;
    Ok(RequestSpec::post(
        format!("/firewalls/{id}/actions/remove_from_resources"),
        json!({ "remove_from": targets }),
    ))
}

/// Builds `GET /firewalls`.
///
/// # Errors
/// An invalid label selector or sort key.
pub fn list_request(params: &ListParams) -> Result<RequestSpec> {
    params.apply(RequestSpec::get("/firewalls"))
}

/// Result of [`Firewalls::create`].
#[derive(Debug, Clone)]
pub struct CreatedFirewall {
    /// The firewall.
    pub firewall: Firewall,
    /// Actions applying it to its targets.
    pub actions: Vec<Action>,
    /// True when the POST's outcome was unknown and the firewall was found by its name.
    pub reconciled: bool,
}

#[derive(Deserialize)]
struct CreateResponse {
    firewall: Firewall,
    #[serde(default)]
    actions: Vec<Action>,
}

#[derive(Deserialize)]
struct FirewallEnvelope {
    firewall: Firewall,
}

#[derive(Deserialize)]
struct ActionsEnvelope {
    actions: Vec<Action>,
}

/// Firewall operations; from [`Client::firewalls`].
#[derive(Debug, Clone, Copy)]
pub struct Firewalls<'a> {
    pub(crate) client: &'a Client,
}

impl Firewalls<'_> {
    /// Creates a firewall, reconciling by name if the outcome is unknown.
    ///
    /// # Errors
    /// Validation errors (nothing sent) or the API's error.
    pub async fn create(&self, req: &CreateFirewall) -> Result<CreatedFirewall> {
        let spec = create_request(req)?;
        let outcome =
            create_reconciled::<CreateResponse, Firewall, _, _>(self.client, &spec, || {
                self.get_by_name(&req.name)
            })
            .await?;
        Ok(match outcome {
            CreateOutcome::Created(r) => CreatedFirewall {
                firewall: r.firewall,
                actions: r.actions,
                reconciled: false,
            },
            CreateOutcome::Existing(firewall) => CreatedFirewall {
                firewall,
                actions: Vec::new(),
                reconciled: true,
            },
        })
    }

    /// Renames and/or relabels a firewall.
    ///
    /// # Errors
    /// Invalid name or labels (nothing sent) or the API's error.
    pub async fn update(&self, id: u64, update: &super::common::Update) -> Result<Firewall> {
        if let Some(name) = &update.name
            && name.chars().count() > crate::models::firewall::MAX_FIREWALL_NAME_LEN
        {
            return Err(crate::Error::invalid("name", "too long"));
        }
        let spec = update.request(&format!("/firewalls/{id}"))?;
        super::common::send_key(self.client, &spec, "firewall").await
    }

    /// The actions of firewalls (`GET /firewalls/actions`, `GET /firewalls/{id}/actions`, ...).
    pub fn actions(&self) -> super::common::ResourceActions<'_> {
        super::common::ResourceActions {
            client: self.client,
            base: "/firewalls",
        }
    }

    /// Gets a firewall by id.
    ///
    /// # Errors
    /// `not_found` when it does not exist.
    pub async fn get(&self, id: u64) -> Result<Firewall> {
        let envelope: FirewallEnvelope = self
            .client
            .send_json(&RequestSpec::get(format!("/firewalls/{id}")))
            .await?;
        Ok(envelope.firewall)
    }

    /// Finds a firewall by its exact name.
    ///
    /// # Errors
    /// The API's error, or [`Error::Decode`] when an entry of the
    /// answer does not decode (it could be the one looked for).
    pub async fn get_by_name(&self, name: &str) -> Result<Option<Firewall>> {
        let page: Page<Firewall> = fetch_page(
            self.client,
            &list_request(&ListParams::default().name(name))?,
            "firewalls",
        )
        .await?;
        Ok(page.complete()?.into_iter().find(|f| f.name == name))
    }

    /// Replaces every rule.
    ///
    /// # Errors
    /// Validation errors (nothing sent) or the API's error.
    pub async fn set_rules(&self, id: u64, rules: &[FirewallRule]) -> Result<Vec<Action>> {
        let envelope: ActionsEnvelope = self
            .client
            .send_json(&set_rules_request(id, rules)?)
            .await?;
        Ok(envelope.actions)
    }

    /// Applies the firewall to more targets.
    ///
    /// # Errors
    /// Validation errors (nothing sent) or the API's error.
    pub async fn apply_to_resources(&self, id: u64, targets: &[ApplyTo]) -> Result<Vec<Action>> {
        let envelope: ActionsEnvelope = self.client.send_json(&apply_request(id, targets)?).await?;
        Ok(envelope.actions)
    }

    /// Removes the firewall from targets.
    ///
    /// # Errors
    /// Validation errors (nothing sent) or the API's error.
    pub async fn remove_from_resources(&self, id: u64, targets: &[ApplyTo]) -> Result<Vec<Action>> {
        let envelope: ActionsEnvelope =
            self.client.send_json(&remove_request(id, targets)?).await?;
        Ok(envelope.actions)
    }

    /// One page of firewalls.
    ///
    /// # Errors
    /// An invalid filter (nothing sent) or the API's error.
    pub async fn list(&self, params: &ListParams) -> Result<Page<Firewall>> {
        fetch_page(self.client, &list_request(params)?, "firewalls").await
    }

    /// Every firewall matching `params`, lazily.
    ///
    /// # Errors
    /// An invalid filter (nothing sent).
    pub fn stream(&self, params: &ListParams) -> Result<BoxStream<'static, Result<Firewall>>> {
        Ok(stream_all(self.client, list_request(params)?, "firewalls"))
    }

    /// Deletes a firewall (`resource_in_use` while it is still applied).
    ///
    /// # Errors
    /// The API's error.
    pub async fn delete(&self, id: u64) -> Result<()> {
        self.client
            .delete_idempotent(&RequestSpec::delete(format!("/firewalls/{id}")))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::firewall::Protocol;

    #[test]
    fn limits_are_enforced_before_sending() {
        let rule = FirewallRule::inbound(Protocol::Tcp, Some("22"), ["192.0.2.0/24"]);
        let err = set_rules_request(1, &vec![rule.clone(); 51]).unwrap_err();
        assert!(err.to_string().starts_with("invalid rules:"));
        let many: Vec<String> = (0..101).map(|i| format!("10.0.{i}.0/24")).collect();
        let err = set_rules_request(1, &[FirewallRule::inbound(Protocol::Tcp, Some("22"), many)])
            .unwrap_err();
        assert!(
            err.to_string().starts_with("invalid rules[0].source_ips"),
            "{err}"
        );
        let err = set_rules_request(1, &[rule.clone().describe("x".repeat(256))]).unwrap_err();
        assert!(err.to_string().starts_with("invalid rules[0].description"));
        let err = set_rules_request(
            1,
            &[FirewallRule::inbound(
                Protocol::Icmp,
                Some("1"),
                ["0.0.0.0/0"],
            )],
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("invalid rules[0].port"));
        let err = set_rules_request(
            1,
            &[FirewallRule::inbound(
                Protocol::Tcp,
                Some("22"),
                ["10.0.0.0/33"],
            )],
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("invalid rules[0].source_ips[0]"),
            "{err}"
        );
        let err = create_request(&CreateFirewall::new("x".repeat(129))).unwrap_err();
        assert!(err.to_string().starts_with("invalid name"));
        assert!(apply_request(1, &[]).is_err());
    }

    #[test]
    fn bodies_have_the_api_shape() {
        let spec = apply_request(5, &[ApplyTo::server(42)]).unwrap();
        assert_eq!(
            spec.body.unwrap(),
            json!({"apply_to":[{"type":"server","server":{"id":42}}]})
        );
        let spec = remove_request(
            5,
            &[ApplyTo::label_selector(&crate::LabelSelector::new().eq("env", "prod")).unwrap()],
        )
        .unwrap();
        assert_eq!(
            spec.body.unwrap(),
            json!({"remove_from":[{"type":"label_selector","label_selector":{"selector":"env=prod"}}]})
        );
        let spec = set_rules_request(5, &[]).unwrap();
        assert_eq!(spec.body.unwrap(), json!({"rules": []}));
    }
}
