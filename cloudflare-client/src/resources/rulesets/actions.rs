//! Typed parameters of the `set_config` (Configuration Rules, phase `http_config_settings`) and
//! `set_cache_settings` (Cache Rules, phase `http_request_cache_settings`) actions: the modern
//! replacements of the Page Rules settings `ssl`, `security_level`, `browser_check` and
//! `cache_level`. They are written into [`ActionParameters::extra`], so a rule read back from
//! the API compares with the desired one field by field.

use serde::{Deserialize, Serialize};

use super::model::{ActionParameters, Rule, RuleAction};
use crate::enums::api_enum;
use crate::error::{Error, Result};
use crate::resources::settings::SecurityLevel;

api_enum! {
    /// SSL mode a configuration rule sets for matching requests.
    pub enum ConfigSsl {
        /// Off.
        Off => "off",
        /// Flexible.
        Flexible => "flexible",
        /// Full.
        Full => "full",
        /// Full (strict).
        Strict => "strict",
        /// Strict (SSL-Only Origin Pull).
        OriginPull => "origin_pull",
    }
}

/// `action_parameters` of a `set_config` rule. Unset fields are not sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigSettings {
    /// SSL mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl: Option<ConfigSsl>,
    /// Security level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_level: Option<SecurityLevel>,
    /// Browser Integrity Check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bic: Option<bool>,
    /// Automatic HTTPS Rewrites.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automatic_https_rewrites: Option<bool>,
}

api_enum! {
    /// How a cache rule sets the edge TTL.
    pub enum EdgeTtlMode {
        /// Use the origin's cache headers.
        RespectOrigin => "respect_origin",
        /// Bypass unless the origin sends cache headers.
        BypassByDefault => "bypass_by_default",
        /// Override the origin with `default`.
        OverrideOrigin => "override_origin",
    }
}

api_enum! {
    /// How a cache rule sets the browser TTL.
    pub enum BrowserTtlMode {
        /// Use the origin's cache headers.
        RespectOrigin => "respect_origin",
        /// Tell browsers not to cache.
        BypassByDefault => "bypass_by_default",
        /// Override the origin with `default`.
        OverrideOrigin => "override_origin",
    }
}

/// An edge TTL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdgeTtl {
    /// Mode.
    pub mode: EdgeTtlMode,
    /// Seconds, with `override_origin`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<u32>,
}

/// A browser TTL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrowserTtl {
    /// Mode.
    pub mode: BrowserTtlMode,
    /// Seconds, with `override_origin`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<u32>,
}

/// `action_parameters` of a `set_cache_settings` rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheSettings {
    /// Whether matching requests are eligible for cache (`false` = bypass).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<bool>,
    /// Edge TTL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edge_ttl: Option<EdgeTtl>,
    /// Browser TTL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser_ttl: Option<BrowserTtl>,
}

impl CacheSettings {
    /// Bypass the cache.
    pub fn bypass() -> Self {
        Self {
            cache: Some(false),
            ..Self::default()
        }
    }
}

fn into_params<T: Serialize>(value: &T) -> Result<ActionParameters> {
    let extra = match serde_json::to_value(value) {
        Ok(serde_json::Value::Object(m)) if !m.is_empty() => m,
        _ => {
            return Err(Error::invalid(
                "action_parameters",
                "set at least one setting",
            ));
        }
    };
    Ok(ActionParameters {
        extra,
        ..ActionParameters::default()
    })
}

impl Rule {
    /// A configuration rule (`set_config`, phase `http_config_settings`).
    ///
    /// ```
    /// use cloudflare_client::resources::rulesets::{ConfigSettings, ConfigSsl, Rule};
    /// let rule = Rule::set_config("zone_defaults", "true", &ConfigSettings {
    ///     ssl: Some(ConfigSsl::Strict),
    ///     bic: Some(true),
    ///     ..Default::default()
    /// })?;
    /// assert_eq!(rule.config_settings().unwrap().ssl, Some(ConfigSsl::Strict));
    /// # Ok::<(), cloudflare_client::Error>(())
    /// ```
    pub fn set_config(
        rule_ref: impl Into<String>,
        expression: impl Into<String>,
        settings: &ConfigSettings,
    ) -> Result<Self> {
        Ok(Self::new(rule_ref, RuleAction::SetConfig, expression)
            .action_parameters(into_params(settings)?))
    }

    /// A cache rule (`set_cache_settings`, phase `http_request_cache_settings`).
    pub fn set_cache_settings(
        rule_ref: impl Into<String>,
        expression: impl Into<String>,
        settings: &CacheSettings,
    ) -> Result<Self> {
        if let Some(t) = &settings.edge_ttl
            && (t.mode == EdgeTtlMode::OverrideOrigin) != t.default.is_some()
        {
            return Err(Error::invalid(
                "action_parameters.edge_ttl.default",
                "set exactly with mode override_origin",
            ));
        }
        Ok(
            Self::new(rule_ref, RuleAction::SetCacheSettings, expression)
                .action_parameters(into_params(settings)?),
        )
    }

    /// The typed `set_config` parameters of this rule, if it is one.
    pub fn config_settings(&self) -> Option<ConfigSettings> {
        self.typed_params(&RuleAction::SetConfig)
    }

    /// The typed `set_cache_settings` parameters of this rule, if it is one.
    pub fn cache_settings(&self) -> Option<CacheSettings> {
        self.typed_params(&RuleAction::SetCacheSettings)
    }

    fn typed_params<T: serde::de::DeserializeOwned>(&self, action: &RuleAction) -> Option<T> {
        if self.action != *action {
            return None;
        }
        let extra = self.action_parameters.as_ref()?.extra.clone();
        serde_json::from_value(serde_json::Value::Object(extra)).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::rulesets::Phase;

    #[test]
    fn bodies_and_phase_checks() {
        let r = Rule::set_cache_settings("api_bypass", "true", &CacheSettings::bypass()).unwrap();
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["action"], "set_cache_settings");
        assert_eq!(v["action_parameters"], serde_json::json!({"cache": false}));
        assert!(r.validate(&Phase::HttpRequestCacheSettings).is_ok());
        let e = r.validate(&Phase::HttpConfigSettings).unwrap_err();
        assert!(e.to_string().contains("action"), "{e}");
        assert!(Rule::set_config("x", "true", &ConfigSettings::default()).is_err());
        let bad = CacheSettings {
            edge_ttl: Some(EdgeTtl {
                mode: EdgeTtlMode::RespectOrigin,
                default: Some(60),
            }),
            ..Default::default()
        };
        assert!(Rule::set_cache_settings("x", "true", &bad).is_err());
    }
}
