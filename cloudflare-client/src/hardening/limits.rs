//! What each plan can take: rule counts, rate-limit periods, timeouts, fields and
//! characteristics, regex, the `log` action, managed rulesets, configuration and cache rules, and
//! custom lists. Numbers from Cloudflare's WAF
//! documentation (custom rules table; rate limiting availability by plan). An unknown plan gets
//! the Free limits (the most restrictive).

use crate::expression::{fields_used, uses_operator};
use crate::resources::rulesets::{Phase, Rule, RuleAction, managed};
use crate::resources::zones::PlanTier;

/// The limits of one plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanLimits {
    /// The plan.
    pub tier: PlanTier,
    /// WAF custom rules (`http_request_firewall_custom`).
    pub custom_rules: usize,
    /// Whether `matches` (regex) may be used in custom rules.
    pub regex: bool,
    /// Whether the `log` action is available (Enterprise).
    pub log_action: bool,
    /// Rate limiting rules (`http_ratelimit`).
    pub rate_limit_rules: usize,
    /// Longest counting period, seconds.
    pub max_period: u32,
    /// Longest mitigation timeout, seconds.
    pub max_mitigation_timeout: u32,
    /// Fields a rate limiting rule's expression may use (`None` = any).
    pub rate_limit_fields: Option<&'static [&'static str]>,
    /// Counting characteristics allowed (`None` = any).
    pub rate_limit_characteristics: Option<&'static [&'static str]>,
    /// Whether a custom counting expression is allowed.
    pub counting_expression: bool,
    /// Managed rulesets the plan may execute.
    pub managed_rulesets: &'static [&'static str],
    /// Configuration rules (`http_config_settings`).
    pub config_rules: usize,
    /// Cache rules (`http_request_cache_settings`).
    pub cache_rules: usize,
    /// Custom lists per account.
    pub custom_lists: usize,
    /// Items across all custom lists of the account.
    pub list_items: usize,
}

const FREE_FIELDS: &[&str] = &["http.request.uri.path", "cf.bot_management.verified_bot"];
const PRO_FIELDS: &[&str] = &[
    "http.host",
    "http.request.uri",
    "http.request.uri.path",
    "http.request.full_uri",
    "http.request.uri.query",
    "cf.bot_management.verified_bot",
];
const BUSINESS_FIELDS: &[&str] = &[
    "http.host",
    "http.request.uri",
    "http.request.uri.path",
    "http.request.full_uri",
    "http.request.uri.query",
    "cf.bot_management.verified_bot",
    "http.request.method",
    "ip.src",
    "http.user_agent",
];
const IP_ONLY: &[&str] = &["cf.colo.id", "ip.src"];
const IP_AND_NAT: &[&str] = &["cf.colo.id", "ip.src", "cf.unique_visitor_id"];
const FREE_MANAGED: &[&str] = &[managed::FREE_MANAGED];
const ALL_MANAGED: &[&str] = &[
    managed::FREE_MANAGED,
    managed::CLOUDFLARE_MANAGED,
    managed::OWASP_CORE,
];

impl PlanLimits {
    /// The limits of `tier`.
    pub fn for_plan(tier: &PlanTier) -> Self {
        let free = Self {
            tier: tier.clone(),
            custom_rules: 5,
            regex: false,
            log_action: false,
            rate_limit_rules: 1,
            max_period: 10,
            max_mitigation_timeout: 10,
            rate_limit_fields: Some(FREE_FIELDS),
            rate_limit_characteristics: Some(IP_ONLY),
            counting_expression: false,
            managed_rulesets: FREE_MANAGED,
            config_rules: 10,
            cache_rules: 10,
            custom_lists: 1,
            list_items: 10_000,
        };
        match tier {
            PlanTier::Pro => Self {
                custom_rules: 20,
                rate_limit_rules: 2,
                max_period: 60,
                max_mitigation_timeout: 3600,
                rate_limit_fields: Some(PRO_FIELDS),
                managed_rulesets: ALL_MANAGED,
                config_rules: 25,
                cache_rules: 25,
                custom_lists: 10,
                ..free
            },
            PlanTier::Business => Self {
                custom_rules: 100,
                regex: true,
                rate_limit_rules: 5,
                max_period: 600,
                max_mitigation_timeout: 86400,
                rate_limit_fields: Some(BUSINESS_FIELDS),
                rate_limit_characteristics: Some(IP_AND_NAT),
                counting_expression: true,
                managed_rulesets: ALL_MANAGED,
                config_rules: 50,
                cache_rules: 50,
                custom_lists: 10,
                ..free
            },
            PlanTier::Enterprise => Self {
                custom_rules: 1000,
                regex: true,
                log_action: true,
                rate_limit_rules: 100,
                max_period: 86400,
                max_mitigation_timeout: 86400,
                rate_limit_fields: None,
                rate_limit_characteristics: None,
                counting_expression: true,
                managed_rulesets: ALL_MANAGED,
                config_rules: 125,
                cache_rules: 300,
                custom_lists: 1000,
                list_items: 500_000,
                ..free
            },
            PlanTier::Free | PlanTier::Unknown(_) => free,
        }
    }

    /// The most rules `phase` may hold (`None` = not limited here).
    pub fn max_rules(&self, phase: &Phase) -> Option<usize> {
        match phase {
            Phase::HttpRequestFirewallCustom => Some(self.custom_rules),
            Phase::HttpRatelimit => Some(self.rate_limit_rules),
            Phase::HttpConfigSettings => Some(self.config_rules),
            Phase::HttpRequestCacheSettings => Some(self.cache_rules),
            _ => None,
        }
    }

    /// Why `rule` should not go into `phase` on this plan (empty = it can): what the API rejects
    /// ([`PlanLimits::entitlement_problems`]) plus rules that can never match (`cf.threat_score`,
    /// always 0 now). Each entry is `(field, reason)`, the field relative to the rule.
    pub fn rule_problems(&self, phase: &Phase, rule: &Rule) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let fields = fields_used(&rule.expression).unwrap_or_default();
        if fields.iter().any(|f| f == "cf.threat_score") {
            let why = "cf.threat_score is always 0 now; a rule on it never matches";
            out.push(("expression".to_owned(), why.to_owned()));
        }
        out.extend(self.entitlement_problems(phase, rule));
        out
    }

    /// What the API would reject for `rule` in `phase` on this plan.
    pub fn entitlement_problems(&self, phase: &Phase, rule: &Rule) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut bad = |f: &str, r: String| out.push((f.to_owned(), r));
        if rule.action == RuleAction::Log && !self.log_action {
            bad("action", "the log action needs Enterprise".into());
        }
        let regex = uses_operator(&rule.expression, "matches").unwrap_or(false);
        if regex && !self.regex {
            bad(
                "expression",
                "regular expressions (`matches`) need Business or above".into(),
            );
        }
        if let (Phase::HttpRatelimit, Some(allowed)) = (phase, self.rate_limit_fields) {
            let fields = fields_used(&rule.expression).unwrap_or_default();
            for f in fields.iter().filter(|f| !allowed.contains(&f.as_str())) {
                let why = format!("field {f} is not available to rate limiting rules on this plan");
                bad("expression", why);
            }
        }
        if let Some(rl) = &rule.ratelimit {
            if rl.period > self.max_period {
                bad(
                    "ratelimit.period",
                    format!(
                        "{} s is longer than this plan's {} s",
                        rl.period, self.max_period
                    ),
                );
            }
            if rl.mitigation_timeout.unwrap_or(0) > self.max_mitigation_timeout {
                bad(
                    "ratelimit.mitigation_timeout",
                    format!("longer than this plan's {} s", self.max_mitigation_timeout),
                );
            }
            if let Some(allowed) = self.rate_limit_characteristics {
                for c in rl
                    .characteristics
                    .iter()
                    .filter(|c| !allowed.contains(&c.as_str()))
                {
                    bad(
                        "ratelimit.characteristics",
                        format!("{c} is not available on this plan"),
                    );
                }
            }
            if rl.counting_expression.is_some() && !self.counting_expression {
                bad(
                    "ratelimit.counting_expression",
                    "a custom counting expression needs Business or above".into(),
                );
            }
        }
        if rule.action == RuleAction::Execute
            && let Some(id) = rule
                .action_parameters
                .as_ref()
                .and_then(|p| p.id.as_deref())
            && !self.managed_rulesets.contains(&id)
        {
            bad(
                "action_parameters.id",
                format!("managed ruleset {id} is not available on this plan"),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::rulesets::RateLimit;

    #[test]
    fn free_rate_limit_rules_are_path_only_and_10s() {
        let l = PlanLimits::for_plan(&PlanTier::Free);
        let ok = Rule::new(
            "a",
            RuleAction::Block,
            r#"(starts_with(http.request.uri.path, "/api/"))"#,
        )
        .ratelimit(RateLimit::per_ip(10, 5, 10));
        assert!(l.rule_problems(&Phase::HttpRatelimit, &ok).is_empty());
        let runbook = Rule::new(
            "b",
            RuleAction::Block,
            r#"(http.request.method in {"POST"})"#,
        )
        .ratelimit(RateLimit::per_ip(60, 30, 3600));
        let p = l.rule_problems(&Phase::HttpRatelimit, &runbook);
        let fields: Vec<&str> = p.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "expression",
                "ratelimit.period",
                "ratelimit.mitigation_timeout"
            ]
        );
        let b = PlanLimits::for_plan(&PlanTier::Business);
        assert!(b.rule_problems(&Phase::HttpRatelimit, &runbook).is_empty());
    }

    #[test]
    fn threat_score_regex_log_and_managed() {
        let l = PlanLimits::for_plan(&PlanTier::Pro);
        let r = Rule::new("t", RuleAction::Block, "(cf.threat_score gt 30)");
        assert_eq!(
            l.rule_problems(&Phase::HttpRequestFirewallCustom, &r).len(),
            1
        );
        let r = Rule::new("t", RuleAction::Log, r#"(http.host matches "a")"#);
        assert_eq!(
            l.rule_problems(&Phase::HttpRequestFirewallCustom, &r).len(),
            2
        );
        // `~` is `matches` too
        let r = Rule::new("t", RuleAction::Block, r#"(http.host ~ "a")"#);
        assert_eq!(
            l.rule_problems(&Phase::HttpRequestFirewallCustom, &r).len(),
            1
        );
        let free = PlanLimits::for_plan(&PlanTier::Free);
        let owasp = Rule::execute("o", managed::OWASP_CORE, None);
        assert_eq!(
            free.rule_problems(&Phase::HttpRequestFirewallManaged, &owasp)
                .len(),
            1
        );
        assert!(
            l.rule_problems(&Phase::HttpRequestFirewallManaged, &owasp)
                .is_empty()
        );
        assert_eq!(
            PlanLimits::for_plan(&PlanTier::Unknown("x".into())).custom_rules,
            5
        );
    }
}
