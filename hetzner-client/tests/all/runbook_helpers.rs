//! The runbook helpers that need the newer calls: protection on customer servers, rescue for
//! forensics after quarantine, reverse DNS, primary IPs kept across a reprovision, spread
//! placement groups. Against the simulator, under a paused clock.
#![allow(clippy::unwrap_used)]

use hetzner_client::helpers::placement::MAX_SPREAD_GROUP_SERVERS;
use hetzner_client::helpers::rdns::reverse_dns_targets;
use hetzner_client::resources::servers::CreateServer;
use hetzner_client::simulator::Simulator;
use hetzner_client::{Client, LabelSelector, Labels};

async fn server(client: &Client, name: &str, labels: Labels) -> u64 {
    let created = client
        .servers()
        .create(&CreateServer::new(name, "cx22", "ubuntu-24.04").labels(labels))
        .await
        .unwrap();
    client.actions().wait_for(&created.actions()).await.unwrap();
    created.server.id
}

fn fleet() -> Labels {
    Labels::new().with("managed-by", "fleet").unwrap()
}

#[tokio::test(start_paused = true)]
async fn customer_servers_get_delete_and_rebuild_protection() {
    let sim = Simulator::new();
    let client = Client::simulated(&sim).unwrap();
    let a = server(&client, "web-1", fleet()).await;
    let b = server(&client, "web-2", fleet()).await;
    let other = server(&client, "scratch", Labels::new()).await;
    let selector = LabelSelector::new().eq("managed-by", "fleet");
    let report = client.protect_servers(&selector).await.unwrap();
    assert_eq!(report.protected, vec![a, b]);
    assert_eq!(report.actions.len(), 2);
    let again = client.protect_servers(&selector).await.unwrap();
    assert_eq!((again.protected.len(), again.already), (0, vec![a, b]));
    for id in [a, b] {
        let err = client.servers().delete(id).await.unwrap_err();
        assert_eq!(err.status().map(u16::from), Some(423), "{err}");
        let err = client
            .servers()
            .rebuild(id, "ubuntu-24.04", None)
            .await
            .unwrap_err();
        assert_eq!(err.status().map(u16::from), Some(423));
    }
    client.servers().delete(other).await.unwrap();
    client.unprotect_server(a).await.unwrap();
    client.servers().delete(a).await.unwrap();
    assert_eq!(sim.servers().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn rescue_needs_quarantine_first_and_boots_the_rescue_system() {
    let sim = Simulator::new();
    let client = Client::simulated(&sim).unwrap();
    let id = server(&client, "web-1", fleet()).await;
    let err = client.enter_rescue(id, &[], true).await.unwrap_err();
    assert!(err.to_string().contains("quarantine"), "{err}");
    assert!(!client.servers().get(id).await.unwrap().rescue_enabled);
    client.quarantine(id).await.unwrap();
    let session = client.enter_rescue(id, &[], true).await.unwrap();
    assert!(session.root_password.is_some());
    assert!(!format!("{session:?}").contains("rescue-"));
    let now = client.servers().get(id).await.unwrap();
    assert!(now.rescue_enabled);
    client.leave_rescue(id).await.unwrap();
    let after = client.servers().get(id).await.unwrap();
    assert!(!after.rescue_enabled);
    assert_eq!(after.status.as_str(), "off");
}

#[tokio::test(start_paused = true)]
async fn reverse_dns_points_both_addresses_at_the_host_and_resets() {
    let sim = Simulator::new();
    let client = Client::simulated(&sim).unwrap();
    let id = server(&client, "web-1", fleet()).await;
    let before = client.servers().get(id).await.unwrap();
    let targets = reverse_dns_targets(&before);
    assert_eq!(targets.len(), 2);
    assert!(targets[1].ends_with("::1"));
    client
        .set_reverse_dns(id, Some("web-1.example.com"))
        .await
        .unwrap();
    let after = client.servers().get(id).await.unwrap();
    assert_eq!(
        after.public_net.ipv4.as_ref().unwrap().dns_ptr.as_deref(),
        Some("web-1.example.com")
    );
    let v6 = after
        .public_net
        .ipv6
        .as_ref()
        .unwrap()
        .dns_ptr
        .clone()
        .unwrap();
    assert_eq!(v6[0]["dns_ptr"], "web-1.example.com");
    sim.clear_requests();
    let err = client
        .set_reverse_dns(id, Some("bad host"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("dns_ptr"));
    assert!(
        sim.requests().iter().all(|r| r.method == http::Method::GET),
        "nothing is changed for a bad hostname"
    );
    client.set_reverse_dns(id, None).await.unwrap();
    let reset = client.servers().get(id).await.unwrap();
    assert_ne!(
        reset.public_net.ipv4.unwrap().dns_ptr.as_deref(),
        Some("web-1.example.com")
    );
}

#[tokio::test(start_paused = true)]
async fn a_reprovisioned_host_keeps_its_primary_ips() {
    let sim = Simulator::new();
    let client = Client::simulated(&sim).unwrap();
    let old = server(&client, "web-1", fleet()).await;
    let before = client.servers().get(old).await.unwrap();
    let (v4, v6) = (
        before.public_net.ipv4.clone().unwrap(),
        before.public_net.ipv6.clone().unwrap(),
    );
    let created = client
        .reprovision_keeping_ips(
            old,
            &CreateServer::new("web-1b", "cx22", "ubuntu-24.04").labels(fleet()),
        )
        .await
        .unwrap();
    let new = client.servers().get(created.server.id).await.unwrap();
    assert_ne!(new.id, old);
    assert!(client.servers().get_opt(old).await.unwrap().is_none());
    let (n4, n6) = (new.public_net.ipv4.unwrap(), new.public_net.ipv6.unwrap());
    assert_eq!((n4.id, n4.ip), (v4.id, v4.ip));
    assert_eq!((n6.id, n6.ip), (v6.id, v6.ip));
    let kept = client.primary_ips().get(v4.id.unwrap()).await.unwrap();
    assert!(!kept.auto_delete);
    assert_eq!(kept.assignee_id, Some(new.id));
    // without keeping them, a deleted server's primary IPs go with it
    let plain = server(&client, "web-2", fleet()).await;
    let ip = client
        .servers()
        .get(plain)
        .await
        .unwrap()
        .public_net
        .ipv4
        .unwrap()
        .id
        .unwrap();
    let action = client.servers().delete(plain).await.unwrap();
    client.actions().wait_for(&[action]).await.unwrap();
    assert!(
        client
            .primary_ips()
            .get(ip)
            .await
            .unwrap_err()
            .is_not_found()
    );
    // a protected server is not reprovisioned
    client
        .servers()
        .change_protection(new.id, true)
        .await
        .unwrap();
    let err = client
        .reprovision_keeping_ips(new.id, &CreateServer::new("web-1c", "cx22", "ubuntu-24.04"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("protected"), "{err}");
    assert!(client.servers().get_opt(new.id).await.unwrap().is_some());
}

#[tokio::test(start_paused = true)]
async fn spread_groups_roll_over_after_ten_servers() {
    let sim = Simulator::new();
    let client = Client::simulated(&sim).unwrap();
    let mut groups = Vec::new();
    for i in 0..=MAX_SPREAD_GROUP_SERVERS {
        let group = client
            .spread_group_with_room("acme-web", &fleet())
            .await
            .unwrap();
        let created = client
            .servers()
            .create(
                &CreateServer::new(format!("acme-{i}"), "cx22", "ubuntu-24.04")
                    .placement_group(group.id),
            )
            .await
            .unwrap();
        assert_eq!(
            created.server.placement_group.unwrap()["id"],
            serde_json::json!(group.id)
        );
        groups.push(group.name);
    }
    assert!(
        groups[..MAX_SPREAD_GROUP_SERVERS]
            .iter()
            .all(|g| g == "acme-web")
    );
    assert_eq!(groups[MAX_SPREAD_GROUP_SERVERS], "acme-web-2");
    let first = client
        .placement_groups()
        .get_by_name("acme-web")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.servers.len(), MAX_SPREAD_GROUP_SERVERS);
    // the simulator refuses an eleventh member, as the API does
    let err = client
        .servers()
        .create(&CreateServer::new("acme-x", "cx22", "ubuntu-24.04").placement_group(first.id))
        .await
        .unwrap_err();
    assert_eq!(err.status().map(u16::from), Some(403));
}
