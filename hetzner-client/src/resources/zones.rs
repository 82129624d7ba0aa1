//! DNS zones and RRSets: zones by id or name, zone files, TTLs, protection, primary
//! nameservers, and the records of each name and type.

use futures::stream::BoxStream;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::ListParams;
use super::common::{Created, ResourceActions, send_key};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::labels::Labels;
use crate::models::action::Action;
use crate::models::zone::{Record, RrSet, Zone, ZoneMode};
use crate::pagination::{Page, fetch_page, stream_all};
use crate::request::{RequestSpec, encode};

/// Zone operations; from [`Client::zones`].
#[derive(Debug, Clone, Copy)]
pub struct Zones<'a> {
    pub(crate) client: &'a Client,
}

/// A request to create a zone.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateZone {
    /// Domain name, e.g. `example.com`.
    pub name: String,
    /// Primary or secondary.
    pub mode: ZoneMode,
    /// Default TTL (API default 3600).
    pub ttl: Option<i64>,
    /// Primary nameservers of a secondary zone (JSON: `address`, `port`, ...).
    pub primary_nameservers: Vec<Value>,
    /// Zone file to import (primary zones).
    pub zonefile: Option<String>,
    /// Labels.
    pub labels: Labels,
}

impl CreateZone {
    /// A primary zone for `name`.
    pub fn primary(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            mode: ZoneMode::Primary,
            ttl: None,
            primary_nameservers: Vec::new(),
            zonefile: None,
            labels: Labels::new(),
        }
    }
}

fn check_ttl(ttl: i64) -> Result<()> {
    if (60..=2_147_483_647).contains(&ttl) {
        Ok(())
    } else {
        Err(Error::invalid("ttl", "must be 60 to 2147483647 seconds"))
    }
}

/// Builds `POST /zones`.
///
/// # Errors
/// [`Error::Invalid`] naming the field; nothing is sent.
pub fn create_request(req: &CreateZone) -> Result<RequestSpec> {
    if !req.name.contains('.') || req.name.len() > 253 {
        return Err(Error::invalid("name", "must be a domain name"));
    }
    if req.mode == ZoneMode::Secondary && req.primary_nameservers.is_empty() {
        return Err(Error::invalid(
            "primary_nameservers",
            "a secondary zone needs them",
        ));
    }
    req.labels.validate()?;
    let mut body = Map::new();
    body.insert("name".into(), json!(req.name));
    body.insert("mode".into(), json!(req.mode));
    if let Some(ttl) = req.ttl {
        check_ttl(ttl)?;
        body.insert("ttl".into(), json!(ttl));
    }
    if !req.primary_nameservers.is_empty() {
        body.insert("primary_nameservers".into(), json!(req.primary_nameservers));
    }
    if let Some(zonefile) = &req.zonefile {
        body.insert("zonefile".into(), json!(zonefile));
    }
    if !req.labels.is_empty() {
        body.insert("labels".into(), json!(req.labels));
    }
    Ok(RequestSpec::post("/zones", Value::Object(body)))
}

#[derive(Deserialize)]
struct Zonefile {
    zonefile: String,
}

impl<'a> Zones<'a> {
    fn path(zone: &str) -> String {
        format!("/zones/{}", encode(zone))
    }

    async fn action(&self, zone: &str, name: &str, body: Value) -> Result<Action> {
        let spec = RequestSpec::post(format!("{}/actions/{name}", Self::path(zone)), body);
        send_key(self.client, &spec, "action").await
    }

    /// One page of zones.
    ///
    /// # Errors
    /// An invalid filter (nothing sent) or the API's error.
    pub async fn list(&self, params: &ListParams) -> Result<Page<Zone>> {
        fetch_page(
            self.client,
            &params.apply(RequestSpec::get("/zones"))?,
            "zones",
        )
        .await
    }

    /// Every zone, lazily.
    ///
    /// # Errors
    /// An invalid filter (nothing sent).
    pub fn stream(&self, params: &ListParams) -> Result<BoxStream<'static, Result<Zone>>> {
        Ok(stream_all(
            self.client,
            params.apply(RequestSpec::get("/zones"))?,
            "zones",
        ))
    }

    /// Gets a zone by id or name.
    ///
    /// # Errors
    /// `not_found`, or the API's error.
    pub async fn get(&self, zone: &str) -> Result<Zone> {
        send_key(self.client, &RequestSpec::get(Self::path(zone)), "zone").await
    }

    /// Creates a zone; an ambiguous failure is reconciled by its unique name.
    ///
    /// # Errors
    /// Validation errors (nothing sent) or the API's error.
    pub async fn create(&self, req: &CreateZone) -> Result<Created<Zone>> {
        let spec = create_request(req)?;
        let outcome = super::create_reconciled::<Map<String, Value>, Zone, _, _>(
            self.client,
            &spec,
            || async {
                match self.get(&req.name).await {
                    Ok(zone) => Ok(Some(zone)),
                    Err(e) if e.is_not_found() => Ok(None),
                    Err(e) => Err(e),
                }
            },
        )
        .await?;
        match outcome {
            super::CreateOutcome::Created(body) => Created::from_body(body, "zone"),
            super::CreateOutcome::Existing(value) => Ok(Created {
                value,
                action: None,
                next_actions: Vec::new(),
                reconciled: true,
            }),
        }
    }

    /// Replaces a zone's labels.
    ///
    /// # Errors
    /// Invalid labels (nothing sent) or the API's error.
    pub async fn update_labels(&self, zone: &str, labels: &Labels) -> Result<Zone> {
        labels.validate()?;
        let spec = RequestSpec::put(Self::path(zone), json!({ "labels": labels }));
        send_key(self.client, &spec, "zone").await
    }

    /// Deletes a zone and its records.
    ///
    /// # Errors
    /// The API's error (`protected` with delete protection on).
    pub async fn delete(&self, zone: &str) -> Result<Action> {
        send_key(
            self.client,
            &RequestSpec::delete(Self::path(zone)),
            "action",
        )
        .await
    }

    /// The zone file of a primary zone.
    ///
    /// # Errors
    /// The API's error.
    pub async fn zonefile(&self, zone: &str) -> Result<String> {
        let spec = RequestSpec::get(format!("{}/zonefile", Self::path(zone)));
        let file: Zonefile = self.client.send_json(&spec).await?;
        Ok(file.zonefile)
    }

    /// Imports a zone file into a primary zone.
    ///
    /// # Errors
    /// The API's error.
    pub async fn import_zonefile(&self, zone: &str, zonefile: &str) -> Result<Action> {
        self.action(zone, "import_zonefile", json!({ "zonefile": zonefile }))
            .await
    }

    /// Changes the default TTL.
    ///
    /// # Errors
    /// A TTL out of range (nothing sent), or the API's error.
    pub async fn change_ttl(&self, zone: &str, ttl: i64) -> Result<Action> {
        check_ttl(ttl)?;
        self.action(zone, "change_ttl", json!({ "ttl": ttl })).await
    }

    /// Turns delete protection on or off.
    ///
    /// # Errors
    /// The API's error.
    pub async fn change_protection(&self, zone: &str, delete: bool) -> Result<Action> {
        self.action(zone, "change_protection", json!({ "delete": delete }))
            .await
    }

    /// Replaces the primary nameservers of a secondary zone.
    ///
    /// # Errors
    /// The API's error.
    pub async fn change_primary_nameservers(
        &self,
        zone: &str,
        nameservers: &[Value],
    ) -> Result<Action> {
        let body = json!({ "primary_nameservers": nameservers });
        self.action(zone, "change_primary_nameservers", body).await
    }

    /// The actions of zones (`GET /zones/actions`, `GET /zones/{id}/actions`, ...).
    pub fn actions(&self) -> ResourceActions<'a> {
        ResourceActions {
            client: self.client,
            base: "/zones",
        }
    }

    /// The RRSets of one zone (id or name).
    pub fn rrsets(&self, zone: &str) -> RrSets<'a> {
        RrSets {
            client: self.client,
            zone: zone.to_owned(),
        }
    }
}

/// RRSet operations of one zone; from [`Zones::rrsets`].
#[derive(Debug, Clone)]
pub struct RrSets<'a> {
    client: &'a Client,
    zone: String,
}

fn check_records(records: &[Record]) -> Result<()> {
    if records.is_empty() || records.len() > 50 {
        return Err(Error::invalid("records", "give 1 to 50 records"));
    }
    if records.iter().any(|r| r.value.trim().is_empty()) {
        return Err(Error::invalid("records", "a record needs a value"));
    }
    Ok(())
}

impl RrSets<'_> {
    fn base(&self) -> String {
        format!("/zones/{}/rrsets", encode(&self.zone))
    }

    fn path(&self, name: &str, kind: &str) -> String {
        format!("{}/{}/{}", self.base(), encode(name), encode(kind))
    }

    async fn action(&self, name: &str, kind: &str, action: &str, body: Value) -> Result<Action> {
        let spec = RequestSpec::post(format!("{}/actions/{action}", self.path(name, kind)), body);
        send_key(self.client, &spec, "action").await
    }

    /// One page of RRSets (`name` filters by name; `kinds` by type).
    ///
    /// # Errors
    /// An invalid filter (nothing sent) or the API's error.
    pub async fn list(&self, params: &ListParams, kinds: &[&str]) -> Result<Page<RrSet>> {
        let mut spec = params.apply(RequestSpec::get(self.base()))?;
        for kind in kinds {
            spec = spec.with_query("type", *kind);
        }
        fetch_page(self.client, &spec, "rrsets").await
    }

    /// Every RRSet of the zone (optionally of `kinds`), lazily.
    ///
    /// # Errors
    /// An invalid filter (nothing sent).
    pub fn stream(
        &self,
        params: &ListParams,
        kinds: &[&str],
    ) -> Result<BoxStream<'static, Result<RrSet>>> {
        let mut spec = params.apply(RequestSpec::get(self.base()))?;
        for kind in kinds {
            spec = spec.with_query("type", *kind);
        }
        Ok(stream_all(self.client, spec, "rrsets"))
    }

    /// Gets the RRSet of `name` and `kind`.
    ///
    /// # Errors
    /// `not_found`, or the API's error.
    pub async fn get(&self, name: &str, kind: &str) -> Result<RrSet> {
        send_key(
            self.client,
            &RequestSpec::get(self.path(name, kind)),
            "rrset",
        )
        .await
    }

    /// Creates an RRSet.
    ///
    /// # Errors
    /// Invalid records (nothing sent), or the API's error (`uniqueness_error` when it exists).
    pub async fn create(
        &self,
        name: &str,
        kind: &str,
        ttl: Option<i64>,
        records: &[Record],
    ) -> Result<RrSet> {
        check_records(records)?;
        let mut body = json!({ "name": name, "type": kind, "records": records });
        if let Some(ttl) = ttl {
            check_ttl(ttl)?;
            body["ttl"] = json!(ttl);
        }
        send_key(self.client, &RequestSpec::post(self.base(), body), "rrset").await
    }

    /// Replaces an RRSet's labels.
    ///
    /// # Errors
    /// Invalid labels (nothing sent) or the API's error.
    pub async fn update_labels(&self, name: &str, kind: &str, labels: &Labels) -> Result<RrSet> {
        labels.validate()?;
        let spec = RequestSpec::put(self.path(name, kind), json!({ "labels": labels }));
        send_key(self.client, &spec, "rrset").await
    }

    /// Deletes an RRSet.
    ///
    /// # Errors
    /// The API's error.
    pub async fn delete(&self, name: &str, kind: &str) -> Result<Action> {
        send_key(
            self.client,
            &RequestSpec::delete(self.path(name, kind)),
            "action",
        )
        .await
    }

    /// Turns change protection on or off.
    ///
    /// # Errors
    /// The API's error.
    pub async fn change_protection(&self, name: &str, kind: &str, change: bool) -> Result<Action> {
        self.action(name, kind, "change_protection", json!({ "change": change }))
            .await
    }

    /// Sets the TTL (`None`: the zone's).
    ///
    /// # Errors
    /// A TTL out of range (nothing sent), or the API's error.
    pub async fn change_ttl(&self, name: &str, kind: &str, ttl: Option<i64>) -> Result<Action> {
        if let Some(ttl) = ttl {
            check_ttl(ttl)?;
        }
        self.action(name, kind, "change_ttl", json!({ "ttl": ttl }))
            .await
    }

    /// Replaces all records.
    ///
    /// # Errors
    /// Invalid records (nothing sent), or the API's error.
    pub async fn set_records(&self, name: &str, kind: &str, records: &[Record]) -> Result<Action> {
        check_records(records)?;
        self.action(name, kind, "set_records", json!({ "records": records }))
            .await
    }

    /// Adds records (creating the RRSet when needed).
    ///
    /// # Errors
    /// Invalid records (nothing sent), or the API's error.
    pub async fn add_records(&self, name: &str, kind: &str, records: &[Record]) -> Result<Action> {
        check_records(records)?;
        self.action(name, kind, "add_records", json!({ "records": records }))
            .await
    }

    /// Removes records (the RRSet goes when it is left empty).
    ///
    /// # Errors
    /// Invalid records (nothing sent), or the API's error.
    pub async fn remove_records(
        &self,
        name: &str,
        kind: &str,
        records: &[Record],
    ) -> Result<Action> {
        check_records(records)?;
        let values: Vec<Value> = records
            .iter()
            .map(|r| json!({ "value": r.value }))
            .collect();
        self.action(name, kind, "remove_records", json!({ "records": values }))
            .await
    }

    /// Updates the comments of records, matched by value.
    ///
    /// # Errors
    /// Invalid records (nothing sent), or the API's error.
    pub async fn update_records(
        &self,
        name: &str,
        kind: &str,
        records: &[Record],
    ) -> Result<Action> {
        check_records(records)?;
        let values: Vec<Value> = records
            .iter()
            .map(|r| json!({ "value": r.value, "comment": r.comment }))
            .collect();
        self.action(name, kind, "update_records", json!({ "records": values }))
            .await
    }
}
