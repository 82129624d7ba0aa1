//! The Caddyfile model (runbook section 6, erratum 14).
//!
//! One [`Caddyfile`] holds the global options and the [`Site`]s. Everything a caller passes
//! in is a validated value ([`Domain`](crate::values::Domain), [`HeaderValue`], [`UriPath`],
//! [`Upstream`], IP networks), so no input can open or close a block or start a directive.
//!
//! What differs from the runbook, and why:
//! - `X-XSS-Protection: 0` (the legacy auditor is itself exploitable), HSTS `preload` only on
//!   request, no `'unsafe-inline'` in `script-src` unless explicitly allowed.
//! - Curves: Caddy's defaults (post-quantum hybrid first) or an explicit list that keeps
//!   `x25519mlkem768` and P-256; the runbook's `x25519 secp384r1` dropped both.
//! - Behind Cloudflare, `servers { trusted_proxies static <ranges> }` plus
//!   `client_ip_headers Cf-Connecting-Ip`, and `{client_ip}` instead of `{remote_host}`
//!   (which is the Cloudflare edge). The origin allow-list includes IPv6.
//! - `rate_limit` only when the caddy-ratelimit plugin is declared present: stock Caddy
//!   does not know the directive and refuses the whole file.
//! - With Authenticated Origin Pulls on, each site requires Cloudflare's origin-pull client
//!   certificate ([`OriginPull`], `client_auth { mode require_and_verify ... }`): the runbook
//!   enabled AOP at the zone but never made the origin check it.
//! - [`Listen`] binds only the public interface's addresses (`default_bind`), never every
//!   address when the address is known.
//! - `trusted_proxies` and `client_ip_headers` need Caddy 2.7 or later; explicit
//!   `x25519mlkem768` needs 2.10 or later (the official `caddy:2` images are newer).

mod headers;
mod listen;
mod origin_pull;
mod proxy;
mod ratelimit;
mod site;

use std::fmt::Write as _;

use ipnet::IpNet;

pub use headers::{HeaderName, HeaderValue, SecurityHeaders};
pub use listen::Listen;
pub use origin_pull::OriginPull;
pub use proxy::{HealthCheck, ReverseProxy, Timeouts, Upstream, UriPath};
pub use ratelimit::RateLimitZone;
pub use site::{Curve, Site, TlsPolicy, TlsProtocols};

use crate::values::{AbsPath, check_chars, check_max_len, check_non_empty};
use crate::{Error, Problem, RenderedFile, Result};

/// Where the Caddyfile goes by default.
pub const CADDYFILE_PATH: &str = "/etc/caddy/Caddyfile";

/// A complete Caddyfile: global options and sites.
///
/// ```
/// use hardening_model::caddy::{Caddyfile, ReverseProxy, Site, Upstream, UriPath};
/// use hardening_model::values::{Domain, Port};
///
/// let proxy = ReverseProxy::new(vec![Upstream::new("app", Port::new(3000).unwrap()).unwrap()])
///     .unwrap()
///     .with_health_check(UriPath::new("/health").unwrap());
/// let site = Site::new(vec![Domain::new("app.example.com").unwrap()], proxy).unwrap();
/// let text = Caddyfile::new().with_site(site).render().unwrap();
/// assert!(text.contains("admin off"));
/// assert!(text.contains("header_up X-Real-IP {client_ip}"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caddyfile {
    email: Option<String>,
    trusted_proxies: Vec<IpNet>,
    client_ip_header: Option<HeaderName>,
    ratelimit_plugin: bool,
    listen: Option<Listen>,
    sites: Vec<Site>,
}

impl Caddyfile {
    /// An empty Caddyfile (admin API off, HTTP/1.1 and HTTP/2, strict SNI).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the ACME account e-mail (`local@domain`, letters, digits and `._+-`).
    pub fn with_email(mut self, email: &str) -> Result<Self> {
        let field = "caddy.email";
        check_non_empty(field, email)?;
        check_max_len(field, email, 254)?;
        let Some((local, domain)) = email.split_once('@') else {
            return Err(Error::invalid(field, "must be local@domain"));
        };
        check_non_empty(field, local)?;
        check_chars(field, local, |c| {
            c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-')
        })?;
        crate::values::Domain::new(domain).map_err(|e| Error::new(field, e.problem().clone()))?;
        self.email = Some(email.to_owned());
        Ok(self)
    }

    /// Trusts `ranges` as proxies (Cloudflare's IPv4 and IPv6 ranges), so `{client_ip}` is
    /// the visitor's address taken from `header` (e.g. `Cf-Connecting-Ip`; `None` keeps
    /// Caddy's default, `X-Forwarded-For`).
    pub fn with_trusted_proxies(
        mut self,
        ranges: &[IpNet],
        header: Option<HeaderName>,
    ) -> Result<Self> {
        site::check_dual_stack("caddy.trusted_proxies", ranges)?;
        self.trusted_proxies = ranges.iter().map(IpNet::trunc).collect();
        self.client_ip_header = header;
        Ok(self)
    }

    /// Declares that this Caddy build includes the caddy-ratelimit plugin, which allows
    /// [`Site::with_rate_limit`] zones to render.
    #[must_use]
    pub fn with_ratelimit_plugin(mut self) -> Self {
        self.ratelimit_plugin = true;
        self
    }

    /// Binds only the addresses (and ports) in `listen` (global `default_bind`), instead of
    /// every address of the host.
    #[must_use]
    pub fn with_listen(mut self, listen: Listen) -> Self {
        self.listen = Some(listen);
        self
    }

    /// Where Caddy listens, when restricted.
    pub fn listen(&self) -> Option<&Listen> {
        self.listen.as_ref()
    }

    /// Adds a site.
    #[must_use]
    pub fn with_site(mut self, site: Site) -> Self {
        self.sites.push(site);
        self
    }

    /// Every site requires Cloudflare's (or another CA's) client certificate: the origin
    /// answers nothing to a TLS client without one (Authenticated Origin Pulls, erratum 34).
    ///
    /// ```
    /// use hardening_model::caddy::{Caddyfile, OriginPull, ReverseProxy, Site, Upstream};
    /// use hardening_model::values::{Domain, Port};
    /// let proxy = ReverseProxy::new(vec![Upstream::new("app", Port::new(3000)?)?])?;
    /// let site = Site::new(vec![Domain::new("app.example.com")?], proxy)?;
    /// let caddyfile = Caddyfile::new().with_site(site).require_origin_pull(&OriginPull::cloudflare());
    /// assert!(caddyfile.render()?.contains("mode require_and_verify"));
    /// # Ok::<(), hardening_model::Error>(())
    /// ```
    #[must_use]
    pub fn require_origin_pull(mut self, origin_pull: &OriginPull) -> Self {
        for site in &mut self.sites {
            site.tls = site.tls.clone().with_origin_pull(origin_pull.clone());
        }
        self
    }

    /// The sites.
    pub fn sites(&self) -> &[Site] {
        &self.sites
    }

    /// The trusted proxy ranges.
    pub fn trusted_proxies(&self) -> &[IpNet] {
        &self.trusted_proxies
    }

    /// Checks the whole file.
    pub fn validate(&self) -> Result<()> {
        if self.sites.is_empty() {
            return Err(Error::new("caddy.sites", Problem::Empty));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, site) in self.sites.iter().enumerate() {
            site.validate()
                .map_err(|e| e.within(&format!("caddy.sites[{i}]")))?;
            if site.has_rate_limits() && !self.ratelimit_plugin {
                return Err(Error::new(
                    format!("caddy.sites[{i}].rate_limit"),
                    Problem::Conflict(
                        "rate_limit needs the caddy-ratelimit plugin, which stock Caddy lacks"
                            .into(),
                    ),
                ));
            }
            for d in site.domains() {
                if !seen.insert(d.as_str()) {
                    return Err(Error::invalid(
                        format!("caddy.sites[{i}].domains"),
                        "domain served twice",
                    ));
                }
            }
        }
        Ok(())
    }

    /// Renders the Caddyfile text.
    pub fn render(&self) -> Result<String> {
        self.validate()?;
        let mut out = String::from("{\n\tadmin off\n");
        if let Some(email) = &self.email {
            let _ = writeln!(out, "\temail {email}");
        }
        if let Some(listen) = &self.listen {
            listen.render(&mut out);
        }
        if self.sites.iter().any(Site::has_rate_limits) {
            out.push_str("\torder rate_limit before basicauth\n");
        }
        out.push_str("\tservers {\n\t\tprotocols h1 h2\n\t\tstrict_sni_host on\n");
        if !self.trusted_proxies.is_empty() {
            let ranges: Vec<String> = self
                .trusted_proxies
                .iter()
                .map(ToString::to_string)
                .collect();
            let _ = writeln!(out, "\t\ttrusted_proxies static {}", ranges.join(" "));
            if let Some(h) = &self.client_ip_header {
                let _ = writeln!(out, "\t\tclient_ip_headers {}", h.as_str());
            }
        }
        out.push_str("\t}\n}\n");
        for site in &self.sites {
            out.push('\n');
            site.render(&mut out);
        }
        Ok(out)
    }

    /// Renders to `path` (root, 0644).
    pub fn render_at(&self, path: &str) -> Result<RenderedFile> {
        let path = AbsPath::new(path).map_err(|e| Error::new("caddy.path", e.problem().clone()))?;
        Ok(RenderedFile::root(path.as_str(), 0o644, self.render()?))
    }
}
