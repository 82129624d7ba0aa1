//! Server names: RFC 1123 validation and opaque `rc-<location>-<6 hex>` generation.

use rand::Rng;

use crate::error::{Error, Result};

/// Longest hostname RFC 1123 allows.
pub const MAX_HOSTNAME_LEN: usize = 253;

/// Checks that `name` is a valid RFC 1123 hostname (what Hetzner requires of server names).
///
/// # Errors
/// [`Error::Invalid`] naming `field`.
///
/// ```
/// use hetzner_client::names::validate_hostname;
/// assert!(validate_hostname("name", "rc-fsn1-a3f2c1").is_ok());
/// assert!(validate_hostname("name", "-bad").is_err());
/// ```
pub fn validate_hostname(field: &str, name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if name.len() > MAX_HOSTNAME_LEN {
        return Err(Error::invalid(field, "longer than 253 characters"));
    }
    for label in name.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(Error::invalid(
                field,
                "each dot-separated part must have 1 to 63 characters",
            ));
        }
        if !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(Error::invalid(
                field,
                "only letters, digits, '-' and '.' are allowed",
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(Error::invalid(
                field,
                "a part must not begin or end with '-'",
            ));
        }
    }
    Ok(())
}

/// Generates an opaque server name `rc-<location>-<6 hex>` from the thread-local CSPRNG
/// (ChaCha seeded from the operating system), so names reveal nothing about customers.
///
/// # Errors
/// [`Error::Invalid`] naming `location` unless it is 1 to 16 lowercase letters and digits.
///
/// ```
/// let name = hetzner_client::names::opaque_server_name("fsn1").unwrap();
/// assert!(name.starts_with("rc-fsn1-") && name.len() == "rc-fsn1-".len() + 6);
/// ```
pub fn opaque_server_name(location: &str) -> Result<String> {
    opaque_name_with("rc", location, &mut rand::rng())
}

/// Like [`opaque_server_name`] with a custom prefix and random source.
///
/// # Errors
/// [`Error::Invalid`] naming `prefix` or `location`.
pub fn opaque_name_with(prefix: &str, location: &str, rng: &mut impl Rng) -> Result<String> {
    let token_ok = |s: &str| {
        !s.is_empty()
            && s.len() <= 16
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    };
    if !token_ok(prefix) {
        return Err(Error::invalid(
            "prefix",
            "must be 1 to 16 lowercase letters or digits",
        ));
    }
    if !token_ok(location) {
        return Err(Error::invalid(
            "location",
            "must be 1 to 16 lowercase letters or digits",
        ));
    }
    let bytes: [u8; 3] = rng.random();
    let name = format!(
        "{prefix}-{location}-{:02x}{:02x}{:02x}",
        bytes[0], bytes[1], bytes[2]
    );
    validate_hostname("name", &name)?;
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_opaque_and_valid() {
        let a = opaque_server_name("nbg1").unwrap();
        let suffix = a.strip_prefix("rc-nbg1-").unwrap();
        assert_eq!(suffix.len(), 6);
        assert!(
            suffix
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert!(opaque_server_name("FSN1").is_err());
        assert!(opaque_server_name("fsn1;rm").is_err());
        // 100 draws from 2^24 colliding would be astronomically unlikely
        let names: std::collections::HashSet<_> = (0..100)
            .map(|_| opaque_server_name("hel1").unwrap())
            .collect();
        assert!(names.len() > 95);
    }
}
