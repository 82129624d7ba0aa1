//! Authenticated Origin Pulls: the origin answers only TLS clients presenting a certificate
//! issued by Cloudflare's origin-pull CA.
//!
//! Enabling Authenticated Origin Pulls at the zone makes Cloudflare *present* a client
//! certificate; only the origin can *require* it. Without this, anyone who finds the origin's
//! address can talk to it directly (the IP allow-list narrows that to Cloudflare's ranges,
//! which every Cloudflare customer's traffic shares).

use crate::values::AbsPath;

/// Requires and verifies a client certificate issued by the CA in `ca_file`
/// (`client_auth { mode require_and_verify trust_pool file <ca_file> }`, Caddy 2.8+ syntax).
///
/// A TLS client without a certificate, or with one from another CA, fails the handshake:
/// no HTTP request is ever read.
///
/// ```
/// use hardening_model::caddy::OriginPull;
/// assert_eq!(
///     OriginPull::cloudflare().ca_file(),
///     "/etc/caddy/cloudflare-origin-pull-ca.pem"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginPull {
    /// `None`: [`OriginPull::CLOUDFLARE_CA_PATH`].
    ca_file: Option<AbsPath>,
}

impl OriginPull {
    /// Where [`OriginPull::cloudflare`] expects Cloudflare's origin-pull CA certificate
    /// (Cloudflare publishes it as `authenticated_origin_pull_ca.pem`; the file must be
    /// readable by Caddy, e.g. bind-mounted next to the Caddyfile).
    pub const CLOUDFLARE_CA_PATH: &'static str = "/etc/caddy/cloudflare-origin-pull-ca.pem";

    /// Where Cloudflare publishes its zone-level origin-pull CA certificate.
    pub const CLOUDFLARE_CA_URL: &'static str =
        "https://developers.cloudflare.com/ssl/static/authenticated_origin_pull_ca.pem";

    /// The SHA-256 fingerprint of that certificate's DER encoding (upper-case hex, no colons;
    /// `openssl x509 -noout -fingerprint -sha256`): `CN=origin-pull.cloudflare.net`, valid
    /// until 2029-11-01. A host that downloads the file installs it only when it matches.
    pub const CLOUDFLARE_CA_SHA256: &'static str =
        "9A1AC2B4BE15F9F27EEE20A734CBA4E9898F61001B3BD7C84B69B56A3E25A2B9";

    /// Cloudflare's zone-level origin-pull CA at [`OriginPull::CLOUDFLARE_CA_PATH`].
    pub fn cloudflare() -> Self {
        Self { ca_file: None }
    }

    /// Trusts the CA certificate(s) in `ca_file` instead (e.g. a per-zone custom CA).
    pub fn with_ca_file(ca_file: AbsPath) -> Self {
        Self {
            ca_file: Some(ca_file),
        }
    }

    /// The trusted CA file.
    pub fn ca_file(&self) -> &str {
        self.ca_file
            .as_ref()
            .map_or(Self::CLOUDFLARE_CA_PATH, AbsPath::as_str)
    }

    /// The `client_auth` block inside a site's `tls` block (two tabs indented).
    pub(crate) fn render(&self, out: &mut String) {
        out.push_str(&format!(
            "\t\tclient_auth {{\n\t\t\tmode require_and_verify\n\t\t\ttrust_pool file {}\n\t\t}}\n",
            self.ca_file()
        ));
    }
}
