//! Per-rule calls (add, edit, delete one rule of a ruleset) and versions (list, get, roll back).
//!
//! The entry point `PUT` replaces the whole rule list; these calls change one rule and leave
//! the others alone, which is what a control plane adding an exception needs. Every write
//! creates a new ruleset version, and [`RulesetsApi::rollback_entrypoint`] restores an earlier
//! version's rules with one `PUT`.

use http::Method;
use serde::Serialize;

use super::api::{RulesetsApi, entrypoint_path, validate_rules};
use super::model::{Phase, Position, Rule, Ruleset, RulesetVersion};
use crate::error::{Error, Result};
use crate::transport::request::{RequestSpec, check_id};

fn ruleset_path(zone_id: &str, ruleset_id: &str) -> Result<String> {
    check_id("zone_id", zone_id)?;
    check_id("ruleset_id", ruleset_id)?;
    Ok(format!("/zones/{zone_id}/rulesets/{ruleset_id}"))
}

fn check_version(version: &str) -> Result<()> {
    if version.is_empty() || version.len() > 10 || !version.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid("version", "a ruleset version number"));
    }
    Ok(())
}

/// `GET /zones/{zone}/rulesets/{ruleset_id}`.
pub fn get_request(zone_id: &str, ruleset_id: &str) -> Result<RequestSpec> {
    Ok(RequestSpec::get(ruleset_path(zone_id, ruleset_id)?))
}

#[derive(Serialize)]
struct NewRule<'a> {
    #[serde(flatten)]
    rule: &'a Rule,
    #[serde(skip_serializing_if = "Option::is_none")]
    position: Option<&'a Position>,
}

/// `POST /zones/{zone}/rulesets/{ruleset_id}/rules` (one rule; `phase` is the ruleset's, for
/// validation).
pub fn add_rule_request(
    zone_id: &str,
    ruleset_id: &str,
    phase: &Phase,
    rule: &Rule,
    position: Option<&Position>,
) -> Result<RequestSpec> {
    let path = format!("{}/rules", ruleset_path(zone_id, ruleset_id)?);
    validate_rules(phase, std::slice::from_ref(rule))?;
    if let Some(Position::Before(id) | Position::After(id)) = position
        && !id.is_empty()
    {
        check_id("position", id)?;
    }
    if let Some(Position::Index(0)) = position {
        return Err(Error::invalid("position.index", "indexes start at 1"));
    }
    RequestSpec::new(Method::POST, path)
        .with_json(&NewRule { rule, position })
        .map_err(Error::from)
}

/// `PATCH /zones/{zone}/rulesets/{ruleset_id}/rules/{rule_id}` with the whole rule.
pub fn edit_rule_request(
    zone_id: &str,
    ruleset_id: &str,
    rule_id: &str,
    phase: &Phase,
    rule: &Rule,
) -> Result<RequestSpec> {
    check_id("rule_id", rule_id)?;
    let path = format!("{}/rules/{rule_id}", ruleset_path(zone_id, ruleset_id)?);
    validate_rules(phase, std::slice::from_ref(rule))?;
    RequestSpec::new(Method::PATCH, path)
        .with_json(rule)
        .map_err(Error::from)
}

/// `DELETE /zones/{zone}/rulesets/{ruleset_id}/rules/{rule_id}`.
pub fn delete_rule_request(zone_id: &str, ruleset_id: &str, rule_id: &str) -> Result<RequestSpec> {
    check_id("rule_id", rule_id)?;
    Ok(RequestSpec::new(
        Method::DELETE,
        format!("{}/rules/{rule_id}", ruleset_path(zone_id, ruleset_id)?),
    ))
}

/// `GET /zones/{zone}/rulesets/{ruleset_id}/versions`.
pub fn versions_request(zone_id: &str, ruleset_id: &str) -> Result<RequestSpec> {
    Ok(RequestSpec::get(format!(
        "{}/versions",
        ruleset_path(zone_id, ruleset_id)?
    )))
}

/// `GET /zones/{zone}/rulesets/{ruleset_id}/versions/{version}`.
pub fn version_request(zone_id: &str, ruleset_id: &str, version: &str) -> Result<RequestSpec> {
    check_version(version)?;
    Ok(RequestSpec::get(format!(
        "{}/versions/{version}",
        ruleset_path(zone_id, ruleset_id)?
    )))
}

/// `GET /zones/{zone}/rulesets/phases/{phase}/entrypoint/versions`.
pub fn entrypoint_versions_request(zone_id: &str, phase: &Phase) -> Result<RequestSpec> {
    Ok(RequestSpec::get(format!(
        "{}/versions",
        entrypoint_path(zone_id, phase)?
    )))
}

/// `GET /zones/{zone}/rulesets/phases/{phase}/entrypoint/versions/{version}`.
pub fn entrypoint_version_request(
    zone_id: &str,
    phase: &Phase,
    version: &str,
) -> Result<RequestSpec> {
    check_version(version)?;
    Ok(RequestSpec::get(format!(
        "{}/versions/{version}",
        entrypoint_path(zone_id, phase)?
    )))
}

impl RulesetsApi<'_> {
    /// Send a write holding the same lock as the phase's entry point `PUT`, so writes to one
    /// ruleset through one client never overlap.
    async fn locked<T: serde::de::DeserializeOwned>(
        &self,
        phase: &Phase,
        spec: &RequestSpec,
    ) -> Result<T> {
        let lock = self
            .client
            .inner
            .ruleset_lock(&format!("{}/{phase}", self.zone_id));
        let _guard = lock.lock().await;
        Ok(self.client.send(spec).await?.result)
    }

    /// A ruleset by id, with its rules.
    pub async fn get(&self, ruleset_id: &str) -> Result<Ruleset> {
        let spec = get_request(&self.zone_id, ruleset_id)?;
        Ok(self.client.send(&spec).await?.result)
    }

    /// Add one rule to a ruleset of `phase` (at the end unless `position` says otherwise);
    /// returns the ruleset. The add is not idempotent: when its answer is lost the ruleset is
    /// read back, and a rule with the same `ref` that matches is taken as the add's result.
    ///
    /// ```no_run
    /// # async fn run(client: cloudflare_client::Client, ruleset_id: &str) -> cloudflare_client::Result<()> {
    /// use cloudflare_client::resources::rulesets::{Phase, Position, Rule, RuleAction};
    /// let rule = Rule::new("allow_monitor", RuleAction::Skip, r#"(http.user_agent eq "uptime")"#);
    /// client
    ///     .rulesets("023e105f4ecef8ad9ca31a8372d0c353")
    ///     .add_rule(ruleset_id, &Phase::HttpRequestFirewallCustom, &rule, Some(&Position::Index(1)))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn add_rule(
        &self,
        ruleset_id: &str,
        phase: &Phase,
        rule: &Rule,
        position: Option<&Position>,
    ) -> Result<Ruleset> {
        let spec = add_rule_request(&self.zone_id, ruleset_id, phase, rule, position)?;
        match self.locked::<Ruleset>(phase, &spec).await {
            Ok(rs) => Ok(rs),
            Err(e) if e.is_retryable() => {
                let current = self.get(ruleset_id).await.map_err(|_| e)?;
                let landed = current
                    .rules
                    .iter()
                    .any(|r| r.rule_ref == rule.rule_ref && rule.satisfied_by(r));
                if landed {
                    tracing::info!(rule = %rule.rule_ref, "rule add reconciled by ref");
                    Ok(current)
                } else {
                    Err(Error::Transport(crate::error::TransportError::with_source(
                        crate::error::TransportErrorKind::Other,
                        format!(
                            "adding rule {} may not have been applied, and it is not in the ruleset",
                            rule.rule_ref
                        ),
                    )))
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Replace one rule (by its id) with `rule`; returns the ruleset.
    pub async fn edit_rule(
        &self,
        ruleset_id: &str,
        rule_id: &str,
        phase: &Phase,
        rule: &Rule,
    ) -> Result<Ruleset> {
        let spec = edit_rule_request(&self.zone_id, ruleset_id, rule_id, phase, rule)?;
        self.locked(phase, &spec).await
    }

    /// Delete one rule (by its id) of the `phase` ruleset `ruleset_id`; returns the ruleset.
    pub async fn delete_rule(
        &self,
        ruleset_id: &str,
        phase: &Phase,
        rule_id: &str,
    ) -> Result<Ruleset> {
        let spec = delete_rule_request(&self.zone_id, ruleset_id, rule_id)?;
        self.locked(phase, &spec).await
    }

    /// Every version of a ruleset (without rules).
    pub async fn versions(&self, ruleset_id: &str) -> Result<Vec<RulesetVersion>> {
        let spec = versions_request(&self.zone_id, ruleset_id)?;
        Ok(self.client.send(&spec).await?.result)
    }

    /// One version of a ruleset, with its rules.
    pub async fn version(&self, ruleset_id: &str, version: &str) -> Result<Ruleset> {
        let spec = version_request(&self.zone_id, ruleset_id, version)?;
        Ok(self.client.send(&spec).await?.result)
    }

    /// Every version of a phase's entry point.
    pub async fn entrypoint_versions(&self, phase: &Phase) -> Result<Vec<RulesetVersion>> {
        let spec = entrypoint_versions_request(&self.zone_id, phase)?;
        Ok(self.client.send(&spec).await?.result)
    }

    /// One version of a phase's entry point, with its rules.
    pub async fn entrypoint_version(&self, phase: &Phase, version: &str) -> Result<Ruleset> {
        let spec = entrypoint_version_request(&self.zone_id, phase, version)?;
        Ok(self.client.send(&spec).await?.result)
    }

    /// Roll a phase's entry point back to `version`: its rules (with their refs) are `PUT` as a
    /// new version. Idempotent, like every entry point `PUT`.
    ///
    /// ```no_run
    /// # async fn run(client: cloudflare_client::Client) -> cloudflare_client::Result<()> {
    /// use cloudflare_client::resources::rulesets::Phase;
    /// let rulesets = client.rulesets("023e105f4ecef8ad9ca31a8372d0c353");
    /// let phase = Phase::HttpRequestFirewallCustom;
    /// let versions = rulesets.entrypoint_versions(&phase).await?;
    /// if let Some(previous) = versions.iter().rev().nth(1) {
    ///     rulesets.rollback_entrypoint(&phase, &previous.version).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn rollback_entrypoint(&self, phase: &Phase, version: &str) -> Result<Ruleset> {
        let old = self.entrypoint_version(phase, version).await?;
        let description = old.description.clone().unwrap_or_default();
        self.put_entrypoint(phase, &description, &old.rules).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::rulesets::RuleAction;

    #[test]
    fn per_rule_bodies_and_paths() {
        let rule = Rule::new("a", RuleAction::Block, "(http.host eq \"x\")");
        let phase = Phase::HttpRequestFirewallCustom;
        let r = add_rule_request("z1", "rs1", &phase, &rule, Some(&Position::Index(2))).unwrap();
        assert_eq!(r.path, "/zones/z1/rulesets/rs1/rules");
        let body = r.body.unwrap();
        assert_eq!(body["ref"], "a");
        assert_eq!(body["position"], serde_json::json!({"index": 2}));
        assert!(add_rule_request("z1", "rs1", &phase, &rule, Some(&Position::Index(0))).is_err());
        let r = edit_rule_request("z1", "rs1", "r1", &phase, &rule).unwrap();
        assert_eq!(
            (r.method, r.path.as_str()),
            (Method::PATCH, "/zones/z1/rulesets/rs1/rules/r1")
        );
        assert!(delete_rule_request("z1", "rs1", "../x").is_err());
        let r = entrypoint_version_request("z1", &phase, "3").unwrap();
        assert_eq!(
            r.path,
            "/zones/z1/rulesets/phases/http_request_firewall_custom/entrypoint/versions/3"
        );
        assert!(version_request("z1", "rs1", "latest").is_err());
    }
}
