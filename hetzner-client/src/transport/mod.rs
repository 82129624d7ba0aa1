//! The HTTP transport behind the client: the [`Transport`] trait with a reqwest
//! implementation and, with the `simulator` feature, an in-memory one.
//!
//! These are the `api-transport` crate's types, shared with cloudflare-client, so both
//! clients (and their simulators) speak one vocabulary.

pub use api_transport::{
    HttpRequest, HttpResponse, ReqwestTransport, StatusCode, Transport, TransportError,
    TransportErrorKind,
};
