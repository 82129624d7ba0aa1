//! Diff of a desired [`ZoneHardening`] against a zone's current state.

use std::fmt;

use super::limits::PlanLimits;
use super::lists::{CurrentList, diff_lists};
use super::{PhaseRules, ZoneHardening};
use crate::client::Client;
use crate::error::Result;
use crate::expression::lists_used;
use crate::resources::bot_management::BotManagement;
use crate::resources::lists::ListItem;
use crate::resources::rulesets::{Phase, Rule, Ruleset};
use crate::resources::settings::ZoneSettings;
use crate::resources::zones::PlanTier;

/// Something the desired state asks for that the zone's plan cannot take; it is not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    /// Where: e.g. `http_ratelimit.rules[api_mutations].ratelimit.period`, `bot_management.fight_mode`.
    pub field: String,
    /// Why.
    pub reason: String,
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

/// One change the apply will make.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Change {
    /// Settings to change (one bulk edit).
    Settings {
        /// Current values of the fields that change.
        from: ZoneSettings,
        /// New values (only the fields that change).
        to: ZoneSettings,
    },
    /// A phase entry point to replace (one `PUT`).
    Rules {
        /// The phase.
        phase: Phase,
        /// Refs added.
        added: Vec<String>,
        /// Refs whose rule changed.
        changed: Vec<String>,
        /// Refs removed.
        removed: Vec<String>,
        /// Entry point description.
        description: String,
        /// The complete rule list to `PUT`.
        rules: Vec<Rule>,
    },
    /// Bot management fields to set (one `PUT`).
    BotManagement {
        /// Current configuration.
        from: BotManagement,
        /// Fields to set.
        to: BotManagement,
    },
    /// An account IP list to create and/or fill (its items replaced with one `PUT`).
    List {
        /// The account.
        account_id: String,
        /// The list's id, `None` when it is created.
        list_id: Option<String>,
        /// List name.
        name: String,
        /// Description (used when created).
        description: String,
        /// Items added.
        added: Vec<String>,
        /// Items removed.
        removed: Vec<String>,
        /// Every item the list holds afterwards.
        items: Vec<ListItem>,
    },
    /// Zone-level Authenticated Origin Pulls to switch (one `PUT`).
    OriginPulls {
        /// Current value.
        from: bool,
        /// New value.
        to: bool,
    },
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Settings { from, to } => {
                write!(f, "settings:")?;
                let before = from.items();
                for item in to.items() {
                    let old = before
                        .iter()
                        .find(|i| i.id == item.id)
                        .map_or("unset".to_owned(), |i| i.value.to_string());
                    write!(f, " {} {} -> {};", item.id, old, item.value)?;
                }
                Ok(())
            }
            Change::Rules {
                phase,
                added,
                changed,
                removed,
                ..
            } => {
                write!(
                    f,
                    "{phase}: add {added:?}, change {changed:?}, remove {removed:?}"
                )
            }
            Change::BotManagement { to, .. } => {
                write!(
                    f,
                    "bot_management: set {}",
                    serde_json::to_string(to).unwrap_or_default()
                )
            }
            Change::List {
                list_id,
                name,
                added,
                removed,
                ..
            } => {
                let verb = if list_id.is_none() {
                    "create"
                } else {
                    "update"
                };
                write!(f, "list ${name}: {verb}, add {added:?}, remove {removed:?}")
            }
            Change::OriginPulls { from, to } => {
                write!(f, "authenticated origin pulls: {from} -> {to}")
            }
        }
    }
}

/// The diff for one zone.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Zone id.
    pub zone_id: String,
    /// The zone's plan tier.
    pub tier: PlanTier,
    /// Changes apply will make, in order.
    pub changes: Vec<Change>,
    /// What the zone's plan cannot take (left out of `changes`).
    pub unsupported: Vec<Unsupported>,
}

impl Plan {
    /// Whether apply has nothing to do.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// The change that sets Authenticated Origin Pulls to `want`, if it is not already.
pub fn diff_origin_pulls(want: Option<bool>, have: bool) -> Option<Change> {
    want.filter(|w| *w != have)
        .map(|to| Change::OriginPulls { from: have, to })
}

/// Read the zone's current state (zone plan, settings, the desired phases' entry points, bot
/// management, Authenticated Origin Pulls, the account's lists) and diff it against `desired`.
/// List changes come first, so a rule never references a list that does not exist yet.
pub async fn plan(client: &Client, zone_id: &str, desired: &ZoneHardening) -> Result<Plan> {
    let zone = client.zones().get(zone_id).await?;
    let tier = zone.plan_tier();
    let mut extra = Vec::new();
    let mut unsupported = Vec::new();
    let mut missing_lists = Vec::new();
    if !desired.ip_lists.is_empty() {
        match &zone.account {
            Some(account) => {
                let lists_api = client.lists(&account.id);
                let mut current: Vec<CurrentList> = Vec::new();
                for list in lists_api.list().await? {
                    let items = if desired.ip_lists.iter().any(|l| l.name == list.name) {
                        lists_api.items(&list.id).await?
                    } else {
                        Vec::new()
                    };
                    current.push((list, items));
                }
                let limits = PlanLimits::for_plan(&tier);
                let (changes, missing) = diff_lists(
                    &limits,
                    &account.id,
                    &desired.ip_lists,
                    &current,
                    &mut unsupported,
                );
                extra.extend(changes);
                missing_lists = missing;
            }
            None => {
                unsupported.push(Unsupported {
                    field: "lists".into(),
                    reason: "the zone's account is not visible to this token".into(),
                });
                missing_lists = desired.ip_lists.iter().map(|l| l.name.clone()).collect();
            }
        }
    }
    if desired.origin_pulls.is_some() {
        let have = client.origin_pulls(zone_id).get().await?.enabled;
        extra.extend(diff_origin_pulls(desired.origin_pulls, have));
    }
    let mut desired = desired.clone();
    for phase in &mut desired.phases {
        phase.rules.retain(|rule| {
            let lists = lists_used(&rule.expression).unwrap_or_default();
            match lists.iter().find(|l| missing_lists.contains(l)) {
                Some(l) => {
                    unsupported.push(Unsupported {
                        field: format!("{}.rules[{}]", phase.phase, rule.rule_ref),
                        reason: format!("references list ${l}, which the account cannot hold"),
                    });
                    false
                }
                None => true,
            }
        });
    }
    let desired = &desired;
    let settings = if desired.settings.is_empty() {
        ZoneSettings::default()
    } else {
        client.settings(zone_id).get_all().await?
    };
    let mut current_phases = Vec::new();
    for p in &desired.phases {
        current_phases.push(client.rulesets(zone_id).get_entrypoint(&p.phase).await?);
    }
    let bot = match &desired.bot_management {
        Some(_) => Some(client.bot_management(zone_id).get().await?),
        None => None,
    };
    let mut plan = plan_for(
        zone_id,
        &tier,
        desired,
        &settings,
        &current_phases,
        bot.as_ref(),
    );
    let lists_first: Vec<Change> = extra
        .iter()
        .filter(|c| matches!(c, Change::List { .. }))
        .cloned()
        .collect();
    let others = extra
        .into_iter()
        .filter(|c| !matches!(c, Change::List { .. }));
    plan.changes.splice(0..0, lists_first);
    plan.changes.extend(others);
    plan.unsupported.extend(unsupported);
    Ok(plan)
}

/// The pure diff: `current_phases[i]` is the current entry point of `desired.phases[i]`.
pub fn plan_for(
    zone_id: &str,
    tier: &PlanTier,
    desired: &ZoneHardening,
    current_settings: &ZoneSettings,
    current_phases: &[Option<Ruleset>],
    current_bot: Option<&BotManagement>,
) -> Plan {
    let limits = PlanLimits::for_plan(tier);
    let mut changes = Vec::new();
    let mut unsupported = Vec::new();
    if let PlanTier::Unknown(name) = tier {
        unsupported.push(Unsupported {
            field: "plan".into(),
            reason: format!("unknown plan {name:?}; checked against the Free limits"),
        });
    }

    let delta = current_settings.delta_to(&desired.settings);
    if !delta.is_empty() {
        let from = ZoneSettings::from_items(
            &current_settings
                .items()
                .into_iter()
                .filter(|i| delta.items().iter().any(|d| d.id == i.id))
                .collect::<Vec<_>>(),
        );
        changes.push(Change::Settings { from, to: delta });
    }

    for (i, want) in desired.phases.iter().enumerate() {
        let current = current_phases.get(i).cloned().flatten();
        if let Some(change) = diff_phase(&limits, want, current.as_ref(), &mut unsupported) {
            changes.push(change);
        }
    }

    if let (Some(want), Some(have)) = (&desired.bot_management, current_bot) {
        let mut want = want.clone();
        for field in want.check_plan(tier) {
            unsupported.push(Unsupported {
                field: format!("bot_management.{field}"),
                reason: format!("not available on the {tier} plan's bot product"),
            });
            clear_bot_field(&mut want, field);
        }
        if want != BotManagement::default() && !want.satisfied_by(have) {
            changes.push(Change::BotManagement {
                from: have.clone(),
                to: want,
            });
        }
    }
    Plan {
        zone_id: zone_id.to_owned(),
        tier: tier.clone(),
        changes,
        unsupported,
    }
}

fn clear_bot_field(b: &mut BotManagement, field: &str) {
    match field {
        "fight_mode" => b.fight_mode = None,
        "sbfm_definitely_automated" => b.sbfm_definitely_automated = None,
        "sbfm_likely_automated" => b.sbfm_likely_automated = None,
        "sbfm_verified_bots" => b.sbfm_verified_bots = None,
        "sbfm_static_resource_protection" => b.sbfm_static_resource_protection = None,
        "optimize_wordpress" => b.optimize_wordpress = None,
        "auto_update_model" => b.auto_update_model = None,
        "suppress_session_score" => b.suppress_session_score = None,
        _ => {}
    }
}

fn diff_phase(
    limits: &PlanLimits,
    want: &PhaseRules,
    current: Option<&Ruleset>,
    unsupported: &mut Vec<Unsupported>,
) -> Option<Change> {
    let phase = &want.phase;
    let current_rules: &[Rule] = current.map(|r| r.rules.as_slice()).unwrap_or_default();
    let ours: Vec<&str> = want.rules.iter().map(|r| r.rule_ref.as_str()).collect();
    let mut target: Vec<Rule> = if want.keep_foreign_rules {
        current_rules
            .iter()
            .filter(|r| !ours.contains(&r.rule_ref.as_str()))
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    for rule in &want.rules {
        let problems = limits.rule_problems(phase, rule);
        if problems.is_empty() {
            target.push(rule.clone());
        } else {
            unsupported.extend(problems.into_iter().map(|(f, reason)| Unsupported {
                field: format!("{phase}.rules[{}].{f}", rule.rule_ref),
                reason,
            }));
        }
    }
    if let Some(max) = limits.max_rules(phase)
        && target.len() > max
    {
        for dropped in target.drain(max..) {
            unsupported.push(Unsupported {
                field: format!("{phase}.rules[{}]", dropped.rule_ref),
                reason: format!("the plan allows {max} rules in {phase}"),
            });
        }
    }
    let same = target.len() == current_rules.len()
        && target
            .iter()
            .zip(current_rules)
            .all(|(w, h)| w.satisfied_by(h));
    if same {
        return None;
    }
    let find = |r: &str| current_rules.iter().find(|c| c.rule_ref == r);
    let added = target
        .iter()
        .filter(|t| find(&t.rule_ref).is_none())
        .map(|t| t.rule_ref.clone())
        .collect();
    let changed = target
        .iter()
        .filter(|t| find(&t.rule_ref).is_some_and(|c| !t.satisfied_by(c)))
        .map(|t| t.rule_ref.clone())
        .collect();
    let removed = current_rules
        .iter()
        .filter(|c| !target.iter().any(|t| t.rule_ref == c.rule_ref))
        .map(|c| {
            if c.rule_ref.is_empty() {
                c.id.clone().unwrap_or_default()
            } else {
                c.rule_ref.clone()
            }
        })
        .collect();
    Some(Change::Rules {
        phase: phase.clone(),
        added,
        changed,
        removed,
        description: want.description.clone(),
        rules: target,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::rulesets::{RateLimit, RuleAction};
    use crate::resources::settings::{SslMode, Tls13};

    fn desired() -> ZoneHardening {
        ZoneHardening {
            settings: ZoneSettings {
                ssl: Some(SslMode::Strict),
                tls_1_3: Some(Tls13::On),
                ..Default::default()
            },
            phases: vec![PhaseRules::exclusive(
                Phase::HttpRatelimit,
                "rl",
                vec![
                    Rule::new("a", RuleAction::Block, "(http.request.uri.path eq \"/a\")")
                        .ratelimit(RateLimit::per_ip(10, 5, 10)),
                    Rule::new("b", RuleAction::Block, "(http.request.uri.path eq \"/b\")")
                        .ratelimit(RateLimit::per_ip(10, 5, 10)),
                ],
            )],
            bot_management: None,
            ..Default::default()
        }
    }

    #[test]
    fn free_plan_reports_the_second_rate_limit_rule() {
        let cur = ZoneSettings {
            ssl: Some(SslMode::Flexible),
            tls_1_3: Some(Tls13::On),
            ..Default::default()
        };
        let p = plan_for("z", &PlanTier::Free, &desired(), &cur, &[None], None);
        assert_eq!(p.changes.len(), 2);
        assert!(
            matches!(&p.changes[0], Change::Settings { to, .. } if to.ssl == Some(SslMode::Strict) && to.tls_1_3.is_none())
        );
        assert!(
            matches!(&p.changes[1], Change::Rules { rules, added, .. } if rules.len() == 1 && added == &["a"])
        );
        assert_eq!(p.unsupported.len(), 1);
        assert!(
            p.unsupported[0].field.contains("rules[b]"),
            "{}",
            p.unsupported[0]
        );
        let p = plan_for("z", &PlanTier::Pro, &desired(), &cur, &[None], None);
        assert!(p.unsupported.is_empty());
    }

    #[test]
    fn config_and_cache_rules_are_capped_per_plan() {
        use crate::resources::rulesets::{CacheSettings, ConfigSettings};
        use crate::resources::settings::SecurityLevel;
        let level = ConfigSettings {
            security_level: Some(SecurityLevel::High),
            ..Default::default()
        };
        let config: Vec<Rule> = (0..11)
            .map(|i| Rule::set_config(format!("c{i}"), "true", &level).unwrap())
            .collect();
        let cache: Vec<Rule> = (0..26)
            .map(|i| {
                Rule::set_cache_settings(format!("k{i}"), "true", &CacheSettings::bypass()).unwrap()
            })
            .collect();
        let desired = ZoneHardening {
            phases: vec![
                PhaseRules::exclusive(Phase::HttpConfigSettings, "c", config),
                PhaseRules::exclusive(Phase::HttpRequestCacheSettings, "k", cache),
            ],
            ..Default::default()
        };
        let none = ZoneSettings::default();
        let free = plan_for("z", &PlanTier::Free, &desired, &none, &[None, None], None);
        let dropped: Vec<&str> = free.unsupported.iter().map(|u| u.field.as_str()).collect();
        assert_eq!(dropped.len(), 1 + 16, "{dropped:?}");
        assert!(dropped.contains(&"http_config_settings.rules[c10]"));
        let pro = plan_for("z", &PlanTier::Pro, &desired, &none, &[None, None], None);
        assert_eq!(pro.unsupported.len(), 1, "{:?}", pro.unsupported);
        assert!(pro.unsupported[0].field.contains("rules[k25]"));
    }

    #[test]
    fn satisfied_state_is_an_empty_plan() {
        let d = desired();
        let cur = ZoneSettings {
            ssl: Some(SslMode::Strict),
            tls_1_3: Some(Tls13::On),
            ..Default::default()
        };
        let mut rules = d.phases[0].rules.clone();
        for (i, r) in rules.iter_mut().enumerate() {
            r.id = Some(format!("id{i}"));
            r.version = Some("1".into());
        }
        let rs = Ruleset {
            id: "r".into(),
            name: None,
            description: None,
            kind: None,
            phase: None,
            version: None,
            last_updated: None,
            rules,
        };
        let p = plan_for("z", &PlanTier::Pro, &d, &cur, &[Some(rs)], None);
        assert!(p.is_empty(), "{:?}", p.changes);
    }
}
