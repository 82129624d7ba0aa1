//! The whole lifecycle for 50 instances at once, under faults on both APIs (applied-then-
//! dropped connections, 5xx, 429, slow answers past the client's timeout): provision,
//! quarantine, release, restore onto a fresh host, retire, with the exact resource counts
//! after each step (no duplicate, no leftover).
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::time::Duration;

use cloudflare_client::PlanTier;
use cloudflare_client::simulator::{Fault as CfFault, FaultRule};
use fleet_flows::provision::{ProvisionRequest, find_server, provision};
use fleet_flows::quarantine::{quarantine, release};
use fleet_flows::restore::fresh_host;
use fleet_flows::retire::{RetirePolicy, retire};
use fleet_flows::{Backends, Progress};
use hetzner_client::helpers::quarantine::QUARANTINE_FIREWALL;
use hetzner_client::simulator::{Fault, Simulator};
use http::Method;

const ZONE: &str = "example.com";
const N: usize = 50;

fn requests() -> Vec<ProvisionRequest> {
    (0..N)
        .map(|i| ProvisionRequest::new(format!("inst-{i:04}"), format!("site{i}"), ZONE))
        .collect()
}

fn faults(h: &Simulator, c: &cloudflare_client::simulator::Simulator) {
    h.inject(Fault::DropConnection, Method::POST, "/servers", 2);
    h.inject(Fault::DropConnection, Method::POST, "/firewalls", 2);
    h.inject(Fault::ServerError, Method::GET, "/servers", 2);
    h.inject(Fault::RateLimited, Method::POST, "/firewalls", 2);
    h.inject(
        Fault::Slow(Duration::from_secs(120)),
        Method::PUT,
        "/servers",
        1,
    );
    h.inject(Fault::ServerError, Method::DELETE, "/servers", 1);
    c.inject(
        FaultRule::new(CfFault::ServerError(502))
            .method(Method::GET)
            .times(2),
    );
    c.inject(
        FaultRule::new(CfFault::RateLimited {
            retry_after: Duration::from_secs(2),
        })
        .times(2),
    );
    c.inject(
        FaultRule::new(CfFault::DropConnection)
            .method(Method::DELETE)
            .times(2),
    );
}

struct Counts {
    servers: usize,
    firewalls: usize,
    deny: usize,
    records: usize,
    forensic: usize,
}

fn counts(h: &Simulator, c: &cloudflare_client::simulator::Simulator, zone: &str) -> Counts {
    let firewalls = h.firewalls();
    Counts {
        servers: h.servers().len(),
        firewalls: firewalls
            .iter()
            .filter(|f| f.name.starts_with("fw-inst-"))
            .count(),
        deny: firewalls
            .iter()
            .filter(|f| f.name == QUARANTINE_FIREWALL)
            .count(),
        records: c.dns_records(zone).len(),
        forensic: h
            .images()
            .iter()
            .filter(|i| i.labels.get("forensics") == Some("true"))
            .count(),
    }
}

async fn each<F, Fut, T>(step: &str, reqs: &[ProvisionRequest], b: &Backends, f: F) -> Vec<T>
where
    F: Fn(Backends, ProvisionRequest) -> Fut,
    Fut: std::future::Future<Output = fleet_flows::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = reqs
        .iter()
        .map(|r| tokio::spawn(f(b.clone(), r.clone())))
        .collect();
    let mut out = Vec::new();
    for h in handles {
        match h.await.unwrap() {
            Ok(v) => out.push(v),
            Err(e) => panic!("{step}: {}", fleet_flows::error::chain(&e)),
        }
    }
    out
}

#[tokio::test(start_paused = true)]
async fn fifty_instances_through_every_flow_under_faults() {
    let h = Simulator::new();
    h.set_action_duration(Duration::from_secs(3));
    let c = cloudflare_client::simulator::Simulator::new();
    let zone = c.add_zone(ZONE, PlanTier::Free);
    let b = Backends::with_simulators(&h, &c).unwrap();
    let reqs = requests();

    faults(&h, &c);
    each("provision", &reqs, &b, |b, r| async move {
        provision(&b, &r, &Progress::silent()).await
    })
    .await;
    let n = counts(&h, &c, &zone);
    assert_eq!(
        (n.servers, n.firewalls, n.deny, n.records),
        (N, N, 0, 2 * N),
        "provision"
    );

    faults(&h, &c);
    let reports = each("quarantine", &reqs, &b, |b, r| async move {
        quarantine(&b, &r, &Progress::silent()).await
    })
    .await;
    assert!(
        reports
            .iter()
            .all(fleet_flows::quarantine::QuarantineReport::contained)
    );
    let n = counts(&h, &c, &zone);
    assert_eq!(
        (n.servers, n.firewalls, n.deny, n.records, n.forensic),
        (N, N, 1, 0, N),
        "quarantine"
    );
    let deny = h
        .firewalls()
        .into_iter()
        .find(|f| f.name == QUARANTINE_FIREWALL)
        .unwrap();
    for s in h.servers() {
        let ids: Vec<u64> = s.public_net.firewalls.iter().map(|f| f.id).collect();
        assert_eq!(ids, vec![deny.id], "server {} contained", s.id);
    }

    faults(&h, &c);
    each("release", &reqs, &b, |b, r| async move {
        release(&b, &r, &Progress::silent()).await
    })
    .await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    let n = counts(&h, &c, &zone);
    assert_eq!(
        (n.servers, n.firewalls, n.deny, n.records, n.forensic),
        (N, N, 1, 2 * N, N),
        "release"
    );
    for s in h.servers() {
        assert_eq!(
            s.public_net.firewalls.len(),
            1,
            "own firewall only on {}",
            s.id
        );
        assert_ne!(s.public_net.firewalls[0].id, deny.id);
    }

    // the hosts are lost; restore onto fresh ones
    for r in &reqs {
        let lost = find_server(&b, &r.instance().unwrap())
            .await
            .unwrap()
            .unwrap();
        b.hetzner.servers().delete(lost.id).await.unwrap();
    }
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert!(h.servers().is_empty());
    faults(&h, &c);
    let store = cloudinit_builder::preset::ObjectStore::new(
        "https://fsn1.your-objectstorage.com",
        "fleet-backups",
        "fsn1",
    )
    .unwrap();
    each("restore", &reqs, &b, move |b, r| {
        let store = store.clone();
        async move {
            fresh_host(
                &b,
                &r,
                &store,
                "/nonexistent/identity",
                "/nonexistent/work",
                &Progress::silent(),
            )
            .await
            .map(|(_, summary)| summary)
        }
    })
    .await;
    let n = counts(&h, &c, &zone);
    assert_eq!(
        (n.servers, n.firewalls, n.deny, n.records, n.forensic),
        (N, N, 1, 2 * N, N),
        "restore"
    );

    faults(&h, &c);
    each("retire", &reqs, &b, |b, r| async move {
        retire(&b, &r, RetirePolicy::default(), &Progress::silent()).await
    })
    .await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    let n = counts(&h, &c, &zone);
    assert_eq!(
        (n.servers, n.firewalls, n.deny, n.records, n.forensic),
        (0, 0, 1, 0, N),
        "retire"
    );
    let ips = b
        .hetzner
        .primary_ips()
        .list(&Default::default())
        .await
        .unwrap()
        .items;
    assert!(ips.is_empty(), "no IP left: {ips:?}");
}
