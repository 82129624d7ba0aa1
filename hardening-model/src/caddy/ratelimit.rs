//! `rate_limit` zones for the third-party caddy-ratelimit plugin (erratum 14).
//!
//! Stock Caddy has no `rate_limit` directive; a Caddyfile using it does not even load. The
//! [`Caddyfile`](super::Caddyfile) renders zones only when the caller declares the plugin
//! present ([`Caddyfile::with_ratelimit_plugin`](super::Caddyfile::with_ratelimit_plugin)) and
//! refuses them otherwise. Zones are keyed on `{client_ip}`, never `{remote_host}` (which is a
//! Cloudflare edge address behind the proxy).

use super::proxy::UriPath;
use crate::values::{check_chars, check_max_len, check_non_empty};
use crate::{Error, Problem, Result};

/// One rate-limit zone: at most `events` requests per `window_s` seconds per client IP,
/// optionally only for some paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitZone {
    name: String,
    paths: Vec<UriPath>,
    events: u32,
    window_s: u32,
}

impl RateLimitZone {
    /// Validates the zone (name `[a-z0-9_]`, events and window at least 1).
    ///
    /// ```
    /// use hardening_model::caddy::{RateLimitZone, UriPath};
    /// let auth = RateLimitZone::new("auth", 5, 60).unwrap().for_path(UriPath::new("/login").unwrap());
    /// assert!(RateLimitZone::new("a b", 5, 60).is_err());
    /// ```
    pub fn new(name: &str, events: u32, window_s: u32) -> Result<Self> {
        let field = "rate_limit.zone";
        check_non_empty(field, name)?;
        check_max_len(field, name, 32)?;
        check_chars(field, name, |c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'
        })?;
        for (f, v) in [
            ("rate_limit.events", events),
            ("rate_limit.window_s", window_s),
        ] {
            if v == 0 {
                return Err(Error::new(
                    f,
                    Problem::OutOfRange {
                        min: 1,
                        max: i64::from(u32::MAX),
                        value: 0,
                    },
                ));
            }
        }
        Ok(Self {
            name: name.to_owned(),
            paths: Vec::new(),
            events,
            window_s,
        })
    }

    /// Limits the zone to requests matching `path`.
    #[must_use]
    pub fn for_path(mut self, path: UriPath) -> Self {
        self.paths.push(path);
        self
    }

    /// The zone name.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn render(&self, out: &mut String) {
        out.push_str(&format!("\t\tzone {} {{\n", self.name));
        if !self.paths.is_empty() {
            let paths: Vec<&str> = self.paths.iter().map(UriPath::as_str).collect();
            out.push_str(&format!(
                "\t\t\tmatch {{\n\t\t\t\tpath {}\n\t\t\t}}\n",
                paths.join(" ")
            ));
        }
        out.push_str(&format!(
            "\t\t\tkey {{client_ip}}\n\t\t\tevents {}\n\t\t\twindow {}s\n\t\t}}\n",
            self.events, self.window_s
        ));
    }
}
