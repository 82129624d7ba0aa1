//! Rendering to YAML text, and the size budget.

use std::collections::HashMap;
use std::fmt;

use base64::Engine as _;

use crate::doc::Doc;
use crate::{CloudConfig, Error, Overflow, PartSize, Result};

/// Hetzner Cloud's `user_data` limit in bytes (32 KiB).
pub const HETZNER_USER_DATA_LIMIT: usize = 32 * 1024;

/// The header cloud-init needs on the first line of a cloud-config.
pub const HEADER: &str = "#cloud-config\n";

/// Rendered user-data: the exact bytes to send as `user_data`.
///
/// `Debug` shows the size only, because user-data carries secret files.
#[derive(Clone, PartialEq, Eq)]
pub struct UserData {
    text: String,
    compressed: Vec<String>,
    /// The cloud-config inside, when `text` wraps it (gzip MIME part).
    inner: Option<Box<UserData>>,
    /// Names of the apt sources whose key cloud-init fetches by fingerprint.
    fetched_keys: Vec<String>,
}

impl UserData {
    pub(crate) fn new(text: String, compressed: Vec<String>) -> Self {
        Self {
            text,
            compressed,
            inner: None,
            fetched_keys: Vec::new(),
        }
    }

    pub(crate) fn wrapping(text: String, inner: Option<UserData>) -> Self {
        Self {
            text,
            compressed: Vec::new(),
            inner: inner.map(Box::new),
            fetched_keys: Vec::new(),
        }
    }

    /// Records which apt sources fetch their key by fingerprint.
    pub(crate) fn with_fetched_keys(mut self, names: Vec<String>) -> Self {
        self.fetched_keys = names;
        self
    }

    /// Names of the apt sources whose key cloud-init fetches at first boot by full
    /// fingerprint (`keyid` + `keyserver`, see [`AptSource::fetched`](crate::AptSource::fetched))
    /// instead of carrying it: empty unless the size budget made
    /// [`HardenedHost::render`](crate::preset::HardenedHost::render) switch to it.
    pub fn fetched_apt_keys(&self) -> &[String] {
        &self.fetched_keys
    }

    /// The document: the exact bytes to send.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The `#cloud-config` document cloud-init reads: [`as_str`](Self::as_str) itself, or,
    /// for a document made by [`CloudConfig::render_gzip`], the compressed part's content.
    pub fn cloud_config(&self) -> &str {
        self.inner.as_ref().map_or(&self.text, |i| i.cloud_config())
    }

    /// Whether the cloud-config travels gzip-compressed in a MIME part
    /// ([`CloudConfig::render_gzip`]).
    pub fn is_gzip_wrapped(&self) -> bool {
        self.inner.is_some()
    }

    /// Its size in bytes (what Hetzner counts).
    pub fn len(&self) -> usize {
        self.text.len()
    }

    /// Whether the document is empty (never true for a rendered cloud-config).
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Paths of the files stored as `gz+b64`: those marked [`WriteFile::gzip`](crate::WriteFile::gzip),
    /// then those the budget chose, in the order it chose them.
    pub fn compressed_files(&self) -> &[String] {
        self.inner
            .as_ref()
            .map_or(&self.compressed, |i| i.compressed_files())
    }

    /// The document, consumed.
    pub fn into_string(self) -> String {
        self.text
    }
}

impl fmt::Debug for UserData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserData")
            .field("bytes", &self.text.len())
            .field("compressed_files", &self.compressed_files().len())
            .field("gzip_wrapped", &self.is_gzip_wrapped())
            .field("fetched_apt_keys", &self.fetched_keys)
            .finish_non_exhaustive()
    }
}

fn to_yaml(doc: &Doc<'_>) -> Result<String> {
    let opts = serde_saphyr::ser_options! { prefer_block_scalars: false };
    let body = serde_saphyr::to_string_with_options(doc, opts)
        .map_err(|e| Error::Serialize(e.to_string()))?;
    let mut out = String::with_capacity(HEADER.len() + body.len());
    out.push_str(HEADER);
    out.push_str(&body);
    Ok(out)
}

/// gzip by Zopfli (no name, mtime 0: deterministic): a standard deflate stream that any gzip
/// reader, cloud-init's included, decodes, about 5% smaller than zlib's best level, which is
/// what lets the full preset fit its budget.
pub(crate) fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() / 3);
    zopfli::compress(
        zopfli::Options::default(),
        zopfli::Format::Gzip,
        bytes,
        &mut out,
    )
    .map_err(|e| Error::Serialize(e.to_string()))?;
    Ok(out)
}

/// [`gzip`] then base64.
pub(crate) fn gz_b64(bytes: &[u8]) -> Result<String> {
    Ok(base64::engine::general_purpose::STANDARD.encode(gzip(bytes)?))
}

impl CloudConfig {
    /// Renders the document: `#cloud-config`, then YAML with file bodies as `|` block scalars
    /// and strings that YAML 1.1 would read as booleans, numbers or null quoted. The same
    /// config always renders the same bytes.
    ///
    /// Fails if any entry is invalid or a secret appears outside its `0600` file.
    pub fn render(&self) -> Result<UserData> {
        self.validate()?;
        let (forced, paths) = self.forced_gzip()?;
        let text = to_yaml(&Doc::new(self, &forced))?;
        Ok(UserData::new(text, paths))
    }

    /// Renders the whole document, gzip-compressed, as the one `application/gzip` part of a
    /// MIME multipart (base64 inside, lines of [`GZIP_LINE`](crate::GZIP_LINE) characters). cloud-init decompresses such a part
    /// before reading it, so the host gets exactly the document [`render`](Self::render) makes;
    /// one compression over all files and keys beats compressing files one by one (which
    /// cannot share anything between them). [`UserData::cloud_config`] gives the document back.
    ///
    /// ```
    /// use cloudinit_builder::{CloudConfig, WriteFile};
    /// let big = "allow 10.0.0.0/8\n".repeat(4000);
    /// let cfg = CloudConfig::new().write_file(WriteFile::new("/etc/big.conf", big)?);
    /// let out = cfg.render_gzip()?;
    /// assert!(out.as_str().starts_with("Content-Type: multipart/mixed"));
    /// assert!(out.as_str().contains("Content-Type: application/gzip\n"));
    /// assert!(out.len() < 2000);
    /// assert_eq!(out.cloud_config(), cfg.render()?.as_str());
    /// # Ok::<(), cloudinit_builder::Error>(())
    /// ```
    pub fn render_gzip(&self) -> Result<UserData> {
        let plain = self.render()?;
        crate::MultiPart::new().gzip_cloud_config(&plain)?.render()
    }

    /// Renders within `limit` bytes: while the document is too large, the largest file not yet
    /// compressed is rewritten as `encoding: gz+b64` (only when that makes it smaller). If every
    /// file is compressed and it still does not fit, returns [`Error::TooLarge`] with the
    /// overflow and the largest parts.
    ///
    /// ```
    /// use cloudinit_builder::{CloudConfig, HETZNER_USER_DATA_LIMIT, WriteFile};
    /// let big = "allow 10.0.0.0/8\n".repeat(4000); // 68 KB of text
    /// let cfg = CloudConfig::new().write_file(WriteFile::new("/etc/big.conf", big)?);
    /// let out = cfg.render_within(HETZNER_USER_DATA_LIMIT)?;
    /// assert!(out.len() <= HETZNER_USER_DATA_LIMIT);
    /// assert_eq!(out.compressed_files(), ["/etc/big.conf"]);
    /// # Ok::<(), cloudinit_builder::Error>(())
    /// ```
    pub fn render_within(&self, limit: usize) -> Result<UserData> {
        self.validate()?;
        let (mut compressed, _) = self.forced_gzip()?;
        let mut order: Vec<usize> = (0..self.write_files.len())
            .filter(|i| compressed.contains_key(i))
            .collect();
        let mut candidates: Vec<(usize, usize)> = self
            .write_files
            .iter()
            .enumerate()
            .filter(|(_, f)| !f.gzip)
            .map(|(i, f)| (f.content_len(), i))
            .collect();
        // Largest first; ties by position, so the choice is deterministic.
        candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut next = candidates.into_iter();
        loop {
            let text = to_yaml(&Doc::new(self, &compressed))?;
            if text.len() <= limit {
                let paths = order
                    .iter()
                    .map(|&i: &usize| self.write_files[i].path.clone())
                    .collect();
                return Ok(UserData::new(text, paths));
            }
            // The next file whose compressed form is smaller than its current one.
            let mut chosen = None;
            for (len, i) in next.by_ref() {
                let gz = gz_b64(self.write_files[i].content.bytes())?;
                if gz.len() < len {
                    chosen = Some((i, gz));
                    break;
                }
            }
            let Some((i, gz)) = chosen else {
                return Err(Error::TooLarge(Box::new(Overflow {
                    size: text.len(),
                    limit,
                    largest: self.largest_parts(&text, 5),
                })));
            };
            compressed.insert(i, gz);
            order.push(i);
        }
    }

    /// The files marked [`WriteFile::gzip`], compressed, and their paths.
    fn forced_gzip(&self) -> Result<(HashMap<usize, String>, Vec<String>)> {
        let mut map = HashMap::new();
        let mut paths = Vec::new();
        for (i, f) in self.write_files.iter().enumerate().filter(|(_, f)| f.gzip) {
            map.insert(i, gz_b64(f.content.bytes())?);
            paths.push(f.path.clone());
        }
        Ok((map, paths))
    }

    /// Sizes of the parts of a rendering: each `write_files` entry and each other top-level
    /// key, largest first.
    pub(crate) fn largest_parts(&self, text: &str, n: usize) -> Vec<PartSize> {
        let mut parts: Vec<PartSize> = Vec::new();
        let mut current: Option<PartSize> = None;
        let mut in_files = false;
        let mut file_index = 0usize;
        for line in text.split_inclusive('\n').skip(1) {
            let top_key = !line.trim().is_empty() && !line.starts_with([' ', '-', '#']);
            let file_start = in_files && line.starts_with("- ");
            if top_key || file_start {
                if let Some(p) = current.take() {
                    parts.push(p);
                }
                let name = if top_key {
                    let key = line.split(':').next().unwrap_or_default().to_owned();
                    in_files = key == "write_files";
                    key
                } else {
                    let path = self
                        .write_files
                        .get(file_index)
                        .map(|f| f.path.as_str())
                        .unwrap_or("?");
                    file_index += 1;
                    format!("write_files[{path}]")
                };
                current = Some(PartSize { name, bytes: 0 });
            }
            if let Some(p) = current.as_mut() {
                p.bytes += line.len();
            }
        }
        parts.extend(current);
        parts.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.name.cmp(&b.name)));
        parts.truncate(n);
        parts
    }
}
