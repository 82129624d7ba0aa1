//! Declarative zone hardening: describe the desired settings, rules and bot configuration once
//! ([`ZoneHardening`]), get a diff against the zone's current state ([`plan`]), then [`apply`]
//! it. Applying twice changes nothing: the second [`plan`] is empty and `apply` sends nothing.
//!
//! The plan knows the zone's plan limits ([`limits::PlanLimits`]): whatever the plan cannot take
//! (too many rules, a 60 s rate-limit period on Free, a Pro bot field on Free, ...) is left out of
//! the changes and listed in [`Plan::unsupported`] instead of being sent and failing.
//! [`preset::runbook_baseline`] is the runbook's intent with its errata fixed.
//!
//! Beyond settings, rules and bot management, the plan covers configuration and cache rules
//! (the runbook's page rules, translated), zone-level Authenticated Origin Pulls and account IP
//! lists. Lists are written before the rules that reference them, and a rule whose list the
//! account cannot hold is left out and reported.

mod apply;
pub mod limits;
mod lists;
mod plan;
pub mod preset;

pub use apply::{ApplyReport, apply};
pub use lists::{CurrentList, diff_lists};
pub use plan::{Change, Plan, Unsupported, diff_origin_pulls, plan, plan_for};

use crate::resources::bot_management::BotManagement;
use crate::resources::lists::ListItem;
use crate::resources::rulesets::{Phase, Rule};
use crate::resources::settings::ZoneSettings;

/// Desired rules of one phase entry point.
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseRules {
    /// The phase.
    pub phase: Phase,
    /// Description of the entry point ruleset.
    pub description: String,
    /// The rules, in order; each has a unique `ref`.
    pub rules: Vec<Rule>,
    /// Keep rules already in the phase whose `ref` is not ours (placed before ours, in their
    /// order). When false, the phase holds exactly `rules`.
    pub keep_foreign_rules: bool,
}

impl PhaseRules {
    /// Rules that own the phase exclusively.
    pub fn exclusive(phase: Phase, description: impl Into<String>, rules: Vec<Rule>) -> Self {
        Self {
            phase,
            description: description.into(),
            rules,
            keep_foreign_rules: false,
        }
    }
}

/// The desired state of a zone. `None`/empty parts are left alone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ZoneHardening {
    /// Settings to enforce (unset fields are left alone).
    pub settings: ZoneSettings,
    /// Rules per phase entry point.
    pub phases: Vec<PhaseRules>,
    /// Bot management fields to enforce.
    pub bot_management: Option<BotManagement>,
    /// Zone-level Authenticated Origin Pulls (`None`: left alone).
    pub origin_pulls: Option<bool>,
    /// Account IP lists the rules use as `$name`; each holds exactly its items after apply.
    pub ip_lists: Vec<IpList>,
}

/// A desired account IP list (e.g. the admin and office addresses a rule allows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpList {
    /// List name (`$name` in expressions).
    pub name: String,
    /// Description set when the list is created.
    pub description: String,
    /// The items the list holds, exactly.
    pub items: Vec<ListItem>,
}
