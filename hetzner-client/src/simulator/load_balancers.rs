//! Simulated `/load_balancers` and `/load_balancer_types`: services and targets are stored as
//! sent (with the defaults the API fills in), the rest of the actions change their field.

use serde_json::{Value, json};

use super::generic::{Kind, action_reply, name_taken, resolve, resolve_location};
use super::state::{Reply, State, check_labels};
use super::wire::location_json;

pub(crate) const KIND: Kind = Kind {
    plural: "load_balancers",
    one: "load_balancer",
    action_type: "load_balancer",
    has_actions: true,
    actions: &[
        "add_service",
        "add_target",
        "attach_to_network",
        "change_algorithm",
        "change_dns_ptr",
        "change_type",
        "delete_service",
        "detach_from_network",
        "disable_public_interface",
        "enable_public_interface",
        "remove_target",
        "update_service",
    ],
    updatable: &[],
    create,
    act,
    refuse_delete: |_, _| None,
    // The pinned document says 204, but the API now answers with the delete action, and
    // Hetzner's own clients (hcloud-python 2.27) read it.
    delete_action: Some("delete_load_balancer"),
};

/// The load balancer types the simulator offers.
pub(crate) fn types(state: &State) -> Vec<Value> {
    let price =
        |net: f64| json!({ "net": format!("{net:.4}"), "gross": format!("{:.4}", net * 1.19) });
    [
        (1, "lb11", 10_000, 5, 25, 10, 5.39),
        (2, "lb21", 20_000, 15, 75, 25, 16.40),
    ]
    .iter()
    .map(|(id, name, conns, services, targets, certs, monthly)| {
        let prices: Vec<Value> = state
            .locations
            .iter()
            .map(|l| {
                json!({
                    "location": l.name, "price_hourly": price(monthly / 730.0),
                    "price_monthly": price(*monthly), "included_traffic": 20_u64 << 40,
                    "price_per_tb_traffic": price(1.0),
                })
            })
            .collect();
        json!({
            "id": id, "name": name, "description": name.to_uppercase(),
            "max_connections": conns, "max_services": services, "max_targets": targets,
            "max_assigned_certificates": certs, "deprecated": null, "prices": prices,
        })
    })
    .collect()
}

fn find_type(state: &State, reference: Option<&Value>) -> Result<Value, Reply> {
    let all = types(state);
    let pairs: Vec<(u64, String)> = all
        .iter()
        .map(|t| {
            (
                t["id"].as_u64().unwrap_or(0),
                t["name"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let Some(id) = resolve(
        "load_balancer_type",
        reference,
        pairs.iter().map(|(i, n)| (*i, n.as_str())),
    )?
    else {
        return Err(Reply::invalid("load_balancer_type", "is required"));
    };
    Ok(all
        .into_iter()
        .find(|t| t["id"].as_u64() == Some(id))
        .unwrap_or_default())
}

fn create(state: &mut State, body: &Value) -> Reply {
    let Some(name) = body
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
    else {
        return Reply::invalid("name", "is required");
    };
    let lb_type = match find_type(state, body.get("load_balancer_type")) {
        Ok(t) => t,
        Err(reply) => return reply,
    };
    let labels = match check_labels(body) {
        Ok(labels) => labels,
        Err(reply) => return reply,
    };
    let location = match resolve_location(state, "location", body.get("location")) {
        Ok(Some(id)) => location_json(state, &id.to_string()),
        Ok(None) => state
            .locations
            .first()
            .and_then(|l| serde_json::to_value(l).ok()),
        Err(reply) => return reply,
    };
    if name_taken(state, "load_balancers", name, None) {
        return Reply::not_unique_named("load_balancer", "name");
    }
    let algorithm = body
        .get("algorithm")
        .cloned()
        .unwrap_or(json!({ "type": "round_robin" }));
    let id = state.id();
    let octets = id.to_be_bytes();
    let value = json!({
        "id": id, "name": name,
        "public_net": {
            "enabled": body.get("public_interface").and_then(Value::as_bool).unwrap_or(true),
            "ipv4": { "ip": format!("192.0.{}.{}", octets[6], octets[7]), "dns_ptr": null },
            "ipv6": { "ip": format!("2001:db8:1b{id:x}::1"), "dns_ptr": null },
        },
        "private_net": [], "location": location, "load_balancer_type": lb_type,
        "protection": { "delete": false }, "labels": labels, "created": state.now_wall(),
        "services": [], "targets": [], "algorithm": algorithm,
        "outgoing_traffic": null, "ingoing_traffic": null, "included_traffic": 20_u64 << 40,
    });
    state.store_mut("load_balancers").insert(id, value.clone());
    for service in body
        .get("services")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        push(state, id, "services", service_with_defaults(service));
    }
    for target in body
        .get("targets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        push(state, id, "targets", target_with_defaults(target));
    }
    let value = state.store("load_balancers").get(&id).cloned();
    let action = state.start_action("create_load_balancer", &[(id, "load_balancer")], None);
    Reply::json(201, json!({ "load_balancer": value, "action": action }))
}

fn service_with_defaults(service: &Value) -> Value {
    let mut service = service.clone();
    let port = service["listen_port"].clone();
    let destination = service["destination_port"].clone();
    let protocol = service["protocol"].as_str().unwrap_or("tcp").to_owned();
    for (key, default) in [
        ("proxyprotocol", json!(false)),
        (
            "destination_port",
            if destination.is_null() {
                port.clone()
            } else {
                destination.clone()
            },
        ),
        (
            "health_check",
            json!({
                "protocol": if protocol == "tcp" { "tcp" } else { "http" },
                "port": if destination.is_null() { port } else { destination },
                "interval": 15, "timeout": 10, "retries": 3,
            }),
        ),
    ] {
        if service.get(key).is_none_or(Value::is_null) {
            service[key] = default;
        }
    }
    service
}

fn target_with_defaults(target: &Value) -> Value {
    let mut target = target.clone();
    if target["type"] != "ip" {
        target["use_private_ip"] = target
            .get("use_private_ip")
            .cloned()
            .unwrap_or(json!(false));
    }
    if target["type"] == "server" {
        target["health_status"] = json!([]);
    }
    if target["type"] == "label_selector" {
        target["targets"] = json!([]);
    }
    target
}

fn push(state: &mut State, id: u64, key: &str, item: Value) {
    if let Some(list) = state
        .store_mut("load_balancers")
        .get_mut(&id)
        .and_then(|lb| lb.get_mut(key))
        .and_then(Value::as_array_mut)
    {
        list.push(item);
    }
}

fn act(state: &mut State, id: u64, name: &str, body: &Value) -> Reply {
    let port = body.get("listen_port").cloned();
    let lb_type = if name == "change_type" {
        match find_type(state, body.get("load_balancer_type")) {
            Ok(t) => Some(t),
            Err(reply) => return reply,
        }
    } else {
        None
    };
    let Some(lb) = state.store_mut("load_balancers").get_mut(&id) else {
        return Reply::not_found();
    };
    let mut services: Vec<Value> = lb["services"].as_array().cloned().unwrap_or_default();
    let mut targets: Vec<Value> = lb["targets"].as_array().cloned().unwrap_or_default();
    let same_port = |s: &Value| Some(&s["listen_port"]) == port.as_ref();
    match name {
        "add_service" | "update_service" | "delete_service" => {
            if port.is_none() {
                return Reply::invalid("listen_port", "is required");
            }
            let exists = services.iter().any(same_port);
            match (name, exists) {
                ("add_service", true) => {
                    return Reply::error(
                        422,
                        "source_port_already_used",
                        "listen_port is already used",
                        Value::Null,
                    );
                }
                ("add_service", false) => services.push(service_with_defaults(body)),
                (_, false) => return Reply::invalid("listen_port", "no service listens there"),
                ("update_service", true) => {
                    for s in services.iter_mut().filter(|s| same_port(s)) {
                        if let (Some(s), Some(changes)) = (s.as_object_mut(), body.as_object()) {
                            s.extend(changes.clone());
                        }
                    }
                }
                _ => services.retain(|s| !same_port(s)),
            }
        }
        "add_target" => {
            if !matches!(
                body["type"].as_str(),
                Some("server" | "label_selector" | "ip")
            ) {
                return Reply::invalid("type", "must be server, label_selector or ip");
            }
            let kind = body["type"].as_str().unwrap_or("");
            if targets
                .iter()
                .any(|t| t["type"] == body["type"] && t[kind] == body[kind])
            {
                return Reply::error(
                    422,
                    "target_already_defined",
                    "the target is already defined",
                    Value::Null,
                );
            }
            targets.push(target_with_defaults(body));
        }
        "remove_target" => {
            let kind = body["type"].as_str().unwrap_or("");
            targets.retain(|t| !(t["type"] == body["type"] && t[kind] == body[kind]));
        }
        "change_algorithm" => match body["type"].as_str() {
            Some("round_robin" | "least_connections") => {
                lb["algorithm"] = json!({ "type": body["type"] })
            }
            _ => return Reply::invalid("type", "must be round_robin or least_connections"),
        },
        "change_dns_ptr" => {
            let ip = body["ip"].as_str().unwrap_or_default();
            for family in ["ipv4", "ipv6"] {
                if lb["public_net"][family]["ip"] == ip {
                    lb["public_net"][family]["dns_ptr"] =
                        body.get("dns_ptr").cloned().unwrap_or(Value::Null);
                }
            }
        }
        "change_type" => lb["load_balancer_type"] = lb_type.unwrap_or_default(),
        "attach_to_network" | "detach_from_network" => {
            let Some(network) = body.get("network").and_then(Value::as_u64) else {
                return Reply::invalid("network", "is required");
            };
            let mut nets: Vec<Value> = lb["private_net"].as_array().cloned().unwrap_or_default();
            nets.retain(|n| n["network"].as_u64() != Some(network));
            if name == "attach_to_network" {
                let ip = body.get("ip").cloned().unwrap_or(json!("10.0.0.5"));
                nets.push(json!({ "network": network, "ip": ip }));
            }
            lb["private_net"] = json!(nets);
        }
        _ => lb["public_net"]["enabled"] = json!(name == "enable_public_interface"),
    }
    lb["services"] = json!(services);
    lb["targets"] = json!(targets);
    action_reply(state, name, &[(id, "load_balancer")])
}
