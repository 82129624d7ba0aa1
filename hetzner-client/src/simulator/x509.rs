//! What the API reads from an uploaded certificate: the names it covers, its validity and its
//! SHA-256 fingerprint. A minimal DER walk over the first certificate of a PEM chain (the
//! fields needed sit at fixed places in `TBSCertificate`), so no X.509 library is needed.

use base64::Engine as _;
use chrono::{DateTime, NaiveDate, Utc};

/// `2.5.4.3`, the subject's common name.
const OID_COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
/// `2.5.29.17`, the subject alternative name extension.
const OID_SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];

/// The facts of the leaf certificate the API answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CertificateFacts {
    /// DNS names of the subject alternative names (the common name when there are none).
    pub(crate) domain_names: Vec<String>,
    /// SHA-256 of the DER, as lowercase hex pairs joined by colons (as Hetzner prints it).
    pub(crate) fingerprint: String,
    pub(crate) not_valid_before: DateTime<Utc>,
    pub(crate) not_valid_after: DateTime<Utc>,
}

/// Reads the first certificate of a PEM chain; `None` when it is not a PEM X.509 certificate.
pub(crate) fn read_pem(pem: &str) -> Option<CertificateFacts> {
    let der = first_pem_block(pem, "CERTIFICATE")?;
    let facts = read_der(&der)?;
    Some(CertificateFacts {
        fingerprint: fingerprint(&der),
        ..facts
    })
}

/// True when `pem` holds a PEM block whose label ends in `PRIVATE KEY` with base64 content.
pub(crate) fn is_private_key_pem(pem: &str) -> bool {
    ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"]
        .iter()
        .any(|label| first_pem_block(pem, label).is_some_and(|der| !der.is_empty()))
}

/// The decoded content of the first `-----BEGIN {label}-----` block.
fn first_pem_block(pem: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin)? + begin.len();
    let stop = start + pem[start..].find(&end)?;
    let text: String = pem[start..stop]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

fn fingerprint(der: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der);
    digest
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// One DER element: its tag and content.
struct Element<'a> {
    tag: u8,
    content: &'a [u8],
}

/// Reads DER elements one after another.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    fn next(&mut self) -> Option<Element<'a>> {
        let (&tag, after_tag) = self.rest.split_first()?;
        let (&first, mut after_len) = after_tag.split_first()?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7f);
            if count == 0 || count > 4 || after_len.len() < count {
                return None; // indefinite or absurd lengths are not DER
            }
            let (bytes, rest) = after_len.split_at(count);
            after_len = rest;
            bytes.iter().fold(0usize, |n, b| (n << 8) | usize::from(*b))
        };
        if after_len.len() < len {
            return None;
        }
        let (content, rest) = after_len.split_at(len);
        self.rest = rest;
        Some(Element { tag, content })
    }

    /// The next element, which must carry `tag`.
    fn expect(&mut self, tag: u8) -> Option<&'a [u8]> {
        let element = self.next()?;
        (element.tag == tag).then_some(element.content)
    }
}

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const OID: u8 = 0x06;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;
const OCTET_STRING: u8 = 0x04;
const BOOLEAN: u8 = 0x01;
const DNS_NAME: u8 = 0x82;
const VERSION: u8 = 0xa0;
const EXTENSIONS: u8 = 0xa3;

fn read_der(der: &[u8]) -> Option<CertificateFacts> {
    let certificate = Reader::new(der).expect(SEQUENCE)?;
    let mut tbs = Reader::new(Reader::new(certificate).expect(SEQUENCE)?);
    if tbs.next()?.tag == VERSION {
        tbs.next()?; // the serial number follows an explicit version
    }
    // then the signature algorithm and the issuer
    tbs.expect(SEQUENCE)?;
    tbs.expect(SEQUENCE)?;
    let mut validity = Reader::new(tbs.expect(SEQUENCE)?);
    let not_valid_before = time(&validity.next()?)?;
    let not_valid_after = time(&validity.next()?)?;
    let subject = tbs.expect(SEQUENCE)?;
    tbs.expect(SEQUENCE)?; // subject public key info
    let mut names = Vec::new();
    while let Some(element) = tbs.next() {
        if element.tag == EXTENSIONS {
            names = alt_names(element.content)?;
        }
    }
    if names.is_empty() {
        names.extend(common_name(subject));
    }
    Some(CertificateFacts {
        domain_names: names,
        fingerprint: String::new(),
        not_valid_before,
        not_valid_after,
    })
}

/// The DNS names of the subject alternative name extension.
fn alt_names(extensions: &[u8]) -> Option<Vec<String>> {
    let mut list = Reader::new(Reader::new(extensions).expect(SEQUENCE)?);
    let mut names = Vec::new();
    while let Some(extension) = list.next() {
        let mut fields = Reader::new(extension.content);
        if fields.expect(OID)? != OID_SUBJECT_ALT_NAME {
            continue;
        }
        let mut value = fields.next()?;
        if value.tag == BOOLEAN {
            value = fields.next()?;
        }
        if value.tag != OCTET_STRING {
            return None;
        }
        let mut general_names = Reader::new(Reader::new(value.content).expect(SEQUENCE)?);
        while let Some(name) = general_names.next() {
            if name.tag == DNS_NAME {
                names.push(String::from_utf8(name.content.to_vec()).ok()?);
            }
        }
    }
    Some(names)
}

/// The subject's common name, if it has one.
fn common_name(subject: &[u8]) -> Option<String> {
    let mut rdns = Reader::new(subject);
    while let Some(rdn) = rdns.next() {
        if rdn.tag != SET {
            continue;
        }
        let mut attributes = Reader::new(rdn.content);
        while let Some(attribute) = attributes.next() {
            let mut fields = Reader::new(attribute.content);
            if fields.expect(OID) == Some(OID_COMMON_NAME) {
                return String::from_utf8(fields.next()?.content.to_vec()).ok();
            }
        }
    }
    None
}

/// A `UTCTime` (`YYMMDDHHMMSSZ`, years 1950 to 2049) or `GeneralizedTime` (`YYYYMMDDHHMMSSZ`).
fn time(element: &Element<'_>) -> Option<DateTime<Utc>> {
    let text = std::str::from_utf8(element.content).ok()?;
    let digits = text.strip_suffix('Z')?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (year, rest) = match (element.tag, digits.len()) {
        (UTC_TIME, 12) => {
            let yy: i32 = digits[..2].parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &digits[2..])
        }
        (GENERALIZED_TIME, 14) => (digits[..4].parse().ok()?, &digits[4..]),
        _ => return None,
    };
    let field = |i: usize| rest[i..i + 2].parse::<u32>().ok();
    let date = NaiveDate::from_ymd_opt(year, field(0)?, field(2)?)?;
    Some(date.and_hms_opt(field(4)?, field(6)?, field(8)?)?.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed certificate for `www.example.com` and `example.com`, valid from
    /// 2026-01-01 to 2036-01-01 (`openssl x509 -fingerprint -sha256` gives its fingerprint).
    const PEM: &str = include_str!("../../tests/fixtures/example-com.crt");
    const FINGERPRINT: &str = include_str!("../../tests/fixtures/example-com.crt.sha256");

    #[test]
    fn reads_names_validity_and_fingerprint() {
        let facts = read_pem(PEM).expect("a certificate");
        assert_eq!(facts.domain_names, ["www.example.com", "example.com"]);
        assert_eq!(
            facts.not_valid_before.to_rfc3339(),
            "2026-01-01T00:00:00+00:00"
        );
        assert_eq!(
            facts.not_valid_after.to_rfc3339(),
            "2036-01-01T00:00:00+00:00"
        );
        assert_eq!(facts.fingerprint, FINGERPRINT.trim());
    }

    fn pem_of(der: &[u8]) -> String {
        let text = base64::engine::general_purpose::STANDARD.encode(der);
        format!("-----BEGIN CERTIFICATE-----\n{text}\n-----END CERTIFICATE-----\n")
    }

    #[test]
    fn refuses_what_is_not_a_certificate() {
        let der = first_pem_block(PEM, "CERTIFICATE").expect("base64");
        assert!(read_pem(&pem_of(&der)).is_some());
        assert_eq!(read_pem(&pem_of(&der[..der.len() / 2])), None, "truncated");
        assert_eq!(
            read_pem(&pem_of(b"\x30\x03\x02\x01\x01")),
            None,
            "not a certificate"
        );
        assert_eq!(
            read_pem("-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----"),
            None
        );
        assert_eq!(read_pem("hello"), None);
        assert!(!is_private_key_pem(
            "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----"
        ));
        assert!(is_private_key_pem(
            "-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----"
        ));
    }

    #[test]
    fn reads_both_time_forms() {
        let utc = Element {
            tag: UTC_TIME,
            content: b"491231235959Z",
        };
        assert_eq!(
            time(&utc).map(|t| t.to_rfc3339()).as_deref(),
            Some("2049-12-31T23:59:59+00:00")
        );
        let utc = Element {
            tag: UTC_TIME,
            content: b"500101000000Z",
        };
        assert_eq!(
            time(&utc).map(|t| t.to_rfc3339()).as_deref(),
            Some("1950-01-01T00:00:00+00:00")
        );
        let generalized = Element {
            tag: GENERALIZED_TIME,
            content: b"20500101120000Z",
        };
        assert_eq!(
            time(&generalized).map(|t| t.to_rfc3339()).as_deref(),
            Some("2050-01-01T12:00:00+00:00")
        );
        let bad = Element {
            tag: UTC_TIME,
            content: b"261332000000Z",
        };
        assert_eq!(time(&bad), None);
    }
}
