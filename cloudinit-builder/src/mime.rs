//! MIME multi-part user-data: a cloud-config together with shell scripts.

use std::fmt::Write as _;

use base64::Engine as _;

use crate::{Error, Result, UserData};

/// A multi-part user-data document (`Content-Type: multipart/mixed`), for combining a
/// cloud-config with shell scripts that cloud-init runs once, in order, after `runcmd`.
///
/// ASCII parts are sent as `7bit`, anything else as `base64`. The boundary is derived from the
/// content (so the output is deterministic) and checked not to occur in any part.
///
/// ```
/// use cloudinit_builder::{CloudConfig, MultiPart};
/// let cfg = CloudConfig::new().package_update(true).render()?;
/// let doc = MultiPart::new()
///     .cloud_config(&cfg)
///     .shell_script("late.sh", "#!/bin/sh\necho done\n")?
///     .render()?;
/// assert!(doc.as_str().starts_with("Content-Type: multipart/mixed; boundary="));
/// assert!(doc.as_str().contains("Content-Type: text/x-shellscript"));
/// # Ok::<(), cloudinit_builder::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct MultiPart {
    parts: Vec<Part>,
    /// The cloud-config of the last gzip part (what [`UserData::cloud_config`] returns).
    inner: Option<UserData>,
}

/// The base64 line length of a gzip part: 996 characters, within the 998 a message line may
/// have (RFC 5322), where RFC 2045's 76 would spend one byte in 77 on line breaks. cloud-init
/// (Python's `email` parser) decodes base64 of any line length; text parts keep 76.
pub const GZIP_LINE: usize = 996;

/// The content type of a gzip-compressed part ([`MultiPart::gzip_cloud_config`]).
pub const GZIP_CONTENT_TYPE: &str = "application/gzip";

#[derive(Clone)]
struct Part {
    content_type: &'static str,
    filename: String,
    body: Vec<u8>,
}

impl std::fmt::Debug for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Part")
            .field("content_type", &self.content_type)
            .field("filename", &self.filename)
            .field("bytes", &self.body.len())
            .finish()
    }
}

impl MultiPart {
    /// An empty document.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a rendered cloud-config as `text/cloud-config`.
    #[must_use]
    pub fn cloud_config(mut self, user_data: &UserData) -> Self {
        self.parts.push(Part {
            content_type: "text/cloud-config",
            filename: "cloud-config.yaml".to_owned(),
            body: user_data.as_str().as_bytes().to_vec(),
        });
        self
    }

    /// Adds a rendered cloud-config gzip-compressed, as `application/gzip` (base64 in the
    /// document). cloud-init decompresses a part of a gzip content type before it looks at it,
    /// then reads it as the cloud-config its first line announces. Deterministic: gzip level 9,
    /// no file name, mtime 0.
    pub fn gzip_cloud_config(mut self, user_data: &UserData) -> Result<Self> {
        self.parts.push(Part {
            content_type: GZIP_CONTENT_TYPE,
            filename: "cloud-config.yaml.gz".to_owned(),
            body: crate::render::gzip(user_data.cloud_config().as_bytes())?,
        });
        self.inner = Some(user_data.clone());
        Ok(self)
    }

    /// Adds a shell script (`text/x-shellscript`); it must start with `#!` and its file name is
    /// `[A-Za-z0-9._-]+`.
    pub fn shell_script(mut self, filename: &str, script: &str) -> Result<Self> {
        hardening_model::values::check_token("shell_script.filename", filename, &[])?;
        if !script.starts_with("#!") {
            return Err(Error::invalid(
                "shell_script.content",
                "must start with an interpreter line (#!)",
            ));
        }
        self.parts.push(Part {
            content_type: "text/x-shellscript",
            filename: filename.to_owned(),
            body: script.as_bytes().to_vec(),
        });
        Ok(self)
    }

    /// Renders the document.
    pub fn render(&self) -> Result<UserData> {
        if self.parts.is_empty() {
            return Err(Error::invalid("parts", "at least one part is required"));
        }
        let mut seed = 0xcbf2_9ce4_8422_2325_u64;
        for p in &self.parts {
            for &b in &p.body {
                seed = (seed ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
        }
        let mut boundary = format!("=={seed:016x}==");
        while self.parts.iter().any(|p| {
            p.body
                .windows(boundary.len())
                .any(|w| w == boundary.as_bytes())
        }) {
            seed = seed.wrapping_add(1);
            boundary = format!("=={seed:016x}==");
        }
        let mut out = String::new();
        // Infallible: writing to a String.
        let _ = write!(
            out,
            "Content-Type: multipart/mixed; boundary=\"{boundary}\"\nMIME-Version: 1.0\n\n"
        );
        for p in &self.parts {
            let text = p.content_type != GZIP_CONTENT_TYPE;
            let ascii = text && p.body.is_ascii();
            let (charset, cte) = if ascii {
                ("; charset=\"us-ascii\"", "7bit")
            } else if text {
                ("; charset=\"utf-8\"", "base64")
            } else {
                ("", "base64")
            };
            let _ = write!(
                out,
                "--{boundary}\nContent-Type: {}{charset}\n\
                 Content-Transfer-Encoding: {cte}\nContent-Disposition: attachment; filename=\"{}\"\n\n",
                p.content_type, p.filename
            );
            if ascii {
                let body = String::from_utf8_lossy(&p.body);
                out.push_str(&body);
                if !body.ends_with('\n') {
                    out.push('\n');
                }
            } else {
                let b64 = base64::engine::general_purpose::STANDARD.encode(&p.body);
                let width = if text { 76 } else { GZIP_LINE };
                for chunk in b64.as_bytes().chunks(width) {
                    out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
                    out.push('\n');
                }
            }
        }
        let _ = writeln!(out, "--{boundary}--");
        let inner = match self.parts.as_slice() {
            [only] if only.content_type == GZIP_CONTENT_TYPE => self.inner.clone(),
            _ => None,
        };
        Ok(UserData::wrapping(out, inner))
    }
}

/// The `#cloud-config` document inside user-data as this crate renders it: the text itself
/// when it starts with `#cloud-config`, or the decompressed content of the one
/// `application/gzip` part of a [`CloudConfig::render_gzip`](crate::CloudConfig::render_gzip)
/// document (what cloud-init reads on the host).
///
/// ```
/// use cloudinit_builder::{CloudConfig, cloud_config_of};
/// let cfg = CloudConfig::new().package_update(true);
/// let wrapped = cfg.render_gzip()?;
/// assert_eq!(cloud_config_of(wrapped.as_str())?, cfg.render()?.as_str());
/// assert!(cloud_config_of("#!/bin/sh\n").is_err());
/// # Ok::<(), cloudinit_builder::Error>(())
/// ```
pub fn cloud_config_of(user_data: &str) -> Result<std::borrow::Cow<'_, str>> {
    use std::io::Read as _;
    const FIELD: &str = "user_data";
    if user_data.starts_with(crate::HEADER) {
        return Ok(std::borrow::Cow::Borrowed(user_data));
    }
    let bad = |why: &str| Error::invalid(FIELD, why);
    let rest = user_data
        .strip_prefix("Content-Type: multipart/mixed; boundary=\"")
        .ok_or_else(|| bad("neither #cloud-config nor a multipart document"))?;
    let boundary = format!(
        "--{}",
        &rest[..rest.find('"').ok_or_else(|| bad("no boundary"))?]
    );
    let mut parts = user_data.split(boundary.as_str()).skip(1);
    let part = parts.next().ok_or_else(|| bad("no part"))?;
    if parts.next().map(str::trim) != Some("--") {
        return Err(bad("more than one part"));
    }
    let (headers, body) = part
        .split_once("\n\n")
        .ok_or_else(|| bad("a part without headers"))?;
    if !headers.contains(&format!("\nContent-Type: {GZIP_CONTENT_TYPE}\n")) {
        return Err(bad("the part is not application/gzip"));
    }
    let b64: String = body.lines().collect();
    let gz = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| bad(&format!("base64: {e}")))?;
    let mut text = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut text)
        .map_err(|e| bad(&format!("gzip: {e}")))?;
    if !text.starts_with(crate::HEADER) {
        return Err(bad("the part is not a #cloud-config"));
    }
    Ok(std::borrow::Cow::Owned(text))
}
