//! Replicas sharing one Hetzner project's rate budget through Redis.
//!
//! 2, 4 and 8 replicas (separate clients, 4 tasks each) send GETs to the Hetzner simulator
//! over loopback HTTP. Shared, their gates keep one token bucket in Redis; unshared, each keeps
//! its own in memory (printed beside it). Real time is involved (Redis `TIME`), so the
//! simulator's bucket is scaled down: 20 requests of burst refilled at 200 per second (Hetzner:
//! 3600 and 1 per second); each run's theoretical minimum is (requests - 20) / 200 s, and the
//! whole benchmark takes about half a minute.
//!
//! Redis: `REDIS_URL` when set, otherwise a throw-away `redis-server` on 127.0.0.1 (Debian
//! package `redis-server`; `bash .ci/install-validators` installs it).
//!
//! Run: `cargo run --release --example bench-shared-budget`. The last line is
//! `shared-budget: replicas=8 requests=N makespan_ratio=R http_429=K errors=E`.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use examples::shared_budget::{CAPACITY, HEADROOM, REFILL_PERIOD, Run, Sharing, run};

/// Requests per run: 1 s of burst-free pacing per 200.
const REQUESTS: usize = 820;

fn met(run: &Run) -> bool {
    run.ratio() <= 1.01 && run.http_429 == 0 && run.errors == 0
}

async fn bench(url: &str) -> examples::Result<Run> {
    println!(
        "simulator bucket: {CAPACITY} of burst, refilled every {REFILL_PERIOD:?} ({:.0} per second; scaled from Hetzner's 3600 per hour); clients hold back {HEADROOM} tokens of headroom",
        f64::from(CAPACITY) / REFILL_PERIOD.as_secs_f64()
    );
    let mut last = None;
    let mut all_met = true;
    for replicas in [2, 4, 8] {
        let prefix = format!("bench-shared-budget:{}:{replicas}", std::process::id());
        let shared = run(
            replicas,
            REQUESTS,
            Sharing::Redis {
                url: url.to_owned(),
                prefix,
            },
        )
        .await?;
        let unshared = run(replicas, REQUESTS, Sharing::Unshared).await?;
        println!("{}", shared.line("shared through redis"));
        println!("{}", unshared.line("  in-memory, unshared"));
        all_met &= met(&shared);
        last = Some(shared);
    }
    println!(
        "targets: makespan_ratio <= 1.01, http_429 = 0, errors = 0 for every replica count, shared ({})",
        if all_met { "met" } else { "MISSED" }
    );
    last.ok_or_else(|| examples::Error::State("no run".into()))
}

fn main() -> std::process::ExitCode {
    examples::init_tracing();
    let server = match std::env::var("REDIS_URL") {
        Ok(url) if !url.trim().is_empty() => Err(url),
        _ => match hardening_validators::redis_server() {
            Some(server) => Ok(server),
            None => {
                eprintln!("bench-shared-budget needs Redis: set REDIS_URL or install redis-server");
                return std::process::ExitCode::FAILURE;
            }
        },
    };
    let url = match &server {
        Ok(server) => server.url(),
        Err(url) => url.clone(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let last = runtime.block_on(bench(&url));
    drop(server);
    examples::exit_on_error(last.map(|run| {
        println!(
            "shared-budget: replicas={} requests={} makespan_ratio={:.4} http_429={} errors={}",
            run.replicas,
            run.requests,
            run.ratio(),
            run.http_429,
            run.errors
        );
    }))
}
