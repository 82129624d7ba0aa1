//! Adversarial input never adds an sshd directive, a principals line or an ssh_config option:
//! it is either rejected with an error naming the field, or stays inside its token.
#![allow(clippy::unwrap_used)] // shared test functions unwrap, like the tests themselves

use hardening_model::sshd::{
    AdminSshConfig, CaPublicKey, CertAuthority, ClientPath, HostName, HostPattern, Principal,
    SshCrypto, SshTarget, SshdPolicy,
};
use hardening_model::values::{AbsPath, Port, UnixGroup, UnixUser};
use proptest::prelude::*;

const BLOB: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIAIM7FEzqxm1cR/Y3nAPSzu0406Vns0qxAyrWw7irUDP";

/// Strings built to break out of a token: line breaks, spaces, quotes, directives.
fn adversarial() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,24}",
        any::<String>(),
        "[a-z_][a-z0-9_-]{0,12}",
        (
            "[a-z]{1,8}",
            "[\n\r\t \u{0}\u{b}\u{c}\u{85}\u{2028},#\"'\\\\]",
            "(PermitRootLogin yes|Match all|PasswordAuthentication yes|AllowUsers root)"
        )
            .prop_map(|(a, sep, b)| format!("{a}{sep}{b}")),
    ]
}

/// (keyword, value) of every non-comment line of an sshd fragment.
fn directives(content: &str) -> Vec<(String, String)> {
    content
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let (k, v) = l.split_once(' ').unwrap_or((l, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

fn base() -> SshdPolicy {
    SshdPolicy::new(Port::new(2222).unwrap())
}

fn expected_keywords() -> Vec<String> {
    base()
        .allow_user(UnixUser::new("a").unwrap())
        .allow_group(UnixGroup::new("g").unwrap())
        .banner(AbsPath::new("/etc/issue.net").unwrap())
        .directives()
        .unwrap()
        .into_iter()
        .map(|(k, _)| k.to_owned())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn users_and_groups_stay_in_their_token(user in adversarial(), group in adversarial()) {
        let policy = base()
            .with_allow_users(["deploy", user.as_str()])
            .and_then(|p| p.with_allow_groups([group.as_str()]));
        match policy {
            Err(e) => prop_assert!(
                e.field() == "sshd.allow_users[1]" || e.field() == "sshd.allow_groups[0]",
                "{}", e.field()
            ),
            Ok(p) => {
                let text = p.render().unwrap().content;
                let d = directives(&text);
                let keys: Vec<String> = d.iter().map(|(k, _)| k.clone()).collect();
                let expected: Vec<String> = expected_keywords().into_iter().filter(|k| k != "Banner").collect();
                prop_assert_eq!(keys, expected);
                let users = d.iter().find(|(k, _)| k == "AllowUsers").unwrap();
                let want = if user == "deploy" { "deploy".to_owned() } else { format!("deploy {user}") };
                prop_assert_eq!(&users.1, &want);
                prop_assert!(d.iter().any(|(k, v)| k == "AllowGroups" && *v == group));
            }
        }
    }

    #[test]
    fn banner_paths_stay_in_their_token(path in prop_oneof![adversarial(), "/[a-z./ \n-]{0,20}"]) {
        match AbsPath::new(path.clone()) {
            Err(e) => prop_assert_eq!(e.field(), "path"),
            Ok(p) => {
                let text = base().banner(p).render().unwrap().content;
                let d = directives(&text);
                prop_assert_eq!(d.last().unwrap(), &("Banner".to_owned(), path));
                prop_assert_eq!(d.len(), base().directives().unwrap().len() + 1);
            }
        }
    }

    #[test]
    fn principals_and_ca_comments_stay_on_one_line(principal in adversarial(), comment in adversarial()) {
        let key = CaPublicKey::parse(&format!("ssh-ed25519 {BLOB} {comment}"));
        let principal = Principal::new(principal.clone()).map(|p| (p, principal));
        match (key, principal) {
            (Err(e), _) => prop_assert!(e.field().starts_with("ca_public_key"), "{}", e.field()),
            (_, Err(e)) => prop_assert_eq!(e.field(), "principal"),
            (Ok(key), Ok((p, raw))) => {
                let ca = CertAuthority::new(key).allow(UnixUser::new("ops").unwrap(), [p]);
                let files = base().allow_user(UnixUser::new("ops").unwrap()).cert_authority(ca).files().unwrap();
                let ca_file = files.iter().find(|f| f.path.ends_with("trusted_user_ca_keys.pub")).unwrap();
                prop_assert_eq!(ca_file.content.lines().count(), 1);
                let prefix = format!("ssh-ed25519 {BLOB}");
                prop_assert!(ca_file.content.starts_with(&prefix));
                let principals = files.iter().find(|f| f.path.ends_with("/ops")).unwrap();
                prop_assert_eq!(&principals.content, &format!("{raw}\n"));
                prop_assert!(!raw.starts_with('#') && !raw.contains(char::is_whitespace));
            }
        }
    }

    #[test]
    fn admin_ssh_config_options_stay_in_their_token(
        pattern in adversarial(),
        key in prop_oneof![adversarial(), "~/[a-z./ \n-]{0,16}"],
        user in adversarial(),
    ) {
        let parsed = (HostPattern::new(pattern.clone()), ClientPath::new(key.clone()), UnixUser::new(user.clone()));
        let (Ok(pattern), Ok(key), Ok(user)) = parsed else {
            let fields: Vec<String> = [
                HostPattern::new(pattern).err(),
                ClientPath::new(key).err(),
                UnixUser::new(user).err(),
            ].into_iter().flatten().map(|e| e.field().to_owned()).collect();
            prop_assert!(!fields.is_empty());
            prop_assert!(fields.iter().all(|f| ["host_pattern", "identity_file", "user"].contains(&f.as_str())));
            return Ok(());
        };
        let bastion = SshTarget {
            pattern: HostPattern::new("bastion").unwrap(),
            host_name: Some(HostName::Ip("192.0.2.1".parse().unwrap())),
            user: UnixUser::new("admin").unwrap(),
            port: Port::new(2222).unwrap(),
            identity_file: ClientPath::new("~/.ssh/admin").unwrap(),
            certificate_file: None,
        };
        let fleet = SshTarget {
            pattern,
            host_name: None,
            user,
            port: Port::new(2222).unwrap(),
            identity_file: key,
            certificate_file: None,
        };
        let Ok(text) = AdminSshConfig::new(bastion, SshCrypto::baseline(true)).through_bastion(fleet).render() else {
            return Ok(()); // the pattern equals "bastion": rejected as a duplicate
        };
        let hosts = text.lines().filter(|l| l.starts_with("Host ")).count();
        prop_assert_eq!(hosts, 2);
        for line in text.lines().filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("Host ")) {
            let rest = line.strip_prefix("    ").unwrap();
            prop_assert_eq!(rest.split(' ').count(), 2, "{}", line);
        }
    }

    #[test]
    fn ca_key_lines_are_one_valid_key_or_rejected(
        ty in prop_oneof![Just("ssh-ed25519".to_owned()), Just("ssh-rsa".to_owned()), adversarial()],
        blob in prop_oneof![Just(BLOB.to_owned()), "[A-Za-z0-9+/=]{0,80}", adversarial()],
        tail in prop_oneof![Just(String::new()), adversarial().prop_map(|c| format!(" {c}"))],
    ) {
        let line = format!("{ty} {blob}{tail}");
        match CaPublicKey::parse(&line) {
            Err(e) => prop_assert!(e.field().starts_with("ca_public_key"), "{}", e.field()),
            Ok(key) => {
                prop_assert_eq!(key.to_line(), line.clone());
                prop_assert!(!line.contains(|c: char| c.is_control()));
                prop_assert_eq!(key.key_type(), "ssh-ed25519");
                prop_assert_eq!(blob, BLOB);
            }
        }
    }
}
