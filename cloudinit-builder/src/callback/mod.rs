//! The ready callback's wire format, and its verification on the control plane.
//!
//! At the end of first boot the host POSTs one JSON report ([`ReadyReport`]) to the control
//! plane: `ready`, or `failed` with the names of the hardening steps that failed, plus the
//! host's SSH public host keys. The request carries two headers:
//!
//! - [`TIMESTAMP_HEADER`]: seconds since the Unix epoch when the host signed it;
//! - [`SIGNATURE_HEADER`]: `sha256=` and the lowercase hex HMAC-SHA256, keyed with the
//!   callback secret, of `TIMESTAMP + "." + BODY` (the body's exact bytes).
//!
//! The body repeats the timestamp and holds a random `nonce`. [`Verifier::verify`] accepts a
//! request only when the signature matches (compared in constant time), the timestamp is within
//! the window (default 300 s either way) and agrees with the body, and the nonce was not seen
//! before within the window: a captured request replayed later, or twice, is refused. The
//! report it returns yields a `known_hosts` entry ([`ReadyReport::known_hosts`]), so later SSH
//! (restore, forensics) checks the host key strictly instead of trusting on first use.
//!
//! ```
//! use cloudinit_builder::Secret;
//! use cloudinit_builder::callback::{sign, Verifier, ReadyStatus};
//!
//! let secret = Secret::new("callback-secret-0123456789")?;
//! let body = br#"{"v":1,"instance_id":"i-1","status":"ready","failed_steps":[],"host_keys":["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBe5SdiXKJH8QVkzPqKz3bX5iuXvGTqSE8P3aJxXHsq9"],"nonce":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","timestamp":1700000000}"#;
//! let signature = sign(&secret, 1_700_000_000, body);
//! let verifier = Verifier::new(secret);
//! let report = verifier.verify_at("1700000000", &signature, body, 1_700_000_010)?;
//! assert_eq!(report.status, ReadyStatus::Ready);
//! assert!(report.known_hosts("203.0.113.7", 42022)[0].starts_with("[203.0.113.7]:42022 ssh-ed25519 "));
//! // The same request again is a replay.
//! assert!(verifier.verify_at("1700000000", &signature, body, 1_700_000_011).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod report;
mod verify;

pub use report::{HostKey, ReadyReport, ReadyStatus};
pub use verify::{DEFAULT_WINDOW_SECS, Verifier, VerifyError, sign};

/// The header carrying the signing time (Unix seconds).
pub const TIMESTAMP_HEADER: &str = "X-Hardened-Timestamp";
/// The header carrying `sha256=<hex HMAC-SHA256 of TIMESTAMP.BODY>`.
pub const SIGNATURE_HEADER: &str = "X-Hardened-Signature";
/// The report format version this crate writes and reads.
pub const REPORT_VERSION: u64 = 1;
