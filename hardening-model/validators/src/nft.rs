//! `nft -c -f` on a ruleset, in a private network namespace.

use std::path::PathBuf;
use std::process::Command;

use crate::Rejection;
use crate::exec::{self, Workdir};
use crate::locate::{find_binary, is_root, require};

/// nftables' dry-run check (`-c`), which sends the batch to the kernel without committing, so
/// kernel-side errors are caught too.
#[derive(Debug, Clone)]
pub struct Nft {
    nft: PathBuf,
    unshare: Option<PathBuf>,
    root: bool,
}

/// Finds `nft` (and `unshare`); `None` (after printing why) when nft is missing.
///
/// # Panics
/// When `CI` is set and nft is missing, or it is missing `unshare` while not root.
pub fn nft() -> Option<Nft> {
    let nft = require("nft", "apt-get install nftables")?;
    let root = is_root();
    let unshare = if root {
        find_binary("unshare")
    } else {
        Some(require("unshare", "apt-get install util-linux")?)
    };
    Some(Nft { nft, unshare, root })
}

impl Nft {
    /// Runs `nft -c -f RULESET` inside a fresh, empty network namespace (`unshare -n`, plus `-r`
    /// when not root, since the check needs CAP_NET_ADMIN), so the host's own ruleset neither
    /// changes nor influences the result. Without `unshare` (root only) it checks against the
    /// host's namespace, which `-c` also leaves untouched.
    pub fn check(&self, ruleset: &str) -> Result<(), Rejection> {
        let dir = Workdir::new("nft")?;
        let file = dir.write("nftables.conf", ruleset)?;
        let mut cmd = match &self.unshare {
            Some(unshare) => {
                let mut cmd = Command::new(unshare);
                if !self.root {
                    cmd.arg("-r");
                }
                cmd.arg("-n").arg(&self.nft);
                cmd
            }
            None => Command::new(&self.nft),
        };
        exec::run(cmd.arg("-c").arg("-f").arg(&file)).map(|_| ())
    }
}
