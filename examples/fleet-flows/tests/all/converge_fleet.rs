//! A fleet of 100 simulated instances: one policy change (a new Cloudflare range and a new
//! admin source) reaches the zone's admin list and rules, every Hetzner firewall (in batches,
//! through the rate gates) and every host (signed bundle), and the fleet audit reports drift
//! before and none after.
#![allow(clippy::unwrap_used)]

use fleet_flows::converge::{FleetRanges, SimulatedFleet, converge_firewalls};
use hardening_model::audit::Status;
use hardening_model::presets;

const ZONE: &str = "example.com";
const N: usize = 100;

const API_LINES: [&str; 5] = [
    "firewall.hetzner",
    "cloudflare.ssl-strict",
    "cloudflare.waf",
    "cloudflare.admin-list",
    "cloudflare.origin-hidden",
];

fn status_of(audit: &fleet_flows::audit::FleetAudit, i: usize, id: &str) -> Status {
    let l = audit.instances[i]
        .lines
        .iter()
        .find(|l| l.id == id)
        .unwrap();
    assert_eq!(l.source, "api", "{id}");
    l.status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_range_change_converges_a_fleet_of_100() {
    let old = FleetRanges {
        admin_sources: vec!["198.51.100.0/24".parse().unwrap()],
        cloudflare_ranges: presets::firewall::cloudflare_fallback_ranges(),
    };
    let mut fleet = SimulatedFleet::create(ZONE, N, &old).await.unwrap();
    let csim = fleet.backends().cloudflare_sim.clone().unwrap();
    assert_eq!(
        csim.list_items("admin_ips").unwrap(),
        vec!["198.51.100.0/24"]
    );

    // version 1 everywhere: no drift, every API line answered by the APIs
    let v1 = fleet.bundle(1, "2026-12-07T18:00:00Z", &old).unwrap();
    let audit = fleet.audit(&old, &v1).await.unwrap();
    assert_eq!(audit.instances.len(), N);
    assert_eq!(audit.drift_count(), 0, "{}", audit.to_table());
    for id in API_LINES {
        assert_eq!(status_of(&audit, 0, id), Status::Pass, "{id}");
    }

    // Cloudflare adds a range, and an admin source is added
    let mut new = old.clone();
    new.cloudflare_ranges
        .push("203.0.113.0/24".parse().unwrap());
    new.admin_sources.push("192.0.2.7/32".parse().unwrap());
    let v2 = fleet.bundle(2, "2026-12-07T19:00:00Z", &new).unwrap();
    let before = fleet.audit(&new, &v2).await.unwrap();
    assert_eq!(
        before.drifted_instances().len(),
        N,
        "every instance drifts from the new policy"
    );
    for i in [0, N - 1] {
        assert_eq!(status_of(&before, i, "firewall.hetzner"), Status::Fail);
        assert_eq!(
            status_of(&before, i, "cloudflare.admin-list"),
            Status::Fail,
            "the zone's admin list still holds the old sources"
        );
    }

    let (cloud, used) = fleet.converge_cloud(&new, 25).await.unwrap();
    let out = &cloud.firewalls;
    assert_eq!((out.examined, out.updated.len(), out.unchanged), (N, N, 0));
    assert!(
        cloud
            .zone
            .plan
            .changes
            .iter()
            .any(|c| c.to_string().contains("admin_ips")),
        "the admin list changed: {:?}",
        cloud.zone.plan.changes
    );
    assert!(
        cloud.zone.after.as_ref().unwrap().is_empty(),
        "the zone matches afterwards"
    );
    assert!(cloud.zone.applied.as_ref().unwrap().writes > 0);
    // both providers are counted; the Hetzner side stays well within its budget
    assert!(used.hetzner < 3 * N as u64, "{used:?} for {N} firewalls");
    assert!(
        (1..100).contains(&used.cloudflare),
        "{used:?}: the zone is a fixed number of requests, not one per instance"
    );
    assert_eq!(used.total(), used.hetzner + used.cloudflare);
    // the Cloudflare side holds the new ranges
    let mut items = csim.list_items("admin_ips").unwrap();
    items.sort();
    assert_eq!(items, vec!["192.0.2.7/32", "198.51.100.0/24"]);
    let zone_id = fleet
        .backends()
        .cloudflare
        .zones()
        .get_by_name(ZONE)
        .await
        .unwrap()
        .unwrap()
        .id;
    let custom = csim
        .entrypoint(
            &zone_id,
            &cloudflare_client::resources::rulesets::Phase::HttpRequestFirewallCustom,
        )
        .unwrap();
    assert!(
        custom
            .rules
            .iter()
            .any(|r| r.enabled && r.expression.contains("$admin_ips"))
    );
    // a second run changes nothing on either side
    let (again, _) = fleet.converge_cloud(&new, 25).await.unwrap();
    assert!(again.zone.plan.is_empty());
    assert_eq!(again.firewalls.unchanged, N);
    assert_eq!(
        converge_firewalls(fleet.backends(), &new, 25)
            .await
            .unwrap()
            .unchanged,
        N
    );

    assert_eq!(fleet.pull_all(&v2).unwrap(), N);
    for h in fleet.hosts_mut() {
        assert!(h.pull(&v1).is_err(), "an older bundle is rejected");
    }
    let after = fleet.audit(&new, &v2).await.unwrap();
    assert_eq!(after.drift_count(), 0, "{}", after.to_table());
    assert_eq!(after.to_json()["drift"], 0);
    for i in [0, N / 2, N - 1] {
        for id in API_LINES {
            assert_eq!(status_of(&after, i, id), Status::Pass, "{id}");
        }
    }

    // a host edited by hand is caught from its report
    fleet.hosts_mut()[7].tamper("/etc/nftables.conf", b"flush ruleset\n");
    let tampered = fleet.audit(&new, &v2).await.unwrap();
    assert_eq!(tampered.drifted_instances(), vec!["inst-00007"]);
    assert!(tampered.to_table().contains("inst-00007"));
}
