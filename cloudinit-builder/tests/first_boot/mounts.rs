//! The live mount options the document sets, as the guest shows them.

use hardening_validators::guest::Container;

use super::guest_text;

/// The options each mount point must carry live on the guest (`findmnt`), whatever mounted it.
/// `/proc` also carries `gid=` the group exempt from `hidepid` (checked by number).
pub const LIVE_MOUNTS: &[(&str, &[&str])] = &[
    ("/tmp", &["nosuid", "nodev", "noexec"]),
    ("/var/tmp", &["nosuid", "nodev", "noexec"]),
    ("/dev/shm", &["nosuid", "nodev", "noexec"]),
    ("/proc", &["hidepid=invisible"]),
];

/// What differs between [`LIVE_MOUNTS`] (but `skip`) and the guest's live mounts.
pub fn mount_problems(guest: &Container, skip: &[&str]) -> Vec<String> {
    let mut problems = Vec::new();
    for (at, want) in LIVE_MOUNTS.iter().filter(|(at, _)| !skip.contains(at)) {
        let out = guest_text(
            guest,
            &["findmnt", "-n", "-o", "OPTIONS", "--mountpoint", at],
        );
        // The top mount when several are stacked.
        let live = out.lines().last().unwrap_or("").trim().to_owned();
        let opts: Vec<&str> = live.split(',').collect();
        for w in *want {
            if !opts.contains(w) {
                problems.push(format!("{at} is mounted {live:?}: {w} missing"));
            }
        }
        if *at == "/proc" {
            let group = guest_text(
                guest,
                &["getent", "group", hardening_model::mounts::PROC_GROUP],
            );
            let gid = group.split(':').nth(2).unwrap_or("?").trim().to_owned();
            if !opts.contains(&format!("gid={gid}").as_str()) {
                problems.push(format!("/proc is mounted {live:?}: gid={gid} missing"));
            }
        }
    }
    problems
}
