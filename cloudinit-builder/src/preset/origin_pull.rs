//! Authenticated Origin Pulls at the origin: Caddy requires the client certificate Cloudflare
//! presents, so a client that found the host's address gets no answer (erratum 34).
//!
//! Enabling the feature at the zone only makes Cloudflare *present* a certificate; the origin
//! must *require* it. The runbook preset does by default, trusting Cloudflare's shared
//! origin-pull CA, which the host downloads at first boot and installs only when its SHA-256
//! fingerprint is the one pinned here (the certificate is 2 KiB of base64 the 24 KiB document
//! cannot spare). Cloudflare's certificate is shared by every Cloudflare customer; a per-zone
//! certificate of your own ([`OriginPullTrust::custom`], uploaded to the zone as its
//! Authenticated Origin Pulls certificate) proves the request came through *your* zone.

use hardening_model::RenderedFile;
use hardening_model::caddy::OriginPull;
use hardening_model::values::AbsPath;

use crate::{Command, Error, Result};

/// Where [`OriginPullTrust::custom`] writes its CA certificate.
pub const CUSTOM_ORIGIN_PULL_CA: &str = "/etc/caddy/origin-pull-ca.pem";

/// Which CA's client certificates Caddy requires ([`RunbookInputs::origin_pull`](super::RunbookInputs::origin_pull)).
///
/// ```
/// use cloudinit_builder::preset::OriginPullTrust;
/// let pem = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n";
/// assert!(OriginPullTrust::custom(pem).is_ok());
/// assert!(OriginPullTrust::custom("not a certificate").is_err());
/// assert_eq!(
///     OriginPullTrust::Cloudflare.origin_pull().ca_file(),
///     "/etc/caddy/cloudflare-origin-pull-ca.pem"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OriginPullTrust {
    /// Cloudflare's zone-level origin-pull CA, fetched from
    /// [`OriginPull::CLOUDFLARE_CA_URL`] at first boot and checked against
    /// [`OriginPull::CLOUDFLARE_CA_SHA256`].
    Cloudflare,
    /// Your own CA certificate(s) (PEM), written to [`CUSTOM_ORIGIN_PULL_CA`].
    Custom(String),
}

impl OriginPullTrust {
    /// Trusts the CA certificate(s) in `pem` (one or more `CERTIFICATE` blocks); anything else
    /// is refused naming `origin_pull.ca`.
    pub fn custom(pem: &str) -> Result<Self> {
        let field = "origin_pull.ca";
        let text = pem.trim();
        if !text.starts_with("-----BEGIN CERTIFICATE-----")
            || !text.ends_with("-----END CERTIFICATE-----")
        {
            return Err(Error::invalid(field, "must be PEM CERTIFICATE blocks"));
        }
        if text.contains("PRIVATE KEY") {
            return Err(Error::invalid(field, "must not contain a private key"));
        }
        if !text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '-' | ' ' | '\n'))
        {
            return Err(Error::invalid(field, "contains characters PEM never has"));
        }
        Ok(Self::Custom(format!("{text}\n")))
    }

    /// The Caddy side: the CA file its `client_auth` trusts.
    pub fn origin_pull(&self) -> OriginPull {
        match self {
            Self::Cloudflare => OriginPull::cloudflare(),
            Self::Custom(_) => OriginPull::with_ca_file(
                AbsPath::new(CUSTOM_ORIGIN_PULL_CA).unwrap_or_else(|_| unreachable!()),
            ),
        }
    }

    /// The CA file written by cloud-init, for [`OriginPullTrust::Custom`].
    pub(crate) fn file(&self) -> Option<RenderedFile> {
        match self {
            Self::Cloudflare => None,
            Self::Custom(pem) => Some(RenderedFile::root(
                CUSTOM_ORIGIN_PULL_CA,
                0o644,
                pem.clone(),
            )),
        }
    }

    /// The first-boot command that installs Cloudflare's CA, for [`OriginPullTrust::Cloudflare`].
    pub(crate) fn fetch(&self) -> Result<Option<Command>> {
        match self {
            Self::Custom(_) => Ok(None),
            Self::Cloudflare => Ok(Some(Command::argv([
                "sh".to_owned(),
                "-c".to_owned(),
                fetch_script(
                    OriginPull::CLOUDFLARE_CA_URL,
                    OriginPull::CLOUDFLARE_CA_SHA256,
                    OriginPull::CLOUDFLARE_CA_PATH,
                )?,
            ])?)),
        }
    }
}

/// A POSIX shell script that downloads the certificate at `url` and installs it at `dest`
/// (mode 0644) only when the SHA-256 fingerprint of its DER encoding is `sha256` (hex, any
/// case, no colons); otherwise it removes the download and exits 1 naming both fingerprints.
///
/// ```
/// let script = cloudinit_builder::preset::origin_pull_fetch_script(
///     "https://developers.cloudflare.com/ssl/static/authenticated_origin_pull_ca.pem",
///     "9A1AC2B4BE15F9F27EEE20A734CBA4E9898F61001B3BD7C84B69B56A3E25A2B9",
///     "/etc/caddy/cloudflare-origin-pull-ca.pem",
/// )?;
/// assert!(script.contains("openssl x509"));
/// assert!(cloudinit_builder::preset::origin_pull_fetch_script("https://x.example/ca.pem", "zz", "/etc/ca.pem").is_err());
/// # Ok::<(), cloudinit_builder::Error>(())
/// ```
///
/// # Errors
/// [`Error::Invalid`] naming `origin_pull.url`, `origin_pull.sha256` or `origin_pull.path`.
pub fn fetch_script(url: &str, sha256: &str, dest: &str) -> Result<String> {
    let url_ok = (url.starts_with("https://") || url.starts_with("http://127.0.0.1:"))
        && url
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/' | ':'));
    if !url_ok {
        return Err(Error::invalid(
            "origin_pull.url",
            "must be https:// (or loopback http) with ASCII letters, digits and ._-/:",
        ));
    }
    if sha256.len() != 64 || !sha256.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(Error::invalid(
            "origin_pull.sha256",
            "must be 64 hex digits without colons",
        ));
    }
    let dest = AbsPath::new(dest).map_err(|e| Error::from(e).within("origin_pull.path"))?;
    let sha = sha256.to_ascii_uppercase();
    Ok(format!(
        "set -eu\n\
         f={dest}\n\
         curl -fsS --retry 5 --retry-all-errors -o \"$f.new\" {url}\n\
         h=$(openssl x509 -in \"$f.new\" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d :)\n\
         if [ \"$h\" != {sha} ]; then rm -f \"$f.new\"; echo \"origin-pull CA: fingerprint $h is not the pinned {sha}\" >&2; exit 1; fi\n\
         chmod 0644 \"$f.new\"\n\
         mv \"$f.new\" \"$f\"\n",
        dest = dest.as_str()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_trust_writes_its_pem_and_fetches_nothing() {
        let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
        let trust = OriginPullTrust::custom(pem).unwrap();
        assert_eq!(trust.origin_pull().ca_file(), CUSTOM_ORIGIN_PULL_CA);
        assert!(trust.fetch().unwrap().is_none());
        let file = trust.file().unwrap();
        assert_eq!(file.mode, 0o644);
        assert!(file.content.ends_with("-----END CERTIFICATE-----\n"));
        let key =
            "-----BEGIN CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\n-----END CERTIFICATE-----";
        assert!(OriginPullTrust::custom(key).is_err());
        assert!(
            OriginPullTrust::custom(
                "-----BEGIN CERTIFICATE-----\n$(reboot)\n-----END CERTIFICATE-----"
            )
            .is_err()
        );
    }

    #[test]
    fn cloudflare_trust_fetches_by_pinned_fingerprint() {
        let trust = OriginPullTrust::Cloudflare;
        assert!(trust.file().is_none());
        let cmd = trust.fetch().unwrap().unwrap();
        let shown = cmd.to_shell();
        assert!(shown.contains(OriginPull::CLOUDFLARE_CA_URL), "{shown}");
        assert!(shown.contains(OriginPull::CLOUDFLARE_CA_SHA256), "{shown}");
    }
}
