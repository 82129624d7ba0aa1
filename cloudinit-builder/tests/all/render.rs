//! Rendering: golden output, determinism, YAML 1.1 safety, round-trip of every typed key.

use cloudinit_builder::*;
use hardening_model::RenderedFile;
use serde_json::json;

use crate::support::{self, everything};

const GOLDEN: &str = include_str!("../golden/everything.yaml");

#[test]
fn everything_matches_golden_bytes() {
    let out = everything().render().unwrap();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/everything.yaml");
        std::fs::write(path, out.as_str()).unwrap();
    }
    assert_eq!(out.as_str(), GOLDEN);
}

#[test]
fn rendering_is_deterministic() {
    let a = everything().render().unwrap();
    let b = everything().render().unwrap();
    assert_eq!(a, b);
    let c = support::everything_with_big_file()
        .render_within(4000)
        .unwrap();
    let d = support::everything_with_big_file()
        .render_within(4000)
        .unwrap();
    assert_eq!(c, d);
    assert!(!c.compressed_files().is_empty());
}

#[test]
fn header_is_first_line_and_file_bodies_are_block_scalars() {
    let out = everything().render().unwrap();
    let text = out.as_str();
    assert!(text.starts_with("#cloud-config\n"));
    assert!(text.contains("  content: |\n    yes\n    on\n    # comment: with colon\n"));
    // 0644 is cloud-init's default and is left out; other modes are quoted strings.
    assert!(!text.contains("permissions: \"0644\""));
    assert!(!text.contains("permissions: 0"));
    assert!(text.contains("  permissions: \"0640\"\n"));
}

#[test]
fn yaml_11_lookalikes_stay_strings() {
    let tricky = [
        "yes", "no", "on", "off", "y", "n", "true", "~", "null", "0644", "1e3", "12:30", "0x1f",
        "-", "- x", "#x", "", " ",
    ];
    let mut cfg = CloudConfig::new();
    for (i, t) in tricky.iter().enumerate() {
        cfg = cfg.write_file(WriteFile::new(&format!("/f/{i}"), *t).unwrap());
        cfg = cfg.runcmd(Command::shell(format!("{t} x")).unwrap());
    }
    let cfg = cfg.final_message("yes").unwrap();
    let out = cfg.render().unwrap();
    let doc = support::parse(out.as_str());
    for (i, t) in tricky.iter().enumerate() {
        assert_eq!(doc["write_files"][i]["content"], json!(t), "{t:?}");
        assert!(doc["write_files"][i].get("permissions").is_none());
        assert_eq!(doc["runcmd"][i], json!(format!("{t} x")));
    }
    assert_eq!(doc["final_message"], json!("yes"));
    support::assert_valid(out.as_str());
}

#[test]
fn every_typed_key_round_trips() {
    let out = everything().render().unwrap();
    let doc = support::parse(out.as_str());
    assert_eq!(doc["package_update"], json!(true));
    assert_eq!(doc["packages"], json!(["ufw", "chrony", "docker.io", "jq"]));
    assert_eq!(
        doc["apt"]["sources"]["falcosecurity"]["source"],
        json!("deb [signed-by=$KEY_FILE] https://download.falco.org/packages/deb stable main")
    );
    assert_eq!(
        doc["apt"]["sources"]["falcosecurity"]["key"],
        json!(support::FALCO_KEY)
    );
    assert_eq!(doc["groups"], json!(["docker"]));
    assert_eq!(doc["users"][0]["name"], json!("admin"));
    assert_eq!(doc["users"][0]["lock_passwd"], json!(true));
    assert_eq!(
        doc["users"][0]["ssh_authorized_keys"],
        json!([support::ADMIN_KEY])
    );
    assert_eq!(doc["users"][1]["system"], json!(true));
    assert_eq!(doc["disable_root"], json!(true));
    assert_eq!(doc["ssh_pwauth"], json!(false));
    assert_eq!(doc["ssh_deletekeys"], json!(true));
    assert_eq!(doc["ssh_genkeytypes"], json!(["ed25519"]));
    assert_eq!(doc["timezone"], json!("Etc/UTC"));
    assert_eq!(doc["ntp"]["ntp_client"], json!("chrony"));
    assert_eq!(
        doc["mounts"],
        json!([[
            "tmpfs",
            "/tmp",
            "tmpfs",
            "rw,nosuid,nodev,noexec,size=1G",
            "0",
            "0"
        ]])
    );
    assert_eq!(doc["bootcmd"], json!(["mkdir -p /run/sshd"]));
    assert_eq!(doc["write_files"][1]["owner"], json!("app:app"));
    assert_eq!(doc["write_files"][1]["defer"], json!(true));
    assert_eq!(doc["write_files"][2]["append"], json!(true));
    assert_eq!(doc["write_files"][3]["permissions"], json!("0600"));
    assert_eq!(doc["write_files"][4]["encoding"], json!("b64"));
    assert_eq!(doc["write_files"][4]["content"], json!("AAEC/v8="));
    assert_eq!(
        doc["runcmd"],
        json!([
            "systemctl restart ssh.socket",
            "echo 'it'\\''s' yes '$HOME'",
            "if ! sshd -t; then\n  exit 1\nfi\n"
        ])
    );
    assert_eq!(doc["power_state"]["delay"], json!(1));
    assert_eq!(
        doc["power_state"]["condition"],
        json!("test -f /var/run/reboot-required")
    );
    assert_eq!(
        doc["phone_home"]["post"],
        json!(["instance_id", "pub_key_ed25519"])
    );
    assert_eq!(
        doc["final_message"],
        json!("first boot done after $UPTIME seconds")
    );
    assert_eq!(doc["ca_certs"], json!({"remove_defaults": false}));
}

#[test]
fn default_user_is_kept_unless_refused() {
    let with = CloudConfig::new()
        .user(User::new("admin").unwrap())
        .render()
        .unwrap();
    assert_eq!(support::parse(with.as_str())["users"][0], json!("default"));
    let without = CloudConfig::new()
        .no_default_user()
        .user(User::new("admin").unwrap())
        .render()
        .unwrap();
    assert_eq!(
        support::parse(without.as_str())["users"][0]["name"],
        json!("admin")
    );
    assert_eq!(
        support::parse(without.as_str())["users"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Nobody to log in as: refused (Debian's schema also rejects an empty list).
    let nobody = CloudConfig::new().no_default_user().render().unwrap_err();
    assert_eq!(nobody.field(), Some("users"));
    support::assert_valid(with.as_str());
    support::assert_valid(without.as_str());
    let none = CloudConfig::new().render().unwrap();
    assert_eq!(none.as_str(), "#cloud-config\n{}\n");
}

#[test]
fn rendered_files_convert_and_are_rechecked() {
    let ok = CloudConfig::new().write_file(
        RenderedFile::root(
            "/etc/sysctl.d/99-x.conf",
            0o644,
            "kernel.kptr_restrict = 2\n",
        )
        .into(),
    );
    assert!(ok.render().is_ok());
    let bad = CloudConfig::new()
        .write_file(RenderedFile::root("/etc/ok", 0o644, "").into())
        .write_file(RenderedFile::root("etc/relative", 0o644, "").into());
    assert_eq!(
        bad.render().unwrap_err().field(),
        Some("write_files[1].path")
    );
    let mut odd = RenderedFile::root("/etc/x", 0o644, "");
    odd.owner = "root:wheel group".into();
    let err = CloudConfig::new()
        .write_file(odd.into())
        .render()
        .unwrap_err();
    assert!(
        err.field().unwrap().starts_with("write_files[0].owner"),
        "{err}"
    );
}

#[test]
fn duplicate_paths_are_refused_unless_appended() {
    let a = WriteFile::new("/etc/x", "a").unwrap();
    let dup = CloudConfig::new()
        .write_file(a.clone())
        .write_file(a.clone());
    assert_eq!(
        dup.render().unwrap_err().field(),
        Some("write_files[1].path")
    );
    let app = CloudConfig::new()
        .write_file(a.clone())
        .write_file(a.append(true).unwrap());
    assert!(app.render().is_ok());
}

#[test]
fn raw_keys_are_parsed_and_cannot_shadow_typed_keys() {
    assert_eq!(
        CloudConfig::new()
            .raw(RawKey::parse("runcmd", "[reboot]").unwrap())
            .unwrap_err()
            .field(),
        Some("raw.runcmd")
    );
    let twice = CloudConfig::new()
        .raw(RawKey::parse("snap", "{}").unwrap())
        .unwrap()
        .raw(RawKey::parse("snap", "{}").unwrap());
    assert!(twice.is_err());
    let err = RawKey::parse("snap", "commands: [a, b\n").unwrap_err();
    assert_eq!(err.field(), Some("raw.snap"));
    // A raw value that looks like YAML 1.1 boolean text keeps its type.
    let cfg = CloudConfig::new()
        .raw(RawKey::parse("snap", "commands:\n  - \"yes\"\n").unwrap())
        .unwrap();
    let out = cfg.render().unwrap();
    assert_eq!(
        support::parse(out.as_str())["snap"]["commands"][0],
        json!("yes")
    );
    support::assert_valid(out.as_str());
}

#[test]
fn invalid_values_name_their_field() {
    assert_eq!(
        CloudConfig::new()
            .packages(["ok", "bad;rm"])
            .unwrap_err()
            .field(),
        Some("packages[1]")
    );
    assert_eq!(
        CloudConfig::new()
            .timezone("Europe/Berlin\nx")
            .unwrap_err()
            .field(),
        Some("timezone")
    );
    assert_eq!(
        CloudConfig::new().group("Bad").unwrap_err().field(),
        Some("groups.group")
    );
    assert_eq!(User::new("root;").unwrap_err().field(), Some("name.user"));
    assert_eq!(
        User::new("a")
            .unwrap()
            .sudo("ALL\nroot ALL=(ALL) ALL")
            .unwrap_err()
            .field(),
        Some("sudo")
    );
    assert!(SshPublicKey::new("ssh-ed25519 AAAA$(x)").is_err());
    assert!(
        AptSource::signed(
            "x",
            "https://a.example/deb",
            "stable",
            ["main"],
            "not a key"
        )
        .is_err()
    );
    assert!(
        AptSource::signed(
            "x",
            "https://a.example/deb bad",
            "stable",
            ["main"],
            support::FALCO_KEY
        )
        .is_err()
    );
    assert!(Mount::new("/dev/sdb1", "/data", "ext4", "defaults\n/dev/sdc").is_err());
    assert!(Ntp::chrony().pools(["a.example", "a.example"]).is_err());
    assert!(PhoneHome::new("https://x.example/a b").is_err());
    assert!(CloudConfig::new().final_message("a\u{7}").is_err());
}
