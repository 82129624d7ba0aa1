//! The real transport: reqwest, TLS by feature `rustls` (default) or `native-tls`.

/// [`crate::transport::Transport`] over reqwest (the `api-transport` crate's, shared with
/// hetzner-client): `ReqwestTransport::with_timeouts(connect, request)` or
/// `ReqwestTransport::new(reqwest_client)`.
pub use api_transport::ReqwestTransport;
