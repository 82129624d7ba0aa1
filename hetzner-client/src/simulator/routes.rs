//! The path table: which module answers which collection.

use http::Method;
use serde_json::Value;

use super::state::{Query, Reply, State};
use super::{
    certificates, firewalls, floating_ips, generic, load_balancers, networks, others,
    placement_groups, primary_ips, servers, volumes, zones,
};

/// Answers one request (the path below `/v1`), advancing actions before and after.
pub(super) fn route(
    state: &mut State,
    method: &Method,
    path: &str,
    query: &Query,
    body: &Value,
) -> Reply {
    state.tick();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let reply = match segments.as_slice() {
        ["servers", rest @ ..] => servers::route(state, method, rest, query, body),
        ["firewalls", rest @ ..] => firewalls::route(state, method, rest, query, body),
        ["ssh_keys", rest @ ..] => others::ssh_keys(state, method, rest, query, body),
        ["images", rest @ ..] => others::images(state, method, rest, query, body),
        ["actions", rest @ ..] => others::actions(state, method, rest, query),
        [
            kind @ ("server_types" | "locations" | "datacenters" | "isos" | "load_balancer_types"),
            rest @ ..,
        ] => others::catalog(state, kind, method, rest, query),
        ["pricing"] if method == Method::GET => others::pricing(state),
        ["primary_ips", rest @ ..] => primary_ips::route(state, method, rest, query, body),
        ["zones", rest @ ..] => zones::route(state, method, rest, query, body),
        ["load_balancers", id, "metrics"]
            if method == Method::GET
                && id
                    .parse::<u64>()
                    .is_ok_and(|id| state.store("load_balancers").contains_key(&id)) =>
        {
            super::metrics::reply(query, super::metrics::LOAD_BALANCER)
        }
        [plural, rest @ ..] => match kind_of(plural) {
            Some(kind) => generic::route(state, kind, method, rest, query, body),
            None => Reply::no_route(),
        },
        [] => Reply::no_route(),
    };
    state.tick();
    reply
}

/// The kinds stored as JSON, by path segment.
fn kind_of(plural: &str) -> Option<&'static generic::Kind> {
    [
        &placement_groups::KIND,
        &floating_ips::KIND,
        &volumes::KIND,
        &networks::KIND,
        &load_balancers::KIND,
        &certificates::KIND,
    ]
    .into_iter()
    .find(|k| k.plural == plural)
}
