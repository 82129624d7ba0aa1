//! Contract test against the official OpenAPI document (tests/spec/hetzner-cloud.openapi.json):
//! every request the client sends has a path, method and query parameters the spec declares
//! and a body valid against the operation's request schema; every response model decodes the
//! spec's examples (the media examples where given, otherwise an example assembled from the
//! schema's own property examples).
#![allow(clippy::unwrap_used)]

use futures::TryStreamExt;
use hetzner_client::models::action::Action;
use hetzner_client::models::firewall::{ApplyTo, Firewall, FirewallRule, Protocol};
use hetzner_client::models::image::Image;
use hetzner_client::models::location::Location;
use hetzner_client::models::server::Server;
use hetzner_client::models::server_type::ServerType;
use hetzner_client::models::ssh_key::SshKey;
use hetzner_client::resources::servers::{CreateImage, CreateServer};
use hetzner_client::resources::{firewalls, images, servers, ssh_keys};
use hetzner_client::simulator::{Fault, Simulator};
use hetzner_client::{Client, LabelSelector, Labels, ListParams, Pagination, RequestSpec};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::support;
use support::{check_request, resolve, spec, synth};

const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl admin";

fn check_spec(spec: &Value, request: &RequestSpec) {
    let method = request.method.as_str().to_ascii_lowercase();
    if let Err(problem) = check_request(
        spec,
        &method,
        &request.path,
        &request.query,
        request.body.as_ref(),
    ) {
        panic!("{problem}");
    }
}

fn labels() -> Labels {
    Labels::new()
        .with("managed-by", "fleet")
        .unwrap()
        .with("example.com/tier", "web")
        .unwrap()
}

#[test]
fn every_pure_request_builder_matches_the_spec() {
    let spec = spec();
    let rules = vec![
        FirewallRule::inbound(
            Protocol::Tcp,
            Some("48213"),
            ["198.51.100.0/24", "2001:db8::/32"],
        )
        .describe("ssh"),
        FirewallRule::inbound(Protocol::Icmp, None, ["0.0.0.0/0"]),
        FirewallRule::outbound(Protocol::Udp, Some("123"), ["0.0.0.0/0", "::/0"]),
    ];
    let selector = LabelSelector::new().eq("env", "prod").lacks("legacy");
    let targets = vec![
        ApplyTo::server(42),
        ApplyTo::label_selector(&selector).unwrap(),
    ];
    let full_server = CreateServer::new("rc-fsn1-a3f2c1", "cx22", "ubuntu-24.04")
        .location("fsn1")
        .ssh_key("admin-alice-202608")
        .firewall(38)
        .user_data("#cloud-config\n")
        .labels(labels())
        .start_after_create(false)
        .public_net(true, false);
    let requests = vec![
        servers::create_request(&full_server).unwrap(),
        servers::list_request(&servers::ListServers {
            params: ListParams::default()
                .selector(selector.clone())
                .sort("created:desc")
                .name("x"),
            status: vec![hetzner_client::models::server::ServerStatus::Running],
        })
        .unwrap(),
        servers::action_request(42, "reboot"),
        servers::action_request(42, "poweroff"),
        servers::action_request(42, "poweron"),
        servers::action_request(42, "shutdown"),
        servers::create_image_request(
            42,
            &CreateImage {
                description: Some("debug-20260203-delete-after-48h".into()),
                backup: false,
                labels: labels(),
            },
        )
        .unwrap(),
        servers::rebuild_request(42, "ubuntu-24.04", Some("#cloud-config\n")).unwrap(),
        RequestSpec::get("/servers/42"),
        RequestSpec::delete("/servers/42"),
        firewalls::create_request(
            &firewalls::CreateFirewall::new("edge")
                .labels(labels())
                .rules(rules.clone())
                .apply_to(targets[0].clone()),
        )
        .unwrap(),
        firewalls::set_rules_request(7, &rules).unwrap(),
        firewalls::apply_request(7, &targets).unwrap(),
        firewalls::remove_request(7, &targets).unwrap(),
        firewalls::list_request(&ListParams::default().selector(selector.clone())).unwrap(),
        RequestSpec::delete("/firewalls/7"),
        ssh_keys::create_request(
            &ssh_keys::CreateSshKey::new("admin-alice-202608", KEY).labels(labels()),
        )
        .unwrap(),
        ssh_keys::update_labels_request(3, &labels()).unwrap(),
        ssh_keys::list_request(&ssh_keys::ListSshKeys {
            params: ListParams::default().selector(selector.clone()),
            fingerprint: Some("aa:bb".into()),
        })
        .unwrap(),
        RequestSpec::delete("/ssh_keys/3"),
        images::list_request(&{
            let mut f = images::ListImages::snapshots();
            f.params = f.params.selector(selector).sort("created:asc");
            f
        })
        .unwrap(),
        images::update_request(
            5,
            &images::UpdateImage {
                description: Some("kept".into()),
                labels: Some(labels()),
            },
        )
        .unwrap(),
        RequestSpec::delete("/images/5"),
        hetzner_client::resources::actions::list_by_ids_request(&[1, 2, 3]).unwrap(),
        RequestSpec::get("/actions/1"),
        RequestSpec::get("/server_types")
            .with_query("page", "1")
            .with_query("per_page", "50"),
        RequestSpec::get("/locations/1"),
    ];
    for request in &requests {
        check_spec(&spec, request);
    }
    // the checker itself rejects what the spec does not allow
    let bad = RequestSpec::post(
        "/ssh_keys",
        json!({"name": "k", "public_key": KEY, "colour": "red"}),
    );
    assert!(check_request(&spec, "post", &bad.path, &bad.query, bad.body.as_ref()).is_err());
    let bad = RequestSpec::post(
        "/firewalls",
        json!({"name": "k", "rules": [{"direction": "sideways", "protocol": "tcp", "port": "22", "source_ips": []}]}),
    );
    assert!(check_request(&spec, "post", &bad.path, &bad.query, bad.body.as_ref()).is_err());
    assert!(
        check_request(
            &spec,
            "get",
            "/servers",
            &[("colour".into(), "red".into())],
            None
        )
        .is_err()
    );
}

#[tokio::test(start_paused = true)]
async fn every_request_a_simulated_session_sent_matches_the_spec() {
    let sim = Simulator::new();
    let client = Client::simulated(&sim).unwrap();
    let key = client
        .create_admin_key(&hetzner_client::helpers::admin_keys::AdminKey {
            owner: "alice".into(),
            public_key: KEY.into(),
            expires: chrono::NaiveDate::from_ymd_opt(2026, 8, 3).unwrap(),
        })
        .await
        .unwrap();
    client
        .ssh_keys()
        .update_labels(key.ssh_key.id, &labels())
        .await
        .unwrap();
    let fw = client
        .firewalls()
        .create(
            &firewalls::CreateFirewall::new("edge").rule(FirewallRule::inbound(
                Protocol::Tcp,
                Some("443"),
                ["0.0.0.0/0"],
            )),
        )
        .await
        .unwrap();
    sim.inject(Fault::DropConnection, http::Method::POST, "/servers", 1);
    let created = client
        .servers()
        .create(
            &CreateServer::new("rc-fsn1-a3f2c1", "cx22", "ubuntu-24.04")
                .ssh_key(key.ssh_key.name.clone())
                .firewall(fw.firewall.id)
                .labels(labels()),
        )
        .await
        .unwrap();
    let id = created.server.id;
    let action = client
        .servers()
        .create_image(id, &CreateImage::default())
        .await
        .unwrap()
        .action;
    client.actions().wait_for(&[action]).await.unwrap();
    client.servers().poweroff(id).await.unwrap();
    client.quarantine(id).await.unwrap();
    let _: Vec<_> = client
        .servers()
        .stream(ListParams::default())
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    client
        .cleanup_stale_snapshots(
            &LabelSelector::new(),
            std::time::Duration::from_secs(0),
            chrono::Utc::now() + chrono::Duration::hours(1),
            false,
        )
        .await
        .unwrap();
    client
        .expired_admin_keys(chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap())
        .await
        .unwrap();
    client.servers().delete(id).await.unwrap();

    let spec = spec();
    let recorded = sim.requests();
    assert!(recorded.len() > 15);
    for r in recorded {
        if let Err(problem) = check_request(
            &spec,
            &r.method.as_str().to_ascii_lowercase(),
            &r.path,
            &r.query,
            r.body.as_ref(),
        ) {
            panic!("{problem}");
        }
    }
}

fn example(spec: &Value, path: &str, method: &str, status: &str) -> Value {
    let media = &spec["paths"][path][method]["responses"][status]["content"]["application/json"];
    if let Some(e) = media.get("example") {
        return e.clone();
    }
    if let Some(e) = media
        .get("examples")
        .and_then(Value::as_object)
        .and_then(|m| m.values().next())
    {
        return e["value"].clone();
    }
    synth(&resolve(spec, &media["schema"]))
}

fn decode<T: DeserializeOwned>(value: &Value, what: &str) -> T {
    serde_path_to_error::deserialize(value.clone())
        .unwrap_or_else(|e| panic!("{what}: {} at {}", e.inner(), e.path()))
}

#[test]
fn models_decode_the_spec_examples() {
    let spec = spec();
    let list = |path: &str, key: &str| example(&spec, path, "get", "200")[key].clone();
    let servers: Vec<Server> = decode(&list("/servers", "servers"), "GET /servers");
    assert!(!servers.is_empty());
    let _: Pagination = decode(
        &example(&spec, "/servers", "get", "200")["meta"]["pagination"],
        "meta.pagination",
    );
    let created = example(&spec, "/servers", "post", "201");
    let server: Server = decode(&created["server"], "POST /servers server");
    assert_eq!(server.name, "my-server");
    let _: Action = decode(&created["action"], "POST /servers action");
    let _: Vec<Action> = decode(&created["next_actions"], "POST /servers next_actions");
    let _: Server = decode(
        &example(&spec, "/servers/{id}", "get", "200")["server"],
        "GET /servers/{id}",
    );
    let _: Action = decode(
        &example(&spec, "/servers/{id}", "delete", "200")["action"],
        "DELETE /servers/{id}",
    );
    for action in ["poweroff", "poweron", "reboot", "shutdown", "rebuild"] {
        let path = format!("/servers/{{id}}/actions/{action}");
        let _: Action = decode(&example(&spec, &path, "post", "201")["action"], &path);
    }
    let image = example(&spec, "/servers/{id}/actions/create_image", "post", "201");
    let _: Image = decode(&image["image"], "create_image image");
    let _: Vec<Firewall> = decode(&list("/firewalls", "firewalls"), "GET /firewalls");
    let _: Firewall = decode(
        &example(&spec, "/firewalls", "post", "201")["firewall"],
        "POST /firewalls",
    );
    let _: Firewall = decode(
        &example(&spec, "/firewalls/{id}", "get", "200")["firewall"],
        "GET /firewalls/{id}",
    );
    for action in ["set_rules", "apply_to_resources", "remove_from_resources"] {
        let path = format!("/firewalls/{{id}}/actions/{action}");
        let _: Vec<Action> = decode(&example(&spec, &path, "post", "201")["actions"], &path);
    }
    let _: Vec<SshKey> = decode(&list("/ssh_keys", "ssh_keys"), "GET /ssh_keys");
    let _: SshKey = decode(
        &example(&spec, "/ssh_keys", "post", "201")["ssh_key"],
        "POST /ssh_keys",
    );
    let _: SshKey = decode(
        &example(&spec, "/ssh_keys/{id}", "put", "200")["ssh_key"],
        "PUT /ssh_keys/{id}",
    );
    let _: Vec<Image> = decode(&list("/images", "images"), "GET /images");
    let _: Image = decode(
        &example(&spec, "/images/{id}", "put", "200")["image"],
        "PUT /images/{id}",
    );
    let _: Vec<Action> = decode(&list("/actions", "actions"), "GET /actions");
    let _: Action = decode(
        &example(&spec, "/actions/{id}", "get", "200")["action"],
        "GET /actions/{id}",
    );
    let _: Vec<ServerType> = decode(&list("/server_types", "server_types"), "GET /server_types");
    let _: Vec<Location> = decode(&list("/locations", "locations"), "GET /locations");
    decode_newer_kinds(&spec);
}

/// The models of the kinds behind the shared resource handle decode the spec's examples of
/// their list, get, create and update responses, and their action responses decode as actions.
fn decode_newer_kinds(spec: &Value) {
    use hetzner_client::models::{
        certificate::Certificate,
        datacenter::Datacenter,
        floating_ip::FloatingIp,
        iso::Iso,
        load_balancer::{LoadBalancer, LoadBalancerType},
        metrics::Metrics,
        network::Network,
        placement_group::PlacementGroup,
        pricing::Pricing,
        primary_ip::PrimaryIp,
        volume::Volume,
    };
    fn kind<T: DeserializeOwned>(spec: &Value, plural: &str, one: &str, writable: bool) {
        let list = example(spec, &format!("/{plural}"), "get", "200");
        let _: Vec<T> = decode(&list[plural], &format!("GET /{plural}"));
        let item = format!("/{plural}/{{id}}");
        let _: T = decode(
            &example(spec, &item, "get", "200")[one],
            &format!("GET {item}"),
        );
        if writable {
            let _: T = decode(
                &example(spec, &item, "put", "200")[one],
                &format!("PUT {item}"),
            );
            let created = example(spec, &format!("/{plural}"), "post", "201");
            let _: T = decode(&created[one], &format!("POST /{plural}"));
        }
        let paths: Vec<String> = spec["paths"]
            .as_object()
            .unwrap()
            .keys()
            .filter(|p| p.starts_with(&format!("{item}/actions/")) && !p.ends_with("{action_id}"))
            .cloned()
            .collect();
        for path in paths {
            let response = example(spec, &path, "post", "201");
            let _: Action = decode(&response["action"], &path);
        }
    }
    kind::<PrimaryIp>(spec, "primary_ips", "primary_ip", true);
    kind::<FloatingIp>(spec, "floating_ips", "floating_ip", true);
    kind::<Volume>(spec, "volumes", "volume", true);
    kind::<Network>(spec, "networks", "network", true);
    kind::<PlacementGroup>(spec, "placement_groups", "placement_group", true);
    kind::<LoadBalancer>(spec, "load_balancers", "load_balancer", true);
    kind::<Certificate>(spec, "certificates", "certificate", true);
    kind::<Iso>(spec, "isos", "iso", false);
    kind::<Datacenter>(spec, "datacenters", "datacenter", false);
    kind::<LoadBalancerType>(spec, "load_balancer_types", "load_balancer_type", false);
    for prefix in ["/servers/{id}/actions/", "/images/{id}/actions/"] {
        let paths: Vec<String> = spec["paths"]
            .as_object()
            .unwrap()
            .keys()
            .filter(|p| p.starts_with(prefix) && !p.ends_with("{action_id}"))
            .cloned()
            .collect();
        for path in paths {
            let _: Action = decode(&example(spec, &path, "post", "201")["action"], &path);
        }
    }
    let zone = example(spec, "/zones/{id_or_name}", "get", "200");
    let _: hetzner_client::models::zone::Zone = decode(&zone["zone"], "GET /zones/{id_or_name}");
    let zones = example(spec, "/zones", "get", "200");
    let _: Vec<hetzner_client::models::zone::Zone> = decode(&zones["zones"], "GET /zones");
    let rrsets = example(spec, "/zones/{id_or_name}/rrsets", "get", "200");
    let _: Vec<hetzner_client::models::zone::RrSet> = decode(&rrsets["rrsets"], "GET rrsets");
    let _: Pricing = decode(
        &example(spec, "/pricing", "get", "200")["pricing"],
        "GET /pricing",
    );
    for path in ["/servers/{id}/metrics", "/load_balancers/{id}/metrics"] {
        let _: Metrics = decode(&example(spec, path, "get", "200")["metrics"], path);
    }
}

#[test]
fn unknown_enum_values_and_fields_never_fail_a_response() {
    let spec = spec();
    let mut server = example(&spec, "/servers", "post", "201")["server"].clone();
    server["status"] = json!("hibernating");
    server["image"]["type"] = json!("golden");
    server["brand_new_field"] = json!({"nested": [1, 2, 3]});
    let decoded: Server = decode(&server, "future server");
    assert_eq!(decoded.status.as_str(), "hibernating");
    assert_eq!(decoded.image.unwrap().kind.as_str(), "golden");
}

#[test]
fn spec_valid_values_of_unusual_shape_decode_and_never_fail_a_page() {
    let spec = spec();
    let mut server = example(&spec, "/servers", "post", "201")["server"].clone();
    // `number` in the document, integers on the live API (and in the models): an integral
    // float decodes, a fraction falls back to 0 instead of failing the page
    server["server_type"]["cores"] = json!(2.5);
    server["server_type"]["disk"] = json!(80.0);
    server["primary_disk_size"] = json!(40.5);
    server["image"]["deleted"] = json!("2026-02-30 (not a timestamp)"); // a plain string
    server["volumes"] = json!([1, "odd", -4]); // int64 items; an odd one is skipped
    server["load_balancers"] = json!([2, 3.5]);
    server["placement_group"] = json!({ "unexpected": true });
    let decoded: Server = decode(&server, "server with unusual values");
    assert_eq!(decoded.server_type.cores, 0);
    assert_eq!(decoded.server_type.disk, 80);
    assert_eq!(decoded.primary_disk_size, 0);
    assert_eq!(decoded.volumes, vec![1, -4]);
    assert_eq!(decoded.load_balancers, vec![2]);
    let mut action = example(&spec, "/actions/{id}", "get", "200")["action"].clone();
    action["progress"] = json!(-1); // int32
    let action: Action = decode(&action, "action");
    assert_eq!(action.progress, -1);
    let mut page = example(&spec, "/servers", "get", "200");
    page["meta"]["pagination"]["total_entries"] = json!(-1);
    page["servers"][0]["image"]["os_version"] = json!(24.04); // wrong type, informational
    let meta: Pagination = decode(&page["meta"]["pagination"], "pagination");
    assert_eq!(meta.total_entries, Some(-1));
    let servers: Vec<Server> = decode(&page["servers"], "a page with one odd server");
    assert_eq!(servers.len(), page["servers"].as_array().unwrap().len());
    assert_eq!(servers[0].image.as_ref().unwrap().os_version, None);
}
