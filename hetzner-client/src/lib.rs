//! Rate-limited, retrying, typed async client for the Hetzner Cloud API, with an in-process
//! simulator.
#![forbid(unsafe_code)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

mod string_enum;

pub mod client;
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
pub use pagination::{Page, Pagination};
pub use rate_limit::RateLimitPolicy;
pub use request::RequestSpec;
pub use resources::ListParams;
pub use resources::actions::PollPolicy;
pub use retry::RetryPolicy;
