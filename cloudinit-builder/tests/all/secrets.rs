//! Secrets only in root-owned 0600 files; anywhere else the document is refused.

use cloudinit_builder::*;

fn key() -> Secret {
    Secret::new("callback-secret-0123456789").unwrap()
}

fn base() -> CloudConfig {
    CloudConfig::new()
        .write_file(WriteFile::secret_env("/etc/ready/env", [("CALLBACK_SECRET", &key())]).unwrap())
}

fn refused(cfg: CloudConfig, field: &str) {
    match cfg.render() {
        Err(Error::SecretExposed { field: f, .. }) => assert_eq!(f, field),
        other => panic!("expected refusal in {field}, got {other:?}"),
    }
}

#[test]
fn secret_files_render_root_0600() {
    let out = base().render().unwrap();
    let doc = crate::support::parse(out.as_str());
    assert_eq!(
        doc["write_files"][0]["permissions"],
        serde_json::json!("0600")
    );
    assert!(
        doc["write_files"][0].get("owner").is_none(),
        "root:root is the default"
    );
    assert_eq!(
        doc["write_files"][0]["content"],
        serde_json::json!("CALLBACK_SECRET='callback-secret-0123456789'\n")
    );
    assert!(!format!("{out:?}").contains("callback-secret"));
}

#[test]
fn secret_in_runcmd_argument_is_refused() {
    refused(
        base()
            .runcmd(Command::argv(["curl", "-d", &format!("secret={}", key().expose())]).unwrap()),
        "runcmd[0]",
    );
    refused(
        base().bootcmd(Command::shell(format!("echo {}", key().expose())).unwrap()),
        "bootcmd[0]",
    );
}

#[test]
fn secret_in_world_readable_file_or_cron_line_is_refused() {
    refused(
        base().write_file(
            WriteFile::new("/etc/app.env", format!("TOKEN={}\n", key().expose())).unwrap(),
        ),
        "write_files[1].content",
    );
    let cron = format!(
        "0 3 * * * root BACKUP_KEY={} /usr/local/bin/backup\n",
        key().expose()
    );
    refused(
        base().write_file(WriteFile::new("/etc/cron.d/backup", cron).unwrap()),
        "write_files[1].content",
    );
    // Even a 0600 file is refused when it is not a secret file: its content is public text.
    let copy = WriteFile::new("/root/copy", key().expose())
        .unwrap()
        .permissions(0o600)
        .unwrap();
    refused(base().write_file(copy), "write_files[1].content");
}

#[test]
fn secret_in_messages_or_raw_keys_is_refused() {
    refused(
        base()
            .final_message(&format!("secret is {}", key().expose()))
            .unwrap(),
        "final_message",
    );
    refused(
        base().power_state(
            PowerState::new(PowerMode::Reboot)
                .message(key().expose())
                .unwrap(),
        ),
        "power_state.message",
    );
    let raw = RawKey::parse("snap", &format!("commands: [\"{}\"]", key().expose())).unwrap();
    refused(base().raw(raw).unwrap(), "raw.snap.commands[0]");
}

#[test]
fn secret_files_cannot_be_made_readable() {
    let f = WriteFile::secret("/etc/k", &key()).unwrap();
    assert!(matches!(
        f.clone().permissions(0o644),
        Err(Error::SecretExposed { .. })
    ));
    assert!(matches!(
        f.clone().permissions(0o640),
        Err(Error::SecretExposed { .. })
    ));
    assert!(matches!(
        f.clone().owner("app:app"),
        Err(Error::SecretExposed { .. })
    ));
    assert!(matches!(f.append(true), Err(Error::SecretExposed { .. })));
}

#[test]
fn errors_and_debug_never_show_the_secret() {
    let cfg = base().runcmd(Command::argv(["echo", key().expose()]).unwrap());
    let err = cfg.render().unwrap_err();
    assert!(!err.to_string().contains(key().expose()));
    assert!(!format!("{err:?}").contains(key().expose()));
    assert!(!format!("{:?}", base()).contains(key().expose()));
}
