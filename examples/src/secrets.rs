//! The two secrets a host's first boot needs: the ready-callback secret and the age identity
//! of its backups.
//!
//! Both are drawn from the operating system's CSPRNG (through `rand`'s thread generator),
//! wrapped in [`Secret`] at once (whose `Debug` prints `[REDACTED]`), and only ever written
//! into root-owned `0600` files: on the host by cloud-init, on the operator's machine by
//! [`load_or_create`]. No function here puts a secret value in an error or a message.
//!
//! ```
//! use examples::secrets::{age_identity, callback_secret};
//! let cb = callback_secret()?;
//! assert!(cb.expose().len() >= 32);
//! assert_eq!(format!("{cb:?}"), "Secret([REDACTED])");
//! assert!(age_identity()?.expose().starts_with("AGE-SECRET-KEY-1"));
//! # Ok::<(), examples::Error>(())
//! ```

use std::io::Write as _;
use std::path::Path;

use cloudinit_builder::Secret;
use rand::Rng;
use rand::distr::Alphanumeric;

use crate::error::{Error, Result};

/// Length of a generated callback secret (alphanumeric: about 5.95 bits each, 256 bits in all).
pub const CALLBACK_SECRET_LEN: usize = 43;

/// The bech32 alphabet.
const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
/// age's human-readable part for identities (rendered upper-case).
const AGE_HRP: &str = "age-secret-key-";

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
    Ok(Secret::new(bech32_upper(AGE_HRP, &key))?)
}

/// Reads a secret from `path` (surrounding whitespace trimmed, lines starting with `#`
/// skipped, as in `age-keygen`'s output), or, when `path` does not exist, generates one with
/// `generate` and writes it there with mode `0600` so it can be given to the control plane
/// (callback secret) or kept for restores (backup identity). Returns the secret and whether it
/// was generated. Errors name `field` and the path, never the value.
///
/// # Errors
/// [`Error::Invalid`] naming `field` when the file cannot be read or written, is empty, or
/// holds an unacceptable value.
pub fn load_or_create(
    field: &str,
    path: &Path,
    generate: fn() -> Result<Secret>,
) -> Result<(Secret, bool)> {
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
            Ok((secret, false))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let secret = generate()?;
            write_private(path, secret.expose())
                .map_err(|e| Error::invalid(field, format!("{}: {e}", path.display())))?;
            Ok((secret, true))
        }
        Err(e) => Err(Error::invalid(field, format!("{}: {e}", path.display()))),
    }
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

/// BIP 173 bech32 of `data` (8-bit bytes) under `hrp`, upper-cased.
fn bech32_upper(hrp: &str, data: &[u8]) -> String {
    let values = to_base32(data);
    let checksum = bech32_checksum(hrp, &values);
    let mut out = String::with_capacity(hrp.len() + 1 + values.len() + 6);
    out.push_str(hrp);
    out.push('1');
    for v in values.iter().chain(checksum.iter()) {
        out.push(char::from(CHARSET[usize::from(*v)]));
    }
    out.to_ascii_uppercase()
}

/// Regroups bytes into 5-bit values, zero-padding the last one.
fn to_base32(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() * 8 / 5 + 1);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in data {
        acc = (acc << 8) | u32::from(*b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(((acc >> bits) & 31) as u8);
        }
    }
    if bits > 0 {
        out.push(((acc << (5 - bits)) & 31) as u8);
    }
    out
}

fn polymod(values: impl Iterator<Item = u8>) -> u32 {
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let mut chk: u32 = 1;
    for v in values {
        let top = chk >> 25;
        chk = ((chk & 0x01ff_ffff) << 5) ^ u32::from(v);
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

fn hrp_expand(hrp: &str) -> Vec<u8> {
    let lower = hrp.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    bytes
        .iter()
        .map(|c| c >> 5)
        .chain(std::iter::once(0))
        .chain(bytes.iter().map(|c| c & 31))
        .collect()
}

fn bech32_checksum(hrp: &str, values: &[u8]) -> [u8; 6] {
    let pm = polymod(
        hrp_expand(hrp)
            .into_iter()
            .chain(values.iter().copied())
            .chain([0u8; 6]),
    ) ^ 1;
    let mut out = [0u8; 6];
    for (i, o) in out.iter_mut().enumerate() {
        *o = ((pm >> (5 * (5 - i))) & 31) as u8;
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A bech32 string is valid when the polymod of its expanded hrp and data is 1.
    fn valid(s: &str) -> bool {
        let s = s.to_ascii_lowercase();
        let Some(pos) = s.rfind('1') else {
            return false;
        };
        let (hrp, data) = (&s[..pos], &s[pos + 1..]);
        let Some(values) = data
            .bytes()
            .map(|c| CHARSET.iter().position(|x| *x == c).map(|p| p as u8))
            .collect::<Option<Vec<u8>>>()
        else {
            return false;
        };
        polymod(hrp_expand(hrp).into_iter().chain(values)) == 1
    }

    #[test]
    fn bip173_vectors_check_and_our_checksum_matches_them() {
        for v in [
            "A12UEL5L",
            "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
            "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
        ] {
            assert!(valid(v), "{v}");
        }
        assert!(!valid("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxx"));
        assert_eq!(bech32_upper("a", &[]), "A12UEL5L");
        let all: Vec<u8> = (0..32).collect();
        let mut s = String::from("abcdef1");
        for v in all.iter().chain(bech32_checksum("abcdef", &all).iter()) {
            s.push(char::from(CHARSET[usize::from(*v)]));
        }
        assert_eq!(s, "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw");
    }

    #[test]
    fn age_identities_are_valid_distinct_and_the_length_age_writes() {
        let a = age_identity().unwrap();
        let b = age_identity().unwrap();
        assert_ne!(a.expose(), b.expose());
        // "AGE-SECRET-KEY-1" + 52 data characters + 6 checksum characters.
        assert_eq!(a.expose().len(), 16 + 52 + 6);
        assert!(valid(a.expose()), "checksum");
        assert_eq!(a.expose(), a.expose().to_ascii_uppercase());
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
