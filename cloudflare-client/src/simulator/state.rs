//! The simulator's state: zones with settings, DNS records, rulesets and bot management.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::resources::dns::DnsRecord;
use crate::resources::rulesets::Ruleset;
use crate::resources::zones::PlanTier;

/// One zone.
#[derive(Debug, Clone)]
pub(super) struct SimZone {
    pub id: String,
    pub name: String,
    pub tier: PlanTier,
    pub settings: BTreeMap<String, Value>,
    pub dns: Vec<DnsRecord>,
    pub rulesets: BTreeMap<String, Ruleset>,
    /// Every version each ruleset had, by ruleset id (oldest first).
    pub history: BTreeMap<String, Vec<Ruleset>>,
    pub bot: serde_json::Map<String, Value>,
    /// Zone-level Authenticated Origin Pulls.
    pub origin_pulls: bool,
    /// Purge requests received.
    pub purges: Vec<Value>,
}

/// A custom list of the account.
#[derive(Debug, Clone)]
pub(super) struct SimList {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub description: Option<String>,
    pub items: Vec<Value>,
    pub created_on: String,
    pub modified_on: String,
}

/// An asynchronous list operation: answers `running` once, then its final state.
#[derive(Debug, Clone)]
pub(super) struct SimOperation {
    pub polls: u32,
    pub error: Option<String>,
}

/// Accepted tokens; `Debug` shows how many, never their values.
#[derive(Default)]
pub(super) struct Tokens(pub Vec<String>);

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tokens({} redacted)", self.0.len())
    }
}

/// Published IP ranges.
#[derive(Debug, Clone)]
pub(super) struct Ips {
    pub ipv4: Vec<String>,
    pub ipv6: Vec<String>,
    pub etag: String,
}

/// Everything the simulator knows.
#[derive(Debug, Default)]
pub(super) struct State {
    pub zones: BTreeMap<String, SimZone>,
    /// The one account every zone belongs to (created with the first zone).
    pub account_id: Option<String>,
    pub lists: Vec<SimList>,
    pub operations: BTreeMap<String, SimOperation>,
    /// Origin CA certificates, as the API returns them, with the zone each was issued for.
    pub certificates: Vec<(String, Value)>,
    /// The status `user/tokens/verify` reports (`active` unless a test changes it).
    pub token_status: Option<String>,
    /// Tokens accepted besides [`super::TOKEN`].
    pub tokens: Tokens,
    next_id: u64,
    ips: Option<Ips>,
    pub clock: u64,
}

fn fnv(parts: &[String]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(b'\n')) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}{:016x}", h.rotate_left(17) ^ 0x5bd1_e995)
}

const ON_OFF: &[&str] = &["on", "off"];

/// `browser_cache_ttl` values (`zones_browser_cache_ttl_value`).
const BROWSER_CACHE_TTLS: &[u64] = &[
    0, 30, 60, 120, 300, 1200, 1800, 3600, 7200, 10800, 14400, 18000, 28800, 43200, 57600, 72000,
    86400, 172800, 259200, 345600, 432000, 691200, 1382400, 2073600, 2678400, 5356800, 16070400,
    31536000,
];

/// Setting ids, their allowed string values and the default of a new zone, from the
/// `zones_<id>_value` schemas of the OpenAPI document. Numeric settings (`challenge_ttl`,
/// `browser_cache_ttl`) have no string values and are checked by [`setting_value_ok`].
pub(super) fn setting_spec(id: &str) -> Option<(&'static [&'static str], Value)> {
    Some(match id {
        "ssl" => (&["off", "flexible", "full", "strict"], json!("flexible")),
        "min_tls_version" => (&["1.0", "1.1", "1.2", "1.3"], json!("1.0")),
        "tls_1_3" => (&["on", "off", "zrt"], json!("on")),
        "always_use_https" => (ON_OFF, json!("off")),
        "automatic_https_rewrites" => (ON_OFF, json!("on")),
        "security_level" => (
            &[
                "off",
                "essentially_off",
                "low",
                "medium",
                "high",
                "under_attack",
            ],
            json!("medium"),
        ),
        "challenge_ttl" => (&[], json!(1800)),
        "browser_cache_ttl" => (&[], json!(14400)),
        "browser_check" => (ON_OFF, json!("on")),
        "http3" => (ON_OFF, json!("off")),
        "0rtt" => (ON_OFF, json!("off")),
        "opportunistic_encryption" => (ON_OFF, json!("on")),
        "opportunistic_onion" => (ON_OFF, json!("off")),
        "early_hints" => (ON_OFF, json!("off")),
        "brotli" => (ON_OFF, json!("off")),
        "ipv6" => (ON_OFF, json!("off")),
        "websockets" => (ON_OFF, json!("off")),
        "always_online" => (ON_OFF, json!("on")),
        "http2" => (ON_OFF, json!("off")),
        "email_obfuscation" => (ON_OFF, json!("on")),
        "hotlink_protection" => (ON_OFF, json!("off")),
        "server_side_exclude" => (ON_OFF, json!("on")),
        "tls_client_auth" => (ON_OFF, json!("on")),
        "ip_geolocation" => (ON_OFF, json!("on")),
        "development_mode" => (ON_OFF, json!("off")),
        "rocket_loader" => (ON_OFF, json!("off")),
        "pseudo_ipv4" => (&["off", "add_header", "overwrite_header"], json!("off")),
        "cache_level" => (&["aggressive", "basic", "simplified"], json!("aggressive")),
        _ => return None,
    })
}

/// Whether `value` is allowed for the known setting `id`.
pub(super) fn setting_value_ok(id: &str, allowed: &[&str], value: &Value) -> bool {
    match id {
        "challenge_ttl" => value
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .is_some_and(|n| crate::resources::settings::ChallengeTtl::new(n).is_ok()),
        "browser_cache_ttl" => value
            .as_u64()
            .is_some_and(|n| BROWSER_CACHE_TTLS.contains(&n)),
        _ => value.as_str().is_some_and(|s| allowed.contains(&s)),
    }
}

/// Setting ids a new zone has (sorted, as `GET /settings` lists them).
pub(super) const SETTING_IDS: [&str; 28] = [
    "0rtt",
    "always_online",
    "always_use_https",
    "automatic_https_rewrites",
    "brotli",
    "browser_cache_ttl",
    "browser_check",
    "cache_level",
    "challenge_ttl",
    "development_mode",
    "early_hints",
    "email_obfuscation",
    "hotlink_protection",
    "http2",
    "http3",
    "ip_geolocation",
    "ipv6",
    "min_tls_version",
    "opportunistic_encryption",
    "opportunistic_onion",
    "pseudo_ipv4",
    "rocket_loader",
    "security_level",
    "server_side_exclude",
    "ssl",
    "tls_1_3",
    "tls_client_auth",
    "websockets",
];

/// Bot management fields per plan (`enable_js` everywhere) and their defaults.
pub(super) fn bot_fields(tier: &PlanTier) -> Vec<(&'static str, Value)> {
    let mut v = vec![("enable_js", json!(false))];
    match tier {
        PlanTier::Pro | PlanTier::Business => {
            v.push(("sbfm_definitely_automated", json!("allow")));
            v.push(("sbfm_verified_bots", json!("allow")));
            v.push(("sbfm_static_resource_protection", json!(false)));
            v.push(("optimize_wordpress", json!(false)));
            if *tier == PlanTier::Business {
                v.push(("sbfm_likely_automated", json!("allow")));
            }
        }
        PlanTier::Enterprise => {
            v.push(("auto_update_model", json!(true)));
            v.push(("suppress_session_score", json!(false)));
        }
        PlanTier::Free | PlanTier::Unknown(_) => v.push(("fight_mode", json!(false))),
    }
    v
}

impl State {
    /// Whether `token` is one the simulator issued ([`super::TOKEN`] or one added with
    /// [`super::Simulator::add_token`]).
    pub fn knows_token(&self, token: &str) -> bool {
        token == super::TOKEN || self.tokens.0.iter().any(|t| t == token)
    }

    /// A new 32-hex id.
    pub fn new_id(&mut self) -> String {
        self.next_id += 1;
        format!(
            "{:016x}{:016x}",
            self.next_id.wrapping_mul(0x9E37_79B9_7F4A_7C15),
            self.next_id
        )
    }

    /// A monotonically increasing fake timestamp.
    pub fn now(&mut self) -> String {
        self.clock += 1;
        let s = self.clock;
        format!(
            "2026-01-01T{:02}:{:02}:{:02}.000000Z",
            (s / 3600) % 24,
            (s / 60) % 60,
            s % 60
        )
    }

    pub fn add_zone(&mut self, name: &str, tier: PlanTier) -> String {
        let id = self.new_id();
        let settings = SETTING_IDS
            .iter()
            .filter_map(|s| setting_spec(s).map(|(_, d)| ((*s).to_owned(), d)))
            .collect();
        let mut bot: serde_json::Map<String, Value> = bot_fields(&tier)
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        bot.insert("using_latest_model".into(), json!(true));
        let zone = SimZone {
            id: id.clone(),
            name: name.to_ascii_lowercase(),
            tier,
            settings,
            dns: Vec::new(),
            rulesets: BTreeMap::new(),
            history: BTreeMap::new(),
            bot,
            origin_pulls: false,
            purges: Vec::new(),
        };
        if self.account_id.is_none() {
            self.account_id = Some(self.new_id());
        }
        self.zones.insert(id.clone(), zone);
        id
    }

    pub fn ips(&mut self) -> Ips {
        self.ips
            .get_or_insert_with(|| {
                // The same published snapshot the hardening presets use offline, so the
                // simulated `/ips` and the firewall/Caddy defaults can never disagree.
                let (ipv4, ipv6): (Vec<_>, Vec<_>) =
                    hardening_model::presets::firewall::cloudflare_fallback_ranges()
                        .into_iter()
                        .partition(|net| matches!(net, hardening_model::IpNet::V4(_)));
                let ipv4: Vec<String> = ipv4.iter().map(ToString::to_string).collect();
                let ipv6: Vec<String> = ipv6.iter().map(ToString::to_string).collect();
                let etag = fnv(&[ipv4.clone(), ipv6.clone()].concat());
                Ips { ipv4, ipv6, etag }
            })
            .clone()
    }

    pub fn set_ips(&mut self, ipv4: Vec<String>, ipv6: Vec<String>) {
        let etag = fnv(&[ipv4.clone(), ipv6.clone()].concat());
        self.ips = Some(Ips { ipv4, ipv6, etag });
    }
}

/// The JSON of a zone.
pub(super) fn zone_json(z: &SimZone, account_id: &str) -> Value {
    let (plan_name, price) = match &z.tier {
        PlanTier::Free => ("Free Website", 0),
        PlanTier::Pro => ("Pro Website", 20),
        PlanTier::Business => ("Business Website", 200),
        PlanTier::Enterprise => ("Enterprise Website", 0),
        PlanTier::Unknown(_) => ("Custom Plan", 0),
    };
    json!({
        "id": z.id,
        "name": z.name,
        "status": "active",
        "paused": false,
        "type": "full",
        "name_servers": ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
        "plan": {"id": format!("{:032x}", plan_name.len()), "name": plan_name, "price": price,
                 "currency": "USD", "legacy_id": z.tier.as_str(), "is_subscribed": true},
        "account": {"id": account_id, "name": "Simulated account"},
        "owner": {"id": account_id, "name": "Simulated account", "type": "organization"},
        "meta": {"phishing_detected": false, "multiple_railguns_allowed": false},
        "development_mode": 0,
        "original_name_servers": null,
        "original_registrar": null,
        "original_dnshost": null,
        "created_on": "2026-01-01T00:00:00.000000Z",
        "modified_on": "2026-01-01T00:00:00.000000Z",
        "activated_on": "2026-01-01T00:00:00.000000Z",
    })
}
