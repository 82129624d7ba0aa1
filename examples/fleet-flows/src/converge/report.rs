//! Host reports: the agent's status file with an HMAC-SHA256 line, verified here.

use std::collections::BTreeMap;

use cloudinit_builder::Secret;

use crate::error::{Error, Result};

/// What a host last said about its desired state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostReport {
    /// The instance that reported.
    pub instance: String,
    /// `applied`, `current`, `rejected`, `rolled-back` or `unreachable`.
    pub state: String,
    /// Why, in words.
    pub reason: String,
    /// The version the host holds.
    pub applied_version: u64,
    /// The version it was last offered.
    pub offered_version: u64,
    /// Every managed file's on-disk SHA-256 (`missing` when absent), by path.
    pub files: BTreeMap<String, String>,
}

impl HostReport {
    /// Verifies a report's `hmac=` line with the instance's report key and parses it.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming `report` when the HMAC is missing or wrong (the report is then
    /// not believed) or a line is malformed.
    pub fn verify(text: &str, key: &Secret) -> Result<Self> {
        let bad = |why: &str| Error::invalid("report", why);
        let (body, mac_line) = text
            .trim_end_matches('\n')
            .rsplit_once('\n')
            .ok_or_else(|| bad("has no hmac line"))?;
        let mac_hex = mac_line
            .strip_prefix("hmac=")
            .ok_or_else(|| bad("last line must be hmac=HEX"))?;
        let mac = (0..mac_hex.len())
            .step_by(2)
            .map(|i| {
                mac_hex
                    .get(i..i + 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            })
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| bad("hmac is not hex"))?;
        let body = format!("{body}\n");
        let hkey =
            aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key.expose().trim().as_bytes());
        aws_lc_rs::hmac::verify(&hkey, body.as_bytes(), &mac)
            .map_err(|_| bad("hmac does not verify with the instance's report key"))?;
        Self::parse(&body)
    }

    fn parse(body: &str) -> Result<Self> {
        let mut fields = BTreeMap::new();
        let mut files = BTreeMap::new();
        for line in body.lines() {
            if let Some(rest) = line.strip_prefix("file ") {
                let (sha, path) = rest
                    .split_once(' ')
                    .ok_or_else(|| Error::invalid("report.file", "must be `file SHA PATH`"))?;
                files.insert(path.to_owned(), sha.to_owned());
            } else if let Some((k, v)) = line.split_once('=') {
                fields.insert(k.to_owned(), v.to_owned());
            }
        }
        let get = |k: &str| {
            fields
                .get(k)
                .cloned()
                .ok_or_else(|| Error::invalid(format!("report.{k}"), "is missing"))
        };
        let num = |k: &str| {
            get(k)?
                .parse::<u64>()
                .map_err(|_| Error::invalid(format!("report.{k}"), "must be a number"))
        };
        Ok(Self {
            instance: get("instance")?,
            state: get("state")?,
            reason: get("reason")?,
            applied_version: num("applied_version")?,
            offered_version: num("offered_version")?,
            files,
        })
    }
}
