//! Section 2.4: mount options, judged on the live mount table where the host shows it.

use crate::audit::Check;
use crate::audit::captures;
use crate::audit::host::{Gap, Host};
use crate::audit::report::{Finding, Status};

/// The live mount table of a host read at `/` (the kernel's view of the reader's namespace).
const PROC_MOUNTS: &str = "/proc/self/mounts";
/// Where the configured options live.
const FSTAB: &str = "/etc/fstab";
const UNIT_DIR: &str = "/etc/systemd/system";

/// Options a mount must carry: each group is satisfied by any one of its spellings.
type Required = &'static [&'static [&'static str]];

/// Each mount point, its mount unit, and the options it must carry.
const WANT: &[(&str, Option<&str>, Required)] = &[
    (
        "/tmp",
        Some("tmp.mount"),
        &[&["nosuid"], &["nodev"], &["noexec"]],
    ),
    (
        "/var/tmp",
        Some("var-tmp.mount"),
        &[&["nosuid"], &["nodev"], &["noexec"]],
    ),
    ("/dev/shm", None, &[&["nosuid"], &["nodev"], &["noexec"]]),
    // `invisible` is how kernels since 5.8 print `hidepid=2`.
    ("/proc", None, &[&["hidepid=invisible", "hidepid=2"]]),
];

/// `(mount point, options)` of a mount table (`/proc/self/mounts` or fstab format); the last
/// entry for a mount point wins (it is the one on top).
fn table(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (_, at, _, opts) = (f.next()?, f.next()?, f.next()?, f.next()?);
            Some((at.replace("\\040", " "), opts.to_owned()))
        })
        .collect()
}

fn options_of<'a>(entries: &'a [(String, String)], at: &str) -> Option<&'a str> {
    entries
        .iter()
        .rev()
        .find(|(p, _)| p == at)
        .map(|(_, o)| o.as_str())
}

/// The options a mount unit's `Options=` sets.
fn unit_options(text: &str) -> Option<String> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("Options="))
        .next_back()
        .map(|o| o.trim().to_owned())
}

/// What `options` lacks of `want`.
fn missing(options: &str, want: &[&[&str]]) -> Vec<String> {
    let have: Vec<&str> = options.split(',').map(str::trim).collect();
    want.iter()
        .filter(|any| !any.iter().any(|w| have.contains(w)))
        .map(|any| any.join(" or "))
        .collect()
}

/// `/tmp`, `/var/tmp` and `/dev/shm` `nosuid,nodev,noexec`, `/proc` `hidepid=invisible`.
///
/// The live options decide where the host shows them: a capture of the mount table
/// ([`captures::MOUNTS`]) or `/proc/self/mounts` of a host read at `/`. Otherwise the
/// configuration is judged (a mount unit in `/etc/systemd/system`, else the `/etc/fstab`
/// line), and the detail says the live options were not visible: a change made only in the
/// files applies at the next boot.
pub(crate) fn mounts(host: &Host<'_>, check: Check) -> Finding {
    let live = [captures::MOUNTS, PROC_MOUNTS]
        .iter()
        .find_map(|p| host.text(p).ok().map(|t| (*p, table(&t))))
        .filter(|(_, t)| !t.is_empty());
    if let Some((source, entries)) = live {
        let mut bad = Vec::new();
        for (at, _, want) in WANT {
            match options_of(&entries, at) {
                None => bad.push(format!("{at} is not a separate mount")),
                Some(opts) => {
                    let lacks = missing(opts, want);
                    if !lacks.is_empty() {
                        bad.push(format!(
                            "{at} is mounted {opts} (lacks {})",
                            lacks.join(", ")
                        ));
                    }
                }
            }
        }
        return verdict(
            check,
            bad,
            format!("live, from {source}"),
            vec![source.to_owned()],
        );
    }
    let fstab = match host.text(FSTAB) {
        Ok(text) => Some(table(&text)),
        Err(Gap::Missing(_)) => None,
        Err(gap) => return gap.finding(check, Status::Unknown, "no fstab"),
    };
    let mut bad = Vec::new();
    let mut absent = Vec::new();
    let mut evidence = Vec::new();
    for (at, unit, want) in WANT {
        let from_unit = unit.and_then(|u| {
            let path = format!("{UNIT_DIR}/{u}");
            let opts = unit_options(&host.text(&path).ok()?)?;
            Some((path, opts))
        });
        let configured = from_unit.or_else(|| {
            options_of(fstab.as_deref()?, at).map(|o| (FSTAB.to_owned(), o.to_owned()))
        });
        match configured {
            None => absent.push(*at),
            Some((path, opts)) => {
                let lacks = missing(&opts, want);
                if !lacks.is_empty() {
                    bad.push(format!(
                        "{at} is configured {opts} in {path} (lacks {})",
                        lacks.join(", ")
                    ));
                }
                if !evidence.contains(&path) {
                    evidence.push(path);
                }
            }
        }
    }
    if bad.is_empty() && !absent.is_empty() {
        return Finding::new(
            check,
            host.absent(Status::Fail),
            format!(
                "no mount unit in {UNIT_DIR} or {FSTAB} line for {}: the distribution's defaults apply",
                absent.join(", ")
            ),
            evidence,
        );
    }
    for at in absent {
        bad.push(format!("{at} has no mount unit or fstab line"));
    }
    verdict(
        check,
        bad,
        "configured (the live mount table was not visible: capture it at /run/hardening-audit/mounts.txt)"
            .to_owned(),
        evidence,
    )
}

fn verdict(check: Check, bad: Vec<String>, how: String, evidence: Vec<String>) -> Finding {
    if bad.is_empty() {
        Finding::new(
            check,
            Status::Pass,
            format!(
                "/tmp, /var/tmp, /dev/shm nosuid,nodev,noexec and /proc hidepid=invisible ({how})"
            ),
            evidence,
        )
    } else {
        Finding::new(
            check,
            Status::Fail,
            format!("{} ({how})", bad.join("; ")),
            evidence,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_top_entry_wins_and_groups_accept_either_spelling() {
        let t = table(
            "tmpfs /tmp tmpfs rw,nosuid,nodev 0 0\ntmpfs /tmp tmpfs rw,nosuid,nodev,noexec 0 0\n",
        );
        assert_eq!(options_of(&t, "/tmp"), Some("rw,nosuid,nodev,noexec"));
        assert!(missing("rw,hidepid=2,gid=4", WANT[3].2).is_empty());
        assert_eq!(missing("rw,nosuid", WANT[0].2), ["nodev", "noexec"]);
        assert_eq!(
            unit_options("[Mount]\nOptions=mode=1777,noexec\n").as_deref(),
            Some("mode=1777,noexec")
        );
    }
}
