//! The secrets of one host: the ready-callback secret (the host gets it) and the age identity
//! of its backups (the operator keeps it; the host gets only its recipient, [`age_recipient`]).
//!
//! Both are drawn from the operating system's CSPRNG (through `rand`'s thread generator),
//! wrapped in [`Secret`] at once (whose `Debug` prints `[REDACTED]`), and only ever written
//! into root-owned `0600` files: on the host by cloud-init, on the operator's machine by
//! [`load_or_create`]. No function here puts a secret value in an error or a message.
//!
//! ```
//! use fleet_flows::secrets::{age_identity, age_recipient, callback_secret};
//! let cb = callback_secret()?;
//! assert!(cb.expose().len() >= 32);
//! assert_eq!(format!("{cb:?}"), "Secret([REDACTED])");
//! let identity = age_identity()?;
//! assert!(identity.expose().starts_with("AGE-SECRET-KEY-1"));
//! assert!(age_recipient(&identity)?.as_str().starts_with("age1"));
//! # Ok::<(), fleet_flows::Error>(())
//! ```

use std::io::Write as _;
use std::path::Path;

use aws_lc_rs::agreement::{PrivateKey, X25519};
use cloudinit_builder::Secret;
use cloudinit_builder::age::{AgeRecipient, identity_from_key, identity_key};
use cloudinit_builder::preset::S3Credentials;
use rand::Rng;
use rand::distr::Alphanumeric;

use crate::error::{Error, Result};

/// Length of a generated callback secret (alphanumeric: about 5.95 bits each, 256 bits in all).
pub const CALLBACK_SECRET_LEN: usize = 43;

/// A fresh random callback secret of [`CALLBACK_SECRET_LEN`] letters and digits.
///
/// # Errors
/// None in practice; [`Secret::new`]'s checks are kept rather than bypassed.
pub fn callback_secret() -> Result<Secret> {
    let value: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(CALLBACK_SECRET_LEN)
        .map(char::from)
        .collect();
    Ok(Secret::new(value)?)
}

/// A fresh X25519 age identity (`AGE-SECRET-KEY-1...`, bech32 with its checksum), the format
/// `age-keygen` writes and `age -d -i` reads.
///
/// # Errors
/// None in practice; [`Secret::new`]'s checks are kept rather than bypassed.
pub fn age_identity() -> Result<Secret> {
    let key: [u8; 32] = rand::rng().random();
    Ok(identity_from_key(&key)?)
}

/// The recipient (`age1...`) of an age identity: its X25519 public key, what `age-keygen -y`
/// prints. This is all a host gets; the identity stays with the operator.
///
/// # Errors
/// [`Error::Invalid`] naming `backup_identity` when `identity` is not an age X25519 identity
/// (the value is never quoted).
pub fn age_recipient(identity: &Secret) -> Result<AgeRecipient> {
    let bad = || Error::invalid("backup_identity", "must be an age X25519 identity");
    let scalar = identity_key(identity).map_err(|_| bad())?;
    let private = PrivateKey::from_private_key(&X25519, &scalar).map_err(|_| bad())?;
    let public = private.compute_public_key().map_err(|_| bad())?;
    let key: [u8; 32] = public.as_ref().try_into().map_err(|_| bad())?;
    Ok(AgeRecipient::from_public_key(&key))
}

/// A secret read from its file, or generated for a file that does not exist yet and not
/// written until [`SecretFile::persist`]: so every input can be checked before any file is
/// written.
#[derive(Debug)]
pub struct SecretFile {
    secret: Secret,
    path: std::path::PathBuf,
    generated: bool,
}

impl SecretFile {
    /// Reads a secret from `path` (surrounding whitespace trimmed, lines starting with `#`
    /// skipped, as in `age-keygen`'s output), or, when `path` does not exist, generates one
    /// with `generate` (written by [`SecretFile::persist`]). Errors name `field` and the path,
    /// never the value. Writes nothing.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming `field` when the file cannot be read, is empty, or holds an
    /// unacceptable value, or when its directory does not exist.
    pub fn load(field: &str, path: &Path, generate: fn() -> Result<Secret>) -> Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let value = text
                    .lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty() && !l.starts_with('#'))
                    .ok_or_else(|| {
                        Error::invalid(field, format!("{} holds no value", path.display()))
                    })?;
                let secret = Secret::new(value).map_err(|_| {
                    Error::invalid(
                        field,
                        format!("{} does not hold an acceptable value", path.display()),
                    )
                })?;
                Ok(Self {
                    secret,
                    path: path.to_owned(),
                    generated: false,
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let dir = match path.parent() {
                    Some(d) if !d.as_os_str().is_empty() => d,
                    _ => Path::new("."),
                };
                if !dir.is_dir() {
                    return Err(Error::invalid(
                        field,
                        format!("{}: its directory does not exist", path.display()),
                    ));
                }
                Ok(Self {
                    secret: generate()?,
                    path: path.to_owned(),
                    generated: true,
                })
            }
            Err(e) => Err(Error::invalid(field, format!("{}: {e}", path.display()))),
        }
    }

    /// The secret.
    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    /// Whether it was generated (and [`SecretFile::persist`] writes it).
    pub fn generated(&self) -> bool {
        self.generated
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes a generated secret to its file with mode `0600` (the file must still not exist);
    /// does nothing for one that was read. Returns whether it wrote.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming `field` when the file cannot be created.
    pub fn persist(&self, field: &str) -> Result<bool> {
        if !self.generated {
            return Ok(false);
        }
        write_private(&self.path, self.secret.expose())
            .map_err(|e| Error::invalid(field, format!("{}: {e}", self.path.display())))?;
        Ok(true)
    }
}

/// Reads a secret from `path`, or, when `path` does not exist, generates one with `generate`
/// and writes it there with mode `0600` so it can be given to the control plane (callback
/// secret) or kept for restores (backup identity): [`SecretFile::load`], then
/// [`SecretFile::persist`]. Returns the secret and whether it was generated. Errors name
/// `field` and the path, never the value.
///
/// # Errors
/// [`Error::Invalid`] naming `field` when the file cannot be read or written, is empty, or
/// holds an unacceptable value.
pub fn load_or_create(
    field: &str,
    path: &Path,
    generate: fn() -> Result<Secret>,
) -> Result<(Secret, bool)> {
    let file = SecretFile::load(field, path, generate)?;
    let wrote = file.persist(field)?;
    Ok((file.secret, wrote))
}

/// Reads S3 credentials from `path`: the access key id on the first line that is neither blank
/// nor a `#` comment, the secret key on the next one. Errors name `field` and the path, never
/// a value.
///
/// # Errors
/// [`Error::Invalid`] naming `field` when the file cannot be read or lacks either line.
pub fn load_s3_credentials(field: &str, path: &Path) -> Result<S3Credentials> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::invalid(field, format!("{}: {e}", path.display())))?;
    let mut lines = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'));
    let bad = || {
        Error::invalid(
            field,
            format!(
                "{} must hold the access key id and the secret key, one per line",
                path.display()
            ),
        )
    };
    let id = lines.next().ok_or_else(bad)?;
    let key = lines.next().ok_or_else(bad)?;
    Ok(S3Credentials::new(
        Secret::new(id).map_err(|_| bad())?,
        Secret::new(key).map_err(|_| bad())?,
    ))
}

/// Creates `path` (it must not exist) readable by its owner only, and writes `value` to it.
fn write_private(path: &Path, value: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(value.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn age_identities_are_distinct_and_their_recipients_match_rfc7748() {
        let a = age_identity().unwrap();
        let b = age_identity().unwrap();
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.expose().len(), 16 + 52 + 6);
        assert_ne!(age_recipient(&a).unwrap(), age_recipient(&b).unwrap());
        // RFC 7748 section 6.1: Alice's private scalar and public key.
        let alice = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        let public = hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        let identity = identity_from_key(&alice).unwrap();
        assert_eq!(
            age_recipient(&identity).unwrap(),
            AgeRecipient::from_public_key(&public)
        );
        let err = age_recipient(&Secret::new("AGE-SECRET-KEY-1NOTAKEY").unwrap()).unwrap_err();
        assert!(err.to_string().contains("backup_identity"));
    }

    fn hex(s: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    #[test]
    fn callback_secrets_are_long_random_and_redacted() {
        let a = callback_secret().unwrap();
        let b = callback_secret().unwrap();
        assert_eq!(a.expose().len(), CALLBACK_SECRET_LEN);
        assert!(a.expose().chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a.expose(), b.expose());
        assert!(!format!("{a:?}").contains(a.expose()));
    }

    #[test]
    fn load_or_create_generates_a_private_file_then_reads_it_back() {
        let dir = std::env::temp_dir().join(format!(
            "examples-secrets-{}-{}",
            std::process::id(),
            CALLBACK_SECRET_LEN
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("callback.secret");
        let _ = std::fs::remove_file(&path);
        let (made, generated) = load_or_create("callback_secret", &path, callback_secret).unwrap();
        assert!(generated);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (read, generated) = load_or_create("callback_secret", &path, callback_secret).unwrap();
        assert!(!generated);
        assert_eq!(read.expose(), made.expose());

        // A bad value: the error names the field and the file, never the value.
        std::fs::write(&path, "# comment\nshort\n").unwrap();
        let err = load_or_create("callback_secret", &path, callback_secret).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("callback_secret") && !text.contains("short"),
            "{text}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
