//! Rate-gate benchmark against the in-process Cloudflare simulator, under a paused tokio clock:
//! 5,000 requests from 32 tasks through one client, against Cloudflare's 1200 requests / 300 s
//! limit (overflow = HTTP 429, code 971, every call blocked for 5 minutes).
//!
//! `makespan_ratio` is the virtual time from the first send to the last answer, divided by the
//! theoretical minimum for the window: the last request cannot be sent before
//! `floor((N - 1) / 1200) × 300 s`, plus one answer's latency.
//!
//! Printed first, for comparison: a naive client (no gate, retries like a typical generated SDK:
//! 3 attempts, `Retry-After` honoured only up to 60 s) and a fixed 4 requests/s pacer.
//!
//! ```text
//! cargo run --release --example bench-cloudflare-rate-limit
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use cloudflare_client::resources::settings::Ssl;
use cloudflare_client::simulator::{Simulator, SimulatorConfig};
use cloudflare_client::transport::rate_limit::{NoGate, RateLimitConfig};
use cloudflare_client::transport::retry::default_policy;
use cloudflare_client::{Client, ClientBuilder, PlanTier};
use tokio::time::Instant;

const REQUESTS: u64 = 5_000;
const TASKS: usize = 32;

struct Outcome {
    makespan: Duration,
    http_429: u64,
    errors: u64,
    sent: u64,
}

async fn run(
    configure: impl FnOnce(ClientBuilder) -> ClientBuilder,
) -> Result<Outcome, cloudflare_client::Error> {
    let sim = Simulator::with_config(SimulatorConfig::default());
    let zone = sim.add_zone("example.com", PlanTier::Free);
    let client: Client = configure(sim.client_builder()).build()?;
    let next = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let (client, zone, next, errors) =
            (client.clone(), zone.clone(), next.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < REQUESTS {
                if client.settings(&zone).get::<Ssl>().await.is_err() {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        if t.await.is_err() {
            errors.fetch_add(1, Ordering::Relaxed);
        }
    }
    let stats = sim.stats();
    Ok(Outcome {
        makespan: start.elapsed(),
        http_429: stats.http_429,
        errors: errors.load(Ordering::Relaxed),
        sent: stats.requests,
    })
}

fn line(name: &str, o: &Outcome, minimum: Duration) -> String {
    format!(
        "{name}: requests={REQUESTS} makespan_ratio={:.4} http_429={} errors={}",
        o.makespan.as_secs_f64() / minimum.as_secs_f64(),
        o.http_429,
        o.errors
    )
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() -> std::process::ExitCode {
    examples::init_tracing();
    match bench().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{}", examples::error::chain(&err));
            std::process::ExitCode::FAILURE
        }
    }
}

async fn bench() -> Result<(), cloudflare_client::Error> {
    let sim = SimulatorConfig::default();
    let full_windows = (REQUESTS - 1) / u64::from(sim.limit);
    let minimum = sim.window * full_windows as u32 + sim.latency;

    let naive = run(|b| {
        b.rate_limit_store(Arc::new(NoGate)).retry(
            default_policy()
                .max_attempts(3)
                .initial_backoff(Duration::from_millis(500))
                .max_backoff(Duration::from_secs(8))
                .max_rate_limit_waits(3)
                .max_rate_limit_wait(Duration::from_secs(60)),
        )
    })
    .await?;
    println!(
        "{} (virtual {:.1} s, {} sends: it fails instead of waiting)",
        line("naive-no-gate", &naive, minimum),
        naive.makespan.as_secs_f64(),
        naive.sent
    );

    let fixed = run(|b| {
        b.rate_limit(RateLimitConfig {
            limit: 1,
            window: Duration::from_millis(250),
            margin: Duration::ZERO,
            per_second: 0,
        })
    })
    .await?;
    println!(
        "{} (virtual {:.1} s)",
        line("fixed-4rps", &fixed, minimum),
        fixed.makespan.as_secs_f64()
    );

    let gated = run(|b| b).await?;
    println!(
        "theoretical minimum {:.2} s for {REQUESTS} requests at {}/{} s; gate makespan {:.2} s",
        minimum.as_secs_f64(),
        sim.limit,
        sim.window.as_secs(),
        gated.makespan.as_secs_f64()
    );
    println!("{}", line("cloudflare-rate-limit", &gated, minimum));
    Ok(())
}
