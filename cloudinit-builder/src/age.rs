//! [age](https://age-encryption.org) keys as the backups use them: the host gets only an
//! [`AgeRecipient`] (`age1...`, an X25519 public key), the operator keeps the identity
//! (`AGE-SECRET-KEY-1...`, the private scalar) as a [`Secret`].
//!
//! Both are BIP 173 bech32 strings: the recipient lower-case under the human-readable part
//! `age`, the identity upper-case under `age-secret-key-`. [`identity_from_key`] and
//! [`identity_key`] convert between an identity and its 32 bytes, so that an operator tool can
//! derive the recipient with any X25519 implementation ([`AgeRecipient::from_public_key`]).

use std::fmt;

use crate::{Error, Result, Secret};

/// The bech32 alphabet.
const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
/// age's human-readable part for recipients.
const RECIPIENT_HRP: &str = "age";
/// age's human-readable part for identities (rendered upper-case).
const IDENTITY_HRP: &str = "age-secret-key-";

/// An age X25519 recipient, `age1` followed by 58 bech32 characters (checksum verified).
///
/// Whoever holds it can encrypt to the identity it belongs to, not decrypt: it is not secret,
/// and it is all a host needs to write backups it cannot read back.
///
/// ```
/// use cloudinit_builder::age::AgeRecipient;
/// let r = AgeRecipient::new("age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p")?;
/// assert_eq!(r.as_str().len(), 62);
/// let err = AgeRecipient::new("AGE-SECRET-KEY-1QQQQ").unwrap_err();
/// assert_eq!(err.field(), Some("backups.recipient"));
/// assert!(!err.to_string().contains("QQQQ"), "the value is not echoed");
/// # Ok::<(), cloudinit_builder::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AgeRecipient(String);

impl AgeRecipient {
    /// Validates a recipient: `age1`, 58 characters of the bech32 alphabet (lower-case), a
    /// correct checksum, and 32 bytes of key. Errors name `backups.recipient` and never quote
    /// the value (an identity pasted here by mistake must not reach a log).
    pub fn new(value: &str) -> Result<Self> {
        let bad = |why: &str| Error::invalid("backups.recipient", why);
        if value.starts_with("AGE-SECRET-KEY-") {
            return Err(bad(
                "is an age identity (the private key): give its recipient (age-keygen -y)",
            ));
        }
        let data = value
            .strip_prefix("age1")
            .ok_or_else(|| bad("must be an age recipient starting with age1"))?;
        if data.len() != 58 {
            return Err(bad("must be age1 followed by 58 bech32 characters"));
        }
        let values = decode_values(data)
            .ok_or_else(|| bad("may only use the lower-case bech32 alphabet"))?;
        if !verify(RECIPIENT_HRP, &values) {
            return Err(bad("bech32 checksum mismatch (mistyped or truncated)"));
        }
        if from_base32(&values[..values.len() - 6]).is_none_or(|b| b.len() != 32) {
            return Err(bad("does not hold a 32-byte X25519 key"));
        }
        Ok(Self(value.to_owned()))
    }

    /// The recipient of an X25519 public key (what `age-keygen -y` prints for its identity).
    pub fn from_public_key(key: &[u8; 32]) -> Self {
        Self(encode(RECIPIENT_HRP, key))
    }

    /// The `age1...` text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AgeRecipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AgeRecipient").field(&self.0).finish()
    }
}

impl fmt::Display for AgeRecipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The age identity (`AGE-SECRET-KEY-1...`, upper-case bech32) of a 32-byte X25519 scalar, the
/// format `age-keygen` writes and `age -d -i` reads.
///
/// # Errors
/// None in practice; [`Secret::new`]'s checks are kept rather than bypassed.
pub fn identity_from_key(key: &[u8; 32]) -> Result<Secret> {
    Secret::new(encode(IDENTITY_HRP, key).to_ascii_uppercase())
}

/// The 32-byte scalar of an age identity, checksum verified. Errors name `backup_identity`
/// and never quote the value.
///
/// # Errors
/// [`Error::Invalid`] when `identity` is not an age X25519 identity.
pub fn identity_key(identity: &Secret) -> Result<[u8; 32]> {
    let bad = || {
        Error::invalid(
            "backup_identity",
            "must be an age identity (AGE-SECRET-KEY-1 followed by upper-case bech32, checksum valid)",
        )
    };
    let data = identity
        .expose()
        .strip_prefix("AGE-SECRET-KEY-1")
        .filter(|d| {
            d.bytes()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        })
        .ok_or_else(bad)?;
    let values = decode_values(&data.to_ascii_lowercase()).ok_or_else(bad)?;
    if values.len() < 6 || !verify(IDENTITY_HRP, &values) {
        return Err(bad());
    }
    from_base32(&values[..values.len() - 6])
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(bad)
}

/// BIP 173 bech32 of `data` (8-bit bytes) under `hrp`, lower-case.
fn encode(hrp: &str, data: &[u8]) -> String {
    let values = to_base32(data);
    let checksum = checksum(hrp, &values);
    let mut out = String::with_capacity(hrp.len() + 1 + values.len() + 6);
    out.push_str(hrp);
    out.push('1');
    for v in values.iter().chain(checksum.iter()) {
        out.push(char::from(CHARSET[usize::from(*v)]));
    }
    out
}

/// The 5-bit values of bech32 data characters (lower-case), or `None` for a foreign one.
fn decode_values(data: &str) -> Option<Vec<u8>> {
    data.bytes()
        .map(|c| {
            CHARSET
                .iter()
                .position(|x| *x == c)
                .and_then(|p| u8::try_from(p).ok())
        })
        .collect()
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

/// Regroups 5-bit values into bytes; `None` when the padding is not zero or too long.
fn from_base32(values: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(values.len() * 5 / 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for v in values {
        acc = ((acc << 5) | u32::from(*v)) & 0xfff;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    (bits < 5 && (acc << (8 - bits)) & 0xff == 0).then_some(out)
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
    let bytes = hrp.as_bytes();
    bytes
        .iter()
        .map(|c| c >> 5)
        .chain(std::iter::once(0))
        .chain(bytes.iter().map(|c| c & 31))
        .collect()
}

/// Whether `values` (data and checksum) carry a valid bech32 checksum under `hrp`.
fn verify(hrp: &str, values: &[u8]) -> bool {
    polymod(hrp_expand(hrp).into_iter().chain(values.iter().copied())) == 1
}

fn checksum(hrp: &str, values: &[u8]) -> [u8; 6] {
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

    #[test]
    fn bip173_vectors_verify_and_our_checksum_matches_them() {
        for v in [
            "a12uel5l",
            "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
            "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
        ] {
            let pos = v.rfind('1').unwrap();
            assert!(
                verify(&v[..pos], &decode_values(&v[pos + 1..]).unwrap()),
                "{v}"
            );
        }
        let all: Vec<u8> = (0..32).collect();
        let mut s = String::from("abcdef1");
        for v in all.iter().chain(checksum("abcdef", &all).iter()) {
            s.push(char::from(CHARSET[usize::from(*v)]));
        }
        assert_eq!(s, "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw");
        assert_eq!(encode("a", &[]), "a12uel5l");
    }

    #[test]
    fn identities_round_trip_through_their_key() {
        let identity = identity_from_key(&[0x42; 32]).unwrap();
        let text = identity.expose().to_owned();
        // "AGE-SECRET-KEY-1" + 52 data characters + 6 checksum characters, as age-keygen writes.
        assert_eq!(text.len(), 16 + 52 + 6);
        assert_eq!(text, text.to_ascii_uppercase());
        assert_eq!(identity_key(&identity).unwrap(), [0x42; 32]);
        let mut typo = text.clone();
        let swap = if &text[20..21] == "Q" { "P" } else { "Q" };
        typo.replace_range(20..21, swap);
        assert!(identity_key(&Secret::new(typo).unwrap()).is_err());
        assert!(identity_key(&Secret::new(text.to_ascii_lowercase()).unwrap()).is_err());
    }

    #[test]
    fn recipients_are_checked_and_built_from_public_keys() {
        let r = AgeRecipient::from_public_key(&[7; 32]);
        assert_eq!(r.as_str().len(), 62);
        assert_eq!(AgeRecipient::new(r.as_str()).unwrap(), r);
        // One changed character breaks the checksum.
        let mut s = r.as_str().to_owned();
        let last = if s.ends_with('q') { "p" } else { "q" };
        s.replace_range(61..62, last);
        assert!(AgeRecipient::new(&s).is_err());
        let identity = identity_from_key(&[1; 32]).unwrap();
        let upper = r.as_str().to_ascii_uppercase();
        for bad in ["", "age1", &upper, identity.expose(), "ssh-ed25519 AAAA"] {
            let err = AgeRecipient::new(bad).unwrap_err();
            assert_eq!(err.field(), Some("backups.recipient"), "{bad}");
        }
    }
}
