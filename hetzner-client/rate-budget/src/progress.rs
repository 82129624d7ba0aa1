//! Long waits that say how long remains.

use std::time::Duration;

/// How often a long wait reports its progress unless told otherwise: every 10 s.
pub const PROGRESS_INTERVAL: Duration = Duration::from_secs(10);

/// Sleeps `total` on tokio's clock, calling `report` with the time that remains at the start
/// and then every `every` while more than `every` remains; a wait of at most `every` reports
/// nothing. The caller's `report` emits its own tracing event, naming what it waits for.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::time::Duration;
/// let mut seen = Vec::new();
/// rate_budget::sleep_reporting(Duration::from_secs(35), Duration::from_secs(10), |left| {
///     seen.push(left.as_secs())
/// })
/// .await;
/// assert_eq!(seen, [35, 25, 15]);
/// # }
/// ```
pub async fn sleep_reporting(total: Duration, every: Duration, mut report: impl FnMut(Duration)) {
    let every = every.max(Duration::from_millis(1));
    let end = tokio::time::Instant::now() + total;
    loop {
        let remaining = end.saturating_duration_since(tokio::time::Instant::now());
        if remaining.is_zero() {
            return;
        }
        if remaining > every {
            report(remaining);
        }
        tokio::time::sleep(remaining.min(every)).await;
    }
}
