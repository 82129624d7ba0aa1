//! Two provisioning flows on one instance at once, whatever the interleaving: exactly one
//! server, one firewall applied to it with the SSH port the server listens on (no lock-out),
//! and one record per address family. Ten concurrent pairs, with faults.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::time::Duration;

use cloudflare_client::PlanTier;
use fleet_flows::provision::{ProvisionRequest, SSH_PORT_LABEL, provision};
use fleet_flows::{Backends, Progress};
use hetzner_client::simulator::{Fault, Simulator};
use http::Method;

const ZONE: &str = "example.com";

#[tokio::test(start_paused = true)]
async fn ten_concurrent_pairs_with_faults_end_with_one_of_everything() {
    let h = Simulator::new();
    h.set_action_duration(Duration::from_secs(3));
    let c = cloudflare_client::simulator::Simulator::new();
    let zone = c.add_zone(ZONE, PlanTier::Free);
    let b = Backends::with_simulators(&h, &c).unwrap();
    h.inject(Fault::DropConnection, Method::POST, "/servers", 3);
    h.inject(Fault::DropConnection, Method::POST, "/firewalls", 2);
    h.inject(Fault::ServerError, Method::GET, "/servers", 3);
    h.inject(Fault::RateLimited, Method::POST, "/firewalls", 2);
    h.inject(
        Fault::Slow(Duration::from_secs(90)),
        Method::POST,
        "/servers",
        1,
    );

    let mut runs = Vec::new();
    for i in 0..10 {
        let req = ProvisionRequest::new(format!("inst-{i:04}"), format!("site{i}"), ZONE);
        for _ in 0..2 {
            let (b, req) = (b.clone(), req.clone());
            runs.push(tokio::spawn(async move {
                provision(&b, &req, &Progress::silent()).await
            }));
        }
    }
    let mut summaries = Vec::new();
    for run in runs {
        summaries.push(run.await.unwrap().unwrap());
    }

    // the pairs did race: Hetzner refused second creates by name, and the losers adopted
    assert!(h.count_status(409) >= 10, "409s: {}", h.count_status(409));
    let servers = h.servers();
    let firewalls = h.firewalls();
    let records = c.dns_records(&zone);
    assert_eq!(servers.len(), 10, "one server per instance");
    assert_eq!(firewalls.len(), 10, "one firewall per instance");
    assert_eq!(records.len(), 20, "one A and one AAAA per instance");
    for i in 0..10 {
        let id = format!("inst-{i:04}");
        let pair: Vec<_> = summaries.iter().filter(|s| s.instance_id == id).collect();
        assert_eq!(pair.len(), 2);
        assert_eq!(
            pair[0].server_id, pair[1].server_id,
            "{id}: both runs report one server"
        );
        assert_eq!(pair[0].ssh_port, pair[1].ssh_port, "{id}: one SSH port");
        let server = servers
            .iter()
            .find(|s| s.labels.get("instance") == Some(id.as_str()))
            .unwrap();
        let port = server.labels.get(SSH_PORT_LABEL).unwrap();
        let fw = firewalls
            .iter()
            .find(|f| f.name == format!("fw-{id}"))
            .unwrap();
        assert!(
            server.public_net.firewalls.iter().any(|f| f.id == fw.id),
            "{id}: its firewall is applied"
        );
        assert!(
            fw.rules.iter().any(|r| r.port.as_deref() == Some(port)),
            "{id}: the firewall opens the port sshd listens on ({port}): {:?}",
            fw.rules
        );
        let name = format!("site{i}.example.com");
        assert_eq!(
            records.iter().filter(|r| r.name == name).count(),
            2,
            "{name}"
        );
    }
}
