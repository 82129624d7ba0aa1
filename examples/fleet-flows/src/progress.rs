//! Progress output: one line per step, and a ticker while a long wait runs.

use std::future::Future;
use std::time::Duration;

/// Where progress goes: stderr for the examples, nowhere in tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    verbose: bool,
    tick: Duration,
}

impl Progress {
    /// Prints steps and a ticker line every 5 seconds of a wait to stderr.
    pub fn stderr() -> Self {
        Self {
            verbose: true,
            tick: Duration::from_secs(5),
        }
    }

    /// Prints nothing (tests).
    pub fn silent() -> Self {
        Self {
            verbose: false,
            tick: Duration::from_secs(5),
        }
    }

    /// Changes how often a wait reports that it is still waiting.
    #[must_use]
    pub fn tick_every(mut self, tick: Duration) -> Self {
        self.tick = tick;
        self
    }

    /// Reports one step.
    #[allow(clippy::print_stderr)]
    pub fn step(&self, message: impl AsRef<str>) {
        if self.verbose {
            eprintln!("==> {}", message.as_ref());
        }
    }

    /// Runs `fut`, printing `what` with the elapsed time every tick until it completes.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let p = fleet_flows::Progress::silent();
    /// assert_eq!(p.wait("nothing", async { 7 }).await, 7);
    /// # }
    /// ```
    #[allow(clippy::print_stderr)]
    pub async fn wait<F: Future>(&self, what: &str, fut: F) -> F::Output {
        if !self.verbose {
            return fut.await;
        }
        let start = tokio::time::Instant::now();
        let mut fut = std::pin::pin!(fut);
        let mut ticker = tokio::time::interval_at(start + self.tick, self.tick);
        loop {
            tokio::select! {
                out = &mut fut => {
                    let secs = start.elapsed().as_secs_f64();
                    if secs >= 1.0 {
                        eprintln!("    {what}: done after {secs:.0} s");
                    }
                    return out;
                }
                _ = ticker.tick() => {
                    eprintln!("    {what}: still waiting ({:.0} s)", start.elapsed().as_secs_f64());
                }
            }
        }
    }
}
