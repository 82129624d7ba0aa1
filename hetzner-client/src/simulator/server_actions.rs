//! Simulated `POST /servers/{id}/actions/{action}`: all 27 server actions.

use serde_json::{Value, json};

use super::generic::{action_reply, is_protected, resolve};
use super::placement_groups::set_member;
use super::state::{Effect, Reply, State, check_labels, root_password};
use crate::models::image::{Image, ImageProtection, ImageStatus, ImageType};
use crate::models::server::{PrivateNet, ServerStatus};
use crate::resources::servers::MAX_USER_DATA_BYTES;

/// Every server action the API has.
pub(crate) const ACTIONS: &[&str] = &[
    "add_to_placement_group",
    "attach_iso",
    "attach_to_network",
    "change_alias_ips",
    "change_dns_ptr",
    "change_protection",
    "change_type",
    "create_image",
    "detach_from_network",
    "detach_iso",
    "disable_backup",
    "disable_rescue",
    "enable_backup",
    "enable_rescue",
    "poweroff",
    "poweron",
    "reboot",
    "rebuild",
    "remove_from_placement_group",
    "request_console",
    "reset",
    "reset_password",
    "shutdown",
];

fn not_stopped() -> Reply {
    Reply::error(
        422,
        "server_not_stopped",
        "the server must be powered off",
        Value::Null,
    )
}

pub(crate) fn server_action(state: &mut State, id: u64, name: &str, body: &Value) -> Reply {
    let Some(sim) = state.servers.get(&id) else {
        return Reply::not_found();
    };
    let off = sim.server.status == ServerStatus::Off;
    let resource = [(id, "server")];
    match name {
        "reboot" | "reset" => action_reply(state, &format!("{name}_server"), &resource),
        "poweroff" | "shutdown" => {
            let command = if name == "poweroff" {
                "stop_server"
            } else {
                "shutdown_server"
            };
            let action = state.start_action(
                command,
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
        "create_image" => create_image(state, id, body),
        "rebuild" => rebuild(state, id, body),
        "change_protection" => change_protection(state, id, body),
        "change_dns_ptr" => change_dns_ptr(state, id, body),
        "enable_rescue" => {
            let kind = body
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("linux64");
            if kind != "linux64" {
                return Reply::invalid("type", "must be linux64");
            }
            for key in body
                .get("ssh_keys")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if !key
                    .as_u64()
                    .is_some_and(|k| state.ssh_keys.contains_key(&k))
                {
                    return Reply::invalid("ssh_keys", "ssh key not found");
                }
            }
            if let Some(s) = state.servers.get_mut(&id) {
                s.server.rescue_enabled = true;
            }
            let action = state.start_action("enable_rescue", &resource, None);
            // the rescue system always gets a root password, SSH keys or not
            Reply::json(
                201,
                json!({ "action": action, "root_password": root_password() }),
            )
        }
        "disable_rescue" => {
            if let Some(s) = state.servers.get_mut(&id) {
                s.server.rescue_enabled = false;
            }
            action_reply(state, "disable_rescue", &resource)
        }
        "enable_backup" | "disable_backup" => {
            if let Some(s) = state.servers.get_mut(&id) {
                s.server.backup_window = (name == "enable_backup").then(|| "22-02".to_owned());
            }
            action_reply(state, name, &resource)
        }
        "request_console" => {
            let action = state.start_action("request_console", &resource, None);
            Reply::json(
                201,
                json!({
                    "wss_url": format!("wss://console.simulator.invalid/?server_id={id}"),
                    "password": root_password(),
                    "action": action,
                }),
            )
        }
        "reset_password" => {
            let action = state.start_action("reset_password", &resource, None);
            Reply::json(
                201,
                json!({ "action": action, "root_password": root_password() }),
            )
        }
        "change_type" => {
            if !off {
                return not_stopped();
            }
            let types: Vec<(u64, String)> = state
                .server_types
                .iter()
                .map(|t| (t.id, t.name.clone()))
                .collect();
            let found = resolve(
                "server_type",
                body.get("server_type"),
                types.iter().map(|(i, n)| (*i, n.as_str())),
            );
            let Some(new_type) = (match found {
                Ok(Some(t)) => state.server_types.iter().find(|x| x.id == t).cloned(),
                Ok(None) => return Reply::invalid("server_type", "is required"),
                Err(reply) => return reply,
            }) else {
                return Reply::invalid("server_type", "server type not found");
            };
            let Some(upgrade_disk) = body.get("upgrade_disk").and_then(Value::as_bool) else {
                return Reply::invalid("upgrade_disk", "is required");
            };
            let disk = state
                .servers
                .get(&id)
                .map_or(0, |s| s.server.primary_disk_size);
            if new_type.disk < disk {
                // the disk never shrinks: a type with a smaller disk cannot take this server
                return Reply::invalid(
                    "server_type",
                    "the server's disk is larger than the type's",
                );
            }
            if let Some(s) = state.servers.get_mut(&id) {
                if upgrade_disk {
                    s.server.primary_disk_size = new_type.disk;
                }
                s.server.server_type = new_type.id;
            }
            action_reply(state, "change_server_type", &resource)
        }
        "attach_iso" => {
            let names: Vec<(u64, String)> = super::others::isos()
                .iter()
                .map(|i| {
                    (
                        i["id"].as_u64().unwrap_or(0),
                        i["name"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect();
            let iso = match resolve(
                "iso",
                body.get("iso"),
                names.iter().map(|(i, n)| (*i, n.as_str())),
            ) {
                Ok(Some(iso)) => iso,
                Ok(None) => return Reply::invalid("iso", "is required"),
                Err(reply) => return reply,
            };
            let iso = super::others::isos()
                .into_iter()
                .find(|i| i["id"].as_u64() == Some(iso));
            if let Some(s) = state.servers.get_mut(&id) {
                s.extra.insert("iso".into(), iso.unwrap_or_default());
            }
            action_reply(state, "attach_iso", &resource)
        }
        "detach_iso" => {
            if let Some(s) = state.servers.get_mut(&id) {
                s.extra.insert("iso".into(), Value::Null);
            }
            action_reply(state, "detach_iso", &resource)
        }
        "add_to_placement_group" => {
            let Some(group) = body
                .get("placement_group")
                .and_then(Value::as_u64)
                .filter(|g| state.store("placement_groups").contains_key(g))
            else {
                return Reply::invalid("placement_group", "placement group not found");
            };
            if !off {
                return not_stopped();
            }
            if state
                .servers
                .get(&id)
                .is_some_and(|s| s.server.placement_group.is_some())
            {
                return Reply::error(
                    422,
                    "server_already_in_placement_group",
                    "the server is already in a placement group",
                    Value::Null,
                );
            }
            join_group(state, id, group)
                .unwrap_or_else(|| action_reply(state, "add_to_placement_group", &resource))
        }
        "remove_from_placement_group" => {
            let group = state
                .servers
                .get(&id)
                .and_then(|s| s.server.placement_group.as_ref())
                .and_then(|g| g["id"].as_u64());
            let Some(group) = group else {
                return Reply::error(
                    422,
                    "server_not_in_placement_group",
                    "the server is in no placement group",
                    Value::Null,
                );
            };
            set_member(state, group, id, false);
            if let Some(s) = state.servers.get_mut(&id) {
                s.server.placement_group = None;
            }
            action_reply(state, "remove_from_placement_group", &resource)
        }
        "attach_to_network" | "detach_from_network" | "change_alias_ips" => {
            network_action(state, id, name, body)
        }
        _ => Reply::no_route(),
    }
}

/// Adds server `id` to spread group `group` (at most 10 members); `Some` is a refusal.
pub(crate) fn join_group(state: &mut State, id: u64, group: u64) -> Option<Reply> {
    let members = state
        .store("placement_groups")
        .get(&group)
        .and_then(|g| g["servers"].as_array().map(Vec::len))
        .unwrap_or(0);
    if members >= 10 {
        return Some(Reply::error(
            403,
            "resource_limit_exceeded",
            "a spread placement group holds at most 10 servers",
            Value::Null,
        ));
    }
    set_member(state, group, id, true);
    let value = state.store("placement_groups").get(&group).cloned();
    if let Some(s) = state.servers.get_mut(&id) {
        s.server.placement_group = value;
    }
    None
}

fn network_action(state: &mut State, id: u64, name: &str, body: &Value) -> Reply {
    let Some(network) = body
        .get("network")
        .and_then(Value::as_u64)
        .filter(|n| state.store("networks").contains_key(n))
    else {
        return Reply::invalid("network", "network not found");
    };
    let alias_ips: Vec<String> = body
        .get("alias_ips")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| a.as_str().map(str::to_owned))
        .collect();
    let attached = state
        .servers
        .get(&id)
        .is_some_and(|s| s.server.private_net.iter().any(|n| n.network == network));
    match (name, attached) {
        ("attach_to_network", true) => {
            return Reply::error(
                422,
                "server_already_attached",
                "the server is already attached to this network",
                Value::Null,
            );
        }
        ("detach_from_network" | "change_alias_ips", false) => {
            return Reply::error(
                422,
                "server_not_attached",
                "the server is not attached to this network",
                Value::Null,
            );
        }
        _ => {}
    }
    if name == "change_alias_ips" && body.get("alias_ips").is_none() {
        return Reply::invalid("alias_ips", "is required");
    }
    let ip = body
        .get("ip")
        .and_then(Value::as_str)
        .map_or_else(|| format!("10.0.0.{}", 2 + id % 250), str::to_owned);
    if let Some(s) = state.servers.get_mut(&id) {
        let nets = &mut s.server.private_net;
        match name {
            "attach_to_network" => nets.push(PrivateNet {
                network,
                ip,
                alias_ips,
                mac_address: format!("86:00:00:{:02x}:{:02x}:01", id % 256, network % 256),
            }),
            "detach_from_network" => nets.retain(|n| n.network != network),
            _ => {
                for n in nets.iter_mut().filter(|n| n.network == network) {
                    n.alias_ips.clone_from(&alias_ips);
                }
            }
        }
    }
    if let Some(servers) = state
        .store_mut("networks")
        .get_mut(&network)
        .and_then(|n| n.get_mut("servers"))
        .and_then(Value::as_array_mut)
    {
        servers.retain(|s| s.as_u64() != Some(id));
        if name != "detach_from_network" {
            servers.push(json!(id));
        }
    }
    action_reply(state, name, &[(id, "server"), (network, "network")])
}

fn change_protection(state: &mut State, id: u64, body: &Value) -> Reply {
    let flag = |k: &str| body.get(k).map(Value::as_bool);
    let (delete, rebuild) = (flag("delete"), flag("rebuild"));
    if delete == Some(None) || rebuild == Some(None) {
        return Reply::invalid("delete", "protection flags must be booleans");
    }
    let Some(s) = state.servers.get_mut(&id) else {
        return Reply::not_found();
    };
    let mut protection = s.server.protection;
    if let Some(Some(d)) = delete {
        protection.delete = d;
    }
    if let Some(Some(r)) = rebuild {
        protection.rebuild = r;
    }
    if protection.delete != protection.rebuild {
        // The API keeps both flags equal for servers.
        return Reply::invalid("rebuild", "must be set together with delete");
    }
    s.server.protection = protection;
    action_reply(state, "change_protection", &[(id, "server")])
}

/// Sets the reverse DNS of one of the server's addresses, on its primary IP.
fn change_dns_ptr(state: &mut State, id: u64, body: &Value) -> Reply {
    let Some(ip) = body.get("ip").and_then(Value::as_str) else {
        return Reply::invalid("ip", "is required");
    };
    if !matches!(body.get("dns_ptr"), Some(Value::String(_) | Value::Null)) {
        return Reply::invalid("dns_ptr", "is required (a hostname or null)");
    }
    let Some(server) = state.servers.get(&id).map(|s| s.server.public_net.clone()) else {
        return Reply::not_found();
    };
    let owner = [
        server.ipv4.as_ref().map(|i| (i.id, i.ip.clone())),
        server.ipv6.as_ref().map(|i| (i.id, i.ip.clone())),
    ]
    .into_iter()
    .flatten()
    .find(|(_, own)| {
        own == ip
            || own
                .split_once("::/")
                .is_some_and(|(p, _)| ip.starts_with(&format!("{p}:")))
    })
    .and_then(|(pid, _)| pid);
    let Some(primary) = owner else {
        return Reply::invalid("ip", "is not an address of this server");
    };
    let reply = super::primary_ips::change_dns_ptr(state, primary, "server", body);
    if reply.status == 201 {
        // the action is the server's, as the API reports it
        if let Some(action_id) = reply.body.as_ref().and_then(|b| b["action"]["id"].as_u64()) {
            let server = crate::models::action::ActionResource {
                id,
                kind: "server".into(),
            };
            state.retarget_action(action_id, vec![server]);
        }
    }
    reply
}

fn create_image(state: &mut State, id: u64, body: &Value) -> Reply {
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
    let Some(server) = state.servers.get(&id).map(|s| s.server.clone()) else {
        return Reply::not_found();
    };
    let source = server.image.and_then(|image| state.images.get(&image));
    let architecture = state
        .server_types
        .iter()
        .find(|t| t.id == server.server_type)
        .and_then(|t| t.architecture.clone());
    let image = Image {
        id: image_id,
        kind: kind.clone(),
        status: ImageStatus::Creating,
        name: None,
        description: description.to_owned(),
        image_size: None,
        disk_size: server.primary_disk_size as f64,
        created: state.now_wall(),
        created_from: Some(crate::models::image::CreatedFrom {
            id,
            name: server.name.clone(),
        }),
        bound_to: (kind == ImageType::Backup).then_some(id),
        os_flavor: source.and_then(|i| i.os_flavor.clone()),
        os_version: source.and_then(|i| i.os_version.clone()),
        protection: ImageProtection::default(),
        deprecated: None,
        deleted: None,
        labels,
        architecture,
    };
    state.images.insert(image_id, image.clone());
    let action = state.start_action(
        "create_image",
        &[(id, "server"), (image_id, "image")],
        Some(Effect::ImageAvailable(image_id)),
    );
    Reply::json(201, json!({ "image": image, "action": action }))
}

fn rebuild(state: &mut State, id: u64, body: &Value) -> Reply {
    let images: Vec<(u64, String)> = state
        .images
        .values()
        .map(|i| (i.id, i.name.clone().unwrap_or_default()))
        .collect();
    match resolve(
        "image",
        body.get("image"),
        images.iter().map(|(i, n)| (*i, n.as_str())),
    ) {
        Ok(Some(_)) => {}
        Ok(None) => return Reply::invalid("image", "is required"),
        Err(reply) => return reply,
    }
    let protected = state
        .servers
        .get(&id)
        .is_some_and(|s| s.server.protection.rebuild);
    if protected {
        return Reply::protected();
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
        &[(id, "server")],
        Some(Effect::ServerStatus(id, ServerStatus::Running)),
    );
    Reply::json(201, json!({ "action": action, "root_password": null }))
}

/// True when the stored image `id` has delete protection (used by `DELETE /images/{id}`).
pub(crate) fn image_protected(state: &State, id: u64) -> bool {
    let value = state
        .images
        .get(&id)
        .and_then(|i| serde_json::to_value(i).ok());
    is_protected(value.as_ref(), "delete")
}
