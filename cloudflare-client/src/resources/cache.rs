//! Cache purge: `POST /zones/{zone_id}/purge_cache`, by everything, URLs, tags, hosts or
//! prefixes. Cloudflare limits how much one call may name (30 URLs on most plans), so larger
//! lists are refused here, naming the field, before anything is sent.

use http::Method;
use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::transport::request::{RequestSpec, check_id};

/// The most URLs, tags, hosts or prefixes one purge call names (the limit of Free, Pro and
/// Business zones; Enterprise allows more per call but the same batches work there).
pub const MAX_PER_CALL: usize = 30;

/// What to purge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Purge {
    /// Every cached file of the zone.
    #[serde(rename = "purge_everything")]
    Everything(bool),
    /// These URLs (`https://www.example.com/css/site.css`).
    Files(Vec<String>),
    /// Files carrying these `Cache-Tag` values.
    Tags(Vec<String>),
    /// Every file of these hostnames.
    Hosts(Vec<String>),
    /// Every file under these `host/path` prefixes (no scheme).
    Prefixes(Vec<String>),
}

impl Purge {
    /// Purge everything.
    pub fn everything() -> Self {
        Self::Everything(true)
    }

    fn check(&self) -> Result<()> {
        let (field, items) = match self {
            Self::Everything(true) => return Ok(()),
            Self::Everything(false) => {
                return Err(Error::invalid("purge_everything", "must be true"));
            }
            Self::Files(v) => ("files", v),
            Self::Tags(v) => ("tags", v),
            Self::Hosts(v) => ("hosts", v),
            Self::Prefixes(v) => ("prefixes", v),
        };
        if items.is_empty() || items.len() > MAX_PER_CALL {
            return Err(Error::invalid(
                field,
                format!("name 1 to {MAX_PER_CALL} entries per call"),
            ));
        }
        for (i, item) in items.iter().enumerate() {
            let bad_url =
                field == "files" && !(item.starts_with("https://") || item.starts_with("http://"));
            let bad_prefix = field == "prefixes" && item.contains("://");
            if item.trim().is_empty()
                || item.chars().any(char::is_whitespace)
                || bad_url
                || bad_prefix
            {
                let why = match field {
                    "files" => "an absolute http(s) URL without spaces",
                    "prefixes" => "host/path without a scheme or spaces",
                    _ => "a non-empty value without spaces",
                };
                return Err(Error::invalid(format!("{field}[{i}]"), why));
            }
        }
        Ok(())
    }
}

/// The purge request's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PurgeResult {
    /// Purge id.
    pub id: String,
}

/// `POST /zones/{zone_id}/purge_cache`.
pub fn purge_request(zone_id: &str, purge: &Purge) -> Result<RequestSpec> {
    check_id("zone_id", zone_id)?;
    purge.check()?;
    RequestSpec::new(Method::POST, format!("/zones/{zone_id}/purge_cache"))
        .with_json(purge)
        .map_err(Error::from)
}

/// Cache calls for one zone; from [`Client::cache`].
#[derive(Debug, Clone)]
pub struct CacheApi<'a> {
    client: &'a Client,
    zone_id: String,
}

impl<'a> CacheApi<'a> {
    pub(crate) fn new(client: &'a Client, zone_id: &str) -> Self {
        Self {
            client,
            zone_id: zone_id.to_owned(),
        }
    }

    /// Purge. Purging twice has the same effect as once, so a purge whose answer was lost may
    /// simply be called again.
    ///
    /// ```no_run
    /// # async fn run(client: cloudflare_client::Client) -> cloudflare_client::Result<()> {
    /// use cloudflare_client::resources::cache::Purge;
    /// let zone = "023e105f4ecef8ad9ca31a8372d0c353";
    /// client.cache(zone).purge(&Purge::Files(vec!["https://www.example.com/app.js".into()])).await?;
    /// client.cache(zone).purge(&Purge::everything()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn purge(&self, purge: &Purge) -> Result<PurgeResult> {
        let spec = purge_request(&self.zone_id, purge)?;
        Ok(self.client.send(&spec).await?.result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_and_checks() {
        let r = purge_request("z1", &Purge::everything()).unwrap();
        assert_eq!(
            r.body.unwrap(),
            serde_json::json!({"purge_everything": true})
        );
        let r = purge_request("z1", &Purge::Tags(vec!["a".into()])).unwrap();
        assert_eq!(r.body.unwrap(), serde_json::json!({"tags": ["a"]}));
        let e = purge_request("z1", &Purge::Files(vec!["/relative".into()])).unwrap_err();
        assert!(e.to_string().contains("files[0]"), "{e}");
        let e = purge_request(
            "z1",
            &Purge::Hosts((0..31).map(|i| format!("h{i}")).collect()),
        )
        .unwrap_err();
        assert!(e.to_string().contains("`hosts`"), "{e}");
        assert!(purge_request("z1", &Purge::Prefixes(vec!["https://x/y".into()])).is_err());
    }
}
