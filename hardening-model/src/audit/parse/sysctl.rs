//! `sysctl.d` files, applied in the order `systemd-sysctl` uses.

use std::collections::BTreeMap;

use crate::audit::source::{FileState, HostFiles, Listing, join};

/// Directories read by systemd-sysctl, lowest precedence first. A file name in a later
/// directory hides the same name in an earlier one.
pub const SYSCTL_DIRS: &[&str] = &["/usr/lib/sysctl.d", "/run/sysctl.d", "/etc/sysctl.d"];
/// The legacy file, applied last.
pub const SYSCTL_CONF: &str = "/etc/sysctl.conf";

/// The kernel parameters the files set, after precedence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sysctl {
    /// Key (dotted) to value and the file that set it.
    pub values: BTreeMap<String, (String, String)>,
    /// Files read, in application order.
    pub files: Vec<String>,
    /// Files that could not be read, with the reason.
    pub problems: Vec<String>,
}

impl Sysctl {
    /// Reads every `*.conf` in [`SYSCTL_DIRS`] (sorted by file name across directories, later
    /// directories winning for equal names), then [`SYSCTL_CONF`]. Later assignments win.
    pub fn load(source: &dyn HostFiles) -> Self {
        let mut by_name: BTreeMap<String, String> = BTreeMap::new();
        let mut out = Self::default();
        for dir in SYSCTL_DIRS {
            match source.list(dir) {
                Listing::Entries(names) => {
                    for name in names.into_iter().filter(|n| n.ends_with(".conf")) {
                        let path = join(dir, &name);
                        by_name.insert(name, path);
                    }
                }
                Listing::Missing => {}
                Listing::Unreadable(why) => out.problems.push(format!("{dir}: {why}")),
            }
        }
        let mut paths: Vec<String> = by_name.into_values().collect();
        paths.push(SYSCTL_CONF.to_owned());
        for path in paths {
            match source.read(&path) {
                FileState::Present(text) => {
                    out.apply(&path, &text);
                    out.files.push(path);
                }
                FileState::Missing => {}
                FileState::Unreadable(why) => out.problems.push(format!("{path}: {why}")),
            }
        }
        out
    }

    /// Applies one file's assignments (`key = value`, `key=value`, `/`-separated keys, a
    /// leading `-` meaning "ignore errors"; `#` and `;` comments).
    pub fn apply(&mut self, path: &str, text: &str) {
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let key = key.trim().trim_start_matches('-').replace('/', ".");
            let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
            if !key.is_empty() {
                self.values.insert(key, (value, path.to_owned()));
            }
        }
    }

    /// The value of `key`, if some file sets it.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(|(v, _)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::MemoryHost;

    #[test]
    fn etc_hides_usr_lib_and_later_files_win() {
        let mut host = MemoryHost::new();
        host.insert(
            "/usr/lib/sysctl.d/50-default.conf",
            "kernel.kptr_restrict = 1\n",
        )
        .insert(
            "/etc/sysctl.d/50-default.conf",
            "kernel.kptr_restrict = 2\n",
        )
        .insert("/etc/sysctl.d/10-a.conf", "kernel/dmesg_restrict=0\n")
        .insert(
            "/etc/sysctl.d/99-z.conf",
            "-kernel.dmesg_restrict = 1 # x\n",
        )
        .insert("/etc/sysctl.d/README", "kernel.dmesg_restrict = 0\n");
        let s = Sysctl::load(&host);
        assert_eq!(s.get("kernel.kptr_restrict"), Some("2"));
        assert_eq!(s.get("kernel.dmesg_restrict"), Some("1 # x"));
    }
}
