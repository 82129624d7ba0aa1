//! Zone hardening, rulesets and bot management against the simulator, under a paused clock.

#![allow(clippy::unwrap_used)] // tests may unwrap

use cloudflare_client::hardening::{self, preset};
use cloudflare_client::resources::bot_management::{BotManagement, SbfmAction};
use cloudflare_client::resources::rulesets::Phase;
use cloudflare_client::simulator::Simulator;
use cloudflare_client::{Error, PlanTier};

#[tokio::test(start_paused = true)]
async fn plan_apply_plan_shows_no_change_on_every_plan() {
    for tier in [
        PlanTier::Free,
        PlanTier::Pro,
        PlanTier::Business,
        PlanTier::Enterprise,
    ] {
        let sim = Simulator::new();
        let zone = sim.add_zone("example.com", tier.clone());
        let client = sim.client().unwrap();
        let desired = preset::runbook_baseline(&tier).unwrap();
        let first = hardening::plan(&client, &zone, &desired).await.unwrap();
        assert!(
            first.unsupported.is_empty(),
            "{tier}: {:?}",
            first.unsupported
        );
        assert_eq!(
            first.changes.len(),
            5,
            "{tier}: settings, 3 phases, bot management"
        );
        let report = hardening::apply(&client, &first).await.unwrap();
        assert_eq!(report.writes, 5);
        let second = hardening::plan(&client, &zone, &desired).await.unwrap();
        assert!(second.is_empty(), "{tier}: {:?}", second.changes);
        let writes = sim.stats().writes;
        assert_eq!(hardening::apply(&client, &second).await.unwrap().writes, 0);
        assert_eq!(sim.stats().writes, writes, "second apply sent nothing");
        assert_eq!(
            sim.stats().http_4xx,
            3,
            "{tier}: only the three missing entry points answered 404"
        );
        let custom = sim
            .entrypoint(&zone, &Phase::HttpRequestFirewallCustom)
            .unwrap();
        assert_eq!(
            custom
                .rules
                .iter()
                .map(|r| r.rule_ref.as_str())
                .collect::<Vec<_>>(),
            ["block_scan_targets", "block_vcs"]
        );
    }
}

#[tokio::test(start_paused = true)]
async fn business_preset_on_a_free_zone_reports_instead_of_failing() {
    let sim = Simulator::new();
    let zone = sim.add_zone("example.com", PlanTier::Free);
    let client = sim.client().unwrap();
    let desired = preset::runbook_baseline(&PlanTier::Business).unwrap();
    let plan = hardening::plan(&client, &zone, &desired).await.unwrap();
    let fields: Vec<&str> = plan.unsupported.iter().map(|u| u.field.as_str()).collect();
    assert!(
        fields
            .iter()
            .any(|f| f.starts_with("http_ratelimit.rules[api_mutations].ratelimit.period")),
        "{fields:?}"
    );
    assert!(
        fields
            .iter()
            .any(|f| f.starts_with("http_request_firewall_managed.rules[cf_owasp]")),
        "{fields:?}"
    );
    assert!(
        fields.contains(&"bot_management.sbfm_definitely_automated"),
        "{fields:?}"
    );
    hardening::apply(&client, &plan).await.unwrap();
    let stats = sim.stats();
    assert_eq!(
        stats.http_4xx, 3,
        "only the three entry point lookups: nothing the plan cannot take was sent"
    );
    assert!(
        hardening::plan(&client, &zone, &desired)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(start_paused = true)]
async fn foreign_rules_are_kept_when_asked() {
    use cloudflare_client::hardening::{PhaseRules, ZoneHardening};
    use cloudflare_client::resources::rulesets::{Rule, RuleAction};
    let sim = Simulator::new();
    let zone = sim.add_zone("example.com", PlanTier::Pro);
    let client = sim.client().unwrap();
    let theirs = Rule::new(
        "theirs",
        RuleAction::Skip,
        "(http.host eq \"ok.example.com\")",
    );
    client
        .rulesets(&zone)
        .put_entrypoint(&Phase::HttpRequestFirewallCustom, "", &[theirs])
        .await
        .unwrap();
    let mut phase = PhaseRules::exclusive(
        Phase::HttpRequestFirewallCustom,
        "mine",
        vec![Rule::new(
            "mine",
            RuleAction::Block,
            "(http.request.uri.path contains \"/.git\")",
        )],
    );
    phase.keep_foreign_rules = true;
    let desired = ZoneHardening {
        phases: vec![phase],
        ..Default::default()
    };
    let plan = hardening::plan(&client, &zone, &desired).await.unwrap();
    hardening::apply(&client, &plan).await.unwrap();
    let refs: Vec<String> = sim
        .entrypoint(&zone, &Phase::HttpRequestFirewallCustom)
        .unwrap()
        .rules
        .into_iter()
        .map(|r| r.rule_ref)
        .collect();
    assert_eq!(refs, ["theirs", "mine"]);
    assert!(
        hardening::plan(&client, &zone, &desired)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(start_paused = true)]
async fn rulesets_list_follows_cursors() {
    let sim = Simulator::new();
    let zone = sim.add_zone("example.com", PlanTier::Pro);
    let client = sim.client().unwrap();
    let plan = hardening::plan(
        &client,
        &zone,
        &preset::runbook_baseline(&PlanTier::Pro).unwrap(),
    )
    .await
    .unwrap();
    hardening::apply(&client, &plan).await.unwrap();
    let first = client.rulesets(&zone).list(None, 2).await.unwrap();
    assert_eq!(first.items.len(), 2);
    let cursor = first.info.next_cursor().unwrap().to_owned();
    let second = client.rulesets(&zone).list(Some(&cursor), 2).await.unwrap();
    assert_eq!(second.items.len(), 2);
    let all = client.rulesets(&zone).list_all().await.unwrap();
    assert_eq!(all.len(), 6, "3 managed + 3 entry points");
}

#[tokio::test(start_paused = true)]
async fn bot_management_by_plan() {
    let sim = Simulator::new();
    let zone = sim.add_zone("example.com", PlanTier::Pro);
    let client = sim.client().unwrap();
    let bm = client.bot_management(&zone);
    let want = BotManagement {
        sbfm_definitely_automated: Some(SbfmAction::Block),
        ..Default::default()
    };
    let got = bm.put(&PlanTier::Pro, &want).await.unwrap();
    assert_eq!(got.sbfm_definitely_automated, Some(SbfmAction::Block));
    let err = bm
        .put(
            &PlanTier::Pro,
            &BotManagement {
                fight_mode: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::PlanLimit { .. }), "{err}");
    assert_eq!(sim.stats().http_4xx, 0);
}

#[tokio::test(start_paused = true)]
async fn rule_ids_follow_refs_across_full_replace_puts() {
    use cloudflare_client::resources::rulesets::{Rule, RuleAction};
    let sim = Simulator::new();
    let zone = sim.add_zone("example.com", PlanTier::Free);
    let client = sim.client().unwrap();
    let api = client.rulesets(&zone);
    let phase = Phase::HttpRequestFirewallCustom;
    let a = Rule::new(
        "a",
        RuleAction::Block,
        "(http.request.uri.path contains \"/a\")",
    );
    let b = Rule::new(
        "b",
        RuleAction::Block,
        "(http.request.uri.path contains \"/b\")",
    );
    let first = api
        .put_entrypoint(&phase, "", &[a.clone(), b.clone()])
        .await
        .unwrap();
    // Reorder and change one rule: identity follows the ref, not the position.
    let b2 = b.clone().description("changed");
    let second = api.put_entrypoint(&phase, "", &[b2, a]).await.unwrap();
    assert_eq!(second.rules[0].id, first.rules[1].id);
    assert_eq!(second.rules[1].id, first.rules[0].id);
    assert_eq!(second.version.as_deref(), Some("2"));
    // Six custom rules do not fit a Free zone: the simulator refuses, naming the limit.
    let many: Vec<Rule> = (0..6)
        .map(|i| {
            Rule::new(
                format!("r{i}"),
                RuleAction::Block,
                format!("(http.request.uri.path eq \"/{i}\")"),
            )
        })
        .collect();
    let err = api.put_entrypoint(&phase, "", &many).await.unwrap_err();
    assert!(err.to_string().contains("maximum number of rules"), "{err}");
    assert!(matches!(err, Error::Api(_)));
}
