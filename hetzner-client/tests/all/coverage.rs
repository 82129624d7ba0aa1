//! Coverage of the official OpenAPI document: every operation needs a client method (a call
//! of ours that sends it, recorded by the simulator) and a simulator route (a request to it,
//! with the ids of resources that exist, that is not answered 404). Every request our calls
//! send is checked against the operation's request schema, and every 2xx answer of the
//! simulator against its response schema. Prints
//! `hetzner-coverage: client=N/189 simulator=M/189`.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use hetzner_client::models::common::IpType;
use hetzner_client::models::firewall::{ApplyTo, FirewallRule, Protocol};
use hetzner_client::models::load_balancer::Algorithm;
use hetzner_client::models::network::{Route, Subnet, SubnetType};
use hetzner_client::models::zone::Record;
use hetzner_client::resources::certificates::{CertificateSource, CreateCertificate};
use hetzner_client::resources::common::{ListActions, Update};
use hetzner_client::resources::firewalls::CreateFirewall;
use hetzner_client::resources::floating_ips::CreateFloatingIp;
use hetzner_client::resources::images::{ListImages, UpdateImage};
use hetzner_client::resources::load_balancers::{CreateLoadBalancer, Service, Target};
use hetzner_client::resources::networks::CreateNetwork;
use hetzner_client::resources::placement_groups::CreatePlacementGroup;
use hetzner_client::resources::primary_ips::CreatePrimaryIp;
use hetzner_client::resources::servers::{CreateImage, CreateServer};
use hetzner_client::resources::ssh_keys::{CreateSshKey, ListSshKeys};
use hetzner_client::resources::volumes::CreateVolume;
use hetzner_client::resources::zones::CreateZone;
use hetzner_client::simulator::{NO_ROUTE, SIMULATOR_TOKEN, Simulator};
use hetzner_client::transport::{HttpRequest, Transport};
use hetzner_client::{Client, Labels, ListParams};
use serde_json::json;

use crate::support;
use support::{check_request, operations, response_problems, spec, template};

const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl admin";

/// A transport that keeps every answer of the simulator, to check it against the spec.
#[derive(Debug)]
struct Recorder {
    inner: Arc<dyn Transport>,
    answers: Mutex<Vec<(String, String, u16, Bytes)>>,
}

#[async_trait::async_trait]
impl Transport for Recorder {
    async fn send(
        &self,
        request: HttpRequest,
    ) -> Result<hetzner_client::transport::HttpResponse, hetzner_client::transport::TransportError>
    {
        let method = request.method.as_str().to_ascii_lowercase();
        let path = request
            .url
            .as_str()
            .split_once("/v1")
            .map_or("", |(_, p)| p)
            .split('?')
            .next()
            .unwrap_or("")
            .to_owned();
        let response = self.inner.send(request).await?;
        self.answers.lock().unwrap().push((
            method,
            path,
            response.status.into(),
            response.body.clone(),
        ));
        Ok(response)
    }
}

/// Ids of one resource of every kind, created through the client.
struct Ids {
    server: u64,
    firewall: u64,
    ssh_key: u64,
    snapshot: u64,
    primary_ip: u64,
    floating_ip: u64,
    volume: u64,
    network: u64,
    placement_group: u64,
    load_balancer: u64,
    certificate: u64,
    zone: u64,
}

async fn seed(client: &Client) -> Ids {
    let key = client
        .ssh_keys()
        .create(&CreateSshKey::new("admin", KEY))
        .await
        .unwrap();
    let firewall = client
        .firewalls()
        .create(&CreateFirewall::new("edge").rule(FirewallRule::inbound(
            Protocol::Tcp,
            Some("443"),
            ["0.0.0.0/0"],
        )))
        .await
        .unwrap();
    let network = client
        .networks()
        .create(&CreateNetwork::new("backend", "10.0.0.0/16"))
        .await
        .unwrap();
    let group = client
        .placement_groups()
        .create(&CreatePlacementGroup::spread("web"))
        .await
        .unwrap();
    let server = client
        .servers()
        .create(
            &CreateServer::new("web-1", "cx22", "ubuntu-24.04")
                .ssh_key("admin")
                .firewall(firewall.firewall.id)
                .placement_group(group.value.id)
                .start_after_create(false),
        )
        .await
        .unwrap();
    client.actions().wait_for(&server.actions()).await.unwrap();
    let id = server.server.id;
    let created = client
        .servers()
        .create_image(id, &CreateImage::default())
        .await
        .unwrap();
    client.actions().wait_for(&[created.action]).await.unwrap();
    let snapshot = created.image;
    let primary_ip = client
        .primary_ips()
        .create(&CreatePrimaryIp::new("spare-v4", IpType::Ipv4).location("fsn1"))
        .await
        .unwrap();
    let floating_ip = client
        .floating_ips()
        .create(&CreateFloatingIp::new("vip", IpType::Ipv4).server(id))
        .await
        .unwrap();
    let volume = client
        .volumes()
        .create(&CreateVolume::new("data", 10).location("fsn1"))
        .await
        .unwrap();
    let mut lb = CreateLoadBalancer::new("lb", "lb11", "fsn1");
    lb.services.push(Service::tcp(443, 443));
    let load_balancer = client.load_balancers().create(&lb).await.unwrap();
    let certificate = client
        .certificates()
        .create(&CreateCertificate {
            name: "cert".into(),
            source: CertificateSource::Managed {
                domain_names: vec!["example.com".into()],
            },
            labels: Labels::new(),
        })
        .await
        .unwrap();
    let zone = client
        .zones()
        .create(&CreateZone::primary("example.com"))
        .await
        .unwrap();
    client
        .zones()
        .rrsets("example.com")
        .create("www", "A", None, &[Record::new("198.51.100.7")])
        .await
        .unwrap();
    Ids {
        zone: zone.value.id,
        server: id,
        firewall: firewall.firewall.id,
        ssh_key: key.ssh_key.id,
        snapshot: snapshot.id,
        primary_ip: primary_ip.value.id,
        floating_ip: floating_ip.value.id,
        volume: volume.value.id,
        network: network.value.id,
        placement_group: group.value.id,
        load_balancer: load_balancer.value.id,
        certificate: certificate.value.id,
    }
}

/// Calls every client method once (results are ignored: the simulator records what was sent).
#[allow(clippy::too_many_lines)]
async fn drive_client(c: &Client, ids: &Ids) {
    let now = chrono::Utc::now();
    let hour = now + chrono::Duration::hours(1);
    let list = ListParams::default();
    let acts = ListActions::default();
    let (s, fw, pip, fip, vol, net, lb, cert) = (
        ids.server,
        ids.firewall,
        ids.primary_ip,
        ids.floating_ip,
        ids.volume,
        ids.network,
        ids.load_balancer,
        ids.certificate,
    );
    let any = c.actions().get(1).await.map(|a| a.id).unwrap_or(1);
    let _ = c.actions().list_by_ids(&[any]).await;
    // servers
    let servers = c.servers();
    let _ = servers.list(&list).await;
    let _ = servers.get(s).await;
    let _ = servers
        .update(s, &Update::default().labels(Labels::new()))
        .await;
    let _ = servers.metrics(s, &["cpu"], now, hour, None).await;
    let _ = servers.actions().list(&acts).await;
    let _ = servers.actions().get(any).await;
    let _ = servers.actions().list_for(s, &acts).await;
    let _ = servers.actions().get_for(s, any).await;
    let _ = servers.change_protection(s, false).await;
    let _ = servers.change_dns_ptr(s, "203.0.113.1", None).await;
    let _ = servers.enable_rescue(s, &[]).await;
    let _ = servers.disable_rescue(s).await;
    let _ = servers.enable_backup(s).await;
    let _ = servers.disable_backup(s).await;
    let _ = servers.request_console(s).await;
    let _ = servers.reset_password(s).await;
    let _ = servers.change_type(s, "cx32", false).await;
    let _ = servers.attach_iso(s, "virtio-win-0.1.262.iso").await;
    let _ = servers.detach_iso(s).await;
    let _ = servers.remove_from_placement_group(s).await;
    let _ = servers.add_to_placement_group(s, ids.placement_group).await;
    let _ = servers.attach_to_network(s, net, None, &[]).await;
    let _ = servers.change_alias_ips(s, net, &["10.0.0.9"]).await;
    let _ = servers.detach_from_network(s, net).await;
    let _ = servers.reboot(s).await;
    let _ = servers.reset(s).await;
    let _ = servers.shutdown(s).await;
    let _ = servers.poweron(s).await;
    let _ = servers.poweroff(s).await;
    let _ = servers.rebuild(s, "ubuntu-24.04", None).await;
    let _ = servers.create_image(s, &CreateImage::default()).await;
    // firewalls
    let firewalls = c.firewalls();
    let _ = firewalls.list(&list).await;
    let _ = firewalls.get(fw).await;
    let _ = firewalls.update(fw, &Update::default().name("edge")).await;
    let _ = firewalls.actions().list(&acts).await;
    let _ = firewalls.actions().get(any).await;
    let _ = firewalls.actions().list_for(fw, &acts).await;
    let _ = firewalls.actions().get_for(fw, any).await;
    let _ = firewalls.set_rules(fw, &[]).await;
    let _ = firewalls
        .apply_to_resources(fw, &[ApplyTo::server(s)])
        .await;
    let _ = firewalls
        .remove_from_resources(fw, &[ApplyTo::server(s)])
        .await;
    // ssh keys, images, catalogs, pricing
    let _ = c.ssh_keys().list(ListSshKeys::default()).await;
    let _ = c.ssh_keys().get(ids.ssh_key).await;
    let _ = c
        .ssh_keys()
        .update_labels(ids.ssh_key, &Labels::new())
        .await;
    let images = c.images();
    let _ = images.list(ListImages::default()).await;
    let _ = images.get(ids.snapshot).await;
    let _ = images.update(ids.snapshot, &UpdateImage::default()).await;
    let _ = images.change_protection(ids.snapshot, false).await;
    let _ = images.actions().list(&acts).await;
    let _ = images.actions().get(any).await;
    let _ = images.actions().list_for(ids.snapshot, &acts).await;
    let _ = images.actions().get_for(ids.snapshot, any).await;
    let _ = c.server_types().list(&list).await;
    let _ = c.server_types().get(1).await;
    let _ = c.locations().list(&list).await;
    let _ = c.locations().get(1).await;
    let _ = c.datacenters().list(&list).await;
    let _ = c.datacenters().get(1).await;
    let _ = c.isos().list(&list).await;
    let _ = c.isos().get(1).await;
    let _ = c.load_balancer_types().list(&list).await;
    let _ = c.load_balancer_types().get(1).await;
    let _ = c.pricing().await;
    // primary IPs
    let p = c.primary_ips();
    let _ = p.list(&list).await;
    let _ = p.get(pip).await;
    let _ = p
        .update(pip, &Update::default().field("auto_delete", json!(false)))
        .await;
    let _ = p.actions().list(&acts).await;
    let _ = p.actions().get(any).await;
    let _ = p.actions().list_for(pip, &acts).await;
    let _ = p.actions().get_for(pip, any).await;
    let _ = p.assign(pip, s).await;
    let _ = p.unassign(pip).await;
    let _ = p.change_dns_ptr(pip, "203.0.113.1", None).await;
    let _ = p.change_protection(pip, false).await;
    // floating IPs
    let f = c.floating_ips();
    let _ = f.list(&list).await;
    let _ = f.get(fip).await;
    let _ = f.update(fip, &Update::default().name("vip")).await;
    let _ = f.actions().list(&acts).await;
    let _ = f.actions().get(any).await;
    let _ = f.actions().list_for(fip, &acts).await;
    let _ = f.actions().get_for(fip, any).await;
    let _ = f.assign(fip, s).await;
    let _ = f.unassign(fip).await;
    let _ = f.change_dns_ptr(fip, "198.51.100.1", None).await;
    let _ = f.change_protection(fip, false).await;
    // volumes
    let v = c.volumes();
    let _ = v.list(&list).await;
    let _ = v.get(vol).await;
    let _ = v.update(vol, &Update::default().name("data")).await;
    let _ = v.actions().list(&acts).await;
    let _ = v.actions().get(any).await;
    let _ = v.actions().list_for(vol, &acts).await;
    let _ = v.actions().get_for(vol, any).await;
    let _ = v.attach(vol, s, false).await;
    let _ = v.detach(vol).await;
    let _ = v.resize(vol, 20).await;
    let _ = v.change_protection(vol, false).await;
    // networks
    let n = c.networks();
    let subnet = Subnet {
        kind: SubnetType::Cloud,
        ip_range: Some("10.0.1.0/24".into()),
        network_zone: "eu-central".into(),
        gateway: String::new(),
        vswitch_id: None,
    };
    let route = Route {
        destination: "10.100.1.0/24".into(),
        gateway: "10.0.1.1".into(),
    };
    let _ = n.list(&list).await;
    let _ = n.get(net).await;
    let _ = n.update(net, &Update::default().name("backend")).await;
    let _ = n.actions().list(&acts).await;
    let _ = n.actions().get(any).await;
    let _ = n.actions().list_for(net, &acts).await;
    let _ = n.actions().get_for(net, any).await;
    let _ = n.add_subnet(net, &subnet).await;
    let _ = n.add_route(net, &route).await;
    let _ = n.delete_route(net, &route).await;
    let _ = n.delete_subnet(net, "10.0.1.0/24").await;
    let _ = n.change_ip_range(net, "10.0.0.0/15").await;
    let _ = n.change_protection(net, false).await;
    // placement groups
    let g = c.placement_groups();
    let _ = g.list(&list).await;
    let _ = g.get(ids.placement_group).await;
    let _ = g
        .update(ids.placement_group, &Update::default().name("web"))
        .await;
    // load balancers
    let l = c.load_balancers();
    let target = Target::Server {
        id: s,
        use_private_ip: false,
    };
    let _ = l.list(&list).await;
    let _ = l.get(lb).await;
    let _ = l.update(lb, &Update::default().name("lb")).await;
    let _ = l.metrics(lb, &["open_connections"], now, hour, None).await;
    let _ = l.actions().list(&acts).await;
    let _ = l.actions().get(any).await;
    let _ = l.actions().list_for(lb, &acts).await;
    let _ = l.actions().get_for(lb, any).await;
    let _ = l.add_service(lb, &Service::tcp(80, 8080)).await;
    let _ = l.update_service(lb, &Service::tcp(80, 8081)).await;
    let _ = l.delete_service(lb, 80).await;
    let _ = l.add_target(lb, &target).await;
    let _ = l.remove_target(lb, &target).await;
    let _ = l.attach_to_network(lb, net, None).await;
    let _ = l.detach_from_network(lb, net).await;
    let _ = l.change_algorithm(lb, &Algorithm::LeastConnections).await;
    let _ = l.change_type(lb, "lb21").await;
    let _ = l.change_dns_ptr(lb, "192.0.2.1", None).await;
    let _ = l.set_public_interface(lb, false).await;
    let _ = l.set_public_interface(lb, true).await;
    let _ = l.change_protection(lb, false).await;
    // certificates
    let k = c.certificates();
    let _ = k.list(&list).await;
    let _ = k.get(cert).await;
    let _ = k.update(cert, &Update::default().name("cert")).await;
    let _ = k.actions().list(&acts).await;
    let _ = k.actions().get(any).await;
    let _ = k.actions().list_for(cert, &acts).await;
    let _ = k.actions().get_for(cert, any).await;
    let _ = k.retry(cert).await;
    // zones and RRSets
    let z = c.zones();
    let zone = ids.zone.to_string();
    let rr = z.rrsets(&zone);
    let www = [Record::new("198.51.100.7")];
    let _ = z.list(&list).await;
    let _ = z.get("example.com").await;
    let _ = z.update_labels(&zone, &Labels::new()).await;
    let _ = z.zonefile(&zone).await;
    let _ = z
        .import_zonefile(&zone, "mail 300 IN A 198.51.100.9\n")
        .await;
    let _ = z.change_ttl(&zone, 600).await;
    let _ = z.change_protection(&zone, false).await;
    let _ = z
        .change_primary_nameservers(&zone, &[json!({ "address": "198.51.100.53" })])
        .await;
    let _ = z.actions().list(&acts).await;
    let _ = z.actions().get(any).await;
    let _ = z.actions().list_for(ids.zone, &acts).await;
    let _ = z.actions().get_for(ids.zone, any).await;
    let _ = rr.list(&list, &["A"]).await;
    let _ = rr.get("www", "A").await;
    let _ = rr.create("api", "A", Some(300), &www).await;
    let _ = rr.update_labels("www", "A", &Labels::new()).await;
    let _ = rr.change_ttl("www", "A", Some(300)).await;
    let _ = rr
        .add_records("www", "A", &[Record::new("198.51.100.8")])
        .await;
    let _ = rr.update_records("www", "A", &www).await;
    let _ = rr
        .remove_records("www", "A", &[Record::new("198.51.100.8")])
        .await;
    let _ = rr.set_records("www", "A", &www).await;
    let _ = rr.change_protection("www", "A", false).await;
    let _ = rr.delete("api", "A").await;
    let _ = z.delete(&zone).await;
    // deletes last
    let _ = l.delete(lb).await;
    let _ = k.delete(cert).await;
    let _ = v.delete(vol).await;
    let _ = f.delete(fip).await;
    let _ = p.delete(pip).await;
    let _ = images.delete(ids.snapshot).await;
    let _ = c.ssh_keys().delete(ids.ssh_key).await;
    let _ = servers.delete(s).await;
    let _ = g.delete(ids.placement_group).await;
    let _ = n.delete(net).await;
    let _ = firewalls.delete(fw).await;
}

/// What a path parameter of an operation stands for: the id of the seeded resource of the
/// operation's collection, or an action id that touches it.
fn fill(template: &str, ids: &Ids, action_of: &dyn Fn(&str) -> u64) -> String {
    let parts: Vec<&str> = template.trim_matches('/').split('/').collect();
    let (kind, id) = match parts[0] {
        "servers" => ("server", ids.server),
        "firewalls" => ("firewall", ids.firewall),
        "ssh_keys" => ("ssh_key", ids.ssh_key),
        "images" => ("image", ids.snapshot),
        "primary_ips" => ("primary_ip", ids.primary_ip),
        "floating_ips" => ("floating_ip", ids.floating_ip),
        "volumes" => ("volume", ids.volume),
        "networks" => ("network", ids.network),
        "placement_groups" => ("placement_group", ids.placement_group),
        "load_balancers" => ("load_balancer", ids.load_balancer),
        "certificates" => ("certificate", ids.certificate),
        "zones" => ("zone", ids.zone),
        _ => ("", 1),
    };
    let path: Vec<String> = parts
        .iter()
        .enumerate()
        .map(|(i, p)| match *p {
            "{id}" if parts.get(i - 1) == Some(&"actions") => action_of(kind).to_string(),
            "{id}" | "{id_or_name}" => id.to_string(),
            "{action_id}" => action_of(kind).to_string(),
            "{rr_name}" => "www".into(),
            "{rr_type}" => "A".into(),
            other => other.to_owned(),
        })
        .collect();
    format!("/{}", path.join("/"))
}

#[tokio::test(start_paused = true)]
async fn every_operation_of_the_official_document_has_a_client_method_and_a_simulator_route() {
    let spec = spec();
    let ops = operations(&spec);
    assert_eq!(ops.len(), 189, "the pinned document has 189 operations");

    // client side: what our calls send, recorded by the simulator, and what it answers
    let sim = Simulator::new();
    let recorder = Arc::new(Recorder {
        inner: sim.transport(),
        answers: Mutex::new(Vec::new()),
    });
    let client = sim
        .client_builder()
        .transport(recorder.clone())
        .build()
        .unwrap();
    let ids = seed(&client).await;
    drive_client(&client, &ids).await;
    let mut shapes = Vec::new();
    for (method, path, status, body) in recorder.answers.lock().unwrap().iter() {
        let (Some(t), true) = (template(&spec, path), (200..300).contains(status)) else {
            continue;
        };
        match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(value) => shapes.extend(response_problems(&spec, t, method, *status, &value)),
            Err(_) if body.is_empty() && *status == 204 => {}
            Err(e) => shapes.push(format!("{method} {t} {status}: not JSON: {e}")),
        }
    }
    // the one known difference: the API now answers load balancer deletes with an action
    shapes.retain(|p| !p.starts_with("delete /load_balancers/{id}:"));
    assert!(shapes.is_empty(), "{shapes:#?}");
    let mut by_client = BTreeSet::new();
    for r in sim.requests() {
        let Some(t) = template(&spec, &r.path) else {
            panic!("{} {}: no such path in the spec", r.method, r.path);
        };
        let method = r.method.as_str().to_ascii_lowercase();
        if let Err(problem) = check_request(&spec, &method, &r.path, &r.query, r.body.as_ref()) {
            panic!("{problem}");
        }
        by_client.insert((r.method.as_str().to_owned(), t.to_owned()));
    }

    // simulator side: every operation, with ids of resources that exist
    let sim = Simulator::new();
    let client = Client::simulated(&sim).unwrap();
    let ids = seed(&client).await;
    let _ = client.certificates().retry(ids.certificate).await;
    let _ = client
        .networks()
        .change_protection(ids.network, false)
        .await;
    let _ = client.images().change_protection(ids.snapshot, false).await;
    let _ = client.firewalls().set_rules(ids.firewall, &[]).await;
    let _ = client
        .primary_ips()
        .change_protection(ids.primary_ip, false)
        .await;
    let _ = client.ssh_keys().get(ids.ssh_key).await;
    let transport: Arc<dyn Transport> = sim.transport();
    let acts = ListActions::default();
    let mut first_action = std::collections::BTreeMap::new();
    for (kind, page) in [
        (
            "server",
            client.servers().actions().list_for(ids.server, &acts).await,
        ),
        (
            "firewall",
            client
                .firewalls()
                .actions()
                .list_for(ids.firewall, &acts)
                .await,
        ),
        (
            "image",
            client
                .images()
                .actions()
                .list_for(ids.snapshot, &acts)
                .await,
        ),
        (
            "primary_ip",
            client.primary_ips().actions().list(&acts).await,
        ),
        (
            "floating_ip",
            client.floating_ips().actions().list(&acts).await,
        ),
        ("volume", client.volumes().actions().list(&acts).await),
        ("network", client.networks().actions().list(&acts).await),
        (
            "load_balancer",
            client.load_balancers().actions().list(&acts).await,
        ),
        (
            "certificate",
            client.certificates().actions().list(&acts).await,
        ),
        ("zone", client.zones().actions().list(&acts).await),
    ] {
        if let Some(action) = page.unwrap().items.first() {
            first_action.insert(kind, action.id);
        }
    }
    let fallback = first_action.get("server").copied().unwrap_or(1);
    let action_of = |kind: &str| first_action.get(kind).copied().unwrap_or(fallback);
    let mut ordered = ops.clone();
    // deletes last, the deepest paths (RRSets before their zone) first
    ordered.sort_by_key(|(m, t)| {
        (
            m == "DELETE",
            std::cmp::Reverse(t.len() * usize::from(m == "DELETE")),
        )
    });
    let mut by_simulator = BTreeSet::new();
    let mut missing_routes = Vec::new();
    let mut shape_problems = Vec::new();
    for (method, t) in &ordered {
        let mut path = fill(t, &ids, &action_of);
        if t.ends_with("/metrics") {
            path.push_str("?type=cpu&start=2026-01-01T00:00:00Z&end=2026-01-01T01:00:00Z");
            if t.starts_with("/load_balancers") {
                path = path.replace("type=cpu", "type=bandwidth");
            }
        }
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::AUTHORIZATION,
            format!("Bearer {SIMULATOR_TOKEN}").parse().unwrap(),
        );
        let body = matches!(method.as_str(), "POST" | "PUT").then(|| Bytes::from_static(b"{}"));
        let response = transport
            .send(HttpRequest {
                method: method.parse().unwrap(),
                url: format!("https://simulator.invalid/v1{path}")
                    .parse()
                    .unwrap(),
                headers,
                body,
            })
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&response.body);
        if response.status == 404 {
            let why = if text.contains(NO_ROUTE) {
                "no route"
            } else {
                "404 for an existing resource"
            };
            missing_routes.push(format!("{method} {t} ({why}: {path})"));
        } else {
            by_simulator.insert((method.clone(), t.clone()));
        }
        if method == "GET" && response.status == 200 {
            let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
            shape_problems.extend(response_problems(&spec, t, "get", 200, &body));
        }
    }
    assert!(shape_problems.is_empty(), "{shape_problems:#?}");

    let mut problems = Vec::new();
    for op in &ops {
        if !by_client.contains(op) {
            problems.push(format!("no client method: {} {}", op.0, op.1));
        }
        if !by_simulator.contains(op) {
            problems.push(format!("no simulator route: {} {}", op.0, op.1));
        }
    }
    println!(
        "hetzner-coverage: client={}/{} simulator={}/{}",
        by_client.len(),
        ops.len(),
        by_simulator.len(),
        ops.len()
    );
    for route in &missing_routes {
        println!("  simulator: {route}");
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[tokio::test(start_paused = true)]
async fn unknown_paths_and_actions_are_routes_that_do_not_exist() {
    let sim = Simulator::new();
    let client = Client::simulated(&sim).unwrap();
    let ids = seed(&client).await;
    for path in [
        "/servers/{id}/actions/teleport".replace("{id}", &ids.server.to_string()),
        "/nonsense".into(),
        format!("/volumes/{}/actions/shrink", ids.volume),
    ] {
        let err = client
            .execute(&hetzner_client::RequestSpec::post(path.clone(), json!({})))
            .await
            .unwrap_err();
        assert!(err.is_not_found(), "{path}");
        assert!(err.to_string().contains(NO_ROUTE), "{path}: {err}");
    }
    let err = client.volumes().get(999_999).await.unwrap_err();
    assert!(err.is_not_found() && !err.to_string().contains(NO_ROUTE));
}
