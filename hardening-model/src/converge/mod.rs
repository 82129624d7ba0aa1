//! Day-2 convergence, host side: how a change of desired state reaches a running host
//! without a reprovision.
//!
//! # Design: a signed pull
//!
//! The operator publishes a versioned **bundle** to the S3-compatible object store it already
//! runs for backups: a [`Manifest`] (version, creation time, instance selector, and for every
//! desired host file its path, mode, SHA-256 and [`Validator`]), its SSH signature
//! `manifest.sig` (SSHSIG, namespace [`NAMESPACE`], Ed25519) and the contents as
//! `files/<sha256>`. On every host a root systemd timer runs the agent ([`AgentConfig::files`]),
//! a POSIX sh script that:
//!
//! 1. fetches `manifest` and `manifest.sig` with rclone (the backup job's remote shape and
//!    credential variables);
//! 2. verifies the signature with `ssh-keygen -Y verify` against the `allowed_signers` pinned at
//!    first boot: only that key, only that namespace;
//! 3. rejects a version not above the applied one (an older bundle, or a replay of the applied
//!    version with other content); re-serving the applied bundle is a no-op;
//! 4. fetches every file, checks its SHA-256, and validates it with the real tool (`nft -c -f`,
//!    `sshd -t -f`, `caddy validate`, `ssh-keygen -l -f`, `iptables-restore --test` for ufw
//!    rules files) — all before touching anything;
//! 5. applies: each file is staged next to its target and renamed over it, and every file the
//!    previous bundle managed that this one no longer names is removed (the agent keeps the
//!    list of managed files), the previous bytes of both kept; nftables, ufw, sshd and Caddy
//!    are reloaded where a file of theirs changed or went away;
//! 6. checks the control path: sshd must answer `ssh-keyscan` on its port and the site health
//!    URL (if set) must answer `curl -f`; otherwise every file is restored (removed ones
//!    included, new ones removed) and the services reloaded again (state `rolled-back`);
//! 7. records the applied version and writes a status file listing every managed file's
//!    on-disk SHA-256, signs it with HMAC-SHA256 under the instance's report key (the
//!    provisioning callback secret) and uploads it to the report remote.
//!
//! A rejected bundle leaves every managed file untouched; only the status and report change.
//!
//! **Why pull, not push over SSH:** the fleet's hosts need no inbound path beyond what they
//! have; publishing is one upload whatever the fleet size (no SSH fan-out, no bastion
//! bottleneck, no short-lived certificate per host); a host that is off or partitioned
//! converges on its next tick; and the trust anchor is a stock tool (`ssh-keygen -Y verify`,
//! OpenSSH 8.1+) with a key pinned at first boot, so a compromised store can withhold updates
//! but never forge, downgrade or replay one. The cost is latency: a change lands within the
//! timer interval (default 5 minutes plus up to 10 % random delay).
//!
//! **Why a line manifest:** the host parses it with `read` and `case` in POSIX sh, with no
//! JSON parser, and [`Manifest::parse`] accepts only the canonical form [`Manifest::render`]
//! produces, so the signed bytes are the bytes both sides read.
//!
//! # Wiring into first boot
//!
//! The first-boot document installs [`AgentConfig::first_boot_files`] (configuration, pinned
//! signer, labels, service and timer, and a small bootstrap in place of the agent), writes
//! [`REPORT_KEY_PATH`] (0600, the callback secret) and [`STORE_ENV_PATH`] (0600, read-only
//! store keys plus write access to the report prefix), then runs `systemctl enable --now hf-agent.timer`.
//!
//! The service runs the bootstrap ([`BOOTSTRAP_SCRIPT`] at [`BOOTSTRAP_PATH`], about thirty
//! lines) rather than the agent. On every tick it fetches `agent` and `agent.sig` from the
//! bundle remote (same rclone arguments and store keys as the agent), verifies them with
//! `ssh-keygen -Y verify` against the same pinned `allowed_signers` in its own namespace
//! [`AGENT_NAMESPACE`], installs the agent at [`AGENT_PATH`] (0755, staged and renamed) when
//! the verified bytes differ from the installed ones, and `exec`s it. The control plane
//! publishes the agent, signed with the bundle key, with every bundle (`fleet-flows`).
//!
//! - Store unreachable, agent installed: the installed agent runs (and reports `unreachable`
//!   itself). Store unreachable, no agent yet: status `state=unreachable`, exit 4, which the
//!   service counts as success like the agent's own exit 4.
//! - An agent that does not verify (tampered, unsigned, signed by another key or in the bundle
//!   namespace): status `state=rejected`, exit 2, nothing installed and nothing run.
//!
//! **Why a bootstrap:** the agent is over 8 KB of script, the largest single item of the
//! first-boot document, whose user data Hetzner caps at 32 KiB and the preset budgets at
//! 24 KiB. The bootstrap is under a quarter of that: the realistic everything-on document
//! drops from 25,110 B to 22,932 B. The trust model is unchanged: the agent that runs is one
//! the pinned key signed, as for bundles, and a compromised store can still only withhold. It
//! also lets the operator ship a fixed agent to a running fleet by publishing, without a
//! reprovision. The cost: a host's first agent arrives with the first publish, not at boot
//! (until then the status says `unreachable`), and an older agent the key once signed could be
//! served again (the version checks are kept in the host's state, which every agent version
//! honours). [`AgentConfig::files`] still installs the agent itself for hosts not built with
//! the bootstrap.
//!
//! The control-plane side (building, signing and publishing bundles, reading reports, the
//! fleet drift audit) lives in `fleet-flows`.

mod agent;
mod manifest;

pub use agent::{
    AGENT_NAMESPACE, AGENT_PATH, AGENT_SCRIPT, ALLOWED_SIGNERS_PATH, AgentConfig, BOOTSTRAP_PATH,
    BOOTSTRAP_SCRIPT, CONF_PATH, LABELS_PATH, NAMESPACE, REPORT_KEY_PATH, STATUS_PATH,
    STORE_ENV_PATH,
};
pub use manifest::{ALLOWED_ROOTS, MAGIC, ManagedFile, Manifest, Selector, Sha256Hex, Validator};
