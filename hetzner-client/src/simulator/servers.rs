//! Simulated `/servers` endpoints.

use std::collections::BTreeMap;

use http::Method;
use serde_json::{Value, json};

use super::state::{Effect, Query, Reply, SimServer, State, check_labels, list};
use super::wire::{complete, server_json};
use crate::models::IdRef;
use crate::models::firewall::{AppliedTo, ApplyToType};
use crate::models::image::{Image, ImageProtection, ImageStatus, ImageType};
use crate::models::server::{Ipv4, Ipv6, PublicNet, Server, ServerProtection, ServerStatus};
use crate::names::validate_hostname;
use crate::resources::servers::MAX_USER_DATA_BYTES;

pub(crate) fn route(
    state: &mut State,
    method: &Method,
    rest: &[&str],
    query: &Query,
    body: &Value,
) -> Reply {
    match (method, rest) {
        (&Method::GET, []) => {
            let statuses = query.all("status");
            let items: Vec<Server> = state
                .servers
                .values()
                .map(|s| s.server.clone())
                .filter(|s| statuses.is_empty() || statuses.contains(&s.status.as_str()))
                .collect();
            let mut reply = list(
                "servers",
                items,
                query,
                |s| Some(&s.labels),
                |s| Some(s.name.as_str()),
            );
            if let Some(servers) = reply
                .body
                .as_mut()
                .and_then(|b| b.get_mut("servers"))
                .and_then(Value::as_array_mut)
            {
                for server in servers {
                    complete(state, server);
                }
            }
            reply
        }
        (&Method::POST, []) => create(state, body),
        (&Method::GET, [id]) => match find(state, id) {
            Some(s) => Reply::json(200, json!({ "server": server_json(state, &s.server) })),
            None => Reply::not_found(),
        },
        (&Method::DELETE, [id]) => {
            let Some(id) = find(state, id).map(|s| s.server.id) else {
                return Reply::not_found();
            };
            state.servers.remove(&id);
            for firewall in state.firewalls.values_mut() {
                firewall
                    .applied_to
                    .retain(|a| a.server.is_none_or(|s| s.id != id));
            }
            let action = state.start_action("delete_server", &[(id, "server")], None);
            Reply::json(200, json!({ "action": action }))
        }
        (&Method::POST, [id, "actions", name]) => server_action(state, id, name, body),
        _ => Reply::not_found(),
    }
}

fn find<'a>(state: &'a State, id: &str) -> Option<&'a SimServer> {
    id.parse::<u64>().ok().and_then(|id| state.servers.get(&id))
}

fn create(state: &mut State, body: &Value) -> Reply {
    let text = |field: &str| body.get(field).and_then(Value::as_str);
    let Some(name) = text("name") else {
        return Reply::invalid("name", "is required");
    };
    if validate_hostname("name", name).is_err() {
        return Reply::invalid("name", "is not a valid hostname");
    }
    let Some(server_type) = text("server_type")
        .and_then(|t| {
            state
                .server_types
                .iter()
                .find(|s| s.name == t || s.id.to_string() == t)
        })
        .cloned()
    else {
        return Reply::invalid("server_type", "server type not found");
    };
    let Some(image) = text("image")
        .and_then(|i| {
            state
                .images
                .values()
                .find(|x| x.name.as_deref() == Some(i) || x.id.to_string() == i)
        })
        .cloned()
    else {
        return Reply::invalid("image", "image not found");
    };
    let location = match text("location") {
        Some(l) => match state
            .locations
            .iter()
            .find(|x| x.name == l || x.id.to_string() == l)
        {
            Some(location) => location.clone(),
            None => return Reply::invalid("location", "location not found"),
        },
        None => match state.locations.first() {
            Some(l) => l.clone(),
            None => return Reply::invalid("location", "no location available"),
        },
    };
    if let Some(user_data) = text("user_data")
        && user_data.len() > MAX_USER_DATA_BYTES
    {
        return Reply::invalid("user_data", "is too long");
    }
    for key in body
        .get("ssh_keys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = key
            .as_str()
            .map(str::to_owned)
            .or_else(|| key.as_u64().map(|n| n.to_string()))
            .unwrap_or_default();
        if !state
            .ssh_keys
            .values()
            .any(|k| k.name == key || k.id.to_string() == key)
        {
            return Reply::invalid("ssh_keys", "ssh key not found");
        }
    }
    let mut firewalls = Vec::new();
    for fw in body
        .get("firewalls")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match fw.get("firewall").and_then(Value::as_u64) {
            Some(id) if state.firewalls.contains_key(&id) => firewalls.push(id),
            _ => return Reply::invalid("firewalls", "firewall not found"),
        }
    }
    let labels = match check_labels(body) {
        Ok(labels) => labels,
        Err(reply) => return reply,
    };
    if state.servers.values().any(|s| s.server.name == name) {
        return Reply::error(
            409,
            "uniqueness_error",
            "server name is already used",
            json!({ "fields": [ { "name": "name" } ] }),
        );
    }
    let id = state.id();
    let (ipv4_on, ipv6_on) = body
        .get("public_net")
        .map(|p| {
            (
                p["enable_ipv4"].as_bool().unwrap_or(true),
                p["enable_ipv6"].as_bool().unwrap_or(true),
            )
        })
        .unwrap_or((true, true));
    let octets = id.to_be_bytes();
    let server = Server {
        id,
        name: name.to_owned(),
        status: ServerStatus::Initializing,
        created: state.now_wall(),
        public_net: PublicNet {
            ipv4: ipv4_on.then(|| Ipv4 {
                id: None,
                ip: format!("203.0.{}.{}", octets[6], octets[7]),
                blocked: false,
                dns_ptr: None,
            }),
            ipv6: ipv6_on.then(|| Ipv6 {
                id: None,
                ip: format!("2001:db8:{:x}::/64", id),
                blocked: false,
                dns_ptr: None,
            }),
            floating_ips: Vec::new(),
            firewalls: Vec::new(),
        },
        private_net: Vec::new(),
        server_type,
        location,
        image: Some(image),
        rescue_enabled: false,
        locked: false,
        backup_window: None,
        protection: ServerProtection::default(),
        labels,
        volumes: Vec::new(),
        load_balancers: Vec::new(),
        primary_disk_size: 40.0,
        placement_group: None,
    };
    for fw in &firewalls {
        if let Some(firewall) = state.firewalls.get_mut(fw) {
            firewall.applied_to.push(AppliedTo {
                kind: ApplyToType::Server,
                server: Some(IdRef { id }),
                label_selector: None,
                applied_to_resources: Vec::new(),
            });
        }
    }
    state.servers.insert(
        id,
        SimServer {
            server: server.clone(),
            user_data: text("user_data").map(str::to_owned),
            direct_firewalls: firewalls.clone(),
            firewall_actions: BTreeMap::new(),
        },
    );
    let start = body
        .get("start_after_create")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let off_or_running = if start {
        ServerStatus::Running
    } else {
        ServerStatus::Off
    };
    let action = state.start_action(
        "create_server",
        &[(id, "server")],
        Some(Effect::ServerStatus(id, off_or_running)),
    );
    if let Some(sim) = state.servers.get_mut(&id) {
        // firewalls given at creation are applied by the create action
        sim.firewall_actions = firewalls.iter().map(|fw| (*fw, action.id)).collect();
    }
    let next_actions: Vec<_> = if start {
        vec![state.start_action("start_server", &[(id, "server")], None)]
    } else {
        Vec::new()
    };
    let root_password = if body
        .get("ssh_keys")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty)
    {
        Some(format!("sim-{id:x}"))
    } else {
        None
    };
    state.tick();
    let server = state.servers.get(&id).map_or(server, |s| s.server.clone());
    Reply::json(
        201,
        json!({ "server": server_json(state, &server), "action": action, "next_actions": next_actions, "root_password": root_password }),
    )
}

fn server_action(state: &mut State, id: &str, name: &str, body: &Value) -> Reply {
    let Some(id) = find(state, id).map(|s| s.server.id) else {
        return Reply::not_found();
    };
    let resource = [(id, "server")];
    match name {
        "reboot" | "reset" => Reply::json(
            201,
            json!({ "action": state.start_action(&format!("{name}_server"), &resource, None) }),
        ),
        "poweroff" | "shutdown" => {
            let action = state.start_action(
                if name == "poweroff" {
                    "stop_server"
                } else {
                    "shutdown_server"
                },
                &resource,
                Some(Effect::ServerStatus(id, ServerStatus::Off)),
            );
            Reply::json(201, json!({ "action": action }))
        }
        "poweron" => {
            let action = state.start_action(
                "start_server",
                &resource,
                Some(Effect::ServerStatus(id, ServerStatus::Running)),
            );
            Reply::json(201, json!({ "action": action }))
        }
        "create_image" => {
            let kind = match body
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("snapshot")
            {
                "snapshot" => ImageType::Snapshot,
                "backup" => ImageType::Backup,
                _ => return Reply::invalid("type", "must be snapshot or backup"),
            };
            let labels = match check_labels(body) {
                Ok(labels) => labels,
                Err(reply) => return reply,
            };
            let description = body
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if description.chars().count() > 255 {
                return Reply::invalid("description", "is too long");
            }
            let image_id = state.id();
            let server_name = state
                .servers
                .get(&id)
                .map(|s| s.server.name.clone())
                .unwrap_or_default();
            let image = Image {
                id: image_id,
                kind: kind.clone(),
                status: ImageStatus::Creating,
                name: None,
                description: description.to_owned(),
                image_size: None,
                disk_size: 40.0,
                created: state.now_wall(),
                created_from: Some(crate::models::image::CreatedFrom {
                    id,
                    name: server_name,
                }),
                bound_to: (kind == ImageType::Backup).then_some(id),
                os_flavor: Some("ubuntu".into()),
                os_version: Some("24.04".into()),
                protection: ImageProtection::default(),
                deprecated: None,
                deleted: None,
                labels,
                architecture: None,
            };
            state.images.insert(image_id, image.clone());
            let action = state.start_action(
                "create_image",
                &[(id, "server"), (image_id, "image")],
                Some(Effect::ImageAvailable(image_id)),
            );
            Reply::json(201, json!({ "image": image, "action": action }))
        }
        "rebuild" => {
            let Some(image) = body.get("image").and_then(Value::as_str) else {
                return Reply::invalid("image", "is required");
            };
            if !state
                .images
                .values()
                .any(|i| i.name.as_deref() == Some(image) || i.id.to_string() == image)
            {
                return Reply::invalid("image", "image not found");
            }
            if let Some(user_data) = body.get("user_data").and_then(Value::as_str) {
                if user_data.len() > MAX_USER_DATA_BYTES {
                    return Reply::invalid("user_data", "is too long");
                }
                if let Some(s) = state.servers.get_mut(&id) {
                    s.user_data = Some(user_data.to_owned());
                }
            }
            let action = state.start_action(
                "rebuild_server",
                &resource,
                Some(Effect::ServerStatus(id, ServerStatus::Running)),
            );
            Reply::json(201, json!({ "action": action, "root_password": null }))
        }
        _ => Reply::not_found(),
    }
}
