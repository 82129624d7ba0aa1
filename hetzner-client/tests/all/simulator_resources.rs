//! Behaviour of the kinds behind the shared resource handle, against the simulator: what each
//! action changes, protection, refusals, references by name or id, and reconciled creates.
#![allow(clippy::unwrap_used)]

use hetzner_client::models::common::IpType;
use hetzner_client::models::network::{Route, Subnet, SubnetType};
use hetzner_client::models::zone::Record;
use hetzner_client::resources::common::Update;
use hetzner_client::resources::floating_ips::CreateFloatingIp;
use hetzner_client::resources::load_balancers::{CreateLoadBalancer, Service, Target};
use hetzner_client::resources::networks::CreateNetwork;
use hetzner_client::resources::primary_ips::CreatePrimaryIp;
use hetzner_client::resources::servers::CreateServer;
use hetzner_client::resources::volumes::CreateVolume;
use hetzner_client::resources::zones::CreateZone;
use hetzner_client::simulator::{Fault, Simulator};
use hetzner_client::{Client, ListParams};
use serde_json::json;

async fn setup() -> (Simulator, Client, u64) {
    let sim = Simulator::new();
    let client = Client::simulated(&sim).unwrap();
    let created = client
        .servers()
        .create(&CreateServer::new("web-1", "cx22", "ubuntu-24.04").location("nbg1"))
        .await
        .unwrap();
    client.actions().wait_for(&created.actions()).await.unwrap();
    (sim, client, created.server.id)
}

#[tokio::test(start_paused = true)]
async fn volumes_attach_detach_resize_and_honour_protection() {
    let (_sim, client, server) = setup().await;
    let volume = client
        .volumes()
        .create(
            &CreateVolume::new("data", 10)
                .location("nbg1")
                .format("ext4"),
        )
        .await
        .unwrap()
        .value;
    assert_eq!(volume.location.unwrap().name, "nbg1");
    client
        .volumes()
        .attach(volume.id, server, false)
        .await
        .unwrap();
    let on_server = client.servers().get(server).await.unwrap();
    assert_eq!(on_server.volumes, vec![i64::try_from(volume.id).unwrap()]);
    let err = client.volumes().delete(volume.id).await.unwrap_err();
    assert!(err.to_string().contains("volume_attached"), "{err}");
    client.volumes().detach(volume.id).await.unwrap();
    client.volumes().resize(volume.id, 20).await.unwrap();
    assert!(client.volumes().resize(volume.id, 5).await.is_err());
    assert_eq!(client.volumes().get(volume.id).await.unwrap().size, 20);
    client
        .volumes()
        .change_protection(volume.id, true)
        .await
        .unwrap();
    assert_eq!(
        client
            .volumes()
            .delete(volume.id)
            .await
            .unwrap_err()
            .status()
            .map(u16::from),
        Some(423)
    );
    client
        .volumes()
        .change_protection(volume.id, false)
        .await
        .unwrap();
    client.volumes().delete(volume.id).await.unwrap();
    let gone = client.volumes().get(volume.id).await.unwrap_err();
    assert!(gone.is_not_found());
}

#[tokio::test(start_paused = true)]
async fn references_by_name_or_id_are_resolved_or_rejected() {
    let (sim, client, _) = setup().await;
    // a numeric location id, as Hetzner's own clients send it
    let spec = hetzner_client::RequestSpec::post(
        "/servers",
        json!({ "name": "web-2", "server_type": 2, "image": "1", "location": 3 }),
    );
    let body = client.execute(&spec).await.unwrap().body;
    let created: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(created["server"]["location"]["name"], "hel1");
    assert_eq!(created["server"]["server_type"]["name"], "cx32");
    for (field, value) in [("location", json!(99)), ("server_type", json!("cx999"))] {
        let mut body = json!({ "name": "web-3", "server_type": "cx22", "image": "ubuntu-24.04" });
        body[field] = value;
        let err = client
            .execute(&hetzner_client::RequestSpec::post("/servers", body))
            .await
            .unwrap_err();
        assert_eq!(err.status().map(u16::from), Some(422), "{field}");
        assert!(err.to_string().contains(field), "{err}");
    }
    assert_eq!(sim.servers().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn floating_and_primary_ips_move_between_servers() {
    let (_sim, client, server) = setup().await;
    let vip = client
        .floating_ips()
        .create(&CreateFloatingIp::new("vip", IpType::Ipv4).home_location("nbg1"))
        .await
        .unwrap()
        .value;
    client.floating_ips().assign(vip.id, server).await.unwrap();
    assert_eq!(
        client
            .servers()
            .get(server)
            .await
            .unwrap()
            .public_net
            .floating_ips,
        vec![i64::try_from(vip.id).unwrap()]
    );
    client
        .floating_ips()
        .change_dns_ptr(vip.id, &vip.ip, Some("vip.example.com"))
        .await
        .unwrap();
    let vip = client.floating_ips().get(vip.id).await.unwrap();
    assert_eq!(vip.dns_ptr[0].dns_ptr, "vip.example.com");
    client.floating_ips().unassign(vip.id).await.unwrap();
    assert!(
        client
            .servers()
            .get(server)
            .await
            .unwrap()
            .public_net
            .floating_ips
            .is_empty()
    );

    // a running server cannot take a primary IP; one in another location never
    let spare = client
        .primary_ips()
        .create(&CreatePrimaryIp::new("spare", IpType::Ipv6).location("fsn1"))
        .await
        .unwrap()
        .value;
    let err = client
        .primary_ips()
        .assign(spare.id, server)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("datacenter_mismatch"), "{err}");
    let renamed = client
        .primary_ips()
        .update(spare.id, &Update::default().name("spare-v6"))
        .await
        .unwrap();
    assert_eq!(renamed.name, "spare-v6");
    let err = client
        .primary_ips()
        .update(spare.id, &Update::default().field("ip", json!("::1")))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("ip"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn networks_take_subnets_routes_and_servers() {
    let (_sim, client, server) = setup().await;
    let net = client
        .networks()
        .create(&CreateNetwork::new("backend", "10.0.0.0/16"))
        .await
        .unwrap()
        .value;
    let subnet = Subnet {
        kind: SubnetType::Cloud,
        ip_range: Some("10.0.1.0/24".into()),
        network_zone: "eu-central".into(),
        gateway: String::new(),
        vswitch_id: None,
    };
    client.networks().add_subnet(net.id, &subnet).await.unwrap();
    let route = Route {
        destination: "10.100.0.0/24".into(),
        gateway: "10.0.1.2".into(),
    };
    client.networks().add_route(net.id, &route).await.unwrap();
    client
        .servers()
        .attach_to_network(server, net.id, Some("10.0.1.5"), &[])
        .await
        .unwrap();
    let net = client.networks().get(net.id).await.unwrap();
    assert_eq!(net.subnets[0].gateway, "10.0.0.1");
    assert_eq!(net.routes, vec![route.clone()]);
    assert_eq!(net.servers, vec![i64::try_from(server).unwrap()]);
    let attached = client.servers().get(server).await.unwrap();
    assert_eq!(attached.private_net[0].ip, "10.0.1.5");
    assert!(
        client
            .networks()
            .create(&CreateNetwork::new("public", "8.8.0.0/16"))
            .await
            .is_err()
    );
    client
        .networks()
        .delete_route(net.id, &route)
        .await
        .unwrap();
    assert!(
        client
            .networks()
            .get(net.id)
            .await
            .unwrap()
            .routes
            .is_empty()
    );
}

#[tokio::test(start_paused = true)]
async fn load_balancers_keep_services_and_targets() {
    let (_sim, client, server) = setup().await;
    let lb = client
        .load_balancers()
        .create(&CreateLoadBalancer::new("lb", "lb11", "nbg1"))
        .await
        .unwrap()
        .value;
    client
        .load_balancers()
        .add_service(lb.id, &Service::tcp(443, 8443))
        .await
        .unwrap();
    let again = client
        .load_balancers()
        .add_service(lb.id, &Service::tcp(443, 8443))
        .await
        .unwrap_err();
    assert!(again.to_string().contains("source_port_already_used"));
    let target = Target::Server {
        id: server,
        use_private_ip: false,
    };
    client
        .load_balancers()
        .add_target(lb.id, &target)
        .await
        .unwrap();
    client
        .load_balancers()
        .change_type(lb.id, "lb21")
        .await
        .unwrap();
    let lb = client.load_balancers().get(lb.id).await.unwrap();
    assert_eq!(lb.services.len(), 1);
    assert_eq!(lb.targets[0]["server"]["id"], json!(server));
    assert_eq!(lb.load_balancer_type.unwrap().name, "lb21");
    client
        .load_balancers()
        .remove_target(lb.id, &target)
        .await
        .unwrap();
    client
        .load_balancers()
        .delete_service(lb.id, 443)
        .await
        .unwrap();
    let lb = client.load_balancers().get(lb.id).await.unwrap();
    assert!(lb.services.is_empty() && lb.targets.is_empty());
}

#[tokio::test(start_paused = true)]
async fn zones_keep_records_and_a_lost_create_is_reconciled() {
    let (sim, client, _) = setup().await;
    sim.inject(Fault::DropConnection, http::Method::POST, "/zones", 1);
    let zone = client
        .zones()
        .create(&CreateZone::primary("example.com"))
        .await
        .unwrap();
    assert!(zone.reconciled);
    let rr = client.zones().rrsets("example.com");
    rr.create("www", "A", Some(300), &[Record::new("198.51.100.7")])
        .await
        .unwrap();
    rr.add_records("www", "A", &[Record::new("198.51.100.8")])
        .await
        .unwrap();
    assert_eq!(rr.get("www", "A").await.unwrap().records.len(), 2);
    let file = client.zones().zonefile("example.com").await.unwrap();
    assert!(file.contains("www 300 IN A 198.51.100.8"), "{file}");
    rr.change_protection("www", "A", true).await.unwrap();
    let err = rr
        .set_records("www", "A", &[Record::new("203.0.113.1")])
        .await
        .unwrap_err();
    assert_eq!(err.status().map(u16::from), Some(423));
    client
        .zones()
        .import_zonefile("example.com", "mail 600 IN A 198.51.100.9\n")
        .await
        .unwrap();
    let listed = rr.list(&ListParams::default(), &["A"]).await.unwrap();
    let names: Vec<_> = listed.items.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, vec!["www", "mail"]);
    let every: Vec<_> =
        futures::TryStreamExt::try_collect(rr.stream(&ListParams::default(), &[]).unwrap())
            .await
            .unwrap();
    assert_eq!(every.len(), 4, "SOA, NS, www, mail");
    client
        .zones()
        .change_protection("example.com", true)
        .await
        .unwrap();
    assert_eq!(
        client
            .zones()
            .delete("example.com")
            .await
            .unwrap_err()
            .status()
            .map(u16::from),
        Some(423)
    );
}

#[tokio::test(start_paused = true)]
async fn servers_carry_primary_ip_ids_and_snapshots_their_architecture() {
    let (_sim, client, server) = setup().await;
    let got = client.servers().get(server).await.unwrap();
    let v4 = got.public_net.ipv4.unwrap();
    let v6 = got.public_net.ipv6.unwrap();
    let primary = client.primary_ips().get(v4.id.unwrap()).await.unwrap();
    assert_eq!((primary.ip, primary.assignee_id), (v4.ip, Some(server)));
    assert!(
        primary.auto_delete,
        "created with the server, deleted with it"
    );
    assert_eq!(
        client.primary_ips().get(v6.id.unwrap()).await.unwrap().ip,
        v6.ip
    );
    let arm = client
        .servers()
        .create(&CreateServer::new("arm-1", "cax11", "ubuntu-24.04"))
        .await
        .unwrap();
    let image = client
        .servers()
        .create_image(arm.server.id, &Default::default())
        .await
        .unwrap()
        .image;
    assert_eq!(image.architecture.unwrap().as_str(), "arm");
}

#[tokio::test(start_paused = true)]
async fn a_server_takes_at_most_five_firewalls() {
    use hetzner_client::models::firewall::ApplyTo;
    use hetzner_client::resources::firewalls::CreateFirewall;
    let (_sim, client, server) = setup().await;
    let mut ids = Vec::new();
    for i in 0..6 {
        let fw = client
            .firewalls()
            .create(&CreateFirewall::new(format!("fw-{i}")))
            .await
            .unwrap();
        ids.push(fw.firewall.id);
    }
    for id in &ids[..5] {
        let actions = client
            .firewalls()
            .apply_to_resources(*id, &[ApplyTo::server(server)])
            .await
            .unwrap();
        client.actions().wait_for(&actions).await.unwrap();
    }
    let err = client
        .firewalls()
        .apply_to_resources(ids[5], &[ApplyTo::server(server)])
        .await
        .unwrap_err();
    assert_eq!(err.status().map(u16::from), Some(403), "{err}");
    assert_eq!(
        client
            .servers()
            .get(server)
            .await
            .unwrap()
            .public_net
            .firewalls
            .len(),
        5
    );
    let mut create = CreateServer::new("web-9", "cx22", "ubuntu-24.04");
    for id in &ids {
        create = create.firewall(*id);
    }
    assert_eq!(
        client
            .servers()
            .create(&create)
            .await
            .unwrap_err()
            .status()
            .map(u16::from),
        Some(403)
    );
}
