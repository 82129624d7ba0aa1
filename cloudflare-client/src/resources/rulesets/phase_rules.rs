//! Which actions each phase accepts, and the keys a `set_config` rule may set, as the Rulesets
//! API enforces them: block and the challenges belong in the custom and rate limiting phases,
//! `set_config` only in `http_config_settings`, `set_cache_settings` only in
//! `http_request_cache_settings`, and `execute` (of a managed ruleset) only in
//! `http_request_firewall_managed` (or `ddos_l7` for its overrides).

use super::model::{Phase, Rule, RuleAction, managed};
use crate::error::{Error, Result};

/// `action_parameters` keys of a `set_config` rule (the OpenAPI document's
/// `rulesets_SetConfigRule.action_parameters`).
pub const SET_CONFIG_KEYS: [&str; 17] = [
    "automatic_https_rewrites",
    "autominify",
    "bic",
    "disable_apps",
    "disable_rum",
    "disable_zaraz",
    "email_obfuscation",
    "fonts",
    "hotlink_protection",
    "mirage",
    "opportunistic_encryption",
    "polish",
    "rocket_loader",
    "security_level",
    "server_side_excludes",
    "ssl",
    "sxg",
];

const FIREWALL: &[RuleAction] = &[
    RuleAction::Block,
    RuleAction::Challenge,
    RuleAction::JsChallenge,
    RuleAction::ManagedChallenge,
    RuleAction::Log,
    RuleAction::Skip,
];
const MANAGED: &[RuleAction] = &[RuleAction::Execute, RuleAction::Skip];
const CONFIG: &[RuleAction] = &[RuleAction::SetConfig];
const CACHE: &[RuleAction] = &[RuleAction::SetCacheSettings];

/// The actions a rule in `phase` may take (`None`: phases this crate does not model; the API
/// decides).
pub fn allowed_actions(phase: &Phase) -> Option<&'static [RuleAction]> {
    Some(match phase {
        Phase::HttpRequestFirewallCustom | Phase::HttpRatelimit => FIREWALL,
        Phase::HttpRequestFirewallManaged | Phase::DdosL7 => MANAGED,
        Phase::HttpConfigSettings => CONFIG,
        Phase::HttpRequestCacheSettings => CACHE,
        _ => return None,
    })
}

/// Refuse an action the phase does not take, an `execute` of a managed ruleset outside the
/// managed phase, and unknown `set_config` keys.
pub(super) fn check(rule: &Rule, phase: &Phase) -> Result<()> {
    if let Some(allowed) = allowed_actions(phase)
        && !allowed.contains(&rule.action)
    {
        let names: Vec<&str> = allowed.iter().map(RuleAction::as_str).collect();
        return Err(Error::invalid(
            "action",
            format!(
                "{} is not allowed in phase {phase} (allowed: {})",
                rule.action,
                names.join(", ")
            ),
        ));
    }
    let target = rule
        .action_parameters
        .as_ref()
        .and_then(|p| p.id.as_deref());
    if rule.action == RuleAction::Execute
        && target.is_some_and(|id| {
            [
                managed::CLOUDFLARE_MANAGED,
                managed::OWASP_CORE,
                managed::FREE_MANAGED,
            ]
            .contains(&id)
        })
        && *phase != Phase::HttpRequestFirewallManaged
    {
        return Err(Error::invalid(
            "action_parameters.id",
            format!(
                "a managed ruleset is executed from http_request_firewall_managed, not {phase}"
            ),
        ));
    }
    if rule.action == RuleAction::SetConfig
        && let Some(params) = &rule.action_parameters
        && let Some(key) = params
            .extra
            .keys()
            .find(|k| !SET_CONFIG_KEYS.contains(&k.as_str()))
    {
        return Err(Error::invalid(
            format!("action_parameters.{key}"),
            format!(
                "not a set_config setting (known: {})",
                SET_CONFIG_KEYS.join(", ")
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::rulesets::ConfigSettings;

    #[test]
    fn actions_per_phase() {
        let block = Rule::new("b", RuleAction::Block, "true");
        assert!(check(&block, &Phase::HttpRequestFirewallCustom).is_ok());
        for phase in [
            Phase::HttpConfigSettings,
            Phase::HttpRequestCacheSettings,
            Phase::HttpRequestFirewallManaged,
        ] {
            let e = check(&block, &phase).unwrap_err().to_string();
            assert!(e.contains("`action`") && e.contains("block"), "{e}");
        }
        let exec = Rule::execute("m", managed::FREE_MANAGED, None);
        assert!(check(&exec, &Phase::HttpRequestFirewallManaged).is_ok());
        let e = check(&exec, &Phase::HttpRequestFirewallCustom).unwrap_err();
        assert!(e.to_string().contains("execute"), "{e}");
        let e = check(&exec, &Phase::DdosL7).unwrap_err();
        assert!(e.to_string().contains("action_parameters.id"), "{e}");
    }

    #[test]
    fn set_config_keys() {
        let ok = Rule::set_config(
            "c",
            "true",
            &ConfigSettings {
                bic: Some(true),
                ..Default::default()
            },
        )
        .unwrap();
        assert!(check(&ok, &Phase::HttpConfigSettings).is_ok());
        let mut bad = ok.clone();
        bad.action_parameters
            .as_mut()
            .unwrap()
            .extra
            .insert("browser_check".into(), true.into());
        let e = check(&bad, &Phase::HttpConfigSettings).unwrap_err();
        assert!(
            e.to_string().contains("action_parameters.browser_check"),
            "{e}"
        );
    }
}
