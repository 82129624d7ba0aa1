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
}

#[derive(Clone)]
struct Part {
    content_type: &'static str,
    filename: String,
    body: String,
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
            body: user_data.as_str().to_owned(),
        });
        self
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
            body: script.to_owned(),
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
            for b in p.body.bytes() {
                seed = (seed ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
        }
        let mut boundary = format!("=============={seed:016x}==");
        while self.parts.iter().any(|p| p.body.contains(&boundary)) {
            seed = seed.wrapping_add(1);
            boundary = format!("=============={seed:016x}==");
        }
        let mut out = String::new();
        // Infallible: writing to a String.
        let _ = write!(
            out,
            "Content-Type: multipart/mixed; boundary=\"{boundary}\"\nMIME-Version: 1.0\n\n"
        );
        for p in &self.parts {
            let ascii = p.body.is_ascii();
            let (charset, cte) = if ascii {
                ("us-ascii", "7bit")
            } else {
                ("utf-8", "base64")
            };
            let _ = write!(
                out,
                "--{boundary}\nContent-Type: {}; charset=\"{charset}\"\nMIME-Version: 1.0\n\
                 Content-Transfer-Encoding: {cte}\nContent-Disposition: attachment; filename=\"{}\"\n\n",
                p.content_type, p.filename
            );
            if ascii {
                out.push_str(&p.body);
                if !p.body.ends_with('\n') {
                    out.push('\n');
                }
            } else {
                let b64 = base64::engine::general_purpose::STANDARD.encode(p.body.as_bytes());
                for chunk in b64.as_bytes().chunks(76) {
                    out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
                    out.push('\n');
                }
            }
        }
        let _ = writeln!(out, "--{boundary}--");
        Ok(UserData::new(out, Vec::new()))
    }
}
