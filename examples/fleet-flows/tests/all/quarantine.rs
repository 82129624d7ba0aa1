//! Quarantine contains first: the deny-all firewall is the first mutating request, every allow
//! firewall (label selectors included) is gone before DNS or the snapshot is touched, and
//! release restores the host.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::time::Duration;

use cloudflare_client::PlanTier;
use fleet_flows::provision::{ProvisionRequest, provision};
use fleet_flows::quarantine::{quarantine, release};
use fleet_flows::{Backends, Progress};
use hetzner_client::LabelSelector;
use hetzner_client::helpers::quarantine::QUARANTINE_FIREWALL;
use hetzner_client::models::firewall::{ApplyTo, FirewallRule, Protocol};
use hetzner_client::resources::firewalls::CreateFirewall;
use hetzner_client::simulator::{Fault, Simulator};
use http::Method;

const ZONE: &str = "example.com";

struct World {
    b: Backends,
    h: Simulator,
    c: cloudflare_client::simulator::Simulator,
    zone: String,
}

fn world() -> World {
    let h = Simulator::new();
    h.set_action_duration(Duration::from_secs(2));
    let c = cloudflare_client::simulator::Simulator::new();
    let zone = c.add_zone(ZONE, PlanTier::Free);
    World {
        b: Backends::with_simulators(&h, &c).unwrap(),
        h,
        c,
        zone,
    }
}

fn is_mutating(method: &Method) -> bool {
    method != Method::GET
}

/// Provisions `inst-0007` and adds an allow-all-SSH firewall applied by label selector to
/// every managed host (the case the old flow left in place).
async fn provisioned_with_selector_firewall(w: &World) -> (ProvisionRequest, u64, u64) {
    let req = ProvisionRequest::new("inst-0007", "shop", ZONE);
    let summary = provision(&w.b, &req, &Progress::silent()).await.unwrap();
    let selector = LabelSelector::new().eq("managed-by", "hardened-fleet");
    let allow =
        w.b.hetzner
            .firewalls()
            .create(
                &CreateFirewall::new("fleet-ssh-anywhere")
                    .rule(FirewallRule::inbound(
                        Protocol::Tcp,
                        Some("22"),
                        ["0.0.0.0/0"],
                    ))
                    .apply_to(ApplyTo::label_selector(&selector).unwrap()),
            )
            .await
            .unwrap();
    w.b.hetzner
        .actions()
        .wait_for(&allow.actions)
        .await
        .unwrap();
    (req, summary.server_id, allow.firewall.id)
}

fn applied(h: &Simulator, server: u64) -> Vec<u64> {
    let s = h.servers().into_iter().find(|s| s.id == server).unwrap();
    let mut ids: Vec<u64> = s.public_net.firewalls.iter().map(|f| f.id).collect();
    ids.sort_unstable();
    ids
}

#[tokio::test(start_paused = true)]
async fn containment_is_the_first_mutating_request_and_precedes_dns_and_snapshot() {
    let w = world();
    let (req, server, selector_fw) = provisioned_with_selector_firewall(&w).await;
    assert_eq!(
        applied(&w.h, server).len(),
        2,
        "own firewall and the selector one"
    );
    // the deny-all firewall exists already (another host was quarantined before)
    w.b.hetzner
        .firewalls()
        .create(&hetzner_client::helpers::quarantine::deny_all_firewall().unwrap())
        .await
        .unwrap();
    w.h.clear_requests();
    let cf_writes_before = w.c.stats().writes;

    let report = quarantine(&w.b, &req, &Progress::silent()).await.unwrap();

    let deny =
        w.h.firewalls()
            .into_iter()
            .find(|f| f.name == QUARANTINE_FIREWALL)
            .unwrap();
    let log = w.h.requests();
    let writes: Vec<_> = log.iter().filter(|r| is_mutating(&r.method)).collect();
    assert_eq!(
        (writes[0].method.clone(), writes[0].path.as_str()),
        (
            Method::POST,
            format!("/firewalls/{}/actions/apply_to_resources", deny.id).as_str()
        ),
        "first mutating request: {writes:?}"
    );
    let snapshot_at = writes
        .iter()
        .position(|r| r.path.ends_with("/actions/create_image"))
        .unwrap();
    let relabel_at = writes
        .iter()
        .position(|r| r.method == Method::PUT && r.path == format!("/servers/{server}"))
        .unwrap();
    let removal_at = writes
        .iter()
        .position(|r| r.path.ends_with("/actions/remove_from_resources"))
        .unwrap();
    assert!(
        relabel_at < snapshot_at && removal_at < snapshot_at,
        "{writes:?}"
    );

    assert_eq!(
        applied(&w.h, server),
        vec![deny.id],
        "only the deny-all firewall"
    );
    assert!(report.contained());
    assert_eq!(report.detached_by_labels, vec![selector_fw]);
    assert_eq!(
        report.held_labels,
        vec![("managed-by".to_owned(), "hardened-fleet".to_owned())]
    );
    assert_eq!(report.removed_records.len(), 2, "A and AAAA");
    assert!(w.c.dns_records(&w.zone).is_empty());
    assert_eq!(w.c.stats().writes - cf_writes_before, 2);
    let snapshot = report.snapshot_id.unwrap();
    let image = w.h.images().into_iter().find(|i| i.id == snapshot).unwrap();
    assert_eq!(image.labels.get("forensics"), Some("true"));
    assert!(report.to_string().contains("detached by labels"));

    // release: own firewall and labels back, deny-all off, DNS back
    release(&w.b, &req, &Progress::silent()).await.unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let own =
        w.h.firewalls()
            .into_iter()
            .find(|f| f.name == "fw-inst-0007")
            .unwrap();
    let mut want = vec![own.id, selector_fw];
    want.sort_unstable();
    assert_eq!(applied(&w.h, server), want);
    let s = w.h.servers().into_iter().find(|s| s.id == server).unwrap();
    assert_eq!(s.labels.get("managed-by"), Some("hardened-fleet"));
    assert!(s.labels.iter().all(|(k, _)| !k.starts_with("held.")));
    assert_eq!(w.c.dns_records(&w.zone).len(), 2);
    let again = release(&w.b, &req, &Progress::silent()).await.unwrap();
    assert_eq!(
        again.0,
        ["nothing to release: the instance is not quarantined"]
    );
    assert_eq!(
        w.h.images().iter().filter(|i| i.id == snapshot).count(),
        1,
        "kept"
    );
}

#[tokio::test(start_paused = true)]
async fn the_first_quarantine_creates_the_deny_all_firewall_on_the_server_in_one_request() {
    let w = world();
    let (req, server, _) = provisioned_with_selector_firewall(&w).await;
    w.h.clear_requests();
    quarantine(&w.b, &req, &Progress::silent()).await.unwrap();
    let log = w.h.requests();
    let first = log.iter().find(|r| is_mutating(&r.method)).unwrap();
    assert_eq!(
        (first.method.clone(), first.path.as_str()),
        (Method::POST, "/firewalls")
    );
    let body = first.body.as_ref().unwrap();
    assert_eq!(body["name"], QUARANTINE_FIREWALL);
    assert_eq!(body["apply_to"][0]["server"]["id"], server);
    assert_eq!(applied(&w.h, server).len(), 1);
}

#[tokio::test(start_paused = true)]
async fn containment_survives_dropped_connections_5xx_and_429() {
    let w = world();
    let (req, server, _) = provisioned_with_selector_firewall(&w).await;
    w.h.inject(Fault::DropConnection, Method::POST, "/firewalls", 1);
    w.h.inject(Fault::ServerError, Method::PUT, "/servers", 1);
    w.h.inject(Fault::RateLimited, Method::POST, "/firewalls", 1);
    w.h.inject(Fault::DropConnection, Method::POST, "/servers", 1);
    let report = quarantine(&w.b, &req, &Progress::silent()).await.unwrap();
    assert!(report.contained());
    let deny =
        w.h.firewalls()
            .into_iter()
            .filter(|f| f.name == QUARANTINE_FIREWALL)
            .collect::<Vec<_>>();
    assert_eq!(deny.len(), 1, "one deny-all firewall");
    assert_eq!(applied(&w.h, server), vec![deny[0].id]);
    let forensic = |h: &Simulator| {
        h.images()
            .iter()
            .filter(|i| i.labels.get("forensics") == Some("true"))
            .count()
    };
    assert_eq!(
        forensic(&w.h),
        1,
        "a dropped create_image is reconciled, not repeated"
    );
    // a second run changes no firewall
    w.h.clear_requests();
    quarantine(&w.b, &req, &Progress::silent()).await.unwrap();
    assert!(
        w.h.requests()
            .iter()
            .filter(|r| is_mutating(&r.method))
            .all(|r| r.path.ends_with("/actions/create_image")),
        "{:?}",
        w.h.requests()
    );
}
