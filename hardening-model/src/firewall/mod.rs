//! Host and cloud firewall policy (runbook sections 1.4 and 4.1-4.5).
//!
//! One [`FirewallPolicy`] (inbound and outbound allow rules, a rate-limited [`SshAccess`]
//! entry whose port is the one value every layer uses, default deny in, an optional egress
//! allow-list) renders to every firewall layer of a host:
//!
//! | rendering | method | notes |
//! |---|---|---|
//! | ufw commands and `ufw.sh` | [`FirewallPolicy::ufw_commands`], [`FirewallPolicy::ufw_script`] | [`ufw`]: no iptables-persistent, `/etc/ufw/sysctl.conf` neutralised |
//! | `/etc/nftables.conf` | [`FirewallPolicy::nftables_conf`] | [`nftables`]: own table, per-source meters, Docker's FORWARD path, loaded at boot |
//! | DOCKER-USER | [`FirewallPolicy::docker_user_script`] | [`docker_user`]: published ports and container egress |
//! | Hetzner Cloud firewall | [`FirewallPolicy::hetzner_rules`] | [`hetzner`]: 50 rules, 100 CIDRs per rule, 255-character descriptions |
//! | metadata service guard | [`FirewallPolicy::metadata`] | [`metadata`]: containers never, host root only (nftables and DOCKER-USER) |
//! | packages, files, commands for cloud-init | [`FirewallPolicy::host_firewall`] | [`host`]: the host layers together |
//!
//! Why several layers: the Hetzner firewall filters before traffic reaches the host; ufw (or
//! the nftables table) filters the host's own sockets; Docker publishes ports by DNAT, so
//! container traffic in both directions goes through `FORWARD`, which only the DOCKER-USER
//! rules and the nftables `forward` chain see. ufw and the nftables table may run together:
//! both are derived from the same policy, and a packet must pass both.
//!
//! Text that reaches a rendering (descriptions) is validated once, when the policy is built:
//! single line, no quotes, backslashes or shell metacharacters, at most 255 characters.
//! Scripts additionally single-quote every argument.

pub mod docker_user;
pub mod hetzner;
pub mod host;
pub mod metadata;
pub mod nftables;
mod policy;
mod rule;
pub mod ufw;

pub use hetzner::{HetznerDirection, HetznerProtocol, HetznerRule};
pub use metadata::MetadataProtection;
pub use policy::{FirewallPolicy, FirewallPolicyBuilder, SSH_DESCRIPTION, SshAccess};
pub use rule::{MAX_DESCRIPTION_LEN, MAX_PEERS, Protocol, RateLimit, Rule, check_description};
