//! Which base URLs a client accepts: `https://` anywhere, plain `http://` only to loopback.

use std::net::IpAddr;

use url::{Host, Url};

/// Why a base URL was refused. The message names the URL's host at most, never its path,
/// query or credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BaseUrlError {
    /// The text is not an absolute URL.
    #[error("not an absolute URL")]
    NotAUrl,
    /// The scheme is neither `https` nor `http`.
    #[error("the scheme must be https (or http to a loopback address)")]
    UnsupportedScheme,
    /// Plain `http://` to a host that is not loopback: the token and request bodies would
    /// cross the network unencrypted.
    #[error(
        "plain http:// is only allowed to loopback (127.0.0.0/8, ::1, localhost), not to {host}"
    )]
    PlaintextToRemoteHost {
        /// The host the URL names.
        host: String,
    },
    /// The URL carries a user name or password (they would be sent in the clear to logs).
    #[error("the URL must not contain a user name or password")]
    Credentials,
}

/// Checks a client's base URL: `https://` to any host, `http://` only to a loopback address
/// (`127.0.0.0/8`, `::1`, `localhost`), no credentials in the URL.
///
/// ```
/// use api_transport::{BaseUrlError, check_base_url};
/// assert!(check_base_url("https://api.hetzner.cloud/v1").is_ok());
/// assert!(check_base_url("http://127.0.0.1:8080/v1").is_ok());
/// assert!(check_base_url("http://[::1]:8080/v1").is_ok());
/// assert!(check_base_url("http://localhost:8080/v1").is_ok());
/// assert!(matches!(
///     check_base_url("http://api.example.com/v1"),
///     Err(BaseUrlError::PlaintextToRemoteHost { .. })
/// ));
/// ```
///
/// # Errors
/// [`BaseUrlError`] saying what is wrong.
pub fn check_base_url(text: &str) -> Result<Url, BaseUrlError> {
    let url = Url::parse(text).map_err(|_| BaseUrlError::NotAUrl)?;
    check_url(&url)?;
    Ok(url)
}

/// [`check_base_url`] for an already parsed URL (the transport checks every request's URL
/// with it before sending).
///
/// # Errors
/// [`BaseUrlError`] saying what is wrong.
pub fn check_url(url: &Url) -> Result<(), BaseUrlError> {
    if !url.username().is_empty() || url.password().is_some() {
        return Err(BaseUrlError::Credentials);
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(BaseUrlError::PlaintextToRemoteHost {
            host: url.host_str().unwrap_or_default().to_owned(),
        }),
        _ => Err(BaseUrlError::UnsupportedScheme),
    }
}

/// Whether `url`'s host is a loopback address: `127.0.0.0/8`, `::1` (or an IPv4-mapped
/// loopback), or the name `localhost`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Some(Host::Domain(name)) => {
            let name = name.strip_suffix('.').unwrap_or(name);
            name.eq_ignore_ascii_case("localhost")
                || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
        }
        None => false,
    }
}

/// The origin (`scheme://host[:port]`) of `url`, for messages: no path, query or
/// credentials.
pub(crate) fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plaintext_is_refused_except_on_loopback() {
        for ok in [
            "https://api.cloudflare.com/client/v4",
            "http://127.0.0.1/v1",
            "http://127.8.9.10:1/v1",
            "http://[::1]:9/v1",
            "http://LOCALHOST:9/v1",
            "http://localhost./v1",
        ] {
            assert!(check_base_url(ok).is_ok(), "{ok}");
        }
        for (bad, expected) in [
            (
                "http://api.hetzner.cloud/v1",
                BaseUrlError::PlaintextToRemoteHost {
                    host: "api.hetzner.cloud".into(),
                },
            ),
            (
                "http://10.0.0.1/v1",
                BaseUrlError::PlaintextToRemoteHost {
                    host: "10.0.0.1".into(),
                },
            ),
            (
                "http://localhost.example.com/v1",
                BaseUrlError::PlaintextToRemoteHost {
                    host: "localhost.example.com".into(),
                },
            ),
            ("ftp://127.0.0.1/v1", BaseUrlError::UnsupportedScheme),
            ("api.hetzner.cloud/v1", BaseUrlError::NotAUrl),
            (
                "https://user:pw@api.example.com/",
                BaseUrlError::Credentials,
            ),
        ] {
            assert_eq!(check_base_url(bad).unwrap_err(), expected, "{bad}");
        }
    }

    #[test]
    fn origins_carry_no_path_query_or_credentials() {
        let url = Url::parse("https://u:secret@evil.example:8443/steal?token=abc").unwrap();
        assert_eq!(origin(&url), "https://evil.example:8443");
    }
}
