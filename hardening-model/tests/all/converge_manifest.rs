//! The bundle manifest and the agent's files: canonical text, typed errors naming the field,
//! and the agent script accepted by the shell.
#![allow(clippy::unwrap_used)]

use hardening_model::converge::{
    AGENT_NAMESPACE, AGENT_PATH, AGENT_SCRIPT, AgentConfig, BOOTSTRAP_PATH, BOOTSTRAP_SCRIPT,
    ManagedFile, Manifest, Selector, Validator,
};
use hardening_model::values::Port;

const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIz6aQmiGH6b0rUgkQ0MdXeTvswk2sWyYqP6LjX9IVHP";

fn sha(c: char) -> String {
    c.to_string().repeat(64)
}

fn manifest() -> Manifest {
    Manifest::new(
        3,
        "2026-12-07T18:00:00Z",
        Selector::all().with("project", "acme").unwrap(),
        vec![
            ManagedFile::new(
                "/etc/ssh/sshd_config.d/10-hardening.conf",
                0o644,
                &sha('b'),
                Validator::Sshd,
            )
            .unwrap(),
            ManagedFile::new("/etc/nftables.conf", 0o640, &sha('a'), Validator::Nft).unwrap(),
        ],
    )
    .unwrap()
}

#[test]
fn manifest_round_trips_in_canonical_form() {
    let m = manifest();
    let text = m.render();
    assert_eq!(
        text,
        format!(
            "hardened-fleet-bundle 1\nversion 3\ncreated_at 2026-12-07T18:00:00Z\nselector project=acme\n\
             file 0640 nft {} /etc/nftables.conf\nfile 0644 sshd {} /etc/ssh/sshd_config.d/10-hardening.conf\n",
            sha('a'),
            sha('b')
        )
    );
    assert_eq!(Manifest::parse(&text).unwrap(), m);
    // anything else is refused, naming where
    assert_eq!(
        Manifest::parse(&text.replace("file 0640", "file  0640"))
            .unwrap_err()
            .field(),
        "manifest[4]"
    );
    assert_eq!(
        Manifest::parse(text.trim_end()).unwrap_err().field(),
        "manifest"
    );
    assert_eq!(
        Manifest::parse(&text.replace("version 3", "version x"))
            .unwrap_err()
            .field(),
        "manifest[1]"
    );
    assert_eq!(
        Manifest::parse(&text.replace(" nft ", " exec "))
            .unwrap_err()
            .field(),
        "manifest[4]"
    );
}

#[test]
fn bad_values_name_their_field() {
    let err = |r: hardening_model::Result<ManagedFile>| r.unwrap_err().field().to_owned();
    assert_eq!(
        err(ManagedFile::new(
            "/usr/bin/sudo",
            0o644,
            &sha('a'),
            Validator::Plain
        )),
        "files.path"
    );
    assert_eq!(
        err(ManagedFile::new(
            "/etc/ufw/../shadow",
            0o644,
            &sha('a'),
            Validator::Plain
        )),
        "files.path"
    );
    assert_eq!(
        err(ManagedFile::new(
            "/etc/ufw/user.rules",
            0o755,
            &sha('a'),
            Validator::Plain
        )),
        "files.mode"
    );
    assert_eq!(
        err(ManagedFile::new(
            "/etc/ufw/user.rules",
            0o644,
            "ABC",
            Validator::Plain
        )),
        "files.sha256"
    );
    let f = ManagedFile::new("/etc/nftables.conf", 0o640, &sha('a'), Validator::Nft).unwrap();
    let new = |v, t: &str, files| {
        Manifest::new(v, t, Selector::all(), files)
            .unwrap_err()
            .field()
            .to_owned()
    };
    assert_eq!(new(0, "2026-12-07T18:00:00Z", vec![f.clone()]), "version");
    assert_eq!(new(1, "yesterday", vec![f.clone()]), "created_at");
    assert_eq!(new(1, "2026-12-07T18:00:00Z", vec![]), "files");
    assert_eq!(
        new(1, "2026-12-07T18:00:00Z", vec![f.clone(), f]),
        "files[1].path"
    );
    assert_eq!(
        Selector::all().with("pro ject", "x").unwrap_err().field(),
        "selector.key"
    );
}

#[test]
fn agent_files_are_complete_and_checked() {
    let config = AgentConfig::new(
        "inst-0042",
        ":s3:fleet-desired/acme",
        KEY,
        Port::new(48213).unwrap(),
    )
    .unwrap()
    .label("project", "acme")
    .unwrap()
    .health_url("https://127.0.0.1/healthz")
    .unwrap();
    let files = config.files();
    let get = |p: &str| files.iter().find(|f| f.path == p).unwrap();
    assert_eq!(get("/usr/local/sbin/hf-agent").mode, 0o755);
    assert_eq!(get("/etc/hardened-fleet/agent.conf").mode, 0o600);
    assert!(
        get("/etc/hardened-fleet/agent.conf")
            .content
            .contains("SSH_PORT=48213\n")
    );
    assert_eq!(
        get("/etc/hardened-fleet/allowed_signers").content,
        format!("fleet-operator namespaces=\"hardened-fleet-bundle,hardened-fleet-agent\" {KEY}\n")
    );
    assert_eq!(get("/etc/hardened-fleet/labels").content, "project=acme\n");
    assert!(
        get("/etc/systemd/system/hf-agent.timer")
            .content
            .contains("OnUnitActiveSec=300s")
    );
    // the script is valid POSIX sh
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("hf-agent");
    std::fs::write(&script, &get("/usr/local/sbin/hf-agent").content).unwrap();
    let out = std::process::Command::new("sh")
        .arg("-n")
        .arg(&script)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // first boot: the bootstrap in place of the agent, run by the same service
    let first = config.first_boot_files();
    let boot = first.iter().find(|f| f.path == BOOTSTRAP_PATH).unwrap();
    assert_eq!(boot.mode, 0o755);
    assert!(!first.iter().any(|f| f.path == AGENT_PATH));
    let service = &first
        .iter()
        .find(|f| f.path == "/etc/systemd/system/hf-agent.service")
        .unwrap()
        .content;
    assert!(
        service.contains(&format!("ExecStart={BOOTSTRAP_PATH}\n")),
        "{service}"
    );
    assert!(service.contains("SuccessExitStatus=2 4\n"), "{service}");
    // it verifies in the agent namespace, installs at the agent's path, and is valid POSIX sh
    assert!(BOOTSTRAP_SCRIPT.contains(&format!("-n {AGENT_NAMESPACE} ")));
    assert!(BOOTSTRAP_SCRIPT.contains(&format!("AGENT=\"$ROOT{AGENT_PATH}\"")));
    let boot_script = dir.path().join("hf-bootstrap");
    std::fs::write(&boot_script, &boot.content).unwrap();
    let out = std::process::Command::new("sh")
        .arg("-n")
        .arg(&boot_script)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // and the first-boot document carries under a quarter of the agent
    assert!(boot.content.len() * 4 < AGENT_SCRIPT.len());

    let field = |r: hardening_model::Result<AgentConfig>| r.unwrap_err().field().to_owned();
    let port = Port::new(22).unwrap();
    assert_eq!(
        field(AgentConfig::new("inst 1", ":s3:b/p", KEY, port)),
        "converge.instance"
    );
    assert_eq!(
        field(AgentConfig::new("i", ":s3:b/p;rm", KEY, port)),
        "converge.remote"
    );
    assert_eq!(
        field(AgentConfig::new("i", ":s3:b/p", "ssh-rsa AAAA", port)),
        "converge.signer_key"
    );
    assert_eq!(
        field(AgentConfig::new(
            "i",
            ":s3:b/p",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5",
            port
        )),
        "converge.signer_key"
    );
    let ok = AgentConfig::new("i", ":s3:b/p", KEY, port).unwrap();
    assert_eq!(
        field(ok.clone().health_url("https://x/$(id)")),
        "converge.health_url"
    );
    assert_eq!(
        field(ok.clone().interval(std::time::Duration::from_secs(5))),
        "converge.interval"
    );
    assert_eq!(
        field(ok.clone().rclone_args(["--config", "a b"])),
        "converge.rclone_args[1]"
    );
    assert_eq!(
        field(ok.reload_commands("a\nb", "true", "true")),
        "converge.sshd_reload"
    );
}

#[test]
fn ufw_rules_files_and_their_reload() {
    let ok = ManagedFile::new("/etc/ufw/user6.rules", 0o640, &sha('c'), Validator::Ufw).unwrap();
    let m = Manifest::new(4, "2026-12-07T18:00:00Z", Selector::all(), vec![ok]).unwrap();
    let text = m.render();
    assert!(text.ends_with(&format!(
        "file 0640 ufw {} /etc/ufw/user6.rules\n",
        sha('c')
    )));
    assert_eq!(Manifest::parse(&text).unwrap(), m);
    for path in ["/etc/ufw/ufw.conf", "/etc/nftables.conf"] {
        let err = ManagedFile::new(path, 0o640, &sha('c'), Validator::Ufw).unwrap_err();
        assert_eq!(err.field(), "files.path", "{path}");
    }
    let config = AgentConfig::new("i", ":s3:b/p", KEY, Port::new(22).unwrap()).unwrap();
    assert!(config.render_conf().contains("UFW_RELOAD='ufw reload'\n"));
    let custom = config.clone().ufw_reload("ufw --force reload").unwrap();
    assert!(
        custom
            .render_conf()
            .contains("UFW_RELOAD='ufw --force reload'\n")
    );
    assert_eq!(
        config.ufw_reload("ufw\nreload").unwrap_err().field(),
        "converge.ufw_reload"
    );
}
