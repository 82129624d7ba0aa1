//! Rate-limited, retrying, typed async client for the Hetzner Cloud API, with an in-process
//! simulator.
//!
//! # Quick start
//!
//! Build a client from `HCLOUD_TOKEN` (and optionally `HCLOUD_ENDPOINT`) with
//! [`Client::from_env`], or configure one with [`Client::builder`]. With the `simulator`
//! feature, `Client::simulated(&sim)` talks to an in-process fake of the API instead, which is
//! what this example (and the crate's tests) use:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> hetzner_client::Result<()> {
//! use hetzner_client::models::firewall::{FirewallRule, Protocol};
//! use hetzner_client::names::opaque_server_name;
//! use hetzner_client::resources::firewalls::CreateFirewall;
//! use hetzner_client::resources::servers::CreateServer;
//! use hetzner_client::simulator::Simulator;
//! use hetzner_client::{Client, LabelSelector, Labels, ListParams};
//!
//! let sim = Simulator::new();
//! let client = Client::simulated(&sim)?;
//!
//! let firewall = client
//!     .firewalls()
//!     .create(&CreateFirewall::new("web").rule(FirewallRule::inbound(Protocol::Tcp, Some("443"), ["0.0.0.0/0", "::/0"])))
//!     .await?;
//! let labels = Labels::new().with("managed-by", "fleet")?.with("region", "fsn1")?;
//! let created = client
//!     .servers()
//!     .create(
//!         &CreateServer::new(opaque_server_name("fsn1")?, "cx22", "ubuntu-24.04")
//!             .location("fsn1")
//!             .firewall(firewall.firewall.id)
//!             .labels(labels)
//!             .user_data("#cloud-config\n"),
//!     )
//!     .await?;
//! client.actions().wait_for(&created.actions()).await?;
//!
//! let fleet = client.servers().list(ListParams::default().selector(LabelSelector::new().eq("managed-by", "fleet"))).await?;
//! assert_eq!(fleet.items.len(), 1);
//! # Ok(()) }
//! ```
//!
//! # What every call goes through
//!
//! - **Validation first.** Labels (Hetzner's key/value rules; values that look like emails,
//!   UUIDs or payment ids are refused), RFC 1123 server names, `user_data` <= 32 KiB, firewall
//!   limits (50 rules, 100 CIDRs per rule, 255-character descriptions): a bad value is an
//!   [`Error::Invalid`] naming the field, and nothing is sent.
//! - **Rate gate.** A local token bucket like the server's (3600 per hour, +1 per second)
//!   paces requests before they leave, lowers its estimate from `RateLimit-Remaining`, and
//!   waits by default ([`RateLimitPolicy::fail_fast`] returns [`Error::RateLimited`] instead).
//!   Its state sits behind [`rate_limit::RateLimitStore`] (shared with cloudflare-client
//!   through the `rate-budget` crate), so replicas can share one budget; feature `redis`
//!   keeps it in Redis.
//! - **Retries.** [`RetryPolicy::decide`] is a pure function: idempotent requests retry on
//!   timeouts, lost connections, 408/429/5xx and the codes `conflict`, `rate_limit_exceeded`,
//!   `bad_gateway`, `timeout`, with full-jitter exponential backoff and a capped `Retry-After`.
//!   A POST that may have been applied is never replayed: creates look the resource up by its
//!   unique name and return it (`reconciled: true`).
//! - **Faults.** One policy with cloudflare-client, described once in the `api-transport`
//!   crate docs ("Fault policy"): a 2xx body that is not JSON is an interrupted transfer
//!   (retried when idempotent, reconciled when a create), redirects are never followed,
//!   `base_url` is `https://` or loopback `http://`, and a 429 without `Retry-After` waits
//!   until the bucket holds a request again (`RateLimit-Reset`), reporting progress.
//! - **Errors.** One [`Error`] with the API's code, message, details (the `invalid_input` field
//!   list), status and `X-Correlation-Id`; `is_not_found`, `is_retryable`, `is_rate_limited`.
//!   The token is a `SecretString`, sent in a header marked sensitive, and never printed.
//! - **Forward compatibility.** API enums keep unknown values (`Unknown(String)`), unknown
//!   fields are ignored, nullable fields are `Option`, and decode errors name the JSON path.
//! - **Pagination and actions.** `list` returns one [`Page`]; `stream` walks every page
//!   lazily, 50 at a time. `actions().wait_for` polls running actions in batches of 25 with
//!   backoff and a deadline, and returns the action's own error on failure.
//!
//! # What it covers
//!
//! Every operation of the official OpenAPI document (189), each resource in its own module:
//! servers and their 23 actions, firewalls, SSH keys, images, primary and floating IPs,
//! volumes, networks, placement groups, load balancers, certificates, DNS zones and RRSets,
//! ISOs, datacenters, server and load balancer types, locations, pricing. The newer kinds
//! share one pattern ([`resources::common::Handle`]: get, list, stream, by name, update,
//! delete, actions, and reconciled creates); `tests/all/coverage.rs` fails when an operation has
//! no client method or no simulator route. Runbook helpers on [`Client`]: quarantine, rescue
//! for forensics, protection, reverse DNS, reprovisioning on kept primary IPs, spread
//! placement groups, admin keys with expiry, snapshot cleanup (module [`helpers`]).
//!
//! # Features
//!
//! - `rustls` (default) / `native-tls`: the TLS library of the default reqwest transport.
//! - `hardening-model` (off by default, to keep builds short): `policy::rules_from_policy` turns
//!   `hardening_model::firewall::hetzner::HetznerRule` values into firewall rules, so the SSH
//!   port and allowed ranges come from the same values as the host configuration.
//! - `simulator`: the in-process fake API (module `simulator`), with fault injection.
//! - `redis`: the rate budget in Redis (`rate_limit::redis_store`), one Lua script per
//!   request on Redis `TIME`, so many replicas share one project's budget.
#![forbid(unsafe_code)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

mod string_enum;

pub mod client;
mod decode;
pub mod error;
pub mod helpers;
pub mod labels;
pub mod models;
pub mod names;
pub mod pagination;
#[cfg(feature = "hardening-model")]
pub mod policy;
pub mod rate_limit;
pub mod request;
pub mod resources;
pub mod retry;
#[cfg(feature = "simulator")]
pub mod simulator;
pub mod transport;

pub use client::{Client, ClientBuilder, DEFAULT_ENDPOINT};
pub use error::{ApiError, Error, ErrorCode, InvalidField, Result};
pub use labels::{LabelSelector, Labels};
pub use pagination::{Page, Pagination, Undecoded};
pub use rate_limit::RateLimitPolicy;
pub use request::RequestSpec;
pub use resources::ListParams;
pub use resources::actions::PollPolicy;
pub use retry::RetryPolicy;
/// The wire and transport vocabulary shared with cloudflare-client (`api-transport`).
pub use transport::{
    HttpRequest, HttpResponse, StatusCode, Transport, TransportError, TransportErrorKind,
};
