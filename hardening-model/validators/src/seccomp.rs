//! `scmp_sys_resolver`: syscall name to number, per architecture.

use std::path::PathBuf;
use std::process::Command;

use crate::exec;
use crate::locate::require;

/// libseccomp's resolver. Its exit status is always 0, so the printed number is what counts.
#[derive(Debug, Clone)]
pub struct ScmpResolver {
    resolver: PathBuf,
}

/// Finds `scmp_sys_resolver`; `None` (after printing why) when it is missing.
///
/// # Panics
/// When `CI` is set and it is missing.
pub fn scmp_sys_resolver() -> Option<ScmpResolver> {
    require("scmp_sys_resolver", "apt-get install seccomp")
        .map(|resolver| ScmpResolver { resolver })
}

impl ScmpResolver {
    /// Runs `scmp_sys_resolver -a ARCH NAME` and returns the number it prints: `>= 0` is the
    /// native syscall number, `-1` an unknown name, any other negative a pseudo-syscall (known
    /// to libseccomp but not native on that architecture).
    ///
    /// `arch` is a libseccomp name such as `x86_64` or `aarch64`.
    ///
    /// # Panics
    /// When the resolver cannot be run or prints something that is not a number (a broken
    /// installation, which a test should report loudly rather than read as "unknown").
    pub fn resolve(&self, arch: &str, name: &str) -> i64 {
        let mut cmd = Command::new(&self.resolver);
        cmd.args(["-a", arch, "--", name]);
        let out = match exec::output(&mut cmd) {
            Ok(out) => out,
            Err(rejection) => panic!("{rejection}"),
        };
        let text = String::from_utf8_lossy(&out.stdout);
        match text.trim().parse::<i64>() {
            Ok(number) => number,
            Err(_) => panic!(
                "`{}` printed no number: stdout {:?}, stderr {:?}",
                exec::describe(&cmd),
                text,
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }
}
