//! Client-side checks on DNS values, so a bad value is a typed error and nothing is sent.

use crate::error::{Error, Result};

/// Check a DNS name (record or zone name): 1 to 253 characters, labels of 1 to 63 characters made
/// of ASCII letters, digits, `-` and `_`, an optional leading `*.` wildcard, or `@` for the apex.
/// No whitespace, quotes, control characters or other punctuation can pass, so a checked name is
/// also safe in a path, a query and a rules-expression string.
pub fn check_dns_name(field: &str, name: &str) -> Result<()> {
    if name == "@" {
        return Ok(());
    }
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    if trimmed.is_empty() || trimmed.len() > 253 {
        return Err(Error::invalid(
            field,
            "a DNS name must be 1 to 253 characters",
        ));
    }
    let rest = trimmed.strip_prefix("*.").unwrap_or(trimmed);
    if trimmed == "*" {
        return Ok(());
    }
    for label in rest.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(Error::invalid(
                field,
                "each DNS label must be 1 to 63 characters",
            ));
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(Error::invalid(
                field,
                "a DNS name may only contain ASCII letters, digits, '-', '_' and '.' (use punycode for IDNs)",
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(Error::invalid(
                field,
                "a DNS label may not start or end with '-'",
            ));
        }
    }
    Ok(())
}

/// Check a record comment: one line, at most 500 characters, no control characters.
pub fn check_comment(comment: &str) -> Result<()> {
    if comment.chars().count() > 500 {
        return Err(Error::invalid("comment", "at most 500 characters"));
    }
    if comment.chars().any(char::is_control) {
        return Err(Error::invalid(
            "comment",
            "may not contain control characters or line breaks",
        ));
    }
    Ok(())
}

/// Check a record tag `name:value`: the name is 1 to 32 ASCII letters, digits, `-` or `_`; the
/// value has no control characters; at most 100 characters in all.
pub fn check_tag(tag: &str) -> Result<()> {
    let (name, value) = tag
        .split_once(':')
        .ok_or_else(|| Error::invalid("tags", "a tag is `name:value`"))?;
    if name.is_empty()
        || name.len() > 32
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(Error::invalid(
            "tags",
            "a tag name is 1 to 32 ASCII letters, digits, '-' or '_'",
        ));
    }
    if tag.chars().count() > 100 || value.chars().any(char::is_control) {
        return Err(Error::invalid(
            "tags",
            "a tag is at most 100 characters without control characters",
        ));
    }
    Ok(())
}

/// Check record content for its type: A is an IPv4 address, AAAA an IPv6 address, CNAME/NS/MX
/// targets are DNS names, TXT at most 2048 characters; no type allows control characters.
pub fn check_content(record_type: &super::RecordType, content: &str) -> Result<()> {
    use super::RecordType as T;
    if content.is_empty() {
        return Err(Error::invalid("content", "must not be empty"));
    }
    if content.chars().any(char::is_control) {
        return Err(Error::invalid(
            "content",
            "may not contain control characters or line breaks",
        ));
    }
    match record_type {
        T::A => content
            .parse::<std::net::Ipv4Addr>()
            .map(|_| ())
            .map_err(|_| Error::invalid("content", "an A record needs an IPv4 address")),
        T::Aaaa => content
            .parse::<std::net::Ipv6Addr>()
            .map(|_| ())
            .map_err(|_| Error::invalid("content", "an AAAA record needs an IPv6 address")),
        T::Cname | T::Ns | T::Mx => check_dns_name("content", content),
        T::Txt if content.chars().count() > 2048 => Err(Error::invalid(
            "content",
            "TXT content is at most 2048 characters",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in [
            "example.com",
            "*.example.com",
            "_dmarc.example.com",
            "a-b.example.com.",
            "@",
            "xn--bcher-kva.example",
        ] {
            check_dns_name("name", ok).unwrap();
        }
        for bad in [
            "",
            "exa mple.com",
            "a..b",
            "-a.com",
            "a\"b.com",
            "a\nb",
            "a/b",
            &"a".repeat(64),
            "é.com",
        ] {
            let e = check_dns_name("name", bad).unwrap_err();
            assert!(e.to_string().contains("`name`"), "{e}");
        }
    }

    #[test]
    fn comments_and_tags() {
        check_comment("customer one").unwrap();
        assert!(check_comment("a\nb").is_err());
        check_tag("owner:team-a").unwrap();
        assert!(check_tag("owner").is_err());
        assert!(check_tag("ow ner:x").is_err());
        assert!(check_tag("owner:a\rb").is_err());
    }
}
