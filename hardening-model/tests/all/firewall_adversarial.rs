//! Adversarial descriptions never add a ufw command, shell line, nft statement or iptables
//! command: either the policy is rejected with a typed error naming the description field, or
//! every rendering has exactly the shape it has with a plain description.

#![allow(clippy::unwrap_used)] // tests may unwrap

use hardening_model::Problem;
use hardening_model::firewall::{FirewallPolicy, Rule, SshAccess};
use hardening_model::values::Port;
use proptest::prelude::*;

fn policy(text: &str) -> Result<FirewallPolicy, hardening_model::Error> {
    FirewallPolicy::builder(
        SshAccess::new(Port::new(2222).unwrap()).from(["198.51.100.0/24".parse().unwrap()]),
    )
    .inbound(
        Rule::tcp(443)
            .peers([
                "173.245.48.0/20".parse().unwrap(),
                "2400:cb00::/32".parse().unwrap(),
            ])
            .describe(text),
    )
    .inbound(Rule::icmp().describe("ping"))
    .outbound(Rule::udp(53).describe(text))
    .build()
}

/// Splits one rendered script line into words the way POSIX `sh` does for our quoting:
/// single-quoted runs, backslash escapes and literal characters, separated by spaces.
/// Returns `None` when the line holds anything else the shell would treat specially.
fn sh_words(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        x => cur.push(x),
                    }
                }
            }
            '\\' => {
                in_word = true;
                cur.push(chars.next()?);
            }
            ' ' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c if c.is_ascii_alphanumeric() || "-_./:,+@%".contains(c) => {
                in_word = true;
                cur.push(c);
            }
            _ => return None,
        }
    }
    if in_word {
        words.push(cur);
    }
    Some(words)
}

/// The lines of a script that run commands (no comments, no shebang).
fn command_lines(script: &str) -> Vec<&str> {
    script
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect()
}

/// Counts nft statement structure outside double-quoted strings: lines, braces, semicolons.
fn nft_shape(conf: &str) -> (usize, usize, usize, usize) {
    let (mut open, mut close, mut semi, mut quoted) = (0, 0, 0, false);
    for c in conf.chars() {
        match c {
            '"' => quoted = !quoted,
            '{' if !quoted => open += 1,
            '}' if !quoted => close += 1,
            ';' if !quoted => semi += 1,
            _ => {}
        }
    }
    assert!(!quoted, "unbalanced quotes");
    (conf.lines().count(), open, close, semi)
}

fn check_script(script: &str, commands: &[Vec<String>], reference: &str) {
    let lines = command_lines(script);
    assert_eq!(lines.len(), command_lines(reference).len());
    // The last lines are exactly the commands, each one shell word per argument.
    let tail = &lines[lines.len() - commands.len()..];
    for (line, argv) in tail.iter().zip(commands) {
        assert_eq!(sh_words(line).as_ref(), Some(argv), "{line}");
    }
}

fn check(text: &str) -> Result<(), TestCaseError> {
    let reference = policy("plain description").unwrap();
    match policy(text) {
        Err(err) => {
            prop_assert!(
                err.field() == "firewall.inbound[0].description",
                "unexpected field {}",
                err.field()
            );
            let typed = matches!(
                err.problem(),
                Problem::Empty | Problem::TooLong { .. } | Problem::ForbiddenChar { .. }
            );
            prop_assert!(typed);
            // The error never repeats the value.
            if text.chars().count() > 8 {
                prop_assert!(!err.to_string().contains(text));
            }
        }
        Ok(p) => {
            // ufw: same number of commands, same argv length, the text is one argument.
            let (ufw, ufw_ref) = (p.ufw_commands(), reference.ufw_commands());
            prop_assert_eq!(ufw.len(), ufw_ref.len());
            for (a, b) in ufw.iter().zip(&ufw_ref) {
                prop_assert_eq!(a.len(), b.len());
            }
            prop_assert!(
                ufw.iter()
                    .any(|c| c.last().map(String::as_str) == Some(text))
            );
            check_script(
                &p.ufw_script().content,
                &ufw,
                &reference.ufw_script().content,
            );

            // DOCKER-USER: same shape.
            let (du, du_ref) = (p.docker_user_commands(), reference.docker_user_commands());
            prop_assert_eq!(du.len(), du_ref.len());
            for (a, b) in du.iter().zip(&du_ref) {
                prop_assert_eq!(a.len(), b.len());
            }
            check_script(
                &p.docker_user_script().content,
                &du,
                &reference.docker_user_script().content,
            );

            // nftables: same lines, braces and semicolons outside strings.
            prop_assert_eq!(
                nft_shape(&p.nftables_conf().content),
                nft_shape(&reference.nftables_conf().content)
            );

            // Hetzner: same rule count, description kept whole.
            let h = p.hetzner_rules().unwrap();
            prop_assert_eq!(h.len(), reference.hetzner_rules().unwrap().len());
            prop_assert!(h.iter().any(|r| r.description.as_deref() == Some(text)));
        }
    }
    Ok(())
}

fn adversarial() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-zA-Z0-9 ,.:/+=-]{0,12}",
        Just("\n".to_owned()),
        Just("\r".to_owned()),
        Just("\0".to_owned()),
        Just("'".to_owned()),
        Just("\"".to_owned()),
        Just(";".to_owned()),
        Just("$(reboot)".to_owned()),
        Just("`id`".to_owned()),
        Just("}".to_owned()),
        Just("{".to_owned()),
        Just("#".to_owned()),
        Just("\\".to_owned()),
        Just("&&".to_owned()),
        Just("|".to_owned()),
        Just("\u{2028}".to_owned()),
        Just("\t".to_owned()),
        Just("\ncomment \"x\"; flush ruleset\n".to_owned()),
        Just("' ; ufw disable ; '".to_owned()),
        Just(" -j ACCEPT".to_owned()),
        "\\PC{0,8}",
    ];
    prop::collection::vec(piece, 0..6).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn adversarial_descriptions_stay_inside_their_token(text in adversarial()) {
        check(&text)?;
    }

    #[test]
    fn arbitrary_printable_descriptions(text in "\\PC{0,300}") {
        check(&text)?;
    }
}

/// An adversarial interface name is rejected, or changes neither the nft structure nor the
/// number of words in any DOCKER-USER command.
fn check_interface(name: &str) -> Result<(), TestCaseError> {
    let build = |iface: &str| {
        FirewallPolicy::builder(SshAccess::new(Port::new(2222).unwrap()))
            .outbound(Rule::udp(53))
            .public_interface(iface)
            .build()
    };
    let reference = build("eth0").unwrap();
    match build(name) {
        Err(err) => prop_assert_eq!(err.field(), "firewall.public_interface"),
        Ok(p) => {
            prop_assert_eq!(
                nft_shape(&p.nftables_conf().content),
                nft_shape(&reference.nftables_conf().content)
            );
            let (du, du_ref) = (p.docker_user_commands(), reference.docker_user_commands());
            prop_assert_eq!(du.len(), du_ref.len());
            for (a, b) in du.iter().zip(&du_ref) {
                prop_assert_eq!(a.len(), b.len());
            }
            check_script(
                &p.docker_user_script().content,
                &du,
                &reference.docker_user_script().content,
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn adversarial_interface_names(name in adversarial()) {
        check_interface(&name)?;
    }
}

#[test]
fn known_attacks_are_rejected_by_field() {
    for text in [
        "HTTPS\nufw disable",
        "x'; reboot; '",
        "a\"; flush ruleset; \"",
        "} chain evil {",
        "$(curl evil)",
        "nul\0byte",
        "",
    ] {
        let err = policy(text).unwrap_err();
        assert_eq!(err.field(), "firewall.inbound[0].description", "{text:?}");
    }
}

#[test]
fn unicode_and_punctuation_render_inside_one_token() {
    check("Zugriff für Admins, Büro: 10.0.0.0/8 + VPN").unwrap();
}
