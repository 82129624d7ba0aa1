//! What the simulator reads from a request's URL (path and query) and writes into a
//! response's headers (`RateLimit-*`, `X-Correlation-Id`, `Link`).

use http::{HeaderMap, HeaderValue};
use serde_json::Value;

use super::World;
use super::state::Query;
use crate::request::decode;

/// `RateLimit-Limit`, `-Remaining` and `-Reset` of the bucket serving `path`, and a
/// correlation id.
pub(super) fn rate_headers(world: &World, path: &str, limited: bool) -> HeaderMap {
    let bucket = world.bucket_ref(path);
    let remaining = if limited {
        0.0
    } else {
        bucket.tokens.floor().max(0.0)
    };
    let to_full = ((bucket.capacity - bucket.tokens) / bucket.per_second).max(0.0);
    #[allow(clippy::cast_possible_truncation)]
    let reset = world.state.now_wall().timestamp() + to_full.ceil() as i64;
    let mut headers = HeaderMap::new();
    let mut put = |name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    };
    put("ratelimit-limit", format!("{}", bucket.capacity));
    put("ratelimit-remaining", format!("{remaining}"));
    put("ratelimit-reset", reset.to_string());
    put("x-correlation-id", format!("sim-{:x}", world.log.total()));
    headers
}

/// The RFC 8288 `Link` header of a paginated list, as the API sends it: `prev` and `next`
/// when they exist and always `last`, each the request's URL with its `page` replaced.
pub(super) fn link_header(url: &url::Url, body: &Value) -> Option<HeaderValue> {
    let pagination = body.get("meta")?.get("pagination")?;
    let page_url = |page: u64| {
        let mut link = url.clone();
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| k != "page")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        link.query_pairs_mut()
            .clear()
            .extend_pairs(kept)
            .append_pair("page", &page.to_string());
        link
    };
    let links: Vec<String> = [
        ("prev", pagination.get("previous_page")),
        ("next", pagination.get("next_page")),
        ("last", pagination.get("last_page")),
    ]
    .into_iter()
    .filter_map(|(rel, page)| Some((rel, page?.as_u64()?)))
    .map(|(rel, page)| format!("<{}>; rel=\"{rel}\"", page_url(page)))
    .collect();
    HeaderValue::from_str(&links.join(", ")).ok()
}

pub(super) fn split_url(url: &str) -> (String, Query) {
    let after_base = url.split_once("/v1").map_or(url, |(_, rest)| rest);
    let (path, query) = after_base.split_once('?').unwrap_or((after_base, ""));
    let pairs = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    (path.to_owned(), Query(pairs))
}
