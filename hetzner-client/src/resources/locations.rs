//! Locations (read only).

use futures::stream::BoxStream;
use serde::Deserialize;

use super::ListParams;
use crate::client::Client;
use crate::error::Result;
use crate::models::location::Location;
use crate::pagination::{Page, fetch_page, stream_all};
use crate::request::RequestSpec;

#[derive(Deserialize)]
struct Envelope {
    location: Location,
}

/// Location lookups; from [`Client::locations`].
#[derive(Debug, Clone, Copy)]
pub struct Locations<'a> {
    pub(crate) client: &'a Client,
}

impl Locations<'_> {
    /// Gets a location by id.
    ///
    /// # Errors
    /// `not_found` when it does not exist.
    pub async fn get(&self, id: u64) -> Result<Location> {
        let e: Envelope = self
            .client
            .send_json(&RequestSpec::get(format!("/locations/{id}")))
            .await?;
        Ok(e.location)
    }

    /// One page of locations.
    ///
    /// # Errors
    /// The API's error.
    pub async fn list(&self, params: &ListParams) -> Result<Page<Location>> {
        fetch_page(
            self.client,
            &params.apply(RequestSpec::get("/locations"))?,
            "locations",
        )
        .await
    }

    /// Every server type, lazily.
    ///
    /// # Errors
    /// An invalid filter (nothing sent).
    pub fn stream(&self, params: &ListParams) -> Result<BoxStream<'static, Result<Location>>> {
        Ok(stream_all(
            self.client,
            params.apply(RequestSpec::get("/locations"))?,
            "locations",
        ))
    }
}
