//! Zones, DNS, settings, IP ranges, the rate gate and fault injection against the simulator,
//! under a paused tokio clock.

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::sync::Arc;
use std::time::Duration;

use cloudflare_client::resources::dns::{
    BatchPatch, DnsBatch, DnsFilter, DnsRecordPatch, NewDnsRecord, RecordType, Ttl,
};
use cloudflare_client::resources::settings::{
    ChallengeTtl, MinTls, MinTlsVersion, Ssl, SslMode, ZoneSettings,
};
use cloudflare_client::simulator::{Fault, FaultRule, Simulator};
use cloudflare_client::transport::rate_limit::NoGate;
use cloudflare_client::transport::retry::default_policy;
use cloudflare_client::{Error, PlanTier};
use http::Method;
use tokio::time::Instant;

fn a(name: &str, ip: &str) -> NewDnsRecord {
    NewDnsRecord::new(RecordType::A, name, ip)
}

#[tokio::test(start_paused = true)]
async fn zones_by_name_and_plan() {
    let sim = Simulator::new();
    let id = sim.add_zone("example.com", PlanTier::Pro);
    sim.add_zone("other.org", PlanTier::Free);
    let client = sim.client().unwrap();
    let zone = client
        .zones()
        .get_by_name("example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(zone.id, id);
    assert_eq!(zone.plan_tier(), PlanTier::Pro);
    assert!(
        client
            .zones()
            .get_by_name("missing.net")
            .await
            .unwrap()
            .is_none()
    );
    let err = client
        .zones()
        .get("0123456789abcdef0123456789abcdef")
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert!(err.has_code(7003));
}

#[tokio::test(start_paused = true)]
async fn dns_crud_filters_and_pages() {
    let sim = Simulator::new();
    let zone = sim.add_zone("example.com", PlanTier::Free);
    let client = sim.client().unwrap();
    let dns = client.dns(&zone);
    for i in 0..7 {
        let rec = a(&format!("h{i}.example.com"), &format!("192.0.2.{i}")).tag(if i % 2 == 0 {
            "env:even"
        } else {
            "env:odd"
        });
        dns.create(&rec).await.unwrap();
    }
    let txt = dns
        .create(
            &NewDnsRecord::new(RecordType::Txt, "example.com", "v=spf1 -all")
                .comment("spf")
                .ttl(Ttl::Seconds(300)),
        )
        .await
        .unwrap();
    assert_eq!(txt.ttl, Ttl::Seconds(300));
    assert_eq!(txt.comment.as_deref(), Some("spf"));

    // Pages of 3: 8 records -> 3 pages, and no extra empty request.
    let before = sim.stats().requests;
    let all = dns
        .list_all(&DnsFilter {
            per_page: Some(3),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 8);
    assert_eq!(sim.stats().requests - before, 3);
    let mut streamed = std::pin::pin!(dns.stream(&DnsFilter {
        per_page: Some(3),
        ..Default::default()
    }));
    let before = sim.stats().requests;
    let first = futures::TryStreamExt::try_next(&mut streamed)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        sim.stats().requests - before,
        1,
        "lazy: one page fetched for the first item"
    );
    let rest: Vec<_> = futures::TryStreamExt::try_collect::<Vec<_>>(streamed)
        .await
        .unwrap();
    assert_eq!(rest.len() + 1, 8);
    assert_eq!(first.id, all[0].id);
    assert_eq!(sim.stats().requests - before, 3);
    let page = dns
        .list(&DnsFilter {
            per_page: Some(3),
            page: Some(3),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.info.total_pages, Some(3));

    let even = dns
        .list_all(&DnsFilter {
            tags: vec!["env:even".into()],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(even.len(), 4);
    let only_txt = dns
        .list_all(&DnsFilter {
            record_type: Some(RecordType::Txt),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(only_txt.len(), 1);

    let patched = dns
        .patch(
            &even[0].id,
            &DnsRecordPatch {
                proxied: Some(true),
                comment: Some("edge".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(patched.proxied, Some(true));
    assert_eq!(patched.tags, even[0].tags, "PATCH keeps tags");
    assert_eq!(
        dns.get(&even[0].id).await.unwrap().comment.as_deref(),
        Some("edge")
    );
    assert_eq!(dns.delete(&even[0].id).await.unwrap(), even[0].id);
    assert!(dns.get(&even[0].id).await.unwrap_err().is_not_found());
    assert_eq!(sim.dns_records(&zone).len(), 7);
}

#[tokio::test(start_paused = true)]
async fn dns_validation_happens_before_sending() {
    let sim = Simulator::new();
    let zone = sim.add_zone("example.com", PlanTier::Free);
    let client = sim.client().unwrap();
    let err = client
        .dns(&zone)
        .create(&a("www.example.com", "192.0.2.1").tag("no colon"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Invalid { ref field, .. } if field == "tags"),
        "{err}"
    );
    assert_eq!(sim.stats().requests, 0, "nothing sent");
}

#[tokio::test(start_paused = true)]
async fn dns_server_side_conflicts() {
    let sim = Simulator::new();
    let zone = sim.add_zone("example.com", PlanTier::Free);
    let client = sim.client().unwrap();
    let dns = client.dns(&zone);
    dns.create(&a("www.example.com", "192.0.2.1"))
        .await
        .unwrap();
    let err = dns
        .create(&NewDnsRecord::new(
            RecordType::Cname,
            "www.example.com",
            "example.net",
        ))
        .await
        .unwrap_err();
    assert!(err.has_code(81053), "{err}");
    // An identical create returns the existing record (81057 reconciled), not a duplicate.
    let again = dns
        .create(&a("www.example.com", "192.0.2.1"))
        .await
        .unwrap();
    assert_eq!(sim.dns_records(&zone).len(), 1);
    assert_eq!(again.id, sim.dns_records(&zone)[0].id);
}

#[tokio::test(start_paused = true)]
async fn dropped_connection_during_create_ends_with_one_record() {
    let sim = Simulator::new();
    let zone = sim.add_zone("example.com", PlanTier::Free);
    sim.inject(
        FaultRule::new(Fault::DropConnection)
            .method(Method::POST)
            .path_contains("/dns_records"),
    );
    let client = sim.client().unwrap();
    let rec = client
        .dns(&zone)
        .create(&a("api.example.com", "198.51.100.7").proxied(true))
        .await
        .unwrap();
    let stored = sim.dns_records(&zone);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].id, rec.id);
    assert_eq!(sim.stats().faults, 1);
}

#[tokio::test(start_paused = true)]
async fn slow_malformed_and_failed_creates_reconcile() {
    let sim = Simulator::new();
    let zone = sim.add_zone("example.com", PlanTier::Free);
    let client = sim
        .client_builder()
        .request_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let dns = client.dns(&zone);
    // Applied, but the answer comes after the client's timeout.
    sim.inject(FaultRule::new(Fault::Slow(Duration::from_secs(60))).method(Method::POST));
    dns.create(&a("a.example.com", "192.0.2.10")).await.unwrap();
    // Applied, but the body is garbage.
    sim.inject(FaultRule::new(Fault::MalformedBody).method(Method::POST));
    dns.create(&a("b.example.com", "192.0.2.11")).await.unwrap();
    // Not applied (503 before processing): reconcile finds nothing, posts again.
    sim.inject(FaultRule::new(Fault::ServerError(503)).method(Method::POST));
    dns.create(&a("c.example.com", "192.0.2.12")).await.unwrap();
    // Dropped before processing.
    sim.inject(FaultRule::new(Fault::DropBeforeProcessing).method(Method::POST));
    dns.create(&a("d.example.com", "192.0.2.13")).await.unwrap();
    let names: Vec<String> = sim.dns_records(&zone).into_iter().map(|r| r.name).collect();
    assert_eq!(
        names,
        [
            "a.example.com",
            "b.example.com",
            "c.example.com",
            "d.example.com"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn idempotent_reads_retry_through_faults() {
    let sim = Simulator::new();
    let zone = sim.add_zone("example.com", PlanTier::Free);
    let client = sim.client().unwrap();
    sim.inject(
        FaultRule::new(Fault::ServerError(502))
            .method(Method::GET)
            .times(2),
    );
    sim.inject(FaultRule::new(Fault::MalformedBody).method(Method::GET));
    let z = client.zones().get(&zone).await.unwrap();
    assert_eq!(z.name, "example.com");
    assert_eq!(sim.stats().faults, 3);
    // More failures than attempts: the error surfaces, classified.
    sim.inject(
        FaultRule::new(Fault::ServerError(503))
            .method(Method::GET)
            .times(10),
    );
    let err = client.zones().get(&zone).await.unwrap_err();
    assert!(
        err.is_retryable() && err.status().is_some_and(|s| s.as_u16() == 503),
        "{err}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_429_block_is_waited_out_not_hammered() {
    let sim = Simulator::new();
    let zone = sim.add_zone("example.com", PlanTier::Free);
    let client = sim.client().unwrap();
    sim.inject(FaultRule::new(Fault::RateLimited {
        retry_after: Duration::from_secs(300),
    }));
    let start = Instant::now();
    client.zones().get(&zone).await.unwrap();
    assert!(
        start.elapsed() >= Duration::from_secs(300),
        "{:?}",
        start.elapsed()
    );
    let stats = sim.stats();
    assert_eq!(stats.http_429, 1);
    assert_eq!(stats.requests, 2);
}

#[tokio::test(start_paused = true)]
async fn gate_keeps_2500_requests_under_the_limit() {
    let sim = Simulator::new();
    let zone = sim.add_zone("example.com", PlanTier::Free);
    let client = sim.client().unwrap();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let c = client.clone();
        let z = zone.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..(2500 / 16 + 1) {
                c.settings(&z).get::<Ssl>().await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let stats = sim.stats();
    assert_eq!(stats.http_429, 0);
    assert!(stats.requests >= 2500);
    // 2512 requests need at least two full windows after the first 1200.
    assert!(
        start.elapsed() >= Duration::from_secs(600),
        "{:?}",
        start.elapsed()
    );
    assert!(
        start.elapsed() < Duration::from_secs(630),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn without_gate_the_simulator_blocks_and_the_client_waits() {
    let sim = Simulator::new();
    let zone = sim.add_zone("example.com", PlanTier::Free);
    let client = sim
        .client_builder()
        .rate_limit_store(Arc::new(NoGate))
        .build()
        .unwrap();
    for _ in 0..1300 {
        client.settings(&zone).get::<Ssl>().await.unwrap();
    }
    let stats = sim.stats();
    assert_eq!(stats.http_429, 1, "one 429, then the block is waited out");
    assert_eq!(stats.requests, 1301);
}

#[tokio::test(start_paused = true)]
async fn fail_fast_gate_returns_rate_limited() {
    let sim = Simulator::new();
    let zone = sim.add_zone("example.com", PlanTier::Free);
    let client = sim
        .client_builder()
        .rate_limit(cloudflare_client::transport::rate_limit::RateLimitConfig {
            limit: 2,
            ..Default::default()
        })
        .max_gate_wait(Duration::ZERO)
        .build()
        .unwrap();
    client.zones().get(&zone).await.unwrap();
    client.zones().get(&zone).await.unwrap();
    let err = client.zones().get(&zone).await.unwrap_err();
    assert!(err.is_rate_limited(), "{err}");
    assert!(
        matches!(err, Error::RateLimited { retry_after } if retry_after > Duration::from_secs(290))
    );
    assert_eq!(sim.stats().requests, 2);
}

#[tokio::test(start_paused = true)]
async fn settings_typed_and_bulk() {
    let sim = Simulator::new();
    let zone = sim.add_zone("example.com", PlanTier::Free);
    let client = sim.client().unwrap();
    let s = client.settings(&zone);
    assert_eq!(s.get::<Ssl>().await.unwrap().value, SslMode::Flexible);
    assert_eq!(
        s.patch::<MinTls>(MinTlsVersion::Tls1_2)
            .await
            .unwrap()
            .value,
        MinTlsVersion::Tls1_2
    );
    let want = ZoneSettings {
        ssl: Some(SslMode::Strict),
        challenge_ttl: Some(ChallengeTtl::new(3600).unwrap()),
        ..Default::default()
    };
    let back = s.bulk_edit(&want).await.unwrap();
    assert_eq!(back.ssl, Some(SslMode::Strict));
    let all = s.get_all().await.unwrap();
    assert_eq!(all.ssl, Some(SslMode::Strict));
    assert_eq!(all.min_tls_version, Some(MinTlsVersion::Tls1_2));
    assert_eq!(all.challenge_ttl.map(ChallengeTtl::seconds), Some(3600));
    // The simulator rejects values the API rejects.
    let err = s
        .patch::<Ssl>(SslMode::Unknown("bogus".into()))
        .await
        .unwrap_err();
    assert!(err.has_code(1007), "{err}");
}

#[tokio::test(start_paused = true)]
async fn dns_batch_is_atomic() {
    let sim = Simulator::new();
    let zone = sim.add_zone("example.com", PlanTier::Free);
    let client = sim.client().unwrap();
    let dns = client.dns(&zone);
    let r1 = dns
        .create(&a("one.example.com", "192.0.2.1"))
        .await
        .unwrap();
    let r2 = dns
        .create(&a("two.example.com", "192.0.2.2"))
        .await
        .unwrap();
    let batch = DnsBatch {
        deletes: vec![r1.id.clone()],
        patches: vec![BatchPatch {
            id: r2.id.clone(),
            patch: DnsRecordPatch {
                ttl: Some(Ttl::Seconds(120)),
                ..Default::default()
            },
        }],
        posts: vec![a("three.example.com", "192.0.2.3")],
    };
    let out = dns.batch(&batch).await.unwrap();
    assert_eq!(
        (out.deletes.len(), out.patches.len(), out.posts.len()),
        (1, 1, 1)
    );
    assert_eq!(sim.dns_records(&zone).len(), 2);
    // A failing part rolls everything back.
    let bad = DnsBatch {
        deletes: vec![r2.id.clone()],
        posts: vec![a("three.example.com", "192.0.2.3")],
        ..Default::default()
    };
    let err = dns.batch(&bad).await.unwrap_err();
    assert!(err.has_code(81057), "{err}");
    assert_eq!(sim.dns_records(&zone).len(), 2, "nothing applied");
}

#[tokio::test(start_paused = true)]
async fn ip_ranges_with_etag() {
    let sim = Simulator::new();
    let client = sim.client().unwrap();
    let ips = client.ips().get().await.unwrap();
    assert_eq!(ips.ipv4.len(), 15);
    assert_eq!(ips.ipv6.len(), 7);
    assert!(
        client
            .ips()
            .get_if_changed(&ips.etag)
            .await
            .unwrap()
            .is_none()
    );
    sim.set_ips(vec!["198.51.100.0/24".into()], vec!["2001:db8::/32".into()]);
    let changed = client
        .ips()
        .get_if_changed(&ips.etag)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(changed.all().len(), 2);
    let model: Vec<hardening_model::IpNet> = changed.to_model();
    assert_eq!(model[1].to_string(), "2001:db8::/32");
}

#[tokio::test(start_paused = true)]
async fn missing_token_fails_before_sending() {
    let sim = Simulator::new();
    let zone = sim.add_zone("example.com", PlanTier::Free);
    let client = cloudflare_client::Client::builder()
        .transport(Arc::new(sim.clone()))
        // Plain http:// is refused for anything but loopback, even for a name that never
        // resolves.
        .base_url("https://cloudflare-simulator.invalid/client/v4")
        .unwrap()
        .retry(default_policy())
        .build()
        .unwrap();
    let err = client.zones().get(&zone).await.unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err}");
    assert_eq!(sim.stats().requests, 0);
    // /ips needs no token.
    client.ips().get().await.unwrap();
}
