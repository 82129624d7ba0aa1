//! A rendered artifact: file content together with where it goes on the host.

use std::fmt;

/// A file produced by a renderer: its absolute target path on the host, its mode and its content.
///
/// Renderers return these so that consumers (cloud-init `write_files`, a configuration
/// management tool, a test that runs the real validator) never guess where a file belongs.
#[derive(Clone, PartialEq, Eq)]
pub struct RenderedFile {
    /// Absolute path on the host, e.g. `/etc/ssh/sshd_config.d/10-hardening.conf`.
    pub path: String,
    /// Unix permission bits, e.g. `0o644`.
    pub mode: u32,
    /// Owner as `user:group`.
    pub owner: String,
    /// The file's content.
    pub content: String,
}

impl RenderedFile {
    /// A root-owned file with the given mode.
    pub fn root(path: impl Into<String>, mode: u32, content: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            mode,
            owner: "root:root".to_owned(),
            content: content.into(),
        }
    }

    /// The mode as cloud-init and `install -m` expect it, e.g. `"0644"`.
    ///
    /// ```
    /// # use hardening_model::RenderedFile;
    /// assert_eq!(RenderedFile::root("/etc/x", 0o600, "").mode_string(), "0600");
    /// ```
    pub fn mode_string(&self) -> String {
        format!("{:04o}", self.mode)
    }

    /// True when other users can read the file.
    pub fn is_world_readable(&self) -> bool {
        self.mode & 0o004 != 0
    }
}

impl fmt::Debug for RenderedFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Content can hold key material; show its size only.
        f.debug_struct("RenderedFile")
            .field("path", &self.path)
            .field("mode", &format_args!("{:04o}", self.mode))
            .field("owner", &self.owner)
            .field("content_len", &self.content.len())
            .finish()
    }
}
