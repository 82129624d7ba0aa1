//! The stack presets: every artifact renders, says what the errata require, and passes its
//! real validator (docker compose config, caddy validate, promtool, scmp_sys_resolver).

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::net::{IpAddr, Ipv4Addr};

use hardening_model::IpNet;
use hardening_model::RenderedFile;
use hardening_model::docker::ImageRef;
use hardening_model::monitoring::{
    EXPORTER_WEB_CONFIG, ExporterAccess, SECURITY_EVENTS_SCRIPT, ScrapeAuth,
};
use hardening_model::presets::stack::{self, StackImages};
use hardening_model::values::{Domain, Port};
use serde_json::Value;

fn image(name: &str, fill: char) -> ImageRef {
    ImageRef::parse(&format!("{name}@sha256:{}", fill.to_string().repeat(64))).unwrap()
}

fn images() -> StackImages {
    StackImages {
        caddy: image("caddy:2-alpine", 'a'),
        app: image("registry.example.com/team/app:1.4.2", 'b'),
        node_exporter: image("prom/node-exporter:v1.8.2", 'c'),
    }
}

fn cloudflare() -> Vec<IpNet> {
    [
        "173.245.48.0/20",
        "103.21.244.0/22",
        "2400:cb00::/32",
        "2606:4700::/32",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect()
}

/// The monitoring server's access (built once: the scrape password is hashed with bcrypt).
static MONITORING: std::sync::LazyLock<ExporterAccess> = std::sync::LazyLock::new(|| {
    let auth = ScrapeAuth::new("prometheus", "scrape-password-0123456789".into()).unwrap();
    ExporterAccess::new(
        Port::new(9100).unwrap(),
        ["192.0.2.10/32".parse().unwrap()],
        auth,
    )
    .unwrap()
});

fn all() -> Vec<RenderedFile> {
    stack::render_all(
        &images(),
        Domain::new("app.example.com").unwrap(),
        Port::new(3000).unwrap(),
        IpAddr::V4(Ipv4Addr::new(203, 0, 113, 10)),
        &cloudflare(),
        &MONITORING,
    )
    .unwrap()
}

fn file(path: &str) -> RenderedFile {
    all().into_iter().find(|f| f.path == path).unwrap()
}

#[test]
fn renders_every_artifact_at_its_path() {
    let files = all();
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/etc/docker/daemon.json",
            stack::COMPOSE_PATH,
            stack::APP_SECCOMP_PATH,
            "/etc/apparmor.d/docker-app",
            stack::CADDYFILE_HOST_PATH,
            stack::MONITORING_COMPOSE_PATH,
            EXPORTER_WEB_CONFIG,
            SECURITY_EVENTS_SCRIPT,
            "/etc/systemd/system/security-events-textfile.service",
            "/etc/systemd/system/security-events-textfile.timer",
        ]
    );
    for f in &files {
        let mode = match f.path.as_str() {
            // The bcrypt hash: readable by root and the exporter's group only.
            EXPORTER_WEB_CONFIG => 0o640,
            SECURITY_EVENTS_SCRIPT => 0o755,
            _ => 0o644,
        };
        assert_eq!(f.mode, mode, "{}", f.path);
        assert!(f.owner.starts_with("root:"), "{}", f.path);
    }
    // The scrape password never reaches the host, only its bcrypt hash.
    assert!(
        files
            .iter()
            .all(|f| !f.content.contains("scrape-password-0123456789"))
    );
}

/// The default exporter is reachable by the monitoring server only through TLS and basic auth:
/// never on loopback alone, where no Prometheus reads it.
#[test]
fn node_exporter_is_scraped_by_default() {
    let text = file(stack::MONITORING_COMPOSE_PATH).content;
    assert!(text.contains("--web.listen-address=:9100"), "{text}");
    assert!(!text.contains("127.0.0.1"), "{text}");
    assert!(text.contains(&format!("--web.config.file={EXPORTER_WEB_CONFIG}")));
    assert!(text.contains("--collector.textfile.directory="));
    let web = file(EXPORTER_WEB_CONFIG).content;
    assert!(
        web.contains("$2b$") && web.contains("min_version: TLS13"),
        "{web}"
    );
}

#[test]
fn the_layers_agree() {
    let compose: Value = serde_saphyr::from_str(&file(stack::COMPOSE_PATH).content).unwrap();
    let app = &compose["services"]["app"];
    let opts: Vec<&str> = app["security_opt"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(opts.contains(&"apparmor=docker-app"));
    assert!(opts.contains(&format!("seccomp={}", stack::APP_SECCOMP_PATH).as_str()));
    assert_eq!(app["networks"], serde_json::json!(["backend"]));
    assert!(
        app.get("ports").is_none(),
        "the app is reachable only through Caddy"
    );
    assert_eq!(compose["networks"]["backend"]["internal"], true);
    let caddy = &compose["services"]["caddy"];
    assert_eq!(caddy["cap_add"], serde_json::json!(["NET_BIND_SERVICE"]));
    assert_eq!(caddy["ports"][0]["host_ip"], "203.0.113.10");
    assert_eq!(caddy["volumes"][0]["source"], stack::CADDYFILE_HOST_PATH);
    for svc in compose["services"].as_object().unwrap().values() {
        assert!(svc["image"].as_str().unwrap().contains("@sha256:"));
        assert!(svc.get("ulimits").and_then(|u| u.get("nproc")).is_none());
        assert!(
            svc["deploy"]["resources"]["limits"]["pids"]
                .as_u64()
                .unwrap()
                > 0
        );
    }
    let apparmor = file("/etc/apparmor.d/docker-app").content;
    assert!(
        apparmor.contains(&format!("  {}/** rwlk,\n", stack::APP_DATA_DIR)),
        "writable where the volume is mounted"
    );
    assert!(apparmor.contains("signal (receive) peer=runc,"));
    let caddyfile = file(stack::CADDYFILE_HOST_PATH).content;
    assert!(caddyfile.contains("reverse_proxy app:3000 {"));
    assert!(caddyfile.contains(
        "trusted_proxies static 173.245.48.0/20 103.21.244.0/22 2400:cb00::/32 2606:4700::/32\n"
    ));
    assert!(
        caddyfile.contains(
            "not remote_ip 173.245.48.0/20 103.21.244.0/22 2400:cb00::/32 2606:4700::/32\n"
        )
    );
    assert!(caddyfile.contains("client_ip_headers Cf-Connecting-Ip"));
    assert!(!caddyfile.contains("rate_limit"));
    // Caddy's access log reaches the host's log shipper: JSON on stdout, taken by the journald
    // log driver that the daemon and every service use.
    assert!(caddyfile.contains("\tlog {\n\t\toutput stdout\n\t\tformat json\n\t}\n"));
    assert!(!caddyfile.contains("output file"));
    let daemon: Value = serde_json::from_str(&file("/etc/docker/daemon.json").content).unwrap();
    assert_eq!(daemon["log-driver"], "journald");
    let monitoring: Value =
        serde_saphyr::from_str(&file(stack::MONITORING_COMPOSE_PATH).content).unwrap();
    for (name, svc) in compose["services"]
        .as_object()
        .unwrap()
        .iter()
        .chain(monitoring["services"].as_object().unwrap())
    {
        assert_eq!(svc["logging"]["driver"], "journald", "{name}");
    }
    assert_eq!(
        monitoring["services"]["node-exporter"]["userns_mode"],
        "host"
    );
}

#[test]
fn compose_files_pass_docker_compose_config() {
    let Some(compose) = hardening_validators::compose() else {
        return;
    };
    compose.check(&file(stack::COMPOSE_PATH).content).unwrap();
    compose
        .check(&file(stack::MONITORING_COMPOSE_PATH).content)
        .unwrap();
}

#[test]
fn caddyfile_passes_caddy_validate() {
    let Some(caddy) = hardening_validators::caddy() else {
        return;
    };
    let text = file(stack::CADDYFILE_HOST_PATH).content;
    match caddy.check(&text) {
        Ok(()) => {}
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

#[test]
fn alert_rules_pass_promtool() {
    let Some(promtool) = hardening_validators::promtool() else {
        return;
    };
    // The rules are the monitoring server's, not the host's.
    assert!(all().iter().all(|f| !f.path.starts_with("/etc/prometheus")));
    promtool
        .check_rules(
            &stack::alert_rules()
                .unwrap()
                .render_at("/etc/prometheus/alerts.rules.yml")
                .unwrap()
                .content,
        )
        .unwrap();
}

#[test]
fn seccomp_names_resolve() {
    let Some(resolver) = hardening_validators::scmp_sys_resolver() else {
        return;
    };
    let json: Value = serde_json::from_str(&file(stack::APP_SECCOMP_PATH).content).unwrap();
    for rule in json["syscalls"].as_array().unwrap() {
        for name in rule["names"].as_array().unwrap() {
            let name = name.as_str().unwrap();
            assert!(resolver.resolve("x86_64", name) >= 0, "{name}");
        }
    }
}

#[test]
fn cloudflare_ranges_must_be_dual_stack() {
    let v4: Vec<IpNet> = vec!["173.245.48.0/20".parse().unwrap()];
    let err = stack::caddyfile(
        Domain::new("app.example.com").unwrap(),
        hardening_model::caddy::Upstream::new("app", Port::new(3000).unwrap()).unwrap(),
        &v4,
    )
    .unwrap_err();
    assert_eq!(err.field(), "site.origin_allow");
}
