//! Fault injection.

use std::sync::Mutex;
use std::time::Duration;

use http::Method;

use crate::transport::HttpRequest;

/// A fault the simulator can inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer with this 5xx status without processing the request.
    ServerError(u16),
    /// Answer 429 / code 971 with this `Retry-After`, without processing (no block).
    RateLimited {
        /// The `Retry-After` sent.
        retry_after: Duration,
    },
    /// Process the request, then answer after this delay (a client timeout makes the outcome
    /// ambiguous).
    Slow(Duration),
    /// Process the request, then drop the connection before answering.
    DropConnection,
    /// Drop the connection before processing the request.
    DropBeforeProcessing,
    /// Process the request, then answer 200 with a body that is not JSON.
    MalformedBody,
}

/// Which requests a fault hits, and how many times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    /// The fault.
    pub fault: Fault,
    /// Only this method (any when `None`).
    pub method: Option<Method>,
    /// Only paths containing this (any when `None`).
    pub path_contains: Option<String>,
    /// How many matching requests it hits.
    pub times: u32,
}

impl FaultRule {
    /// A fault hitting the next request, whatever it is.
    pub fn new(fault: Fault) -> Self {
        Self {
            fault,
            method: None,
            path_contains: None,
            times: 1,
        }
    }

    /// Only requests with this method.
    pub fn method(mut self, method: Method) -> Self {
        self.method = Some(method);
        self
    }

    /// Only requests whose path contains `s`.
    pub fn path_contains(mut self, s: impl Into<String>) -> Self {
        self.path_contains = Some(s.into());
        self
    }

    /// Hit this many matching requests.
    pub fn times(mut self, n: u32) -> Self {
        self.times = n;
        self
    }

    fn matches(&self, req: &HttpRequest) -> bool {
        self.times > 0
            && self.method.as_ref().is_none_or(|m| *m == req.method)
            && self
                .path_contains
                .as_deref()
                .is_none_or(|p| req.url.path().contains(p))
    }
}

/// Take the first matching fault (decrementing its count).
pub(super) fn take(rules: &Mutex<Vec<FaultRule>>, req: &HttpRequest) -> Option<Fault> {
    let mut rules = rules
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let rule = rules.iter_mut().find(|r| r.matches(req))?;
    rule.times -= 1;
    let fault = rule.fault;
    rules.retain(|r| r.times > 0);
    Some(fault)
}
