//! Every validator accepts a known-good sample and rejects a known-bad one, so a harness that
//! always passed (or always failed) would fail here.

use std::path::PathBuf;

fn spec(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("spec")
        .join(name)
}

const GOOD_SSHD: &str = "\
PermitRootLogin no
PasswordAuthentication no
KbdInteractiveAuthentication no
LogLevel VERBOSE
HostKeyAlgorithms ssh-ed25519
KexAlgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org
Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com
MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com
";

#[test]
fn sshd_accepts_a_hardened_fragment_and_rejects_bad_values() {
    let Some(sshd) = hardening_validators::sshd() else {
        return;
    };
    sshd.check(GOOD_SSHD).unwrap();
    let bad = sshd.check("PermitRootLogin maybe\n").unwrap_err();
    assert_eq!(bad.status, Some(255), "{bad}");
    assert!(bad.output().contains("maybe"), "{bad}");
    let unknown = sshd
        .check("PermitRootLogin no\nNoSuchKeyword yes\n")
        .unwrap_err();
    assert!(unknown.output().contains("NoSuchKeyword"), "{unknown}");
    // An algorithm newer than the installed OpenSSH is refused, not ignored.
    assert!(
        sshd.check("KexAlgorithms no-such-kex@example.org\n")
            .is_err()
    );
}

#[test]
fn sshd_effective_config_reflects_the_input() {
    let Some(sshd) = hardening_validators::sshd() else {
        return;
    };
    let effective = sshd.effective(GOOD_SSHD).unwrap();
    assert!(
        effective.lines().any(|l| l == "permitrootlogin no"),
        "{effective}"
    );
    assert!(
        effective.lines().any(|l| l == "loglevel VERBOSE"),
        "{effective}"
    );
    let default = sshd.effective("LogLevel INFO\n").unwrap();
    assert!(default.lines().any(|l| l == "loglevel INFO"), "{default}");
    assert!(sshd.effective("LogLevel LOUD\n").is_err());
}

#[test]
fn ssh_audit_passes_the_hardened_server_and_fails_a_weak_one() {
    let Some(audit) = hardening_validators::ssh_audit() else {
        return;
    };
    let policy = hardening_validators::project_ssh_audit_policy();
    assert!(policy.is_file(), "{}", policy.display());
    let report = audit.audit(GOOD_SSHD, &policy).unwrap();
    assert!(report.contains("Passed"), "{report}");

    let weak = "\
KexAlgorithms diffie-hellman-group14-sha1,curve25519-sha256
Ciphers aes128-cbc,aes256-ctr
MACs hmac-sha1,hmac-sha2-256
";
    let failed = audit.audit(weak, &policy).unwrap_err();
    assert_eq!(failed.status, Some(3), "{failed}");
    assert!(failed.stdout.contains("Failed"), "{failed}");
}

#[test]
fn caddy_accepts_a_site_and_rejects_an_unknown_directive() {
    let Some(caddy) = hardening_validators::caddy() else {
        return;
    };
    let good = "\
{
\tadmin off
\tservers {
\t\tprotocols h1 h2
\t}
}

:18080 {
\theader Strict-Transport-Security \"max-age=31536000\"
\trespond \"ok\"
}
";
    caddy.check(good).unwrap();
    let bad = good.replace("respond \"ok\"", "no_such_directive on");
    let rejected = caddy.check(&bad).unwrap_err();
    assert!(
        rejected.output().contains("no_such_directive"),
        "{rejected}"
    );
    assert!(caddy.check(&good.replace("h1 h2", "h1 h4")).is_err());
}

#[test]
fn nft_accepts_a_ruleset_and_rejects_a_bad_policy() {
    let Some(nft) = hardening_validators::nft() else {
        return;
    };
    let good = "\
table inet filter {
\tset ssh_meter {
\t\ttype ipv4_addr
\t\tflags dynamic
\t\ttimeout 1m
\t}
\tchain input {
\t\ttype filter hook input priority 0; policy drop;
\t\tct state established,related accept
\t\ttcp dport 22 ct state new add @ssh_meter { ip saddr limit rate 6/minute } accept
\t}
}
";
    nft.check(good).unwrap();
    assert!(
        nft.check(&good.replace("policy drop", "policy maybe"))
            .is_err()
    );
    // A kernel-side error: nat chains cannot hook forward.
    let kernel = "table ip t {\n\tchain c {\n\t\ttype nat hook forward priority 0;\n\t}\n}\n";
    assert!(nft.check(kernel).is_err());
}

#[test]
fn ufw_dry_run_accepts_a_rule_and_rejects_a_bad_port() {
    let Some(ufw) = hardening_validators::ufw() else {
        return;
    };
    let printed = ufw.dry_run(&["allow", "443/tcp"]).unwrap();
    assert!(printed.contains("443"), "{printed}");
    ufw.dry_run(&[
        "limit",
        "proto",
        "tcp",
        "from",
        "2001:db8::/32",
        "to",
        "any",
        "port",
        "2222",
    ])
    .unwrap();
    assert!(ufw.dry_run(&["allow", "99999/tcp"]).is_err());
    assert!(ufw.dry_run(&["allow", "from", "10.0.0.0/33"]).is_err());
}

#[test]
fn compose_accepts_a_service_and_rejects_a_misspelt_key() {
    let Some(compose) = hardening_validators::compose() else {
        return;
    };
    let good = "\
name: app
services:
  web:
    image: nginx@sha256:0000000000000000000000000000000000000000000000000000000000000000
    read_only: true
    cap_drop: [ALL]
    security_opt: [\"no-new-privileges:true\"]
    networks: [backend]
networks:
  backend:
    internal: true
";
    compose.check(good).unwrap();
    let rejected = compose
        .check(&good.replace("cap_drop", "cap_dorp"))
        .unwrap_err();
    assert!(rejected.output().contains("cap_dorp"), "{rejected}");
    assert!(
        compose
            .check(&good.replace("[backend]", "[nowhere]"))
            .is_err()
    );
}

#[test]
fn promtool_accepts_rules_and_rejects_a_bad_duration() {
    let Some(promtool) = hardening_validators::promtool() else {
        return;
    };
    let good = "\
groups:
  - name: host
    rules:
      - alert: DiskFull
        expr: node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.1
        for: 5m
        labels:
          severity: critical
";
    promtool.check_rules(good).unwrap();
    assert!(
        promtool
            .check_rules(&good.replace("for: 5m", "for: 5x"))
            .is_err()
    );
    assert!(
        promtool
            .check_rules(&good.replace("< 0.1", "<< 0.1"))
            .is_err()
    );
}

#[test]
fn scmp_sys_resolver_reads_the_number() {
    let Some(resolver) = hardening_validators::scmp_sys_resolver() else {
        return;
    };
    assert_eq!(resolver.resolve("x86_64", "accept4"), 288);
    assert_eq!(resolver.resolve("x86_64", "newfstatat"), 262);
    assert_eq!(resolver.resolve("x86_64", "no_such_syscall"), -1);
    assert!(
        resolver.resolve("x86_64", "send") < -1,
        "send is a pseudo-syscall on x86_64"
    );
    assert!(
        resolver.resolve("aarch64", "open") < -1,
        "open is not native on aarch64"
    );
}

#[test]
fn check_jsonschema_accepts_a_valid_document_and_rejects_an_unknown_key() {
    let Some(checker) = hardening_validators::check_jsonschema() else {
        return;
    };
    let schema = spec("small-schema.json");
    checker
        .check(
            &schema,
            "#cloud-config\nhostname: web-1\npackages: [curl]\n",
        )
        .unwrap();
    let rejected = checker
        .check(&schema, "#cloud-config\nhostname: web-1\nbogus_key: 1\n")
        .unwrap_err();
    assert!(rejected.output().contains("bogus_key"), "{rejected}");
    assert!(checker.check(&schema, "hostname: 5\n").is_err());
    // Duplicate keys are refused too.
    assert!(
        checker
            .check(&schema, "hostname: a\nhostname: b\n")
            .is_err()
    );
}

#[test]
fn cloud_init_accepts_cloud_config_and_rejects_a_wrong_type() {
    let Some(cloud_init) = hardening_validators::cloud_init() else {
        return;
    };
    cloud_init
        .check("#cloud-config\npackages: [curl]\nruncmd:\n  - [systemctl, restart, ssh]\n")
        .unwrap();
    assert!(cloud_init.check("#cloud-config\npackages: 5\n").is_err());
    assert!(
        cloud_init.check("packages: [curl]\n").is_err(),
        "missing #cloud-config header"
    );
}

#[test]
fn rejection_displays_command_status_and_output() {
    let Some(promtool) = hardening_validators::promtool() else {
        return;
    };
    let rejected = promtool.check_rules("groups: 5\n").unwrap_err();
    let shown = rejected.to_string();
    assert!(shown.contains("promtool check rules"), "{shown}");
    assert!(shown.contains("exit status 1"), "{shown}");
    assert!(shown.contains("--- std"), "{shown}");
}

const FALCO_RULES: &str = r#"- list: shells
  items: [bash, sh, dash]
- macro: app_container
  condition: container and container.name startswith "app"
- rule: Shell spawned in app container
  desc: Shell in an app container
  condition: spawned_process and app_container and proc.name in (shells)
  output: "Shell spawned (user=%user.name command=%proc.cmdline container=%container.name)"
  priority: WARNING
  tags: [container, shell, mitre_execution]
- rule: Terminal shell in container
  enabled: false
"#;

#[test]
fn falco_rules_schema_accepts_rules_and_rejects_misspelt_or_missing_fields() {
    let Some(checker) = hardening_validators::check_jsonschema() else {
        return;
    };
    let schema = hardening_validators::falco_rules_schema();
    checker.check(&schema, FALCO_RULES).unwrap();
    for (what, bad) in [
        ("misspelt key", FALCO_RULES.replace("  condition: spawned", "  conditon: spawned")),
        ("unknown priority", FALCO_RULES.replace("priority: WARNING", "priority: SEVERE")),
        ("missing output", FALCO_RULES.replace("  output: \"Shell spawned (user=%user.name command=%proc.cmdline container=%container.name)\"\n", "")),
        ("list without items", FALCO_RULES.replace("  items: [bash, sh, dash]\n", "")),
        ("not YAML", FALCO_RULES.replace("tags: [container,", "tags: [container,,\n  ]]")),
    ] {
        assert_ne!(bad, FALCO_RULES, "{what}: the replacement did not apply");
        assert!(checker.check(&schema, &bad).is_err(), "{what} accepted");
    }
}

const WAZUH_BLOCK: &str = r#"<!-- merged after the package defaults -->
<ossec_config>
  <client>
    <server>
      <address>wazuh.example.com</address>
      <port>1514</port>
      <protocol>tcp</protocol>
    </server>
    <enrollment>
      <enabled>yes</enabled>
      <manager_address>wazuh.example.com</manager_address>
      <port>1515</port>
      <groups>fleet</groups>
    </enrollment>
  </client>
  <syscheck>
    <frequency>3600</frequency>
    <directories check_all="yes" realtime="yes">/srv/app</directories>
    <ignore type="sregex">.log$</ignore>
  </syscheck>
  <localfile>
    <log_format>audit</log_format>
    <location>/var/log/audit/audit.log</location>
  </localfile>
</ossec_config>
"#;

#[test]
fn xmllint_accepts_the_wazuh_block_and_rejects_broken_xml_or_schema() {
    let Some(xmllint) = hardening_validators::xmllint() else {
        return;
    };
    let schema = hardening_validators::wazuh_agent_schema();
    xmllint.check(WAZUH_BLOCK).unwrap();
    xmllint.check_schema(&schema, WAZUH_BLOCK).unwrap();
    let unclosed = WAZUH_BLOCK.replace("</syscheck>", "");
    assert!(
        xmllint.check(&unclosed).is_err(),
        "unclosed element accepted"
    );
    for (what, bad) in [
        (
            "unknown log format",
            WAZUH_BLOCK.replace(">audit<", ">auditd<"),
        ),
        (
            "misspelt section",
            WAZUH_BLOCK.replace("syscheck>", "syschek>"),
        ),
        (
            "port out of range",
            WAZUH_BLOCK.replace(">1514<", ">70000<"),
        ),
        (
            "relative directory",
            WAZUH_BLOCK.replace(">/srv/app<", ">srv/app<"),
        ),
        (
            "bad yes/no",
            WAZUH_BLOCK.replace("realtime=\"yes\"", "realtime=\"true\""),
        ),
    ] {
        assert_ne!(bad, WAZUH_BLOCK, "{what}: the replacement did not apply");
        let rejection = xmllint.check_schema(&schema, &bad).unwrap_err();
        assert!(
            rejection.output().contains("fails to validate"),
            "{what}: {rejection}"
        );
    }
}

#[test]
fn apparmor_parser_accepts_a_profile_and_rejects_a_bad_capability() {
    let Some(parser) = hardening_validators::apparmor_parser() else {
        return;
    };
    let good = "abi <abi/4.0>,\n#include <tunables/global>\nprofile t {\n  #include <abstractions/base>\n  userns,\n  /srv/** rw,\n}\n";
    parser.check(good).unwrap();
    let bad = parser
        .check(&good.replace("userns,", "capability not_a_cap,"))
        .unwrap_err();
    assert!(bad.output().contains("not_a_cap"), "{bad}");
}
