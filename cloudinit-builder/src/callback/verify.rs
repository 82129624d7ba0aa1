//! Signing and verifying a ready report: HMAC-SHA256 over timestamp and body, a time window and
//! one-time nonces.

use std::collections::HashMap;
use std::sync::Mutex;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::REPORT_VERSION;
use super::report::{HostKey, ReadyReport, ReadyStatus};
use crate::Secret;

/// How far (seconds) a report's timestamp may be from the verifier's clock, either way.
pub const DEFAULT_WINDOW_SECS: u64 = 300;

/// Why a ready report was refused. Nothing in it repeats the secret or the signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// A header is absent or not in the expected form.
    #[error("header {header}: {reason}")]
    BadHeader {
        /// Which header.
        header: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The HMAC does not match: wrong secret, or the body or timestamp was changed.
    #[error("signature does not match the body and timestamp")]
    BadSignature,
    /// The timestamp is outside the window.
    #[error("timestamp {timestamp} is {skew} s away from now (window {window} s)")]
    Stale {
        /// The report's timestamp.
        timestamp: u64,
        /// How far it is from now.
        skew: u64,
        /// The allowed distance.
        window: u64,
    },
    /// This nonce was already accepted within the window.
    #[error("replayed report (nonce seen before)")]
    Replay,
    /// The signed body is not a valid report; names the field.
    #[error("report field {field}: {reason}")]
    BadReport {
        /// The JSON field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &Secret, timestamp: u64, body: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = match HmacSha256::new_from_slice(secret.expose().as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The [`SIGNATURE_HEADER`](super::SIGNATURE_HEADER) value for `body` signed at `timestamp`:
/// `sha256=` and the hex HMAC-SHA256 of `TIMESTAMP.BODY` keyed with `secret` (what the host's
/// callback script computes; here for tests and for senders written in Rust).
pub fn sign(secret: &Secret, timestamp: u64, body: &[u8]) -> String {
    let tag = mac(secret, timestamp, body).finalize().into_bytes();
    let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Verifies ready reports for one callback secret and remembers the nonces it accepted (for the
/// window), so each report is accepted once. Share one verifier (it is `Sync`) among the
/// handlers of the callback endpoint.
#[derive(Debug)]
pub struct Verifier {
    secret: Secret,
    window: u64,
    seen: Mutex<HashMap<String, u64>>,
}

impl Verifier {
    /// A verifier with the [`DEFAULT_WINDOW_SECS`] window.
    pub fn new(secret: Secret) -> Self {
        Self {
            secret,
            window: DEFAULT_WINDOW_SECS,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Sets the window (seconds either way; at least 1).
    #[must_use]
    pub fn window(mut self, secs: u64) -> Self {
        self.window = secs.max(1);
        self
    }

    /// Verifies a request against the system clock. `timestamp` and `signature` are the
    /// values of [`TIMESTAMP_HEADER`](super::TIMESTAMP_HEADER) and
    /// [`SIGNATURE_HEADER`](super::SIGNATURE_HEADER); `body` is the body's exact bytes.
    pub fn verify(
        &self,
        timestamp: &str,
        signature: &str,
        body: &[u8],
    ) -> Result<ReadyReport, VerifyError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.verify_at(timestamp, signature, body, now)
    }

    /// [`Verifier::verify`] at the given time (Unix seconds).
    pub fn verify_at(
        &self,
        timestamp: &str,
        signature: &str,
        body: &[u8],
        now: u64,
    ) -> Result<ReadyReport, VerifyError> {
        let ts: u64 = timestamp
            .trim()
            .parse()
            .map_err(|_| VerifyError::BadHeader {
                header: super::TIMESTAMP_HEADER,
                reason: "not a number of seconds",
            })?;
        let tag = signature
            .trim()
            .strip_prefix("sha256=")
            .and_then(unhex)
            .ok_or(VerifyError::BadHeader {
                header: super::SIGNATURE_HEADER,
                reason: "not sha256=<hex>",
            })?;
        mac(&self.secret, ts, body)
            .verify_slice(&tag)
            .map_err(|_| VerifyError::BadSignature)?;
        let skew = now.abs_diff(ts);
        if skew > self.window {
            return Err(VerifyError::Stale {
                timestamp: ts,
                skew,
                window: self.window,
            });
        }
        let (report, nonce) = parse(body)?;
        if report.timestamp != ts {
            return Err(VerifyError::BadReport {
                field: "timestamp",
                reason: "differs from the timestamp header".into(),
            });
        }
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let window = self.window;
        seen.retain(|_, at| now.abs_diff(*at) <= window);
        if seen.contains_key(&nonce) {
            return Err(VerifyError::Replay);
        }
        seen.insert(nonce, ts);
        Ok(report)
    }
}

fn bad(field: &'static str, reason: impl Into<String>) -> VerifyError {
    VerifyError::BadReport {
        field,
        reason: reason.into(),
    }
}

fn parse(body: &[u8]) -> Result<(ReadyReport, String), VerifyError> {
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| bad("body", e.to_string()))?;
    if v["v"].as_u64() != Some(REPORT_VERSION) {
        return Err(bad("v", format!("must be {REPORT_VERSION}")));
    }
    let text = |field: &'static str| -> Result<String, VerifyError> {
        v[field]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| bad(field, "missing or not a string"))
    };
    let nonce = text("nonce")?;
    if nonce.len() < 32 || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad("nonce", "must be at least 32 hex digits"));
    }
    let instance_id = text("instance_id")?;
    let failed: Vec<String> = v["failed_steps"]
        .as_array()
        .ok_or_else(|| bad("failed_steps", "missing or not a list"))?
        .iter()
        .map(|s| s.as_str().map(str::to_owned))
        .collect::<Option<_>>()
        .ok_or_else(|| bad("failed_steps", "holds a non-string"))?;
    let status = match text("status")?.as_str() {
        "ready" if failed.is_empty() => ReadyStatus::Ready,
        "ready" => return Err(bad("status", "ready with failed steps")),
        "failed" if !failed.is_empty() => ReadyStatus::Failed(failed),
        "failed" => return Err(bad("failed_steps", "failed without a step name")),
        _ => return Err(bad("status", "must be ready or failed")),
    };
    let host_keys = v["host_keys"]
        .as_array()
        .ok_or_else(|| bad("host_keys", "missing or not a list"))?
        .iter()
        .enumerate()
        .map(|(i, k)| {
            k.as_str()
                .and_then(HostKey::parse)
                .ok_or_else(|| bad("host_keys", format!("entry {i} is not an SSH public key")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if host_keys.is_empty() {
        return Err(bad("host_keys", "empty: the host's keys cannot be pinned"));
    }
    let timestamp = v["timestamp"]
        .as_u64()
        .ok_or_else(|| bad("timestamp", "missing or not a number"))?;
    Ok((
        ReadyReport {
            instance_id,
            status,
            host_keys,
            timestamp,
        },
        nonce,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBe5SdiXKJH8QVkzPqKz3bX5iuXvGTqSE8P3aJxXHsq9";

    fn body(status: &str, failed: &[&str], nonce: &str, ts: u64) -> Vec<u8> {
        serde_json::json!({
            "v": 1, "instance_id": "i-42", "status": status, "failed_steps": failed,
            "host_keys": [KEY], "nonce": nonce, "timestamp": ts,
        })
        .to_string()
        .into_bytes()
    }

    fn secret() -> Secret {
        Secret::new("callback-secret-0123456789").unwrap()
    }

    const NONCE: &str = "00112233445566778899aabbccddeeff";

    #[test]
    fn accepts_once_then_refuses_the_replay() {
        let v = Verifier::new(secret());
        let b = body("failed", &["auditd", "firewall"], NONCE, 1000);
        let sig = sign(&secret(), 1000, &b);
        let r = v.verify_at("1000", &sig, &b, 1100).unwrap();
        assert_eq!(
            r.status,
            ReadyStatus::Failed(vec!["auditd".into(), "firewall".into()])
        );
        assert_eq!(r.instance_id, "i-42");
        assert_eq!(
            v.verify_at("1000", &sig, &b, 1101),
            Err(VerifyError::Replay)
        );
    }

    #[test]
    fn refuses_stale_wrong_key_and_mismatched_timestamps() {
        let v = Verifier::new(secret()).window(60);
        let b = body("ready", &[], NONCE, 1000);
        let sig = sign(&secret(), 1000, &b);
        assert!(matches!(
            v.verify_at("1000", &sig, &b, 1061),
            Err(VerifyError::Stale { skew: 61, .. })
        ));
        let other = Secret::new("another-secret-0123456789").unwrap();
        assert_eq!(
            v.verify_at("1000", &sign(&other, 1000, &b), &b, 1000),
            Err(VerifyError::BadSignature)
        );
        // Signed with header 1001 but the body says 1000.
        let sig2 = sign(&secret(), 1001, &b);
        assert!(matches!(
            v.verify_at("1001", &sig2, &b, 1001),
            Err(VerifyError::BadReport {
                field: "timestamp",
                ..
            })
        ));
        assert!(matches!(
            v.verify_at("x", &sig, &b, 1000),
            Err(VerifyError::BadHeader { .. })
        ));
        assert!(matches!(
            v.verify_at("1000", "md5=00", &b, 1000),
            Err(VerifyError::BadHeader { .. })
        ));
    }

    #[test]
    fn a_ready_report_with_failed_steps_is_refused() {
        let v = Verifier::new(secret());
        let b = body("ready", &["sshd"], NONCE, 5);
        let err = v
            .verify_at("5", &sign(&secret(), 5, &b), &b, 5)
            .unwrap_err();
        assert!(matches!(
            err,
            VerifyError::BadReport {
                field: "status",
                ..
            }
        ));
        assert!(!err.to_string().contains("callback-secret"));
    }

    proptest! {
        /// Any change to the body, however small, fails verification.
        #[test]
        fn tampered_bodies_are_refused(at in 0usize..200, byte in any::<u8>()) {
            let b = body("failed", &["docker"], NONCE, 1000);
            let sig = sign(&secret(), 1000, &b);
            let mut t = b.clone();
            let i = at % t.len();
            prop_assume!(t[i] != byte);
            t[i] = byte;
            let v = Verifier::new(secret());
            prop_assert_eq!(v.verify_at("1000", &sig, &t, 1000), Err(VerifyError::BadSignature));
        }

        /// Any change to the signature fails verification.
        #[test]
        fn tampered_signatures_are_refused(at in 7usize..71, c in "[0-9a-f]") {
            let b = body("ready", &[], NONCE, 1000);
            let sig = sign(&secret(), 1000, &b);
            let mut s: Vec<char> = sig.chars().collect();
            let new = c.chars().next().unwrap();
            prop_assume!(s[at] != new);
            s[at] = new;
            let s: String = s.into_iter().collect();
            let v = Verifier::new(secret());
            prop_assert_eq!(v.verify_at("1000", &s, &b, 1000), Err(VerifyError::BadSignature));
        }
    }
}
