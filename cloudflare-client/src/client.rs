//! [`Client`] and [`ClientBuilder`].

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use serde::de::DeserializeOwned;
use url::Url;

use crate::error::{Error, Result};
use crate::resources::bot_management::BotManagementApi;
use crate::resources::cache::CacheApi;
use crate::resources::dns::DnsApi;
use crate::resources::ips::IpsApi;
use crate::resources::lists::ListsApi;
use crate::resources::origin_ca::OriginCaApi;
use crate::resources::origin_pulls::OriginPullsApi;
use crate::resources::rulesets::RulesetsApi;
use crate::resources::settings::SettingsApi;
use crate::resources::tokens::TokensApi;
use crate::resources::zones::ZonesApi;
use crate::transport::rate_limit::{RateLimitConfig, RateLimitStore, SlidingWindow};
use crate::transport::request::RequestSpec;
use crate::transport::reqwest_transport::ReqwestTransport;
use crate::transport::retry::{RetryPolicy, default_policy};
use crate::transport::{HttpResponse, Response, Transport};

/// The production API base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.cloudflare.com/client/v4";

/// Environment variable holding the API token.
pub const ENV_TOKEN: &str = "CLOUDFLARE_API_TOKEN";
/// Environment variable overriding the base URL.
pub const ENV_BASE_URL: &str = "CLOUDFLARE_BASE_URL";

/// An async Cloudflare v4 client. Cheap to clone: clones share the connection pool and the rate
/// gate (the 1200 / 5 min budget is per user, so share one client per token).
///
/// ```no_run
/// # async fn run() -> cloudflare_client::Result<()> {
/// let client = cloudflare_client::Client::from_env()?;
/// let zone = client.zones().get_by_name("example.com").await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub base_url: Url,
    /// `Bearer <token>`, marked sensitive; `None` without a token.
    pub authorization: Option<http::HeaderValue>,
    pub user_agent: http::HeaderValue,
    /// Gate (its wait limit is `max_gate_wait`), transport, retries and attempt timeout.
    pub pipeline: api_transport::Pipeline,
    /// One in-flight write per ruleset entry point (the Rulesets API rejects concurrent updates).
    pub ruleset_locks:
        std::sync::Mutex<std::collections::HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Inner {
    /// The write lock of one entry point (`zone/phase`).
    pub fn ruleset_lock(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .ruleset_locks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        locks.entry(key.to_owned()).or_default().clone()
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url.as_str())
            .field(
                "token",
                &self.inner.authorization.as_ref().map(|_| "[redacted]"),
            )
            .field("retry", &self.inner.pipeline.retry())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A builder with production defaults.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Build from `CLOUDFLARE_API_TOKEN` (required) and `CLOUDFLARE_BASE_URL` (optional).
    pub fn from_env() -> Result<Self> {
        Self::from_env_with(|k| std::env::var(k).ok())
    }

    /// Like [`Client::from_env`], reading variables through `get` (for tests and custom sources).
    pub fn from_env_with(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let token = get(ENV_TOKEN)
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| Error::Config(format!("{ENV_TOKEN} is not set")))?;
        let mut builder = Self::builder().token(token);
        if let Some(url) = get(ENV_BASE_URL).filter(|u| !u.trim().is_empty()) {
            builder = builder.base_url(&url)?;
        }
        builder.build()
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// Zones: get by id or name, plan.
    pub fn zones(&self) -> ZonesApi<'_> {
        ZonesApi::new(self)
    }

    /// Typed zone settings of one zone.
    pub fn settings(&self, zone_id: &str) -> SettingsApi<'_> {
        SettingsApi::new(self, zone_id)
    }

    /// DNS records of one zone.
    pub fn dns(&self, zone_id: &str) -> DnsApi<'_> {
        DnsApi::new(self, zone_id)
    }

    /// Rulesets (phase entry points) of one zone.
    pub fn rulesets(&self, zone_id: &str) -> RulesetsApi<'_> {
        RulesetsApi::new(self, zone_id)
    }

    /// Bot management configuration of one zone.
    pub fn bot_management(&self, zone_id: &str) -> BotManagementApi<'_> {
        BotManagementApi::new(self, zone_id)
    }

    /// Cloudflare's IP ranges (`GET /ips`, no token needed).
    pub fn ips(&self) -> IpsApi<'_> {
        IpsApi::new(self)
    }

    /// The token in use: verify that it is active.
    pub fn tokens(&self) -> TokensApi<'_> {
        TokensApi::new(self)
    }

    /// Cache purge of one zone.
    pub fn cache(&self, zone_id: &str) -> CacheApi<'_> {
        CacheApi::new(self, zone_id)
    }

    /// Custom lists (IP, hostname, ASN, redirect) of one account, used in rule expressions as
    /// `$name`.
    pub fn lists(&self, account_id: &str) -> ListsApi<'_> {
        ListsApi::new(self, account_id)
    }

    /// Origin CA certificates (issued by Cloudflare for the origin; the private key stays with
    /// the caller, only the CSR is sent).
    pub fn origin_ca(&self) -> OriginCaApi<'_> {
        OriginCaApi::new(self)
    }

    /// Zone-level Authenticated Origin Pulls (Cloudflare presents a client certificate to the
    /// origin, so the origin can refuse anything that did not come through Cloudflare).
    pub fn origin_pulls(&self, zone_id: &str) -> OriginPullsApi<'_> {
        OriginPullsApi::new(self, zone_id)
    }

    /// Send any v4 request through the same rate gate, retries and error decoding as the typed
    /// calls, and return the successful answer as received: for endpoints this crate does not
    /// type, and for non-JSON answers (e.g. a DNS zone file). A non-2xx answer, or a 2xx envelope
    /// with `success: false`, is an [`Error::Api`] with every `errors[]` entry.
    ///
    /// A `POST` that may have reached the server is not replayed (the method decides, as for
    /// typed calls); reconcile such creates yourself.
    ///
    /// ```no_run
    /// # async fn run(client: cloudflare_client::Client) -> cloudflare_client::Result<()> {
    /// use cloudflare_client::transport::request::RequestSpec;
    /// let spec = RequestSpec::get("/zones/023e105f4ecef8ad9ca31a8372d0c353/dns_settings");
    /// let answer = client.execute(&spec).await?;
    /// let json: serde_json::Value = serde_json::from_slice(&answer.body).unwrap_or_default();
    /// # let _ = json; Ok(()) }
    /// ```
    pub async fn execute(&self, spec: &RequestSpec) -> Result<HttpResponse> {
        self.send_raw(spec).await
    }

    /// Like [`Client::execute`], decoding the envelope's `result` as `T` (use
    /// `serde_json::Value` to keep it untyped), with its `result_info` and `messages`.
    ///
    /// ```no_run
    /// # async fn run(client: cloudflare_client::Client) -> cloudflare_client::Result<()> {
    /// use cloudflare_client::transport::request::RequestSpec;
    /// let spec = RequestSpec::get("/zones/023e105f4ecef8ad9ca31a8372d0c353/dns_settings");
    /// let settings = client.execute_json::<serde_json::Value>(&spec).await?.result;
    /// # let _ = settings; Ok(()) }
    /// ```
    pub async fn execute_json<T: DeserializeOwned>(
        &self,
        spec: &RequestSpec,
    ) -> Result<Response<T>> {
        self.send(spec).await
    }
}

/// Builds a [`Client`].
///
/// ```
/// use std::time::Duration;
/// let client = cloudflare_client::Client::builder()
///     .token("example-token")
///     .request_timeout(Duration::from_secs(20))
///     .build()
///     .unwrap();
/// assert!(!format!("{client:?}").contains("example-token"));
/// ```
#[derive(Default)]
pub struct ClientBuilder {
    token: Option<SecretString>,
    base_url: Option<Url>,
    deferred_base_url: Option<&'static str>,
    transport: Option<Arc<dyn Transport>>,
    gate: Option<Arc<dyn RateLimitStore>>,
    rate_limit: Option<RateLimitConfig>,
    retry: Option<RetryPolicy>,
    connect_timeout: Option<Duration>,
    request_timeout: Option<Duration>,
    max_gate_wait: Option<Duration>,
    user_agent: Option<String>,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .field("base_url", &self.base_url.as_ref().map(Url::as_str))
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The API token (sent as `Authorization: Bearer`, marked sensitive, never printed).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(SecretString::from(token.into()));
        self
    }

    /// Override the base URL (tests, proxies): `https://`, or plain `http://` only to a
    /// loopback address (`127.0.0.0/8`, `::1`, `localhost`).
    ///
    /// # Errors
    /// [`Error::Invalid`] naming `base_url` (see [`api_transport::check_base_url`]).
    pub fn base_url(mut self, url: &str) -> Result<Self> {
        let parsed = api_transport::check_base_url(url)
            .map_err(|e| Error::invalid("base_url", e.to_string()))?;
        self.base_url = Some(parsed);
        Ok(self)
    }

    /// Set a base URL that is parsed in `build()`: the in-memory simulator's fixed address,
    /// which names no real host and is never sent over a network (the simulator is the
    /// transport), so it is not held to [`ClientBuilder::base_url`]'s `https` rule.
    #[cfg_attr(not(feature = "simulator"), allow(dead_code))]
    pub(crate) fn base_url_deferred(mut self, url: &'static str) -> Self {
        self.deferred_base_url = Some(url);
        self
    }

    /// Use this transport instead of reqwest (e.g. the simulator).
    pub fn transport(mut self, transport: Arc<dyn Transport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// Gate numbers (default: 1200 per 300 s, 1 s margin, 100 per second).
    pub fn rate_limit(mut self, config: RateLimitConfig) -> Self {
        self.rate_limit = Some(config);
        self
    }

    /// Share a gate store across clients (same token), across replicas (a Redis store with the
    /// feature `redis`), or replace it (e.g. [`crate::transport::rate_limit::NoGate`]).
    pub fn rate_limit_store(mut self, store: Arc<dyn RateLimitStore>) -> Self {
        self.gate = Some(store);
        self
    }

    /// Fail with [`Error::RateLimited`] instead of waiting longer than `max` for the gate.
    /// `Duration::ZERO` makes every call fail fast when the budget is spent. Default: wait.
    pub fn max_gate_wait(mut self, max: Duration) -> Self {
        self.max_gate_wait = Some(max);
        self
    }

    /// Retry policy (default [`default_policy`]: 4 attempts, 1 s base, 30 s cap, up to 4
    /// rate-limit blocks of at most 310 s).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Connect timeout of the reqwest transport (default 10 s).
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = Some(d);
        self
    }

    /// Timeout of one attempt (default 30 s).
    pub fn request_timeout(mut self, d: Duration) -> Self {
        self.request_timeout = Some(d);
        self
    }

    /// `User-Agent` header.
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = Some(ua.into());
        self
    }

    /// Build the client.
    pub fn build(self) -> Result<Client> {
        let request_timeout = self.request_timeout.unwrap_or(Duration::from_secs(30));
        let transport: Arc<dyn Transport> = match self.transport {
            Some(t) => t,
            None => Arc::new(
                ReqwestTransport::with_timeouts(
                    self.connect_timeout.unwrap_or(Duration::from_secs(10)),
                    request_timeout,
                )
                .map_err(|_| Error::Config("could not build the HTTP client".into()))?,
            ),
        };
        let base_url = match (self.base_url, self.deferred_base_url) {
            (Some(u), _) => u,
            (None, Some(u)) => Url::parse(u).map_err(|e| Error::Config(e.to_string()))?,
            (None, None) => {
                Url::parse(DEFAULT_BASE_URL).map_err(|e| Error::Config(e.to_string()))?
            }
        };
        let store = self
            .gate
            .unwrap_or_else(|| Arc::new(SlidingWindow::new(self.rate_limit.unwrap_or_default())));
        let gate = rate_budget::Gate::new(store, self.max_gate_wait);
        let authorization = self
            .token
            .as_ref()
            .map(crate::transport::send::bearer)
            .transpose()?;
        let user_agent = self.user_agent.unwrap_or_else(|| {
            concat!("cloudflare-client-rs/", env!("CARGO_PKG_VERSION")).to_owned()
        });
        let user_agent = http::HeaderValue::from_str(&user_agent)
            .map_err(|_| Error::Config("user agent is not a valid header".into()))?;
        let pipeline = api_transport::Pipeline::new(
            transport,
            Some(gate),
            self.retry.unwrap_or_else(default_policy),
        )
        .attempt_timeout(request_timeout);
        Ok(Client {
            inner: Arc::new(Inner {
                base_url,
                authorization,
                user_agent,
                pipeline,
                ruleset_locks: std::sync::Mutex::default(),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_env_reads_token_and_base_url() {
        let c = Client::from_env_with(|k| match k {
            ENV_TOKEN => Some("tok-secret-123".into()),
            ENV_BASE_URL => Some("http://127.0.0.1:9/client/v4".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.base_url().as_str(), "http://127.0.0.1:9/client/v4");
        assert!(!format!("{c:?}").contains("tok-secret-123"));
        let err = Client::from_env_with(|_| None).unwrap_err();
        assert!(err.to_string().contains(ENV_TOKEN));
    }

    #[test]
    fn base_url_must_be_https_or_loopback_http() {
        assert!(Client::builder().base_url("ftp://x").is_err());
        let err = Client::builder()
            .base_url("http://api.cloudflare.com/client/v4")
            .unwrap_err();
        assert!(
            matches!(&err, Error::Invalid { field, .. } if field == "base_url"),
            "{err:?}"
        );
        assert!(err.to_string().contains("api.cloudflare.com"), "{err}");
        for ok in [
            "https://api.cloudflare.com/client/v4",
            "http://127.0.0.1:9/client/v4",
            "http://[::1]:9/client/v4",
            "http://localhost:9/client/v4",
        ] {
            assert!(Client::builder().base_url(ok).is_ok(), "{ok}");
        }
    }
}
