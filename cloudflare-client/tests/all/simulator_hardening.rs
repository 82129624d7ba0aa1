//! Zone hardening, rulesets and bot management against the simulator, under a paused clock.

#![allow(clippy::unwrap_used)] // tests may unwrap

use cloudflare_client::hardening::{self, preset};
use cloudflare_client::resources::bot_management::{BotManagement, SbfmAction};
use cloudflare_client::resources::rulesets::Phase;
use cloudflare_client::simulator::Simulator;
use cloudflare_client::{Error, PlanTier};

#[tokio::test(start_paused = true)]
async fn plan_apply_plan_shows_no_change_on_every_plan() {
    for tier in PlanTier::known() {
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
            8,
            "{tier}: settings, 5 phases, bot management, origin pulls"
        );
        let report = hardening::apply(&client, &first).await.unwrap();
        assert_eq!(report.writes, 8);
        assert!(sim.origin_pulls(&zone), "{tier}");
        let second = hardening::plan(&client, &zone, &desired).await.unwrap();
        assert!(second.is_empty(), "{tier}: {:?}", second.changes);
        let writes = sim.stats().writes;
        assert_eq!(hardening::apply(&client, &second).await.unwrap().writes, 0);
        assert_eq!(sim.stats().writes, writes, "second apply sent nothing");
        assert_eq!(
            sim.stats().http_4xx,
            5,
            "{tier}: only the five missing entry points answered 404"
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
        stats.http_4xx, 5,
        "only the five entry point lookups: nothing the plan cannot take was sent"
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
    assert_eq!(all.len(), 8, "3 managed + 5 entry points");
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

#[tokio::test(start_paused = true)]
async fn admin_list_config_and_cache_rules_converge() {
    use cloudflare_client::hardening::Change;
    use cloudflare_client::hardening::preset::{ADMIN_LIST, RunbookOptions};
    use cloudflare_client::resources::rulesets::{CacheSettings, ConfigSsl};
    let sim = Simulator::new();
    let zone = sim.add_zone("example.com", PlanTier::Free);
    let client = sim.client().unwrap();
    let options = RunbookOptions {
        admin_ips: vec!["198.51.100.0/24".into(), "203.0.113.7".into()],
        ..Default::default()
    };
    let desired = preset::runbook(&PlanTier::Free, &options).unwrap();
    let plan = hardening::plan(&client, &zone, &desired).await.unwrap();
    assert!(plan.unsupported.is_empty(), "{:?}", plan.unsupported);
    assert!(
        matches!(&plan.changes[0], Change::List { list_id: None, name, .. } if name == ADMIN_LIST),
        "the list is written before the rule that references it: {:?}",
        plan.changes[0]
    );
    let shown: Vec<String> = plan.changes.iter().map(ToString::to_string).collect();
    assert!(shown[0].contains("list $admin_ips: create"), "{shown:?}");
    assert!(
        shown
            .iter()
            .any(|l| l.contains("authenticated origin pulls: false -> true")),
        "{shown:?}"
    );
    hardening::apply(&client, &plan).await.unwrap();
    assert_eq!(
        sim.list_items(ADMIN_LIST).unwrap(),
        ["198.51.100.0/24", "203.0.113.7"]
    );
    let custom = sim
        .entrypoint(&zone, &Phase::HttpRequestFirewallCustom)
        .unwrap();
    assert!(
        custom
            .rules
            .iter()
            .any(|r| r.expression.contains("$admin_ips"))
    );
    let config = sim.entrypoint(&zone, &Phase::HttpConfigSettings).unwrap();
    assert_eq!(
        config.rules[0].config_settings().unwrap().ssl,
        Some(ConfigSsl::Strict)
    );
    let cache = sim
        .entrypoint(&zone, &Phase::HttpRequestCacheSettings)
        .unwrap();
    assert_eq!(
        cache.rules[0].cache_settings().unwrap(),
        CacheSettings::bypass()
    );
    assert!(
        hardening::plan(&client, &zone, &desired)
            .await
            .unwrap()
            .is_empty()
    );

    // An address leaves: the list is updated in place, nothing else changes.
    let fewer = RunbookOptions {
        admin_ips: vec!["198.51.100.0/24".into()],
        ..options.clone()
    };
    let desired = preset::runbook(&PlanTier::Free, &fewer).unwrap();
    let plan = hardening::plan(&client, &zone, &desired).await.unwrap();
    assert_eq!(plan.changes.len(), 1, "{:?}", plan.changes);
    assert!(
        plan.changes[0]
            .to_string()
            .contains("remove [\"203.0.113.7\"]")
    );
    hardening::apply(&client, &plan).await.unwrap();
    assert_eq!(sim.list_items(ADMIN_LIST).unwrap(), ["198.51.100.0/24"]);
    assert!(
        hardening::plan(&client, &zone, &desired)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(start_paused = true)]
async fn a_free_account_with_its_one_list_taken_reports_the_admin_rule() {
    use cloudflare_client::hardening::preset::RunbookOptions;
    use cloudflare_client::resources::lists::NewList;
    let sim = Simulator::new();
    let zone = sim.add_zone("example.com", PlanTier::Free);
    let client = sim.client().unwrap();
    let account = sim.account_id().unwrap();
    client
        .lists(&account)
        .create(&NewList::ip("someone_elses"))
        .await
        .unwrap();
    let options = RunbookOptions {
        admin_ips: vec!["198.51.100.0/24".into()],
        ..Default::default()
    };
    let desired = preset::runbook(&PlanTier::Free, &options).unwrap();
    let plan = hardening::plan(&client, &zone, &desired).await.unwrap();
    let fields: Vec<&str> = plan.unsupported.iter().map(|u| u.field.as_str()).collect();
    assert!(fields.contains(&"lists[admin_ips]"), "{fields:?}");
    assert!(
        fields.contains(&"http_request_firewall_custom.rules[admin_only_from_admin_ips]"),
        "{fields:?}"
    );
    hardening::apply(&client, &plan).await.unwrap();
    assert!(
        hardening::plan(&client, &zone, &desired)
            .await
            .unwrap()
            .is_empty()
    );
}
