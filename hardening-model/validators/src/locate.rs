//! Finding validator binaries, and the skip-or-panic rule for missing ones.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// The workspace root (two levels above this crate's manifest directory).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .and_then(Path::parent)
        .map_or_else(|| manifest.to_path_buf(), Path::to_path_buf)
}

/// Whether the `CI` environment variable asks for strict mode (set, and not empty, `0` or
/// `false`). In strict mode a missing validator panics instead of skipping.
pub fn ci_mode() -> bool {
    strict(std::env::var_os("CI").as_deref())
}

fn strict(ci: Option<&OsStr>) -> bool {
    ci.is_some_and(|v| {
        let v = v.to_string_lossy().trim().to_ascii_lowercase();
        !(v.is_empty() || v == "0" || v == "false")
    })
}

/// Reports a validator that cannot run here: prints `skipping: {what} ({hint})` to stderr and
/// returns `None`, or panics with that message in CI mode.
pub(crate) fn skip<T>(what: &str, hint: &str) -> Option<T> {
    let message = format!("skipping: {what} ({hint})");
    if ci_mode() {
        panic!("{message}; CI is set, so validator tests may not skip");
    }
    eprintln!("{message}");
    None
}

/// Looks `name` up in `<workspace root>/.ci/venv/bin`, then on `PATH`.
///
/// The venv comes first: `.ci/install-validators` pins its tools there, and some are newer than
/// the distribution's (Caddy 2.11 there against Debian's 2.6, which lacks `trusted_proxies`).
pub(crate) fn find_binary(name: &str) -> Option<PathBuf> {
    let venv = workspace_root().join(".ci").join("venv").join("bin");
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::iter::once(venv)
        .chain(std::env::split_paths(&path))
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
        .map(|p| std::path::absolute(&p).unwrap_or(p))
}

/// Finds `name` or reports it missing with the install hint (see [`skip`]).
pub(crate) fn require(name: &str, hint: &str) -> Option<PathBuf> {
    match find_binary(name) {
        Some(path) => Some(path),
        None => skip(&format!("{name} not installed"), hint),
    }
}

/// Finds a helper program a test drives (a client such as `curl`), with the same
/// skip-or-panic rule as the validators: `None` after printing `skipping: NAME not installed
/// (HINT)`, or a panic when `CI` is set.
pub fn require_tool(name: &str, hint: &str) -> Option<PathBuf> {
    require(name, hint)
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.file_name().is_some_and(|n| n != OsStr::new(""))
        && std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Whether the tests run as root (uid 0), read from `/proc/self/status`.
pub(crate) fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find(|l| l.starts_with("Uid:"))
            .and_then(|l| l.split_whitespace().nth(2))
            .is_some_and(|effective| effective == "0")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_root_holds_the_workspace_manifest() {
        let manifest = std::fs::read_to_string(workspace_root().join("Cargo.toml")).unwrap();
        assert!(manifest.contains("[workspace]"));
    }

    #[test]
    fn ci_values_that_mean_strict() {
        assert!(strict(Some(OsStr::new("true"))));
        assert!(strict(Some(OsStr::new("1"))));
        assert!(!strict(None));
        assert!(!strict(Some(OsStr::new(""))));
        assert!(!strict(Some(OsStr::new("false"))));
        assert!(!strict(Some(OsStr::new("0"))));
    }

    #[test]
    fn a_missing_tool_is_none_or_a_panic_in_ci() {
        let found = std::panic::catch_unwind(|| require("no-such-validator-xyz", "nowhere"));
        match found {
            Ok(found) => {
                assert!(!ci_mode());
                assert!(found.is_none());
            }
            Err(_) => assert!(ci_mode()),
        }
    }

    #[test]
    fn finds_a_standard_binary_and_not_a_made_up_one() {
        assert!(find_binary("sh").is_some());
        assert!(find_binary("no-such-validator-xyz").is_none());
    }
}
