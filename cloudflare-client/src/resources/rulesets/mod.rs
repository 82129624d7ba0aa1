//! Rulesets API: the zone's phase entry points for WAF custom rules (`http_request_firewall_custom`),
//! rate limiting rules (`http_ratelimit`) and managed rulesets (`http_request_firewall_managed`).
//! The legacy Firewall Rules, Filters, WAF packages and Rate Limiting endpoints (deprecated
//! 2025-06-15) are not offered. Every rule carries a stable `ref`, so a full-replace `PUT` keeps
//! rule identity and a second apply changes nothing.

mod api;
mod model;

pub use api::{RulesetsApi, get_entrypoint_request, list_request, put_entrypoint_request};
pub use model::{
    ActionParameters, BlockResponse, CategoryOverride, Overrides, Phase, RateLimit, Rule,
    RuleAction, RuleOverride, Ruleset, RulesetKind, managed,
};
