//! `cloud-init schema -c` on user-data.

use std::path::PathBuf;
use std::process::Command;

use crate::Rejection;
use crate::exec::{self, Workdir};
use crate::locate::require;

/// The distribution's `cloud-init schema` check (Debian 12 ships 22.4; its schema accepts
/// unknown top-level keys, so pair it with [`crate::check_jsonschema`] and the 26.1 schema).
#[derive(Debug, Clone)]
pub struct CloudInit {
    cloud_init: PathBuf,
}

/// Finds `cloud-init`; `None` (after printing why) when it is missing.
///
/// # Panics
/// When `CI` is set and it is missing.
pub fn cloud_init() -> Option<CloudInit> {
    require("cloud-init", "apt-get install cloud-init").map(|cloud_init| CloudInit { cloud_init })
}

/// One part of user-data as cloud-init's own user-data processor hands it to its handlers:
/// after MIME decoding, base64 and gzip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedPart {
    /// The content type cloud-init settled on (`text/cloud-config`, `text/x-shellscript`, ...).
    pub content_type: String,
    /// The part's content as text.
    pub payload: String,
}

/// Runs `cloudinit.user_data.UserDataProcessor` on a file and prints each leaf part as
/// `content type`, a tab, the payload's length, a newline, then the payload.
const DECODE: &str = r#"
import sys
from cloudinit import user_data
msg = user_data.UserDataProcessor(None).process(open(sys.argv[1], "rb").read())
out = sys.stdout.buffer
for part in msg.walk():
    if part.is_multipart():
        continue
    payload = part.get_payload(decode=True) or b""
    out.write(part.get_content_type().encode() + b"\t" + str(len(payload)).encode() + b"\n" + payload)
"#;

impl CloudInit {
    /// Decodes user-data the way cloud-init does on the host (its `UserDataProcessor`, run
    /// with the Python interpreter of the `cloud-init` script): MIME parts split, base64 and
    /// gzip undone, content types resolved.
    pub fn decode(&self, user_data: &str) -> Result<Vec<DecodedPart>, Rejection> {
        let script = std::fs::read_to_string(&self.cloud_init)
            .map_err(|e| Rejection::setup("cloud-init", format!("reading the script: {e}")))?;
        let python = script
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("#!"))
            .map(|l| l.split_whitespace().next().unwrap_or_default().to_owned())
            .ok_or_else(|| Rejection::setup("cloud-init", "no interpreter line"))?;
        let dir = Workdir::new("cloud-init")?;
        let file = dir.write("user-data", user_data)?;
        let decoder = dir.write("decode.py", DECODE)?;
        let out = exec::run(Command::new(python).arg(&decoder).arg(&file))?;
        let mut rest = out.stdout.as_slice();
        let mut parts = Vec::new();
        while !rest.is_empty() {
            let bad = || Rejection::setup("cloud-init", "unexpected decoder output");
            let nl = rest.iter().position(|&b| b == b'\n').ok_or_else(bad)?;
            let head = String::from_utf8_lossy(&rest[..nl]).into_owned();
            let (content_type, len) = head.split_once('\t').ok_or_else(bad)?;
            let len: usize = len.parse().map_err(|_| bad())?;
            let body = rest.get(nl + 1..nl + 1 + len).ok_or_else(bad)?;
            parts.push(DecodedPart {
                content_type: content_type.to_owned(),
                payload: String::from_utf8_lossy(body).into_owned(),
            });
            rest = &rest[nl + 1 + len..];
        }
        Ok(parts)
    }

    /// Runs `cloud-init schema -c FILE`. The first line must be `#cloud-config`.
    pub fn check(&self, user_data: &str) -> Result<(), Rejection> {
        let dir = Workdir::new("cloud-init")?;
        let file = dir.write("user-data.yaml", user_data)?;
        exec::run(
            Command::new(&self.cloud_init)
                .args(["schema", "-c"])
                .arg(&file),
        )
        .map(|_| ())
    }
}
