//! Account custom lists (`/accounts/{account_id}/rules/lists`): named sets of IPs, hostnames,
//! ASNs or redirects that rule expressions use as `$name` (`ip.src in $admin_ips`), so the
//! office and admin addresses live in one place instead of inside every rule.
//!
//! Item writes are asynchronous: `POST`/`PUT`/`DELETE` on the items answer an `operation_id`,
//! and [`ListsApi::wait_for`] polls `rules/lists/bulk_operations/{id}` until it completes.

use std::time::Duration;

use http::Method;
use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::enums::api_enum;
use crate::error::{Error, Result};
use crate::pagination::Page;
use crate::transport::request::{RequestSpec, check_id};

/// How long [`ListsApi::wait_for`] waits for an operation.
pub const OPERATION_DEADLINE: Duration = Duration::from_secs(300);

api_enum! {
    /// What a list holds.
    pub enum ListKind {
        /// IPv4 addresses and CIDRs, IPv6 CIDRs up to /64.
        Ip => "ip",
        /// Redirects (Bulk Redirects).
        Redirect => "redirect",
        /// Hostnames.
        Hostname => "hostname",
        /// Autonomous system numbers.
        Asn => "asn",
    }
}

api_enum! {
    /// The state of an asynchronous list operation.
    pub enum OperationStatus {
        /// Queued.
        Pending => "pending",
        /// In progress.
        Running => "running",
        /// Done.
        Completed => "completed",
        /// Failed (see `error`).
        Failed => "failed",
    }
}

/// A list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct List {
    /// List id (32 hex).
    pub id: String,
    /// Name, referenced in expressions as `$name`.
    pub name: String,
    /// Kind.
    pub kind: ListKind,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Number of items.
    #[serde(default)]
    pub num_items: Option<u64>,
    /// Number of rules referencing the list.
    #[serde(default)]
    pub num_referencing_filters: Option<u64>,
    /// Creation time.
    #[serde(default)]
    pub created_on: Option<String>,
    /// Last modification.
    #[serde(default)]
    pub modified_on: Option<String>,
}

/// A new list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewList {
    /// Name: 1 to 50 ASCII letters, digits or `_`.
    pub name: String,
    /// Kind.
    pub kind: ListKind,
    /// Description (at most 500 characters, one line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl NewList {
    /// A new IP list.
    pub fn ip(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            kind: ListKind::Ip,
            description: None,
        }
    }

    /// Set the description.
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.description = Some(d.into());
        self
    }
}

/// One item of a list, as sent. Only IP items are typed; for other kinds use
/// [`Client::execute`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ListItem {
    /// The address or CIDR.
    pub ip: String,
    /// Comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl ListItem {
    /// An IP item; the address or CIDR is checked (IPv6 CIDRs at most /64, as the API
    /// requires) and written in canonical form, so the plan compares it with what the API
    /// returns.
    pub fn ip(value: &str) -> Result<Self> {
        Ok(Self {
            ip: canonical_ip(value)?,
            comment: None,
        })
    }

    /// Set the comment.
    pub fn comment(mut self, c: impl Into<String>) -> Self {
        self.comment = Some(c.into());
        self
    }
}

/// The canonical text of an IP list item: an address, or a network whose host bits are zero.
fn canonical_ip(value: &str) -> Result<String> {
    let value = value.trim();
    if let Ok(addr) = value.parse::<std::net::IpAddr>() {
        return Ok(match addr {
            std::net::IpAddr::V4(a) => a.to_string(),
            // A single IPv6 address is not accepted: IPv6 items are CIDRs of /64 or shorter.
            std::net::IpAddr::V6(a) => {
                return Err(Error::invalid(
                    "ip",
                    format!("{a}: IPv6 items must be CIDRs of /64 or shorter"),
                ));
            }
        });
    }
    let net: ipnet::IpNet = value
        .parse()
        .map_err(|_| Error::invalid("ip", format!("{value:?} is not an IP address or CIDR")))?;
    if net.trunc() != net {
        return Err(Error::invalid(
            "ip",
            format!("{value}: host bits are set (did you mean {}?)", net.trunc()),
        ));
    }
    if let ipnet::IpNet::V6(v6) = net
        && v6.prefix_len() > 64
    {
        return Err(Error::invalid(
            "ip",
            format!("{value}: IPv6 items must be CIDRs of /64 or shorter"),
        ));
    }
    Ok(net.to_string())
}

/// An item as returned (with its id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StoredListItem {
    /// Item id.
    pub id: String,
    /// The address or CIDR (IP lists).
    #[serde(default)]
    pub ip: Option<String>,
    /// Comment.
    #[serde(default)]
    pub comment: Option<String>,
    /// Creation time.
    #[serde(default)]
    pub created_on: Option<String>,
}

/// An asynchronous operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation {
    /// Operation id.
    pub id: String,
    /// Status.
    pub status: OperationStatus,
    /// Why it failed.
    #[serde(default)]
    pub error: Option<String>,
    /// When it completed.
    #[serde(default)]
    pub completed: Option<String>,
}

#[derive(Debug, Deserialize)]
struct OperationRef {
    operation_id: String,
}

/// Check a list name: 1 to 50 ASCII letters, digits or `_` (the spec's pattern).
pub fn check_list_name(name: &str) -> Result<()> {
    if name.is_empty()
        || name.len() > 50
        || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(Error::invalid(
            "name",
            "1 to 50 ASCII letters, digits or '_'",
        ));
    }
    Ok(())
}

fn base(account_id: &str) -> Result<String> {
    check_id("account_id", account_id)?;
    Ok(format!("/accounts/{account_id}/rules/lists"))
}

fn check_items(items: &[ListItem]) -> Result<()> {
    for (i, item) in items.iter().enumerate() {
        let canonical = canonical_ip(&item.ip).map_err(|e| match e {
            Error::Invalid { reason, .. } => Error::invalid(format!("items[{i}].ip"), reason),
            other => other,
        })?;
        if canonical != item.ip {
            return Err(Error::invalid(
                format!("items[{i}].ip"),
                format!("write it as {canonical} (build items with ListItem::ip)"),
            ));
        }
        if let Some(c) = &item.comment
            && (c.chars().count() > 500 || c.chars().any(char::is_control))
        {
            return Err(Error::invalid(
                format!("items[{i}].comment"),
                "one line of at most 500 characters",
            ));
        }
    }
    Ok(())
}

/// `GET /accounts/{account_id}/rules/lists`.
pub fn list_request(account_id: &str) -> Result<RequestSpec> {
    Ok(RequestSpec::get(base(account_id)?))
}

/// `POST /accounts/{account_id}/rules/lists`.
pub fn create_request(account_id: &str, new: &NewList) -> Result<RequestSpec> {
    check_list_name(&new.name)?;
    if let Some(d) = &new.description
        && (d.chars().count() > 500 || d.chars().any(char::is_control))
    {
        return Err(Error::invalid(
            "description",
            "one line of at most 500 characters",
        ));
    }
    RequestSpec::new(Method::POST, base(account_id)?)
        .with_json(new)
        .map_err(Error::from)
}

/// `DELETE /accounts/{account_id}/rules/lists/{list_id}`.
pub fn delete_request(account_id: &str, list_id: &str) -> Result<RequestSpec> {
    check_id("list_id", list_id)?;
    Ok(RequestSpec::new(
        Method::DELETE,
        format!("{}/{list_id}", base(account_id)?),
    ))
}

/// `GET /accounts/{account_id}/rules/lists/{list_id}/items?cursor=&per_page=`.
pub fn items_request(account_id: &str, list_id: &str, cursor: Option<&str>) -> Result<RequestSpec> {
    check_id("list_id", list_id)?;
    let mut spec = RequestSpec::get(format!("{}/{list_id}/items", base(account_id)?))
        .with_query("per_page", "500");
    if let Some(c) = cursor {
        spec = spec.with_query("cursor", c);
    }
    Ok(spec)
}

/// `PUT /accounts/{account_id}/rules/lists/{list_id}/items`: replace every item.
pub fn replace_items_request(
    account_id: &str,
    list_id: &str,
    items: &[ListItem],
) -> Result<RequestSpec> {
    check_id("list_id", list_id)?;
    check_items(items)?;
    RequestSpec::new(
        Method::PUT,
        format!("{}/{list_id}/items", base(account_id)?),
    )
    .with_json(items)
    .map_err(Error::from)
}

/// `POST /accounts/{account_id}/rules/lists/{list_id}/items`: append items (an item already
/// present is updated, so a replay adds nothing twice).
pub fn append_items_request(
    account_id: &str,
    list_id: &str,
    items: &[ListItem],
) -> Result<RequestSpec> {
    check_id("list_id", list_id)?;
    if items.is_empty() {
        return Err(Error::invalid("items", "name at least one item"));
    }
    check_items(items)?;
    RequestSpec::new(
        Method::POST,
        format!("{}/{list_id}/items", base(account_id)?),
    )
    .with_json(items)
    .map_err(Error::from)
}

/// `DELETE /accounts/{account_id}/rules/lists/{list_id}/items` with `{"items":[{"id":..}]}`.
pub fn delete_items_request(
    account_id: &str,
    list_id: &str,
    item_ids: &[String],
) -> Result<RequestSpec> {
    check_id("list_id", list_id)?;
    if item_ids.is_empty() {
        return Err(Error::invalid("items", "name at least one item id"));
    }
    for (i, id) in item_ids.iter().enumerate() {
        check_id(&format!("items[{i}].id"), id)?;
    }
    let items: Vec<serde_json::Value> = item_ids
        .iter()
        .map(|id| serde_json::json!({ "id": id }))
        .collect();
    RequestSpec::new(
        Method::DELETE,
        format!("{}/{list_id}/items", base(account_id)?),
    )
    .with_json(&serde_json::json!({ "items": items }))
    .map_err(Error::from)
}

/// `GET /accounts/{account_id}/rules/lists/bulk_operations/{operation_id}`.
pub fn operation_request(account_id: &str, operation_id: &str) -> Result<RequestSpec> {
    check_id("operation_id", operation_id)?;
    Ok(RequestSpec::get(format!(
        "{}/bulk_operations/{operation_id}",
        base(account_id)?
    )))
}

/// List calls for one account; from [`Client::lists`].
#[derive(Debug, Clone)]
pub struct ListsApi<'a> {
    client: &'a Client,
    account_id: String,
}

impl<'a> ListsApi<'a> {
    pub(crate) fn new(client: &'a Client, account_id: &str) -> Self {
        Self {
            client,
            account_id: account_id.to_owned(),
        }
    }

    /// Every list of the account.
    pub async fn list(&self) -> Result<Vec<List>> {
        Ok(self
            .client
            .send(&list_request(&self.account_id)?)
            .await?
            .result)
    }

    /// The list named `name`, if any (names are unique per account).
    pub async fn get_by_name(&self, name: &str) -> Result<Option<List>> {
        Ok(self.list().await?.into_iter().find(|l| l.name == name))
    }

    /// Create a list. Names are unique per account, so a create whose answer was lost is
    /// reconciled by name: the existing list is returned, never a second one.
    ///
    /// ```no_run
    /// # async fn run(client: cloudflare_client::Client) -> cloudflare_client::Result<()> {
    /// use cloudflare_client::resources::lists::{ListItem, NewList};
    /// let lists = client.lists("01a7362d577a6c3019a474fd6f485823");
    /// let admins = lists.create(&NewList::ip("admin_ips").description("office and VPN")).await?;
    /// let op = lists
    ///     .replace_items(&admins.id, &[ListItem::ip("198.51.100.0/24")?.comment("office")])
    ///     .await?;
    /// lists.wait_for(&op).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, new: &NewList) -> Result<List> {
        let spec = create_request(&self.account_id, new)?;
        match self.client.send::<List>(&spec).await {
            Ok(r) => Ok(r.result),
            Err(e) => match self.get_by_name(&new.name).await {
                Ok(Some(found)) if found.kind == new.kind => {
                    tracing::info!(list = %new.name, "create reconciled with the existing list");
                    Ok(found)
                }
                _ => Err(e),
            },
        }
    }

    /// Delete a list (refused by the API while a rule still references it).
    pub async fn delete(&self, list_id: &str) -> Result<()> {
        let spec = delete_request(&self.account_id, list_id)?;
        self.client.send::<serde_json::Value>(&spec).await?;
        Ok(())
    }

    /// One page of a list's items; continue with `page.info.next_cursor()`.
    pub async fn items_page(
        &self,
        list_id: &str,
        cursor: Option<&str>,
    ) -> Result<Page<StoredListItem>> {
        let spec = items_request(&self.account_id, list_id, cursor)?;
        let r = self.client.send::<Vec<StoredListItem>>(&spec).await?;
        Ok(Page {
            items: r.result,
            info: r.info.unwrap_or_default(),
        })
    }

    /// Every item of a list, following cursors.
    pub async fn items(&self, list_id: &str) -> Result<Vec<StoredListItem>> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self.items_page(list_id, cursor.as_deref()).await?;
            let next = page.info.next_cursor().map(str::to_owned);
            let empty = page.items.is_empty();
            out.extend(page.items);
            match next {
                Some(c) if !empty && cursor.as_deref() != Some(c.as_str()) => cursor = Some(c),
                _ => return Ok(out),
            }
        }
    }

    /// Send an item write; returns the operation id it answers.
    async fn start(&self, spec: &RequestSpec) -> Result<String> {
        let answer = self.client.send::<OperationRef>(spec).await?;
        Ok(answer.result.operation_id)
    }

    /// Replace every item (idempotent `PUT`); returns the operation id for [`ListsApi::wait_for`].
    pub async fn replace_items(&self, list_id: &str, items: &[ListItem]) -> Result<String> {
        self.start(&replace_items_request(&self.account_id, list_id, items)?)
            .await
    }

    /// Append items; returns the operation id.
    pub async fn append_items(&self, list_id: &str, items: &[ListItem]) -> Result<String> {
        self.start(&append_items_request(&self.account_id, list_id, items)?)
            .await
    }

    /// Delete items by id; returns the operation id.
    pub async fn delete_items(&self, list_id: &str, item_ids: &[String]) -> Result<String> {
        self.start(&delete_items_request(&self.account_id, list_id, item_ids)?)
            .await
    }

    /// The state of an operation.
    pub async fn operation(&self, operation_id: &str) -> Result<Operation> {
        let spec = operation_request(&self.account_id, operation_id)?;
        Ok(self.client.send(&spec).await?.result)
    }

    /// Poll an operation (every 500 ms, then backing off to 5 s) until it completes; a failed
    /// operation, or one still not done after [`OPERATION_DEADLINE`], is
    /// [`Error::OperationFailed`] with the reason.
    pub async fn wait_for(&self, operation_id: &str) -> Result<Operation> {
        let deadline = tokio::time::Instant::now() + OPERATION_DEADLINE;
        let mut delay = Duration::from_millis(500);
        loop {
            let op = self.operation(operation_id).await?;
            match op.status {
                OperationStatus::Completed => return Ok(op),
                OperationStatus::Failed => {
                    return Err(Error::OperationFailed {
                        operation_id: op.id,
                        message: op.error.unwrap_or_default(),
                    });
                }
                _ if tokio::time::Instant::now() + delay > deadline => {
                    return Err(Error::OperationFailed {
                        operation_id: op.id,
                        message: format!(
                            "still {} after {} s",
                            op.status,
                            OPERATION_DEADLINE.as_secs()
                        ),
                    });
                }
                _ => {
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_items_and_bodies() {
        assert!(check_list_name("admin_ips").is_ok());
        for bad in ["", "admin-ips", "a b", &"a".repeat(51)] {
            assert!(check_list_name(bad).is_err(), "{bad}");
        }
        assert_eq!(
            ListItem::ip("198.51.100.0/24").unwrap().ip,
            "198.51.100.0/24"
        );
        assert_eq!(ListItem::ip(" 192.0.2.7 ").unwrap().ip, "192.0.2.7");
        assert!(ListItem::ip("198.51.100.1/24").is_err());
        assert!(ListItem::ip("2001:db8::/96").is_err());
        assert!(ListItem::ip("2001:db8::1").is_err());
        assert_eq!(ListItem::ip("2001:DB8::/48").unwrap().ip, "2001:db8::/48");
        let raw = ListItem {
            ip: "10.0.0.1/8".into(),
            comment: None,
        };
        let e = replace_items_request("a1", "l1", &[raw]).unwrap_err();
        assert!(e.to_string().contains("items[0].ip"), "{e}");
        let r = delete_items_request("a1", "l1", &["i1".into()]).unwrap();
        assert_eq!(
            r.body.unwrap(),
            serde_json::json!({"items": [{"id": "i1"}]})
        );
        let r = create_request("a1", &NewList::ip("admin_ips")).unwrap();
        assert_eq!(r.path, "/accounts/a1/rules/lists");
        assert_eq!(
            r.body.unwrap(),
            serde_json::json!({"name": "admin_ips", "kind": "ip"})
        );
    }
}
