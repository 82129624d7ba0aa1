//! Validation of custom list items per list kind, as the OpenAPI document's `lists_item_*`
//! schemas define them: `ip` (IPv4 address or CIDR, IPv6 CIDR of /64 or shorter), `hostname`
//! (`{"url_hostname": ...}` of ASCII letters, digits, `-`, `.` and a leading `*.`), `asn` (a
//! non-negative 32-bit integer) and `redirect` (`source_url`, `target_url`, `status_code` 301,
//! 302, 307 or 308, and four boolean flags).

use serde_json::{Map, Value, json};

use crate::resources::lists::ListItem;

/// The value of an item for a list of `kind`, normalised as the API stores it, plus the key it
/// is stored under; `Err((pointer suffix, message))` when it is not valid for that kind.
pub(super) fn item_value(
    kind: &str,
    item: &Value,
) -> Result<(&'static str, Value), (String, String)> {
    let obj = item
        .as_object()
        .ok_or_else(|| (String::new(), "each item is an object".to_owned()))?;
    let other = ["ip", "hostname", "asn", "redirect"]
        .into_iter()
        .find(|k| *k != kind && obj.contains_key(*k));
    if let Some(k) = other {
        return Err((
            format!("/{k}"),
            format!("{k} items cannot be added to a list of kind {kind}"),
        ));
    }
    match kind {
        "ip" => {
            let ip = obj.get("ip").and_then(Value::as_str).unwrap_or_default();
            match ListItem::ip(ip) {
                Ok(parsed) if parsed.ip == ip => Ok(("ip", json!(ip))),
                _ => Err(("/ip".into(), format!("invalid IP item {ip:?}"))),
            }
        }
        "hostname" => {
            let host = obj
                .get("hostname")
                .and_then(|h| h.get("url_hostname"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            if valid_hostname(host) {
                Ok((
                    "hostname",
                    json!({"url_hostname": host.to_ascii_lowercase()}),
                ))
            } else {
                Err((
                    "/hostname/url_hostname".into(),
                    format!("invalid hostname {host:?}"),
                ))
            }
        }
        "asn" => match obj.get("asn").and_then(Value::as_u64) {
            Some(n) if u32::try_from(n).is_ok() => Ok(("asn", json!(n))),
            _ => Err(("/asn".into(), "asn: a non-negative 32-bit integer".into())),
        },
        "redirect" => redirect(obj.get("redirect")).map(|r| ("redirect", r)),
        _ => Err((String::new(), format!("unknown list kind {kind}"))),
    }
}

fn valid_hostname(host: &str) -> bool {
    let bare = host.strip_prefix("*.").unwrap_or(host);
    !bare.is_empty()
        && host.len() <= 253
        && bare.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

fn redirect(value: Option<&Value>) -> Result<Value, (String, String)> {
    let Some(r) = value.and_then(Value::as_object) else {
        return Err(("/redirect".into(), "redirect: an object".into()));
    };
    let url = |key: &str| -> Result<String, (String, String)> {
        match r.get(key).and_then(Value::as_str) {
            Some(s) if !s.trim().is_empty() && !s.chars().any(char::is_whitespace) => {
                Ok(s.to_owned())
            }
            _ => Err((
                format!("/redirect/{key}"),
                format!("redirect.{key}: required URL"),
            )),
        }
    };
    let source = url("source_url")?;
    let target = url("target_url")?;
    if source.contains("://") {
        return Err((
            "/redirect/source_url".into(),
            "redirect.source_url: no scheme (host and path only)".into(),
        ));
    }
    let status = match r.get("status_code") {
        None => 301,
        Some(v) => match v.as_u64() {
            Some(c @ (301 | 302 | 307 | 308)) => c,
            _ => {
                return Err((
                    "/redirect/status_code".into(),
                    "redirect.status_code: 301, 302, 307 or 308".into(),
                ));
            }
        },
    };
    let mut out = Map::new();
    out.insert("source_url".into(), json!(source));
    out.insert("target_url".into(), json!(target));
    out.insert("status_code".into(), json!(status));
    for flag in [
        "include_subdomains",
        "subpath_matching",
        "preserve_query_string",
        "preserve_path_suffix",
    ] {
        let v = match r.get(flag) {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                return Err((
                    format!("/redirect/{flag}"),
                    format!("redirect.{flag}: a boolean"),
                ));
            }
        };
        out.insert(flag.into(), json!(v));
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_takes_its_own_items_only() {
        assert!(item_value("ip", &json!({"ip": "192.0.2.0/24"})).is_ok());
        assert!(item_value("ip", &json!({"ip": "192.0.2.1/24"})).is_err());
        assert!(item_value("ip", &json!({"hostname": {"url_hostname": "a.example"}})).is_err());
        let (k, v) = item_value(
            "hostname",
            &json!({"hostname": {"url_hostname": "*.Example.com"}}),
        )
        .unwrap();
        assert_eq!(
            (k, v),
            ("hostname", json!({"url_hostname": "*.example.com"}))
        );
        assert!(item_value("hostname", &json!({"hostname": {"url_hostname": "a b"}})).is_err());
        assert_eq!(item_value("asn", &json!({"asn": 13335})).unwrap().1, 13335);
        assert!(item_value("asn", &json!({"asn": -1})).is_err());
        assert!(item_value("asn", &json!({"asn": 4_294_967_296_u64})).is_err());
        let (_, r) = item_value(
            "redirect",
            &json!({"redirect": {"source_url": "example.com/a", "target_url": "https://example.net/"}}),
        )
        .unwrap();
        assert_eq!(r["status_code"], 301);
        assert_eq!(r["include_subdomains"], false);
        let bad = json!({"redirect": {"source_url": "example.com/a", "target_url": "https://x/", "status_code": 200}});
        assert_eq!(
            item_value("redirect", &bad).unwrap_err().0,
            "/redirect/status_code"
        );
    }
}
