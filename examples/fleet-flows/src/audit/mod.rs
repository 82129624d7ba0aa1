//! Fleet audit: the runbook's Appendix B for every instance, with the lines the APIs can
//! answer answered by the APIs and the host lines from each host's signed report.
//!
//! - `firewall.hetzner`: the instance's firewall exists, holds exactly the rules the fleet
//!   ranges render for its SSH port, and is applied to its server (Hetzner API).
//! - `cloudflare.ssl-strict`: the zone's `ssl` setting is `strict` (Cloudflare API).
//! - `cloudflare.waf`: the zone has rules in the `http_request_firewall_custom` and
//!   `http_request_firewall_managed` phases (Cloudflare API).
//! - `cloudflare.origin-hidden`: no DNS record of the zone points at the server's address
//!   unproxied (Cloudflare and Hetzner APIs).
//! - `cloudflare.admin-list`: the account list `$admin_ips` holds exactly the fleet's admin
//!   sources and an enabled custom rule uses it, so a policy change that reached the firewalls
//!   but not the zone is drift (Cloudflare API).
//! - `converge.version`: the host reports the desired bundle version applied, and every managed
//!   file's on-disk SHA-256 equals the bundle's.
//! - every other line: the checklist evaluated on the desired host files
//!   ([`hardening_model::audit::audit_rendered`]); where a line's evidence is a managed file,
//!   the host's report decides whether the host still holds it (a differing or missing file
//!   fails the line). Lines no file and no API can show stay Unknown and are not drift.
//!
//! Drift is every failed line; [`FleetAudit::to_json`] and [`FleetAudit::to_table`] print it.

mod report;
mod zone_policy;

use std::collections::BTreeMap;

use futures::StreamExt as _;
use hardening_model::RenderedFile;
use hardening_model::audit::{Status, audit_rendered, check_by_id};
use hardening_model::converge::Manifest;
use hetzner_client::LabelSelector;
use hetzner_client::resources::ListParams;
use hetzner_client::resources::servers::ListServers;

pub use report::{FleetAudit, InstanceAudit, Line};

use crate::backends::Backends;
use crate::converge::{FleetRanges, HostReport, fleet_firewalls};
use crate::error::{Error, Result};
use crate::instance::INSTANCE_LABEL;
use crate::provision::{MANAGED_BY, MANAGED_BY_LABEL};

const API_LINES: [&str; 4] = [
    "firewall.hetzner",
    "cloudflare.ssl-strict",
    "cloudflare.waf",
    "cloudflare.origin-hidden",
];

/// What every instance should look like.
#[derive(Debug, Clone, Copy)]
pub struct Desired<'a> {
    /// The Cloudflare zone the fleet serves.
    pub zone: &'a str,
    /// The fleet ranges the firewalls must hold.
    pub ranges: &'a FleetRanges,
    /// The bundle every host should hold.
    pub manifest: &'a Manifest,
    /// The desired host files the host lines are evaluated on.
    pub host_files: &'a [RenderedFile],
}

const ADMIN_LIST_LINE: &str = "cloudflare.admin-list";

fn line(id: &str, status: Status, source: &'static str, detail: impl Into<String>) -> Line {
    Line {
        id: id.to_owned(),
        title: check_by_id(id).map_or_else(
            || {
                if id == ADMIN_LIST_LINE {
                    "Cloudflare: admin list and rule match the fleet policy".to_owned()
                } else {
                    "Converge: desired bundle applied".to_owned()
                }
            },
            |c| c.title.to_owned(),
        ),
        status,
        source,
        detail: detail.into(),
    }
}

fn pass_fail(ok: bool) -> Status {
    if ok { Status::Pass } else { Status::Fail }
}

/// Audits every instance of the fleet (servers labelled `managed-by=hardened-fleet`).
/// `reports` holds each instance's verified [`HostReport`] (see [`HostReport::verify`]); an
/// instance without one fails `converge.version`.
///
/// Requests: one servers listing, one firewalls listing (both paginated), the zone lookup,
/// its `ssl` setting, two ruleset entrypoints, the account's lists and the admin list's items,
/// and one DNS listing — independent of how
/// many instances there are beyond pagination.
///
/// # Errors
/// [`Error::State`] when the zone is not visible, or an API's error.
pub async fn audit_fleet(
    backends: &Backends,
    desired: &Desired<'_>,
    reports: &BTreeMap<String, HostReport>,
) -> Result<FleetAudit> {
    let cf = &backends.cloudflare;
    let zone = cf
        .zones()
        .get_by_name(desired.zone)
        .await?
        .ok_or_else(|| Error::State(format!("Cloudflare zone {} not found", desired.zone)))?;
    let ssl = cf
        .settings(&zone.id)
        .get::<cloudflare_client::resources::settings::Ssl>()
        .await?;
    let ssl_strict = ssl.value == cloudflare_client::resources::settings::SslMode::Strict;
    let rulesets = cf.rulesets(&zone.id);
    let mut waf_missing = Vec::new();
    let mut custom = None;
    for phase in [
        cloudflare_client::resources::rulesets::Phase::HttpRequestFirewallCustom,
        cloudflare_client::resources::rulesets::Phase::HttpRequestFirewallManaged,
    ] {
        let entrypoint = rulesets.get_entrypoint(&phase).await?;
        if entrypoint.as_ref().is_none_or(|r| r.rules.is_empty()) {
            waf_missing.push(phase.as_str().to_owned());
        }
        if phase == cloudflare_client::resources::rulesets::Phase::HttpRequestFirewallCustom {
            custom = entrypoint;
        }
    }
    let (admin_list_ok, admin_list_detail) =
        zone_policy::admin_list(cf, &zone, custom.as_ref(), desired.ranges).await?;
    let records = cf.dns(&zone.id).list_all(&Default::default()).await?;

    let firewalls: BTreeMap<String, _> = fleet_firewalls(backends)
        .await?
        .into_iter()
        .filter_map(|fw| {
            fw.labels
                .get(INSTANCE_LABEL)
                .map(str::to_owned)
                .map(|i| (i, fw))
        })
        .collect();
    let filter = ListServers {
        params: ListParams::default()
            .selector(LabelSelector::new().eq(MANAGED_BY_LABEL, MANAGED_BY)),
        ..ListServers::default()
    };
    let mut servers = Vec::new();
    let mut stream = backends.hetzner.servers().stream(filter)?;
    while let Some(server) = stream.next().await {
        servers.push(server?);
    }

    let policy = audit_rendered(desired.host_files);
    let wanted: BTreeMap<&str, &str> = desired
        .manifest
        .files()
        .iter()
        .map(|f| (f.path(), f.sha256()))
        .collect();

    let mut instances = Vec::new();
    for server in &servers {
        let Some(instance) = server.labels.get(INSTANCE_LABEL) else {
            continue;
        };
        let mut lines = Vec::new();
        // Hetzner firewall
        lines.push(match firewalls.get(instance) {
            None => line(
                "firewall.hetzner",
                Status::Fail,
                "api",
                format!("no firewall fw-{instance}"),
            ),
            Some(fw) => {
                let port = crate::converge::cloud_ssh_port(fw)?;
                let rules_ok = crate::converge::cloud_same_rules(
                    &fw.rules,
                    &desired.ranges.hetzner_rules(port)?,
                );
                let applied = fw
                    .applied_to
                    .iter()
                    .any(|a| a.server.as_ref().is_some_and(|s| s.id == server.id));
                let detail = match (rules_ok, applied) {
                    (true, true) => {
                        format!("firewall {} holds the expected rules and is applied", fw.id)
                    }
                    (false, _) => format!("firewall {} rules differ from the fleet ranges", fw.id),
                    (true, false) => {
                        format!("firewall {} is not applied to server {}", fw.id, server.id)
                    }
                };
                line(
                    "firewall.hetzner",
                    pass_fail(rules_ok && applied),
                    "api",
                    detail,
                )
            }
        });
        lines.push(line(
            "cloudflare.ssl-strict",
            pass_fail(ssl_strict),
            "api",
            format!("zone ssl mode is {:?}", ssl.value),
        ));
        lines.push(line(
            "cloudflare.waf",
            pass_fail(waf_missing.is_empty()),
            "api",
            if waf_missing.is_empty() {
                "custom and managed WAF phases hold rules".to_owned()
            } else {
                format!("no rules in {}", waf_missing.join(", "))
            },
        ));
        lines.push(line(
            ADMIN_LIST_LINE,
            pass_fail(admin_list_ok),
            "api",
            admin_list_detail.clone(),
        ));
        let ip = server.public_net.ipv4.as_ref().map(|v| v.ip.clone());
        let exposed: Vec<&str> = records
            .iter()
            .filter(|r| ip.as_deref() == Some(r.content.as_str()) && r.proxied != Some(true))
            .map(|r| r.name.as_str())
            .collect();
        lines.push(line(
            "cloudflare.origin-hidden",
            pass_fail(exposed.is_empty()),
            "api",
            if exposed.is_empty() {
                "no unproxied record points at the origin".to_owned()
            } else {
                format!(
                    "unproxied records point at the origin: {}",
                    exposed.join(", ")
                )
            },
        ));

        // host lines
        let report = reports.get(instance);
        let differing: Vec<&str> = wanted
            .iter()
            .filter(|(path, sha)| {
                report.is_none_or(|r| r.files.get(**path).map(String::as_str) != Some(**sha))
            })
            .map(|(path, _)| *path)
            .collect();
        lines.push(match report {
            None => line(
                "converge.version",
                Status::Fail,
                "host report",
                "no verified report from the host",
            ),
            Some(r) => {
                let ok = r.applied_version == desired.manifest.version() && differing.is_empty();
                line(
                    "converge.version",
                    pass_fail(ok),
                    "host report",
                    format!(
                        "host holds version {} (desired {}), state {}{}",
                        r.applied_version,
                        desired.manifest.version(),
                        r.state,
                        if differing.is_empty() {
                            String::new()
                        } else {
                            format!("; differing: {}", differing.join(", "))
                        }
                    ),
                )
            }
        });
        for finding in &policy.findings {
            if API_LINES.contains(&finding.check.id) {
                continue;
            }
            let drifted: Vec<&str> = finding
                .evidence
                .iter()
                .filter(|e| differing.contains(&e.as_str()))
                .map(String::as_str)
                .collect();
            lines.push(if drifted.is_empty() {
                line(
                    finding.check.id,
                    finding.status,
                    "policy",
                    finding.detail.clone(),
                )
            } else {
                line(
                    finding.check.id,
                    Status::Fail,
                    "host report",
                    format!(
                        "host's {} differs from the desired bundle",
                        drifted.join(", ")
                    ),
                )
            });
        }
        instances.push(InstanceAudit {
            instance: instance.to_owned(),
            lines,
        });
    }
    instances.sort_by(|a, b| a.instance.cmp(&b.instance));
    Ok(FleetAudit { instances })
}
