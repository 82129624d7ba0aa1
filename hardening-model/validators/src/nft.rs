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

/// A ruleset loaded for real into a private network namespace, where a probe can send
/// packets through it. Needs root (a user namespace cannot switch to another uid).
#[derive(Debug, Clone)]
pub struct NftNetns {
    nft: PathBuf,
    unshare: PathBuf,
}

/// Finds `nft` and `unshare` for [`NftNetns`]; `None` (after printing why) when either is
/// missing or the tests do not run as root.
///
/// # Panics
/// When `CI` is set and a tool or root is missing.
pub fn nft_netns() -> Option<NftNetns> {
    let nft = require("nft", "apt-get install nftables")?;
    let unshare = require("unshare", "apt-get install util-linux")?;
    if !is_root() {
        return crate::locate::skip(
            "loading a ruleset into a network namespace needs root",
            "run the tests as root",
        );
    }
    Some(NftNetns { nft, unshare })
}

impl NftNetns {
    /// In a fresh network namespace (`unshare -n`, so the host is untouched): brings `lo` up,
    /// loads `ruleset` with `nft -f`, then runs `probe` with `sh -eu`, which sees the nft
    /// binary as `$NFT`. Returns the probe's stdout; a failing step is a [`Rejection`].
    pub fn run(&self, ruleset: &str, probe: &str) -> Result<String, Rejection> {
        let dir = Workdir::new("nft")?;
        let file = dir.write("nftables.conf", ruleset)?;
        let script = dir.write("probe.sh", probe)?;
        let out = exec::run(
            Command::new(&self.unshare)
                .arg("-n")
                .arg("sh")
                .arg("-euc")
                .arg("ip link set lo up && \"$NFT\" -f \"$1\" && sh -eu \"$2\"")
                .arg("sh")
                .arg(&file)
                .arg(&script)
                .env("NFT", &self.nft),
        )?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}
