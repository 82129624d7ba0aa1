//! A private point-to-point link: a network namespace for the guest and a veth pair whose host
//! end carries the only address the guest can reach.

use std::io;
use std::net::Ipv4Addr;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A network namespace (`/run/netns/NAME`) with one veth pair: `host_ip` on this side,
/// `guest_ip` inside, a `/30` between them and no route anywhere else. Removed on drop.
#[derive(Debug)]
pub struct PrivateLink {
    netns: String,
    host_if: String,
    host_ip: Ipv4Addr,
    guest_ip: Ipv4Addr,
}

fn ip(args: &[&str]) -> io::Result<()> {
    let out = Command::new("ip").args(args).output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

impl PrivateLink {
    /// Creates the namespace and the link (names and a `10.213.N.0/30` subnet unique to this
    /// process and call).
    pub fn new() -> io::Result<Self> {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let id = (std::process::id() % 4096) * 16 + n % 16;
        let third = u8::try_from(id % 250).unwrap_or(0);
        let fourth_base = u8::try_from((n % 60) * 4).unwrap_or(0);
        let host_ip = Ipv4Addr::new(10, 213, third, fourth_base + 1);
        let guest_ip = Ipv4Addr::new(10, 213, third, fourth_base + 2);
        let netns = format!("fb{id}");
        let host_if = format!("fbh{id}");
        let guest_if = format!("fbg{id}");
        let link = Self {
            netns: netns.clone(),
            host_if: host_if.clone(),
            host_ip,
            guest_ip,
        };
        ip(&["netns", "add", &netns])?;
        ip(&[
            "link", "add", &host_if, "type", "veth", "peer", "name", &guest_if,
        ])?;
        ip(&["link", "set", &guest_if, "netns", &netns])?;
        ip(&["addr", "add", &format!("{host_ip}/30"), "dev", &host_if])?;
        ip(&["link", "set", &host_if, "up"])?;
        ip(&["-n", &netns, "link", "set", "lo", "up"])?;
        ip(&[
            "-n",
            &netns,
            "addr",
            "add",
            &format!("{guest_ip}/30"),
            "dev",
            &guest_if,
        ])?;
        ip(&["-n", &netns, "link", "set", &guest_if, "up"])?;
        Ok(link)
    }

    /// The namespace's path, for `systemd-nspawn --network-namespace-path`.
    pub fn netns_path(&self) -> String {
        format!("/run/netns/{}", self.netns)
    }

    /// This side's address (bind test listeners here; the guest reaches nothing else).
    pub fn host_ip(&self) -> Ipv4Addr {
        self.host_ip
    }

    /// The guest's address.
    pub fn guest_ip(&self) -> Ipv4Addr {
        self.guest_ip
    }
}

impl Drop for PrivateLink {
    fn drop(&mut self) {
        // Deleting one end of a veth pair deletes both.
        let _ = ip(&["link", "del", &self.host_if]);
        let _ = ip(&["netns", "del", &self.netns]);
    }
}
