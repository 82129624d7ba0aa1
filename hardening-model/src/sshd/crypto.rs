//! Algorithm lists for sshd and ssh, as closed enums checked against the target OpenSSH version.
//!
//! Every algorithm is an enum variant, so a list can never carry a stray word, comma or newline
//! into the rendered file. [`SshCrypto::check`] refuses algorithms the target OpenSSH does not
//! know: `mlkem768x25519-sha256` appeared in OpenSSH 9.9, and Ubuntu 24.04 ships 9.6p1, where
//! sshd would refuse to start with it in `KexAlgorithms`.

use std::fmt;

use crate::{Error, Problem, Result};

/// The OpenSSH release the configuration is rendered for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OpenSshVersion {
    /// Major version, e.g. `9`.
    pub major: u8,
    /// Minor version, e.g. `6`.
    pub minor: u8,
}

impl OpenSshVersion {
    /// OpenSSH 9.6p1, the version in Ubuntu 24.04 LTS (noble).
    pub const UBUNTU_24_04: Self = Self::new(9, 6);

    /// A version `major.minor`.
    pub const fn new(major: u8, minor: u8) -> Self {
        Self { major, minor }
    }
}

impl fmt::Display for OpenSshVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

macro_rules! algorithms {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal since ($maj:literal, $min:literal)),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vdoc])* $variant),*
        }

        impl $name {
            /// The name OpenSSH uses in its configuration files.
            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),* }
            }

            /// The first OpenSSH release that supports the algorithm.
            pub const fn since(self) -> OpenSshVersion {
                match self { $(Self::$variant => OpenSshVersion::new($maj, $min)),* }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

algorithms! {
    /// A key exchange algorithm (`KexAlgorithms`).
    Kex {
        /// ML-KEM-768 + X25519 hybrid (post-quantum); OpenSSH 9.9 and later only.
        Mlkem768X25519Sha256 => "mlkem768x25519-sha256" since (9, 9),
        /// Streamlined NTRU Prime + X25519 hybrid (post-quantum).
        Sntrup761X25519Sha512 => "sntrup761x25519-sha512@openssh.com" since (8, 5),
        /// X25519 (RFC 8731 name).
        Curve25519Sha256 => "curve25519-sha256" since (7, 4),
        /// X25519 (libssh name).
        Curve25519Sha256Libssh => "curve25519-sha256@libssh.org" since (6, 5),
        /// 8192-bit finite-field Diffie-Hellman.
        DhGroup18Sha512 => "diffie-hellman-group18-sha512" since (7, 3),
        /// 4096-bit finite-field Diffie-Hellman.
        DhGroup16Sha512 => "diffie-hellman-group16-sha512" since (7, 3),
        /// Diffie-Hellman group exchange (moduli from /etc/ssh/moduli).
        DhGroupExchangeSha256 => "diffie-hellman-group-exchange-sha256" since (4, 4),
    }
}

algorithms! {
    /// A symmetric cipher (`Ciphers`).
    Cipher {
        /// ChaCha20-Poly1305 (safe against Terrapin once strict KEX is negotiated, 9.6+).
        Chacha20Poly1305 => "chacha20-poly1305@openssh.com" since (6, 5),
        /// AES-256 in GCM mode.
        Aes256Gcm => "aes256-gcm@openssh.com" since (6, 2),
        /// AES-128 in GCM mode.
        Aes128Gcm => "aes128-gcm@openssh.com" since (6, 2),
        /// AES-256 in CTR mode.
        Aes256Ctr => "aes256-ctr" since (3, 7),
        /// AES-192 in CTR mode.
        Aes192Ctr => "aes192-ctr" since (3, 7),
        /// AES-128 in CTR mode.
        Aes128Ctr => "aes128-ctr" since (3, 7),
    }
}

algorithms! {
    /// A message authentication code (`MACs`); encrypt-then-MAC variants only.
    Mac {
        /// HMAC-SHA2-512, encrypt-then-MAC.
        HmacSha2_512Etm => "hmac-sha2-512-etm@openssh.com" since (6, 2),
        /// HMAC-SHA2-256, encrypt-then-MAC.
        HmacSha2_256Etm => "hmac-sha2-256-etm@openssh.com" since (6, 2),
        /// UMAC-128, encrypt-then-MAC.
        Umac128Etm => "umac-128-etm@openssh.com" since (6, 2),
    }
}

algorithms! {
    /// A public key or certificate signature algorithm (`HostKeyAlgorithms`,
    /// `PubkeyAcceptedAlgorithms`).
    KeyAlgorithm {
        /// Ed25519 key.
        Ed25519 => "ssh-ed25519" since (6, 5),
        /// Ed25519 certificate.
        Ed25519Cert => "ssh-ed25519-cert-v01@openssh.com" since (6, 5),
        /// Ed25519 key held by a FIDO2 hardware authenticator.
        SkEd25519 => "sk-ssh-ed25519@openssh.com" since (8, 2),
        /// Certificate for a FIDO2 Ed25519 key.
        SkEd25519Cert => "sk-ssh-ed25519-cert-v01@openssh.com" since (8, 2),
        /// RSA with SHA-512 signatures.
        RsaSha2_512 => "rsa-sha2-512" since (7, 2),
        /// RSA with SHA-256 signatures.
        RsaSha2_256 => "rsa-sha2-256" since (7, 2),
    }
}

/// The algorithm lists written into `sshd_config` (and the admins' `ssh_config`).
///
/// ```
/// use hardening_model::sshd::{OpenSshVersion, SshCrypto};
///
/// let crypto = SshCrypto::baseline(false);
/// assert!(crypto.check(OpenSshVersion::UBUNTU_24_04).is_ok());
/// assert_eq!(crypto.kex_line(), "sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshCrypto {
    /// `KexAlgorithms`, in preference order.
    pub kex: Vec<Kex>,
    /// `Ciphers`, in preference order.
    pub ciphers: Vec<Cipher>,
    /// `MACs`, in preference order.
    pub macs: Vec<Mac>,
    /// `HostKeyAlgorithms`: what the server offers (and the client accepts) as host keys.
    pub host_key_algorithms: Vec<KeyAlgorithm>,
    /// `PubkeyAcceptedAlgorithms`: user key and certificate types accepted for login.
    pub pubkey_algorithms: Vec<KeyAlgorithm>,
}

impl SshCrypto {
    /// The baseline for OpenSSH 9.6 (Ubuntu 24.04): the runbook's lists, which are a subset of
    /// ssh-audit's "Hardened Ubuntu Server 24.04 LTS" policy and of the CIS strong lists.
    ///
    /// - Key exchange: `sntrup761x25519-sha512@openssh.com` (post-quantum hybrid) first, then
    ///   X25519. `mlkem768x25519-sha256` is left out: it needs OpenSSH 9.9.
    /// - Ciphers: AEAD only (ChaCha20-Poly1305, AES-256-GCM, AES-128-GCM).
    /// - MACs: encrypt-then-MAC only (unused with AEAD ciphers, kept for completeness).
    /// - Host keys: Ed25519 only (no host certificate is configured, so no cert algorithm).
    /// - User keys: Ed25519 keys and certificates; with `hardware_keys`, also the FIDO2
    ///   `sk-ssh-ed25519@openssh.com` key and certificate types (the runbook promises hardware
    ///   keys for the bastion but its list would refuse them).
    pub fn baseline(hardware_keys: bool) -> Self {
        let mut pubkey_algorithms = vec![KeyAlgorithm::Ed25519, KeyAlgorithm::Ed25519Cert];
        if hardware_keys {
            pubkey_algorithms.extend([KeyAlgorithm::SkEd25519, KeyAlgorithm::SkEd25519Cert]);
        }
        Self {
            kex: vec![
                Kex::Sntrup761X25519Sha512,
                Kex::Curve25519Sha256,
                Kex::Curve25519Sha256Libssh,
            ],
            ciphers: vec![
                Cipher::Chacha20Poly1305,
                Cipher::Aes256Gcm,
                Cipher::Aes128Gcm,
            ],
            macs: vec![Mac::HmacSha2_512Etm, Mac::HmacSha2_256Etm, Mac::Umac128Etm],
            host_key_algorithms: vec![KeyAlgorithm::Ed25519],
            pubkey_algorithms,
        }
    }

    /// True when the FIDO2 hardware-key algorithms are accepted for user login.
    pub fn accepts_hardware_keys(&self) -> bool {
        self.pubkey_algorithms.contains(&KeyAlgorithm::SkEd25519)
    }

    /// Checks that no list is empty, none repeats an entry, and that `target` supports every
    /// algorithm.
    ///
    /// ```
    /// use hardening_model::sshd::{Kex, OpenSshVersion, SshCrypto};
    ///
    /// let mut crypto = SshCrypto::baseline(false);
    /// crypto.kex.insert(0, Kex::Mlkem768X25519Sha256);
    /// let err = crypto.check(OpenSshVersion::UBUNTU_24_04).unwrap_err();
    /// assert_eq!(err.field(), "crypto.kex[0]");
    /// assert!(crypto.check(OpenSshVersion::new(9, 9)).is_ok());
    /// ```
    pub fn check(&self, target: OpenSshVersion) -> Result<()> {
        check_list("kex", &self.kex, target, |a| a.since(), |a| a.as_str())?;
        check_list(
            "ciphers",
            &self.ciphers,
            target,
            |a| a.since(),
            |a| a.as_str(),
        )?;
        check_list("macs", &self.macs, target, |a| a.since(), |a| a.as_str())?;
        check_list(
            "host_key_algorithms",
            &self.host_key_algorithms,
            target,
            |a| a.since(),
            |a| a.as_str(),
        )?;
        check_list(
            "pubkey_algorithms",
            &self.pubkey_algorithms,
            target,
            |a| a.since(),
            |a| a.as_str(),
        )
    }

    /// The `KexAlgorithms` value.
    pub fn kex_line(&self) -> String {
        join(&self.kex)
    }

    /// The `Ciphers` value.
    pub fn ciphers_line(&self) -> String {
        join(&self.ciphers)
    }

    /// The `MACs` value.
    pub fn macs_line(&self) -> String {
        join(&self.macs)
    }

    /// The `HostKeyAlgorithms` value.
    pub fn host_key_algorithms_line(&self) -> String {
        join(&self.host_key_algorithms)
    }

    /// The `PubkeyAcceptedAlgorithms` value.
    pub fn pubkey_algorithms_line(&self) -> String {
        join(&self.pubkey_algorithms)
    }
}

fn join<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn check_list<T: PartialEq + Copy>(
    name: &str,
    items: &[T],
    target: OpenSshVersion,
    since: impl Fn(T) -> OpenSshVersion,
    text: impl Fn(T) -> &'static str,
) -> Result<()> {
    let field = |i: usize| format!("crypto.{name}[{i}]");
    if items.is_empty() {
        return Err(Error::new(format!("crypto.{name}"), Problem::Empty));
    }
    for (i, &item) in items.iter().enumerate() {
        if items[..i].contains(&item) {
            return Err(Error::invalid(
                field(i),
                format!("{} is listed twice", text(item)),
            ));
        }
        if since(item) > target {
            return Err(Error::invalid(
                field(i),
                format!(
                    "{} needs OpenSSH {} but the target is OpenSSH {target}",
                    text(item),
                    since(item)
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baseline_matches_policy_subset() {
        let c = SshCrypto::baseline(true);
        assert_eq!(
            c.ciphers_line(),
            "chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com"
        );
        assert_eq!(
            c.macs_line(),
            "hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com"
        );
        assert_eq!(c.host_key_algorithms_line(), "ssh-ed25519");
        assert!(
            c.pubkey_algorithms_line()
                .contains("sk-ssh-ed25519@openssh.com")
        );
        assert!(c.accepts_hardware_keys());
        assert!(!SshCrypto::baseline(false).accepts_hardware_keys());
    }

    #[test]
    fn rejects_empty_and_duplicates() {
        let mut c = SshCrypto::baseline(false);
        c.macs.clear();
        assert_eq!(
            c.check(OpenSshVersion::UBUNTU_24_04).unwrap_err().field(),
            "crypto.macs"
        );
        let mut c = SshCrypto::baseline(false);
        c.ciphers.push(Cipher::Aes256Gcm);
        assert_eq!(
            c.check(OpenSshVersion::UBUNTU_24_04).unwrap_err().field(),
            "crypto.ciphers[3]"
        );
    }
}
