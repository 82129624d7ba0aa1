//! One site block: domains, TLS, headers, origin allow-list, body limit, proxy, logs.

use ipnet::IpNet;

use super::headers::SecurityHeaders;
use super::origin_pull::OriginPull;
use super::proxy::ReverseProxy;
use super::ratelimit::RateLimitZone;
use crate::values::{AbsPath, Domain};
use crate::{Error, Problem, Result};

/// Accepted TLS versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsProtocols {
    /// TLS 1.2 and 1.3 (Mozilla intermediate).
    Tls12Plus,
    /// TLS 1.3 only (Mozilla modern; fine when only Cloudflare connects to the origin).
    #[default]
    Tls13Only,
}

/// A key-exchange group as Caddy names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Curve {
    /// `x25519mlkem768`: hybrid post-quantum (Caddy 2.10 and later).
    X25519Mlkem768,
    /// `x25519`.
    X25519,
    /// `secp256r1` (P-256).
    P256,
    /// `secp384r1` (P-384).
    P384,
}

impl Curve {
    fn as_str(self) -> &'static str {
        match self {
            Self::X25519Mlkem768 => "x25519mlkem768",
            Self::X25519 => "x25519",
            Self::P256 => "secp256r1",
            Self::P384 => "secp384r1",
        }
    }
}

/// The site's TLS policy.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TlsPolicy {
    /// Accepted versions.
    pub protocols: TlsProtocols,
    curves: Option<Vec<Curve>>,
    certificate: Option<(AbsPath, AbsPath)>,
    origin_pull: Option<OriginPull>,
}

impl TlsPolicy {
    /// A policy with Caddy's default curves (which, from Caddy 2.10, are
    /// `x25519mlkem768 x25519 secp256r1 secp384r1`).
    pub fn new(protocols: TlsProtocols) -> Self {
        Self {
            protocols,
            curves: None,
            certificate: None,
            origin_pull: None,
        }
    }

    /// Serves the certificate in `cert_file` with the key in `key_file` (PEM) instead of
    /// obtaining one by ACME, e.g. a Cloudflare Origin CA certificate for a proxied zone
    /// (`tls <cert_file> <key_file>`).
    #[must_use]
    pub fn with_certificate(mut self, cert_file: AbsPath, key_file: AbsPath) -> Self {
        self.certificate = Some((cert_file, key_file));
        self
    }

    /// Requires Cloudflare's origin-pull client certificate (Authenticated Origin Pulls): TLS
    /// clients without a certificate from that CA are refused during the handshake.
    ///
    /// ```
    /// use hardening_model::caddy::{OriginPull, TlsPolicy, TlsProtocols};
    /// let tls = TlsPolicy::new(TlsProtocols::Tls13Only).with_origin_pull(OriginPull::cloudflare());
    /// assert!(tls.origin_pull().is_some());
    /// ```
    #[must_use]
    pub fn with_origin_pull(mut self, origin_pull: OriginPull) -> Self {
        self.origin_pull = Some(origin_pull);
        self
    }

    /// The required client certificate CA, when Authenticated Origin Pulls is on.
    pub fn origin_pull(&self) -> Option<&OriginPull> {
        self.origin_pull.as_ref()
    }

    /// Fixes the curve list. It must keep `x25519mlkem768` and P-256 (erratum 14: the
    /// runbook's `x25519 secp384r1` dropped the post-quantum hybrid and the most widely
    /// supported NIST curve). An explicit list needs Caddy 2.10 or later.
    ///
    /// ```
    /// use hardening_model::caddy::{Curve, TlsPolicy, TlsProtocols};
    /// let p = TlsPolicy::new(TlsProtocols::Tls13Only);
    /// assert!(p.clone().with_curves(&[Curve::X25519, Curve::P384]).is_err());
    /// assert!(p.with_curves(&[Curve::X25519Mlkem768, Curve::X25519, Curve::P256]).is_ok());
    /// ```
    pub fn with_curves(mut self, curves: &[Curve]) -> Result<Self> {
        if !curves.contains(&Curve::X25519Mlkem768) || !curves.contains(&Curve::P256) {
            return Err(Error::invalid(
                "tls.curves",
                "must keep x25519mlkem768 and secp256r1",
            ));
        }
        let mut list = Vec::new();
        for c in curves {
            if !list.contains(c) {
                list.push(*c);
            }
        }
        self.curves = Some(list);
        Ok(self)
    }

    fn render(&self, out: &mut String) {
        let protocols = match self.protocols {
            TlsProtocols::Tls12Plus => "tls1.2 tls1.3",
            TlsProtocols::Tls13Only => "tls1.3",
        };
        match &self.certificate {
            Some((cert, key)) => out.push_str(&format!(
                "\ttls {} {} {{\n\t\tprotocols {protocols}\n",
                cert.as_str(),
                key.as_str()
            )),
            None => out.push_str(&format!("\ttls {{\n\t\tprotocols {protocols}\n")),
        }
        if let Some(curves) = &self.curves {
            let names: Vec<&str> = curves.iter().map(|c| c.as_str()).collect();
            out.push_str(&format!("\t\tcurves {}\n", names.join(" ")));
        }
        out.push_str("\t\talpn h2 http/1.1\n");
        if let Some(origin_pull) = &self.origin_pull {
            origin_pull.render(out);
        }
        out.push_str("\t}\n");
    }
}

/// A site served by Caddy and proxied to an upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    domains: Vec<Domain>,
    /// TLS policy.
    pub tls: TlsPolicy,
    /// Security headers.
    pub headers: SecurityHeaders,
    proxy: ReverseProxy,
    /// `request_body max_size` in MB (`None`: Caddy's default, unlimited).
    pub max_body_mb: Option<u32>,
    origin_allow: Vec<IpNet>,
    rate_limits: Vec<RateLimitZone>,
    access_log: Option<AccessLog>,
}

/// Where a site's JSON access log goes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum AccessLog {
    /// A file, rolled at 10 MiB, 10 files kept.
    File(AbsPath),
    /// Caddy's stdout: in a container, the log driver's stream (journald in the hardened
    /// daemon), which the host's log shipper carries off the host.
    Stdout,
}

impl Site {
    /// A site for `domains` (at least one) proxying with `proxy`; default TLS and headers,
    /// a 16 MB body limit, no origin restriction, no access log.
    pub fn new(domains: Vec<Domain>, proxy: ReverseProxy) -> Result<Self> {
        if domains.is_empty() {
            return Err(Error::new("site.domains", Problem::Empty));
        }
        if domains.iter().any(|d| d.as_str() == "import") {
            return Err(Error::invalid(
                "site.domains",
                "'import' is a Caddyfile keyword",
            ));
        }
        Ok(Self {
            domains,
            tls: TlsPolicy::default(),
            headers: SecurityHeaders::default(),
            proxy,
            max_body_mb: Some(16),
            origin_allow: Vec::new(),
            rate_limits: Vec::new(),
            access_log: None,
        })
    }

    /// Answers only connections from `ranges` (e.g. Cloudflare's); everything else is aborted
    /// without a response. The list must hold IPv4 and IPv6 ranges (erratum 14: the
    /// runbook's allow-list forgot IPv6, so Cloudflare's IPv6 edges were refused).
    pub fn only_from(mut self, ranges: &[IpNet]) -> Result<Self> {
        check_dual_stack("site.origin_allow", ranges)?;
        self.origin_allow = ranges.iter().map(IpNet::trunc).collect();
        Ok(self)
    }

    /// Adds a rate-limit zone (needs the caddy-ratelimit plugin; checked when rendering).
    #[must_use]
    pub fn with_rate_limit(mut self, zone: RateLimitZone) -> Self {
        self.rate_limits.push(zone);
        self
    }

    /// Writes a JSON access log to `path` (rolled at 10 MiB, 10 files kept). Caddy's access
    /// log records `client_ip`, the real client behind trusted proxies.
    #[must_use]
    pub fn with_access_log(mut self, path: AbsPath) -> Self {
        self.access_log = Some(AccessLog::File(path));
        self
    }

    /// Writes the JSON access log to Caddy's stdout instead of a file. In a container the
    /// log driver takes it from there: with the hardened daemon's journald driver each request
    /// is a journal entry carrying `CONTAINER_NAME`, so it leaves the host with the other logs
    /// and is bounded by journald's limits rather than a file inside a volume.
    ///
    /// ```
    /// use hardening_model::caddy::{Caddyfile, ReverseProxy, Site, Upstream};
    /// use hardening_model::values::{Domain, Port};
    /// let proxy = ReverseProxy::new(vec![Upstream::new("app", Port::new(3000)?)?])?;
    /// let site = Site::new(vec![Domain::new("app.example.com")?], proxy)?.with_access_log_to_stdout();
    /// let text = Caddyfile::new().with_site(site).render()?;
    /// assert!(text.contains("\tlog {\n\t\toutput stdout\n\t\tformat json\n\t}\n"));
    /// # Ok::<(), hardening_model::Error>(())
    /// ```
    #[must_use]
    pub fn with_access_log_to_stdout(mut self) -> Self {
        self.access_log = Some(AccessLog::Stdout);
        self
    }

    /// The site's domains.
    pub fn domains(&self) -> &[Domain] {
        &self.domains
    }

    /// The origin allow-list.
    pub fn origin_allow(&self) -> &[IpNet] {
        &self.origin_allow
    }

    pub(crate) fn has_rate_limits(&self) -> bool {
        !self.rate_limits.is_empty()
    }

    pub(crate) fn validate(&self) -> Result<()> {
        self.proxy.validate()?;
        if self.max_body_mb == Some(0) {
            return Err(Error::new(
                "site.max_body_mb",
                Problem::OutOfRange {
                    min: 1,
                    max: i64::from(u32::MAX),
                    value: 0,
                },
            ));
        }
        let mut zones = std::collections::BTreeSet::new();
        for z in &self.rate_limits {
            if !zones.insert(z.name()) {
                return Err(Error::invalid("site.rate_limit", "duplicate zone name"));
            }
        }
        Ok(())
    }

    pub(crate) fn render(&self, out: &mut String) {
        let names: Vec<&str> = self.domains.iter().map(Domain::as_str).collect();
        out.push_str(&format!("{} {{\n", names.join(", ")));
        self.tls.render(out);
        if !self.origin_allow.is_empty() {
            let ranges: Vec<String> = self.origin_allow.iter().map(ToString::to_string).collect();
            out.push_str(&format!(
                "\t@not_allowed_origin not remote_ip {}\n",
                ranges.join(" ")
            ));
            out.push_str("\tabort @not_allowed_origin\n");
        }
        let (set, removed) = self.headers.lines();
        out.push_str("\theader {\n");
        for (name, value) in set {
            out.push_str(&format!("\t\t{name} \"{value}\"\n"));
        }
        for name in removed {
            out.push_str(&format!("\t\t-{name}\n"));
        }
        out.push_str("\t}\n");
        if let Some(mb) = self.max_body_mb {
            out.push_str(&format!("\trequest_body {{\n\t\tmax_size {mb}MB\n\t}}\n"));
        }
        if !self.rate_limits.is_empty() {
            out.push_str("\trate_limit {\n");
            for z in &self.rate_limits {
                z.render(out);
            }
            out.push_str("\t}\n");
        }
        self.proxy.render(out);
        match &self.access_log {
            Some(AccessLog::File(path)) => out.push_str(&format!(
                "\tlog {{\n\t\toutput file {} {{\n\t\t\troll_size 10MiB\n\t\t\troll_keep 10\n\t\t}}\n\t\tformat json\n\t}}\n",
                path.as_str()
            )),
            Some(AccessLog::Stdout) => {
                out.push_str("\tlog {\n\t\toutput stdout\n\t\tformat json\n\t}\n");
            }
            None => {}
        }
        out.push_str("\thandle_errors {\n\t\trespond \"{err.status_code} {err.status_text}\" {err.status_code}\n\t}\n");
        out.push_str("}\n");
    }
}

/// Checks that `ranges` is non-empty and holds both IPv4 and IPv6 networks.
pub(crate) fn check_dual_stack(field: &str, ranges: &[IpNet]) -> Result<()> {
    if ranges.is_empty() {
        return Err(Error::new(field, Problem::Empty));
    }
    let v4 = ranges.iter().any(|r| matches!(r, IpNet::V4(_)));
    let v6 = ranges.iter().any(|r| matches!(r, IpNet::V6(_)));
    if !(v4 && v6) {
        return Err(Error::invalid(
            field,
            "must include both IPv4 and IPv6 ranges",
        ));
    }
    Ok(())
}
