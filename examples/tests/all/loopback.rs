//! The loopback HTTP server really serves the simulator (real sockets, real clock).
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use examples::bench;
use examples::loopback;
use hetzner_client::simulator::{SIMULATOR_TOKEN, Simulator};
use hetzner_client::{Client, RateLimitPolicy};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_and_raw_reqwest_reach_the_simulator_over_http() {
    let sim = Simulator::new();
    let server = loopback::serve(&sim).await.unwrap();
    let client = Client::builder()
        .token(SIMULATOR_TOKEN)
        .endpoint(server.endpoint())
        .rate_limit(RateLimitPolicy::disabled())
        .build()
        .unwrap();
    let location = client.locations().get(1).await.unwrap();
    assert_eq!(location.name, "fsn1");
    // A wrong token gets the simulator's 401 through HTTP, as a typed error.
    let bad = Client::builder()
        .token("wrong")
        .endpoint(server.endpoint())
        .build()
        .unwrap();
    let err = bad.locations().get(1).await.unwrap_err();
    assert_eq!(err.status().map(u16::from), Some(401));

    let ours = bench::ours(&server.endpoint(), 200, 8).await.unwrap();
    let raw = bench::raw(&server.endpoint(), 200, 8).await.unwrap();
    assert_eq!((ours.ok, ours.errors, raw.ok, raw.errors), (200, 0, 200, 0));
    assert_eq!(sim.count_status(200), 401);
    server.stop();
}
