//! A stored server: the [`Server`] model with its server type, location and image kept as
//! ids into the simulator's catalogs rather than as copies (every server of a type would
//! otherwise hold the same type, location and image). Expanded to the model
//! ([`StoredServer::to_model`]) or to the API's JSON (through [`wire::complete`]) only when
//! answered.
//!
//! [`wire::complete`]: super::wire::complete

use std::borrow::Cow;

use serde::{Serialize, Serializer};
use serde_json::{Value, json};

use super::listing::Listed;
use super::state::State;
use crate::labels::Labels;
use crate::models::Timestamp;
use crate::models::server::{PrivateNet, PublicNet, Server, ServerProtection, ServerStatus};

/// Writes a catalog id the way the JSON holds it until completed: `{ "id": .. }`.
fn id_ref<S: Serializer>(id: &u64, serializer: S) -> Result<S::Ok, S::Error> {
    json!({ "id": id }).serialize(serializer)
}

/// Writes an optional catalog id as `{ "id": .. }` or null.
fn opt_id_ref<S: Serializer>(id: &Option<u64>, serializer: S) -> Result<S::Ok, S::Error> {
    id.map(|id| json!({ "id": id })).serialize(serializer)
}

/// One server as stored; the fields are those of [`Server`].
#[derive(Debug, Clone, Serialize)]
pub(crate) struct StoredServer {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) status: ServerStatus,
    pub(crate) created: Timestamp,
    pub(crate) public_net: PublicNet,
    pub(crate) private_net: Vec<PrivateNet>,
    /// Server type id (in [`State::server_types`]).
    #[serde(serialize_with = "id_ref")]
    pub(crate) server_type: u64,
    /// Location id (in [`State::locations`]).
    #[serde(serialize_with = "id_ref")]
    pub(crate) location: u64,
    /// Image id (in [`State::images`]); answered as null once the image is deleted.
    #[serde(serialize_with = "opt_id_ref")]
    pub(crate) image: Option<u64>,
    pub(crate) rescue_enabled: bool,
    pub(crate) locked: bool,
    pub(crate) backup_window: Option<String>,
    pub(crate) protection: ServerProtection,
    pub(crate) labels: Labels,
    pub(crate) volumes: Vec<i64>,
    pub(crate) load_balancers: Vec<i64>,
    pub(crate) primary_disk_size: u64,
    pub(crate) placement_group: Option<Value>,
}

impl StoredServer {
    /// The server as the client's model holds it, catalogs expanded (`None` when its type or
    /// location is not in the catalog, which the simulator never lets happen).
    pub(crate) fn to_model(&self, state: &State) -> Option<Server> {
        let server_type = state
            .server_types
            .iter()
            .find(|t| t.id == self.server_type)?
            .clone();
        let location = state
            .locations
            .iter()
            .find(|l| l.id == self.location)?
            .clone();
        Some(Server {
            id: self.id,
            name: self.name.clone(),
            status: self.status.clone(),
            created: self.created,
            public_net: self.public_net.clone(),
            private_net: self.private_net.clone(),
            server_type,
            location,
            image: self.image.and_then(|id| state.images.get(&id)).cloned(),
            rescue_enabled: self.rescue_enabled,
            locked: self.locked,
            backup_window: self.backup_window.clone(),
            protection: self.protection,
            labels: self.labels.clone(),
            volumes: self.volumes.clone(),
            load_balancers: self.load_balancers.clone(),
            primary_disk_size: self.primary_disk_size,
            placement_group: self.placement_group.clone(),
        })
    }
}

impl Listed for StoredServer {
    fn name(&self) -> Option<&str> {
        Some(&self.name)
    }

    fn labels(&self) -> Option<Cow<'_, Labels>> {
        Some(Cow::Borrowed(&self.labels))
    }

    /// Catalog entries as `{ "id": .. }`: [`super::wire::complete`] expands them.
    fn json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    fn field(&self, field: &str) -> Value {
        match field {
            "id" => json!(self.id),
            "name" => json!(self.name),
            "status" => json!(self.status),
            "created" => json!(self.created),
            _ => Value::Null,
        }
    }

    fn text(&self, field: &str) -> Option<&str> {
        (field == "name").then_some(self.name.as_str())
    }
}
