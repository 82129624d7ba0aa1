//! The other examples' operations against the simulators, under tokio's paused clock.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::time::Duration;

use cloudflare_client::PlanTier;
use examples::provision::{ProvisionRequest, provision};
use examples::{Backends, Progress};
use hetzner_client::LabelSelector;
use hetzner_client::helpers::quarantine::QUARANTINE_FIREWALL;
use hetzner_client::models::image::ImageType;
use hetzner_client::simulator::Simulator;
use http::Method;

const ZONE: &str = "example.com";

fn world() -> (
    Backends,
    Simulator,
    cloudflare_client::simulator::Simulator,
    String,
) {
    let h = Simulator::new();
    let c = cloudflare_client::simulator::Simulator::new();
    let zone = c.add_zone(ZONE, PlanTier::Free);
    (Backends::with_simulators(&h, &c).unwrap(), h, c, zone)
}

#[tokio::test(start_paused = true)]
async fn quarantine_cuts_the_host_off_and_release_restores_it() {
    let (b, h, c, zone) = world();
    let p = Progress::silent();
    let req = ProvisionRequest::new("inst-0007", "shop", ZONE);
    let summary = provision(&b, &req, &p).await.unwrap();
    // A for the IPv4, AAAA for the server's IPv6 address.
    let types = |c: &cloudflare_client::simulator::Simulator| {
        let mut t: Vec<String> = c
            .dns_records(&zone)
            .iter()
            .map(|r| format!("{:?}", r.record_type))
            .collect();
        t.sort();
        t
    };
    assert_eq!(types(&c), ["A", "Aaaa"]);
    let v6 = summary.record_v6.as_ref().unwrap();
    let net: ipnet::Ipv6Net = summary.ipv6.as_deref().unwrap().parse().unwrap();
    assert_eq!(
        v6.content,
        std::net::Ipv6Addr::from(u128::from(net.network()) | 1).to_string()
    );

    examples::quarantine::quarantine(&b, &req, &p)
        .await
        .unwrap();
    assert!(c.dns_records(&zone).is_empty(), "A and AAAA removed");
    let deny = h
        .firewalls()
        .into_iter()
        .find(|f| f.name == QUARANTINE_FIREWALL)
        .unwrap();
    let server = h
        .servers()
        .into_iter()
        .find(|s| s.id == summary.server_id)
        .unwrap();
    let applied: Vec<u64> = server.public_net.firewalls.iter().map(|f| f.id).collect();
    assert_eq!(applied, [deny.id], "only the deny-all firewall applies");
    assert!(
        deny.rules
            .iter()
            .all(|r| r.direction != hetzner_client::models::firewall::Direction::In)
    );
    let forensic: Vec<_> = h
        .images()
        .into_iter()
        .filter(|i| i.kind == ImageType::Snapshot && i.labels.get("forensics") == Some("true"))
        .collect();
    assert_eq!(forensic.len(), 1);
    assert_eq!(forensic[0].labels.get("instance"), Some("inst-0007"));

    examples::quarantine::release(&b, &req, &p).await.unwrap();
    let server = h
        .servers()
        .into_iter()
        .find(|s| s.id == summary.server_id)
        .unwrap();
    let applied: Vec<u64> = server.public_net.firewalls.iter().map(|f| f.id).collect();
    assert_eq!(applied, [summary.firewall_id]);
    assert_eq!(types(&c), ["A", "Aaaa"]);
    let records = c.dns_records(&zone);
    assert!(records.iter().all(|r| r.proxied == Some(true)));
    let contents: Vec<String> = records.iter().map(|r| r.content.clone()).collect();
    assert!(contents.contains(summary.ipv4.as_ref().unwrap()));
    assert!(contents.contains(&v6.content));
    // The forensic snapshot stays; a second release changes nothing.
    assert_eq!(
        h.images()
            .iter()
            .filter(|i| i.labels.get("forensics").is_some())
            .count(),
        1
    );
    h.clear_requests();
    let steps = examples::quarantine::release(&b, &req, &p).await.unwrap();
    assert_eq!(
        steps.0,
        ["nothing to release: the instance is not quarantined"]
    );
    assert!(h.requests().iter().all(|r| r.method == Method::GET));
}

#[tokio::test(start_paused = true)]
async fn harden_zone_applies_once_and_then_reports_no_change() {
    let (b, _, c, _) = world();
    let p = Progress::silent();
    let dry = examples::zone::harden_zone(&b, ZONE, true, &p)
        .await
        .unwrap();
    assert!(!dry.plan.is_empty() && dry.applied.is_none());
    assert_eq!(c.stats().writes, 0, "a dry run writes nothing");
    let first = examples::zone::harden_zone(&b, ZONE, false, &p)
        .await
        .unwrap();
    assert!(first.applied.as_ref().unwrap().writes > 0);
    assert!(first.after.as_ref().unwrap().is_empty());
    let writes = c.stats().writes;
    let second = examples::zone::harden_zone(&b, ZONE, false, &p)
        .await
        .unwrap();
    assert!(second.plan.is_empty());
    assert_eq!(c.stats().writes, writes);
    assert!(examples::zone::describe(&second)[0].starts_with("no change"));
}

#[tokio::test(start_paused = true)]
async fn cleanup_is_a_dry_run_unless_asked_and_only_touches_stale_matching_snapshots() {
    let (b, h, _, _) = world();
    examples::demo::seed_snapshots(&b).unwrap();
    let count = || {
        h.images()
            .iter()
            .filter(|i| i.kind == ImageType::Snapshot)
            .count()
    };
    assert_eq!(count(), 4);
    let sel = LabelSelector::new().eq("role", "nightly");
    let max_age = Duration::from_secs(48 * 3600);
    let dry = examples::snapshots::cleanup(&b, &sel, max_age, true)
        .await
        .unwrap();
    assert_eq!((dry.deleted.len(), dry.kept), (2, 1));
    assert_eq!(count(), 4, "dry run deletes nothing");
    let real = examples::snapshots::cleanup(&b, &sel, max_age, false)
        .await
        .unwrap();
    assert_eq!(real.deleted.len(), 2);
    assert_eq!(count(), 2, "the 12 h nightly and the golden image stay");
    assert!(
        h.images()
            .iter()
            .any(|i| i.labels.get("role") == Some("golden"))
    );
}

#[tokio::test(start_paused = true)]
async fn expired_admin_keys_are_listed_and_rotation_replaces_one() {
    let (b, h, _, _) = world();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    examples::demo::seed_admin_keys(&b, today).await.unwrap();
    let expired = examples::ssh_keys::expired(&b, today).await.unwrap();
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].labels.get("owner"), Some("alice"));
    let replacement = hetzner_client::helpers::admin_keys::AdminKey {
        owner: "alice".into(),
        public_key: examples::demo::DEMO_KEYS[2].into(),
        expires: today + chrono::Duration::days(180),
    };
    let wrong_owner = hetzner_client::helpers::admin_keys::AdminKey {
        owner: "bob".into(),
        ..replacement.clone()
    };
    assert!(matches!(
        examples::ssh_keys::rotate(&b, &expired[0].name, &wrong_owner).await,
        Err(examples::Error::Invalid { ref field, .. }) if field == "owner"
    ));
    let rotation = examples::ssh_keys::rotate(&b, &expired[0].name, &replacement)
        .await
        .unwrap();
    assert_eq!(rotation.old_key.0, expired[0].id);
    let names: Vec<String> = h.ssh_keys().into_iter().map(|k| k.name).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&rotation.new_key.1) && !names.contains(&rotation.old_key.1));
    assert!(
        examples::ssh_keys::expired(&b, today)
            .await
            .unwrap()
            .is_empty()
    );
}
