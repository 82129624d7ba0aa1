//! Response headers: validated names and values, and the security header set (runbook 6.2).

use crate::values::{check_chars, check_max_len, check_non_empty};
use crate::{Error, Result};

/// Words that mean something else as the first token of a line in a `header` block:
/// `import` would splice in a snippet or a file, `defer` and `match` are subdirectives.
const RESERVED: &[&str] = &["import", "defer", "match"];

/// An HTTP header name: `[A-Za-z0-9-]`, at most 64 characters, not a Caddyfile keyword.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HeaderName(String);

impl HeaderName {
    /// Validates the name.
    ///
    /// ```
    /// use hardening_model::caddy::HeaderName;
    /// assert!(HeaderName::new("Cf-Connecting-Ip").is_ok());
    /// assert!(HeaderName::new("X-A {").is_err());
    /// assert!(HeaderName::new("import").is_err());
    /// ```
    pub fn new(name: &str) -> Result<Self> {
        let field = "header.name";
        check_non_empty(field, name)?;
        check_max_len(field, name, 64)?;
        check_chars(field, name, |c| c.is_ascii_alphanumeric() || c == '-')?;
        if name.starts_with('-') {
            return Err(Error::invalid(field, "must not start with '-'"));
        }
        if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name)) {
            return Err(Error::invalid(
                field,
                "is a Caddyfile keyword inside a header block (import, defer, match)",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A header value that stays inside one double-quoted Caddyfile token: printable ASCII
/// without `"`, `\`, `` ` ``, `{` or `}` (no escapes, no placeholders), at most 4096
/// characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderValue(String);

impl HeaderValue {
    /// Validates the value.
    ///
    /// ```
    /// use hardening_model::caddy::HeaderValue;
    /// assert!(HeaderValue::new("max-age=63072000; includeSubDomains").is_ok());
    /// let err = HeaderValue::new("x\"\n}\nadmin localhost:2019").unwrap_err();
    /// assert_eq!(err.field(), "header.value");
    /// ```
    pub fn new(value: &str) -> Result<Self> {
        let field = "header.value";
        check_non_empty(field, value)?;
        check_max_len(field, value, 4096)?;
        check_chars(field, value, |c| {
            (' '..='~').contains(&c) && !matches!(c, '"' | '\\' | '`' | '{' | '}')
        })?;
        Ok(Self(value.to_owned()))
    }

    /// The value.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The security header set of a site.
///
/// Defaults: HSTS two years with `includeSubDomains` (no `preload` unless asked),
/// `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`, `X-XSS-Protection: 0`
/// (the legacy XSS auditor is itself an attack surface), `Referrer-Policy:
/// strict-origin-when-cross-origin`, a CSP without `'unsafe-inline'` in `script-src`,
/// a Permissions-Policy disabling sensors, and `Server`/`X-Powered-By` removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityHeaders {
    /// HSTS `max-age` in seconds; `None` leaves HSTS out.
    pub hsts_max_age: Option<u32>,
    /// Adds `includeSubDomains` to HSTS.
    pub hsts_include_subdomains: bool,
    /// Adds `preload` to HSTS (only on request: preload lists are hard to leave).
    pub hsts_preload: bool,
    csp: HeaderValue,
    extra: Vec<(HeaderName, HeaderValue)>,
    removed: Vec<HeaderName>,
}

const DEFAULT_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; font-src 'self'; connect-src 'self' wss: https:; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";
const PERMISSIONS_POLICY: &str = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), magnetometer=(), gyroscope=(), accelerometer=()";

impl Default for SecurityHeaders {
    fn default() -> Self {
        Self {
            hsts_max_age: Some(63_072_000),
            hsts_include_subdomains: true,
            hsts_preload: false,
            csp: HeaderValue(DEFAULT_CSP.to_owned()),
            extra: Vec::new(),
            removed: ["Server", "X-Powered-By"]
                .iter()
                .map(|n| HeaderName((*n).to_owned()))
                .collect(),
        }
    }
}

impl SecurityHeaders {
    /// Sets the Content-Security-Policy. A policy whose script sources (`script-src`, or
    /// `default-src` when there is no `script-src`) include `'unsafe-inline'` is refused;
    /// use [`SecurityHeaders::with_csp_allowing_inline_scripts`] to opt in knowingly.
    pub fn with_csp(mut self, policy: &str) -> Result<Self> {
        let value =
            HeaderValue::new(policy).map_err(|e| Error::new("header.csp", e.problem().clone()))?;
        if script_sources_allow_inline(policy) {
            return Err(Error::invalid(
                "header.csp",
                "'unsafe-inline' in script-src defeats the CSP against XSS; opt in explicitly",
            ));
        }
        self.csp = value;
        Ok(self)
    }

    /// Sets a Content-Security-Policy that may allow inline scripts.
    pub fn with_csp_allowing_inline_scripts(mut self, policy: &str) -> Result<Self> {
        self.csp =
            HeaderValue::new(policy).map_err(|e| Error::new("header.csp", e.problem().clone()))?;
        Ok(self)
    }

    /// Adds (or replaces) a response header.
    #[must_use]
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.extra
            .retain(|(n, _)| !n.0.eq_ignore_ascii_case(&name.0));
        self.extra.push((name, value));
        self
    }

    /// Removes a response header set by the upstream.
    #[must_use]
    pub fn removing(mut self, name: HeaderName) -> Self {
        if !self.removed.contains(&name) {
            self.removed.push(name);
        }
        self
    }

    /// The Content-Security-Policy value.
    pub fn csp(&self) -> &str {
        self.csp.as_str()
    }

    /// The header lines, as (name, value) pairs, followed by the removed names.
    pub(crate) fn lines(&self) -> (Vec<(String, String)>, Vec<String>) {
        let mut set: Vec<(String, String)> = Vec::new();
        if let Some(age) = self.hsts_max_age {
            let mut v = format!("max-age={age}");
            if self.hsts_include_subdomains {
                v.push_str("; includeSubDomains");
            }
            if self.hsts_preload {
                v.push_str("; preload");
            }
            set.push(("Strict-Transport-Security".into(), v));
        }
        set.push(("X-Content-Type-Options".into(), "nosniff".into()));
        set.push(("X-Frame-Options".into(), "DENY".into()));
        set.push(("X-XSS-Protection".into(), "0".into()));
        set.push((
            "Referrer-Policy".into(),
            "strict-origin-when-cross-origin".into(),
        ));
        set.push(("Content-Security-Policy".into(), self.csp.0.clone()));
        set.push(("Permissions-Policy".into(), PERMISSIONS_POLICY.into()));
        for (n, v) in &self.extra {
            set.retain(|(k, _)| !k.eq_ignore_ascii_case(&n.0));
            set.push((n.0.clone(), v.0.clone()));
        }
        (set, self.removed.iter().map(|n| n.0.clone()).collect())
    }
}

/// True when the sources that govern scripts contain `'unsafe-inline'`.
fn script_sources_allow_inline(policy: &str) -> bool {
    let directives: Vec<(&str, &str)> = policy
        .split(';')
        .filter_map(|d| {
            let d = d.trim();
            let (name, rest) = d.split_once(char::is_whitespace).unwrap_or((d, ""));
            (!name.is_empty()).then_some((name, rest))
        })
        .collect();
    let find = |n: &str| {
        directives
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| *v)
    };
    let sources = find("script-src")
        .or_else(|| find("default-src"))
        .unwrap_or("");
    sources.to_ascii_lowercase().contains("'unsafe-inline'")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csp_inline_scripts_need_opt_in() {
        let h = SecurityHeaders::default();
        assert!(!script_sources_allow_inline(h.csp()));
        assert!(
            h.clone()
                .with_csp("default-src 'self'; script-src 'self' 'unsafe-inline'")
                .is_err()
        );
        assert!(h.clone().with_csp("default-src 'unsafe-inline'").is_err());
        assert!(
            h.clone()
                .with_csp("default-src 'unsafe-inline'; script-src 'self'")
                .is_ok()
        );
        assert!(
            h.with_csp_allowing_inline_scripts("script-src 'unsafe-inline'")
                .is_ok()
        );
    }

    #[test]
    fn defaults_follow_erratum_14() {
        let (set, removed) = SecurityHeaders::default().lines();
        let get = |n: &str| set.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        assert_eq!(get("X-XSS-Protection"), Some("0"));
        assert_eq!(
            get("Strict-Transport-Security"),
            Some("max-age=63072000; includeSubDomains")
        );
        assert_eq!(removed, ["Server", "X-Powered-By"]);
    }
}
