//! `bench-fleet`'s library function on a small fleet.

use fleet_flows::fleet::{FleetRun, provision_fleet};

#[test]
fn twenty_instances_leave_no_duplicates_and_count_every_request() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    let report = runtime
        .block_on(provision_fleet(&FleetRun::new(20)))
        .unwrap();
    println!("{}", report.line());
    assert_eq!((report.failures, report.duplicates), (0, 0));
    // per instance: find the server, create the firewall, the primary IPv4 (Caddy binds it)
    // and the server; plus shared polls
    assert_eq!(report.hetzner_requests, 4 * 20 + report.action_polls);
    // 40 actions (create_server, start_server) need at least 2 polls of 25
    assert!((2..=10).contains(&report.action_polls), "{report:?}");
    // zone, edge ranges, then list and create for the A and the AAAA record
    assert_eq!(report.cloudflare_requests, 6 * 20);
    assert!(report.hetzner_per_instance() <= 5.0);
    assert!(report.makespan >= report.budget_minimum, "{report:?}");
    assert!(report.line().ends_with("duplicates=0"));
}

#[test]
fn bad_runs_are_refused_naming_the_field() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    let err = runtime
        .block_on(provision_fleet(&FleetRun::new(0)))
        .unwrap_err();
    assert!(err.to_string().contains("instances"));
    let run = FleetRun {
        initial_burst: 3601,
        ..FleetRun::new(1)
    };
    let err = runtime.block_on(provision_fleet(&run)).unwrap_err();
    assert!(err.to_string().contains("initial_burst"));
}
