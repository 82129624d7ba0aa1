//! [`Escalation`]: the runbook's Appendix C contact chain as a typed config, rendered to
//! Alertmanager's `alertmanager.yml`.
//!
//! Appendix C, and how each step is rendered:
//! 1. "Automated alert fires": every alert rule carries a `severity` label
//!    ([`Severity`]: `sev1`, `sev2`, `sev3`).
//! 2. "Alert sent to on-call via PagerDuty/OpsGenie": one route per severity, each to its own
//!    receiver ([`Receiver`]: PagerDuty, Opsgenie, webhook, email). A level without receivers of
//!    its own uses the next more severe level's; an alert without a `severity` label goes to the
//!    SEV2 receiver, so nothing is silently dropped.
//! 3. "Acknowledges within 5 minutes": SEV1 notifications repeat every
//!    [`ack_within`](Escalation::ack_within) until the alert resolves (the acknowledgement itself
//!    lives in the paging service, which escalates on its own policy).
//! 4. SEV1 "escalate immediately": no grouping wait; SEV2 waits 30 s to group; SEV3 "during
//!    business hours": its route is active only in the [`BusinessHours`] time interval
//!    (`active_time_intervals`), so it is held, not lost, outside them.
//! 5. A SEV1 on an instance inhibits that instance's SEV3 alerts (the noise around an incident).

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value, json};

use super::rules::Severity;
use crate::values::{check_chars, check_max_len, check_non_empty};
use crate::{Error, Problem, RenderedFile, Result};

/// Where Debian's `prometheus-alertmanager` reads its configuration.
pub const ALERTMANAGER_CONFIG_PATH: &str = "/etc/prometheus/alertmanager.yml";

/// The name of the business-hours time interval.
pub const BUSINESS_HOURS: &str = "business-hours";

/// Where one severity's notifications go. Secrets (routing keys, API keys, passwords, webhook
/// URLs, which often carry a token) are rendered only into the `0600` `alertmanager.yml`;
/// `Debug` redacts them.
#[derive(Clone)]
#[non_exhaustive]
pub enum Receiver {
    /// PagerDuty Events API v2.
    PagerDuty {
        /// The integration's routing key.
        routing_key: SecretString,
    },
    /// Opsgenie alerts API.
    Opsgenie {
        /// The integration's API key.
        api_key: SecretString,
    },
    /// A generic webhook (Alertmanager's JSON payload).
    Webhook {
        /// `https://...` (or `http://` to a loopback address).
        url: SecretString,
    },
    /// Email through a submission server (STARTTLS required).
    Email {
        /// Recipient address.
        to: String,
        /// Sender address.
        from: String,
        /// `host:port` of the submission server.
        smarthost: String,
        /// SMTP user name and password, if the server needs them.
        auth: Option<(String, SecretString)>,
    },
}

fn check_secret(field: &str, value: &SecretString) -> Result<()> {
    let v = value.expose_secret();
    check_non_empty(field, v)?;
    check_max_len(field, v, 2048)?;
    if let Some(at) = v.chars().position(|c| c.is_control() || c == ' ') {
        return Err(Error::invalid(
            field,
            format!("character at position {at} is a space or a control character"),
        ));
    }
    Ok(())
}

fn check_address(field: &str, value: &str) -> Result<()> {
    check_non_empty(field, value)?;
    check_max_len(field, value, 254)?;
    check_chars(field, value, |c| {
        c.is_ascii_alphanumeric() || matches!(c, '@' | '.' | '-' | '_' | '+')
    })?;
    match value.split_once('@') {
        Some((local, domain)) if !local.is_empty() && domain.contains('.') => Ok(()),
        _ => Err(Error::invalid(field, "not an email address")),
    }
}

impl Receiver {
    /// PagerDuty with an Events API v2 routing key.
    pub fn pagerduty(routing_key: SecretString) -> Result<Self> {
        check_secret("receiver.pagerduty.routing_key", &routing_key)?;
        Ok(Self::PagerDuty { routing_key })
    }

    /// Opsgenie with an API integration key.
    pub fn opsgenie(api_key: SecretString) -> Result<Self> {
        check_secret("receiver.opsgenie.api_key", &api_key)?;
        Ok(Self::Opsgenie { api_key })
    }

    /// A webhook: `https://`, or `http://` to `127.0.0.1`/`localhost`/`[::1]` (a relay on the
    /// monitoring server itself).
    pub fn webhook(url: SecretString) -> Result<Self> {
        let field = "receiver.webhook.url";
        check_secret(field, &url)?;
        let u = url.expose_secret();
        let local = ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"];
        if !u.starts_with("https://") && !local.iter().any(|p| u.starts_with(p)) {
            return Err(Error::invalid(
                field,
                "must be https:// (or http:// to a loopback address)",
            ));
        }
        Ok(Self::Webhook { url })
    }

    /// Email to `to` from `from` through `smarthost` (`host:port`).
    pub fn email(to: &str, from: &str, smarthost: &str) -> Result<Self> {
        check_address("receiver.email.to", to)?;
        check_address("receiver.email.from", from)?;
        let field = "receiver.email.smarthost";
        check_non_empty(field, smarthost)?;
        check_chars(field, smarthost, |c| {
            c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':')
        })?;
        let port_ok = smarthost
            .rsplit_once(':')
            .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok_and(|p| p > 0));
        if !port_ok {
            return Err(Error::invalid(field, "must be host:port"));
        }
        Ok(Self::Email {
            to: to.to_owned(),
            from: from.to_owned(),
            smarthost: smarthost.to_owned(),
            auth: None,
        })
    }

    /// SMTP credentials for an [`Email`](Self::Email) receiver (ignored by the others).
    pub fn with_smtp_auth(self, username: &str, password: SecretString) -> Result<Self> {
        match self {
            Self::Email {
                to,
                from,
                smarthost,
                ..
            } => {
                check_non_empty("receiver.email.auth_username", username)?;
                check_chars("receiver.email.auth_username", username, |c| {
                    !c.is_control() && c != ' '
                })?;
                check_secret("receiver.email.auth_password", &password)?;
                Ok(Self::Email {
                    to,
                    from,
                    smarthost,
                    auth: Some((username.to_owned(), password)),
                })
            }
            other => Ok(other),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Self::PagerDuty { .. } => "pagerduty_configs",
            Self::Opsgenie { .. } => "opsgenie_configs",
            Self::Webhook { .. } => "webhook_configs",
            Self::Email { .. } => "email_configs",
        }
    }

    fn to_value(&self, severity: Severity) -> Value {
        match self {
            Self::PagerDuty { routing_key } => json!({
                "routing_key": routing_key.expose_secret(),
                "severity": match severity { Severity::Sev1 => "critical", Severity::Sev2 => "error", Severity::Sev3 => "warning" },
                "send_resolved": true,
            }),
            Self::Opsgenie { api_key } => json!({
                "api_key": api_key.expose_secret(),
                "priority": match severity { Severity::Sev1 => "P1", Severity::Sev2 => "P2", Severity::Sev3 => "P3" },
                "send_resolved": true,
            }),
            Self::Webhook { url } => json!({
                "url": url.expose_secret(),
                "send_resolved": true,
            }),
            Self::Email {
                to,
                from,
                smarthost,
                auth,
            } => {
                let mut v = json!({
                    "to": to, "from": from, "smarthost": smarthost,
                    "require_tls": true, "send_resolved": true,
                });
                if let Some((user, password)) = auth {
                    v["auth_username"] = json!(user);
                    v["auth_password"] = json!(password.expose_secret());
                }
                v
            }
        }
    }
}

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PagerDuty { .. } => f.write_str("PagerDuty { routing_key: [redacted] }"),
            Self::Opsgenie { .. } => f.write_str("Opsgenie { api_key: [redacted] }"),
            Self::Webhook { .. } => f.write_str("Webhook { url: [redacted] }"),
            Self::Email {
                to,
                smarthost,
                auth,
                ..
            } => f
                .debug_struct("Email")
                .field("to", to)
                .field("smarthost", smarthost)
                .field("auth", &auth.as_ref().map(|_| "[redacted]"))
                .finish_non_exhaustive(),
        }
    }
}

/// Monday to Friday, `start` to `end` (hours, 24 h clock) in an IANA time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessHours {
    start_hour: u8,
    end_hour: u8,
    location: String,
}

impl BusinessHours {
    /// `start_hour` < `end_hour` <= 24; `location` an IANA zone name such as `Europe/Berlin`
    /// (Alertmanager loads it from the system's zoneinfo).
    pub fn new(start_hour: u8, end_hour: u8, location: &str) -> Result<Self> {
        if start_hour >= end_hour || end_hour > 24 {
            return Err(Error::new(
                "business_hours.end_hour",
                Problem::Conflict("start must be before end, end at most 24".into()),
            ));
        }
        let field = "business_hours.location";
        check_non_empty(field, location)?;
        check_max_len(field, location, 64)?;
        check_chars(field, location, |c| {
            c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+')
        })?;
        if location.starts_with('/') || location.contains("..") {
            return Err(Error::invalid(field, "not an IANA zone name"));
        }
        Ok(Self {
            start_hour,
            end_hour,
            location: location.to_owned(),
        })
    }

    fn to_value(&self) -> Value {
        json!({
            "name": BUSINESS_HOURS,
            "time_intervals": [{
                "weekdays": ["monday:friday"],
                "times": [{
                    "start_time": format!("{:02}:00", self.start_hour),
                    "end_time": format!("{:02}:00", self.end_hour),
                }],
                "location": self.location,
            }],
        })
    }
}

/// The contact chain: receivers per severity, the acknowledgement time and business hours.
///
/// ```
/// use hardening_model::monitoring::{BusinessHours, Escalation, Receiver, Severity};
/// let chain = Escalation::new(Receiver::pagerduty("pd-routing-key-0123".into())?)
///     .receiver(Severity::Sev3, Receiver::email("ops@example.com", "alerts@example.com", "smtp.example.com:587")?)
///     .business_hours(BusinessHours::new(9, 17, "Europe/Berlin")?);
/// let file = chain.render()?;
/// assert_eq!(file.mode, 0o600);
/// assert!(file.content.contains("active_time_intervals"));
/// assert!(!format!("{chain:?}").contains("pd-routing-key"));
/// # Ok::<(), hardening_model::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Escalation {
    receivers: [Vec<Receiver>; 3],
    ack_within_minutes: u32,
    business_hours: Option<BusinessHours>,
}

fn index(s: Severity) -> usize {
    match s {
        Severity::Sev1 => 0,
        Severity::Sev2 => 1,
        Severity::Sev3 => 2,
    }
}

impl Escalation {
    /// SEV1's receiver (the on-call pager); SEV2 and SEV3 use it too until given their own.
    /// Acknowledgement within 5 minutes; no business hours (SEV3 notifies at any time).
    pub fn new(on_call: Receiver) -> Self {
        Self {
            receivers: [vec![on_call], Vec::new(), Vec::new()],
            ack_within_minutes: 5,
            business_hours: None,
        }
    }

    /// Adds a receiver to `severity` (the first one replaces the inherited ones).
    #[must_use]
    pub fn receiver(mut self, severity: Severity, receiver: Receiver) -> Self {
        self.receivers[index(severity)].push(receiver);
        self
    }

    /// How long the on-call has to acknowledge a SEV1 before it is sent again (1 to 60
    /// minutes).
    pub fn ack_within(mut self, minutes: u32) -> Result<Self> {
        if !(1..=60).contains(&minutes) {
            return Err(Error::new(
                "escalation.ack_within",
                Problem::OutOfRange {
                    min: 1,
                    max: 60,
                    value: i64::from(minutes),
                },
            ));
        }
        self.ack_within_minutes = minutes;
        Ok(self)
    }

    /// SEV3 notifications only within these hours.
    #[must_use]
    pub fn business_hours(mut self, hours: BusinessHours) -> Self {
        self.business_hours = Some(hours);
        self
    }

    /// The receivers `severity` reaches (its own, or the next more severe level's).
    pub fn receivers(&self, severity: Severity) -> &[Receiver] {
        let mut i = index(severity);
        while self.receivers[i].is_empty() && i > 0 {
            i -= 1;
        }
        &self.receivers[i]
    }

    /// The Alertmanager receiver name of a severity (`sev1-on-call`, ...).
    pub fn receiver_name(severity: Severity) -> String {
        format!("{}-on-call", severity.as_str())
    }

    /// The configuration as YAML.
    pub fn to_yaml(&self) -> Result<String> {
        let mut receivers = Vec::new();
        let mut routes = Vec::new();
        for severity in Severity::ALL {
            let mut entry = Map::new();
            entry.insert("name".into(), json!(Self::receiver_name(severity)));
            for r in self.receivers(severity) {
                if let Some(list) = entry
                    .entry(r.kind())
                    .or_insert_with(|| json!([]))
                    .as_array_mut()
                {
                    list.push(r.to_value(severity));
                }
            }
            receivers.push(Value::Object(entry));
            let (wait, interval, repeat) = match severity {
                Severity::Sev1 => (
                    "0s".to_owned(),
                    "1m".to_owned(),
                    format!("{}m", self.ack_within_minutes),
                ),
                Severity::Sev2 => ("30s".into(), "5m".into(), "1h".into()),
                Severity::Sev3 => ("5m".into(), "30m".into(), "12h".into()),
            };
            let mut route = json!({
                "matchers": [format!("severity=\"{}\"", severity.as_str())],
                "receiver": Self::receiver_name(severity),
                "group_wait": wait,
                "group_interval": interval,
                "repeat_interval": repeat,
            });
            if severity == Severity::Sev3 && self.business_hours.is_some() {
                route["active_time_intervals"] = json!([BUSINESS_HOURS]);
            }
            routes.push(route);
        }
        let mut doc = json!({
            "global": {"resolve_timeout": "5m"},
            "route": {
                "receiver": Self::receiver_name(Severity::Sev2),
                "group_by": ["alertname", "instance"],
                "group_wait": "30s",
                "group_interval": "5m",
                "repeat_interval": "1h",
                "routes": routes,
            },
            "receivers": receivers,
            "inhibit_rules": [{
                "source_matchers": ["severity=\"sev1\""],
                "target_matchers": ["severity=\"sev3\""],
                "equal": ["instance"],
            }],
        });
        if let Some(hours) = &self.business_hours {
            doc["time_intervals"] = json!([hours.to_value()]);
        }
        serde_saphyr::to_string(&doc)
            .map_err(|e| Error::invalid("escalation", format!("YAML serialisation failed: {e}")))
    }

    /// `alertmanager.yml` at [`ALERTMANAGER_CONFIG_PATH`], `prometheus:prometheus` `0600`
    /// (Debian's Alertmanager runs as `prometheus`; the file holds the receivers' secrets).
    pub fn render(&self) -> Result<RenderedFile> {
        self.render_at(ALERTMANAGER_CONFIG_PATH)
    }

    /// [`render`](Self::render) at another path.
    pub fn render_at(&self, path: &str) -> Result<RenderedFile> {
        crate::values::AbsPath::new(path)
            .map_err(|e| Error::new("escalation.path", e.problem().clone()))?;
        let mut file = RenderedFile::root(path, 0o600, self.to_yaml()?);
        file.owner = "prometheus:prometheus".to_owned();
        Ok(file)
    }
}
