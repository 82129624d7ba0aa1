//! DNS request builders and [`DnsApi`].

use http::{Method, StatusCode};

use super::model::{DnsBatch, DnsBatchResult, DnsFilter, DnsRecord, DnsRecordPatch, NewDnsRecord};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::pagination::Page;
use crate::transport::request::{RequestSpec, check_id};

fn base(zone_id: &str) -> Result<String> {
    check_id("zone_id", zone_id)?;
    Ok(format!("/zones/{zone_id}/dns_records"))
}

/// `POST /zones/{zone}/dns_records` (validated).
pub fn create_request(zone_id: &str, record: &NewDnsRecord) -> Result<RequestSpec> {
    record.validate()?;
    RequestSpec::new(Method::POST, base(zone_id)?)
        .with_json(record)
        .map_err(Error::from)
}

/// `GET /zones/{zone}/dns_records?...`.
pub fn list_request(zone_id: &str, filter: &DnsFilter) -> Result<RequestSpec> {
    let mut spec = RequestSpec::get(base(zone_id)?);
    spec.query = filter.query()?;
    Ok(spec)
}

/// `GET /zones/{zone}/dns_records/{id}`.
pub fn get_request(zone_id: &str, record_id: &str) -> Result<RequestSpec> {
    check_id("record_id", record_id)?;
    Ok(RequestSpec::get(format!("{}/{record_id}", base(zone_id)?)))
}

/// `PATCH /zones/{zone}/dns_records/{id}` (validated).
pub fn patch_request(
    zone_id: &str,
    record_id: &str,
    patch: &DnsRecordPatch,
) -> Result<RequestSpec> {
    check_id("record_id", record_id)?;
    patch.validate()?;
    RequestSpec::new(Method::PATCH, format!("{}/{record_id}", base(zone_id)?))
        .with_json(patch)
        .map_err(Error::from)
}

/// `DELETE /zones/{zone}/dns_records/{id}`.
pub fn delete_request(zone_id: &str, record_id: &str) -> Result<RequestSpec> {
    check_id("record_id", record_id)?;
    Ok(RequestSpec::new(
        Method::DELETE,
        format!("{}/{record_id}", base(zone_id)?),
    ))
}

/// `POST /zones/{zone}/dns_records/batch` (validated).
pub fn batch_request(zone_id: &str, batch: &DnsBatch) -> Result<RequestSpec> {
    batch.validate()?;
    RequestSpec::new(Method::POST, format!("{}/batch", base(zone_id)?))
        .with_json(batch)
        .map_err(Error::from)
}

/// `GET /zones/{zone}/dns_records/export` (the answer is a BIND zone file, not JSON).
pub fn export_request(zone_id: &str) -> Result<RequestSpec> {
    Ok(RequestSpec::get(format!("{}/export", base(zone_id)?)))
}

/// Whether a failed `POST` may have been applied by the server.
fn maybe_applied(e: &Error) -> bool {
    match e {
        Error::Transport(t) => t.may_have_reached_server(),
        Error::Api(api) => {
            api.status.is_server_error() || api.status == StatusCode::REQUEST_TIMEOUT
        }
        _ => false,
    }
}

/// DNS calls for one zone; from [`Client::dns`].
#[derive(Debug, Clone)]
pub struct DnsApi<'a> {
    client: &'a Client,
    zone_id: String,
}

impl<'a> DnsApi<'a> {
    pub(crate) fn new(client: &'a Client, zone_id: &str) -> Self {
        Self {
            client,
            zone_id: zone_id.to_owned(),
        }
    }

    /// Create a record. A `POST` is never blindly replayed: when the outcome is ambiguous (dropped
    /// connection, timeout, 5xx) or the API says an identical record exists (81057), the client
    /// looks the record up by type + name + content and returns it if it is there; only when it is
    /// not does it post again (at most 3 posts in all).
    ///
    /// ```no_run
    /// # async fn run(client: cloudflare_client::Client) -> cloudflare_client::Result<()> {
    /// use cloudflare_client::resources::dns::{NewDnsRecord, RecordType};
    /// let rec = client
    ///     .dns("023e105f4ecef8ad9ca31a8372d0c353")
    ///     .create(&NewDnsRecord::new(RecordType::A, "www.example.com", "198.51.100.4").proxied(true))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, record: &NewDnsRecord) -> Result<DnsRecord> {
        let spec = create_request(&self.zone_id, record)?;
        let mut posts = 0;
        loop {
            posts += 1;
            match self.client.send::<DnsRecord>(&spec).await {
                Ok(r) => return Ok(r.result),
                Err(e) if e.is_already_exists() => {
                    return match self.find(record).await? {
                        Some(found) => Ok(found),
                        None => Err(e),
                    };
                }
                Err(e) if maybe_applied(&e) => {
                    tracing::info!(error = %e, "DNS create outcome unknown; reconciling by type+name+content");
                    if let Some(found) = self.find(record).await? {
                        return Ok(found);
                    }
                    if posts >= 3 {
                        return Err(e);
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The record with the same type, name and content as `record`, if any.
    pub async fn find(&self, record: &NewDnsRecord) -> Result<Option<DnsRecord>> {
        let filter = DnsFilter {
            record_type: Some(record.record_type.clone()),
            name: Some(record.name.clone()),
            content: Some(record.content.clone()),
            ..DnsFilter::default()
        };
        let page = self.list(&filter).await?;
        Ok(page.items.into_iter().find(|r| record.same_identity(r)))
    }

    /// One page of records.
    pub async fn list(&self, filter: &DnsFilter) -> Result<Page<DnsRecord>> {
        let r = self
            .client
            .send::<Vec<DnsRecord>>(&list_request(&self.zone_id, filter)?)
            .await?;
        Ok(Page {
            items: r.result,
            info: r.info.unwrap_or_default(),
        })
    }

    /// Every record matching `filter`, walking the pages (stops on the last page, without an
    /// extra empty request).
    pub async fn list_all(&self, filter: &DnsFilter) -> Result<Vec<DnsRecord>> {
        let mut filter = filter.clone();
        let mut page = filter.page.unwrap_or(1).max(1);
        let mut out = Vec::new();
        loop {
            filter.page = Some(page);
            let p = self.list(&filter).await?;
            let more = p.info.has_next_page() && !p.items.is_empty();
            out.extend(p.items);
            if !more {
                return Ok(out);
            }
            page += 1;
        }
    }

    /// Every record matching `filter` as a lazy stream: a page is fetched only when the previous
    /// one is used up, and the walk stops on the last page.
    ///
    /// ```no_run
    /// # async fn run(client: cloudflare_client::Client) -> cloudflare_client::Result<()> {
    /// use futures::TryStreamExt;
    /// use cloudflare_client::resources::dns::DnsFilter;
    /// let dns = client.dns("023e105f4ecef8ad9ca31a8372d0c353");
    /// let mut records = std::pin::pin!(dns.stream(&DnsFilter::default()));
    /// while let Some(record) = records.try_next().await? {
    ///     println!("{} {}", record.name, record.content);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn stream(
        &self,
        filter: &DnsFilter,
    ) -> impl futures::Stream<Item = Result<DnsRecord>> + '_ {
        let first = filter.page.unwrap_or(1).max(1);
        let state = (
            filter.clone(),
            Some(first),
            std::collections::VecDeque::<DnsRecord>::new(),
        );
        futures::stream::try_unfold(
            state,
            move |(mut filter, mut next, mut buffered)| async move {
                loop {
                    if let Some(record) = buffered.pop_front() {
                        return Ok(Some((record, (filter, next, buffered))));
                    }
                    let Some(page) = next else { return Ok(None) };
                    filter.page = Some(page);
                    let p = self.list(&filter).await?;
                    next = (p.info.has_next_page() && !p.items.is_empty()).then_some(page + 1);
                    buffered.extend(p.items);
                    if buffered.is_empty() {
                        return Ok(None);
                    }
                }
            },
        )
    }

    /// Get one record.
    pub async fn get(&self, record_id: &str) -> Result<DnsRecord> {
        Ok(self
            .client
            .send(&get_request(&self.zone_id, record_id)?)
            .await?
            .result)
    }

    /// Change some fields of a record.
    pub async fn patch(&self, record_id: &str, patch: &DnsRecordPatch) -> Result<DnsRecord> {
        Ok(self
            .client
            .send(&patch_request(&self.zone_id, record_id, patch)?)
            .await?
            .result)
    }

    /// Delete a record; returns its id. Deleting a record that is already gone is an error
    /// (`is_not_found()`), so callers can tell.
    pub async fn delete(&self, record_id: &str) -> Result<String> {
        #[derive(serde::Deserialize)]
        struct Deleted {
            id: String,
        }
        Ok(self
            .client
            .send::<Deleted>(&delete_request(&self.zone_id, record_id)?)
            .await?
            .result
            .id)
    }

    /// The zone's records as a BIND zone file (`dns_records/export`), e.g. for a backup before
    /// a change. The answer is plain text; errors are decoded like every other call.
    ///
    /// ```no_run
    /// # async fn run(client: cloudflare_client::Client) -> cloudflare_client::Result<()> {
    /// let zone_file = client.dns("023e105f4ecef8ad9ca31a8372d0c353").export().await?;
    /// assert!(zone_file.contains("SOA") || zone_file.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn export(&self) -> Result<String> {
        let answer = self
            .client
            .send_raw(&export_request(&self.zone_id)?)
            .await?;
        String::from_utf8(answer.body.to_vec()).map_err(|_| Error::Decode {
            path: "dns_records/export".into(),
            source: serde::de::Error::custom("the zone file is not UTF-8"),
        })
    }

    /// Apply a batch atomically (one request against the budget). Not replayed after an
    /// ambiguous failure: the error is returned and the caller decides.
    pub async fn batch(&self, batch: &DnsBatch) -> Result<DnsBatchResult> {
        Ok(self
            .client
            .send(&batch_request(&self.zone_id, batch)?)
            .await?
            .result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::dns::{BatchPatch, RecordType, Ttl};

    #[test]
    fn create_body() {
        let rec = NewDnsRecord::new(RecordType::A, "www.example.com", "198.51.100.4")
            .proxied(true)
            .tag("env:prod");
        let r = create_request("z1", &rec).unwrap();
        assert_eq!(r.method, Method::POST);
        assert_eq!(r.path, "/zones/z1/dns_records");
        assert_eq!(
            r.body.unwrap(),
            serde_json::json!({"type":"A","name":"www.example.com","content":"198.51.100.4","ttl":1,"proxied":true,"tags":["env:prod"]})
        );
    }

    #[test]
    fn invalid_records_name_the_field() {
        let e = create_request(
            "z1",
            &NewDnsRecord::new(RecordType::A, "www.example.com", "not-an-ip"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("`content`"), "{e}");
        let e =
            create_request("z1", &NewDnsRecord::new(RecordType::A, "a b", "1.2.3.4")).unwrap_err();
        assert!(e.to_string().contains("`name`"), "{e}");
        let e = create_request(
            "z1",
            &NewDnsRecord::new(RecordType::Txt, "a.com", "v").proxied(true),
        )
        .unwrap_err();
        assert!(e.to_string().contains("`proxied`"), "{e}");
        let e = create_request(
            "z1",
            &NewDnsRecord::new(RecordType::A, "a.com", "1.2.3.4").ttl(Ttl::Seconds(5)),
        )
        .unwrap_err();
        assert!(e.to_string().contains("`ttl`"), "{e}");
    }

    #[test]
    fn list_query() {
        let f = DnsFilter {
            record_type: Some(RecordType::Txt),
            name: Some("example.com".into()),
            tags: vec!["owner:a".into()],
            match_any: true,
            ..Default::default()
        };
        let r = list_request("z1", &f).unwrap();
        let q: Vec<String> = r.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(
            q,
            [
                "type=TXT",
                "name=example.com",
                "tag=owner:a",
                "match=any",
                "page=1",
                "per_page=100"
            ]
        );
    }

    #[test]
    fn batch_body_and_positions() {
        let b = DnsBatch {
            deletes: vec!["r1".into()],
            patches: vec![BatchPatch {
                id: "r2".into(),
                patch: DnsRecordPatch {
                    proxied: Some(true),
                    ..Default::default()
                },
            }],
            posts: vec![NewDnsRecord::new(
                RecordType::A,
                "a.example.com",
                "192.0.2.1",
            )],
        };
        let r = batch_request("z1", &b).unwrap();
        assert_eq!(r.path, "/zones/z1/dns_records/batch");
        let body = r.body.unwrap();
        assert_eq!(body["deletes"], serde_json::json!([{"id": "r1"}]));
        assert_eq!(
            body["patches"],
            serde_json::json!([{"id": "r2", "proxied": true}])
        );
        let mut bad = b.clone();
        bad.posts
            .push(NewDnsRecord::new(RecordType::A, "x.example.com", "nope"));
        let e = batch_request("z1", &bad).unwrap_err();
        assert!(e.to_string().contains("posts[1].content"), "{e}");
    }

    #[test]
    fn patch_needs_something() {
        assert!(patch_request("z1", "r1", &DnsRecordPatch::default()).is_err());
        let p = DnsRecordPatch {
            comment: Some("x".into()),
            ..Default::default()
        };
        assert_eq!(patch_request("z1", "r1", &p).unwrap().method, Method::PATCH);
    }
}
