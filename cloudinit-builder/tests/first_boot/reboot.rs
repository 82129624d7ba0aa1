//! A failed first boot stays visible after a reboot.

use std::time::Duration;

use cloudinit_builder::Secret;
use cloudinit_builder::callback::{ReadyStatus, Verifier};
use cloudinit_builder::preset::{HardenedHost, RenderedPart, Slot, Stage};
use hardening_validators::guest::{Container, PrivateLink, debian13_rootfs};

use super::{ONE_GUEST, finished_status, guest_text};
use crate::shared::{CALLBACK_SECRET, Tier, document, listener};

/// A step that fails: the callback says `failed` with its name, `cloud-init status` says
/// `error`, and a reboot does not turn that into `done`.
#[test]
fn a_failed_step_stays_an_error_after_reboot() {
    let _one = ONE_GUEST.lock().unwrap_or_else(|e| e.into_inner());
    let failing = |host: HardenedHost| {
        host.set(
            RenderedPart::new(Slot::Custom("fails".into()))
                .command(Stage::Services, ["sh", "-c", "exit 1"])
                .unwrap(),
        )
    };
    if crate::shared::ssh_missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_, key) = crate::shared::admin_key(dir.path());
    let key = key.as_str();
    let packages: Vec<String> = failing(document(
        key,
        "http://10.0.0.1/ready",
        "http://10.0.0.1/health",
        Tier::Container,
    ))
    .cloud_config()
    .unwrap()
    .package_names()
    .to_vec();
    let package_refs: Vec<&str> = packages.iter().map(String::as_str).collect();
    let Some(image) = debian13_rootfs(&package_refs) else {
        return;
    };
    let link = PrivateLink::new().expect("private link");
    let listener = listener::Listener::start(
        link.host_ip(),
        Verifier::new(Secret::new(CALLBACK_SECRET).unwrap()),
    );
    let base = format!("http://{}:{}", link.host_ip(), listener.port);
    let host = failing(document(
        key,
        &format!("{base}/ready"),
        &format!("{base}/health"),
        Tier::Container,
    ));
    let user_data = host.render().unwrap();
    let mut guest = Container::boot(
        &image,
        &link,
        user_data.as_str().as_bytes(),
        b"instance-id: i-first-boot-fails\nlocal-hostname: first-boot\n",
    )
    .expect("boot the guest");

    let Some((first, _)) = finished_status(&guest, Duration::from_secs(900)) else {
        panic!("cloud-init did not finish\n{}", guest.console_text());
    };
    let report = listener
        .received
        .recv_timeout(Duration::from_secs(120))
        .expect("a ready callback")
        .expect("a verified ready callback");
    match &report.status {
        ReadyStatus::Failed(steps) => {
            assert!(steps.iter().any(|s| s == "custom.fails"), "{steps:?}");
        }
        other => panic!("the callback says {other:?}"),
    }
    assert_eq!(first["status"], "error", "{first:#}");

    guest.reboot().expect("reboot the guest");
    let Some((after, _)) = finished_status(&guest, Duration::from_secs(600)) else {
        panic!(
            "cloud-init did not finish after the reboot\n{}",
            guest.console_text()
        );
    };
    println!(
        "first-boot (failing step): status={} after reboot status={} errors={}",
        first["status"], after["status"], after["errors"]
    );
    assert_eq!(
        after["status"],
        "error",
        "a reboot hid the failed first boot: {after:#}\n{}",
        guest_text(
            &guest,
            &["journalctl", "-b", "-t", "hardened-ready", "--no-pager"]
        )
    );
}
