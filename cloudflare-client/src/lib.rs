//! Rate-limited, typed async client for Cloudflare's v4 API (zone settings, DNS, rulesets, bot
//! management, IP ranges), with an in-process simulator.
//!
//! * [`Client`] (cheap to clone) built by [`Client::builder`] or [`Client::from_env`]
//!   (`CLOUDFLARE_API_TOKEN`, optional `CLOUDFLARE_BASE_URL`). The token is a
//!   `secrecy::SecretString`, sent in a header marked sensitive, and never printed.
//! * Every call goes through one choke point: a rate gate that paces requests *before* sending
//!   (1200 per 300 s per user, the documented limit), waits out a 429 block (code 971) instead of
//!   hammering, and retries per a pure decision function. A `POST` that may have reached the
//!   server is never blindly replayed: DNS creates reconcile by type + name + content.
//! * Faults: one policy with hetzner-client, described once in the `api-transport` crate docs
//!   ("Fault policy"): a 2xx body that is not JSON is an interrupted transfer (retried when
//!   idempotent, reconciled when a create), redirects are never followed, `base_url` is
//!   `https://` or loopback `http://`, and a 429 without `Retry-After` waits the documented
//!   5-minute block, reporting progress.
//! * Resources: [`resources::zones`], [`resources::settings`] (typed, `PATCH` only),
//!   [`resources::dns`] (with the batch endpoint and the zone-file export),
//!   [`resources::rulesets`] (phase entry points with stable `ref`s, single rules, versions and
//!   rollback, configuration and cache rules), [`resources::bot_management`],
//!   [`resources::ips`], [`resources::tokens`] (is the token active?), [`resources::cache`]
//!   (purge), [`resources::lists`] (account IP lists used as `$name` in rules),
//!   [`resources::origin_ca`] (Origin CA certificates from a CSR) and
//!   [`resources::origin_pulls`] (zone-level Authenticated Origin Pulls).
//! * Anything else: [`Client::execute`] / [`Client::execute_json`] send any v4 request through
//!   the same gate, retries and error decoding.
//! * [`expression`]: a rules-language builder whose strings never escape their quotes.
//! * [`hardening`]: a declarative zone hardening plan (desired state in, diff out, idempotent
//!   apply) over settings, rules of every phase, bot management, Authenticated Origin Pulls and
//!   IP lists, that knows plan limits; and the runbook's intent as a preset with its errata
//!   fixed (its page rules become configuration and cache rules).
//! * `simulator` (feature): an in-process stateful fake of these endpoints for tests and examples.
//!
//! Features: `rustls` (default) or `native-tls` picks the TLS library of the default reqwest
//! transport; `hardening-model` (off by default) converts IP ranges to its values; `redis`
//! shares the rate budget between replicas; `simulator` as above.
//!
//! Retired endpoints (Firewall Rules, Filters, WAF packages, Rate Limiting, deprecated
//! 2025-06-15) and Page Rules are deliberately absent.
//!
//! ```no_run
//! # async fn run() -> cloudflare_client::Result<()> {
//! use cloudflare_client::{Client, hardening};
//! let client = Client::from_env()?;
//! let zone = client.zones().get_by_name("example.com").await?.expect("zone exists");
//! let desired = hardening::preset::runbook_baseline(&zone.plan_tier())?;
//! let plan = hardening::plan(&client, &zone.id, &desired).await?;
//! for change in &plan.changes {
//!     println!("{change}");
//! }
//! hardening::apply(&client, &plan).await?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

mod client;
mod enums;
pub mod envelope;
pub mod error;
pub mod expression;
pub mod hardening;
pub mod pagination;
pub mod resources;
#[cfg(feature = "simulator")]
pub mod simulator;
pub mod transport;

pub use client::{Client, ClientBuilder, DEFAULT_BASE_URL, ENV_BASE_URL, ENV_TOKEN};
pub use error::{ApiError, ApiMessage, Error, Result};
pub use resources::zones::PlanTier;
/// The request, transport and retry vocabulary shared with hetzner-client (`api-transport`).
pub use transport::request::RequestSpec;
pub use transport::retry::RetryPolicy;
pub use transport::{
    HttpRequest, HttpResponse, StatusCode, Transport, TransportError, TransportErrorKind,
};

/// Whether every field present in `want` has the same value in `have` (objects: subset of keys;
/// arrays: same length, element-wise subset; scalars: equal).
pub(crate) fn json_subset(want: &serde_json::Value, have: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (want, have) {
        (Value::Object(w), Value::Object(h)) => w
            .iter()
            .all(|(k, v)| h.get(k).is_some_and(|hv| json_subset(v, hv))),
        (Value::Array(w), Value::Array(h)) => {
            w.len() == h.len() && w.iter().zip(h).all(|(a, b)| json_subset(a, b))
        }
        (w, h) => w == h,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn subset() {
        assert!(super::json_subset(
            &json!({"a": 1}),
            &json!({"a": 1, "b": 2})
        ));
        assert!(!super::json_subset(
            &json!({"a": 1, "c": 3}),
            &json!({"a": 1})
        ));
        assert!(!super::json_subset(&json!([1]), &json!([1, 2])));
        assert!(super::json_subset(
            &json!([{"a": 1}]),
            &json!([{"a": 1, "v": "latest"}])
        ));
    }
}
