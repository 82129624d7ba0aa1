//! The send loop: gate, send, check, read, decide, repeat.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use rate_budget::{Budget, Gate, GateError, ServerReport, Ticket};

use crate::error::{TransportError, TransportErrorKind};
use crate::fault::{redirect_error, undecodable, wait_reporting};
use crate::retry::{Decision, Failure, RetryPolicy, jitter_unit};
use crate::wire::{HttpRequest, HttpResponse, Transport};

/// What differs between APIs in the send loop, apart from how one answer is read (which each
/// call passes to [`Pipeline::send`]).
pub trait Api {
    /// The client's error type.
    type Error;
    /// A short name for traces, such as `"hetzner"`.
    const NAME: &'static str;
    /// What the response's rate-limit headers say about the budget.
    fn report(response: &HttpResponse) -> ServerReport;
    /// The client's error for a gate that let nothing through.
    fn gate_error(error: GateError) -> Self::Error;
    /// The client's error for a failure in transport.
    fn transport_error(error: TransportError) -> Self::Error;
    /// How long the API's documentation says to wait after a rate-limit refusal that names
    /// no wait itself (no `Retry-After`), read from the refusal's headers where the API
    /// documents one (Cloudflare: its 5-minute block; Hetzner: one token of its bucket).
    fn rate_limit_wait(response: &HttpResponse) -> Duration;
}

/// An answer the API's reader did not accept: the error to return, and how the retry
/// decision should see it.
#[derive(Debug)]
pub struct Rejected<E> {
    /// What the caller gets if no retry follows.
    pub error: E,
    /// How the retry decision sees it.
    pub failure: Failure,
}

/// The outcome of [`Pipeline::send`].
#[derive(Debug)]
pub struct Sent<R, E> {
    /// The read answer, or the last error.
    pub result: Result<R, E>,
    /// Whether an attempt before the last may have been applied by the server (a timeout, a
    /// lost connection or a 5xx that was retried): a 404 on a later DELETE then means that
    /// attempt deleted it.
    pub may_have_been_applied: bool,
}

/// The send loop every request of a client goes through: it takes a slot from the rate gate,
/// sends through the transport, applies the fault policy (see the crate docs), lets the API's
/// reader accept or classify the answer, and asks the [`RetryPolicy`] what to do with a
/// failure.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::sync::Arc;
/// use api_transport::*;
/// use http::HeaderMap;
///
/// // An API whose rate-limit headers say nothing and whose errors are strings.
/// struct Demo;
/// impl Api for Demo {
///     type Error = String;
///     const NAME: &'static str = "demo";
///     fn report(_: &HttpResponse) -> ServerReport { ServerReport::default() }
///     fn gate_error(e: GateError) -> String { e.to_string() }
///     fn transport_error(e: TransportError) -> String { e.to_string() }
///     fn rate_limit_wait(_: &HttpResponse) -> std::time::Duration { std::time::Duration::from_secs(1) }
/// }
/// // A transport that answers 503 once, then 200.
/// #[derive(Debug, Default)]
/// struct Flaky(std::sync::atomic::AtomicU32);
/// #[async_trait::async_trait]
/// impl Transport for Flaky {
///     async fn send(&self, _: HttpRequest) -> Result<HttpResponse, TransportError> {
///         let n = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
///         let status = if n == 0 { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK };
///         Ok(HttpResponse { status, headers: HeaderMap::new(), body: "ok".into() })
///     }
/// }
/// let retry = RetryPolicy::default().initial_backoff(std::time::Duration::from_millis(1));
/// let pipeline = Pipeline::new(Arc::new(Flaky::default()), None, retry);
/// let request = HttpRequest {
///     method: http::Method::GET,
///     url: "http://127.0.0.1:9/v1/things".parse().unwrap(),
///     headers: HeaderMap::new(),
///     body: None,
/// };
/// let sent = pipeline
///     .send(&Demo, &request, Budget::DEFAULT, |r: HttpResponse| {
///         if r.status.is_success() {
///             Ok(r.body)
///         } else {
///             let failure = Failure::Transient { retry_after: None, may_have_been_applied: true };
///             Err(Rejected { error: format!("HTTP {}", r.status), failure })
///         }
///     })
///     .await;
/// assert_eq!(sent.result.unwrap(), "ok");
/// assert!(sent.may_have_been_applied);
/// # }
/// ```
#[derive(Clone)]
pub struct Pipeline {
    transport: Arc<dyn Transport>,
    gate: Option<Gate>,
    retry: RetryPolicy,
    attempt_timeout: Option<Duration>,
}

impl fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pipeline")
            .field("transport", &self.transport)
            .field("gate", &self.gate.is_some())
            .field("retry", &self.retry)
            .field("attempt_timeout", &self.attempt_timeout)
            .finish()
    }
}

impl Pipeline {
    /// A send loop over `transport`, paced by `gate` (`None`: no client-side pacing; a rate
    /// limit refusal then backs off), retrying by `retry`.
    pub fn new(transport: Arc<dyn Transport>, gate: Option<Gate>, retry: RetryPolicy) -> Self {
        Self {
            transport,
            gate,
            retry,
            attempt_timeout: None,
        }
    }

    /// Ends an attempt that has no answer after `timeout` as a [`TransportErrorKind::Timeout`]
    /// (on tokio's clock, so it also bounds in-memory transports under a paused clock).
    #[must_use]
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// The retry policy.
    pub fn retry(&self) -> RetryPolicy {
        self.retry
    }

    /// The rate gate, if pacing is on.
    pub fn gate(&self) -> Option<&Gate> {
        self.gate.as_ref()
    }

    /// The transport.
    pub fn transport(&self) -> &Arc<dyn Transport> {
        &self.transport
    }

    async fn attempt(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let sending = self.transport.send(request.clone());
        match self.attempt_timeout {
            None => sending.await,
            Some(limit) => match tokio::time::timeout(limit, sending).await {
                Ok(outcome) => outcome,
                Err(_) => Err(TransportError::with_source(
                    TransportErrorKind::Timeout,
                    "the attempt timed out",
                )),
            },
        }
    }

    /// Sends `request` against `budget` until `read` accepts an answer or the retry policy
    /// stops. `read` sees every answer (any status) except those the fault policy settles
    /// first: a redirect (3xx) ends the call with [`TransportErrorKind::Redirected`], and a
    /// 2xx whose body is not the JSON the request asked for is an interrupted transfer
    /// ([`TransportErrorKind::UndecodableBody`]). A rate-limit refusal without a wait of its
    /// own waits [`Api::rate_limit_wait`].
    pub async fn send<A, R, F>(
        &self,
        _api: &A,
        request: &HttpRequest,
        budget: Budget,
        read: F,
    ) -> Sent<R, A::Error>
    where
        A: Api,
        F: Fn(HttpResponse) -> Result<R, Rejected<A::Error>>,
    {
        let mut applied = false;
        let mut attempt: u32 = 1;
        let mut waits: u32 = 0;
        let stop = |error, applied| Sent {
            result: Err(error),
            may_have_been_applied: applied,
        };
        loop {
            let ticket: Ticket = match &self.gate {
                Some(gate) => match gate.acquire(budget).await {
                    Ok(ticket) => ticket,
                    Err(e) => return stop(A::gate_error(e), applied),
                },
                None => 0,
            };
            let rejected = match self.attempt(request).await {
                Ok(response) => {
                    if let Some(gate) = &self.gate {
                        gate.observe(budget, ticket, A::report(&response)).await;
                    }
                    if response.status.is_redirection() {
                        Rejected {
                            error: A::transport_error(redirect_error(request, &response)),
                            failure: Failure::Permanent,
                        }
                    } else if let Some(damage) = undecodable(request, &response) {
                        Rejected {
                            error: A::transport_error(damage),
                            failure: Failure::transport(true),
                        }
                    } else {
                        let documented =
                            (!response.status.is_success()).then(|| A::rate_limit_wait(&response));
                        match read(response) {
                            Ok(answer) => {
                                return Sent {
                                    result: Ok(answer),
                                    may_have_been_applied: applied,
                                };
                            }
                            Err(mut rejected) => {
                                if let Failure::RateLimited { retry_after: None } = rejected.failure
                                {
                                    rejected.failure = Failure::RateLimited {
                                        retry_after: documented,
                                    };
                                }
                                rejected
                            }
                        }
                    }
                }
                Err(e) => Rejected {
                    failure: Failure::transport(e.may_have_reached_server()),
                    error: A::transport_error(e),
                },
            };
            let failure = rejected.failure;
            let decision = self
                .retry
                .decide(&request.method, attempt, &failure, jitter_unit());
            tracing::debug!(
                api = A::NAME,
                attempt,
                ?failure,
                ?decision,
                "request failed"
            );
            match decision {
                Decision::Retry(delay) => {
                    applied |= matches!(
                        failure,
                        Failure::Transient {
                            may_have_been_applied: true,
                            ..
                        }
                    );
                    wait_reporting(
                        A::NAME,
                        delay,
                        self.retry.progress_every(),
                        "backing off before the next attempt",
                    )
                    .await;
                    attempt += 1;
                }
                Decision::WaitForBudget(at_least) => {
                    if waits >= self.retry.rate_limit_waits() {
                        return stop(rejected.error, applied);
                    }
                    waits += 1;
                    let wait = match &self.gate {
                        Some(gate) => {
                            // Without a wait from the server, jitter, so that clients sharing
                            // a budget do not stay in lock-step with its refill.
                            let wait = if at_least.is_zero() {
                                Duration::from_secs_f64(jitter_unit())
                            } else {
                                at_least
                            };
                            if gate.max_wait().is_some_and(|max| wait > max) {
                                // The caller chose not to wait this long (fail-fast): say how
                                // long the wait would have been.
                                let refused = GateError::RateLimited { retry_after: wait };
                                return stop(A::gate_error(refused), applied);
                            }
                            let retry_after = match failure {
                                Failure::RateLimited { retry_after } => retry_after,
                                _ => None,
                            };
                            gate.exhausted(budget, retry_after).await;
                            wait
                        }
                        // Nothing else paces the retry: back off as well.
                        None => at_least.max(self.retry.backoff(waits, jitter_unit())),
                    };
                    wait_reporting(
                        A::NAME,
                        wait,
                        self.retry.progress_every(),
                        "rate limited by the API; waiting for the budget",
                    )
                    .await;
                }
                Decision::Stop => return stop(rejected.error, applied),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use http::header::ACCEPT;
    use http::{HeaderMap, Method};

    use super::*;
    use crate::wire::StatusCode;

    /// An API whose errors are the transport errors themselves, and whose refusals wait 300 s.
    struct Blocky;
    impl Api for Blocky {
        type Error = String;
        const NAME: &'static str = "blocky";
        fn report(_: &HttpResponse) -> ServerReport {
            ServerReport::default()
        }
        fn gate_error(e: GateError) -> String {
            e.to_string()
        }
        fn transport_error(e: TransportError) -> String {
            e.to_string()
        }
        fn rate_limit_wait(_: &HttpResponse) -> Duration {
            Duration::from_secs(300)
        }
    }

    /// Answers from a script, one entry per attempt (the last repeats).
    #[derive(Debug)]
    struct Script(Vec<(u16, &'static str, &'static str)>, AtomicU32);
    #[async_trait::async_trait]
    impl Transport for Script {
        async fn send(&self, _: HttpRequest) -> Result<HttpResponse, TransportError> {
            let n = self.1.fetch_add(1, Ordering::Relaxed) as usize;
            let (status, header, body) = self.0[n.min(self.0.len() - 1)];
            let mut headers = HeaderMap::new();
            if let Some((name, value)) = header.split_once(": ") {
                headers.insert(
                    http::HeaderName::from_static(name),
                    http::HeaderValue::from_static(value),
                );
            }
            Ok(HttpResponse {
                status: StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
                headers,
                body: bytes::Bytes::from_static(body.as_bytes()),
            })
        }
    }

    fn request(method: Method) -> HttpRequest {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, http::HeaderValue::from_static("application/json"));
        HttpRequest {
            method,
            url: "https://api.example.invalid/v1/things"
                .parse()
                .unwrap_or_else(|_| unreachable!()),
            headers,
            body: None,
        }
    }

    fn pipeline(script: Vec<(u16, &'static str, &'static str)>) -> (Pipeline, Arc<Script>) {
        let transport = Arc::new(Script(script, AtomicU32::new(0)));
        let retry = RetryPolicy::default().initial_backoff(Duration::from_millis(10));
        (Pipeline::new(transport.clone(), None, retry), transport)
    }

    fn read(response: HttpResponse) -> Result<bytes::Bytes, Rejected<String>> {
        match response.status.as_u16() {
            200..=299 => Ok(response.body),
            429 => Err(Rejected {
                error: "429".into(),
                failure: Failure::RateLimited { retry_after: None },
            }),
            status => Err(Rejected {
                error: format!("HTTP {status}"),
                failure: Failure::Permanent,
            }),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn damaged_success_bodies_are_retried_for_reads_and_not_replayed_for_posts() {
        let damaged = vec![
            (200, "content-type: text/html", "<html>proxy error</html>"),
            (200, "", "{\"things\": [1, 2"),
            (200, "", ""),
            (200, "", "{\"things\": []}"),
        ];
        let (get, transport) = pipeline(damaged.clone());
        let sent = get
            .send(&Blocky, &request(Method::GET), Budget::DEFAULT, read)
            .await;
        assert_eq!(sent.result.as_deref(), Ok(&b"{\"things\": []}"[..]));
        assert!(sent.may_have_been_applied);
        assert_eq!(transport.1.load(Ordering::Relaxed), 4);

        let (post, transport) = pipeline(damaged);
        let sent = post
            .send(&Blocky, &request(Method::POST), Budget::DEFAULT, read)
            .await;
        let error = sent.result.unwrap_err();
        assert!(error.contains("damaged in transfer"), "{error}");
        assert_eq!(
            transport.1.load(Ordering::Relaxed),
            1,
            "a POST is not replayed"
        );

        // A 204, and a body the request did not ask to be JSON, are not damage.
        let (plain, _) = pipeline(vec![(204, "", "")]);
        let sent = plain
            .send(&Blocky, &request(Method::DELETE), Budget::DEFAULT, read)
            .await;
        assert!(sent.result.is_ok());
        let mut text = request(Method::GET);
        text.headers.remove(ACCEPT);
        let (zone_file, _) = pipeline(vec![(200, "content-type: text/plain", "$ORIGIN x.")]);
        let sent = zone_file.send(&Blocky, &text, Budget::DEFAULT, read).await;
        assert!(sent.result.is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn a_refusal_without_a_wait_waits_the_documented_time_and_reports_progress() {
        let (log, _guard) = crate::fault_server::EventLog::capture();

        let (pipeline, transport) = pipeline(vec![(429, "", ""), (200, "", "{}")]);
        let start = tokio::time::Instant::now();
        let sent = pipeline
            .send(&Blocky, &request(Method::POST), Budget::DEFAULT, read)
            .await;
        assert!(sent.result.is_ok());
        assert!(
            start.elapsed() >= Duration::from_secs(300),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(transport.1.load(Ordering::Relaxed), 2);
        let lines = log.lines();
        let log = lines.join("\n");
        let events: Vec<&String> = lines.iter().filter(|l| l.contains("s remain")).collect();
        assert_eq!(
            events.len(),
            29,
            "one every 10 s while more than 10 s remain:\n{log}"
        );
        assert!(events[0].contains("300s remain"), "{log}");
        assert!(events[1].contains("290s remain"), "{log}");
        assert!(events[0].contains("blocky"), "{log}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_long_wait_at_the_gate_reports_progress_too() {
        let (log, _guard) = crate::fault_server::EventLog::capture();
        let store = Arc::new(rate_budget::LocalTokenBucket::new(
            rate_budget::TokenBucket::new(1, Duration::from_secs(60)),
        ));
        let transport = Arc::new(Script(vec![(200, "", "{}")], AtomicU32::new(0)));
        let pipeline = Pipeline::new(
            transport,
            Some(Gate::new(store, None)),
            RetryPolicy::default(),
        );
        let start = tokio::time::Instant::now();
        for _ in 0..2 {
            let sent = pipeline
                .send(&Blocky, &request(Method::GET), Budget::DEFAULT, read)
                .await;
            assert!(sent.result.is_ok());
        }
        assert_eq!(start.elapsed(), Duration::from_secs(60));
        let lines = log.lines();
        let gate: Vec<&String> = lines
            .iter()
            .filter(|l| l.contains("rate gate") && l.contains("s remain"))
            .collect();
        assert_eq!(gate.len(), 5, "60, 50, 40, 30 and 20 s remain:\n{lines:#?}");
        assert!(gate[0].contains("60s remain"), "{lines:#?}");
    }

    #[tokio::test(start_paused = true)]
    async fn fail_fast_gets_the_documented_wait_at_once() {
        let store = Arc::new(rate_budget::Unlimited);
        let transport = Arc::new(Script(vec![(429, "", "")], AtomicU32::new(0)));
        let pipeline = Pipeline::new(
            transport.clone(),
            Some(Gate::new(store, Some(Duration::ZERO))),
            RetryPolicy::default(),
        );
        let start = tokio::time::Instant::now();
        let sent = pipeline
            .send(&Blocky, &request(Method::GET), Budget::DEFAULT, read)
            .await;
        let error = sent.result.unwrap_err();
        assert!(error.contains("300s"), "{error}");
        assert_eq!(start.elapsed(), Duration::ZERO);
        assert_eq!(transport.1.load(Ordering::Relaxed), 1);
    }
}
