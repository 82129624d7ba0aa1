//! The audit's parsers never panic on arbitrary input, and arbitrary files never pass silently.

use hardening_model::audit::parse::caddyfile::Caddyfile;
use hardening_model::audit::parse::sshd::SshdConfig;
use hardening_model::audit::parse::ufw::UfwState;
use hardening_model::audit::{self, MemoryHost, Status};
use proptest::prelude::*;

/// Lines built from sshd-ish pieces, so the parser's interesting paths are reached often.
fn sshd_line() -> impl Strategy<Value = String> {
    let keyword = prop_oneof![
        Just("PermitRootLogin".to_owned()),
        Just("Match".to_owned()),
        Just("Include".to_owned()),
        Just("passwordauthentication".to_owned()),
        Just("HostKey".to_owned()),
        "[A-Za-z]{1,12}",
    ];
    let sep = prop_oneof![Just(" "), Just("="), Just(" = "), Just("\t"), Just("")];
    let value = prop_oneof![
        "[ -~]{0,30}",
        Just("\"quoted value\" x".to_owned()),
        Just("/etc/ssh/sshd_config.d/*.conf".to_owned()),
        Just("/etc/ssh/sshd_config".to_owned()),
        Just("[".to_owned()),
        any::<String>(),
    ];
    (
        prop_oneof![Just(""), Just("  "), Just("#")],
        keyword,
        sep,
        value,
    )
        .prop_map(|(lead, k, s, v)| format!("{lead}{k}{s}{v}"))
}

fn sshd_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(sshd_line(), 0..20).prop_map(|l| l.join("\n")),
        any::<String>()
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_000))]

    #[test]
    fn sshd_parser_never_panics(text in sshd_text()) {
        let parsed = SshdConfig::parse_text("/etc/ssh/sshd_config", &text);
        let effective = SshdConfig::from_effective("/run/x", &text);
        // Every directive keeps its line number inside the text.
        let lines = text.lines().count();
        for d in parsed.global.iter().chain(parsed.matches.iter().flat_map(|m| m.directives.iter())) {
            prop_assert!(d.line >= 1 && d.line <= lines);
            prop_assert_eq!(d.keyword.clone(), d.keyword.to_ascii_lowercase());
        }
        prop_assert!(effective.matches.is_empty());
    }

    #[test]
    fn sshd_first_value_wins_whatever_follows(rest in sshd_text()) {
        let text = format!("PermitRootLogin no\n{rest}");
        let parsed = SshdConfig::parse_text("/etc/ssh/sshd_config", &text);
        let first = parsed.first("permitrootlogin").map(|d| d.value());
        prop_assert_eq!(first.as_deref(), Some("no"));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn include_resolution_never_panics_or_loops(main in sshd_text(), dropin in sshd_text()) {
        let mut host = MemoryHost::new();
        host.insert("/etc/ssh/sshd_config", format!("Include /etc/ssh/sshd_config.d/*.conf\n{main}"));
        host.insert("/etc/ssh/sshd_config.d/10-a.conf", format!("Include /etc/ssh/sshd_config\n{dropin}"));
        let loaded = SshdConfig::load(&host, "/etc/ssh/sshd_config");
        prop_assert!(loaded.is_ok());
    }

    #[test]
    fn other_parsers_never_panic(text in any::<String>(), lines in prop::collection::vec("[ -~{}\"#]{0,40}", 0..20)) {
        let joined = lines.join("\n");
        for input in [&text, &joined] {
            let _ = Caddyfile::parse(input).map(|f| f.sites());
            let _ = UfwState::from_status(input);
            let _ = UfwState::from_script(input);
            let _ = UfwState::from_files(input, Some(input), &[input]);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arbitrary_host_files_never_pass_silently(sshd in sshd_text(), json in any::<String>(), compose in any::<String>()) {
        let mut host = MemoryHost::new();
        host.insert("/etc/ssh/sshd_config", sshd.clone());
        host.insert("/etc/docker/daemon.json", json);
        host.insert("/opt/app/docker-compose.yml", compose);
        let report = audit::audit(&host);
        prop_assert_eq!(report.findings.len(), audit::CHECKS.len());
        if report.finding("ssh.root-login").map(|f| f.status) == Some(Status::Pass) {
            prop_assert!(sshd.to_ascii_lowercase().contains("permitrootlogin"));
        }
        prop_assert_ne!(report.finding("docker.daemon").map(|f| f.status), Some(Status::Unknown));
    }
}
