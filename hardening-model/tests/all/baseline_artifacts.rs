//! The baseline's named artifacts (what `render-artifacts` writes), each passed to the real tool
//! that consumes it.

use hardening_model::presets::baseline::{Artifact, Baseline, BaselineParams};

fn baseline() -> Baseline {
    let params = BaselineParams::example().expect("example parameters are valid");
    Baseline::new(&params).expect("the baseline builds")
}

fn artifacts() -> Vec<Artifact> {
    baseline().artifacts().expect("every artifact renders")
}

fn content(name: &str) -> String {
    artifacts()
        .into_iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("no artifact named {name}"))
        .file
        .content
}

#[test]
fn sshd_config_passes_sshd_t_and_ssh_audit() {
    let config = content("sshd_config");
    if let Some(sshd) = hardening_validators::sshd() {
        sshd.check(&config).unwrap();
    }
    if let Some(audit) = hardening_validators::ssh_audit() {
        let policy = hardening_validators::project_ssh_audit_policy();
        audit.audit(&config, &policy).unwrap();
    }
}

#[test]
fn caddyfile_passes_caddy_validate() {
    let Some(caddy) = hardening_validators::caddy() else {
        return;
    };
    caddy.check(&content("Caddyfile")).unwrap();
}

#[test]
fn nftables_conf_passes_nft_check() {
    let Some(nft) = hardening_validators::nft() else {
        return;
    };
    nft.check(&content("nftables.conf")).unwrap();
}

#[test]
fn every_ufw_rule_command_passes_dry_run() {
    let Some(ufw) = hardening_validators::ufw() else {
        return;
    };
    let commands = baseline().firewall.ufw_rule_commands();
    assert!(!commands.is_empty());
    for argv in commands {
        assert_eq!(argv[0], "ufw");
        let args: Vec<&str> = argv[1..].iter().map(String::as_str).collect();
        ufw.dry_run(&args)
            .unwrap_or_else(|e| panic!("ufw {args:?} rejected: {e}"));
    }
}

#[test]
fn compose_files_pass_docker_compose_config() {
    let Some(compose) = hardening_validators::compose() else {
        return;
    };
    compose.check(&content("docker-compose.yml")).unwrap();
}

#[test]
fn alert_rules_pass_promtool() {
    let Some(promtool) = hardening_validators::promtool() else {
        return;
    };
    promtool.check_rules(&content("alerts.rules.yml")).unwrap();
}

#[test]
fn every_seccomp_syscall_resolves_on_x86_64() {
    let profile: serde_json::Value = serde_json::from_str(&content("seccomp.json")).unwrap();
    let names: Vec<String> = profile["syscalls"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|rule| rule["names"].as_array().unwrap().iter())
        .map(|n| n.as_str().unwrap().to_owned())
        .collect();
    assert!(names.len() > 100, "only {} syscalls", names.len());
    let Some(resolver) = hardening_validators::scmp_sys_resolver() else {
        return;
    };
    let unknown: Vec<&String> = names
        .iter()
        .filter(|n| resolver.resolve("x86_64", n) < 0)
        .collect();
    assert!(unknown.is_empty(), "not native on x86_64: {unknown:?}");
}

#[test]
fn daemon_json_is_one_json_object() {
    let value: serde_json::Value = serde_json::from_str(&content("daemon.json")).unwrap();
    assert_eq!(value["icc"], false);
    assert_eq!(value["no-new-privileges"], true);
}

#[test]
fn artifact_names_are_unique_and_files_are_root_owned() {
    let artifacts = artifacts();
    let mut names: Vec<_> = artifacts.iter().map(|a| a.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), artifacts.len());
    for a in artifacts.iter().filter(|a| a.name != "ssh_config") {
        assert!(a.file.path.starts_with('/'), "{}: {}", a.name, a.file.path);
        assert_eq!(a.file.owner, "root:root", "{}", a.name);
        assert!(!a.file.content.is_empty(), "{} is empty", a.name);
    }
}
