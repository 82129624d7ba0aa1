//! The simulator's request log: the latest requests in full (a ring of bounded capacity, so a
//! long run does not grow without end), and counters over every request. Kept bodies are
//! held as compact JSON text (a fraction of a parsed value's size) and parsed back when read.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;

use http::Method;
use serde_json::Value;

/// How many requests a simulator keeps in full unless told otherwise
/// ([`Simulator::set_request_log_capacity`](super::Simulator::set_request_log_capacity)).
pub const DEFAULT_REQUEST_LOG_CAPACITY: usize = 10_000;

/// One request the simulator received.
#[derive(Clone, PartialEq)]
pub struct RecordedRequest {
    /// Method.
    pub method: Method,
    /// Path below `/v1`.
    pub path: String,
    /// Decoded query parameters.
    pub query: Vec<(String, String)>,
    /// JSON body, if any.
    pub body: Option<Value>,
    /// Status answered (0 when the connection was dropped or refused).
    pub status: u16,
}

impl fmt::Debug for RecordedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordedRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// A kept request as stored: the body as compact JSON text rather than a parsed value.
#[derive(Debug)]
struct StoredRequest {
    method: Method,
    path: Box<str>,
    query: Box<[(String, String)]>,
    body: Option<Box<str>>,
    status: u16,
}

impl StoredRequest {
    fn new(request: RecordedRequest) -> Self {
        Self {
            method: request.method,
            path: request.path.into_boxed_str(),
            query: request.query.into_boxed_slice(),
            body: request.body.map(|b| b.to_string().into_boxed_str()),
            status: request.status,
        }
    }

    fn recorded(&self) -> RecordedRequest {
        RecordedRequest {
            method: self.method.clone(),
            path: self.path.to_string(),
            query: self.query.to_vec(),
            // the text was written from a `Value`, so it parses back to the same value
            body: self
                .body
                .as_deref()
                .and_then(|text| serde_json::from_str(text).ok()),
            status: self.status,
        }
    }
}

/// The latest `capacity` requests, and counts of all of them by status.
#[derive(Debug)]
pub(crate) struct RequestLog {
    kept: VecDeque<StoredRequest>,
    capacity: usize,
    total: u64,
    by_status: BTreeMap<u16, u64>,
}

impl RequestLog {
    /// An empty log keeping at most `capacity` requests in full.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            kept: VecDeque::new(),
            capacity,
            total: 0,
            by_status: BTreeMap::new(),
        }
    }

    /// Records `request`, forgetting the oldest kept one when full.
    pub(crate) fn push(&mut self, request: RecordedRequest) {
        self.total += 1;
        *self.by_status.entry(request.status).or_default() += 1;
        if self.capacity == 0 {
            return;
        }
        if self.kept.len() >= self.capacity {
            self.kept.pop_front();
        }
        self.kept.push_back(StoredRequest::new(request));
    }

    /// The kept requests, oldest first.
    pub(crate) fn kept(&self) -> Vec<RecordedRequest> {
        self.kept.iter().map(StoredRequest::recorded).collect()
    }

    /// Every request recorded.
    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    /// Every request recorded with `status`.
    pub(crate) fn count_status(&self, status: u16) -> u64 {
        self.by_status.get(&status).copied().unwrap_or(0)
    }

    /// Keeps at most `capacity` requests from now on, forgetting the oldest beyond it.
    pub(crate) fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity;
        while self.kept.len() > capacity {
            self.kept.pop_front();
        }
    }

    /// Forgets every request and resets the counters.
    pub(crate) fn clear(&mut self) {
        self.kept.clear();
        self.total = 0;
        self.by_status.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(n: u16) -> RecordedRequest {
        RecordedRequest {
            method: Method::GET,
            path: format!("/servers/{n}"),
            query: vec![("page".into(), n.to_string())],
            body: Some(serde_json::json!({ "name": format!("web-{n}"), "count": n, "x": 1.5 })),
            status: if n.is_multiple_of(2) { 200 } else { 404 },
        }
    }

    #[test]
    fn keeps_the_latest_and_counts_all() {
        let mut log = RequestLog::new(3);
        for n in 0..10 {
            log.push(request(n));
        }
        let paths: Vec<String> = log.kept().into_iter().map(|r| r.path).collect();
        assert_eq!(paths, ["/servers/7", "/servers/8", "/servers/9"]);
        // a kept request reads back as it was recorded, body included
        assert_eq!(log.kept()[2], request(9));
        assert_eq!(log.total(), 10);
        assert_eq!((log.count_status(200), log.count_status(404)), (5, 5));
        log.set_capacity(1);
        assert_eq!(log.kept().len(), 1);
        log.set_capacity(0);
        log.push(request(10));
        assert!(log.kept().is_empty());
        assert_eq!(log.total(), 11);
        log.clear();
        assert_eq!((log.total(), log.count_status(200)), (0, 0));
    }
}
