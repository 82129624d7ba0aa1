//! The single choke point every request goes through: gate, build, send, decode, retry.

use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, USER_AGENT};
use http::{HeaderMap, StatusCode};
use rate_budget::{Budget, GateError, Ticket};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use tokio::time::{sleep, timeout};
use tracing::Instrument;

use super::rate_limit::{parse_headers, report};
use super::request::RequestSpec;
use super::retry::{Decision, Outcome, backoff, classify, jitter_unit};
use super::{HttpRequest, HttpResponse, TransportError, TransportErrorKind};
use crate::client::Client;
use crate::envelope::{Envelope, EnvelopeHead};
use crate::error::{ApiError, ApiMessage, Error, Result};
use crate::pagination::ResultInfo;

/// A decoded successful response: the envelope's `result`, its `result_info` and `messages`.
#[derive(Debug, Clone)]
pub struct Response<T> {
    /// The envelope's `result`.
    pub result: T,
    /// The envelope's `result_info` (list endpoints).
    pub info: Option<ResultInfo>,
    /// The envelope's `messages` (warnings the API attached to a success).
    pub messages: Vec<ApiMessage>,
}

type Decoder<R> = fn(HttpResponse) -> Result<R, Failure>;

enum Failure {
    Api(Box<ApiError>, Option<std::time::Duration>),
    Transport(TransportError),
    Fatal(Error),
}

impl Client {
    /// Send `spec` and decode its `result` as `T`.
    pub(crate) async fn send<T: DeserializeOwned>(
        &self,
        spec: &RequestSpec,
    ) -> Result<Response<T>> {
        let span =
            tracing::debug_span!("cloudflare.request", method = %spec.method, path = %spec.path);
        self.send_with(spec, decode::<T>).instrument(span).await
    }

    /// Send `spec` and return the successful response as received (any body, JSON or not).
    pub(crate) async fn send_raw(&self, spec: &RequestSpec) -> Result<HttpResponse> {
        let span =
            tracing::debug_span!("cloudflare.request", method = %spec.method, path = %spec.path);
        self.send_with(spec, decode_raw).instrument(span).await
    }

    fn build(&self, spec: &RequestSpec) -> Result<HttpRequest> {
        let inner = &self.inner;
        let base = inner.base_url.as_str().trim_end_matches('/');
        let mut url = url::Url::parse(&format!("{base}{}", spec.path))
            .map_err(|e| Error::invalid("path", e.to_string()))?;
        if !spec.query.is_empty() {
            url.query_pairs_mut().extend_pairs(spec.query.iter());
        }
        let mut headers = HeaderMap::new();
        headers.insert(
            USER_AGENT,
            HeaderValue::from_str(&inner.user_agent)
                .map_err(|_| Error::Config("user agent is not a valid header".into()))?,
        );
        if spec.auth {
            let token = inner
                .token
                .as_ref()
                .ok_or_else(|| Error::Config("no API token configured".into()))?;
            let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
                .map_err(|_| {
                    Error::Config(
                        "the API token contains characters not allowed in a header".into(),
                    )
                })?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        let body = match &spec.body {
            Some(b) => {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                Some(bytes::Bytes::from(
                    serde_json::to_vec(b).map_err(|e| Error::invalid("body", e.to_string()))?,
                ))
            }
            None => None,
        };
        Ok(HttpRequest {
            method: spec.method.clone(),
            url,
            headers,
            body,
        })
    }

    async fn send_with<R>(&self, spec: &RequestSpec, decode: Decoder<R>) -> Result<R> {
        let inner = &self.inner;
        let request = self.build(spec)?;
        let cfg = inner.retry;
        let mut attempt: u32 = 0;
        let mut blocks: u32 = 0;
        loop {
            attempt += 1;
            let ticket = inner
                .gate
                .acquire(Budget::DEFAULT)
                .await
                .map_err(|e| match e {
                    GateError::RateLimited { retry_after } => Error::RateLimited { retry_after },
                    GateError::Store(store) => Error::RateBudget(store),
                })?;
            let sent = timeout(inner.request_timeout, inner.transport.send(request.clone())).await;
            let outcome = match sent {
                Err(_) => Err(TransportError::new(
                    TransportErrorKind::Timeout,
                    "attempt timed out",
                )),
                Ok(r) => r,
            };
            let failure = match outcome {
                Ok(resp) => {
                    self.observe(&resp, ticket).await;
                    match decode(resp) {
                        Ok(ok) => return Ok(ok),
                        Err(f) => f,
                    }
                }
                Err(te) => Failure::Transport(te),
            };
            let (decision, error) = match failure {
                Failure::Fatal(e) => return Err(e),
                Failure::Api(api, retry_after) => {
                    let codes: Vec<u32> = api.errors.iter().map(|e| e.code).collect();
                    let d = classify(
                        &spec.method,
                        Outcome::Answer {
                            status: api.status,
                            codes: &codes,
                            retry_after,
                        },
                        &cfg,
                    );
                    (d, Error::Api(api))
                }
                Failure::Transport(te) => {
                    let d = classify(&spec.method, Outcome::Transport(te.kind), &cfg);
                    (
                        d,
                        Error::Transport {
                            kind: te.kind,
                            message: te.message,
                        },
                    )
                }
            };
            match decision {
                Decision::Stop | Decision::Ambiguous => return Err(error),
                Decision::RateLimited { block } => {
                    blocks += 1;
                    if block > cfg.max_rate_limit_wait || blocks > cfg.max_attempts {
                        return Err(error);
                    }
                    inner.gate.exhausted(Budget::DEFAULT, Some(block)).await;
                    tracing::warn!(
                        block_s = block.as_secs(),
                        "rate limited by the API; waiting out the block"
                    );
                    attempt -= 1;
                    sleep(block).await;
                }
                Decision::Backoff { min_wait } => {
                    if attempt >= cfg.max_attempts {
                        return Err(error);
                    }
                    let wait =
                        backoff(&cfg, attempt - 1, jitter_unit()).max(min_wait.unwrap_or_default());
                    tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, error = %error, "retrying");
                    sleep(wait).await;
                }
            }
        }
    }

    /// Re-syncs the gate from the response's rate-limit headers.
    async fn observe(&self, resp: &HttpResponse, ticket: Ticket) {
        let budget = parse_headers(&resp.headers);
        self.inner
            .gate
            .observe(Budget::DEFAULT, ticket, report(&budget))
            .await;
    }
}

fn ray_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("cf-ray")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn decode<T: DeserializeOwned>(resp: HttpResponse) -> Result<Response<T>, Failure> {
    let retry_after = parse_headers(&resp.headers).retry_after;
    let Some(head) = EnvelopeHead::read(&resp.body) else {
        if resp.status.is_success() {
            // A 2xx body that is not JSON at all: the transfer was damaged; treat it like a dropped
            // connection (the server may have acted).
            return Err(Failure::Transport(TransportError::new(
                TransportErrorKind::Dropped,
                "malformed response body",
            )));
        }
        return Err(Failure::Api(
            Box::new(ApiError {
                status: resp.status,
                errors: vec![],
                messages: vec![],
                ray_id: ray_id(&resp.headers),
            }),
            retry_after,
        ));
    };
    if !resp.status.is_success() || head.success == Some(false) {
        let status = if resp.status.is_success() {
            StatusCode::BAD_REQUEST
        } else {
            resp.status
        };
        let errors = if head.errors.is_empty() && head.success == Some(false) {
            vec![ApiMessage::new(0, "success: false without errors")]
        } else {
            head.errors
        };
        return Err(Failure::Api(
            Box::new(ApiError {
                status,
                errors,
                messages: head.messages,
                ray_id: ray_id(&resp.headers),
            }),
            retry_after,
        ));
    }
    let env = Envelope::<T>::read(&resp.body).map_err(|e| {
        Failure::Fatal(Error::Decode {
            path: e.path().to_string(),
            source: e.into_inner(),
        })
    })?;
    let result = match env.result {
        Some(r) => r,
        None => T::deserialize(serde_json::Value::Null).map_err(|e| {
            Failure::Fatal(Error::Decode {
                path: "result".into(),
                source: e,
            })
        })?,
    };
    Ok(Response {
        result,
        info: env.result_info,
        messages: env.messages,
    })
}

/// A 2xx answer is returned as is, unless it is a JSON envelope saying `success: false`;
/// anything else is decoded as an API error exactly like a typed call.
fn decode_raw(resp: HttpResponse) -> Result<HttpResponse, Failure> {
    let failed = resp.status.is_success()
        && serde_json::from_slice::<EnvelopeHead>(&resp.body)
            .is_ok_and(|h| h.success == Some(false));
    if resp.status.is_success() && !failed {
        return Ok(resp);
    }
    // `decode` reads the failure exactly as for a typed call; it cannot succeed here (the
    // answer is a non-2xx or says `success: false`).
    match decode::<serde::de::IgnoredAny>(resp) {
        Err(f) => Err(f),
        Ok(_) => Err(Failure::Fatal(Error::Config(
            "the answer was neither a success nor an error envelope".into(),
        ))),
    }
}
