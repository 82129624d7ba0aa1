//! Rate-gate benchmark against the Hetzner simulator, under tokio's paused clock.
//!
//! 10,000 GETs from 32 concurrent tasks through one client, then the same load split over two
//! clients (each with its own gate) sharing one project token. The simulator's bucket is the
//! API's: 3600 burst, +1 per second, 429 `rate_limit_exceeded` when empty. The theoretical
//! minimum makespan is (10,000 - 3,600) / 1 per s = 6,400 s. Beside each run, a naive client
//! (no gate, sleeps 1 s and retries on 429) runs the same load.
//!
//! Run: `cargo run --release --example bench-hetzner-rate-limit`. The last line is
//! `hetzner-rate-limit: requests=N makespan_ratio=R http_429=K errors=E` for the one-client run.
#![allow(clippy::print_stdout)]

use std::time::Duration;

use hetzner_client::simulator::Simulator;
use hetzner_client::{Client, RateLimitPolicy, RetryPolicy};
use tokio::time::Instant;

const REQUESTS: usize = 10_000;
const TASKS: usize = 32;
const BURST: usize = 3_600;
const PER_SECOND: f64 = 1.0;

struct Run {
    makespan: Duration,
    http_429: usize,
    errors: usize,
}

impl Run {
    fn ratio(&self) -> f64 {
        let minimum = (REQUESTS - BURST) as f64 / PER_SECOND;
        self.makespan.as_secs_f64() / minimum
    }

    fn line(&self, label: &str) -> String {
        format!(
            "{label}: requests={REQUESTS} makespan={:.1}s makespan_ratio={:.4} http_429={} errors={}",
            self.makespan.as_secs_f64(),
            self.ratio(),
            self.http_429,
            self.errors
        )
    }
}

/// One GET, done the naive way: no pacing, sleep 1 s and retry whenever the API says 429.
async fn naive_get(client: &Client) -> hetzner_client::Result<()> {
    loop {
        match client.locations().get(1).await {
            Err(e) if e.is_rate_limited() => tokio::time::sleep(Duration::from_secs(1)).await,
            other => return other.map(|_| ()),
        }
    }
}

async fn run(clients: Vec<Client>, sim: &Simulator, naive: bool) -> Run {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let client = clients[task % clients.len()].clone();
        // spread REQUESTS as evenly as possible over the tasks
        let share = REQUESTS / TASKS + usize::from(task < REQUESTS % TASKS);
        tasks.push(tokio::spawn(async move {
            let mut errors = 0;
            for _ in 0..share {
                let result = if naive {
                    naive_get(&client).await
                } else {
                    client.locations().get(1).await.map(|_| ())
                };
                errors += usize::from(result.is_err());
            }
            errors
        }));
    }
    let mut errors = 0;
    for task in tasks {
        errors += task.await.unwrap_or(1);
    }
    Run {
        makespan: start.elapsed(),
        http_429: sim.count_status(429),
        errors,
    }
}

fn gated(sim: &Simulator) -> Client {
    sim.client_builder().build().expect("simulated client")
}

fn ungated(sim: &Simulator) -> Client {
    sim.client_builder()
        .rate_limit(RateLimitPolicy::disabled())
        .retry(RetryPolicy::none())
        .build()
        .expect("simulated client")
}

async fn bench() -> Run {
    let sim = Simulator::new();
    let one = run(vec![gated(&sim)], &sim, false).await;
    let sim = Simulator::new();
    let naive_one = run(vec![ungated(&sim)], &sim, true).await;
    println!("{}", one.line("one client, gated"));
    println!("{}", naive_one.line("one client, naive baseline"));

    let sim = Simulator::new();
    let two = run(vec![gated(&sim), gated(&sim)], &sim, false).await;
    let sim = Simulator::new();
    let naive_two = run(vec![ungated(&sim), ungated(&sim)], &sim, true).await;
    println!("{}", two.line("two clients, gated"));
    println!("{}", naive_two.line("two clients, naive baseline"));
    println!(
        "targets: one client ratio <= 1.01 with 0 x 429 and 0 errors ({}); two clients ratio <= 1.05 with 0 errors ({})",
        if one.ratio() <= 1.01 && one.http_429 == 0 && one.errors == 0 {
            "met"
        } else {
            "MISSED"
        },
        if two.ratio() <= 1.05 && two.errors == 0 {
            "met"
        } else {
            "MISSED"
        },
    );
    one
}

fn main() {
    examples::init_tracing();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("tokio runtime");
    let one = runtime.block_on(bench());
    println!(
        "hetzner-rate-limit: requests={REQUESTS} makespan_ratio={:.4} http_429={} errors={}",
        one.ratio(),
        one.http_429,
        one.errors
    );
}
