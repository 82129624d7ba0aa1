//! Ruleset request builders and [`RulesetsApi`].

use std::collections::HashSet;

use http::Method;

use super::model::{Phase, Rule, Ruleset};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::pagination::Page;
use crate::transport::request::{RequestSpec, check_id};

pub(super) fn entrypoint_path(zone_id: &str, phase: &Phase) -> Result<String> {
    check_id("zone_id", zone_id)?;
    check_id("phase", phase.as_str())?;
    Ok(format!(
        "/zones/{zone_id}/rulesets/phases/{}/entrypoint",
        phase.as_str()
    ))
}

/// `GET /zones/{zone}/rulesets/phases/{phase}/entrypoint`.
pub fn get_entrypoint_request(zone_id: &str, phase: &Phase) -> Result<RequestSpec> {
    Ok(RequestSpec::get(entrypoint_path(zone_id, phase)?))
}

/// Check a rule list for a phase: every rule valid, refs unique. Errors name `rules[i].field`.
pub fn validate_rules(phase: &Phase, rules: &[Rule]) -> Result<()> {
    let mut refs = HashSet::new();
    for (i, rule) in rules.iter().enumerate() {
        rule.validate(phase).map_err(|e| match e {
            Error::Invalid { field, reason } => Error::Invalid {
                field: format!("rules[{i}].{field}"),
                reason,
            },
            other => other,
        })?;
        if !refs.insert(rule.rule_ref.as_str()) {
            return Err(Error::invalid(
                format!("rules[{i}].ref"),
                format!("duplicate ref {:?}", rule.rule_ref),
            ));
        }
    }
    Ok(())
}

/// `PUT /zones/{zone}/rulesets/phases/{phase}/entrypoint` with the complete rule list (the PUT
/// replaces every rule; `name` and `kind` are not sent).
pub fn put_entrypoint_request(
    zone_id: &str,
    phase: &Phase,
    description: &str,
    rules: &[Rule],
) -> Result<RequestSpec> {
    let path = entrypoint_path(zone_id, phase)?;
    validate_rules(phase, rules)?;
    RequestSpec::new(Method::PUT, path)
        .with_json(&serde_json::json!({ "description": description, "rules": rules }))
        .map_err(Error::from)
}

/// `GET /zones/{zone}/rulesets?cursor=&per_page=` (cursor paging).
pub fn list_request(zone_id: &str, cursor: Option<&str>, per_page: u32) -> Result<RequestSpec> {
    check_id("zone_id", zone_id)?;
    let mut spec = RequestSpec::get(format!("/zones/{zone_id}/rulesets"))
        .with_query("per_page", per_page.to_string());
    if let Some(c) = cursor {
        spec = spec.with_query("cursor", c);
    }
    Ok(spec)
}

/// Ruleset calls for one zone; from [`Client::rulesets`].
#[derive(Debug, Clone)]
pub struct RulesetsApi<'a> {
    pub(super) client: &'a Client,
    pub(super) zone_id: String,
}

impl<'a> RulesetsApi<'a> {
    pub(crate) fn new(client: &'a Client, zone_id: &str) -> Self {
        Self {
            client,
            zone_id: zone_id.to_owned(),
        }
    }

    /// The phase's entry point ruleset, or `None` when the phase has none yet.
    pub async fn get_entrypoint(&self, phase: &Phase) -> Result<Option<Ruleset>> {
        match self
            .client
            .send::<Ruleset>(&get_entrypoint_request(&self.zone_id, phase)?)
            .await
        {
            Ok(r) => Ok(Some(r.result)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Replace the phase's rules (creating the entry point if needed). Idempotent: `PUT`.
    /// Writes to the same entry point through one client are serialised.
    ///
    /// ```no_run
    /// # async fn run(client: cloudflare_client::Client) -> cloudflare_client::Result<()> {
    /// use cloudflare_client::expression::{Expr, field};
    /// use cloudflare_client::resources::rulesets::{Phase, Rule, RuleAction};
    /// let expr = field("http.request.uri.path").contains("/.git")?;
    /// let rule = Rule::new("block_vcs", RuleAction::Block, expr.to_string());
    /// client
    ///     .rulesets("023e105f4ecef8ad9ca31a8372d0c353")
    ///     .put_entrypoint(&Phase::HttpRequestFirewallCustom, "custom rules", &[rule])
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn put_entrypoint(
        &self,
        phase: &Phase,
        description: &str,
        rules: &[Rule],
    ) -> Result<Ruleset> {
        let spec = put_entrypoint_request(&self.zone_id, phase, description, rules)?;
        // One in-flight write per entry point: the API rejects concurrent updates of a ruleset.
        let lock = self
            .client
            .inner
            .ruleset_lock(&format!("{}/{}", self.zone_id, phase));
        let _guard = lock.lock().await;
        Ok(self.client.send(&spec).await?.result)
    }

    /// One page of the zone's rulesets (without rules); continue with `page.info.next_cursor()`.
    pub async fn list(&self, cursor: Option<&str>, per_page: u32) -> Result<Page<Ruleset>> {
        let spec = list_request(&self.zone_id, cursor, per_page.clamp(1, 50))?;
        let r = self.client.send::<Vec<Ruleset>>(&spec).await?;
        Ok(Page {
            items: r.result,
            info: r.info.unwrap_or_default(),
        })
    }

    /// Every ruleset of the zone, following cursors.
    pub async fn list_all(&self) -> Result<Vec<Ruleset>> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self.list(cursor.as_deref(), 50).await?;
            let next = page.info.next_cursor().map(str::to_owned);
            let empty = page.items.is_empty();
            out.extend(page.items);
            match next {
                Some(c) if !empty => cursor = Some(c),
                _ => return Ok(out),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::rulesets::{RateLimit, RuleAction};

    #[test]
    fn put_body_has_no_name_or_kind() {
        let rules = vec![Rule::new("a", RuleAction::Block, "true")];
        let r =
            put_entrypoint_request("z1", &Phase::HttpRequestFirewallCustom, "d", &rules).unwrap();
        assert_eq!(r.method, Method::PUT);
        assert_eq!(
            r.path,
            "/zones/z1/rulesets/phases/http_request_firewall_custom/entrypoint"
        );
        let body = r.body.unwrap();
        assert!(body.get("name").is_none() && body.get("kind").is_none());
        assert_eq!(body["rules"][0]["ref"], "a");
    }

    #[test]
    fn duplicate_refs_and_positions() {
        let rules = vec![
            Rule::new("a", RuleAction::Block, "true"),
            Rule::new("a", RuleAction::Block, "true"),
        ];
        let e = put_entrypoint_request("z1", &Phase::HttpRequestFirewallCustom, "", &rules)
            .unwrap_err();
        assert!(e.to_string().contains("rules[1].ref"), "{e}");
        let rules =
            vec![Rule::new("a", RuleAction::Block, "true").ratelimit(RateLimit::per_ip(10, 1, 10))];
        let e = put_entrypoint_request("z1", &Phase::HttpRequestFirewallCustom, "", &rules)
            .unwrap_err();
        assert!(e.to_string().contains("rules[0].ratelimit"), "{e}");
    }

    #[test]
    fn unknown_phase_cannot_change_path() {
        let e = get_entrypoint_request("z1", &Phase::Unknown("../x".into())).unwrap_err();
        assert!(e.to_string().contains("phase"));
    }

    #[test]
    fn cursor_query() {
        let r = list_request("z1", Some("abc"), 50).unwrap();
        assert_eq!(
            r.query,
            vec![
                ("per_page".to_string(), "50".to_string()),
                ("cursor".into(), "abc".into())
            ]
        );
    }
}
