//! Why no response arrived.

/// How a request failed in transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No connection was made: the request never reached the server.
    Connect,
    /// No answer in time: the request may have been applied.
    Timeout,
    /// The connection broke after the request was sent (or the answer arrived damaged): it
    /// may have been applied.
    Interrupted,
    /// Anything else (TLS, protocol); treated as possibly applied.
    Other,
}

impl TransportErrorKind {
    /// False only when the request certainly never reached the server.
    pub fn may_have_reached_server(self) -> bool {
        self != Self::Connect
    }

    fn describe(self) -> &'static str {
        match self {
            Self::Connect => "could not connect",
            Self::Timeout => "timed out waiting for the response",
            Self::Interrupted => "connection lost before the response arrived",
            Self::Other => "transport failure",
        }
    }
}

/// A transport failure, with its cause as the error source (Display never repeats it).
///
/// ```
/// use api_transport::{TransportError, TransportErrorKind};
/// let e = TransportError::with_source(TransportErrorKind::Timeout, "attempt timed out");
/// assert_eq!(e.to_string(), "timed out waiting for the response");
/// assert_eq!(std::error::Error::source(&e).unwrap().to_string(), "attempt timed out");
/// assert!(e.may_have_reached_server());
/// ```
#[derive(Debug, thiserror::Error)]
#[error("{}", .kind.describe())]
pub struct TransportError {
    kind: TransportErrorKind,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl TransportError {
    /// An error of `kind` without a source.
    pub fn new(kind: TransportErrorKind) -> Self {
        Self { kind, source: None }
    }

    /// An error of `kind` caused by `source` (an error, or a message).
    pub fn with_source(
        kind: TransportErrorKind,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            kind,
            source: Some(source.into()),
        }
    }

    /// What kind of failure this was.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// False only when the request certainly never reached the server.
    pub fn may_have_reached_server(&self) -> bool {
        self.kind.may_have_reached_server()
    }
}
