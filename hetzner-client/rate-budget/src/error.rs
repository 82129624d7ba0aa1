//! Why a store could not answer.

use std::time::Duration;

/// A store could not answer (only shared stores fail; the in-memory ones never do).
///
/// No request should be sent on a budget the store could not vouch for: the [`crate::Gate`]
/// hands this error to the client, which returns it instead of sending.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store did not answer within its bounded timeout.
    #[error("the shared rate budget did not answer within {after:?}")]
    Timeout {
        /// The timeout that passed.
        after: Duration,
    },
    /// The store answered with an error or could not be reached.
    #[error("the shared rate budget is unavailable")]
    Unavailable {
        /// The backend's error (never carries credentials).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The store answered something this crate does not understand.
    #[error("the shared rate budget answered unexpectedly: {0}")]
    Protocol(String),
    /// The store's configuration is invalid.
    #[error("invalid rate budget configuration: {0}")]
    Config(String),
}
