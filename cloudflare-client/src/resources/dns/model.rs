//! DNS record models and their validation.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::validate::{check_comment, check_content, check_dns_name, check_tag};
use crate::enums::api_enum;
use crate::error::{Error, Result};
use crate::transport::request::check_id;

api_enum! {
    /// DNS record type.
    pub enum RecordType {
        /// IPv4 address.
        A => "A",
        /// IPv6 address.
        Aaaa => "AAAA",
        /// Canonical name.
        Cname => "CNAME",
        /// Mail exchange.
        Mx => "MX",
        /// Text.
        Txt => "TXT",
        /// Name server.
        Ns => "NS",
        /// Certification authority authorisation.
        Caa => "CAA",
        /// Service.
        Srv => "SRV",
        /// HTTPS service binding.
        Https => "HTTPS",
        /// Pointer.
        Ptr => "PTR",
    }
}

/// Record TTL: `1` on the wire means automatic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Ttl {
    /// Automatic (wire value 1; default).
    #[default]
    Auto,
    /// Seconds: 60 to 86400 (30 minimum on Enterprise).
    Seconds(u32),
}

impl Ttl {
    /// Wire value.
    pub fn as_u32(self) -> u32 {
        match self {
            Self::Auto => 1,
            Self::Seconds(s) => s,
        }
    }

    fn check(self) -> Result<()> {
        match self {
            Self::Seconds(s) if !(30..=86400).contains(&s) => Err(Error::invalid(
                "ttl",
                "TTL is 1 (automatic) or 30..=86400 seconds",
            )),
            _ => Ok(()),
        }
    }
}

impl Serialize for Ttl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(self.as_u32())
    }
}

impl<'de> Deserialize<'de> for Ttl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = u32::deserialize(d)?;
        Ok(if n == 1 { Self::Auto } else { Self::Seconds(n) })
    }
}

/// A DNS record as returned by the API. Fields removed over the years (`locked`, `zone_id`,
/// `zone_name`, `auto_added`) are not required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DnsRecord {
    /// Record id.
    pub id: String,
    /// Record type.
    #[serde(rename = "type")]
    pub record_type: RecordType,
    /// Full name (punycode).
    pub name: String,
    /// Content.
    #[serde(default)]
    pub content: String,
    /// Whether the record is proxied through Cloudflare.
    #[serde(default)]
    pub proxied: Option<bool>,
    /// Whether the record can be proxied.
    #[serde(default)]
    pub proxiable: Option<bool>,
    /// TTL.
    #[serde(default)]
    pub ttl: Ttl,
    /// Comment.
    #[serde(default)]
    pub comment: Option<String>,
    /// Tags `name:value`.
    #[serde(default)]
    pub tags: Vec<String>,
    /// MX/SRV priority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u16>,
    /// Creation time.
    #[serde(default)]
    pub created_on: Option<String>,
    /// Last change.
    #[serde(default)]
    pub modified_on: Option<String>,
}

/// A record to create (also the `posts` of a batch and the body of a `PUT`).
///
/// ```
/// use cloudflare_client::resources::dns::{NewDnsRecord, RecordType};
/// let rec = NewDnsRecord::new(RecordType::A, "www.example.com", "198.51.100.4")
///     .proxied(true)
///     .comment("web front")
///     .tag("owner:web");
/// assert!(rec.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewDnsRecord {
    /// Record type.
    #[serde(rename = "type")]
    pub record_type: RecordType,
    /// Name.
    pub name: String,
    /// Content.
    pub content: String,
    /// TTL (default automatic).
    pub ttl: Ttl,
    /// Proxied (default false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxied: Option<bool>,
    /// Comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Tags.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub tags: Vec<String>,
    /// MX/SRV priority.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<u16>,
}

impl NewDnsRecord {
    /// A record with automatic TTL, not proxied.
    pub fn new(
        record_type: RecordType,
        name: impl Into<String>,
        content: impl Into<String>,
    ) -> Self {
        Self {
            record_type,
            name: name.into(),
            content: content.into(),
            ttl: Ttl::Auto,
            proxied: None,
            comment: None,
            tags: Vec::new(),
            priority: None,
        }
    }

    /// Proxy through Cloudflare.
    pub fn proxied(mut self, proxied: bool) -> Self {
        self.proxied = Some(proxied);
        self
    }

    /// TTL.
    pub fn ttl(mut self, ttl: Ttl) -> Self {
        self.ttl = ttl;
        self
    }

    /// Comment.
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// Add a `name:value` tag.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }

    /// MX/SRV priority.
    pub fn priority(mut self, priority: u16) -> Self {
        self.priority = Some(priority);
        self
    }

    /// Check every field; the error names the field.
    pub fn validate(&self) -> Result<()> {
        check_dns_name("name", &self.name)?;
        check_content(&self.record_type, &self.content)?;
        self.ttl.check()?;
        if let Some(c) = &self.comment {
            check_comment(c)?;
        }
        self.tags.iter().try_for_each(|t| check_tag(t))?;
        if self.proxied == Some(true)
            && !matches!(
                self.record_type,
                RecordType::A | RecordType::Aaaa | RecordType::Cname
            )
        {
            return Err(Error::invalid(
                "proxied",
                "only A, AAAA and CNAME records can be proxied",
            ));
        }
        Ok(())
    }

    /// Whether `record` is this record (same type, name and content): the identity used to
    /// reconcile a create that may have happened.
    pub fn same_identity(&self, record: &DnsRecord) -> bool {
        record.record_type == self.record_type
            && record
                .name
                .trim_end_matches('.')
                .eq_ignore_ascii_case(self.name.trim_end_matches('.'))
            && record.content == self.content
    }
}

/// A partial update (`PATCH`): only set fields change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DnsRecordPatch {
    /// New name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New type (needs matching content).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub record_type: Option<RecordType>,
    /// New content.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// New TTL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<Ttl>,
    /// New proxied flag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxied: Option<bool>,
    /// New comment (empty string clears it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// New tags (replace all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
}

impl DnsRecordPatch {
    /// Check the set fields.
    pub fn validate(&self) -> Result<()> {
        if let Some(n) = &self.name {
            check_dns_name("name", n)?;
        }
        if let Some(c) = &self.content {
            check_content(
                self.record_type
                    .as_ref()
                    .unwrap_or(&RecordType::Unknown(String::new())),
                c,
            )?;
        }
        if let Some(t) = self.ttl {
            t.check()?;
        }
        if let Some(c) = &self.comment {
            check_comment(c)?;
        }
        if let Some(tags) = &self.tags {
            tags.iter().try_for_each(|t| check_tag(t))?;
        }
        if *self == Self::default() {
            return Err(Error::invalid("patch", "nothing to change"));
        }
        Ok(())
    }
}

/// Filters and paging for `GET /zones/{id}/dns_records`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DnsFilter {
    /// `type`.
    pub record_type: Option<RecordType>,
    /// `name` (exact).
    pub name: Option<String>,
    /// `name.contains`.
    pub name_contains: Option<String>,
    /// `content` (exact).
    pub content: Option<String>,
    /// `comment.contains`.
    pub comment_contains: Option<String>,
    /// `tag=name:value` (repeatable).
    pub tags: Vec<String>,
    /// `tag.present=name`.
    pub tag_present: Option<String>,
    /// `proxied`.
    pub proxied: Option<bool>,
    /// `match=any` instead of all.
    pub match_any: bool,
    /// Page (1-based).
    pub page: Option<u32>,
    /// Page size (default 100).
    pub per_page: Option<u32>,
}

impl DnsFilter {
    /// The query pairs (checked).
    pub fn query(&self) -> Result<Vec<(String, String)>> {
        let mut q: Vec<(String, String)> = Vec::new();
        let mut push = |k: &str, v: String| q.push((k.to_owned(), v));
        if let Some(t) = &self.record_type {
            push("type", t.as_str().to_owned());
        }
        if let Some(n) = &self.name {
            check_dns_name("name", n)?;
            push("name", n.clone());
        }
        if let Some(n) = &self.name_contains {
            push("name.contains", n.clone());
        }
        if let Some(c) = &self.content {
            push("content", c.clone());
        }
        if let Some(c) = &self.comment_contains {
            push("comment.contains", c.clone());
        }
        for t in &self.tags {
            check_tag(t)?;
            push("tag", t.clone());
        }
        if let Some(t) = &self.tag_present {
            push("tag.present", t.clone());
        }
        if let Some(p) = self.proxied {
            push("proxied", p.to_string());
        }
        if self.match_any {
            push("match", "any".into());
        }
        push("page", self.page.unwrap_or(1).max(1).to_string());
        push(
            "per_page",
            self.per_page.unwrap_or(100).clamp(1, 5000).to_string(),
        );
        Ok(q)
    }
}

/// A patch inside a batch: the record id plus the fields to change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchPatch {
    /// Record id.
    pub id: String,
    /// Changes.
    #[serde(flatten)]
    pub patch: DnsRecordPatch,
}

/// `POST /zones/{id}/dns_records/batch`: deletes, then patches, then puts, then posts, atomically.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DnsBatch {
    /// Records to delete (`{id}`).
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "ids")]
    pub deletes: Vec<String>,
    /// Records to patch.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub patches: Vec<BatchPatch>,
    /// Records to create.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub posts: Vec<NewDnsRecord>,
}

fn ids<S: Serializer>(ids: &[String], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(ids.len()))?;
    for id in ids {
        seq.serialize_element(&serde_json::json!({ "id": id }))?;
    }
    seq.end()
}

impl DnsBatch {
    /// Check every part; errors name the position, e.g. `posts[2].content`.
    pub fn validate(&self) -> Result<()> {
        if self.deletes.is_empty() && self.patches.is_empty() && self.posts.is_empty() {
            return Err(Error::invalid("batch", "nothing to do"));
        }
        let at = |part: &str, i: usize, e: Error| match e {
            Error::Invalid { field, reason } => Error::Invalid {
                field: format!("{part}[{i}].{field}"),
                reason,
            },
            other => other,
        };
        for (i, id) in self.deletes.iter().enumerate() {
            check_id("id", id).map_err(|e| at("deletes", i, e))?;
        }
        for (i, p) in self.patches.iter().enumerate() {
            check_id("id", &p.id).map_err(|e| at("patches", i, e))?;
            p.patch.validate().map_err(|e| at("patches", i, e))?;
        }
        for (i, p) in self.posts.iter().enumerate() {
            p.validate().map_err(|e| at("posts", i, e))?;
        }
        Ok(())
    }
}

/// Result of a batch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DnsBatchResult {
    /// Deleted records.
    #[serde(default)]
    pub deletes: Vec<DnsRecord>,
    /// Patched records.
    #[serde(default)]
    pub patches: Vec<DnsRecord>,
    /// Replaced records.
    #[serde(default)]
    pub puts: Vec<DnsRecord>,
    /// Created records.
    #[serde(default)]
    pub posts: Vec<DnsRecord>,
}
