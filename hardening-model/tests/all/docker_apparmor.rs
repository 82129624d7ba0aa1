//! AppArmor: writable paths come from the service's read-write mounts, `docker stop` signals
//! and capability rules are present, and no input can add a rule.

#![allow(clippy::unwrap_used)] // tests may unwrap

use hardening_model::docker::names::{Capability, ServiceName, VolumeName};
use hardening_model::docker::service::{Mount, Tmpfs};
use hardening_model::docker::{AppArmorProfile, ImageRef, Service};
use hardening_model::values::AbsPath;
use proptest::prelude::*;

fn svc() -> Service {
    let image = ImageRef::parse(&format!("app@sha256:{}", "1".repeat(64))).unwrap();
    Service::new(ServiceName::new("app").unwrap(), image)
        .with_cap(Capability::new("NET_BIND_SERVICE").unwrap())
        .with_tmpfs(vec![
            Tmpfs::new(AbsPath::new("/run/app").unwrap(), 8, 0o755).unwrap(),
        ])
        .with_volume(Mount::named(
            VolumeName::new("data").unwrap(),
            AbsPath::new("/srv/data").unwrap(),
            false,
        ))
        .with_volume(
            Mount::bind(
                AbsPath::new("/etc/app").unwrap(),
                AbsPath::new("/config").unwrap(),
                true,
            )
            .unwrap(),
        )
}

#[test]
fn writable_paths_follow_the_volumes() {
    let text = AppArmorProfile::for_service("docker-app", &svc())
        .unwrap()
        .render_text();
    assert!(text.contains("  /srv/data/** rwlk,\n"));
    assert!(text.contains("  deny /srv/data/** x,\n"));
    assert!(text.contains("  /run/app/** rwlk,\n"));
    assert!(
        !text.contains("/config/** rw"),
        "read-only mounts stay read-only"
    );
    assert!(text.contains("  capability net_bind_service,\n"));
    for peer in ["unconfined", "runc", "crun"] {
        assert!(text.contains(&format!("  signal (receive) peer={peer},\n")));
    }
    assert!(text.contains("  signal (send,receive) peer=docker-app,\n"));
    assert!(text.contains("  deny mount,\n"));
    let file = AppArmorProfile::for_service("docker-app", &svc())
        .unwrap()
        .render();
    assert_eq!(file.path, "/etc/apparmor.d/docker-app");
}

#[test]
fn whole_root_cannot_be_writable() {
    let p = AppArmorProfile::new("x").unwrap();
    assert_eq!(
        p.with_writable(AbsPath::new("/").unwrap())
            .unwrap_err()
            .field(),
        "apparmor.writable"
    );
    let p = AppArmorProfile::new("x").unwrap();
    assert_eq!(
        p.with_writable(AbsPath::new("/a@b").unwrap())
            .unwrap_err()
            .field(),
        "apparmor.writable"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    /// A profile name is rejected naming `apparmor.name`, or the profile has the same lines
    /// as with a plain name (the name appears only where expected).
    #[test]
    fn adversarial_profile_names(name in prop_oneof![any::<String>(), "[a-z,{}#\\n ]{1,10}"]) {
        let baseline = AppArmorProfile::new("zz0placeholder0zz").unwrap().render_text();
        match AppArmorProfile::new(&name) {
            Err(e) => prop_assert_eq!(e.field(), "apparmor.name"),
            Ok(p) => prop_assert_eq!(p.render_text(), baseline.replace("zz0placeholder0zz", &name)),
        }
    }

    /// Writable paths with any characters AbsPath accepts either pass the stricter AppArmor
    /// check or are refused; accepted ones add exactly three lines.
    #[test]
    fn adversarial_writable_paths(p in "/[a-zA-Z0-9._+@:-]{1,12}") {
        let Ok(path) = AbsPath::new(p.clone()) else { return Ok(()) };
        let baseline = AppArmorProfile::new("x").unwrap().render_text();
        match AppArmorProfile::new("x").unwrap().with_writable(path) {
            Err(e) => prop_assert_eq!(e.field(), "apparmor.writable"),
            Ok(profile) => {
                let text = profile.render_text();
                prop_assert_eq!(text.lines().count(), baseline.lines().count() + 3);
                prop_assert!(!p.contains(['@', '+', ':']));
            }
        }
    }
}

/// The rendered profiles compile with AppArmor 4's `apparmor_parser -Q` (the generation Ubuntu
/// 24.04 runs), and the parser refuses a broken one, so the check can fail.
#[test]
fn apparmor_parser_compiles_the_rendered_profiles() {
    let Some(parser) = hardening_validators::apparmor_parser() else {
        return;
    };
    assert!(
        parser.version().contains("version 4."),
        "{}",
        parser.version()
    );
    let stack = hardening_model::presets::stack::compose_stack(
        ImageRef::parse(&format!("caddy@sha256:{}", "2".repeat(64))).unwrap(),
        ImageRef::parse(&format!("app@sha256:{}", "3".repeat(64))).unwrap(),
        hardening_model::values::Port::new(3000).unwrap(),
        "127.0.0.1".parse().unwrap(),
    )
    .unwrap();
    let app = stack
        .service(hardening_model::presets::stack::APP_SERVICE)
        .unwrap();
    let profiles = [
        hardening_model::presets::stack::apparmor_profile(app)
            .unwrap()
            .render_text(),
        AppArmorProfile::for_service("docker-app", &svc())
            .unwrap()
            .render_text(),
        AppArmorProfile::new("minimal").unwrap().render_text(),
    ];
    for text in &profiles {
        if let Err(e) = parser.check(text) {
            panic!("apparmor_parser refused:\n{text}\n{e}");
        }
    }
    let broken = profiles[0].replacen("  deny mount,", "  capability not_a_capability,", 1);
    assert_ne!(broken, profiles[0]);
    assert!(parser.check(&broken).is_err());
}
