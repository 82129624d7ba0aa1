//! [`DirHost`]: the audit's one source that reads files, a directory laid out like a host's `/`.
//!
//! Behind the feature `host-files` (on by default). Without it hardening-model does no I/O at
//! all; the audit then runs on [`MemoryHost`](super::MemoryHost) or a caller's own
//! [`HostFiles`].

use std::path::{Component, Path, PathBuf};

use super::source::{FileState, HostFiles, Listing};

/// A directory laid out like a host's `/`: `/etc/ssh/sshd_config` is read from
/// `ROOT/etc/ssh/sshd_config`. Paths with `..` are refused, so nothing outside the root is read
/// through a crafted `Include`.
#[derive(Debug, Clone)]
pub struct DirHost {
    root: PathBuf,
}

impl DirHost {
    /// Reads files below `root` (use `/` for the running host).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn resolve(&self, path: &str) -> Option<PathBuf> {
        let relative = Path::new(path.trim_start_matches('/'));
        let safe = relative
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
        safe.then(|| self.root.join(relative))
    }
}

impl HostFiles for DirHost {
    fn read(&self, path: &str) -> FileState {
        let Some(full) = self.resolve(path) else {
            return FileState::Unreadable("path leaves the audited root".to_owned());
        };
        match std::fs::read(&full) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => FileState::Present(text),
                Err(_) => FileState::Unreadable("not UTF-8 text".to_owned()),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileState::Missing,
            Err(e) => FileState::Unreadable(e.kind().to_string()),
        }
    }

    fn list(&self, dir: &str) -> Listing {
        let Some(full) = self.resolve(dir) else {
            return Listing::Unreadable("path leaves the audited root".to_owned());
        };
        match std::fs::read_dir(&full) {
            Ok(entries) => {
                let mut names: Vec<String> = entries
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect();
                names.sort();
                Listing::Entries(names)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Listing::Missing,
            Err(e) => Listing::Unreadable(e.kind().to_string()),
        }
    }

    fn describe(&self) -> String {
        format!("directory {}", self.root.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_host_refuses_to_leave_its_root() {
        let host = DirHost::new("/nonexistent-root");
        assert!(matches!(
            host.read("/../etc/passwd"),
            FileState::Unreadable(_)
        ));
        assert_eq!(host.read("/etc/passwd"), FileState::Missing);
    }
}
