//! The audit's sshd_config reading agrees with the real sshd: the values it takes as effective
//! are the ones `sshd -T` prints, and audited `sshd -T` output gives the same verdicts.

use hardening_model::audit::parse::sshd::SshdConfig;
use hardening_model::audit::{self, MemoryHost, Status, captures};
use hardening_model::presets::host::HostBaseline;
use hardening_model::values::{Port, UnixUser};

const KEYWORDS: &[&str] = &[
    "permitrootlogin",
    "passwordauthentication",
    "kbdinteractiveauthentication",
    "loglevel",
    "pubkeyacceptedalgorithms",
    "hostkeyalgorithms",
    "maxauthtries",
    "x11forwarding",
];

fn baseline_fragment() -> String {
    let host = HostBaseline::new(
        Port::new(2222).expect("port"),
        &[UnixUser::new("deploy").expect("user")],
    )
    .expect("baseline");
    host.files()
        .expect("files")
        .into_iter()
        .find(|f| f.path == "/etc/ssh/sshd_config.d/10-hardening.conf")
        .expect("sshd fragment")
        .content
}

#[test]
fn first_values_match_sshd_t_including_duplicates_and_aliases() {
    let Some(sshd) = hardening_validators::sshd() else {
        return;
    };
    // Later duplicates and the old alias must lose to the first value, as in sshd.
    let config = format!(
        "{}\nPermitRootLogin yes\nLogLevel QUIET\nChallengeResponseAuthentication yes\nPasswordAuthentication yes\n",
        baseline_fragment()
    );
    let effective = sshd.effective(&config).expect("sshd -T");
    let real = SshdConfig::from_effective("sshd -T", &effective);
    let parsed = SshdConfig::parse_text("/etc/ssh/sshd_config", &config);
    let mut compared = 0;
    for keyword in KEYWORDS {
        let real_value = real.first(keyword).map(|d| d.value()).unwrap_or_default();
        if let Some(ours) = parsed.first(keyword) {
            assert!(
                ours.value().eq_ignore_ascii_case(&real_value),
                "{keyword}: we read {:?}, sshd -T says {real_value:?}",
                ours.value()
            );
            compared += 1;
        }
    }
    assert!(compared >= 6, "only {compared} keywords compared");
}

#[test]
fn audited_sshd_t_output_passes_like_the_fragment() {
    let Some(sshd) = hardening_validators::sshd() else {
        return;
    };
    let fragment = baseline_fragment();
    let mut host = MemoryHost::new();
    host.insert(
        captures::SSHD_T,
        sshd.effective(&fragment).expect("sshd -T"),
    );
    let report = audit::audit(&host);
    for id in [
        "ssh.ed25519-only",
        "ssh.root-login",
        "ssh.password-auth",
        "ssh.log-level",
    ] {
        let finding = report.finding(id).expect("finding");
        assert_eq!(finding.status, Status::Pass, "{id}: {}", finding.detail);
    }
    // And sshd's defaults, as sshd -T prints them, fail.
    let mut defaults = MemoryHost::new();
    defaults.insert(captures::SSHD_T, sshd.effective("").expect("sshd -T"));
    let report = audit::audit(&defaults);
    for id in ["ssh.ed25519-only", "ssh.password-auth", "ssh.log-level"] {
        assert_eq!(
            report.finding(id).expect("finding").status,
            Status::Fail,
            "{id}"
        );
    }
}
