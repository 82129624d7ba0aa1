//! The stack presets render every artifact, and each passes its real validator.

use std::net::{IpAddr, Ipv4Addr};

use hardening_model::IpNet;
use hardening_model::docker::ImageRef;
use hardening_model::presets::stack::{self, StackImages};
use hardening_model::values::{Domain, Port};

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

#[test]
fn dump_for_inspection() {
    let files = stack::render_all(
        &images(),
        Domain::new("app.example.com").unwrap(),
        Port::new(3000).unwrap(),
        IpAddr::V4(Ipv4Addr::new(203, 0, 113, 10)),
        &cloudflare(),
    )
    .unwrap();
    if let Ok(dir) = std::env::var("STACK_DUMP_DIR") {
        for f in &files {
            let name = f.path.replace('/', "_");
            std::fs::write(format!("{dir}/{name}"), &f.content).unwrap();
        }
    }
    assert_eq!(files.len(), 7);
}
