//! `reverse_proxy` with active health checks and transport timeouts.

use std::net::IpAddr;

use crate::values::{Port, check_chars, check_max_len, check_non_empty};
use crate::{Error, Problem, Result};

/// A request path for matchers and health checks: starts with `/`, then
/// `[A-Za-z0-9._~/-]`, optionally ending in `*` (prefix match), at most 256 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UriPath(String);

impl UriPath {
    /// Validates the path.
    ///
    /// ```
    /// use hardening_model::caddy::UriPath;
    /// assert!(UriPath::new("/api/auth/*").is_ok());
    /// assert!(UriPath::new("/x }\nadmin :2019").is_err());
    /// ```
    pub fn new(path: &str) -> Result<Self> {
        let field = "path";
        check_non_empty(field, path)?;
        check_max_len(field, path, 256)?;
        if !path.starts_with('/') {
            return Err(Error::invalid(field, "must start with '/'"));
        }
        let body = path.strip_suffix('*').unwrap_or(path);
        check_chars(field, body, |c| {
            c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '~' | '/' | '-')
        })?;
        Ok(Self(path.to_owned()))
    }

    /// The path.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An upstream address: a host name (compose service or DNS name) or IP, and a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    host: String,
    port: Port,
}

impl Upstream {
    /// Validates `host` (`[a-z0-9._-]`, or an IP address) and builds `host:port`.
    ///
    /// ```
    /// use hardening_model::caddy::Upstream;
    /// use hardening_model::values::Port;
    /// assert_eq!(Upstream::new("app", Port::new(3000).unwrap()).unwrap().to_string(), "app:3000");
    /// assert_eq!(Upstream::new("::1", Port::new(80).unwrap()).unwrap().to_string(), "[::1]:80");
    /// assert!(Upstream::new("app {", Port::new(80).unwrap()).is_err());
    /// ```
    pub fn new(host: &str, port: Port) -> Result<Self> {
        let field = "reverse_proxy.upstream";
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(Self {
                host: ip.to_string(),
                port,
            });
        }
        check_non_empty(field, host)?;
        check_max_len(field, host, 253)?;
        check_chars(field, host, |c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
        })?;
        if host.starts_with(['.', '-']) {
            return Err(Error::invalid(field, "must start with a letter or digit"));
        }
        Ok(Self {
            host: host.to_owned(),
            port,
        })
    }
}

impl std::fmt::Display for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// An active health check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheck {
    /// Path probed on each upstream.
    pub uri: UriPath,
    /// Seconds between probes.
    pub interval_s: u32,
    /// Seconds before a probe fails.
    pub timeout_s: u32,
    /// Expected status code (100-599).
    pub status: u16,
}

/// Transport timeouts, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// `dial_timeout`.
    pub dial_s: u32,
    /// `response_header_timeout`.
    pub response_header_s: u32,
    /// `read_timeout`.
    pub read_s: u32,
    /// `write_timeout`.
    pub write_s: u32,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            dial_s: 5,
            response_header_s: 30,
            read_s: 120,
            write_s: 120,
        }
    }
}

/// A reverse proxy to one or more upstreams. The upstream receives the client address in
/// `X-Real-IP` as `{client_ip}`, which is the real client behind trusted proxies (Cloudflare)
/// and never a proxy's address; Caddy manages `X-Forwarded-For` itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReverseProxy {
    upstreams: Vec<Upstream>,
    /// Active health check, if any.
    pub health: Option<HealthCheck>,
    /// Transport timeouts.
    pub timeouts: Timeouts,
}

impl ReverseProxy {
    /// A proxy to `upstreams` (at least one) with the default timeouts and no health check.
    pub fn new(upstreams: Vec<Upstream>) -> Result<Self> {
        if upstreams.is_empty() {
            return Err(Error::new("reverse_proxy.upstreams", Problem::Empty));
        }
        Ok(Self {
            upstreams,
            health: None,
            timeouts: Timeouts::default(),
        })
    }

    /// Adds an active health check probing `uri` every 30 s (5 s timeout, expecting 200).
    #[must_use]
    pub fn with_health_check(mut self, uri: UriPath) -> Self {
        self.health = Some(HealthCheck {
            uri,
            interval_s: 30,
            timeout_s: 5,
            status: 200,
        });
        self
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if let Some(h) = &self.health {
            if !(100..=599).contains(&h.status) {
                return Err(Error::new(
                    "reverse_proxy.health.status",
                    Problem::OutOfRange {
                        min: 100,
                        max: 599,
                        value: i64::from(h.status),
                    },
                ));
            }
            if h.interval_s == 0 || h.timeout_s == 0 {
                return Err(Error::invalid(
                    "reverse_proxy.health",
                    "interval and timeout must be at least 1s",
                ));
            }
            if h.uri.as_str().ends_with('*') {
                return Err(Error::invalid(
                    "reverse_proxy.health.uri",
                    "must be a plain path",
                ));
            }
        }
        let t = self.timeouts;
        if [t.dial_s, t.response_header_s, t.read_s, t.write_s].contains(&0) {
            return Err(Error::invalid(
                "reverse_proxy.timeouts",
                "every timeout must be at least 1s",
            ));
        }
        Ok(())
    }

    pub(crate) fn render(&self, out: &mut String) {
        let ups: Vec<String> = self.upstreams.iter().map(ToString::to_string).collect();
        out.push_str(&format!("\treverse_proxy {} {{\n", ups.join(" ")));
        if let Some(h) = &self.health {
            out.push_str(&format!(
                "\t\thealth_uri {}\n\t\thealth_interval {}s\n\t\thealth_timeout {}s\n\t\thealth_status {}\n",
                h.uri.as_str(),
                h.interval_s,
                h.timeout_s,
                h.status
            ));
        }
        out.push_str("\t\theader_up X-Real-IP {client_ip}\n");
        let t = self.timeouts;
        out.push_str(&format!(
            "\t\ttransport http {{\n\t\t\tdial_timeout {}s\n\t\t\tresponse_header_timeout {}s\n\t\t\tread_timeout {}s\n\t\t\twrite_timeout {}s\n\t\t}}\n",
            t.dial_s, t.response_header_s, t.read_s, t.write_s
        ));
        out.push_str("\t}\n");
    }
}
