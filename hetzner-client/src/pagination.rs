//! Pages, their meta, and lazy all-pages streams.

use std::collections::VecDeque;

use futures::stream::{self, BoxStream, StreamExt};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::decode::decode_page;
use crate::error::Result;
use crate::request::RequestSpec;

/// Hetzner's maximum (and this crate's default for streams) page size.
pub const MAX_PER_PAGE: u32 = 50;

/// `meta.pagination` of a list response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pagination {
    /// Current page (1-based).
    pub page: i64,
    /// Entries per page.
    pub per_page: i64,
    /// Previous page, if any.
    pub previous_page: Option<i64>,
    /// Next page, if any.
    pub next_page: Option<i64>,
    /// Last page, when known.
    pub last_page: Option<i64>,
    /// Total entries, when known.
    pub total_entries: Option<i64>,
}

/// One page of a list call.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The entries on this page that decoded.
    pub items: Vec<T>,
    /// Pagination meta (absent on endpoints that do not paginate).
    pub pagination: Option<Pagination>,
    /// The entries that did not decode, kept raw so nothing is lost: a caller that must see
    /// every entry (a find-before-create) calls [`Page::complete`] and fails on them.
    pub undecoded: Vec<Undecoded>,
}

/// A list entry that does not fit the model: where it was, why, and its raw JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undecoded {
    /// The list key, e.g. `servers`.
    pub list: String,
    /// Its index on the page.
    pub index: usize,
    /// The path inside the entry of the first value that does not fit.
    pub path: String,
    /// Why it did not decode.
    pub reason: String,
    /// The entry's JSON, as received.
    pub raw: String,
}

impl std::fmt::Display for Undecoded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}[{}] does not decode at `{}`: {}",
            self.list, self.index, self.path, self.reason
        )
    }
}

impl<T: DeserializeOwned> Page<T> {
    /// Every entry, or an error when one did not decode: what a reconciling path (find before
    /// create) needs, since a skipped entry could be the very resource it looks for.
    ///
    /// ```
    /// use hetzner_client::pagination::Page;
    /// let page: Page<u32> = Page::from_slice(br#"{"ids":[1,"two",3]}"#, "ids")?;
    /// assert_eq!(page.undecoded.len(), 1);
    /// let err = page.complete().unwrap_err();
    /// assert!(err.to_string().contains("ids[1]"));
    /// # Ok::<(), hetzner_client::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Decode`](crate::Error::Decode) whose path names the first undecodable entry
    /// (`servers[1].public_net`).
    pub fn complete(self) -> Result<Vec<T>> {
        match self.undecoded.first() {
            None => Ok(self.items),
            Some(first) => Err(first.error::<T>()),
        }
    }
}

impl Undecoded {
    /// The decoding error again, as [`Error::Decode`](crate::Error::Decode) with the path from
    /// the list key (`servers[1].id`).
    fn error<T: DeserializeOwned>(&self) -> crate::Error {
        let path = if self.path.is_empty() || self.path == "." {
            format!("{}[{}]", self.list, self.index)
        } else {
            format!("{}[{}].{}", self.list, self.index, self.path)
        };
        let source = match serde_json::from_str::<T>(&self.raw) {
            Err(source) => source,
            // decodes now (cannot happen for a deterministic model): report the recorded reason
            Ok(_) => <serde_json::Error as serde::de::Error>::custom(&self.reason),
        };
        crate::Error::Decode { path, source }
    }
}

impl<T: DeserializeOwned> Page<T> {
    /// Decodes a list response body: the entries under `key` (`"servers"`, `"actions"`, ...)
    /// plus `meta.pagination`, straight from the bytes.
    ///
    /// Each entry is decoded on its own: one that does not fit `T` is kept raw in
    /// [`Page::undecoded`] (with a `tracing` warning naming its index and the path inside it)
    /// and the others are decoded. An absent `key` is an empty page.
    ///
    /// ```
    /// use hetzner_client::pagination::Page;
    ///
    /// let body = br#"{"ids":[1,"two",3],"meta":{"pagination":{"page":1,"per_page":25,
    ///     "previous_page":null,"next_page":null,"last_page":1,"total_entries":3}}}"#;
    /// let page: Page<u32> = Page::from_slice(body, "ids")?;
    /// assert_eq!(page.items, vec![1, 3]);
    /// assert_eq!((page.undecoded[0].index, page.undecoded[0].raw.as_str()), (1, "\"two\""));
    /// assert_eq!(page.pagination.and_then(|p| p.total_entries), Some(3));
    /// # Ok::<(), hetzner_client::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Decode`](crate::Error::Decode) naming the path when the body is not JSON, `key`
    /// is not a list, or `meta.pagination` does not fit.
    pub fn from_slice(body: &[u8], key: &str) -> Result<Self> {
        decode_page(body, key)
    }
}

/// Paging options common to every list call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PageRequest {
    /// Page number (1-based); `None` for the API default (1).
    pub page: Option<u64>,
    /// Entries per page, at most [`MAX_PER_PAGE`]; `None` for the API default (25).
    pub per_page: Option<u32>,
}

impl PageRequest {
    pub(crate) fn apply(&self, mut spec: RequestSpec) -> RequestSpec {
        if let Some(page) = self.page {
            spec = spec.with_query("page", page.to_string());
        }
        if let Some(per_page) = self.per_page {
            spec = spec.with_query("per_page", per_page.clamp(1, MAX_PER_PAGE).to_string());
        }
        spec
    }
}

/// Fetches one page.
pub(crate) async fn fetch_page<T: DeserializeOwned>(
    client: &Client,
    spec: &RequestSpec,
    key: &str,
) -> Result<Page<T>> {
    let response = client.execute(spec).await?;
    decode_page(&response.body, key)
}

struct Walk<T> {
    client: Client,
    spec: RequestSpec,
    key: &'static str,
    next: Option<i64>,
    buffer: VecDeque<T>,
}

/// Walks every page of `spec` lazily (one request per 50 entries, only when consumed).
pub(crate) fn stream_all<T: DeserializeOwned + Send + 'static>(
    client: &Client,
    spec: RequestSpec,
    key: &'static str,
) -> BoxStream<'static, Result<T>> {
    let mut spec = spec;
    spec.query.retain(|(k, _)| k != "page" && k != "per_page");
    let walk = Walk {
        client: client.clone(),
        spec,
        key,
        next: Some(1),
        buffer: VecDeque::new(),
    };
    stream::try_unfold(walk, |mut walk| async move {
        loop {
            if let Some(item) = walk.buffer.pop_front() {
                return Ok(Some((item, walk)));
            }
            let Some(page) = walk.next else {
                return Ok(None);
            };
            let spec = walk
                .spec
                .clone()
                .with_query("page", page.to_string())
                .with_query("per_page", MAX_PER_PAGE.to_string());
            let fetched: Page<T> = fetch_page(&walk.client, &spec, walk.key).await?;
            // a walk over every entry never skips one: an undecodable entry ends it
            if let Some(first) = fetched.undecoded.first() {
                return Err(first.error::<T>());
            }
            walk.next = fetched
                .pagination
                .and_then(|p| p.next_page)
                .filter(|next| *next > page);
            walk.buffer.extend(fetched.items);
        }
    })
    .boxed()
}
