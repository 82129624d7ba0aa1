//! The client, its builder, and the one choke point every request goes through.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use http::{HeaderMap, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use tracing::Instrument;

use api_transport::{Api, GateError, Pipeline, Rejected};

use crate::error::{ApiError, Error, Result};
use crate::rate_limit::{RateGate, RateLimitPolicy, ServerReport};
use crate::request::RequestSpec;
use crate::resources::actions::PollPolicy;
use crate::retry::{RetryPolicy, classify};
use crate::transport::{HttpRequest, HttpResponse, ReqwestTransport, Transport, TransportError};

/// The public Hetzner Cloud API endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://api.hetzner.cloud/v1";

/// A Hetzner Cloud API client. Cheap to clone (an `Arc` inside); clones share the rate gate.
///
/// ```no_run
/// # async fn run() -> hetzner_client::Result<()> {
/// let client = hetzner_client::Client::from_env()?; // HCLOUD_TOKEN, optional HCLOUD_ENDPOINT
/// let first = client.servers().list(hetzner_client::resources::ListParams::default()).await?;
/// println!("{} servers on the first page", first.items.len());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    endpoint: String,
    /// `Authorization` (marked sensitive), `User-Agent` and `Accept`: built once.
    headers: HeaderMap,
    gate: RateGate,
    pipeline: Pipeline,
    retry: RetryPolicy,
    poll: PollPolicy,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.inner.endpoint)
            .field("token", &"[redacted]")
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}

/// Configures a [`Client`].
///
/// ```
/// use std::time::Duration;
/// use hetzner_client::{Client, RateLimitPolicy, RetryPolicy};
/// let client = Client::builder()
///     .token("not-a-real-token")
///     .endpoint("http://127.0.0.1:9/v1")
///     .application("fleetctl", Some("1.2.0"))
///     .request_timeout(Duration::from_secs(20))
///     .rate_limit(RateLimitPolicy::default().fail_fast(true))
///     .retry(RetryPolicy::default().max_attempts(3))
///     .build()
///     .unwrap();
/// assert!(!format!("{client:?}").contains("not-a-real-token"));
/// ```
pub struct ClientBuilder {
    token: Option<SecretString>,
    endpoint: String,
    application: Option<String>,
    connect_timeout: Duration,
    request_timeout: Duration,
    rate_limit: RateLimitPolicy,
    retry: RetryPolicy,
    poll: PollPolicy,
    transport: Option<Arc<dyn Transport>>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("endpoint", &self.endpoint)
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            token: None,
            endpoint: DEFAULT_ENDPOINT.to_owned(),
            application: None,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            rate_limit: RateLimitPolicy::default(),
            retry: RetryPolicy::default(),
            poll: PollPolicy::default(),
            transport: None,
        }
    }
}

impl ClientBuilder {
    /// The API token (bound to one project).
    #[must_use]
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(SecretString::from(token.into()));
        self
    }

    /// The API token, already wrapped as a secret.
    #[must_use]
    pub fn secret_token(mut self, token: SecretString) -> Self {
        self.token = Some(token);
        self
    }

    /// Base URL (default [`DEFAULT_ENDPOINT`]); for proxies and tests. Checked in
    /// [`ClientBuilder::build`]: `https://`, or plain `http://` only to a loopback address
    /// (`127.0.0.0/8`, `::1`, `localhost`). The same name as cloudflare-client's builder uses.
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint = url.into();
        self
    }

    /// The same as [`ClientBuilder::base_url`] (the name `HCLOUD_ENDPOINT` uses).
    #[must_use]
    pub fn endpoint(self, url: impl Into<String>) -> Self {
        self.base_url(url)
    }

    /// Names the application in the `User-Agent` (`name/version hetzner-client/x.y.z`).
    #[must_use]
    pub fn application(mut self, name: &str, version: Option<&str>) -> Self {
        self.application = Some(match version {
            Some(v) => format!("{name}/{v}"),
            None => name.to_owned(),
        });
        self
    }

    /// Connect timeout of the default transport.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Whole-request timeout of the default transport.
    #[must_use]
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Rate gate settings.
    #[must_use]
    pub fn rate_limit(mut self, policy: RateLimitPolicy) -> Self {
        self.rate_limit = policy;
        self
    }

    /// Retry settings.
    #[must_use]
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Action polling settings used by [`crate::resources::actions::Actions::wait_for`].
    #[must_use]
    pub fn poll(mut self, policy: PollPolicy) -> Self {
        self.poll = policy;
        self
    }

    /// Replaces the HTTP transport (for example the simulator's).
    #[must_use]
    pub fn transport(mut self, transport: Arc<dyn Transport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// Checks the settings and builds the client.
    ///
    /// # Errors
    /// [`Error::Config`] when the token is missing, empty or not a valid header value;
    /// [`Error::Invalid`] naming `base_url` when the base URL is not `https://` (or `http://`
    /// to a loopback address, see [`api_transport::check_base_url`]). The token is never
    /// part of the message.
    pub fn build(self) -> Result<Client> {
        let token = self
            .token
            .ok_or_else(|| Error::Config("no API token given".into()))?;
        let token_text = token.expose_secret().trim();
        if token_text.is_empty() {
            return Err(Error::Config("the API token is empty".into()));
        }
        let mut authorization = HeaderValue::from_str(&format!("Bearer {token_text}"))
            .map_err(|_| Error::Config("the API token contains invalid characters".into()))?;
        authorization.set_sensitive(true);

        api_transport::check_base_url(&self.endpoint)
            .map_err(|e| Error::invalid("base_url", e.to_string()))?;
        let endpoint = self.endpoint.trim_end_matches('/').to_owned();

        let library = concat!("hetzner-client/", env!("CARGO_PKG_VERSION"));
        let agent = match &self.application {
            Some(app) => format!("{app} {library}"),
            None => library.to_owned(),
        };
        let user_agent = HeaderValue::from_str(&agent).map_err(|_| {
            Error::Config("the application name is not a valid header value".into())
        })?;

        let transport: Arc<dyn Transport> = match self.transport {
            Some(t) => t,
            None => Arc::new(
                ReqwestTransport::with_timeouts(self.connect_timeout, self.request_timeout)
                    .map_err(|_| Error::Config("could not build the HTTP client".into()))?,
            ),
        };
        let mut headers = HeaderMap::with_capacity(4);
        headers.insert(AUTHORIZATION, authorization);
        headers.insert(USER_AGENT, user_agent);
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let gate = RateGate::new(&self.rate_limit);
        let pipeline = Pipeline::new(transport, gate.gate().cloned(), self.retry);
        Ok(Client {
            inner: Arc::new(Inner {
                endpoint,
                headers,
                gate,
                pipeline,
                retry: self.retry,
                poll: self.poll,
            }),
        })
    }
}

impl Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Builds a client from `HCLOUD_TOKEN` and, if set, `HCLOUD_ENDPOINT` (the names the
    /// official `hcloud` CLI uses).
    ///
    /// # Errors
    /// [`Error::Config`] when `HCLOUD_TOKEN` is unset or invalid.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub(crate) fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let token = lookup("HCLOUD_TOKEN")
            .ok_or_else(|| Error::Config("HCLOUD_TOKEN is not set".into()))?;
        let mut builder = Self::builder().token(token);
        if let Some(endpoint) = lookup("HCLOUD_ENDPOINT").filter(|e| !e.is_empty()) {
            builder = builder.endpoint(endpoint);
        }
        builder.build()
    }

    /// The base URL requests go to (without a trailing `/`).
    pub fn base_url(&self) -> &str {
        &self.inner.endpoint
    }

    /// The same as [`Client::base_url`].
    pub fn endpoint(&self) -> &str {
        self.base_url()
    }

    pub(crate) fn retry_policy(&self) -> RetryPolicy {
        self.inner.retry
    }

    pub(crate) fn poll_policy(&self) -> PollPolicy {
        self.inner.poll
    }

    /// Sends `spec` through the rate gate and the retry loop; returns the successful (2xx)
    /// response. This is the one place requests leave the client.
    ///
    /// # Errors
    /// The API's error, a transport error, or [`Error::RateLimited`] in fail-fast mode.
    pub async fn execute(&self, spec: &RequestSpec) -> Result<HttpResponse> {
        self.execute_tracked(spec).await.0
    }

    /// Sends a DELETE whose resource has no body to return; a 404 that follows an attempt
    /// which may have been applied (timeout, lost connection, 5xx) counts as success, since
    /// that earlier attempt deleted it.
    pub(crate) async fn delete_idempotent(&self, spec: &RequestSpec) -> Result<()> {
        match self.execute_tracked(spec).await {
            (Ok(_), _) => Ok(()),
            (Err(e), true) if e.is_not_found() => Ok(()),
            (Err(e), _) => Err(e),
        }
    }

    /// [`Client::execute`], also saying whether an earlier attempt may have been applied.
    async fn execute_tracked(&self, spec: &RequestSpec) -> (Result<HttpResponse>, bool) {
        let inner = &*self.inner;
        let request = match self.http_request(spec) {
            Ok(request) => request,
            Err(e) => return (Err(e), false),
        };
        let budget = inner.gate.budget_for(&spec.path);
        let span =
            tracing::debug_span!("hetzner.request", method = %spec.method, path = %spec.path);
        let sent = inner
            .pipeline
            .send(&Hetzner, &request, budget, read_answer)
            .instrument(span)
            .await;
        (sent.result, sent.may_have_been_applied)
    }

    /// The wire request for `spec`: URL below the endpoint, the fixed headers, the JSON body.
    fn http_request(&self, spec: &RequestSpec) -> Result<HttpRequest> {
        let inner = &*self.inner;
        let mut url = String::with_capacity(inner.endpoint.len() + spec.path.len() + 32);
        url.push_str(&inner.endpoint);
        url.push_str(&spec.path);
        spec.write_query(&mut url);
        let url = url::Url::parse(&url).map_err(|e| Error::invalid("path", e.to_string()))?;
        let mut headers = inner.headers.clone();
        let body = match &spec.body {
            Some(value) => {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                Some(Bytes::from(
                    serde_json::to_vec(value).map_err(|e| Error::invalid("body", e.to_string()))?,
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

    /// Sends `spec` and decodes the JSON response into `T`.
    pub(crate) async fn send_json<T: DeserializeOwned>(&self, spec: &RequestSpec) -> Result<T> {
        let response = self.execute(spec).await?;
        decode(&response.body)
    }
}

/// What the send loop needs to know about Hetzner's API.
struct Hetzner;

impl Api for Hetzner {
    type Error = Error;
    const NAME: &'static str = "hetzner";

    fn report(response: &HttpResponse) -> ServerReport {
        report(response)
    }

    fn gate_error(error: GateError) -> Error {
        Error::from_gate(error)
    }

    fn transport_error(error: TransportError) -> Error {
        Error::Transport(error)
    }

    fn rate_limit_wait(response: &HttpResponse) -> Duration {
        let number = |name: &str| {
            response
                .header(name)
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        crate::retry::rate_limit_wait(
            number("ratelimit-limit"),
            number("ratelimit-remaining"),
            number("ratelimit-reset"),
            now,
        )
    }
}

/// A 2xx answer is the result; anything else is the API's error, classified for retrying.
fn read_answer(response: HttpResponse) -> std::result::Result<HttpResponse, Rejected<Error>> {
    if response.status.is_success() {
        return Ok(response);
    }
    let retry_after = response
        .header("retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let error = error_from(&response);
    let failure = classify(
        response.status,
        error.api().map(|api| api.code.as_str()),
        retry_after,
    );
    Err(Rejected { error, failure })
}

/// What the `RateLimit-*` headers say about the project's budget.
fn report(response: &HttpResponse) -> ServerReport {
    let number = |name: &str| {
        response
            .header(name)
            .and_then(|v| v.trim().parse::<u32>().ok())
    };
    ServerReport {
        limit: number("ratelimit-limit"),
        remaining: number("ratelimit-remaining").map(u64::from),
        reset: None,
    }
}

fn error_from(response: &HttpResponse) -> Error {
    let request_id = response.header("x-correlation-id").map(str::to_owned);
    match ApiError::from_body(response.status, request_id.clone(), &response.body) {
        Some(api) => Error::Api(Box::new(api)),
        None => Error::Status {
            status: response.status,
            request_id,
        },
    }
}

/// Decodes JSON, naming the path of the first value that does not fit.
pub(crate) fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|e| Error::Decode {
        path: e.path().to_string(),
        source: e.into_inner(),
    })
}

/// Decodes a JSON value, naming the path (prefixed with `prefix`) of the first misfit.
pub(crate) fn decode_value<T: DeserializeOwned>(
    value: serde_json::Value,
    prefix: &str,
) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| Error::Decode {
        path: format!("{prefix}.{}", e.path()),
        source: e.into_inner(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_never_printed() {
        let client = Client::builder()
            .token("s3cr3t-token-value")
            .build()
            .unwrap();
        assert!(!format!("{client:?}").contains("s3cr3t"));
        let builder = Client::builder().token("s3cr3t-token-value");
        assert!(!format!("{builder:?}").contains("s3cr3t"));
        assert!(client.inner.headers[AUTHORIZATION].is_sensitive());
    }

    #[test]
    fn bad_tokens_and_endpoints_are_config_errors_without_the_token() {
        let err = Client::builder()
            .token("bad\ntoken-xyz")
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)));
        assert!(!err.to_string().contains("token-xyz"));
        assert!(Client::builder().build().is_err());
        assert!(Client::builder().token("   ").build().is_err());
        assert!(
            Client::builder()
                .token("t")
                .endpoint("ftp://x")
                .build()
                .is_err()
        );
    }

    #[test]
    fn plain_http_is_refused_except_on_loopback() {
        let err = Client::builder()
            .token("t")
            .base_url("http://api.hetzner.cloud/v1")
            .build()
            .unwrap_err();
        assert!(
            matches!(&err, Error::Invalid { field, .. } if field == "base_url"),
            "{err:?}"
        );
        assert!(err.to_string().contains("api.hetzner.cloud"), "{err}");
        for loopback in [
            "http://127.0.0.1:9/v1",
            "http://[::1]:9/v1",
            "http://localhost:9/v1",
        ] {
            assert!(
                Client::builder()
                    .token("t")
                    .base_url(loopback)
                    .build()
                    .is_ok(),
                "{loopback}"
            );
        }
    }

    #[test]
    fn from_env_reads_the_hcloud_names() {
        let client = Client::from_lookup(|name| match name {
            "HCLOUD_TOKEN" => Some("abc".into()),
            "HCLOUD_ENDPOINT" => Some("http://localhost:1234/v1/".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(client.endpoint(), "http://localhost:1234/v1");
        let default =
            Client::from_lookup(|name| (name == "HCLOUD_TOKEN").then(|| "abc".into())).unwrap();
        assert_eq!(default.endpoint(), DEFAULT_ENDPOINT);
        assert!(Client::from_lookup(|_| None).is_err());
    }
}
