//! Server types (read only).

use futures::stream::BoxStream;
use serde::Deserialize;

use super::ListParams;
use crate::client::Client;
use crate::error::Result;
use crate::models::server_type::ServerType;
use crate::pagination::{Page, fetch_page, stream_all};
use crate::request::RequestSpec;

#[derive(Deserialize)]
struct Envelope {
    server_type: ServerType,
}

/// Server type lookups; from [`Client::server_types`].
#[derive(Debug, Clone, Copy)]
pub struct ServerTypes<'a> {
    pub(crate) client: &'a Client,
}

impl ServerTypes<'_> {
    /// Gets a server type by id.
    ///
    /// # Errors
    /// `not_found` when it does not exist.
    pub async fn get(&self, id: u64) -> Result<ServerType> {
        let e: Envelope = self
            .client
            .send_json(&RequestSpec::get(format!("/server_types/{id}")))
            .await?;
        Ok(e.server_type)
    }

    /// One page of server types.
    ///
    /// # Errors
    /// The API's error.
    pub async fn list(&self, params: &ListParams) -> Result<Page<ServerType>> {
        fetch_page(
            self.client,
            &params.apply(RequestSpec::get("/server_types"))?,
            "server_types",
        )
        .await
    }

    /// Every server type, lazily.
    ///
    /// # Errors
    /// An invalid filter (nothing sent).
    pub fn stream(&self, params: &ListParams) -> Result<BoxStream<'static, Result<ServerType>>> {
        Ok(stream_all(
            self.client,
            params.apply(RequestSpec::get("/server_types"))?,
            "server_types",
        ))
    }
}
