//! The shared action waiter: one poll serves the waits of many flows, and a failed action
//! reaches only the flow that waits for it.

use std::time::Duration;

use fleet_flows::Backends;
use hetzner_client::resources::servers::CreateServer;
use hetzner_client::simulator::Simulator;

/// Ids per `GET /actions` request, in the order they were sent.
fn polls(sim: &Simulator) -> Vec<usize> {
    sim.requests()
        .iter()
        .filter(|r| r.path == "/actions")
        .map(|r| r.query.iter().filter(|(k, _)| k == "id").count())
        .collect()
}

#[tokio::test(start_paused = true)]
async fn one_poll_serves_up_to_25_waits_and_a_failure_reaches_only_its_flow() {
    let hsim = Simulator::new();
    hsim.set_action_duration(Duration::from_millis(500));
    let csim = cloudflare_client::simulator::Simulator::new();
    let backends = Backends::with_simulators(&hsim, &csim).unwrap();

    // 15 flows, each with a server whose create returned two actions; the 5th one's
    // create_server will end in error
    let mut created = Vec::new();
    for i in 0..15 {
        if i == 4 {
            hsim.fail_next_action("create_server", "server_error", "host failed");
        }
        let out = backends
            .hetzner
            .servers()
            .create(&CreateServer::new(
                format!("srv-{i}"),
                "cx22",
                "ubuntu-24.04",
            ))
            .await
            .unwrap();
        created.push(out.actions());
    }
    assert!(created.iter().all(|a| a.len() == 2));
    hsim.clear_requests();

    let waits = created.iter().map(|actions| {
        let backends = backends.clone();
        let actions = actions.clone();
        tokio::spawn(async move { backends.actions.wait(&actions).await })
    });
    let outcomes: Vec<_> = futures::future::join_all(waits)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();

    for (i, outcome) in outcomes.iter().enumerate() {
        if i == 4 {
            let err = outcome.as_ref().unwrap_err();
            let failed_id = created[4][0].id;
            match err {
                fleet_flows::Error::Hetzner(hetzner_client::Error::ActionFailed {
                    id,
                    code,
                    ..
                }) => assert_eq!((*id, code.as_str()), (failed_id, "server_error")),
                other => panic!("flow 4 should see its action fail, got {other:?}"),
            }
        } else {
            let done = outcome.as_ref().unwrap();
            assert_eq!(done.len(), 2, "flow {i}");
            assert!(done.iter().all(|a| a.finished.is_some()), "flow {i}");
        }
    }
    // 30 waits from 15 flows: a full poll of 25, then the other 5
    assert_eq!(polls(&hsim), vec![25, 5]);
    assert_eq!(hsim.request_count(), 2);
}

#[tokio::test(start_paused = true)]
async fn waits_registered_later_join_a_running_poller() {
    let hsim = Simulator::new();
    hsim.set_action_duration(Duration::from_secs(3));
    let csim = cloudflare_client::simulator::Simulator::new();
    let backends = Backends::with_simulators(&hsim, &csim).unwrap();
    let first = backends
        .hetzner
        .servers()
        .create(&CreateServer::new("srv-a", "cx22", "ubuntu-24.04"))
        .await
        .unwrap();
    let early = {
        let b = backends.clone();
        let actions = first.actions();
        tokio::spawn(async move { b.actions.wait(&actions).await })
    };
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let second = backends
        .hetzner
        .servers()
        .create(&CreateServer::new("srv-b", "cx22", "ubuntu-24.04"))
        .await
        .unwrap();
    let late = backends.actions.wait(&second.actions()).await.unwrap();
    let early = early.await.unwrap().unwrap();
    assert!(late.iter().chain(&early).all(|a| a.finished.is_some()));
    // every poll carried at most 25 ids, and some poll carried both flows' actions
    let sizes = polls(&hsim);
    assert!(sizes.iter().all(|n| (1..=25).contains(n)), "{sizes:?}");
    assert!(sizes.contains(&4), "{sizes:?}");
}
