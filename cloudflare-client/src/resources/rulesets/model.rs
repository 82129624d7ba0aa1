//! Ruleset and rule models, with client-side validation.

use serde::{Deserialize, Serialize};

use crate::enums::api_enum;
use crate::error::{Error, Result};

api_enum! {
    /// A ruleset phase.
    pub enum Phase {
        /// WAF custom rules.
        HttpRequestFirewallCustom => "http_request_firewall_custom",
        /// Managed rulesets (Cloudflare Managed, OWASP).
        HttpRequestFirewallManaged => "http_request_firewall_managed",
        /// Rate limiting rules.
        HttpRatelimit => "http_ratelimit",
        /// Configuration rules.
        HttpConfigSettings => "http_config_settings",
        /// Cache rules.
        HttpRequestCacheSettings => "http_request_cache_settings",
        /// Single redirects.
        HttpRequestDynamicRedirect => "http_request_dynamic_redirect",
        /// Response header transforms.
        HttpResponseHeadersTransform => "http_response_headers_transform",
        /// Super Bot Fight Mode.
        HttpRequestSbfm => "http_request_sbfm",
        /// HTTP DDoS.
        DdosL7 => "ddos_l7",
    }
}

api_enum! {
    /// Ruleset kind.
    pub enum RulesetKind {
        /// Managed by Cloudflare.
        Managed => "managed",
        /// Custom (account).
        Custom => "custom",
        /// Account entry point.
        Root => "root",
        /// Zone entry point.
        Zone => "zone",
    }
}

api_enum! {
    /// Rule action.
    pub enum RuleAction {
        /// Block.
        Block => "block",
        /// Legacy interactive challenge.
        Challenge => "challenge",
        /// JS challenge.
        JsChallenge => "js_challenge",
        /// Managed challenge.
        ManagedChallenge => "managed_challenge",
        /// Log (Enterprise only).
        Log => "log",
        /// Skip other rules/products.
        Skip => "skip",
        /// Execute a managed ruleset.
        Execute => "execute",
        /// Configuration rule: change settings for matching requests.
        SetConfig => "set_config",
        /// Cache rule: change cache settings for matching requests.
        SetCacheSettings => "set_cache_settings",
    }
}

/// Ids of Cloudflare's managed rulesets and rules.
pub mod managed {
    /// Cloudflare Managed Ruleset (Pro and above).
    pub const CLOUDFLARE_MANAGED: &str = "efb7b8c949ac4650a09736fc376e9aee";
    /// Cloudflare OWASP Core Ruleset (Pro and above).
    pub const OWASP_CORE: &str = "4814384a9e5d4991b9815dcfc25d2f1f";
    /// Cloudflare Free Managed Ruleset (every plan).
    pub const FREE_MANAGED: &str = "77454fe2d30c4220b5701f6fdfb893ba";
    /// OWASP rule 949110 "Inbound Anomaly Score Exceeded", which carries `score_threshold`.
    pub const OWASP_ANOMALY_SCORE_RULE: &str = "6179ae15870a4bb7b2d480d4843b323c";
    /// Category tag of an OWASP paranoia level (1 to 4).
    pub fn paranoia_category(level: u8) -> String {
        format!("paranoia-level-{level}")
    }
}

/// Custom block response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockResponse {
    /// Status code, 400 to 499.
    pub status_code: u16,
    /// Body.
    pub content: String,
    /// Content type, e.g. `text/plain`.
    pub content_type: String,
}

/// Override of one managed rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleOverride {
    /// Managed rule id.
    pub id: String,
    /// Action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<RuleAction>,
    /// Enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// OWASP anomaly score threshold (lower = more sensitive; default 40).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_threshold: Option<u32>,
}

/// Override of a managed rule category (e.g. `paranoia-level-3`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryOverride {
    /// Category tag.
    pub category: String,
    /// Action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<RuleAction>,
    /// Enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

/// Overrides of an `execute` rule: rules beat categories beat the ruleset-wide values.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Overrides {
    /// Action for every rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<RuleAction>,
    /// Enable/disable every rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Category overrides.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<CategoryOverride>,
    /// Rule overrides.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RuleOverride>,
}

/// `action_parameters` (the fields this crate types; others are kept in `extra`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ActionParameters {
    /// Ruleset to execute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Overrides for `execute`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overrides: Option<Overrides>,
    /// Custom response for `block`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<BlockResponse>,
    /// Other parameters, kept as JSON.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// `ratelimit` of a rate limiting rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateLimit {
    /// Counting characteristics; `cf.colo.id` is mandatory.
    pub characteristics: Vec<String>,
    /// Counting period in seconds.
    pub period: u32,
    /// Requests allowed per period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests_per_period: Option<u32>,
    /// How long the action applies, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mitigation_timeout: Option<u32>,
    /// Count only requests matching this expression (Business+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counting_expression: Option<String>,
    /// Count requests that reach the origin only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests_to_origin: Option<bool>,
}

impl RateLimit {
    /// Periods the API accepts (not all on every plan).
    pub const PERIODS: [u32; 21] = [
        10, 15, 20, 30, 40, 45, 60, 90, 120, 180, 240, 300, 480, 600, 900, 1200, 1800, 2400, 3600,
        65535, 86400,
    ];

    /// Count per source IP per data centre: `["cf.colo.id", "ip.src"]`.
    pub fn per_ip(period: u32, requests_per_period: u32, mitigation_timeout: u32) -> Self {
        Self {
            characteristics: vec!["cf.colo.id".into(), "ip.src".into()],
            period,
            requests_per_period: Some(requests_per_period),
            mitigation_timeout: Some(mitigation_timeout),
            counting_expression: None,
            requests_to_origin: None,
        }
    }
}

/// A rule. `id`, `version` and `last_updated` are read-only and never sent; `ref` is the stable
/// identity used to compare and merge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// Rule id (read-only).
    #[serde(default, skip_serializing)]
    pub id: Option<String>,
    /// Stable reference chosen by the caller.
    #[serde(rename = "ref", default)]
    pub rule_ref: String,
    /// Rules-language expression (build it with [`crate::expression`]).
    pub expression: String,
    /// Action.
    pub action: RuleAction,
    /// Action parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_parameters: Option<ActionParameters>,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Enabled.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Rate limit (only in `http_ratelimit`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratelimit: Option<RateLimit>,
    /// Version (read-only).
    #[serde(default, skip_serializing)]
    pub version: Option<String>,
    /// Last update (read-only).
    #[serde(default, skip_serializing)]
    pub last_updated: Option<String>,
}

/// Where [`crate::resources::rulesets::RulesetsApi::add_rule`] puts a new rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Position {
    /// Before the rule with this id (empty: first).
    Before(String),
    /// After the rule with this id (empty: last).
    After(String),
    /// At this 1-based index.
    Index(u32),
}

/// One version of a ruleset, as listed by the versions endpoints (without rules).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RulesetVersion {
    /// Ruleset id.
    #[serde(default)]
    pub id: String,
    /// Version.
    pub version: String,
    /// When this version was written.
    #[serde(default)]
    pub last_updated: Option<String>,
}

fn yes() -> bool {
    true
}

impl Rule {
    /// An enabled rule.
    pub fn new(
        rule_ref: impl Into<String>,
        action: RuleAction,
        expression: impl Into<String>,
    ) -> Self {
        Self {
            id: None,
            rule_ref: rule_ref.into(),
            expression: expression.into(),
            action,
            action_parameters: None,
            description: String::new(),
            enabled: true,
            ratelimit: None,
            version: None,
            last_updated: None,
        }
    }

    /// Set the description.
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.description = d.into();
        self
    }

    /// Set the rate limit.
    pub fn ratelimit(mut self, r: RateLimit) -> Self {
        self.ratelimit = Some(r);
        self
    }

    /// Set the action parameters.
    pub fn action_parameters(mut self, p: ActionParameters) -> Self {
        self.action_parameters = Some(p);
        self
    }

    /// An `execute` rule deploying a managed ruleset on every request.
    pub fn execute(
        rule_ref: impl Into<String>,
        ruleset_id: &str,
        overrides: Option<Overrides>,
    ) -> Self {
        Self::new(rule_ref, RuleAction::Execute, "true").action_parameters(ActionParameters {
            id: Some(ruleset_id.to_owned()),
            overrides,
            ..Default::default()
        })
    }

    /// Whether `current` (as read back from the API) already is this rule: every field set here has
    /// the same value there (read-only and echoed fields such as `version: "latest"` are ignored).
    pub fn satisfied_by(&self, current: &Rule) -> bool {
        let want = serde_json::to_value(self).unwrap_or_default();
        let have = serde_json::to_value(current).unwrap_or_default();
        crate::json_subset(&want, &have)
    }

    /// Check this rule for `phase`; the field path is prefixed by the caller.
    pub fn validate(&self, phase: &Phase) -> Result<()> {
        check_ref(&self.rule_ref)?;
        if self.expression.trim().is_empty() || self.expression.len() > 4096 {
            return Err(Error::invalid("expression", "must be 1 to 4096 characters"));
        }
        if self
            .expression
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(Error::invalid(
                "expression",
                "may not contain control characters",
            ));
        }
        if self.description.chars().count() > 500 || self.description.chars().any(char::is_control)
        {
            return Err(Error::invalid(
                "description",
                "one line of at most 500 characters",
            ));
        }
        if self.action == RuleAction::Execute
            && self
                .action_parameters
                .as_ref()
                .and_then(|p| p.id.as_ref())
                .is_none()
        {
            return Err(Error::invalid(
                "action_parameters.id",
                "an execute rule names the ruleset to run",
            ));
        }
        if let Some(resp) = self
            .action_parameters
            .as_ref()
            .and_then(|p| p.response.as_ref())
            && !(400..=499).contains(&resp.status_code)
        {
            return Err(Error::invalid(
                "action_parameters.response.status_code",
                "must be 400 to 499",
            ));
        }
        let needs_phase = match self.action {
            RuleAction::SetConfig => Some(Phase::HttpConfigSettings),
            RuleAction::SetCacheSettings => Some(Phase::HttpRequestCacheSettings),
            _ => None,
        };
        if let Some(needed) = &needs_phase
            && needed != phase
        {
            return Err(Error::invalid(
                "action",
                format!("{} rules belong in phase {needed}", self.action),
            ));
        }
        if needs_phase.is_some()
            && self
                .action_parameters
                .as_ref()
                .is_none_or(|p| p.extra.is_empty())
        {
            return Err(Error::invalid(
                "action_parameters",
                "set at least one setting",
            ));
        }
        super::phase_rules::check(self, phase)?;
        crate::expression::parse(&self.expression)?;
        match (phase, &self.ratelimit) {
            (Phase::HttpRatelimit, None) => {
                return Err(Error::invalid(
                    "ratelimit",
                    "rules in http_ratelimit need a ratelimit",
                ));
            }
            (Phase::HttpRatelimit, Some(r)) => {
                if !r.characteristics.iter().any(|c| c == "cf.colo.id") {
                    return Err(Error::invalid(
                        "ratelimit.characteristics",
                        "must include cf.colo.id",
                    ));
                }
                if !RateLimit::PERIODS.contains(&r.period) {
                    return Err(Error::invalid(
                        "ratelimit.period",
                        format!("must be one of {:?}", RateLimit::PERIODS),
                    ));
                }
            }
            (_, Some(_)) => {
                return Err(Error::invalid(
                    "ratelimit",
                    "only rules in http_ratelimit take a ratelimit",
                ));
            }
            (_, None) => {}
        }
        Ok(())
    }
}

/// Check a rule `ref`: 1 to 64 characters of ASCII letters, digits and `_`.
pub(crate) fn check_ref(r: &str) -> Result<()> {
    if r.is_empty() || r.len() > 64 || !r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(Error::invalid(
            "ref",
            "every rule needs a stable ref of 1 to 64 letters, digits or '_'",
        ));
    }
    Ok(())
}

/// A ruleset as returned by the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Ruleset {
    /// Ruleset id.
    #[serde(default)]
    pub id: String,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Kind.
    #[serde(default)]
    pub kind: Option<RulesetKind>,
    /// Phase.
    #[serde(default)]
    pub phase: Option<Phase>,
    /// Version.
    #[serde(default)]
    pub version: Option<String>,
    /// Last update.
    #[serde(default)]
    pub last_updated: Option<String>,
    /// Rules (absent in list results).
    #[serde(default)]
    pub rules: Vec<Rule>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_round_trip_and_read_only_fields() {
        let r = Rule::new(
            "block_vcs",
            RuleAction::Block,
            "(http.request.uri.path contains \"/.git\")",
        );
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["ref"], "block_vcs");
        assert!(v.get("id").is_none());
        let back: Rule = serde_json::from_value(serde_json::json!({
            "id": "abc", "ref": "block_vcs", "version": "3", "action": "block", "enabled": true,
            "expression": "(http.request.uri.path contains \"/.git\")", "description": "", "categories": ["x"]
        }))
        .unwrap();
        assert!(r.satisfied_by(&back));
        let mut changed = back.clone();
        changed.enabled = false;
        assert!(!r.satisfied_by(&changed));
    }

    #[test]
    fn execute_echo_of_version_latest_is_still_satisfied() {
        let want = Rule::execute("cf_managed", managed::CLOUDFLARE_MANAGED, None);
        let mut have = want.clone();
        have.action_parameters
            .as_mut()
            .unwrap()
            .extra
            .insert("version".into(), "latest".into());
        assert!(want.satisfied_by(&have));
    }

    #[test]
    fn validation() {
        let phase = Phase::HttpRatelimit;
        let r = Rule::new("rl", RuleAction::Block, "true");
        assert!(
            r.validate(&phase)
                .unwrap_err()
                .to_string()
                .contains("ratelimit")
        );
        let mut rl = RateLimit::per_ip(10, 5, 10);
        rl.characteristics = vec!["ip.src".into()];
        let e = r.clone().ratelimit(rl).validate(&phase).unwrap_err();
        assert!(e.to_string().contains("cf.colo.id"), "{e}");
        let e = r
            .clone()
            .ratelimit(RateLimit::per_ip(11, 5, 10))
            .validate(&phase)
            .unwrap_err();
        assert!(e.to_string().contains("ratelimit.period"), "{e}");
        assert!(
            r.clone()
                .ratelimit(RateLimit::per_ip(10, 5, 10))
                .validate(&phase)
                .is_ok()
        );
        let e = Rule::new("bad ref", RuleAction::Block, "true")
            .validate(&Phase::HttpRequestFirewallCustom)
            .unwrap_err();
        assert!(e.to_string().contains("`ref`"), "{e}");
        let e = Rule::new("x", RuleAction::Execute, "true")
            .validate(&Phase::HttpRequestFirewallManaged)
            .unwrap_err();
        assert!(e.to_string().contains("action_parameters.id"), "{e}");
    }
}
