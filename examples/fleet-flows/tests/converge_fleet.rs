//! A fleet of 100 simulated instances: one Cloudflare range change reaches every Hetzner
//! firewall (in batches, through the rate gate) and every host (signed bundle), and the fleet
//! audit reports drift before and none after.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use cloudinit_builder::Secret;
use fleet_flows::audit::{Desired, audit_fleet};
use fleet_flows::converge::{
    Bundle, BundleSigner, DesiredFile, FleetRanges, HostReport, SimulatedHost, converge_cloud,
    converge_firewalls,
};
use fleet_flows::{Backends, Progress};
use hardening_model::RenderedFile;
use hardening_model::converge::{Selector, Validator};
use hardening_model::presets;
use hardening_model::values::{Port, UnixUser};
use hetzner_client::Labels;
use hetzner_client::resources::firewalls::CreateFirewall;
use hetzner_client::resources::servers::CreateServer;

const ZONE: &str = "example.com";
const N: usize = 100;

fn host_files(ranges: &FleetRanges) -> Vec<DesiredFile> {
    let port = Port::new(22).unwrap();
    let fw =
        presets::firewall::baseline(port, &ranges.admin_sources, &ranges.cloudflare_ranges, None)
            .unwrap();
    let sshd = presets::host::sshd(port, &[UnixUser::new("admin").unwrap()])
        .unwrap()
        .render()
        .unwrap();
    vec![
        DesiredFile::new(fw.nftables_conf(), Validator::Nft),
        DesiredFile::new(sshd, Validator::Sshd),
    ]
}

fn rendered(files: &[DesiredFile]) -> Vec<RenderedFile> {
    files.iter().map(|f| f.file.clone()).collect()
}

fn key(i: usize) -> Secret {
    Secret::new(format!("report-key-of-instance-{i:04}")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_range_change_converges_a_fleet_of_100() {
    let backends = Backends::simulated(ZONE).unwrap();
    let hsim = backends.hetzner_sim.clone().unwrap();
    hsim.set_action_duration(Duration::from_millis(5));
    fleet_flows::zone::harden_zone(&backends, ZONE, false, &Progress::silent())
        .await
        .unwrap();

    let old = FleetRanges {
        admin_sources: vec!["198.51.100.0/24".parse().unwrap()],
        cloudflare_ranges: presets::firewall::cloudflare_fallback_ranges(),
    };
    let signer = BundleSigner::generate().unwrap();
    let mut hosts = Vec::new();
    for i in 0..N {
        let id = format!("inst-{i:04}");
        let labels = Labels::new()
            .with("managed-by", "hardened-fleet")
            .unwrap()
            .with("instance", id.as_str())
            .unwrap()
            .with("ssh-port", "22")
            .unwrap();
        let fw = backends
            .hetzner
            .firewalls()
            .create(
                &CreateFirewall::new(format!("fw-{id}"))
                    .labels(labels.clone())
                    .rules(old.hetzner_rules(Port::new(22).unwrap()).unwrap()),
            )
            .await
            .unwrap()
            .firewall;
        backends
            .hetzner
            .servers()
            .create(
                &CreateServer::new(id.as_str(), "cx22", "ubuntu-24.04")
                    .firewall(fw.id)
                    .labels(labels),
            )
            .await
            .unwrap();
        hosts.push(SimulatedHost::new(&id, &signer.public_key_line(), key(i)).unwrap());
    }
    let collect = |hosts: &[SimulatedHost]| -> BTreeMap<String, HostReport> {
        hosts
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let r = HostReport::verify(&h.report(), &key(i)).unwrap();
                (r.instance.clone(), r)
            })
            .collect()
    };

    // version 1 everywhere: no drift
    let files_v1 = host_files(&old);
    let v1 = Bundle::build(
        &signer,
        1,
        "2026-12-07T18:00:00Z",
        Selector::all(),
        &files_v1,
    )
    .unwrap();
    for h in &mut hosts {
        assert!(h.pull(&v1).unwrap());
    }
    let host_v1 = rendered(&files_v1);
    let desired_v1 = Desired {
        zone: ZONE,
        ranges: &old,
        manifest: v1.manifest(),
        host_files: &host_v1,
    };
    let audit = audit_fleet(&backends, &desired_v1, &collect(&hosts))
        .await
        .unwrap();
    assert_eq!(audit.instances.len(), N);
    assert_eq!(audit.drift_count(), 0, "{}", audit.to_table());
    for id in [
        "firewall.hetzner",
        "cloudflare.ssl-strict",
        "cloudflare.waf",
        "cloudflare.origin-hidden",
    ] {
        let l = audit.instances[0]
            .lines
            .iter()
            .find(|l| l.id == id)
            .unwrap();
        assert_eq!(
            (l.status, l.source),
            (hardening_model::audit::Status::Pass, "api"),
            "{id}: {}",
            l.detail
        );
    }

    // Cloudflare adds a range, and an admin source is added
    let mut new = old.clone();
    new.cloudflare_ranges
        .push("203.0.113.0/24".parse().unwrap());
    new.admin_sources.push("192.0.2.7/32".parse().unwrap());
    let files_v2 = host_files(&new);
    let v2 = Bundle::build(
        &signer,
        2,
        "2026-12-07T19:00:00Z",
        Selector::all(),
        &files_v2,
    )
    .unwrap();
    let host_v2 = rendered(&files_v2);
    let desired = Desired {
        zone: ZONE,
        ranges: &new,
        manifest: v2.manifest(),
        host_files: &host_v2,
    };
    let before = audit_fleet(&backends, &desired, &collect(&hosts))
        .await
        .unwrap();
    assert_eq!(
        before.drifted_instances().len(),
        N,
        "every instance drifts from the new policy"
    );
    assert!(
        before
            .instances
            .iter()
            .all(|i| i.drift().any(|l| l.id == "firewall.hetzner"))
    );

    let requests_before = hsim.request_count();
    let cloud = converge_cloud(&backends, ZONE, &new, 25, &Progress::silent())
        .await
        .unwrap();
    let out = cloud.firewalls;
    assert_eq!((out.examined, out.updated.len(), out.unchanged), (N, N, 0));
    assert!(
        !cloud.zone.plan.changes.is_empty(),
        "the admin list changed"
    );
    assert!(
        cloud.zone.after.unwrap().is_empty(),
        "the zone matches afterwards"
    );
    let used = hsim.request_count() - requests_before;
    assert!(used < 3 * N as u64, "{used} requests for {N} firewalls");
    // a second run changes nothing
    assert_eq!(
        converge_firewalls(&backends, &new, 25)
            .await
            .unwrap()
            .unchanged,
        N
    );

    for h in &mut hosts {
        assert!(h.pull(&v2).unwrap());
        assert!(h.pull(&v1).is_err(), "an older bundle is rejected");
    }
    let after = audit_fleet(&backends, &desired, &collect(&hosts))
        .await
        .unwrap();
    assert_eq!(after.drift_count(), 0, "{}", after.to_table());
    assert_eq!(after.to_json()["drift"], 0);

    // a host edited by hand is caught from its report
    hosts[7].tamper("/etc/nftables.conf", b"flush ruleset\n");
    let tampered = audit_fleet(&backends, &desired, &collect(&hosts))
        .await
        .unwrap();
    assert_eq!(tampered.drifted_instances(), vec!["inst-0007"]);
    assert!(tampered.to_table().contains("inst-0007"));
}
