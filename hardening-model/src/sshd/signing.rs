//! Signing short-lived OpenSSH user certificates (runbook 3.5) with an Ed25519 CA key, in pure
//! Rust (RustCrypto `ssh-key`).
//!
//! The runbook signs with `ssh-keygen -s ca -I id -n principals -V +8h`. [`CaSigningKey::sign`]
//! does the same from a typed [`UserCertRequest`], refusing what `ssh-keygen` would happily
//! sign: no principals (a certificate valid for *every* user), a window longer than
//! [`MAX_VALIDITY_SECS`], a window already over, or a user key type the rendered sshd refuses.
//!
//! The CA private key is a secret: it appears in no `Debug` output and no error message.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ipnet::IpNet;
use secrecy::{ExposeSecret as _, SecretString};
use ssh_key::certificate::{Builder, CertType};
use ssh_key::rand_core::OsRng;
use ssh_key::{Algorithm, Certificate, LineEnding, PrivateKey, PublicKey};

use super::cert::{CaPublicKey, Principal};
use super::user_key::AdminPublicKey;
use crate::values::{check_chars, check_max_len, check_non_empty};
use crate::{Error, Problem, Result};

/// The longest validity window a certificate may have: 24 hours.
///
/// The runbook signs for 8 hours (one working session). 24 hours leaves room for a long
/// incident across time zones while keeping the point of certificates: a stolen admin key with
/// its certificate stops working the next day, with no revocation list to distribute. Anything
/// longer should be a new certificate.
pub const MAX_VALIDITY_SECS: u64 = 24 * 60 * 60;

/// How far before "now" a window may start: clocks differ, so `ssh-keygen -V -5m:+8h` style
/// back-dating is allowed, up to 5 minutes.
pub const MAX_BACKDATE_SECS: u64 = 5 * 60;

/// Most principals in one certificate (OpenSSH itself allows 256).
pub const MAX_PRINCIPALS: usize = 32;

/// What to put into one user certificate.
///
/// Times are seconds since the Unix epoch, as OpenSSH stores them.
/// [`UserCertRequest::for_hours`] fills the window from the current time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCertRequest {
    /// The admin's public key; only types the rendered sshd accepts.
    pub public_key: AdminPublicKey,
    /// Principals the certificate is valid for (at least one, at most [`MAX_PRINCIPALS`]);
    /// sshd lets it log in as a user whose `AuthorizedPrincipalsFile` lists one of them.
    pub principals: Vec<Principal>,
    /// Start of validity.
    pub valid_after: u64,
    /// End of validity (exclusive), at most [`MAX_VALIDITY_SECS`] after `valid_after`.
    pub valid_before: u64,
    /// The key id logged by sshd on every login (`ID ... (serial N)`), e.g. `alice@laptop`:
    /// letters, digits and `._@:+-`, at most 128 characters.
    pub key_id: String,
    /// Serial number, also logged; lets a revocation list name this certificate.
    pub serial: u64,
    /// `source-address` critical option: when not empty, sshd accepts the certificate only
    /// from these networks.
    pub source_addresses: Vec<IpNet>,
    /// `permit-pty`: allow an interactive terminal (on by default). Port, agent and X11
    /// forwarding and `~/.ssh/rc` are never granted, matching the sshd policy.
    pub permit_pty: bool,
}

impl UserCertRequest {
    /// A request valid from 1 minute ago (clock skew) for `hours` hours from now.
    ///
    /// # Errors
    /// `cert_request.valid_before` when the system clock is before 1970.
    pub fn for_hours(
        public_key: AdminPublicKey,
        principals: Vec<Principal>,
        key_id: impl Into<String>,
        hours: u64,
    ) -> Result<Self> {
        let now = unix_now()?;
        Ok(Self {
            public_key,
            principals,
            valid_after: now.saturating_sub(60),
            valid_before: now.saturating_add(hours.saturating_mul(3600)),
            key_id: key_id.into(),
            serial: 0,
            source_addresses: Vec::new(),
            permit_pty: true,
        })
    }

    /// Checks the request against the time `now` (seconds since the epoch). Every error names
    /// the field under `cert_request`.
    pub fn check(&self, now: u64) -> Result<()> {
        if self.principals.is_empty() {
            return Err(Error::new(
                "cert_request.principals",
                Problem::Conflict(
                    "a certificate without principals is valid for every user; name at least one"
                        .into(),
                ),
            ));
        }
        if self.principals.len() > MAX_PRINCIPALS {
            return Err(Error::new(
                "cert_request.principals",
                Problem::TooMany {
                    max: MAX_PRINCIPALS,
                    count: self.principals.len(),
                },
            ));
        }
        for (i, p) in self.principals.iter().enumerate() {
            if self.principals[..i].contains(p) {
                return Err(Error::invalid(
                    format!("cert_request.principals[{i}]"),
                    "listed twice",
                ));
            }
        }
        let field = "cert_request.key_id";
        check_non_empty(field, &self.key_id)?;
        check_max_len(field, &self.key_id, 128)?;
        check_chars(field, &self.key_id, |c| {
            c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | ':' | '+' | '-')
        })?;
        if self.valid_before <= self.valid_after {
            return Err(Error::invalid(
                "cert_request.valid_before",
                "must be later than valid_after",
            ));
        }
        let length = self.valid_before - self.valid_after;
        if length > MAX_VALIDITY_SECS {
            return Err(Error::invalid(
                "cert_request.valid_before",
                format!(
                    "the window is {length} s long; at most {MAX_VALIDITY_SECS} s (24 h) is allowed, \
                     short-lived certificates need no revocation"
                ),
            ));
        }
        if self.valid_before <= now {
            return Err(Error::invalid(
                "cert_request.valid_before",
                "the window is already over",
            ));
        }
        if self.valid_after.saturating_add(MAX_BACKDATE_SECS) < now {
            return Err(Error::invalid(
                "cert_request.valid_after",
                format!(
                    "starts more than {MAX_BACKDATE_SECS} s in the past; a certificate is signed for a window from now"
                ),
            ));
        }
        if self.valid_after > now.saturating_add(MAX_VALIDITY_SECS) {
            return Err(Error::invalid(
                "cert_request.valid_after",
                "starts more than 24 h in the future",
            ));
        }
        Ok(())
    }
}

/// A signed user certificate.
#[derive(Clone, PartialEq, Eq)]
pub struct UserCertificate {
    line: String,
    key_id: String,
    serial: u64,
    valid_after: u64,
    valid_before: u64,
}

impl UserCertificate {
    /// The certificate as one OpenSSH line (`ssh-ed25519-cert-v01@openssh.com AAAA... key_id`),
    /// the content of `id_ed25519-cert.pub`.
    pub fn to_openssh(&self) -> &str {
        &self.line
    }

    /// The key id.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The serial number.
    pub fn serial(&self) -> u64 {
        self.serial
    }

    /// Validity window (`valid_after`, `valid_before`), seconds since the epoch.
    pub fn validity(&self) -> (u64, u64) {
        (self.valid_after, self.valid_before)
    }
}

impl fmt::Debug for UserCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserCertificate")
            .field("key_id", &self.key_id)
            .field("serial", &self.serial)
            .field("valid_after", &self.valid_after)
            .field("valid_before", &self.valid_before)
            .finish_non_exhaustive()
    }
}

/// The CA's Ed25519 private key, which signs user certificates.
///
/// Load it from the OpenSSH private key file `ssh-keygen -t ed25519 -f user_ca` wrote
/// (unencrypted: keep it on the admin machine or in a secrets store, never on a host).
/// Its `Debug` shows only the public key's fingerprint.
///
/// ```
/// use hardening_model::sshd::{AdminPublicKey, CaSigningKey, Principal, UserCertRequest};
///
/// let ca = CaSigningKey::generate();
/// let admin = CaSigningKey::generate().public_key(); // any Ed25519 public key line
/// let key = AdminPublicKey::parse("admin_key", &admin.to_line()).unwrap();
/// let request =
///     UserCertRequest::for_hours(key, vec![Principal::new("ops").unwrap()], "alice", 8).unwrap();
/// let cert = ca.sign(&request).unwrap();
/// assert!(cert.to_openssh().starts_with("ssh-ed25519-cert-v01@openssh.com "));
///
/// let mut endless = request.clone();
/// endless.valid_before += 7 * 24 * 3600;
/// assert_eq!(ca.sign(&endless).unwrap_err().field(), "cert_request.valid_before");
/// ```
pub struct CaSigningKey {
    key: PrivateKey,
}

impl CaSigningKey {
    /// Parses an unencrypted OpenSSH Ed25519 private key (`-----BEGIN OPENSSH PRIVATE KEY-----`).
    ///
    /// # Errors
    /// `ca_private_key` when the text is not such a key (the message never quotes it).
    pub fn from_openssh(text: &SecretString) -> Result<Self> {
        let field = "ca_private_key";
        let key = PrivateKey::from_openssh(text.expose_secret())
            .map_err(|_| Error::invalid(field, "not an OpenSSH private key"))?;
        if key.is_encrypted() {
            return Err(Error::invalid(
                field,
                "the key is encrypted; decrypt it first (ssh-keygen -p)",
            ));
        }
        if key.algorithm() != Algorithm::Ed25519 {
            return Err(Error::invalid(
                field,
                format!(
                    "the CA key must be Ed25519, not {}",
                    key.algorithm().as_str()
                ),
            ));
        }
        Ok(Self { key })
    }

    /// A fresh random Ed25519 CA key (from the operating system's random source).
    pub fn generate() -> Self {
        let keypair = ssh_key::private::Ed25519Keypair::random(&mut OsRng);
        Self {
            key: PrivateKey::from(keypair),
        }
    }

    /// The key in OpenSSH private key format, unencrypted, for storing in a secrets store.
    ///
    /// # Errors
    /// `ca_private_key` when encoding fails.
    pub fn to_openssh(&self) -> Result<SecretString> {
        self.key
            .to_openssh(LineEnding::LF)
            .map(|pem| SecretString::from(pem.as_str().to_owned()))
            .map_err(|_| Error::invalid("ca_private_key", "cannot encode the key"))
    }

    /// The CA public key, for [`CertAuthority`](super::CertAuthority) (`TrustedUserCAKeys`).
    pub fn public_key(&self) -> CaPublicKey {
        let blob = self.key.public_key().to_bytes().unwrap_or_default();
        CaPublicKey::from_blob("ssh-ed25519", STANDARD.encode(blob))
    }

    /// Signs `request` against the current time.
    ///
    /// # Errors
    /// The request's validation errors (see [`UserCertRequest::check`]), or
    /// `cert_request` when signing fails.
    pub fn sign(&self, request: &UserCertRequest) -> Result<UserCertificate> {
        self.sign_at(request, unix_now()?)
    }

    /// Signs `request` as if the time were `now` (seconds since the epoch).
    ///
    /// # Errors
    /// As [`CaSigningKey::sign`].
    pub fn sign_at(&self, request: &UserCertRequest, now: u64) -> Result<UserCertificate> {
        request.check(now)?;
        let failed = |_| Error::invalid("cert_request", "the certificate could not be built");
        let public = PublicKey::from_openssh(&request.public_key.to_line())
            .map_err(|_| Error::invalid("cert_request.public_key", "not a public key"))?;
        let mut builder = Builder::new_with_random_nonce(
            &mut OsRng,
            public.key_data().clone(),
            request.valid_after,
            request.valid_before,
        )
        .map_err(failed)?;
        builder
            .serial(request.serial)
            .map_err(failed)?
            .cert_type(CertType::User)
            .map_err(failed)?
            .key_id(request.key_id.clone())
            .map_err(failed)?
            .comment(request.key_id.clone())
            .map_err(failed)?;
        for p in &request.principals {
            builder.valid_principal(p.as_str()).map_err(failed)?;
        }
        if !request.source_addresses.is_empty() {
            let list: Vec<String> = request
                .source_addresses
                .iter()
                .map(ToString::to_string)
                .collect();
            builder
                .critical_option("source-address", list.join(","))
                .map_err(failed)?;
        }
        if request.permit_pty {
            builder.extension("permit-pty", "").map_err(failed)?;
        }
        let cert: Certificate = builder.sign(&self.key).map_err(failed)?;
        let line = cert.to_openssh().map_err(failed)?;
        Ok(UserCertificate {
            line,
            key_id: request.key_id.clone(),
            serial: request.serial,
            valid_after: request.valid_after,
            valid_before: request.valid_before,
        })
    }
}

impl fmt::Debug for CaSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaSigningKey")
            .field(
                "fingerprint",
                &self
                    .key
                    .public_key()
                    .fingerprint(ssh_key::HashAlg::Sha256)
                    .to_string(),
            )
            .finish_non_exhaustive()
    }
}

fn unix_now() -> Result<u64> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .as_ref()
        .map(Duration::as_secs)
        .map_err(|_| Error::invalid("cert_request.valid_before", "the clock is before 1970"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(ca: &CaSigningKey, now: u64) -> UserCertRequest {
        let key = AdminPublicKey::parse("k", &ca.public_key().to_line()).unwrap();
        UserCertRequest {
            public_key: key,
            principals: vec![Principal::new("ops").unwrap()],
            valid_after: now,
            valid_before: now + 3600,
            key_id: "alice@laptop".into(),
            serial: 7,
            source_addresses: Vec::new(),
            permit_pty: true,
        }
    }

    const NOW: u64 = 1_800_000_000;

    #[test]
    fn signed_certificate_parses_and_carries_the_request() {
        let ca = CaSigningKey::generate();
        let mut req = request(&ca, NOW);
        req.source_addresses = vec!["192.0.2.0/24".parse().unwrap()];
        let cert = ca.sign_at(&req, NOW).unwrap();
        let parsed = Certificate::from_openssh(cert.to_openssh()).unwrap();
        assert_eq!(parsed.valid_principals(), ["ops".to_owned()]);
        assert_eq!(parsed.key_id(), "alice@laptop");
        assert_eq!(parsed.serial(), 7);
        assert_eq!(parsed.cert_type(), CertType::User);
        assert_eq!(
            parsed
                .critical_options()
                .get("source-address")
                .map(String::as_str),
            Some("192.0.2.0/24")
        );
        assert!(parsed.extensions().contains_key("permit-pty"));
        assert!(!parsed.extensions().contains_key("permit-port-forwarding"));
        let fp = ca.key.public_key().fingerprint(ssh_key::HashAlg::Sha256);
        parsed.validate_at(NOW + 10, [&fp]).unwrap();
        assert!(parsed.validate_at(NOW + 3601, [&fp]).is_err());
    }

    #[test]
    fn bad_requests_name_the_field() {
        let ca = CaSigningKey::generate();
        type Change = Box<dyn Fn(&mut UserCertRequest)>;
        let cases: Vec<(&str, Change)> = vec![
            (
                "cert_request.principals",
                Box::new(|r| r.principals.clear()),
            ),
            (
                "cert_request.valid_before",
                Box::new(|r| r.valid_before = r.valid_after + MAX_VALIDITY_SECS + 1),
            ),
            (
                "cert_request.valid_before",
                Box::new(|r| r.valid_before = r.valid_after),
            ),
            (
                "cert_request.valid_before",
                Box::new(|r| {
                    r.valid_after = NOW - 7200;
                    r.valid_before = NOW - 3600;
                }),
            ),
            (
                "cert_request.valid_after",
                Box::new(|r| r.valid_after = NOW - 3600),
            ),
            ("cert_request.key_id", Box::new(|r| r.key_id = "a b".into())),
            ("cert_request.key_id", Box::new(|r| r.key_id.clear())),
        ];
        for (field, change) in cases {
            let mut req = request(&ca, NOW);
            change(&mut req);
            assert_eq!(ca.sign_at(&req, NOW).unwrap_err().field(), field);
        }
    }

    #[test]
    fn hardware_keys_are_signed_too() {
        // An sk-ssh-ed25519 public key blob: type, 32-byte key, application "ssh:".
        let mut blob = Vec::new();
        for part in [
            b"sk-ssh-ed25519@openssh.com".as_slice(),
            [7u8; 32].as_slice(),
            b"ssh:".as_slice(),
        ] {
            blob.extend_from_slice(&u32::try_from(part.len()).unwrap().to_be_bytes());
            blob.extend_from_slice(part);
        }
        let line = format!("sk-ssh-ed25519@openssh.com {}", STANDARD.encode(blob));
        let ca = CaSigningKey::generate();
        let mut req = request(&ca, NOW);
        req.public_key = AdminPublicKey::parse("k", &line).unwrap();
        let cert = ca.sign_at(&req, NOW).unwrap();
        assert!(
            cert.to_openssh()
                .starts_with("sk-ssh-ed25519-cert-v01@openssh.com ")
        );
    }

    #[test]
    fn the_private_key_never_shows() {
        let ca = CaSigningKey::generate();
        let pem = ca.to_openssh().unwrap();
        let body: String = pem
            .expose_secret()
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let shown = format!("{ca:?}");
        assert!(shown.contains("SHA256:"));
        assert!(!shown.contains(&body[..40]));
        let again = CaSigningKey::from_openssh(&pem).unwrap();
        assert_eq!(again.public_key(), ca.public_key());
        let garbage = SecretString::from(format!("{}x", &body[..60]));
        let err = CaSigningKey::from_openssh(&garbage).unwrap_err();
        assert!(!err.to_string().contains(&body[..20]));
    }
}
