//! A stored primary IP: a compact typed record (every server holds two, so a large project
//! holds many), turned into the API's JSON only when answered. The location is kept as its
//! id; [`complete`] fills in the location and its datacenter.

use std::borrow::Cow;

use serde_json::{Value, json};

use super::listing::Listed;
use super::state::{Reply, State};
use super::wire::{datacenter_json, location_json};
use crate::labels::Labels;
use crate::models::Timestamp;

/// The address family of a primary IP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    V4,
    V6,
}

impl Family {
    /// The family as the API names it (`ipv4`, `ipv6`).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::V4 => "ipv4",
            Self::V6 => "ipv6",
        }
    }

    /// The family the API calls `name`.
    pub(crate) fn parse(name: &str) -> Option<Self> {
        match name {
            "ipv4" => Some(Self::V4),
            "ipv6" => Some(Self::V6),
            _ => None,
        }
    }
}

/// One primary IP.
#[derive(Debug, Clone)]
pub(crate) struct PrimaryIp {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) labels: Labels,
    pub(crate) created: Timestamp,
    /// Location id.
    pub(crate) location: u64,
    /// The address (IPv4) or the network (IPv6, `2001:db8::/64`).
    pub(crate) ip: String,
    /// Reverse DNS entries as `(address, hostname)`.
    pub(crate) dns_ptr: Vec<(String, String)>,
    pub(crate) delete_protected: bool,
    pub(crate) family: Family,
    pub(crate) auto_delete: bool,
    /// The server it is assigned to.
    pub(crate) assignee: Option<u64>,
}

impl PrimaryIp {
    /// The reverse DNS entries as the API answers them.
    pub(crate) fn dns_ptr_json(&self) -> Value {
        self.dns_ptr
            .iter()
            .map(|(ip, ptr)| json!({ "ip": ip, "dns_ptr": ptr }))
            .collect()
    }

    /// A field as text, for the list filters on fields (`ip=`, `type=`...); `None` for a
    /// field it does not have or that is null, which filters nothing out.
    pub(crate) fn field_text(&self, key: &str) -> Option<String> {
        Some(match key {
            "id" => self.id.to_string(),
            "name" => self.name.clone(),
            "ip" => self.ip.clone(),
            "type" => self.family.as_str().into(),
            "assignee_type" => "server".into(),
            "assignee_id" => self.assignee?.to_string(),
            "auto_delete" => self.auto_delete.to_string(),
            "blocked" => "false".into(),
            _ => return None,
        })
    }
}

impl Listed for PrimaryIp {
    fn name(&self) -> Option<&str> {
        Some(&self.name)
    }

    fn labels(&self) -> Option<Cow<'_, Labels>> {
        Some(Cow::Borrowed(&self.labels))
    }

    /// The stored shape: `location` holds only its id until [`complete`] fills it in.
    fn json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "labels": self.labels,
            "created": self.created,
            "blocked": false,
            "location": { "id": self.location },
            "ip": self.ip,
            "dns_ptr": self.dns_ptr_json(),
            "protection": { "delete": self.delete_protected },
            "type": self.family.as_str(),
            "auto_delete": self.auto_delete,
            "assignee_type": "server",
            "assignee_id": self.assignee,
        })
    }

    fn field(&self, field: &str) -> Value {
        match field {
            "id" => json!(self.id),
            "name" => json!(self.name),
            "created" => json!(self.created),
            "type" => json!(self.family.as_str()),
            _ => Value::Null,
        }
    }

    fn text(&self, field: &str) -> Option<&str> {
        (field == "name").then_some(self.name.as_str())
    }
}

/// Fills in the `location` (as its id only) and the `datacenter` of each primary IP in an
/// answer (`primary_ip` or `primary_ips`).
pub(crate) fn complete(state: &State, reply: &mut Reply) {
    let Some(body) = reply.body.as_mut() else {
        return;
    };
    let fill = |entry: &mut Value| {
        if let Some(map) = entry.as_object_mut()
            && !map.contains_key("datacenter")
        {
            let stored = map.get("location").cloned().unwrap_or(Value::Null);
            let location = stored
                .get("id")
                .and_then(Value::as_u64)
                .and_then(|id| location_json(state, &id.to_string()))
                .unwrap_or(stored);
            map.insert("datacenter".into(), datacenter_json(state, &location));
            map.insert("location".into(), location);
        }
    };
    if let Some(one) = body.get_mut("primary_ip") {
        fill(one);
    }
    if let Some(all) = body.get_mut("primary_ips").and_then(Value::as_array_mut) {
        all.iter_mut().for_each(fill);
    }
}

/// What a `change_dns_ptr` body asks of a resource whose own address is `own`: the address
/// and its new hostname (`None` resets it), or the `invalid_input` reply.
pub(crate) fn dns_ptr_change(own: &str, body: &Value) -> Result<(String, Option<String>), Reply> {
    let Some(ip) = body.get("ip").and_then(Value::as_str) else {
        return Err(Reply::invalid("ip", "is required"));
    };
    let in_range = ip == own
        || own
            .split_once("::/")
            .is_some_and(|(prefix, _)| ip.starts_with(&format!("{prefix}:")));
    if !in_range {
        return Err(Reply::invalid("ip", "is not an address of this resource"));
    }
    match body.get("dns_ptr") {
        Some(Value::String(ptr)) if !ptr.is_empty() => Ok((ip.to_owned(), Some(ptr.clone()))),
        None | Some(Value::Null) => Ok((ip.to_owned(), None)),
        Some(_) => Err(Reply::invalid("dns_ptr", "must be a hostname or null")),
    }
}
