//! The fleet policy's Cloudflare side, read back: the account list `$admin_ips` holds exactly
//! the fleet's admin sources and an enabled custom WAF rule uses it.

use std::collections::BTreeSet;

use cloudflare_client::Client;
use cloudflare_client::hardening::preset::ADMIN_LIST;
use cloudflare_client::resources::lists::ListItem;
use cloudflare_client::resources::rulesets::Ruleset;
use cloudflare_client::resources::zones::Zone;

use crate::converge::FleetRanges;
use crate::error::Result;

/// Whether the zone holds the admin list of `ranges`, and why not. `custom` is the zone's
/// `http_request_firewall_custom` entry point. With no admin source the policy asks nothing of
/// the zone. Requests: the lists listing and one items listing.
pub(super) async fn admin_list(
    cf: &Client,
    zone: &Zone,
    custom: Option<&Ruleset>,
    ranges: &FleetRanges,
) -> Result<(bool, String)> {
    if ranges.admin_sources.is_empty() {
        return Ok((true, "the policy has no admin sources".to_owned()));
    }
    let Some(account) = &zone.account else {
        return Ok((false, "the zone's account is not visible".to_owned()));
    };
    let wanted: BTreeSet<String> = ranges
        .admin_sources
        .iter()
        .map(|n| ListItem::ip(&n.to_string()).map(|i| i.ip))
        .collect::<cloudflare_client::Result<_>>()?;
    let lists = cf.lists(&account.id);
    let Some(list) = lists.get_by_name(ADMIN_LIST).await? else {
        return Ok((false, format!("no account list ${ADMIN_LIST}")));
    };
    let held: BTreeSet<String> = lists
        .items(&list.id)
        .await?
        .into_iter()
        .filter_map(|i| i.ip)
        .collect();
    let reference = format!("${ADMIN_LIST}");
    let used = custom.is_some_and(|r| {
        r.rules
            .iter()
            .any(|rule| rule.enabled && rule.expression.contains(&reference))
    });
    Ok(match (held == wanted, used) {
        (true, true) => (
            true,
            format!(
                "${ADMIN_LIST} holds the {} admin source(s) and a custom rule uses it",
                wanted.len()
            ),
        ),
        (false, _) => (
            false,
            format!(
                "${ADMIN_LIST} differs from the admin sources: missing {}, extra {}",
                join(wanted.difference(&held)),
                join(held.difference(&wanted))
            ),
        ),
        (true, false) => (false, format!("no enabled custom rule uses ${ADMIN_LIST}")),
    })
}

fn join<'a>(items: impl Iterator<Item = &'a String>) -> String {
    let v: Vec<&str> = items.map(String::as_str).collect();
    if v.is_empty() {
        "none".to_owned()
    } else {
        v.join(" ")
    }
}
