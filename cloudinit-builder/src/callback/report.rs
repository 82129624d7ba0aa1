//! The report a host sends: its status, its failed steps and its SSH host keys.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use sha2::{Digest, Sha256};

/// What the host says about its first boot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadyStatus {
    /// Every hardening step succeeded and the app is healthy.
    Ready,
    /// These steps failed (slot names such as `firewall` or `auditd`, or `health` when the app
    /// never became healthy). The host must not be put into service.
    Failed(Vec<String>),
}

/// One SSH public host key of the host (`ssh-ed25519 AAAA...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostKey {
    algorithm: String,
    blob: Vec<u8>,
}

impl HostKey {
    /// Parses `TYPE BASE64 [comment]`; `None` when it is not a public key line whose blob
    /// names the same key type.
    pub fn parse(line: &str) -> Option<Self> {
        let mut parts = line.split_whitespace();
        let algorithm = parts.next()?;
        let blob = STANDARD.decode(parts.next()?).ok()?;
        // The blob starts with the key type as an SSH string: u32 length, then the name.
        let len = u32::from_be_bytes(blob.get(..4)?.try_into().ok()?) as usize;
        (blob.get(4..4 + len)? == algorithm.as_bytes()).then(|| Self {
            algorithm: algorithm.to_owned(),
            blob,
        })
    }

    /// The key type, e.g. `ssh-ed25519`.
    pub fn algorithm(&self) -> &str {
        &self.algorithm
    }

    /// The fingerprint as `ssh-keygen -l` prints it: `SHA256:` and unpadded base64.
    pub fn fingerprint(&self) -> String {
        format!(
            "SHA256:{}",
            STANDARD_NO_PAD.encode(Sha256::digest(&self.blob))
        )
    }
}

impl fmt::Display for HostKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.algorithm, STANDARD.encode(&self.blob))
    }
}

/// A verified ready report.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReadyReport {
    /// cloud-init's instance id (Hetzner: the server id).
    pub instance_id: String,
    /// Ready, or failed with the failed steps.
    pub status: ReadyStatus,
    /// The host's SSH public host keys.
    pub host_keys: Vec<HostKey>,
    /// When the host signed the report (Unix seconds).
    pub timestamp: u64,
}

impl ReadyReport {
    /// `known_hosts` lines for the host at `address` (a name or IP) and `port`, one per host
    /// key: `[address]:port TYPE BASE64` (plain `address` on port 22), for
    /// `StrictHostKeyChecking yes`.
    pub fn known_hosts(&self, address: &str, port: u16) -> Vec<String> {
        let host = if port == 22 {
            address.to_owned()
        } else {
            format!("[{address}]:{port}")
        };
        self.host_keys
            .iter()
            .map(|k| format!("{host} {k}"))
            .collect()
    }

    /// The fingerprints of the host keys, in order.
    pub fn fingerprints(&self) -> Vec<String> {
        self.host_keys.iter().map(HostKey::fingerprint).collect()
    }

    /// Whether the host reported ready.
    pub fn is_ready(&self) -> bool {
        self.status == ReadyStatus::Ready
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBe5SdiXKJH8QVkzPqKz3bX5iuXvGTqSE8P3aJxXHsq9 root@h";

    #[test]
    fn host_keys_parse_print_and_fingerprint() {
        let k = HostKey::parse(KEY).unwrap();
        assert_eq!(k.algorithm(), "ssh-ed25519");
        assert_eq!(format!("{k} root@h"), KEY);
        assert!(k.fingerprint().starts_with("SHA256:"));
        assert_eq!(k.fingerprint().len(), "SHA256:".len() + 43);
        // The declared type must match the blob's.
        assert!(HostKey::parse(&KEY.replace("ssh-ed25519 ", "ssh-rsa ")).is_none());
        assert!(HostKey::parse("ssh-ed25519 !!!").is_none());
    }

    #[test]
    fn known_hosts_brackets_non_default_ports() {
        let r = ReadyReport {
            instance_id: "i".into(),
            status: ReadyStatus::Ready,
            host_keys: vec![HostKey::parse(KEY).unwrap()],
            timestamp: 0,
        };
        assert!(r.known_hosts("h.example", 22)[0].starts_with("h.example ssh-ed25519 "));
        assert!(r.known_hosts("10.0.0.2", 42022)[0].starts_with("[10.0.0.2]:42022 ssh-ed25519 "));
    }
}
