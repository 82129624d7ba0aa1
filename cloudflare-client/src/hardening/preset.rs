//! The runbook's Cloudflare intent (section 7) as a ready [`ZoneHardening`], with its errata fixed:
//!
//! * WAF custom rules through the Rulesets API (`http_request_firewall_custom`) instead of the
//!   retired Firewall Rules API; every rule has a stable `ref`.
//! * The retired WAF package "sensitivity high, challenge" becomes managed rulesets executed in
//!   `http_request_firewall_managed`: the Free Managed Ruleset on Free; the Cloudflare Managed
//!   Ruleset plus the OWASP Core Ruleset (anomaly threshold from [`OwaspSensitivity`], paranoia
//!   levels 3 and 4 off, action managed challenge) on Pro and above.
//! * Edge rate limiting through `http_ratelimit` instead of the retired Rate Limiting API, sized
//!   to the plan: the runbook's "30 mutations per 60 s" needs Business (method field, 60 s period);
//!   Pro counts every request under the API prefix per 60 s; Free allows one rule, path only,
//!   10 s period and 10 s timeout. The "simulate" health-check rule is dropped (it only logs, and
//!   `log` is Enterprise-only).
//! * Nothing on `cf.threat_score` (always 0 now; those rules never match).
//! * Settings are `PATCH`ed (bulk edit): SSL strict, TLS 1.3 on, minimum TLS 1.2, always HTTPS,
//!   automatic HTTPS rewrites, security level medium, challenge TTL 1800 s.
//! * Bot management sends only the fields of the zone's plan (the runbook's body is valid on no
//!   single plan).
//! * The section 7.5 Page Rules (legacy) become configuration rules (`set_config`: SSL strict,
//!   browser integrity check, security level medium everywhere, high on the API) and a cache
//!   rule (`set_cache_settings`: bypass on the API).
//! * Origin protection (section 7.8) adds zone-level Authenticated Origin Pulls to the IP
//!   allow-list, so an origin requiring Cloudflare's client certificate refuses direct traffic.
//! * Admin and office addresses (opt-in, [`RunbookOptions::admin_ips`]) live in one account
//!   list, `$admin_ips`, that a custom rule uses to keep admin paths to them.
//! * The geo challenge is opt-in ([`RunbookOptions::challenge_countries`]), with the current field
//!   name `ip.src.country`.

use super::{IpList, PhaseRules, ZoneHardening};
use crate::error::Result;
use crate::expression::{Expr, field};
use crate::resources::bot_management::{BotManagement, SbfmAction};
use crate::resources::lists::ListItem;
use crate::resources::rulesets::{
    CacheSettings, CategoryOverride, ConfigSettings, ConfigSsl, Overrides, Phase, RateLimit, Rule,
    RuleAction, RuleOverride, managed,
};
use crate::resources::settings::{
    ChallengeTtl, MinTlsVersion, OnOff, SecurityLevel, SslMode, Tls13, ZoneSettings,
};
use crate::resources::zones::PlanTier;

/// OWASP anomaly score threshold (a request scoring at least this is acted on; lower = more
/// sensitive). Cloudflare's default is Medium (40).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwaspSensitivity {
    /// Threshold 60.
    Low,
    /// Threshold 40 (Cloudflare's default).
    Medium,
    /// Threshold 25.
    High,
}

impl OwaspSensitivity {
    /// The `score_threshold` value.
    pub fn threshold(self) -> u32 {
        match self {
            Self::Low => 60,
            Self::Medium => 40,
            Self::High => 25,
        }
    }
}

/// Knobs of the runbook preset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunbookOptions {
    /// Path prefix of the API whose mutations are rate limited (default `/api/`).
    pub api_prefix: String,
    /// Mutations allowed per minute per IP (default 30, the runbook's number).
    pub api_mutations_per_minute: u32,
    /// OWASP sensitivity (default High, the runbook's "sensitivity high").
    pub owasp_sensitivity: OwaspSensitivity,
    /// ISO country codes to challenge (default none: the runbook's list is "adjust to your user base").
    pub challenge_countries: Vec<String>,
    /// Admin and office addresses or CIDRs (default none). When set, they go into the account
    /// list [`ADMIN_LIST`] and requests to [`RunbookOptions::admin_paths`] from anywhere else are
    /// blocked.
    pub admin_ips: Vec<String>,
    /// Path prefixes only the admin addresses may reach (default `/admin`).
    pub admin_paths: Vec<String>,
    /// Switch on zone-level Authenticated Origin Pulls (default on; harmless until the origin
    /// requires Cloudflare's client certificate, which then refuses direct connections).
    pub origin_pulls: bool,
}

/// The account list holding [`RunbookOptions::admin_ips`].
pub const ADMIN_LIST: &str = "admin_ips";

impl Default for RunbookOptions {
    fn default() -> Self {
        Self {
            api_prefix: "/api/".into(),
            api_mutations_per_minute: 30,
            owasp_sensitivity: OwaspSensitivity::High,
            challenge_countries: Vec::new(),
            admin_ips: Vec::new(),
            admin_paths: vec!["/admin".into()],
            origin_pulls: true,
        }
    }
}

/// The runbook preset with default options for a zone on `tier`.
///
/// ```
/// use cloudflare_client::{PlanTier, hardening::preset};
/// let z = preset::runbook_baseline(&PlanTier::Free)?;
/// assert_eq!(z.phases.len(), 5);
/// # Ok::<(), cloudflare_client::Error>(())
/// ```
pub fn runbook_baseline(tier: &PlanTier) -> Result<ZoneHardening> {
    runbook(tier, &RunbookOptions::default())
}

/// The settings the runbook asks for.
pub fn runbook_settings() -> Result<ZoneSettings> {
    Ok(ZoneSettings {
        ssl: Some(SslMode::Strict),
        min_tls_version: Some(MinTlsVersion::Tls1_2),
        tls_1_3: Some(Tls13::On),
        always_use_https: Some(OnOff::On),
        automatic_https_rewrites: Some(OnOff::On),
        security_level: Some(SecurityLevel::Medium),
        challenge_ttl: Some(ChallengeTtl::new(1800)?),
    })
}

/// The runbook preset for a zone on `tier`.
pub fn runbook(tier: &PlanTier, options: &RunbookOptions) -> Result<ZoneHardening> {
    let ip_lists = if options.admin_ips.is_empty() {
        Vec::new()
    } else {
        let items: Result<Vec<ListItem>> = options
            .admin_ips
            .iter()
            .map(|ip| ListItem::ip(ip).map(|i| i.comment("admin")))
            .collect();
        vec![IpList {
            name: ADMIN_LIST.into(),
            description: "Admin and office addresses".into(),
            items: items?,
        }]
    };
    Ok(ZoneHardening {
        settings: runbook_settings()?,
        phases: vec![
            custom_rules(options)?,
            rate_limit_rules(tier, options)?,
            managed_rules(tier, options),
            config_rules(options)?,
            cache_rules(options)?,
        ],
        bot_management: Some(bot_management(tier)),
        origin_pulls: Some(options.origin_pulls),
        ip_lists,
    })
}

/// The runbook's first page rule (section 7.5, every URL of the zone: SSL strict, browser
/// integrity check, security level medium) and its API page rule's security level high, as
/// configuration rules. Later rules win, so the API rule comes last. `always_use_https` is the
/// zone setting; `cache_level aggressive` is the zone's default cache level and needs no rule.
fn config_rules(options: &RunbookOptions) -> Result<PhaseRules> {
    let under_api = field("http.request.uri.path").starts_with(&options.api_prefix)?;
    let zone = ConfigSettings {
        ssl: Some(ConfigSsl::Strict),
        security_level: Some(SecurityLevel::Medium),
        bic: Some(true),
        ..ConfigSettings::default()
    };
    let api = ConfigSettings {
        security_level: Some(SecurityLevel::High),
        ..ConfigSettings::default()
    };
    Ok(PhaseRules::exclusive(
        Phase::HttpConfigSettings,
        "Configuration rules (runbook page rules)",
        vec![
            Rule::set_config("zone_security", "true", &zone)?
                .description("SSL strict, browser integrity check, security level medium"),
            Rule::set_config("api_security", under_api.build()?, &api)?
                .description("Security level high on the API"),
        ],
    ))
}

/// The runbook's API page rule's `cache_level bypass`, as a cache rule.
fn cache_rules(options: &RunbookOptions) -> Result<PhaseRules> {
    let under_api = field("http.request.uri.path").starts_with(&options.api_prefix)?;
    Ok(PhaseRules::exclusive(
        Phase::HttpRequestCacheSettings,
        "Cache rules (runbook page rules)",
        vec![
            Rule::set_cache_settings("api_no_cache", under_api.build()?, &CacheSettings::bypass())?
                .description("Never cache the API"),
        ],
    ))
}

fn custom_rules(options: &RunbookOptions) -> Result<PhaseRules> {
    let path = field("http.request.uri.path");
    let scan: Result<Vec<Expr>> = [
        "/wp-admin",
        "/wp-login",
        "/.env",
        "/phpinfo",
        "/xmlrpc.php",
        "/phpmyadmin",
    ]
    .iter()
    .map(|p| path.contains(p))
    .collect();
    let vcs: Result<Vec<Expr>> = ["/.git", "/.svn", "/.hg"]
        .iter()
        .map(|p| path.contains(p))
        .collect();
    let mut rules = vec![
        Rule::new(
            "block_scan_targets",
            RuleAction::Block,
            Expr::any_of(scan?).build()?,
        )
        .description("Block common scan targets"),
        Rule::new("block_vcs", RuleAction::Block, Expr::any_of(vcs?).build()?)
            .description("Block version control exposure"),
    ];
    if !options.admin_ips.is_empty() {
        let paths: Result<Vec<Expr>> = options
            .admin_paths
            .iter()
            .map(|p| path.starts_with(p))
            .collect();
        let outsider = field("ip.src").in_list(ADMIN_LIST)?.negate();
        rules.push(
            Rule::new(
                "admin_only_from_admin_ips",
                RuleAction::Block,
                Expr::any_of(paths?).and(outsider).build()?,
            )
            .description("Admin paths only from the admin addresses"),
        );
    }
    if !options.challenge_countries.is_empty() {
        let countries = field("ip.src.country").in_strings(&options.challenge_countries)?;
        let expr = countries.and(field("cf.client.bot").is_true()?.negate());
        rules.push(
            Rule::new(
                "challenge_countries",
                RuleAction::ManagedChallenge,
                expr.build()?,
            )
            .description("Challenge high-risk geolocations"),
        );
    }
    Ok(PhaseRules::exclusive(
        Phase::HttpRequestFirewallCustom,
        "Custom rules",
        rules,
    ))
}

fn rate_limit_rules(tier: &PlanTier, options: &RunbookOptions) -> Result<PhaseRules> {
    let under_api = field("http.request.uri.path").starts_with(&options.api_prefix)?;
    let per_minute = options.api_mutations_per_minute.max(1);
    let rule = match tier {
        PlanTier::Business | PlanTier::Enterprise => {
            let mutation =
                field("http.request.method").in_strings(&["POST", "PUT", "PATCH", "DELETE"])?;
            Rule::new(
                "api_mutations",
                RuleAction::ManagedChallenge,
                mutation.and(under_api).build()?,
            )
            .description("Rate limit API mutations")
            .ratelimit(RateLimit::per_ip(60, per_minute, 3600))
        }
        PlanTier::Pro => Rule::new(
            "api_mutations",
            RuleAction::ManagedChallenge,
            under_api.build()?,
        )
        .description("Rate limit API requests (method field needs Business)")
        .ratelimit(RateLimit::per_ip(60, per_minute, 3600)),
        PlanTier::Free | PlanTier::Unknown(_) => {
            Rule::new("api_mutations", RuleAction::Block, under_api.build()?)
                .description("Rate limit API requests (Free: path only, 10 s)")
                .ratelimit(RateLimit::per_ip(10, per_minute.div_ceil(6), 10))
        }
    };
    Ok(PhaseRules::exclusive(
        Phase::HttpRatelimit,
        "Rate limiting rules",
        vec![rule],
    ))
}

fn managed_rules(tier: &PlanTier, options: &RunbookOptions) -> PhaseRules {
    let rules = match tier {
        PlanTier::Free | PlanTier::Unknown(_) => vec![
            Rule::execute("cf_free_managed", managed::FREE_MANAGED, None)
                .description("Execute Cloudflare Free Managed Ruleset"),
        ],
        _ => {
            let overrides = Overrides {
                categories: [3u8, 4]
                    .iter()
                    .map(|l| CategoryOverride {
                        category: managed::paranoia_category(*l),
                        action: None,
                        enabled: Some(false),
                    })
                    .collect(),
                rules: vec![RuleOverride {
                    id: managed::OWASP_ANOMALY_SCORE_RULE.into(),
                    action: Some(RuleAction::ManagedChallenge),
                    enabled: None,
                    score_threshold: Some(options.owasp_sensitivity.threshold()),
                }],
                ..Overrides::default()
            };
            vec![
                Rule::execute("cf_managed", managed::CLOUDFLARE_MANAGED, None)
                    .description("Execute Cloudflare Managed Ruleset"),
                Rule::execute("cf_owasp", managed::OWASP_CORE, Some(overrides))
                    .description("Execute OWASP Core Ruleset"),
            ]
        }
    };
    PhaseRules::exclusive(Phase::HttpRequestFirewallManaged, "Managed rulesets", rules)
}

fn bot_management(tier: &PlanTier) -> BotManagement {
    match tier {
        PlanTier::Free | PlanTier::Unknown(_) => BotManagement {
            fight_mode: Some(true),
            enable_js: Some(true),
            ..Default::default()
        },
        PlanTier::Pro | PlanTier::Business => BotManagement {
            enable_js: Some(true),
            optimize_wordpress: Some(false),
            sbfm_definitely_automated: Some(SbfmAction::Block),
            sbfm_likely_automated: (*tier == PlanTier::Business)
                .then_some(SbfmAction::ManagedChallenge),
            sbfm_verified_bots: Some(SbfmAction::Allow),
            sbfm_static_resource_protection: Some(false),
            ..Default::default()
        },
        PlanTier::Enterprise => BotManagement {
            enable_js: Some(true),
            ..Default::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardening::limits::PlanLimits;

    #[test]
    fn preset_fits_every_plan_and_validates() {
        for tier in PlanTier::known() {
            let opts = RunbookOptions {
                challenge_countries: vec!["CN".into(), "RU".into()],
                ..Default::default()
            };
            let z = runbook(&tier, &opts).unwrap();
            let limits = PlanLimits::for_plan(&tier);
            for p in &z.phases {
                crate::resources::rulesets::put_entrypoint_request(
                    "z1",
                    &p.phase,
                    &p.description,
                    &p.rules,
                )
                .unwrap();
                assert!(
                    p.rules.len() <= limits.max_rules(&p.phase).unwrap_or(usize::MAX),
                    "{tier} {}",
                    p.phase
                );
                for r in &p.rules {
                    assert!(
                        limits.rule_problems(&p.phase, r).is_empty(),
                        "{tier} {}: {:?}",
                        r.rule_ref,
                        limits.rule_problems(&p.phase, r)
                    );
                    assert!(!r.expression.contains("threat_score"));
                }
            }
            assert!(
                z.bot_management.unwrap().check_plan(&tier).is_empty(),
                "{tier}"
            );
        }
    }

    #[test]
    fn scanner_and_vcs_paths() {
        let z = runbook_baseline(&PlanTier::Free).unwrap();
        let custom = &z.phases[0].rules;
        assert!(
            custom[0]
                .expression
                .contains(r#"(http.request.uri.path contains "/.env")"#)
        );
        assert!(
            custom[1]
                .expression
                .contains(r#"(http.request.uri.path contains "/.git")"#)
        );
        assert_eq!(z.settings.ssl, Some(SslMode::Strict));
        assert_eq!(z.settings.min_tls_version, Some(MinTlsVersion::Tls1_2));
    }
}
