//! Bot management (`GET`/`PUT /zones/{id}/bot_management`). The body's fields depend on the
//! plan: Free has Bot Fight Mode, Pro/Business have Super Bot Fight Mode (Business adds
//! `sbfm_likely_automated`), Enterprise has Bot Management. Sending another plan's fields fails,
//! so [`BotManagement::check_plan`] says which fields the plan cannot take.

use http::Method;
use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::enums::api_enum;
use crate::error::{Error, Result};
use crate::resources::zones::PlanTier;
use crate::transport::request::{RequestSpec, check_id};

api_enum! {
    /// What Super Bot Fight Mode does with a bot class.
    pub enum SbfmAction {
        /// Allow.
        Allow => "allow",
        /// Block.
        Block => "block",
        /// Managed challenge.
        ManagedChallenge => "managed_challenge",
    }
}

/// Bot management configuration. `None` fields are not sent (and were not returned).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BotManagement {
    /// Free: Bot Fight Mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fight_mode: Option<bool>,
    /// All plans: JavaScript detections.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_js: Option<bool>,
    /// Pro+: definitely automated traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sbfm_definitely_automated: Option<SbfmAction>,
    /// Business+: likely automated traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sbfm_likely_automated: Option<SbfmAction>,
    /// Pro+: verified bots (`allow` or `block`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sbfm_verified_bots: Option<SbfmAction>,
    /// Pro+: protect static resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sbfm_static_resource_protection: Option<bool>,
    /// Pro+: optimise for WordPress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optimize_wordpress: Option<bool>,
    /// Enterprise: automatically update the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_update_model: Option<bool>,
    /// Enterprise: suppress the session score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppress_session_score: Option<bool>,
    /// Read-only: whether the latest model is used (never sent).
    #[serde(default, skip_serializing)]
    pub using_latest_model: Option<bool>,
}

impl BotManagement {
    /// The names of set fields that `plan` cannot take (empty = fine).
    pub fn check_plan(&self, plan: &PlanTier) -> Vec<&'static str> {
        let mut bad = Vec::new();
        let free_only = [("fight_mode", self.fight_mode.is_some())];
        let pro_up = [
            (
                "sbfm_definitely_automated",
                self.sbfm_definitely_automated.is_some(),
            ),
            ("sbfm_verified_bots", self.sbfm_verified_bots.is_some()),
            (
                "sbfm_static_resource_protection",
                self.sbfm_static_resource_protection.is_some(),
            ),
            ("optimize_wordpress", self.optimize_wordpress.is_some()),
        ];
        let business = [(
            "sbfm_likely_automated",
            self.sbfm_likely_automated.is_some(),
        )];
        let enterprise = [
            ("auto_update_model", self.auto_update_model.is_some()),
            (
                "suppress_session_score",
                self.suppress_session_score.is_some(),
            ),
        ];
        let (ok_free, ok_pro, ok_business, ok_ent) = match plan {
            PlanTier::Free => (true, false, false, false),
            PlanTier::Pro => (false, true, false, false),
            PlanTier::Business => (false, true, true, false),
            PlanTier::Enterprise => (false, false, false, true),
            PlanTier::Unknown(_) => (false, false, false, false),
        };
        for (ok, group) in [
            (ok_free, &free_only[..]),
            (ok_pro, &pro_up[..]),
            (ok_business, &business[..]),
            (ok_ent, &enterprise[..]),
        ] {
            if !ok {
                bad.extend(group.iter().filter(|(_, set)| *set).map(|(n, _)| *n));
            }
        }
        if self.sbfm_verified_bots == Some(SbfmAction::ManagedChallenge) {
            bad.push("sbfm_verified_bots");
        }
        bad
    }

    /// Whether every field set in `self` has the same value in `current`.
    pub fn satisfied_by(&self, current: &BotManagement) -> bool {
        let want = serde_json::to_value(self).unwrap_or_default();
        let have = serde_json::to_value(current).unwrap_or_default();
        crate::json_subset(&want, &have)
    }
}

/// `GET /zones/{zone}/bot_management`.
pub fn get_request(zone_id: &str) -> Result<RequestSpec> {
    check_id("zone_id", zone_id)?;
    Ok(RequestSpec::get(format!("/zones/{zone_id}/bot_management")))
}

/// `PUT /zones/{zone}/bot_management`, refused client-side when the plan cannot take a field.
pub fn put_request(zone_id: &str, plan: &PlanTier, config: &BotManagement) -> Result<RequestSpec> {
    check_id("zone_id", zone_id)?;
    if let Some(field) = config.check_plan(plan).first() {
        return Err(Error::PlanLimit {
            plan: plan.to_string(),
            field: format!("bot_management.{field}"),
            reason: "this field belongs to another plan's bot product".into(),
        });
    }
    RequestSpec::new(Method::PUT, format!("/zones/{zone_id}/bot_management"))
        .with_json(config)
        .map_err(Error::from)
}

/// Bot management calls for one zone; from [`Client::bot_management`].
#[derive(Debug, Clone)]
pub struct BotManagementApi<'a> {
    client: &'a Client,
    zone_id: String,
}

impl<'a> BotManagementApi<'a> {
    pub(crate) fn new(client: &'a Client, zone_id: &str) -> Self {
        Self {
            client,
            zone_id: zone_id.to_owned(),
        }
    }

    /// Read the configuration.
    pub async fn get(&self) -> Result<BotManagement> {
        Ok(self.client.send(&get_request(&self.zone_id)?).await?.result)
    }

    /// Write the configuration for a zone on `plan` (see [`BotManagement::check_plan`]).
    pub async fn put(&self, plan: &PlanTier, config: &BotManagement) -> Result<BotManagement> {
        Ok(self
            .client
            .send(&put_request(&self.zone_id, plan, config)?)
            .await?
            .result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runbook_body_fits_no_plan() {
        // The runbook sends fight_mode together with SBFM fields: valid on no single plan.
        let runbook = BotManagement {
            fight_mode: Some(true),
            sbfm_definitely_automated: Some(SbfmAction::Block),
            sbfm_likely_automated: Some(SbfmAction::ManagedChallenge),
            ..Default::default()
        };
        for plan in [
            PlanTier::Free,
            PlanTier::Pro,
            PlanTier::Business,
            PlanTier::Enterprise,
        ] {
            assert!(!runbook.check_plan(&plan).is_empty(), "{plan}");
        }
        let pro = BotManagement {
            sbfm_definitely_automated: Some(SbfmAction::Block),
            ..Default::default()
        };
        assert!(pro.check_plan(&PlanTier::Pro).is_empty());
        let e = put_request("z1", &PlanTier::Free, &pro).unwrap_err();
        assert!(matches!(e, Error::PlanLimit { .. }), "{e}");
        assert!(
            put_request(
                "z1",
                &PlanTier::Free,
                &BotManagement {
                    fight_mode: Some(true),
                    ..Default::default()
                }
            )
            .is_ok()
        );
    }

    #[test]
    fn read_only_field_not_sent() {
        let b = BotManagement {
            using_latest_model: Some(true),
            enable_js: Some(true),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&b).unwrap(),
            serde_json::json!({"enable_js": true})
        );
    }
}
