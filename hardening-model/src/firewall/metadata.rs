//! Protection of the cloud metadata service (`169.254.169.254`).
//!
//! On Hetzner Cloud (as on most clouds) the metadata service hands the whole user-data to
//! anything on the host that asks, and the user-data carries first-boot secrets (the ready
//! callback secret, the backup identity, the log shipper's password). One
//! [`MetadataProtection`] value, part of the [`FirewallPolicy`](super::FirewallPolicy), decides
//! who may reach it, and every rendering derives its rules from it:
//!
//! | who | rule | rendering |
//! |---|---|---|
//! | containers (forwarded traffic) | every IPv4 (`169.254.0.0/16`) and IPv6 (`fe80::/10`) link-local destination is dropped, before anything else | nftables `forward` chain, `DOCKER-USER` (iptables and ip6tables) |
//! | host processes | only root (`meta skuid 0`) reaches the metadata address | nftables `output` chain |
//!
//! ufw has no rule of its own here: its command line cannot match the socket owner, and a
//! plain `ufw deny out` would also lock out cloud-init, which runs as root and reads the
//! metadata service on every boot. The nftables table is loaded next to ufw and a packet
//! must pass both, so the host rule holds whatever ufw allows.
//!
//! After first boot nothing needs the metadata service for its secrets: every secret is
//! written once by cloud-init into a root-owned `0600` file, and the services read those files.
//! Root-owned processes (cloud-init itself on later boots) keep working; a container, even one
//! running as root inside its namespace, is forwarded traffic and never reaches the service. A
//! container with `network_mode: host` is a host process: it is refused unless it runs as uid 0
//! (the stack's node_exporter runs as `nobody`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// The metadata address of Hetzner Cloud (and of most other clouds).
pub const METADATA_ADDRESS: Ipv4Addr = Ipv4Addr::new(169, 254, 169, 254);

/// The IPv4 link-local range containers may never reach (`169.254.0.0/16`).
pub const LINK_LOCAL_V4: IpNet = IpNet::new_assert(IpAddr::V4(Ipv4Addr::new(169, 254, 0, 0)), 16);

/// The IPv6 link-local range containers may never reach (`fe80::/10`).
pub const LINK_LOCAL_V6: IpNet =
    IpNet::new_assert(IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0)), 10);

/// Who may reach the metadata service (see the [module docs](self)).
///
/// ```
/// use hardening_model::firewall::metadata::{MetadataProtection, METADATA_ADDRESS};
/// let guard = MetadataProtection::default();
/// assert_eq!(guard.address(), METADATA_ADDRESS);
/// assert_eq!(guard.host_uid(), Some(0));
/// assert_eq!(guard.container_blocked().len(), 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetadataProtection {
    address: Ipv4Addr,
    host_uid: Option<u32>,
}

impl Default for MetadataProtection {
    /// Containers never, host processes only as root, at [`METADATA_ADDRESS`].
    fn default() -> Self {
        Self {
            address: METADATA_ADDRESS,
            host_uid: Some(0),
        }
    }
}

impl MetadataProtection {
    /// The metadata address this protection names.
    pub fn address(&self) -> Ipv4Addr {
        self.address
    }

    /// The only host uid allowed to reach the service (`Some(0)`: root), or `None` when any
    /// host process may (containers are blocked either way).
    pub fn host_uid(&self) -> Option<u32> {
        self.host_uid
    }

    /// Lets every host process reach the service (containers stay blocked).
    #[must_use]
    pub fn any_host_process(mut self) -> Self {
        self.host_uid = None;
        self
    }

    /// The destinations container traffic may never reach: the IPv4 and IPv6 link-local
    /// ranges (the metadata address is in the first).
    pub fn container_blocked(&self) -> [IpNet; 2] {
        [LINK_LOCAL_V4, LINK_LOCAL_V6]
    }

    /// The nftables rules at the top of the `forward` chain (one per line, tab-indented).
    pub(crate) fn nft_forward(&self) -> String {
        let [v4, v6] = self.container_blocked();
        format!(
            "\t\tip daddr {v4} counter drop comment \"containers never reach link-local or the metadata service\"\n\
             \t\tip6 daddr {v6} counter drop comment \"containers never reach IPv6 link-local\"\n"
        )
    }

    /// The nftables rule at the top of the `output` chain, if host access is restricted.
    pub(crate) fn nft_output(&self) -> Option<String> {
        self.host_uid.map(|uid| {
            format!(
                "\t\tip daddr {} meta skuid != {uid} counter drop comment \"metadata service for uid {uid} only\"\n",
                self.address
            )
        })
    }

    /// The DOCKER-USER destination for `v6` (ip6tables) or IPv4.
    pub(crate) fn docker_user_blocked(&self, v6: bool) -> IpNet {
        self.container_blocked()[usize::from(v6)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_blocked_ranges_hold_the_metadata_address() {
        let guard = MetadataProtection::default();
        let [v4, v6] = guard.container_blocked();
        assert!(v4.contains(&IpAddr::V4(METADATA_ADDRESS)));
        assert_eq!(v6.to_string(), "fe80::/10");
        assert_eq!(LINK_LOCAL_V4.to_string(), "169.254.0.0/16");
        assert_eq!(guard.docker_user_blocked(true), v6);
    }

    #[test]
    fn host_access_is_root_only_unless_opened() {
        let guard = MetadataProtection::default();
        assert!(
            guard
                .nft_output()
                .unwrap()
                .contains("meta skuid != 0 counter drop")
        );
        assert!(guard.any_host_process().nft_output().is_none());
    }
}
