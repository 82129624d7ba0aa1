//! Where the audit reads from: a host's files, in memory or under a directory.

use std::collections::BTreeMap;

use crate::RenderedFile;

/// What reading one file gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileState {
    /// The file exists and was read as UTF-8 text.
    Present(String),
    /// There is no such file.
    Missing,
    /// The file exists but could not be read (permissions, not UTF-8, a directory, ...).
    Unreadable(String),
}

/// What listing one directory gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    /// The entry names (not paths) in the directory, sorted.
    Entries(Vec<String>),
    /// There is no such directory.
    Missing,
    /// The directory exists but could not be listed.
    Unreadable(String),
}

/// A read-only view of a host's files, addressed by absolute paths as on the host
/// (`/etc/ssh/sshd_config`).
///
/// [`MemoryHost`] holds files in memory (tests, and evaluation of rendered policy artifacts);
/// `DirHost` (feature `host-files`) reads a directory laid out like a host's `/` (a live host with `DirHost::new("/")`,
/// or a copy of one).
pub trait HostFiles {
    /// Reads the file at `path`.
    fn read(&self, path: &str) -> FileState;
    /// Lists the directory at `path`.
    fn list(&self, dir: &str) -> Listing;
    /// A short description of the source for reports (e.g. `directory /srv/host1`).
    fn describe(&self) -> String;
}

/// Files held in memory, keyed by absolute path.
///
/// ```
/// use hardening_model::audit::{FileState, HostFiles, MemoryHost};
/// let mut host = MemoryHost::new();
/// host.insert("/etc/ssh/sshd_config", "PermitRootLogin no\n");
/// assert_eq!(host.read("/etc/ssh/sshd_config"), FileState::Present("PermitRootLogin no\n".into()));
/// assert_eq!(host.read("/etc/docker/daemon.json"), FileState::Missing);
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryHost {
    files: BTreeMap<String, FileState>,
}

impl MemoryHost {
    /// An empty host.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a file.
    pub fn insert(&mut self, path: impl Into<String>, content: impl Into<String>) -> &mut Self {
        self.files
            .insert(normalise(&path.into()), FileState::Present(content.into()));
        self
    }

    /// Adds a file that exists but cannot be read, with the reason.
    pub fn insert_unreadable(
        &mut self,
        path: impl Into<String>,
        why: impl Into<String>,
    ) -> &mut Self {
        self.files
            .insert(normalise(&path.into()), FileState::Unreadable(why.into()));
        self
    }

    /// Removes a file, returning what it held.
    pub fn remove(&mut self, path: &str) -> Option<FileState> {
        self.files.remove(&normalise(path))
    }

    /// Adds rendered artifacts at their target paths.
    pub fn extend_rendered<'a>(
        &mut self,
        files: impl IntoIterator<Item = &'a RenderedFile>,
    ) -> &mut Self {
        for file in files {
            self.insert(file.path.clone(), file.content.clone());
        }
        self
    }

    /// A host holding exactly the given rendered artifacts.
    pub fn from_rendered<'a>(files: impl IntoIterator<Item = &'a RenderedFile>) -> Self {
        let mut host = Self::new();
        host.extend_rendered(files);
        host
    }

    /// The paths held, sorted.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }
}

impl HostFiles for MemoryHost {
    fn read(&self, path: &str) -> FileState {
        let path = normalise(path);
        match self.files.get(&path) {
            Some(state) => state.clone(),
            None if self
                .files
                .keys()
                .any(|k| k.starts_with(&format!("{path}/"))) =>
            {
                FileState::Unreadable("is a directory".to_owned())
            }
            None => FileState::Missing,
        }
    }

    fn list(&self, dir: &str) -> Listing {
        let prefix = format!("{}/", normalise(dir).trim_end_matches('/'));
        let mut names: Vec<String> = self
            .files
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix))
            .filter_map(|rest| rest.split('/').next())
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .collect();
        names.dedup();
        if names.is_empty() {
            Listing::Missing
        } else {
            Listing::Entries(names)
        }
    }

    fn describe(&self) -> String {
        format!("{} files in memory", self.files.len())
    }
}

/// Collapses repeated slashes and a trailing slash, and makes the path absolute.
fn normalise(path: &str) -> String {
    let parts: Vec<&str> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    format!("/{}", parts.join("/"))
}

/// Joins a directory and an entry name.
pub(crate) fn join(dir: &str, name: &str) -> String {
    format!("{}/{}", dir.trim_end_matches('/'), name)
}

/// Matches a shell glob (`*`, `?`, `[abc]`, `[a-z]`, `[!x]`) against one path component.
pub(crate) fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Dynamic programming over (pattern index, name index): linear in |p| * |n|, so a pattern
    // full of `*` cannot make matching exponential.
    let mut memo = vec![None; (p.len() + 1) * (n.len() + 1)];
    glob_at(&p, &n, 0, 0, &mut memo)
}

fn glob_at(p: &[char], n: &[char], i: usize, j: usize, memo: &mut [Option<bool>]) -> bool {
    let key = i * (n.len() + 1) + j;
    if let Some(known) = memo.get(key).copied().flatten() {
        return known;
    }
    let result = match p.get(i) {
        None => j == n.len(),
        Some('*') => {
            glob_at(p, n, i + 1, j, memo) || (j < n.len() && glob_at(p, n, i, j + 1, memo))
        }
        Some('?') => j < n.len() && glob_at(p, n, i + 1, j + 1, memo),
        Some('[') => match (class_end(&p[i..]), n.get(j)) {
            (Some(end), Some(&c)) => {
                class_matches(&p[i + 1..i + end], c) && glob_at(p, n, i + end + 1, j + 1, memo)
            }
            (None, Some(&c)) => c == '[' && glob_at(p, n, i + 1, j + 1, memo),
            (_, None) => false,
        },
        Some(&c) => n.get(j) == Some(&c) && glob_at(p, n, i + 1, j + 1, memo),
    };
    if let Some(slot) = memo.get_mut(key) {
        *slot = Some(result);
    }
    result
}

fn class_end(p: &[char]) -> Option<usize> {
    // The first `]` after the opening bracket (and after a leading `!` or `]`) closes the class.
    let start = if matches!(p.get(1), Some('!' | '^')) {
        2
    } else {
        1
    };
    (start + 1..p.len()).find(|&i| p[i] == ']')
}

fn class_matches(class: &[char], c: char) -> bool {
    let (negate, class) = match class.first() {
        Some('!' | '^') => (true, &class[1..]),
        _ => (false, class),
    };
    let mut i = 0;
    let mut hit = false;
    while i < class.len() {
        if i + 2 < class.len() && class[i + 1] == '-' {
            hit |= class[i] <= c && c <= class[i + 2];
            i += 3;
        } else {
            hit |= class[i] == c;
            i += 1;
        }
    }
    hit != negate
}

/// Expands a path whose last component may hold a glob, through the source. Returns the
/// matching paths sorted (like glob(3)); a pattern without wildcards is returned as is.
pub(crate) fn expand(source: &dyn HostFiles, pattern: &str) -> Result<Vec<String>, String> {
    let (dir, last) = pattern.rsplit_once('/').unwrap_or(("", pattern));
    let dir = if dir.is_empty() { "/" } else { dir };
    if dir.contains(['*', '?', '[']) {
        return Err(format!(
            "wildcards in directory names are not supported ({pattern})"
        ));
    }
    if !last.contains(['*', '?', '[']) {
        return Ok(vec![pattern.to_owned()]);
    }
    match source.list(dir) {
        Listing::Entries(names) => Ok(names
            .iter()
            .filter(|n| !n.starts_with('.') && glob_match(last, n))
            .map(|n| join(dir, n))
            .collect()),
        Listing::Missing => Ok(Vec::new()),
        Listing::Unreadable(why) => Err(format!("cannot list {dir}: {why}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_like_the_shell() {
        assert!(glob_match("*.conf", "10-hardening.conf"));
        assert!(!glob_match("*.conf", "10-hardening.conf.bak"));
        assert!(glob_match("?0-*.conf", "50-cloud-init.conf"));
        assert!(glob_match("[0-9]*", "99-x"));
        assert!(!glob_match("[!0-9]*", "99-x"));
        assert!(glob_match("a[", "a["));
        // Many stars against a long non-matching name stay fast.
        assert!(glob_match(&"*".repeat(200), ""));
        assert!(!glob_match(
            &format!("{}b", "*a".repeat(100)),
            &"a".repeat(300)
        ));
    }

    #[test]
    fn memory_host_lists_direct_children() {
        let mut host = MemoryHost::new();
        host.insert("/etc/ssh/sshd_config.d/10-a.conf", "")
            .insert("/etc/ssh/sshd_config.d/sub/x", "")
            .insert("/etc/ssh/sshd_config", "");
        assert_eq!(
            host.list("/etc/ssh/sshd_config.d/"),
            Listing::Entries(vec!["10-a.conf".into(), "sub".into()])
        );
        assert_eq!(host.list("/etc/nothing"), Listing::Missing);
        assert!(matches!(host.read("/etc/ssh"), FileState::Unreadable(_)));
        let found = expand(&host, "/etc/ssh/sshd_config.d/*.conf").unwrap();
        assert_eq!(found, vec!["/etc/ssh/sshd_config.d/10-a.conf".to_owned()]);
    }
}
