//! The flows' error type, and [`chain`], which prints it with every cause.

use std::error::Error as StdError;

/// What can go wrong in a flow. Each variant keeps the typed error it wraps as its
/// `source`, so the printed chain ends with the API's own code and message or the field a
/// validation rejected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A command-line or policy value is not acceptable; nothing was sent.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The rejected field, e.g. `instance_id`.
        field: String,
        /// Why.
        reason: String,
    },
    /// A hardening-model policy value was rejected; nothing was sent.
    #[error("policy values rejected")]
    Model(#[from] hardening_model::Error),
    /// The cloud-init document could not be built or does not fit.
    #[error("cloud-init document could not be built")]
    CloudInit(#[from] cloudinit_builder::Error),
    /// A Hetzner Cloud call (or its client-side validation) failed.
    #[error("Hetzner Cloud call failed")]
    Hetzner(#[from] hetzner_client::Error),
    /// A Cloudflare call (or its client-side validation) failed.
    #[error("Cloudflare call failed")]
    Cloudflare(#[from] cloudflare_client::Error),
    /// The accounts are not in a state the flow can work with (e.g. the zone is missing).
    #[error("{0}")]
    State(String),
    /// A local command of a flow (rclone, age, tar, ssh) failed or could not start.
    #[error("{step} failed: {detail}")]
    Command {
        /// The step, e.g. `decrypt`.
        step: String,
        /// Its exit status and the last line it printed to stderr.
        detail: String,
    },
}

impl Error {
    /// An [`Error::Invalid`] naming `field`.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Result with the flows' [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The error and every cause below it, one per line:
///
/// ```
/// let err = fleet_flows::Error::invalid("subdomain", "must be one DNS label");
/// assert_eq!(fleet_flows::error::chain(&err), "error: invalid subdomain: must be one DNS label");
/// ```
pub fn chain(err: &(dyn StdError + 'static)) -> String {
    let mut out = format!("error: {err}");
    let mut cause = err.source();
    while let Some(c) = cause {
        out.push_str(&format!("\n  caused by: {c}"));
        cause = c.source();
    }
    out
}
