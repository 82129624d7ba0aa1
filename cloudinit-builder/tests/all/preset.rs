//! The HardenedHost preset: budget, ordering, secrets, schema and the real validators on every
//! file it writes.

use cloudinit_builder::preset::*;
use cloudinit_builder::*;
use hardening_model::presets::stack;

use crate::fixtures::{self, Choices, FULL, extract_files, runcmd};
use crate::support;

pub(crate) fn position(cmds: &[String], needle: &str) -> usize {
    cmds.iter()
        .position(|c| c.contains(needle))
        .unwrap_or_else(|| panic!("no runcmd entry contains {needle:?}: {cmds:#?}"))
}

#[test]
fn full_preset_fits_the_hetzner_budget() {
    let out = fixtures::host(FULL).render().unwrap();
    eprintln!(
        "full preset: {} bytes of {} (compressed: {:?})",
        out.len(),
        HETZNER_USER_DATA_LIMIT,
        out.compressed_files()
    );
    assert!(out.len() <= HETZNER_USER_DATA_LIMIT, "{} bytes", out.len());
    // The per-file floor: every compressible file compressed one by one. One gzip over the
    // whole document (what the preset sends) beats it: files share words and address lists.
    let floor = match fixtures::host(FULL)
        .cloud_config()
        .unwrap()
        .render_within(0)
    {
        Err(Error::TooLarge(o)) => o.size,
        other => panic!("{other:?}"),
    };
    eprintln!("full preset, per-file compression floor: {floor} bytes");
    assert!(out.len() < floor, "{} vs {floor}", out.len());
}

#[test]
fn ordering_is_encoded() {
    let out = fixtures::host(FULL).render().unwrap();
    let cmds = runcmd(out.as_str());
    let sshd = position(&cmds, SSHD_APPLY_SCRIPT);
    let ufw = position(&cmds, "/usr/local/sbin/hardening-ufw.sh");
    let nft = position(&cmds, "systemctl restart nftables.service");
    let docker_user = position(&cmds, "systemctl enable hardening-docker-user.service");
    let docker = position(
        &cmds,
        "apt-get install -y --no-install-recommends docker.io",
    );
    let stack = position(&cmds, "up -d --wait");
    let apparmor = position(&cmds, "apparmor_parser -r -W /etc/apparmor.d/docker-app");
    let sysctl = position(&cmds, "sysctl --system");
    let mounts = position(&cmds, "tmp.mount");
    let audit = position(&cmds, "augenrules --load");
    let falco = position(&cmds, "falco-modern-bpf.service");
    let backups = position(&cmds, "hardened-backup.timer");
    let ready = position(&cmds, READY_SCRIPT);
    // sshd moves before the firewall closes everything but its new port.
    assert!(sshd < ufw);
    // The whole firewall, container rules included, is in place before Docker exists.
    assert!(ufw < docker && nft < docker && docker_user < docker);
    assert!(docker < apparmor && apparmor < stack && stack < falco && falco < backups);
    assert!(sysctl < sshd);
    // noexec /tmp only after the last package installation; audit rules (immutable) last.
    let last_install = cmds
        .iter()
        .rposition(|c| c.contains("apt-get install"))
        .unwrap();
    assert!(mounts > last_install && audit > last_install);
    assert!(audit > mounts && audit < ready);
    assert_eq!(ready, cmds.len() - 1, "the ready callback runs last");
    // Docker is never installed by the package stage (that would start it before runcmd).
    let doc = support::parse(out.as_str());
    let packages: Vec<&str> = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(!packages.contains(&"docker.io"), "{packages:?}");
    assert!(!packages.iter().any(|p| p.contains("iptables-persistent")));
    // Inside the sshd step: validation (removing the files sshd rejects), then the restart.
    let files = extract_files(out.as_str());
    let script = files[SSHD_APPLY_SCRIPT].text();
    let check = script.find("if ! sshd -t; then").unwrap();
    let reload = script.find("systemctl daemon-reload").unwrap();
    let restart = script.rfind("systemctl restart ssh.socket").unwrap();
    assert!(check < reload && reload < restart);
    assert!(script[check..reload].contains("rm -f /etc/ssh/sshd_config.d/10-hardening.conf"));
    // sshd is hardened before it first listens: cloud-init writes the live files itself (in
    // its init stage, which systemd orders before sshd).
    assert!(files.contains_key("/etc/ssh/sshd_config.d/10-hardening.conf"));
    assert!(files.contains_key("/etc/systemd/system/ssh.socket.d/listen.conf"));
}

#[test]
fn stages_sort_commands_whatever_the_slot_order() {
    // A custom part (sorted after every built-in slot) adding a kernel step still runs in the
    // kernel stage: after the sysctl part's kernel steps, before sshd and everything later.
    let host = fixtures::host(FULL).set(
        RenderedPart::new(Slot::Custom("zz".into()))
            .command(Stage::Kernel, ["echo", "custom-kernel-step"])
            .unwrap(),
    );
    let cmds = runcmd(host.render().unwrap().as_str());
    let custom = position(&cmds, "custom-kernel-step");
    assert!(custom > position(&cmds, "sysctl --system"));
    assert!(custom < position(&cmds, SSHD_APPLY_SCRIPT));
}

#[test]
fn parts_switch_off_and_replace() {
    let host = fixtures::host(FULL)
        .without(&Slot::Falco)
        .without(&Slot::Integrity);
    let cmds = runcmd(host.render().unwrap().as_str());
    assert!(
        !cmds
            .iter()
            .any(|c| c.contains("falco") || c.contains("wazuh"))
    );
    let replaced = fixtures::host(FULL).set(Integrity::Aide);
    let out = replaced.render().unwrap();
    let cmds = runcmd(out.as_str());
    assert!(cmds.iter().any(|c| c.contains("aideinit")));
    assert!(!cmds.iter().any(|c| c.contains("wazuh")));
    // The AIDE baseline is taken after every other change, just before the callback.
    assert!(position(&cmds, "aideinit") > position(&cmds, "hardened-backup.timer"));
    assert!(position(&cmds, "aideinit") < position(&cmds, READY_SCRIPT));
}

#[test]
fn secrets_only_in_root_0600_files() {
    let out = fixtures::host(FULL).render_within_for_test();
    let files = extract_files(out.as_str());
    let secrets = [
        fixtures::BACKUP_S3_SECRET,
        fixtures::CALLBACK_SECRET,
        fixtures::LOKI_PASSWORD,
        fixtures::CONVERGE_S3_SECRET,
    ];
    for s in secrets {
        let holders: Vec<_> = files.iter().filter(|(_, f)| f.text().contains(s)).collect();
        // The callback secret is also the converge agent's report key (its own 0600 file).
        let expected = if s == fixtures::CALLBACK_SECRET { 2 } else { 1 };
        assert_eq!(
            holders.len(),
            expected,
            "{s} should be in {expected} file(s)"
        );
        for (path, f) in holders {
            assert_eq!(
                (f.permissions.as_str(), f.owner.as_str()),
                ("0600", "root:root"),
                "{path}"
            );
        }
    }
    // Nowhere else in the document: not in commands, not in any other file.
    let doc = support::parse(out.as_str());
    let cmds = serde_json::to_string(&doc["runcmd"]).unwrap();
    for s in secrets {
        assert!(!cmds.contains(s));
    }
    // The host can write its backups but not read them: no age identity anywhere.
    assert!(!out.as_str().contains("AGE-SECRET-KEY"));
    assert!(
        files[BACKUP_SCRIPT]
            .text()
            .contains(fixtures::BACKUP_RECIPIENT)
    );
}

trait RenderPlain {
    fn render_within_for_test(&self) -> UserData;
}

impl RenderPlain for HardenedHost {
    /// Uncompressed rendering, so secrets would be visible to a text search if misplaced.
    fn render_within_for_test(&self) -> UserData {
        self.cloud_config().unwrap().render().unwrap()
    }
}

fn combinations() -> Vec<(String, HardenedHost)> {
    let mut out = vec![
        ("full".to_owned(), fixtures::host(FULL)),
        (
            "aide, falco kmod".to_owned(),
            fixtures::host(Choices {
                wazuh: false,
                falco: Some(FalcoDriver::Kmod),
            }),
        ),
        (
            "aide, no falco".to_owned(),
            fixtures::host(Choices {
                wazuh: false,
                falco: None,
            }),
        ),
        ("bare".to_owned(), HardenedHost::new(fixtures::admin())),
    ];
    let slots: Vec<Slot> = fixtures::host(FULL).slots().cloned().collect();
    for slot in slots {
        out.push((
            format!("without {slot}"),
            fixtures::host(FULL).without(&slot),
        ));
    }
    out
}

#[test]
fn every_combination_is_valid_cloud_config() {
    for (name, host) in combinations() {
        let out = host.render().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(out.len() <= HETZNER_USER_DATA_LIMIT, "{name}");
        eprintln!("checking {name} ({} bytes)", out.len());
        support::assert_valid(out.as_str());
    }
}

#[test]
fn scripts_parse() {
    let out = fixtures::host(FULL).render().unwrap();
    let aide = fixtures::host(FULL).set(Integrity::Aide).render().unwrap();
    let mut checked = 0;
    for files in [extract_files(out.as_str()), extract_files(aide.as_str())] {
        for (path, f) in files {
            let text = f.text();
            let (shell, args): (&str, &[&str]) = if text.starts_with("#!/bin/bash") {
                ("bash", &["-n", "-c"])
            } else if text.starts_with("#!/bin/sh") {
                ("sh", &["-n", "-c"])
            } else if text.starts_with("#!/usr/bin/python3") {
                ("python3", &["-c", "import ast,sys; ast.parse(sys.argv[1])"])
            } else {
                continue;
            };
            let status = std::process::Command::new(shell)
                .args(args)
                .arg(text)
                .status()
                .unwrap();
            assert!(status.success(), "{path} does not parse with {shell} -n");
            checked += 1;
        }
    }
    assert!(checked >= 6, "{checked}");
    // The bootcmd entries (the early firewall, the failed-boot check) parse too.
    let cfg = fixtures::host(FULL).cloud_config().unwrap();
    assert!(cfg.boot_commands().len() >= 2);
    for c in cfg.boot_commands() {
        let status = std::process::Command::new("sh")
            .args(["-n", "-c", &c.to_shell()])
            .status()
            .unwrap();
        assert!(status.success(), "bootcmd does not parse: {c}");
    }
}

/// Every file the preset writes that has a validator is taken out of the rendered user-data
/// (decoded when the budget compressed it) and given to that validator.
#[test]
fn real_validators_accept_every_file_the_preset_writes() {
    let out = fixtures::host(FULL).render().unwrap();
    assert!(out.is_gzip_wrapped(), "exercise the gzip MIME path");
    let files = extract_files(out.as_str());
    let staged_sshd = "/etc/ssh/sshd_config.d/10-hardening.conf";
    let mut checked = Vec::new();
    if let Some(sshd) = hardening_validators::sshd() {
        sshd.check(files[staged_sshd].text()).unwrap();
        checked.push("sshd");
    }
    if let Some(nft) = hardening_validators::nft() {
        nft.check(files["/etc/nftables.conf"].text()).unwrap();
        checked.push("nft");
    }
    if let Some(caddy) = hardening_validators::caddy() {
        // trusted_proxies needs Caddy 2.7+: .ci/install-validators provides 2.11; an older
        // caddy first on PATH (Debian's 2.6) skips here and fails in CI.
        // The origin-pull CA is installed at first boot: validate against a stand-in CA at a
        // path of the test's own (Caddy loads the trust pool while validating).
        let pki = hardening_validators::test_client_pki("stand-in origin-pull CA").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("origin-pull-ca.pem");
        std::fs::write(&ca, &pki.ca_pem).unwrap();
        let caddyfile = files[stack::CADDYFILE_HOST_PATH].text().replace(
            hardening_model::caddy::OriginPull::CLOUDFLARE_CA_PATH,
            ca.to_str().unwrap(),
        );
        assert!(caddyfile.contains("mode require_and_verify"), "{caddyfile}");
        match caddy.check(&caddyfile) {
            Ok(()) => checked.push("caddy"),
            Err(r)
                if r.output()
                    .contains("unrecognized servers option 'trusted_proxies'") =>
            {
                assert!(
                    !hardening_validators::ci_mode(),
                    "caddy on PATH is older than 2.7: {r}"
                );
                eprintln!("skipping: caddy on PATH is older than 2.7 (no trusted_proxies)");
            }
            Err(r) => panic!("{r}"),
        }
    }
    if let Some(compose) = hardening_validators::compose() {
        for path in [stack::COMPOSE_PATH, stack::MONITORING_COMPOSE_PATH] {
            compose
                .check(files[path].text())
                .unwrap_or_else(|e| panic!("{path}: {e}"));
            checked.push("compose");
        }
    }
    // The alert rules live on the central Prometheus (checked by promtool in hardening-model's
    // monitoring tests): the host gets none.
    assert!(
        !files
            .keys()
            .any(|p| p.contains("/prometheus/") && p.ends_with(".rules.yml")),
        "alert rules written to the host"
    );
    eprintln!("validated with: {checked:?}");
    if hardening_validators::ci_mode() {
        assert_eq!(checked, ["sshd", "nft", "caddy", "compose", "compose"]);
    }
}

#[test]
fn debug_output_never_shows_secrets() {
    let inputs = fixtures::inputs(FULL);
    let host = HardenedHost::runbook(&inputs)
        .unwrap()
        .budget(HETZNER_USER_DATA_LIMIT);
    let out = host.render().unwrap();
    for text in [
        format!("{inputs:?}"),
        format!("{host:?}"),
        format!("{out:?}"),
    ] {
        for s in [
            fixtures::BACKUP_S3_SECRET,
            fixtures::CALLBACK_SECRET,
            fixtures::LOKI_PASSWORD,
        ] {
            assert!(!text.contains(s), "a secret leaked into Debug output");
        }
    }
}

#[test]
fn monitoring_errata_are_honoured() {
    // Falco: /etc/passwd reads are routine name-service lookups, never CRITICAL.
    let rules: serde_json::Value = serde_saphyr::from_str(
        &Falco::new(
            FalcoDriver::ModernBpf,
            "stack-app",
            crate::support::FALCO_KEY,
        )
        .unwrap()
        .rules()
        .unwrap(),
    )
    .unwrap();
    let rules = rules.as_array().unwrap();
    for rule in rules {
        let condition = rule["condition"].as_str().unwrap();
        if condition.contains("/etc/passwd") {
            assert_eq!(rule["priority"], "NOTICE", "{rule}");
        }
    }
    assert!(
        rules.iter().any(|r| r["priority"] == "CRITICAL"
            && r["condition"].as_str().unwrap().contains("/etc/shadow"))
    );

    // Wazuh: the staged block is appended once to the packaged ossec.conf, never copied over it.
    let out = fixtures::host(FULL).render().unwrap();
    let cmds = runcmd(out.as_str());
    let wazuh = &cmds[position(&cmds, "wazuh-agent")];
    assert!(wazuh.contains(WAZUH_MERGE_MARKER), "{wazuh}");
    assert!(
        wazuh.contains(&format!(
            " {WAZUH_CONFIG} || cat {WAZUH_STAGED_CONFIG} >> {WAZUH_CONFIG}'"
        )),
        "{wazuh}"
    );
    assert!(!wazuh.contains("install -m"), "{wazuh}");
    let staged = &extract_files(out.as_str())[WAZUH_STAGED_CONFIG];
    assert!(staged.text().starts_with(WAZUH_MERGE_MARKER));
    // The merge step itself, run twice by a real shell over a packaged config: the defaults
    // stay, the block is appended once.
    let dir = tempfile::tempdir().unwrap();
    let (packaged, ours) = (
        dir.path().join("ossec.conf"),
        dir.path().join("staged.conf"),
    );
    let defaults = "<ossec_config>\n  <client_buffer><disabled>no</disabled></client_buffer>\n</ossec_config>\n";
    std::fs::write(&packaged, defaults).unwrap();
    std::fs::write(&ours, staged.text()).unwrap();
    let merge = wazuh
        .replace(WAZUH_CONFIG, packaged.to_str().unwrap())
        .replace(WAZUH_STAGED_CONFIG, ours.to_str().unwrap());
    let start = merge.find("sh -c ").unwrap();
    let end = merge.find(" && systemctl daemon-reload").unwrap();
    for _ in 0..2 {
        let status = std::process::Command::new("sh")
            .args(["-c", &merge[start..end]])
            .status()
            .unwrap();
        assert!(status.success());
    }
    let merged = std::fs::read_to_string(&packaged).unwrap();
    assert_eq!(merged, format!("{defaults}{}", staged.text()));

    // AIDE: the packaged dailyaidecheck.timer runs the check; no timer of our own.
    let aide = fixtures::host(FULL).set(Integrity::Aide).render().unwrap();
    let files = extract_files(aide.as_str());
    assert!(
        !files.keys().any(|p| p.contains("aide")),
        "{:?}",
        files.keys()
    );
    let cmds = runcmd(aide.as_str());
    let init = &cmds[position(&cmds, "aideinit")];
    assert!(
        init.starts_with(&format!("systemctl disable --now {AIDE_TIMER} && ")),
        "{init}"
    );
    assert!(
        init.contains(&format!("systemctl enable --now {AIDE_TIMER}")),
        "{init}"
    );
}

/// App secrets reach the container through a root-only env file: the compose file names the
/// path only, and the real `docker compose config` resolves the value from the file.
#[test]
fn app_secrets_stay_out_of_the_compose_file() {
    const DB_URL: &str = "postgres://app:Zq9-wR4tY7uI1oP3@db.internal:5432/app";
    let inputs = fixtures::inputs(FULL).app_secret("DATABASE_URL", Secret::new(DB_URL).unwrap());
    let out = HardenedHost::runbook(&inputs)
        .unwrap()
        .budget(HETZNER_USER_DATA_LIMIT)
        .render()
        .unwrap();
    let files = extract_files(out.as_str());
    let compose = files[stack::COMPOSE_PATH].text();
    assert!(!compose.contains(DB_URL));
    assert!(
        compose.contains(&format!("env_file:\n    - {APP_SECRETS_ENV}\n")),
        "{compose}"
    );
    let env = &files[APP_SECRETS_ENV];
    assert_eq!(
        (env.permissions.as_str(), env.owner.as_str()),
        ("0600", "root:root")
    );
    assert_eq!(env.text(), format!("DATABASE_URL='{DB_URL}'\n"));
    // A value that cannot be written literally is refused, naming the field.
    let bad =
        fixtures::inputs(FULL).app_secret("DATABASE_URL", Secret::new("it's-a-secret").unwrap());
    let err = HardenedHost::runbook(&bad).unwrap_err();
    assert_eq!(err.field(), Some("app_secrets.env[0].value"), "{err}");

    let Some(real) = hardening_validators::compose() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let env_path = dir.path().join("app.env");
    std::fs::write(&env_path, env.text()).unwrap();
    let yaml = compose.replace(APP_SECRETS_ENV, env_path.to_str().unwrap());
    let resolved = real.config(&yaml).unwrap();
    assert!(
        resolved.contains(&format!("DATABASE_URL: {DB_URL}")),
        "{resolved}"
    );
}

/// After first boot nothing needs the metadata service for a secret: each secret's consumer
/// reads its root-only `0600` file, nothing on the host asks the metadata service or cloud-init
/// for user-data, and the firewall keeps containers (and non-root host processes) away from it.
#[test]
fn after_first_boot_secrets_come_from_their_files_not_the_metadata_service() {
    let host = fixtures::host(FULL);
    let out = host.render().unwrap();
    let files = extract_files(out.as_str());
    let text_of = |path: &str| files[path].text().to_owned();
    // Who reads which secret file.
    for (secret, home, reader, how) in [
        (
            fixtures::CALLBACK_SECRET,
            READY_ENV,
            READY_SCRIPT,
            format!("\"{READY_ENV}\""),
        ),
        (
            fixtures::BACKUP_S3_SECRET,
            BACKUP_ENV,
            "/etc/systemd/system/hardened-backup.service",
            format!("EnvironmentFile={BACKUP_ENV}"),
        ),
        (
            fixtures::LOKI_PASSWORD,
            ALLOY_PASSWORD,
            ALLOY_DROP_IN,
            format!("LoadCredential=loki-password:{ALLOY_PASSWORD}"),
        ),
    ] {
        assert!(text_of(home).contains(secret), "{home}");
        assert_eq!(files[home].permissions, "0600", "{home}");
        assert!(
            text_of(reader).contains(&how),
            "{reader} does not read {home}: {how}"
        );
    }
    // Nothing asks for user-data again.
    let cmds = runcmd(out.as_str());
    for (path, f) in &files {
        let Ok(text) = std::str::from_utf8(&f.content) else {
            continue;
        };
        let firewall = path.contains("nftables") || path.contains("docker-user");
        for needle in [
            "169.254.169.254",
            "cloud-init query",
            "/var/lib/cloud/instance",
        ] {
            assert!(
                firewall || !text.contains(needle),
                "{path} mentions {needle}"
            );
        }
    }
    assert!(
        cmds.iter()
            .all(|c| !c.contains("169.254.169.254") && !c.contains("cloud-init query"))
    );
    // And the firewall the preset installs holds the metadata guard.
    let nft = text_of("/etc/nftables.conf");
    assert!(nft.contains("ip daddr 169.254.0.0/16 counter drop"));
    assert!(nft.contains("ip daddr 169.254.169.254 meta skuid != 0 counter drop"));
    let docker_user = text_of("/usr/local/sbin/hardening-docker-user.sh");
    assert!(docker_user.contains("iptables -w -A DOCKER-USER -d 169.254.0.0/16 -j DROP"));
    assert!(docker_user.contains("ip6tables -w -A DOCKER-USER -d fe80::/10 -j DROP"));
}

/// The rendered Alloy drop-in passes `systemd-analyze verify` on top of a unit shaped like the
/// package's `alloy.service` (`User=alloy`, its own `ExecStart=`): every key is known, and the
/// `ExecStart=` reset lets the drop-in replace the command. The alloy binary does not install
/// here, so the verified copy runs `/bin/true` in its place; without the reset systemd refuses
/// the unit.
#[test]
fn alloy_drop_in_passes_systemd_analyze_verify() {
    let Some(analyze) =
        hardening_validators::require_tool("systemd-analyze", "apt-get install systemd")
    else {
        return;
    };
    let out = fixtures::host(FULL).render().unwrap();
    let files = extract_files(out.as_str());
    let drop_in = files[ALLOY_DROP_IN].text().to_owned();
    assert!(drop_in.contains(&format!("LoadCredential=loki-password:{ALLOY_PASSWORD}\n")));
    assert!(drop_in.contains(&format!(" {ALLOY_CONFIG}\n")));
    let verify = |drop_in: &str| {
        let dir = tempfile::tempdir().unwrap();
        let unit = dir.path().join("alloy.service");
        std::fs::write(
            &unit,
            "[Unit]\nDescription=log shipper\n[Service]\nUser=alloy\nWorkingDirectory=/var/lib/alloy\n\
             ExecStart=/bin/true run /etc/alloy/config.alloy\nRestart=always\n\
             [Install]\nWantedBy=multi-user.target\n",
        )
        .unwrap();
        std::fs::create_dir(dir.path().join("alloy.service.d")).unwrap();
        std::fs::write(
            dir.path().join("alloy.service.d/10-hardened-host.conf"),
            drop_in.replace("=/usr/bin/alloy ", "=/bin/true "),
        )
        .unwrap();
        let run = std::process::Command::new(&analyze)
            .args(["verify", "--man=no"])
            .arg(&unit)
            .env("SYSTEMD_UNIT_PATH", format!("{}:", dir.path().display()))
            .output()
            .unwrap();
        (
            run.status.success(),
            String::from_utf8_lossy(&run.stderr).into_owned(),
        )
    };
    let (ok, stderr) = verify(&drop_in);
    assert!(ok, "{stderr}");
    assert!(!stderr.contains("Unknown"), "{stderr}");
    let (ok, stderr) = verify(&drop_in.replace("ExecStart=\n", ""));
    assert!(
        !ok,
        "a second ExecStart= without the reset must be refused: {stderr}"
    );
}
