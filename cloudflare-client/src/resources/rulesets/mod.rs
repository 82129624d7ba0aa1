//! Rulesets API: the zone's phase entry points for WAF custom rules (`http_request_firewall_custom`),
//! rate limiting rules (`http_ratelimit`) and managed rulesets (`http_request_firewall_managed`).
//! Configuration rules (`set_config`) and cache rules (`set_cache_settings`) have typed
//! parameters; single rules can be added, edited and deleted, and versions listed and rolled
//! back. The legacy Firewall Rules, Filters, WAF packages and Rate Limiting endpoints (deprecated
//! 2025-06-15) are not offered. Every rule carries a stable `ref`, so a full-replace `PUT` keeps
//! rule identity and a second apply changes nothing.

mod actions;
mod api;
mod model;
mod phase_rules;
mod rules;

pub use actions::{
    BrowserTtl, BrowserTtlMode, CacheSettings, ConfigSettings, ConfigSsl, EdgeTtl, EdgeTtlMode,
};

pub use api::{RulesetsApi, get_entrypoint_request, list_request, put_entrypoint_request};
pub use model::{
    ActionParameters, BlockResponse, CategoryOverride, Overrides, Phase, Position, RateLimit, Rule,
    RuleAction, RuleOverride, Ruleset, RulesetKind, RulesetVersion, managed,
};
pub use phase_rules::{SET_CONFIG_KEYS, allowed_actions};
pub use rules::{
    add_rule_request, delete_rule_request, edit_rule_request, entrypoint_version_request,
    entrypoint_versions_request, get_request, version_request, versions_request,
};
