//! Compose rendering: hardening defaults, refusals with typed errors, adversarial strings that
//! never add a YAML key, and `docker compose config -q` on real output.

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::collections::BTreeSet;

use hardening_model::Problem;
use hardening_model::docker::names::{NetworkName, ServiceName, VolumeName};
use hardening_model::docker::service::{Healthcheck, Mount, Ulimit};
use hardening_model::docker::{ComposeFile, ImageRef, Network, Service};
use hardening_model::values::AbsPath;
use proptest::prelude::*;
use serde_json::Value;

fn image() -> ImageRef {
    ImageRef::parse(&format!("example/app:1@sha256:{}", "d".repeat(64))).unwrap()
}

fn service(name: &str) -> Service {
    Service::new(ServiceName::new(name).unwrap(), image())
}

fn parse(yaml: &str) -> Value {
    serde_saphyr::from_str(yaml).unwrap()
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn one_service(env: &str, arg: &str) -> Result<ComposeFile, hardening_model::Error> {
    let net = NetworkName::new("backend").unwrap();
    let svc = service("app")
        .with_network(net.clone())
        .with_env("APP_VALUE", env)?
        .with_command(&["serve", arg])?
        .with_healthcheck(Healthcheck::new(&["probe", arg])?);
    Ok(ComposeFile::new()
        .with_network(Network::new(net, true))
        .with_service(svc))
}

#[test]
fn defaults_are_hardened() {
    let yaml = one_service("x", "y").unwrap().render().unwrap();
    let doc = parse(&yaml);
    let app = &doc["services"]["app"];
    assert_eq!(app["read_only"], true);
    assert_eq!(app["cap_drop"], serde_json::json!(["ALL"]));
    assert_eq!(app["security_opt"][0], "no-new-privileges:true");
    assert_eq!(app["deploy"]["resources"]["limits"]["pids"], 256);
    assert_eq!(app["logging"]["driver"], "journald");
    assert_eq!(app["logging"]["options"]["cache-max-size"], "10m");
    assert!(app["logging"]["options"].get("max-size").is_none());
    assert_eq!(app["tmpfs"][0], "/tmp:size=64m,mode=1777");
    assert!(app["image"].as_str().unwrap().contains("@sha256:"));
    assert_eq!(doc["networks"]["backend"]["internal"], true);
}

#[test]
fn docker_socket_is_refused() {
    for src in [
        "/var/run/docker.sock",
        "/run/docker.sock",
        "/var/run",
        "/run/containerd",
    ] {
        let err = Mount::bind(
            AbsPath::new(src).unwrap(),
            AbsPath::new("/sock").unwrap(),
            true,
        )
        .unwrap_err();
        assert_eq!(err.field(), "volume.source", "{src}");
    }
    assert!(
        Mount::bind(
            AbsPath::new("/srv/app").unwrap(),
            AbsPath::new("/data").unwrap(),
            false
        )
        .is_ok()
    );
}

#[test]
fn host_root_mount_needs_unprivileged_user() {
    let root = Mount::host_root_read_only(AbsPath::new("/rootfs").unwrap()).unwrap();
    let svc = service("probe").with_volume(root);
    let err = ComposeFile::new()
        .with_service(svc.clone())
        .render()
        .unwrap_err();
    assert_eq!(err.field(), "services.probe.volumes");
    let ok = svc.with_user("65534:65534").unwrap();
    assert!(ComposeFile::new().with_service(ok).render().is_ok());
}

#[test]
fn host_namespaces_need_userns_host() {
    let svc = service("exporter").with_host_pid();
    let err = ComposeFile::new()
        .with_service(svc.clone())
        .render()
        .unwrap_err();
    assert_eq!(err.field(), "services.exporter.userns_mode");
    assert!(matches!(err.problem(), Problem::Conflict(_)));
    let yaml = ComposeFile::new()
        .with_service(svc.with_host_userns())
        .render()
        .unwrap();
    assert_eq!(parse(&yaml)["services"]["exporter"]["userns_mode"], "host");
    let net = service("n")
        .with_host_network()
        .with_host_userns()
        .with_network(NetworkName::new("x").unwrap());
    assert_eq!(
        ComposeFile::new()
            .with_service(net)
            .render()
            .unwrap_err()
            .field(),
        "services.n.networks"
    );
}

#[test]
fn nproc_ulimit_is_refused() {
    assert_eq!(
        Ulimit::new("nproc", 10, 20).unwrap_err().field(),
        "ulimits.nproc"
    );
    assert_eq!(
        Ulimit::new("nofile", 20, 10).unwrap_err().field(),
        "ulimits.nofile"
    );
}

#[test]
fn references_must_exist() {
    let svc = service("a").with_network(NetworkName::new("missing").unwrap());
    assert_eq!(
        ComposeFile::new()
            .with_service(svc)
            .render()
            .unwrap_err()
            .field(),
        "services.a.networks"
    );
    let dep = service("a").depends_on(ServiceName::new("b").unwrap());
    assert_eq!(
        ComposeFile::new()
            .with_service(dep)
            .render()
            .unwrap_err()
            .field(),
        "services.a.depends_on"
    );
    let dup = ComposeFile::new()
        .with_service(service("a"))
        .with_service(service("a"));
    assert_eq!(dup.render().unwrap_err().field(), "services.a");
    assert_eq!(ComposeFile::new().render().unwrap_err().field(), "services");
}

#[test]
fn named_volumes_are_declared() {
    let m = Mount::named(
        VolumeName::new("data").unwrap(),
        AbsPath::new("/data").unwrap(),
        false,
    );
    let yaml = ComposeFile::new()
        .with_service(service("a").with_volume(m))
        .render()
        .unwrap();
    assert!(parse(&yaml)["volumes"]["data"].is_object());
}

#[test]
fn env_values_stay_literal_and_secret() {
    let svc = service("a").with_env("TOKEN", "s3cr3t-$HOME").unwrap();
    assert!(!format!("{svc:?}").contains("s3cr3t"));
    let yaml = ComposeFile::new().with_service(svc).render().unwrap();
    assert_eq!(
        parse(&yaml)["services"]["a"]["environment"]["TOKEN"],
        "s3cr3t-$$HOME"
    );
    assert_eq!(
        service("a").with_env("A=B", "x").unwrap_err().field(),
        "environment.name"
    );
    assert_eq!(
        service("a").with_env("A", "x\0y").unwrap_err().field(),
        "environment.A"
    );
}

#[test]
fn real_compose_accepts_rendered_file() {
    let Some(compose) = hardening_validators::compose() else {
        return;
    };
    let yaml = one_service("value with spaces: and # hash", "--flag=$x")
        .unwrap()
        .render()
        .unwrap();
    compose.check(&yaml).unwrap();
}

fn adversarial() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z]{0,4}[\"'\\n\\r:#{}\\[\\],&*!|>%@`$ -]{1,8}[a-z]{0,4}",
        Just("x\n  privileged: true".to_owned()),
        Just("\"\nservices:\n  evil: {}".to_owned()),
        Just("yes".to_owned()),
        Just("${HOME}".to_owned()),
        Just("- ALL".to_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    /// An adversarial env value or argument is rejected naming its field, or it is rendered
    /// with exactly the baseline's keys and reads back as the same string.
    #[test]
    fn adversarial_strings_never_add_yaml_keys(s in adversarial()) {
        let baseline = parse(&one_service("plain", "plain").unwrap().render().unwrap());
        match one_service(&s, &s) {
            Err(e) => {
                let f = e.field();
                prop_assert!(f == "environment.APP_VALUE" || f.starts_with("command[") || f.starts_with("healthcheck.test["), "{f}");
            }
            Ok(file) => {
                let doc = parse(&file.render().unwrap());
                prop_assert_eq!(keys(&doc), keys(&baseline));
                let app = &doc["services"]["app"];
                prop_assert_eq!(keys(app), keys(&baseline["services"]["app"]));
                let escaped = s.replace('$', "$$");
                prop_assert_eq!(app["environment"]["APP_VALUE"].as_str().unwrap(), escaped.as_str());
                prop_assert_eq!(app["command"][1].as_str().unwrap(), escaped.as_str());
                prop_assert_eq!(app["healthcheck"]["test"][2].as_str().unwrap(), escaped.as_str());
                prop_assert_eq!(app["environment"].as_object().unwrap().len(), 1);
            }
        }
    }

    /// Image references: anything accepted renders as one scalar with a digest.
    #[test]
    fn adversarial_image_names(s in adversarial()) {
        let reference = format!("{s}@sha256:{}", "e".repeat(64));
        match ImageRef::parse(&reference) {
            Err(e) => prop_assert!(e.field().starts_with("image"), "{}", e.field()),
            Ok(img) => {
                let yaml = ComposeFile::new().with_service(Service::new(ServiceName::new("a").unwrap(), img.clone())).render().unwrap();
                let doc = parse(&yaml);
                prop_assert_eq!(doc["services"]["a"]["image"].as_str().unwrap(), img.to_string());
                prop_assert!(!img.to_string().contains(char::is_whitespace));
            }
        }
    }

    /// Service names are the only user text used as YAML keys; odd ones are rejected.
    #[test]
    fn adversarial_service_names(s in adversarial()) {
        match ServiceName::new(s.clone()) {
            Err(e) => prop_assert_eq!(e.field(), "service.name"),
            Ok(name) => {
                let yaml = ComposeFile::new().with_service(Service::new(name, image())).render().unwrap();
                let doc = parse(&yaml);
                prop_assert_eq!(keys(&doc["services"]), BTreeSet::from([s]));
            }
        }
    }
}
