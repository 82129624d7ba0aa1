//! Token verification: `GET /user/tokens/verify` says whether the token in use is active,
//! disabled or expired, without needing any other permission.

use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::enums::api_enum;
use crate::error::{Error, Result};
use crate::transport::request::RequestSpec;

api_enum! {
    /// The status of an API token.
    pub enum TokenStatus {
        /// Usable.
        Active => "active",
        /// Switched off by its owner.
        Disabled => "disabled",
        /// Past its `expires_on`.
        Expired => "expired",
    }
}

/// What `user/tokens/verify` says about the token in use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TokenVerification {
    /// Token id (not the secret).
    pub id: String,
    /// Status.
    pub status: TokenStatus,
    /// When the token stops working, if it expires.
    #[serde(default)]
    pub expires_on: Option<String>,
    /// When the token starts working, if not yet.
    #[serde(default)]
    pub not_before: Option<String>,
}

impl TokenVerification {
    /// Whether the token can be used now.
    pub fn is_active(&self) -> bool {
        self.status == TokenStatus::Active
    }
}

/// `GET /user/tokens/verify`.
pub fn verify_request() -> RequestSpec {
    RequestSpec::get("/user/tokens/verify")
}

/// Token calls; from [`Client::tokens`].
#[derive(Debug, Clone, Copy)]
pub struct TokensApi<'a> {
    client: &'a Client,
}

impl<'a> TokensApi<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Self { client }
    }

    /// The token's id and status.
    pub async fn verify(&self) -> Result<TokenVerification> {
        Ok(self.client.send(&verify_request()).await?.result)
    }

    /// Verify the token and fail with [`Error::TokenInactive`] unless it is active: call it
    /// first, before a run that would otherwise fail half-way.
    ///
    /// ```no_run
    /// # async fn run() -> cloudflare_client::Result<()> {
    /// let client = cloudflare_client::Client::from_env()?;
    /// client.tokens().ensure_active().await?;
    /// # Ok(()) }
    /// ```
    pub async fn ensure_active(&self) -> Result<TokenVerification> {
        let v = self.verify().await?;
        if v.is_active() {
            Ok(v)
        } else {
            Err(Error::TokenInactive {
                status: v.status.to_string(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_judges_status() {
        let v: TokenVerification = serde_json::from_str(
            r#"{"id":"ed17574386854bf78a67040be0a770b0","status":"expired","expires_on":"2020-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        assert!(!v.is_active());
        assert_eq!(verify_request().path, "/user/tokens/verify");
        let v: TokenVerification =
            serde_json::from_str(r#"{"id":"x","status":"suspended"}"#).unwrap();
        assert_eq!(v.status, TokenStatus::Unknown("suspended".into()));
    }
}
