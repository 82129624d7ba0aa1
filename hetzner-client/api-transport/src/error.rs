//! Why no usable response arrived.

use std::fmt;

use http::StatusCode;

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
    /// A success answer (2xx) arrived, but its body is not the JSON the request asked for (an
    /// HTML page from a proxy, truncated or malformed JSON): an interrupted transfer. The
    /// request may have been applied.
    UndecodableBody,
    /// The server answered with a redirect (3xx). Redirects are never followed, so nothing
    /// was sent to the `Location`; the server did not act on the request.
    Redirected,
    /// The URL is plain `http://` to a host other than loopback; nothing was sent.
    InsecureUrl,
    /// Anything else (TLS, protocol); treated as possibly applied.
    Other,
}

impl TransportErrorKind {
    /// False only when the request certainly never reached the server or certainly was not
    /// acted on (a connect error, a refused URL, a redirect answer).
    pub fn may_have_reached_server(self) -> bool {
        !matches!(self, Self::Connect | Self::Redirected | Self::InsecureUrl)
    }

    fn describe(self) -> &'static str {
        match self {
            Self::Connect => "could not connect",
            Self::Timeout => "timed out waiting for the response",
            Self::Interrupted => "connection lost before the response arrived",
            Self::UndecodableBody => {
                "the success response's body was damaged in transfer (not the JSON asked for)"
            }
            Self::Redirected => "the server answered with a redirect, which is never followed",
            Self::InsecureUrl => "plain http:// is only allowed to a loopback address",
            Self::Other => "transport failure",
        }
    }
}

/// A redirect answer that was not followed: its status and the origin (`scheme://host:port`)
/// of its `Location`. The path and query of the `Location` are not kept, so nothing they
/// might carry ends up in an error or a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The 3xx status.
    pub status: StatusCode,
    /// The origin the server pointed to (`None` when the answer had no usable `Location`).
    pub origin: Option<String>,
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
#[derive(Debug)]
pub struct TransportError {
    kind: TransportErrorKind,
    redirect: Option<Redirect>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.describe())?;
        if let Some(redirect) = &self.redirect {
            write!(f, " (HTTP {}", redirect.status.as_u16())?;
            match &redirect.origin {
                Some(origin) => write!(f, " to {origin})")?,
                None => f.write_str(" without a usable Location)")?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl TransportError {
    /// An error of `kind` without a source.
    pub fn new(kind: TransportErrorKind) -> Self {
        Self {
            kind,
            redirect: None,
            source: None,
        }
    }

    /// An error of `kind` caused by `source` (an error, or a message).
    pub fn with_source(
        kind: TransportErrorKind,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            kind,
            redirect: None,
            source: Some(source.into()),
        }
    }

    /// A [`TransportErrorKind::Redirected`] error for a `status` answer pointing at `origin`.
    ///
    /// ```
    /// use api_transport::{StatusCode, TransportError};
    /// let e = TransportError::redirected(StatusCode::TEMPORARY_REDIRECT, Some("https://other.example".into()));
    /// assert!(e.to_string().contains("HTTP 307 to https://other.example"));
    /// assert!(!e.may_have_reached_server());
    /// ```
    pub fn redirected(status: StatusCode, origin: Option<String>) -> Self {
        Self {
            kind: TransportErrorKind::Redirected,
            redirect: Some(Redirect { status, origin }),
            source: None,
        }
    }

    /// What kind of failure this was.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// The redirect that was not followed, for [`TransportErrorKind::Redirected`].
    pub fn redirect(&self) -> Option<&Redirect> {
        self.redirect.as_ref()
    }

    /// False only when the request certainly never reached the server or was certainly not
    /// acted on.
    pub fn may_have_reached_server(&self) -> bool {
        self.kind.may_have_reached_server()
    }
}
