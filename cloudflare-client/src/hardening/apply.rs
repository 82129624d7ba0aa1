//! Apply a [`Plan`].

use super::plan::{Change, Plan};
use crate::client::Client;
use crate::error::Result;
use crate::resources::lists::NewList;

/// What an apply did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyReport {
    /// Write requests sent (0 when the plan was empty).
    pub writes: usize,
    /// One line per applied change.
    pub applied: Vec<String>,
}

/// Apply every change of `plan`: lists first (create, replace items, wait for the operation),
/// one bulk settings edit, one `PUT` per changed phase entry point, one bot management `PUT`,
/// one Authenticated Origin Pulls `PUT`. Every write is idempotent (`PATCH`/`PUT`), so an apply interrupted by
/// an error can simply be planned and applied again.
pub async fn apply(client: &Client, plan: &Plan) -> Result<ApplyReport> {
    let mut report = ApplyReport::default();
    for change in &plan.changes {
        match change {
            Change::Settings { to, .. } => {
                client.settings(&plan.zone_id).bulk_edit(to).await?;
            }
            Change::Rules {
                phase,
                description,
                rules,
                ..
            } => {
                client
                    .rulesets(&plan.zone_id)
                    .put_entrypoint(phase, description, rules)
                    .await?;
            }
            Change::BotManagement { to, .. } => {
                client
                    .bot_management(&plan.zone_id)
                    .put(&plan.tier, to)
                    .await?;
            }
            Change::List {
                account_id,
                list_id,
                name,
                description,
                items,
                ..
            } => {
                let lists = client.lists(account_id);
                let id = match list_id {
                    Some(id) => id.clone(),
                    None => {
                        let new = NewList::ip(name.clone()).description(description.clone());
                        lists.create(&new).await?.id
                    }
                };
                let operation = lists.replace_items(&id, items).await?;
                lists.wait_for(&operation).await?;
            }
            Change::OriginPulls { to, .. } => {
                client.origin_pulls(&plan.zone_id).set(*to).await?;
            }
        }
        report.writes += 1;
        report.applied.push(change.to_string());
        tracing::info!(zone = %plan.zone_id, change = %change, "applied");
    }
    Ok(report)
}
