//! The price list (`GET /pricing`).

use super::common::send_key;
use crate::client::Client;
use crate::error::Result;
use crate::models::pricing::Pricing;
use crate::request::RequestSpec;

impl Client {
    /// The prices of every resource kind, in the project's currency.
    ///
    /// # Errors
    /// The API's error.
    pub async fn pricing(&self) -> Result<Pricing> {
        send_key(self, &RequestSpec::get("/pricing"), "pricing").await
    }
}
