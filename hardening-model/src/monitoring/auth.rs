//! [`ScrapeAuth`]: the basic-auth credentials Prometheus presents to node_exporter.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use crate::values::{check_chars, check_max_len, check_token};
use crate::{Error, Problem, Result};

/// bcrypt cost of [`ScrapeAuth::new`] (node_exporter checks the hash on every scrape, and
/// caches successful checks; 10 is exporter-toolkit's own recommendation).
pub const BCRYPT_COST: u32 = 10;

/// The user name and password Prometheus scrapes with, and the bcrypt hash node_exporter
/// checks them against.
///
/// The password only reaches the monitoring server's `0600` `prometheus.yml`; the host gets the
/// hash. `Debug` shows the user name only.
///
/// ```
/// use hardening_model::monitoring::ScrapeAuth;
/// let auth = ScrapeAuth::new("prometheus", "a-long-scrape-password".into())?;
/// assert!(auth.password_hash().starts_with("$2b$10$"));
/// assert!(!format!("{auth:?}").contains("a-long"));
/// // A hash made elsewhere (`htpasswd -nbBC 10`, `caddy hash-password`) is checked against the
/// // password, so the two sides cannot disagree.
/// let again = ScrapeAuth::with_hash("prometheus", "a-long-scrape-password".into(), auth.password_hash())?;
/// assert!(ScrapeAuth::with_hash("prometheus", "another-password-x".into(), auth.password_hash()).is_err());
/// # let _ = again;
/// # Ok::<(), hardening_model::Error>(())
/// ```
#[derive(Clone)]
pub struct ScrapeAuth {
    username: String,
    password: SecretString,
    hash: String,
}

/// Shortest accepted password.
pub const MIN_SCRAPE_PASSWORD_LEN: usize = 16;

fn check_password(password: &SecretString) -> Result<()> {
    let field = "scrape_auth.password";
    let p = password.expose_secret();
    if p.len() < MIN_SCRAPE_PASSWORD_LEN {
        return Err(Error::invalid(
            field,
            format!("must be at least {MIN_SCRAPE_PASSWORD_LEN} bytes"),
        ));
    }
    // bcrypt only reads the first 72 bytes.
    if p.len() > 72 {
        return Err(Error::new(
            field,
            Problem::TooLong {
                max: 72,
                len: p.len(),
            },
        ));
    }
    // Report the position only, never the character.
    if let Some(at) = p.chars().position(char::is_control) {
        return Err(Error::invalid(
            field,
            format!("character at position {at} is a control character"),
        ));
    }
    Ok(())
}

impl ScrapeAuth {
    /// Hashes `password` with bcrypt (cost [`BCRYPT_COST`], random salt). `username` is a
    /// token (`[A-Za-z0-9._-]`, at most 64); the password 16 to 72 bytes, no control character.
    pub fn new(username: &str, password: SecretString) -> Result<Self> {
        check_username(username)?;
        check_password(&password)?;
        let hash = bcrypt::hash(password.expose_secret(), BCRYPT_COST)
            .map_err(|e| Error::invalid("scrape_auth.password", format!("bcrypt: {e}")))?;
        Ok(Self {
            username: username.to_owned(),
            password,
            hash,
        })
    }

    /// Uses an existing bcrypt `hash` (`$2a$`/`$2b$`/`$2y$`), after checking that it matches
    /// `password` (renders are then byte-for-byte reproducible).
    pub fn with_hash(username: &str, password: SecretString, hash: &str) -> Result<Self> {
        check_username(username)?;
        check_password(&password)?;
        let field = "scrape_auth.password_hash";
        check_max_len(field, hash, 60)?;
        check_chars(field, hash, |c| {
            c.is_ascii_alphanumeric() || matches!(c, '$' | '.' | '/')
        })?;
        match bcrypt::verify(password.expose_secret(), hash) {
            Ok(true) => Ok(Self {
                username: username.to_owned(),
                password,
                hash: hash.to_owned(),
            }),
            Ok(false) => Err(Error::invalid(field, "does not match the password")),
            Err(e) => Err(Error::invalid(field, format!("not a bcrypt hash: {e}"))),
        }
    }

    /// The user name.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The bcrypt hash (what node_exporter's web config holds).
    pub fn password_hash(&self) -> &str {
        &self.hash
    }

    /// The password, for the monitoring server's `0600` configuration only.
    pub(crate) fn password(&self) -> &str {
        self.password.expose_secret()
    }
}

fn check_username(username: &str) -> Result<()> {
    check_token("scrape_auth.username", username, &[])?;
    check_max_len("scrape_auth.username", username, 64)
}

impl fmt::Debug for ScrapeAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScrapeAuth")
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .finish_non_exhaustive()
    }
}

impl PartialEq for ScrapeAuth {
    fn eq(&self, other: &Self) -> bool {
        self.username == other.username && self.hash == other.hash
    }
}

impl Eq for ScrapeAuth {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_names_the_field_and_never_the_secret() {
        let short = ScrapeAuth::new("prometheus", "short".into()).unwrap_err();
        assert_eq!(short.field(), "scrape_auth.password");
        let ctl = ScrapeAuth::new("prometheus", "0123456789abcdef\u{7}secret".into()).unwrap_err();
        assert!(!ctl.to_string().contains("secret"), "{ctl}");
        let user = ScrapeAuth::new("prom etheus", "0123456789abcdef".into()).unwrap_err();
        assert_eq!(user.field(), "scrape_auth.username");
        let hash =
            ScrapeAuth::with_hash("p", "0123456789abcdef".into(), "$2b$10$nope").unwrap_err();
        assert_eq!(hash.field(), "scrape_auth.password_hash");
    }
}
