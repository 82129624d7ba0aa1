//! Zone settings: typed `GET`/`PATCH /zones/{id}/settings/{setting}` and the bulk
//! `PATCH /zones/{id}/settings` (`{"items": [...]}`). There is no `PUT` on settings.

use http::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::enums::api_enum;
use crate::error::{Error, Result};
use crate::transport::request::{RequestSpec, check_id};

api_enum! {
    /// `ssl`: the SSL/TLS encryption mode.
    pub enum SslMode {
        /// No HTTPS to visitors.
        Off => "off",
        /// HTTPS to visitors, HTTP to the origin.
        Flexible => "flexible",
        /// HTTPS to the origin without certificate validation.
        Full => "full",
        /// HTTPS to the origin with a valid certificate ("Full (strict)").
        Strict => "strict",
    }
}

api_enum! {
    /// An `on`/`off` setting.
    pub enum OnOff {
        /// On.
        On => "on",
        /// Off.
        Off => "off",
    }
}

api_enum! {
    /// `min_tls_version`.
    pub enum MinTlsVersion {
        /// TLS 1.0.
        Tls1_0 => "1.0",
        /// TLS 1.1.
        Tls1_1 => "1.1",
        /// TLS 1.2.
        Tls1_2 => "1.2",
        /// TLS 1.3.
        Tls1_3 => "1.3",
    }
}

api_enum! {
    /// `tls_1_3`.
    pub enum Tls13 {
        /// Enabled.
        On => "on",
        /// Disabled.
        Off => "off",
        /// Enabled with 0-RTT.
        Zrt => "zrt",
    }
}

api_enum! {
    /// `security_level`.
    pub enum SecurityLevel {
        /// Off (Enterprise).
        Off => "off",
        /// Essentially off.
        EssentiallyOff => "essentially_off",
        /// Low.
        Low => "low",
        /// Medium (default).
        Medium => "medium",
        /// High.
        High => "high",
        /// I'm Under Attack.
        UnderAttack => "under_attack",
    }
}

/// `challenge_ttl` in seconds; only the values Cloudflare accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ChallengeTtl(u32);

impl ChallengeTtl {
    /// Accepted values, in seconds.
    pub const ALLOWED: [u32; 14] = [
        300, 900, 1800, 2700, 3600, 7200, 10800, 14400, 28800, 57600, 86400, 604800, 2592000,
        31536000,
    ];

    /// A challenge TTL; errors for values the API rejects.
    pub fn new(seconds: u32) -> Result<Self> {
        if Self::ALLOWED.contains(&seconds) {
            Ok(Self(seconds))
        } else {
            Err(Error::invalid(
                "challenge_ttl",
                format!("{seconds} is not one of {:?}", Self::ALLOWED),
            ))
        }
    }

    /// Seconds.
    pub fn seconds(self) -> u32 {
        self.0
    }
}

/// A typed zone setting: its id and value type. Use with [`SettingsApi::get`]/[`SettingsApi::patch`].
pub trait Setting {
    /// The setting id in the path.
    const ID: &'static str;
    /// The value type.
    type Value: Serialize + DeserializeOwned + Clone + PartialEq + std::fmt::Debug;
}

macro_rules! setting {
    ($(#[$m:meta])* $name:ident, $id:literal, $value:ty) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;
        impl Setting for $name {
            const ID: &'static str = $id;
            type Value = $value;
        }
    };
}

setting!(/// `ssl`.
    Ssl, "ssl", SslMode);
setting!(/// `min_tls_version`.
    MinTls, "min_tls_version", MinTlsVersion);
setting!(/// `tls_1_3`.
    Tls13Setting, "tls_1_3", Tls13);
setting!(/// `always_use_https`.
    AlwaysUseHttps, "always_use_https", OnOff);
setting!(/// `automatic_https_rewrites`.
    AutomaticHttpsRewrites, "automatic_https_rewrites", OnOff);
setting!(/// `security_level`.
    SecurityLevelSetting, "security_level", SecurityLevel);
setting!(/// `challenge_ttl`.
    ChallengeTtlSetting, "challenge_ttl", ChallengeTtl);
setting!(/// `http3`: HTTP/3 (QUIC) to visitors.
    Http3, "http3", OnOff);
setting!(/// `0rtt`: TLS 1.3 0-RTT session resumption.
    ZeroRtt, "0rtt", OnOff);
setting!(/// `opportunistic_encryption`: advertise HTTPS to HTTP/2 clients over plain HTTP.
    OpportunisticEncryption, "opportunistic_encryption", OnOff);
setting!(/// `browser_check`: Browser Integrity Check.
    BrowserCheck, "browser_check", OnOff);
setting!(/// `always_online`.
    AlwaysOnline, "always_online", OnOff);
setting!(/// `email_obfuscation`.
    EmailObfuscation, "email_obfuscation", OnOff);
setting!(/// `ipv6`.
    Ipv6, "ipv6", OnOff);
setting!(/// `websockets`.
    Websockets, "websockets", OnOff);

/// One setting as returned by the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingValue<V> {
    /// Setting id.
    pub id: String,
    /// Current value.
    pub value: V,
    /// Whether the value can be changed on this zone.
    #[serde(default)]
    pub editable: Option<bool>,
    /// Last change.
    #[serde(default)]
    pub modified_on: Option<String>,
}

/// The hardening-relevant settings at once: read from `GET /zones/{id}/settings`, written with the
/// bulk edit. `None` means "not read" / "leave alone".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ZoneSettings {
    /// `ssl`.
    pub ssl: Option<SslMode>,
    /// `min_tls_version`.
    pub min_tls_version: Option<MinTlsVersion>,
    /// `tls_1_3`.
    pub tls_1_3: Option<Tls13>,
    /// `always_use_https`.
    pub always_use_https: Option<OnOff>,
    /// `automatic_https_rewrites`.
    pub automatic_https_rewrites: Option<OnOff>,
    /// `security_level`.
    pub security_level: Option<SecurityLevel>,
    /// `challenge_ttl`.
    pub challenge_ttl: Option<ChallengeTtl>,
}

/// One `{id, value}` item of the bulk edit and of `GET /zones/{id}/settings`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SettingItem {
    /// Setting id.
    pub id: String,
    /// Value as JSON (settings this crate does not type stay opaque).
    pub value: serde_json::Value,
}

impl ZoneSettings {
    /// The `{id, value}` items for every field that is set.
    pub fn items(&self) -> Vec<SettingItem> {
        let mut out = Vec::new();
        let mut push = |id: &str, v: Option<serde_json::Value>| {
            if let Some(value) = v {
                out.push(SettingItem {
                    id: id.to_owned(),
                    value,
                });
            }
        };
        fn j<T: Serialize>(v: &Option<T>) -> Option<serde_json::Value> {
            v.as_ref().and_then(|x| serde_json::to_value(x).ok())
        }
        push("ssl", j(&self.ssl));
        push("min_tls_version", j(&self.min_tls_version));
        push("tls_1_3", j(&self.tls_1_3));
        push("always_use_https", j(&self.always_use_https));
        push(
            "automatic_https_rewrites",
            j(&self.automatic_https_rewrites),
        );
        push("security_level", j(&self.security_level));
        push("challenge_ttl", j(&self.challenge_ttl));
        out
    }

    /// Read the typed fields out of a settings list; unknown ids and unparsable values are skipped.
    pub fn from_items(items: &[SettingItem]) -> Self {
        fn parse<T: DeserializeOwned>(v: &serde_json::Value) -> Option<T> {
            serde_json::from_value(v.clone()).ok()
        }
        let mut s = Self::default();
        for item in items {
            let v = &item.value;
            match item.id.as_str() {
                "ssl" => s.ssl = parse(v),
                "min_tls_version" => s.min_tls_version = parse(v),
                "tls_1_3" => s.tls_1_3 = parse(v),
                "always_use_https" => s.always_use_https = parse(v),
                "automatic_https_rewrites" => s.automatic_https_rewrites = parse(v),
                "security_level" => s.security_level = parse(v),
                "challenge_ttl" => {
                    s.challenge_ttl = parse::<u32>(v).and_then(|n| ChallengeTtl::new(n).ok())
                }
                _ => {}
            }
        }
        s
    }

    /// The fields of `desired` that differ from `self` (only fields `desired` sets).
    pub fn delta_to(&self, desired: &ZoneSettings) -> ZoneSettings {
        fn d<T: Clone + PartialEq>(cur: &Option<T>, want: &Option<T>) -> Option<T> {
            match want {
                Some(w) if cur.as_ref() != Some(w) => Some(w.clone()),
                _ => None,
            }
        }
        ZoneSettings {
            ssl: d(&self.ssl, &desired.ssl),
            min_tls_version: d(&self.min_tls_version, &desired.min_tls_version),
            tls_1_3: d(&self.tls_1_3, &desired.tls_1_3),
            always_use_https: d(&self.always_use_https, &desired.always_use_https),
            automatic_https_rewrites: d(
                &self.automatic_https_rewrites,
                &desired.automatic_https_rewrites,
            ),
            security_level: d(&self.security_level, &desired.security_level),
            challenge_ttl: d(&self.challenge_ttl, &desired.challenge_ttl),
        }
    }

    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        self.items().is_empty()
    }
}

/// `GET /zones/{zone}/settings/{S::ID}`.
pub fn get_request<S: Setting>(zone_id: &str) -> Result<RequestSpec> {
    check_id("zone_id", zone_id)?;
    Ok(RequestSpec::get(format!(
        "/zones/{zone_id}/settings/{}",
        S::ID
    )))
}

/// `PATCH /zones/{zone}/settings/{S::ID}` with `{"value": ...}`.
pub fn patch_request<S: Setting>(zone_id: &str, value: &S::Value) -> Result<RequestSpec> {
    check_id("zone_id", zone_id)?;
    RequestSpec::new(
        Method::PATCH,
        format!("/zones/{zone_id}/settings/{}", S::ID),
    )
    .with_json(&serde_json::json!({ "value": value }))
    .map_err(Error::from)
}

/// `GET /zones/{zone}/settings`.
pub fn get_all_request(zone_id: &str) -> Result<RequestSpec> {
    check_id("zone_id", zone_id)?;
    Ok(RequestSpec::get(format!("/zones/{zone_id}/settings")))
}

/// `PATCH /zones/{zone}/settings` with `{"items": [...]}`; errors when nothing is set.
pub fn bulk_edit_request(zone_id: &str, settings: &ZoneSettings) -> Result<RequestSpec> {
    check_id("zone_id", zone_id)?;
    let items = settings.items();
    if items.is_empty() {
        return Err(Error::invalid(
            "items",
            "the bulk edit needs at least one setting",
        ));
    }
    RequestSpec::new(Method::PATCH, format!("/zones/{zone_id}/settings"))
        .with_json(&serde_json::json!({ "items": items }))
        .map_err(Error::from)
}

/// Settings calls for one zone; from [`Client::settings`].
#[derive(Debug, Clone)]
pub struct SettingsApi<'a> {
    client: &'a Client,
    zone_id: String,
}

impl<'a> SettingsApi<'a> {
    pub(crate) fn new(client: &'a Client, zone_id: &str) -> Self {
        Self {
            client,
            zone_id: zone_id.to_owned(),
        }
    }

    /// Read one setting.
    ///
    /// ```no_run
    /// # async fn run(client: cloudflare_client::Client) -> cloudflare_client::Result<()> {
    /// use cloudflare_client::resources::settings::Ssl;
    /// let ssl = client.settings("023e105f4ecef8ad9ca31a8372d0c353").get::<Ssl>().await?;
    /// println!("ssl = {}", ssl.value);
    /// # Ok(()) }
    /// ```
    pub async fn get<S: Setting>(&self) -> Result<SettingValue<S::Value>> {
        Ok(self
            .client
            .send(&get_request::<S>(&self.zone_id)?)
            .await?
            .result)
    }

    /// Change one setting.
    pub async fn patch<S: Setting>(&self, value: S::Value) -> Result<SettingValue<S::Value>> {
        Ok(self
            .client
            .send(&patch_request::<S>(&self.zone_id, &value)?)
            .await?
            .result)
    }

    /// Read every setting at once and keep the typed ones.
    pub async fn get_all(&self) -> Result<ZoneSettings> {
        let items: Vec<SettingItem> = self
            .client
            .send(&get_all_request(&self.zone_id)?)
            .await?
            .result;
        Ok(ZoneSettings::from_items(&items))
    }

    /// Change several settings in one request (cheaper against the 1200 / 5 min budget).
    pub async fn bulk_edit(&self, settings: &ZoneSettings) -> Result<ZoneSettings> {
        let items: Vec<SettingItem> = self
            .client
            .send(&bulk_edit_request(&self.zone_id, settings)?)
            .await?
            .result;
        Ok(ZoneSettings::from_items(&items))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_body_and_path() {
        let r = patch_request::<MinTls>("z1", &MinTlsVersion::Tls1_2).unwrap();
        assert_eq!(r.method, Method::PATCH);
        assert_eq!(r.path, "/zones/z1/settings/min_tls_version");
        assert_eq!(r.body.unwrap(), serde_json::json!({"value": "1.2"}));
        let r =
            patch_request::<ChallengeTtlSetting>("z1", &ChallengeTtl::new(1800).unwrap()).unwrap();
        assert_eq!(r.body.unwrap(), serde_json::json!({"value": 1800}));
    }

    #[test]
    fn bulk_items_and_delta() {
        let want = ZoneSettings {
            ssl: Some(SslMode::Strict),
            tls_1_3: Some(Tls13::On),
            ..Default::default()
        };
        let r = bulk_edit_request("z1", &want).unwrap();
        assert_eq!(
            r.body.unwrap(),
            serde_json::json!({"items": [{"id": "ssl", "value": "strict"}, {"id": "tls_1_3", "value": "on"}]})
        );
        let cur = ZoneSettings {
            ssl: Some(SslMode::Strict),
            tls_1_3: Some(Tls13::Off),
            ..Default::default()
        };
        let delta = cur.delta_to(&want);
        assert_eq!(
            delta,
            ZoneSettings {
                tls_1_3: Some(Tls13::On),
                ..Default::default()
            }
        );
        assert!(bulk_edit_request("z1", &ZoneSettings::default()).is_err());
    }

    #[test]
    fn challenge_ttl_rejects_unknown_values() {
        assert!(ChallengeTtl::new(1800).is_ok());
        let e = ChallengeTtl::new(1234).unwrap_err();
        assert!(e.to_string().contains("challenge_ttl"));
    }

    #[test]
    fn unknown_values_parse() {
        let v: SettingValue<SslMode> =
            serde_json::from_str(r#"{"id":"ssl","value":"origin_pull","editable":true}"#).unwrap();
        assert_eq!(v.value, SslMode::Unknown("origin_pull".into()));
        let items = vec![SettingItem {
            id: "mystery".into(),
            value: serde_json::json!({"a": 1}),
        }];
        assert!(ZoneSettings::from_items(&items).is_empty());
    }
}
