//! Zones: `GET /zones/{id}`, `GET /zones?name=`, and the zone's plan.

use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::enums::api_enum;
use crate::error::Result;
use crate::pagination::Page;
use crate::transport::request::{RequestSpec, check_id};

api_enum! {
    /// Zone status.
    pub enum ZoneStatus {
        /// Set up and serving.
        Active => "active",
        /// Waiting for the name servers to change.
        Pending => "pending",
        /// Created, not yet set up.
        Initializing => "initializing",
        /// Moved away.
        Moved => "moved",
        /// Deleted.
        Deleted => "deleted",
        /// Deactivated.
        Deactivated => "deactivated",
    }
}

api_enum! {
    /// The plan tier, which decides rule counts, rate-limit periods and bot fields.
    pub enum PlanTier {
        /// Free.
        Free => "free",
        /// Pro.
        Pro => "pro",
        /// Business.
        Business => "business",
        /// Enterprise.
        Enterprise => "enterprise",
    }
}

impl PlanTier {
    /// The four plans this crate knows, cheapest first.
    pub fn known() -> [PlanTier; 4] {
        [Self::Free, Self::Pro, Self::Business, Self::Enterprise]
    }
}

/// A zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Zone {
    /// Zone id (32 hex).
    pub id: String,
    /// Domain name.
    pub name: String,
    /// Status.
    #[serde(default)]
    pub status: Option<ZoneStatus>,
    /// Whether the zone is paused.
    #[serde(default)]
    pub paused: Option<bool>,
    /// Assigned Cloudflare name servers.
    #[serde(default)]
    pub name_servers: Vec<String>,
    /// The zone's plan.
    #[serde(default)]
    pub plan: Option<ZonePlan>,
    /// The account owning the zone (its id scopes lists and account rulesets).
    #[serde(default)]
    pub account: Option<ZoneAccount>,
}

/// The `account` object of a zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ZoneAccount {
    /// Account id.
    pub id: String,
    /// Account name.
    #[serde(default)]
    pub name: Option<String>,
}

impl Zone {
    /// The plan tier (Free when the API sent no plan).
    pub fn plan_tier(&self) -> PlanTier {
        self.plan.as_ref().map_or(PlanTier::Free, ZonePlan::tier)
    }
}

/// The `plan` object of a zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ZonePlan {
    /// Plan id.
    #[serde(default)]
    pub id: Option<String>,
    /// Display name, e.g. "Free Website".
    #[serde(default)]
    pub name: Option<String>,
    /// `free`, `pro`, `business` or `enterprise`.
    #[serde(default)]
    pub legacy_id: Option<String>,
}

impl ZonePlan {
    /// The tier, from `legacy_id`, else guessed from the display name.
    pub fn tier(&self) -> PlanTier {
        if let Some(id) = &self.legacy_id {
            return PlanTier::from(id.as_str());
        }
        let name = self
            .name
            .as_deref()
            .unwrap_or_default()
            .to_ascii_lowercase();
        for tier in [
            PlanTier::Enterprise,
            PlanTier::Business,
            PlanTier::Pro,
            PlanTier::Free,
        ] {
            if name.contains(tier.as_str()) {
                return tier;
            }
        }
        PlanTier::Unknown(name)
    }
}

/// `GET /zones/{id}`.
pub fn get_request(zone_id: &str) -> Result<RequestSpec> {
    check_id("zone_id", zone_id)?;
    Ok(RequestSpec::get(format!("/zones/{zone_id}")))
}

/// `GET /zones?name=NAME`.
pub fn by_name_request(name: &str) -> Result<RequestSpec> {
    crate::resources::dns::check_dns_name("name", name)?;
    Ok(RequestSpec::get("/zones")
        .with_query("name", name)
        .with_query("per_page", "5"))
}

/// `GET /zones?page=&per_page=`.
pub fn list_request(page: u32, per_page: u32) -> RequestSpec {
    RequestSpec::get("/zones")
        .with_query("page", page.to_string())
        .with_query("per_page", per_page.to_string())
}

/// Zone calls; from [`Client::zones`].
#[derive(Debug, Clone, Copy)]
pub struct ZonesApi<'a> {
    client: &'a Client,
}

impl<'a> ZonesApi<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Self { client }
    }

    /// Get a zone by id.
    pub async fn get(&self, zone_id: &str) -> Result<Zone> {
        Ok(self.client.send(&get_request(zone_id)?).await?.result)
    }

    /// Find a zone by its domain name; `None` when the token sees no such zone.
    pub async fn get_by_name(&self, name: &str) -> Result<Option<Zone>> {
        let zones: Vec<Zone> = self.client.send(&by_name_request(name)?).await?.result;
        Ok(zones
            .into_iter()
            .find(|z| z.name.eq_ignore_ascii_case(name)))
    }

    /// One page of zones.
    pub async fn list(&self, page: u32, per_page: u32) -> Result<Page<Zone>> {
        let r = self
            .client
            .send::<Vec<Zone>>(&list_request(page.max(1), per_page.clamp(5, 50)))
            .await?;
        Ok(Page {
            items: r.result,
            info: r.info.unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_tier_from_legacy_id_or_name() {
        let p = ZonePlan {
            id: None,
            name: Some("Pro Website".into()),
            legacy_id: None,
        };
        assert_eq!(p.tier(), PlanTier::Pro);
        let p = ZonePlan {
            id: None,
            name: None,
            legacy_id: Some("business".into()),
        };
        assert_eq!(p.tier(), PlanTier::Business);
        let p = ZonePlan {
            id: None,
            name: None,
            legacy_id: Some("galactic".into()),
        };
        assert_eq!(p.tier(), PlanTier::Unknown("galactic".into()));
    }

    #[test]
    fn requests() {
        assert_eq!(get_request("abc").unwrap().path, "/zones/abc");
        assert!(get_request("a/b").is_err());
        let r = by_name_request("example.com").unwrap();
        assert_eq!(r.query[0], ("name".into(), "example.com".into()));
        assert!(by_name_request("exa mple.com").is_err());
    }

    #[test]
    fn unknown_status_and_fields_are_kept() {
        let z: Zone = serde_json::from_str(
            r#"{"id":"z1","name":"a.com","status":"hibernating","new_field":1,"plan":{"legacy_id":"free"}}"#,
        )
        .unwrap();
        assert_eq!(z.status, Some(ZoneStatus::Unknown("hibernating".into())));
        assert_eq!(z.plan_tier(), PlanTier::Free);
    }
}
