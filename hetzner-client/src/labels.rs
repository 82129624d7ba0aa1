//! Hetzner labels and label selectors, validated before they are sent.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Longest label name (the part after an optional prefix) and longest value.
pub const MAX_NAME_LEN: usize = 63;
/// Longest label key prefix (a DNS subdomain).
pub const MAX_PREFIX_LEN: usize = 253;
/// Prefix reserved by Hetzner.
pub const RESERVED_PREFIX: &str = "hetzner.cloud/";

/// A validated set of labels.
///
/// Keys and values follow Hetzner's rules (alphanumeric at both ends, `-_.` inside, 63 chars,
/// optional DNS-subdomain prefix); the reserved `hetzner.cloud/` prefix is refused; and values
/// that look like personal or customer data (email addresses, UUIDs, Stripe ids) are refused,
/// because names and labels are the first thing anyone with read access to the project sees.
///
/// ```
/// use hetzner_client::Labels;
/// let labels = Labels::new().with("managed-by", "fleet")?.with("region", "fsn1")?;
/// assert_eq!(labels.get("region"), Some("fsn1"));
/// let err = Labels::new().with("customer", "3f2b8e4c-9a1d-4c2e-8f1a-2b3c4d5e6f70").unwrap_err();
/// assert!(err.to_string().contains("labels.customer"));
/// # Ok::<(), hetzner_client::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Labels(BTreeMap<String, String>);

impl Labels {
    /// No labels.
    pub fn new() -> Self {
        Self::default()
    }

    /// Validates and inserts one label.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming `labels` (bad key) or `labels.<key>` (bad value).
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) -> Result<()> {
        let (key, value) = (key.into(), value.into());
        validate_key(&key)?;
        refuse_personal_data(&value).map_err(|e| e.within(&format!("labels.{key}")))?;
        validate_value(&value).map_err(|e| e.within(&format!("labels.{key}")))?;
        self.0.insert(key, value);
        Ok(())
    }

    /// Builder form of [`Labels::insert`].
    ///
    /// # Errors
    /// As [`Labels::insert`].
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Result<Self> {
        self.insert(key, value)?;
        Ok(self)
    }

    /// Validates every entry of a map.
    ///
    /// # Errors
    /// The first invalid entry.
    pub fn from_map<K: Into<String>, V: Into<String>>(
        map: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self> {
        let mut labels = Self::new();
        for (k, v) in map {
            labels.insert(k, v)?;
        }
        Ok(labels)
    }

    /// Re-checks labels (for example ones decoded from a response before sending them back).
    ///
    /// # Errors
    /// The first invalid entry.
    pub fn validate(&self) -> Result<()> {
        for (k, v) in &self.0 {
            validate_key(k)?;
            validate_value(v).map_err(|e| e.within(&format!("labels.{k}")))?;
        }
        Ok(())
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        self.0.remove(key)
    }

    /// Iterates in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A selector matching exactly these labels (`k1=v1,k2=v2`).
    pub fn selector(&self) -> LabelSelector {
        self.iter()
            .fold(LabelSelector::new(), |s, (k, v)| s.eq(k, v))
    }
}

fn is_alnum(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

fn check_name(field: &str, name: &str, max: usize, allow_empty: bool) -> Result<()> {
    if name.is_empty() {
        return if allow_empty {
            Ok(())
        } else {
            Err(Error::invalid(field, "must not be empty"))
        };
    }
    if name.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!("longer than {max} characters"),
        ));
    }
    let first = name.chars().next().is_some_and(is_alnum);
    let last = name.chars().next_back().is_some_and(is_alnum);
    if !first || !last {
        return Err(Error::invalid(
            field,
            "must begin and end with a letter or digit",
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(is_alnum(*c) || matches!(c, '-' | '_' | '.')))
    {
        return Err(Error::invalid(
            field,
            format!("contains {bad:?}; only letters, digits, '-', '_' and '.' are allowed"),
        ));
    }
    Ok(())
}

/// Checks a label key against Hetzner's rules.
///
/// # Errors
/// [`Error::Invalid`] naming `labels`.
pub fn validate_key(key: &str) -> Result<()> {
    if key.starts_with(RESERVED_PREFIX) {
        return Err(Error::invalid(
            "labels",
            "the prefix hetzner.cloud/ is reserved",
        ));
    }
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix {
        if prefix.is_empty() || prefix.len() > MAX_PREFIX_LEN {
            return Err(Error::invalid(
                "labels",
                "key prefix must be a DNS subdomain of at most 253 characters",
            ));
        }
        for part in prefix.split('.') {
            let ok = !part.is_empty()
                && part.len() <= 63
                && part.chars().all(|c| is_alnum(c) || c == '-')
                && !part.starts_with('-')
                && !part.ends_with('-');
            if !ok {
                return Err(Error::invalid(
                    "labels",
                    "key prefix must be a DNS subdomain",
                ));
            }
        }
    }
    check_name("labels", name, MAX_NAME_LEN, false).map_err(|e| match e {
        Error::Invalid { reason, .. } => Error::invalid("labels", format!("key {reason}")),
        other => other,
    })
}

/// Checks a label value against Hetzner's rules (empty is allowed).
///
/// # Errors
/// [`Error::Invalid`] naming `value` (callers prefix it with the key).
pub fn validate_value(value: &str) -> Result<()> {
    check_name("value", value, MAX_NAME_LEN, true)
}

/// Refuses values that look like personal or customer data.
fn refuse_personal_data(value: &str) -> Result<()> {
    let lower = value.to_ascii_lowercase();
    let hex_only: String = lower.chars().filter(|c| *c != '-').collect();
    let uuid_shape = lower.len() == 36
        && lower.split('-').map(str::len).eq([8, 4, 4, 4, 12])
        && hex_only.chars().all(|c| c.is_ascii_hexdigit());
    if uuid_shape || (lower.len() == 32 && lower.chars().all(|c| c.is_ascii_hexdigit())) {
        return Err(Error::invalid(
            "value",
            "looks like a UUID (an internal id); labels are visible to anyone with read access",
        ));
    }
    if value.contains('@') {
        return Err(Error::invalid(
            "value",
            "looks like an email address (personal data)",
        ));
    }
    for prefix in ["cus_", "sub_", "pi_", "in_"] {
        if lower.starts_with(prefix) && lower.len() > prefix.len() + 8 {
            return Err(Error::invalid(
                "value",
                "looks like a payment provider customer id",
            ));
        }
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    Eq(String, String),
    Ne(String, String),
    Has(String),
    Lacks(String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
}

/// A typed label selector (`env=prod,!legacy,tier in (a,b)`), checked before use.
///
/// ```
/// use hetzner_client::LabelSelector;
/// let s = LabelSelector::new().eq("managed-by", "fleet").lacks("legacy").is_in("tier", ["web", "api"]);
/// assert_eq!(s.to_query().unwrap(), "managed-by=fleet,!legacy,tier in (web,api)");
/// assert!(LabelSelector::new().eq("a", "x,b=y").to_query().is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    terms: Vec<Term>,
}

impl LabelSelector {
    /// Matches everything.
    pub fn new() -> Self {
        Self::default()
    }

    /// `key=value`.
    #[must_use]
    pub fn eq(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.terms.push(Term::Eq(key.into(), value.into()));
        self
    }

    /// `key!=value`.
    #[must_use]
    pub fn ne(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.terms.push(Term::Ne(key.into(), value.into()));
        self
    }

    /// `key` (present, any value).
    #[must_use]
    pub fn has(mut self, key: impl Into<String>) -> Self {
        self.terms.push(Term::Has(key.into()));
        self
    }

    /// `!key` (absent).
    #[must_use]
    pub fn lacks(mut self, key: impl Into<String>) -> Self {
        self.terms.push(Term::Lacks(key.into()));
        self
    }

    /// `key in (v1,v2)`.
    #[must_use]
    pub fn is_in<I, V>(mut self, key: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<String>,
    {
        self.terms.push(Term::In(
            key.into(),
            values.into_iter().map(Into::into).collect(),
        ));
        self
    }

    /// `key notin (v1,v2)`.
    #[must_use]
    pub fn not_in<I, V>(mut self, key: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<String>,
    {
        self.terms.push(Term::NotIn(
            key.into(),
            values.into_iter().map(Into::into).collect(),
        ));
        self
    }

    /// True when there are no terms.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Validates every key and value and renders the query value.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming `label_selector`.
    pub fn to_query(&self) -> Result<String> {
        let key = |k: &str| validate_key(k).map_err(|e| e.within_selector());
        let value = |v: &str| validate_value(v).map_err(|e| e.within_selector());
        let set = |vs: &[String]| -> Result<String> {
            if vs.is_empty() {
                return Err(Error::invalid(
                    "label_selector",
                    "a set needs at least one value",
                ));
            }
            for v in vs {
                value(v)?;
            }
            Ok(vs.join(","))
        };
        let mut parts = Vec::with_capacity(self.terms.len());
        for term in &self.terms {
            parts.push(match term {
                Term::Eq(k, v) => {
                    key(k)?;
                    value(v)?;
                    format!("{k}={v}")
                }
                Term::Ne(k, v) => {
                    key(k)?;
                    value(v)?;
                    format!("{k}!={v}")
                }
                Term::Has(k) => {
                    key(k)?;
                    k.clone()
                }
                Term::Lacks(k) => {
                    key(k)?;
                    format!("!{k}")
                }
                Term::In(k, vs) => {
                    key(k)?;
                    format!("{k} in ({})", set(vs)?)
                }
                Term::NotIn(k, vs) => {
                    key(k)?;
                    format!("{k} notin ({})", set(vs)?)
                }
            });
        }
        Ok(parts.join(","))
    }

    /// Evaluates the selector against a label set (what the API does server-side).
    pub fn matches(&self, labels: &Labels) -> bool {
        self.terms.iter().all(|term| match term {
            Term::Eq(k, v) => labels.get(k) == Some(v.as_str()),
            Term::Ne(k, v) => labels.get(k) != Some(v.as_str()),
            Term::Has(k) => labels.get(k).is_some(),
            Term::Lacks(k) => labels.get(k).is_none(),
            Term::In(k, vs) => labels.get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Term::NotIn(k, vs) => labels.get(k).is_none_or(|x| vs.iter().all(|v| v != x)),
        })
    }

    /// Parses the API's selector syntax (used by the simulator; also handy for config files).
    ///
    /// # Errors
    /// [`Error::Invalid`] naming `label_selector`.
    pub fn parse(text: &str) -> Result<Self> {
        let mut selector = Self::new();
        let mut rest = text.trim();
        while !rest.is_empty() {
            // split at the next comma that is not inside parentheses
            let mut depth = 0usize;
            let mut end = rest.len();
            for (i, c) in rest.char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => depth = depth.saturating_sub(1),
                    ',' if depth == 0 => {
                        end = i;
                        break;
                    }
                    _ => {}
                }
            }
            let term = rest[..end].trim();
            rest = rest.get(end + 1..).unwrap_or("").trim();
            selector.terms.push(parse_term(term)?);
        }
        selector.to_query()?;
        Ok(selector)
    }
}

fn parse_term(term: &str) -> Result<Term> {
    let bad = || Error::invalid("label_selector", "is not a valid selector expression");
    let set = |inner: &str| -> Result<Vec<String>> {
        let inner = inner.trim();
        let inner = inner
            .strip_prefix('(')
            .and_then(|s| s.strip_suffix(')'))
            .ok_or_else(bad)?;
        Ok(inner.split(',').map(|v| v.trim().to_owned()).collect())
    };
    if let Some((k, vs)) = term.split_once(" notin ") {
        return Ok(Term::NotIn(k.trim().to_owned(), set(vs)?));
    }
    if let Some((k, vs)) = term.split_once(" in ") {
        return Ok(Term::In(k.trim().to_owned(), set(vs)?));
    }
    if let Some((k, v)) = term.split_once("!=") {
        return Ok(Term::Ne(k.trim().to_owned(), v.trim().to_owned()));
    }
    if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
        return Ok(Term::Eq(k.trim().to_owned(), v.trim().to_owned()));
    }
    if let Some(k) = term.strip_prefix('!') {
        return Ok(Term::Lacks(k.trim().to_owned()));
    }
    if term.is_empty() || term.contains(['(', ')', ' ']) {
        return Err(bad());
    }
    Ok(Term::Has(term.to_owned()))
}

impl Error {
    fn within_selector(self) -> Self {
        match self {
            Error::Invalid { reason, .. } => Error::invalid("label_selector", reason),
            other => other,
        }
    }
}

impl fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_query() {
            Ok(q) => f.write_str(&q),
            Err(_) => f.write_str("<invalid label selector>"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_hetzner_rules() {
        for ok in ["env", "example.com/my", "a", "just-a-key", "A_b.c"] {
            validate_key(ok).unwrap();
        }
        for bad in [
            "",
            "-a",
            "a-",
            "a b",
            "hetzner.cloud/x",
            "ex ample.com/x",
            "/x",
            &"k".repeat(64),
        ] {
            assert!(validate_key(bad).is_err(), "{bad:?}");
        }
        validate_value("").unwrap();
        assert!(validate_value("a,b").is_err());
    }

    #[test]
    fn personal_data_is_refused() {
        assert!(Labels::new().with("who", "alice@example.com").is_err());
        assert!(
            Labels::new()
                .with("id", "3F2B8E4C-9A1D-4C2E-8F1A-2B3C4D5E6F70")
                .is_err()
        );
        assert!(
            Labels::new()
                .with("id", "3f2b8e4c9a1d4c2e8f1a2b3c4d5e6f70")
                .is_err()
        );
        assert!(Labels::new().with("stripe", "cus_NffrFeUfNV2Hib").is_err());
        Labels::new().with("created", "2026-02-03").unwrap();
        Labels::new().with("plan", "starter").unwrap();
    }

    #[test]
    fn selectors_round_trip_and_match() {
        let s = LabelSelector::parse(
            "env=production,type!=database,!legacy,tier in (a,b),x notin (c),has",
        )
        .unwrap();
        assert_eq!(
            s.to_query().unwrap(),
            "env=production,type!=database,!legacy,tier in (a,b),x notin (c),has"
        );
        let labels = Labels::from_map([("env", "production"), ("tier", "a"), ("has", "")]).unwrap();
        assert!(s.matches(&labels));
        let other = Labels::from_map([("env", "production"), ("tier", "c"), ("has", "")]).unwrap();
        assert!(!s.matches(&other));
        assert_eq!(
            LabelSelector::parse("env==prod").unwrap(),
            LabelSelector::new().eq("env", "prod")
        );
        assert!(LabelSelector::parse("env in a,b").is_err());
    }
}
