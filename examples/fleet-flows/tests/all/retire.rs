//! Retire removes exactly one instance's DNS records, server, firewall and IPs, keeps its
//! forensic snapshots and the other instances, and is idempotent, also under faults.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::time::Duration;

use cloudflare_client::PlanTier;
use fleet_flows::provision::{ProvisionRequest, provision};
use fleet_flows::quarantine::quarantine;
use fleet_flows::retire::{IpRetention, RetirePolicy, retire};
use fleet_flows::{Backends, Progress};
use hetzner_client::simulator::{Fault, Simulator};
use http::Method;

const ZONE: &str = "example.com";

#[tokio::test(start_paused = true)]
async fn retire_removes_one_instance_keeps_its_evidence_and_is_idempotent() {
    let h = Simulator::new();
    h.set_action_duration(Duration::from_secs(2));
    let c = cloudflare_client::simulator::Simulator::new();
    let zone = c.add_zone(ZONE, PlanTier::Free);
    let b = Backends::with_simulators(&h, &c).unwrap();
    let p = Progress::silent();
    let keep = ProvisionRequest::new("inst-0001", "alpha", ZONE);
    let gone = ProvisionRequest::new("inst-0002", "beta", ZONE);
    provision(&b, &keep, &p).await.unwrap();
    let victim = provision(&b, &gone, &p).await.unwrap();
    let report = quarantine(&b, &gone, &p).await.unwrap();
    let snapshot = report.snapshot_id.unwrap();

    h.inject(Fault::DropConnection, Method::DELETE, "/servers", 1);
    h.inject(Fault::ServerError, Method::DELETE, "/firewalls", 1);
    let out = retire(&b, &gone, RetirePolicy::default(), &p)
        .await
        .unwrap();
    assert_eq!(out.server_id, Some(victim.server_id));
    assert_eq!(out.firewall_id, Some(victim.firewall_id));
    assert_eq!(out.kept_snapshots, vec![snapshot]);
    assert!(
        out.removed_records.is_empty(),
        "quarantine removed them already"
    );
    tokio::time::sleep(Duration::from_secs(10)).await;

    let servers = h.servers();
    assert_eq!(servers.len(), 1);
    assert_eq!(servers[0].labels.get("instance"), Some("inst-0001"));
    let firewalls: Vec<String> = h.firewalls().into_iter().map(|f| f.name).collect();
    assert!(firewalls.contains(&"fw-inst-0001".to_owned()));
    assert!(!firewalls.contains(&"fw-inst-0002".to_owned()));
    let records = c.dns_records(&zone);
    assert_eq!(records.len(), 2);
    assert!(records.iter().all(|r| r.name == "alpha.example.com"));
    let ips = b
        .hetzner
        .primary_ips()
        .list(&Default::default())
        .await
        .unwrap()
        .items;
    assert!(
        ips.iter().all(|ip| ip.assignee_id == Some(servers[0].id)),
        "{ips:?}"
    );
    assert!(
        h.images().iter().any(|i| i.id == snapshot),
        "forensic snapshot kept"
    );

    let again = retire(&b, &gone, RetirePolicy::default(), &p)
        .await
        .unwrap();
    assert!(again.is_noop(), "{again}");
    assert_eq!(again.kept_snapshots, vec![snapshot]);
}

#[tokio::test(start_paused = true)]
async fn keeping_ips_leaves_them_unassigned_and_reported() {
    let h = Simulator::new();
    h.set_action_duration(Duration::from_secs(1));
    let c = cloudflare_client::simulator::Simulator::new();
    let zone = c.add_zone(ZONE, PlanTier::Free);
    let b = Backends::with_simulators(&h, &c).unwrap();
    let p = Progress::silent();
    let req = ProvisionRequest::new("inst-0003", "gamma", ZONE);
    provision(&b, &req, &p).await.unwrap();
    let policy = RetirePolicy {
        ips: IpRetention::Keep,
    };
    let out = retire(&b, &req, policy, &p).await.unwrap();
    assert_eq!(out.removed_records.len(), 2);
    assert!(c.dns_records(&zone).is_empty());
    assert!(h.servers().is_empty());
    tokio::time::sleep(Duration::from_secs(10)).await;
    let ips = b
        .hetzner
        .primary_ips()
        .list(&Default::default())
        .await
        .unwrap()
        .items;
    let mut kept: Vec<u64> = ips.iter().map(|ip| ip.id).collect();
    kept.sort_unstable();
    let mut want = out.kept_ips.clone();
    want.sort_unstable();
    assert_eq!(kept, want);
    assert!(!want.is_empty() && ips.iter().all(|ip| ip.assignee_id.is_none()));
}
