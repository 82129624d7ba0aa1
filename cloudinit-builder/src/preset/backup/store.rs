//! Where backups go: an S3-compatible bucket (Hetzner Object Storage), its credentials, and the
//! age recipient they are encrypted to.

use std::fmt;

use crate::age::AgeRecipient;
use crate::{Error, Result, Secret};

/// An S3-compatible object store location: endpoint, bucket, region and the key prefix of one
/// host (its instance id, say), so hosts never share object names.
///
/// The endpoint must be `https://`; `http://` is accepted only for a loopback host
/// (`127.0.0.1`, `[::1]`, `localhost`), for tests against a local server.
///
/// ```
/// use cloudinit_builder::preset::ObjectStore;
/// let store = ObjectStore::new("https://fsn1.your-objectstorage.com", "fleet-backups", "fsn1")?
///     .prefix("inst-0042")?;
/// assert_eq!(store.remote(), ":s3:fleet-backups/inst-0042");
/// assert_eq!(
///     ObjectStore::new("http://backup.example.com", "b1b", "fsn1").unwrap_err().field(),
///     Some("backups.store.endpoint")
/// );
/// # Ok::<(), cloudinit_builder::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectStore {
    endpoint: String,
    bucket: String,
    region: String,
    prefix: String,
}

impl ObjectStore {
    /// A bucket at `endpoint` in `region`, with the prefix `host` until [`ObjectStore::prefix`]
    /// sets one. Bucket names follow S3's rules (3 to 63 of `a-z0-9.-`, starting and ending
    /// with a letter or digit).
    pub fn new(endpoint: &str, bucket: &str, region: &str) -> Result<Self> {
        check_endpoint(endpoint)?;
        check_bucket(bucket)?;
        hardening_model::values::check_token("backups.store.region", region, &[])?;
        Ok(Self {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            bucket: bucket.to_owned(),
            region: region.to_owned(),
            prefix: "host".to_owned(),
        })
    }

    /// The key prefix of this host's objects: `/`-separated segments of `A-Za-z0-9._-`, no
    /// empty, `.` or `..` segment.
    pub fn prefix(mut self, prefix: &str) -> Result<Self> {
        let ok = prefix.len() <= 256
            && prefix.split('/').all(|seg| {
                !seg.is_empty()
                    && seg != "."
                    && seg != ".."
                    && seg
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
            });
        if !ok {
            return Err(Error::invalid(
                "backups.store.prefix",
                "must be 1-256 characters of /-separated segments of A-Za-z0-9._- (no empty, . or .. segment)",
            ));
        }
        self.prefix = prefix.to_owned();
        Ok(self)
    }

    /// The endpoint URL.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The key prefix of this host's objects.
    pub fn key_prefix(&self) -> &str {
        &self.prefix
    }

    /// rclone's name for the prefix, an on-the-fly S3 remote: `:s3:<bucket>/<prefix>`.
    ///
    /// List it with a trailing `/`: without one rclone first asks for the prefix as an object
    /// (`HEAD`), which some servers answer with an error that rclone retries for minutes.
    pub fn remote(&self) -> String {
        format!(":s3:{}/{}", self.bucket, self.prefix)
    }

    /// The rclone arguments that select this store (no credentials: rclone reads those from
    /// `RCLONE_S3_ACCESS_KEY_ID` and `RCLONE_S3_SECRET_ACCESS_KEY`). Path-style requests,
    /// `provider=Other`, no bucket creation (a host's keys need not be allowed to create one),
    /// and an empty configuration file.
    pub fn rclone_args(&self) -> Vec<String> {
        [
            "--config",
            "/dev/null",
            "--s3-provider",
            "Other",
            "--s3-endpoint",
            &self.endpoint,
            "--s3-region",
            &self.region,
            "--s3-force-path-style=true",
            "--s3-no-check-bucket",
        ]
        .map(str::to_owned)
        .to_vec()
    }
}

fn check_endpoint(endpoint: &str) -> Result<()> {
    let bad = |why: &str| Error::invalid("backups.store.endpoint", why);
    let (https, rest) = if let Some(rest) = endpoint.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = endpoint.strip_prefix("http://") {
        (false, rest)
    } else {
        return Err(bad("must start with https://"));
    };
    let rest = rest.trim_end_matches('/');
    let host = rest.rsplit_once(':').map_or(rest, |(h, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) && !port.is_empty() {
            h
        } else {
            rest
        }
    });
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'));
    if !host_ok || rest.contains('/') {
        return Err(bad(
            "must be scheme://host[:port] with a DNS name or IP address and no path",
        ));
    }
    if !https && !matches!(host, "127.0.0.1" | "[::1]" | "localhost") {
        return Err(bad(
            "must start with https:// (http:// only for a loopback test server)",
        ));
    }
    Ok(())
}

fn check_bucket(bucket: &str) -> Result<()> {
    let b = bucket.as_bytes();
    let edge = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let ok = (3..=63).contains(&b.len())
        && b.first().is_some_and(edge)
        && b.last().is_some_and(edge)
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'.' | b'-'))
        && !bucket.contains("..");
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "backups.store.bucket",
            "must be 3-63 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit",
        ))
    }
}

/// S3 credentials of one host. Both halves are [`Secret`]s: they only reach the host's
/// root-owned `0600` backup environment file.
///
/// Give each host its own key pair, allowed to write and read its prefix only (a bucket policy),
/// so a compromised host cannot reach another host's copies.
#[derive(Clone)]
pub struct S3Credentials {
    access_key_id: Secret,
    secret_access_key: Secret,
}

impl S3Credentials {
    /// The access key id and secret key (each at least 8 characters, no single quote or control
    /// character, checked when the env file is built).
    pub fn new(access_key_id: Secret, secret_access_key: Secret) -> Self {
        Self {
            access_key_id,
            secret_access_key,
        }
    }

    /// The access key id.
    pub fn access_key_id(&self) -> &Secret {
        &self.access_key_id
    }

    /// The secret key.
    pub fn secret_access_key(&self) -> &Secret {
        &self.secret_access_key
    }
}

impl fmt::Debug for S3Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Credentials").finish_non_exhaustive()
    }
}

/// Everything a host needs to write its backups off-host, and nothing that reads them back:
/// the age recipient, the store and the store's credentials.
///
/// ```
/// use cloudinit_builder::Secret;
/// use cloudinit_builder::age::AgeRecipient;
/// use cloudinit_builder::preset::{BackupTarget, ObjectStore, S3Credentials};
/// let target = BackupTarget::new(
///     AgeRecipient::new("age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p")?,
///     ObjectStore::new("https://fsn1.your-objectstorage.com", "fleet-backups", "fsn1")?
///         .prefix("inst-0042")?,
///     S3Credentials::new(Secret::new("AKIAEXAMPLE00")?, Secret::new("s3cr3t-s3cr3t-s3cr3t")?),
/// );
/// assert!(!format!("{target:?}").contains("s3cr3t"));
/// # Ok::<(), cloudinit_builder::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct BackupTarget {
    /// Who can decrypt: the operator's identity, kept off the host.
    pub recipient: AgeRecipient,
    /// Where the encrypted archives go.
    pub store: ObjectStore,
    /// The host's keys for the store.
    pub credentials: S3Credentials,
}

impl BackupTarget {
    /// Bundles the three.
    pub fn new(recipient: AgeRecipient, store: ObjectStore, credentials: S3Credentials) -> Self {
        Self {
            recipient,
            store,
            credentials,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn endpoints_buckets_and_prefixes_are_checked_naming_the_field() {
        for ok in [
            "https://fsn1.your-objectstorage.com",
            "https://s3.example.com:8443/",
            "http://127.0.0.1:9000",
            "http://localhost:9000",
        ] {
            ObjectStore::new(ok, "bucket-1", "fsn1").unwrap();
        }
        for bad in [
            "fsn1.your-objectstorage.com",
            "http://s3.example.com",
            "https://s3.example.com/path",
            "https://s3.example.com;reboot",
            "https://",
        ] {
            let err = ObjectStore::new(bad, "bucket-1", "fsn1").unwrap_err();
            assert_eq!(err.field(), Some("backups.store.endpoint"), "{bad}");
        }
        for bad in [
            "ab",
            "Bucket",
            "-bucket",
            "bucket-",
            "a..b",
            "b b b",
            &"a".repeat(64),
        ] {
            let err = ObjectStore::new("https://s3.example.com", bad, "fsn1").unwrap_err();
            assert_eq!(err.field(), Some("backups.store.bucket"), "{bad}");
        }
        let store = ObjectStore::new("https://s3.example.com", "bucket", "fsn1").unwrap();
        for bad in ["", "/a", "a/", "a//b", "a/../b", "a b", "a;b", "."] {
            let err = store.clone().prefix(bad).unwrap_err();
            assert_eq!(err.field(), Some("backups.store.prefix"), "{bad}");
        }
        assert_eq!(
            store.prefix("fleet/inst-1").unwrap().remote(),
            ":s3:bucket/fleet/inst-1"
        );
        let err = ObjectStore::new("https://s3.example.com", "bucket", "fs n1").unwrap_err();
        assert_eq!(err.field(), Some("backups.store.region"));
    }

    #[test]
    fn credentials_never_show_in_debug() {
        let c = S3Credentials::new(
            Secret::new("AKIDEXAMPLE1").unwrap(),
            Secret::new("very-secret-key").unwrap(),
        );
        let shown = format!("{c:?}");
        assert!(!shown.contains("AKIDEXAMPLE1") && !shown.contains("very-secret"));
    }
}
