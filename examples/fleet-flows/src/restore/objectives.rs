//! Recovery point and recovery time objectives, computed from the backup schedule and stated
//! assumptions (runbook 9.4 gives figures without a basis).

use std::collections::BTreeSet;
use std::time::Duration;

use crate::error::{Error, Result};

const MINUTES_PER_WEEK: u32 = 7 * 24 * 60;
const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// What the figures assume beyond the schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assumptions {
    /// Size of the compressed, encrypted archive.
    pub archive_bytes: u64,
    /// Throughput of each transfer (store to operator, operator to host), bytes per second.
    pub throughput_bytes_per_sec: u64,
    /// From "create server" to a host whose first boot has finished (cloud-init, stack up).
    pub provision: Duration,
    /// How long one backup run takes (quiesce, archive, encrypt, upload).
    pub backup_run: Duration,
    /// The timers' `RandomizedDelaySec=`.
    pub randomized_delay: Duration,
}

impl Default for Assumptions {
    /// 2 GiB archives, 50 MB/s per transfer, 10 minutes to provision, 10 minutes per backup run,
    /// and the preset's 15-minute randomized timer delay.
    fn default() -> Self {
        Self {
            archive_bytes: 2 * 1024 * 1024 * 1024,
            throughput_bytes_per_sec: 50_000_000,
            provision: Duration::from_secs(10 * 60),
            backup_run: Duration::from_secs(10 * 60),
            randomized_delay: Duration::from_secs(
                u64::from(cloudinit_builder::preset::RANDOMIZED_DELAY_MINUTES) * 60,
            ),
        }
    }
}

/// The objectives and how each was obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Objectives {
    /// The longest gap between two scheduled backups.
    pub backup_interval: Duration,
    /// The longest gap between two scheduled verifications.
    pub verify_interval: Duration,
    /// Worst-case data loss: the gap, plus the timer's random delay, plus one backup run.
    pub rpo: Duration,
    /// Worst-case age of the newest copy whose upload a verification has checked.
    pub verified_rpo: Duration,
    /// Provisioning a fresh host, then two transfers of the archive (store to operator,
    /// operator to host; decryption and extraction stream at disk speed and are not counted).
    pub rto: Duration,
    /// One line per figure, naming its basis.
    pub basis: Vec<String>,
}

/// The objectives of a backup schedule and a verification schedule (systemd `OnCalendar=`
/// expressions, the subset [`calendar_gap`] reads) under `assumptions`.
///
/// ```
/// use fleet_flows::restore::{Assumptions, objectives};
/// let o = objectives("*-*-* 03:00:00 UTC", "Sun *-*-* 04:00:00 UTC", &Assumptions::default())?;
/// assert_eq!(o.backup_interval.as_secs(), 24 * 3600);
/// assert_eq!(o.rpo.as_secs(), (24 * 60 + 15 + 10) * 60);
/// # Ok::<(), fleet_flows::Error>(())
/// ```
///
/// # Errors
/// [`Error::Invalid`] naming `backups.schedule` or `backups.verify_schedule` when an
/// expression is outside the subset.
pub fn objectives(backup: &str, verify: &str, a: &Assumptions) -> Result<Objectives> {
    let backup_interval =
        calendar_gap(backup).map_err(|r| Error::invalid("backups.schedule", r))?;
    let verify_interval =
        calendar_gap(verify).map_err(|r| Error::invalid("backups.verify_schedule", r))?;
    let rpo = backup_interval + a.randomized_delay + a.backup_run;
    let verified_rpo = verify_interval + rpo;
    let transfer = Duration::from_secs(a.archive_bytes.div_ceil(a.throughput_bytes_per_sec.max(1)));
    let rto = a.provision + transfer * 2;
    let basis = vec![
        format!(
            "RPO {}: longest gap between backups ({backup}) {} + timer random delay {} + one run {}",
            hm(rpo),
            hm(backup_interval),
            hm(a.randomized_delay),
            hm(a.backup_run)
        ),
        format!(
            "verified RPO {}: RPO + longest gap between upload checks ({verify}) {}",
            hm(verified_rpo),
            hm(verify_interval)
        ),
        format!(
            "RTO {}: provisioning {} + 2 transfers of {} MB at {} MB/s ({} each)",
            hm(rto),
            hm(a.provision),
            a.archive_bytes / 1_000_000,
            a.throughput_bytes_per_sec / 1_000_000,
            hm(transfer)
        ),
    ];
    Ok(Objectives {
        backup_interval,
        verify_interval,
        rpo,
        verified_rpo,
        rto,
        basis,
    })
}

/// `1h05m`-style text.
pub fn hm(d: Duration) -> String {
    let m = d.as_secs().div_ceil(60);
    match (m / 60, m % 60) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h{m:02}m"),
    }
}

/// The longest gap between two triggers of an `OnCalendar=` expression, over a week.
///
/// Read: `hourly`, `daily`, `weekly`, and `[DAYS ]*-*-* HOURS:MM[:SS][ UTC]` where `DAYS` is a
/// comma list of `Mon`..`Sun`, `HOURS` is `*`, a comma list of hours or `H/STEP`, and `MM` a
/// minute. Anything else is refused rather than guessed.
///
/// # Errors
/// Why the expression is outside that subset.
pub fn calendar_gap(expr: &str) -> std::result::Result<Duration, String> {
    let expr = expr.trim();
    let expr = expr.strip_suffix(" UTC").unwrap_or(expr);
    let normalised = match expr {
        "hourly" => "*-*-* *:00:00",
        "daily" => "*-*-* 00:00:00",
        "weekly" => "Mon *-*-* 00:00:00",
        other => other,
    };
    let words: Vec<&str> = normalised.split_whitespace().collect();
    let (days, date, time) = match words.as_slice() {
        [date, time] => (None, *date, *time),
        [days, date, time] => (Some(*days), *date, *time),
        _ => return Err(format!("`{expr}`: expected [DAYS] *-*-* HH:MM[:SS]")),
    };
    if date != "*-*-*" {
        return Err(format!("`{expr}`: only *-*-* dates are read"));
    }
    let days: Vec<u32> = match days {
        None => (0..7).collect(),
        Some(list) => list
            .split(',')
            .map(|d| {
                DAYS.iter()
                    .position(|n| *n == d)
                    .and_then(|p| u32::try_from(p).ok())
                    .ok_or_else(|| format!("`{expr}`: unknown day {d}"))
            })
            .collect::<std::result::Result<_, _>>()?,
    };
    let mut parts = time.split(':');
    let (Some(hours), Some(minute)) = (parts.next(), parts.next()) else {
        return Err(format!("`{expr}`: expected HH:MM"));
    };
    let hours: Vec<u32> = if hours == "*" {
        (0..24).collect()
    } else if let Some((start, step)) = hours.split_once('/') {
        let (start, step) = (number(start, 23, expr)?, number(step, 23, expr)?.max(1));
        (start..24).step_by(step as usize).collect()
    } else {
        hours
            .split(',')
            .map(|h| number(h, 23, expr))
            .collect::<std::result::Result<_, _>>()?
    };
    let minute = number(minute, 59, expr)?;
    let triggers: BTreeSet<u32> = days
        .iter()
        .flat_map(|d| hours.iter().map(move |h| d * 24 * 60 + h * 60 + minute))
        .collect();
    let first = *triggers
        .first()
        .ok_or_else(|| format!("`{expr}`: never triggers"))?;
    let mut gap = 0;
    let mut prev = None;
    for t in triggers
        .iter()
        .copied()
        .chain(std::iter::once(first + MINUTES_PER_WEEK))
    {
        if let Some(p) = prev {
            gap = gap.max(t - p);
        }
        prev = Some(t);
    }
    Ok(Duration::from_secs(u64::from(gap) * 60))
}

fn number(text: &str, max: u32, expr: &str) -> std::result::Result<u32, String> {
    text.parse::<u32>()
        .ok()
        .filter(|n| *n <= max)
        .ok_or_else(|| format!("`{expr}`: `{text}` is not a number from 0 to {max}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn hours(expr: &str) -> u64 {
        calendar_gap(expr).unwrap().as_secs() / 3600
    }

    #[test]
    fn gaps_of_the_schedules_systemd_reads() {
        assert_eq!(hours("*-*-* 03:00:00 UTC"), 24);
        assert_eq!(hours("daily"), 24);
        assert_eq!(hours("Sun *-*-* 04:00:00 UTC"), 7 * 24);
        assert_eq!(hours("weekly"), 7 * 24);
        assert_eq!(hours("hourly"), 1);
        assert_eq!(hours("*-*-* 00/6:30"), 6);
        // Uneven hours: the longest gap counts (03:00 -> 15:00 is 12 h, 15:00 -> 03:00 is 12 h,
        // 03:00 -> 09:00 is 6 h).
        assert_eq!(hours("*-*-* 03,09,15:00:00"), 12);
        assert_eq!(hours("Mon,Thu *-*-* 02:00"), 4 * 24);
        for bad in [
            "monthly",
            "*-*-01 03:00",
            "Sun 03:00",
            "*-*-* 25:00",
            "Xyz *-*-* 01:00",
        ] {
            assert!(calendar_gap(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn objectives_add_up_and_name_their_basis() {
        let a = Assumptions::default();
        let o = objectives("*-*-* 03:00:00 UTC", "Sun *-*-* 04:00:00 UTC", &a).unwrap();
        assert_eq!(o.rpo, Duration::from_secs((24 * 60 + 15 + 10) * 60));
        assert_eq!(o.verified_rpo, o.rpo + Duration::from_secs(7 * 24 * 3600));
        // 2 GiB at 50 MB/s is 43 s per transfer.
        assert_eq!(o.rto, a.provision + Duration::from_secs(2 * 43));
        assert_eq!(hm(o.rpo), "24h25m");
        assert!(o.basis[0].starts_with("RPO 24h25m"));
        let err = objectives("monthly", "daily", &a).unwrap_err();
        assert!(err.to_string().contains("backups.schedule"));
    }
}
