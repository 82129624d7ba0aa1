//! The single choke point every request goes through: build, then the shared send loop (gate,
//! send, decode, retry) with Cloudflare's envelope reading and classification.

use api_transport::{Api, Failure, GateError, Rejected};
use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue, USER_AGENT};
use http::{HeaderMap, StatusCode};
use rate_budget::{Budget, ServerReport};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use super::rate_limit::{parse_headers, report};
use super::request::RequestSpec;
use super::retry::{RATE_LIMIT_BLOCK, classify};
use super::{HttpRequest, HttpResponse, TransportError};
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

type Read<R> = std::result::Result<R, Rejected<Error>>;

/// What the send loop needs to know about Cloudflare's API.
struct Cloudflare;

impl Api for Cloudflare {
    type Error = Error;
    const NAME: &'static str = "cloudflare";

    fn report(response: &HttpResponse) -> ServerReport {
        report(&parse_headers(&response.headers))
    }

    fn gate_error(error: GateError) -> Error {
        Error::from_gate(error)
    }

    fn transport_error(error: TransportError) -> Error {
        Error::Transport(error)
    }

    /// Cloudflare documents no wait on its refusal beyond the block: every call is refused
    /// for the five minutes after an overflow.
    fn rate_limit_wait(_response: &HttpResponse) -> std::time::Duration {
        RATE_LIMIT_BLOCK
    }
}

impl Client {
    /// Send `spec` and decode its `result` as `T`.
    pub(crate) async fn send<T: DeserializeOwned>(
        &self,
        spec: &RequestSpec,
    ) -> Result<Response<T>> {
        self.send_with(spec, true, decode::<T>).await
    }

    /// Send `spec` and return the successful response as received (any body, JSON or not).
    pub(crate) async fn send_raw(&self, spec: &RequestSpec) -> Result<HttpResponse> {
        self.send_with(spec, false, decode_raw).await
    }

    /// The wire request for `spec`. A typed call asks for JSON (`Accept: application/json`),
    /// so the shared fault policy treats a 2xx answer that is not JSON as a damaged transfer;
    /// a raw call accepts any body (a zone file, say) unless the answer says it is JSON.
    fn build(&self, spec: &RequestSpec, json: bool) -> Result<HttpRequest> {
        let inner = &self.inner;
        let base = inner.base_url.as_str().trim_end_matches('/');
        let mut url = String::with_capacity(base.len() + spec.path.len() + 32);
        url.push_str(base);
        url.push_str(&spec.path);
        spec.write_query(&mut url);
        let url = url::Url::parse(&url).map_err(|e| Error::invalid("path", e.to_string()))?;
        let mut headers = HeaderMap::with_capacity(4);
        headers.insert(USER_AGENT, inner.user_agent.clone());
        if json {
            headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        }
        if spec.auth {
            let token = inner
                .authorization
                .as_ref()
                .ok_or_else(|| Error::Config("no API token configured".into()))?;
            headers.insert(AUTHORIZATION, token.clone());
        }
        let body = match &spec.body {
            Some(b) => {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                Some(Bytes::from(
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

    async fn send_with<R>(
        &self,
        spec: &RequestSpec,
        json: bool,
        read: fn(HttpResponse) -> Read<R>,
    ) -> Result<R> {
        let request = self.build(spec, json)?;
        let span =
            tracing::debug_span!("cloudflare.request", method = %spec.method, path = %spec.path);
        self.inner
            .pipeline
            .send(&Cloudflare, &request, Budget::DEFAULT, read)
            .instrument(span)
            .await
            .result
    }
}

/// The `Authorization` header for `token`, marked sensitive.
pub(crate) fn bearer(token: &secrecy::SecretString) -> Result<HeaderValue> {
    let mut value =
        HeaderValue::from_str(&format!("Bearer {}", token.expose_secret())).map_err(|_| {
            Error::Config("the API token contains characters not allowed in a header".into())
        })?;
    value.set_sensitive(true);
    Ok(value)
}

fn ray_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("cf-ray")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn rejected_api(api: ApiError, retry_after: Option<std::time::Duration>) -> Rejected<Error> {
    let codes: Vec<u32> = api.errors.iter().map(|e| e.code).collect();
    Rejected {
        failure: classify(api.status, &codes, retry_after),
        error: Error::Api(Box::new(api)),
    }
}

fn fatal(error: Error) -> Rejected<Error> {
    Rejected {
        error,
        failure: Failure::Permanent,
    }
}

fn decode<T: DeserializeOwned>(resp: HttpResponse) -> Read<Response<T>> {
    // The head (success, errors, messages) is read straight from the bytes, ignoring `result`.
    // A 2xx body that is not JSON never gets here: the shared send loop settles it as a
    // damaged transfer first (retried when idempotent), since typed calls ask for JSON.
    let Some(head) = EnvelopeHead::read(&resp.body) else {
        let api = ApiError {
            status: resp.status,
            errors: vec![],
            messages: vec![],
            ray_id: ray_id(&resp.headers),
        };
        return Err(rejected_api(api, parse_headers(&resp.headers).retry_after));
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
        let api = ApiError {
            status,
            errors,
            messages: head.messages,
            ray_id: ray_id(&resp.headers),
        };
        return Err(rejected_api(api, parse_headers(&resp.headers).retry_after));
    }
    let env = Envelope::<T>::read(&resp.body).map_err(|e| {
        fatal(Error::Decode {
            path: e.path().to_string(),
            source: e.into_inner(),
        })
    })?;
    let result = match env.result {
        Some(r) => r,
        None => T::deserialize(serde_json::Value::Null).map_err(|e| {
            fatal(Error::Decode {
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
fn decode_raw(resp: HttpResponse) -> Read<HttpResponse> {
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
        Ok(_) => Err(fatal(Error::Config(
            "the answer was neither a success nor an error envelope".into(),
        ))),
    }
}
