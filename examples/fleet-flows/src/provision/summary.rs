//! What the flow left in place.

use std::fmt;

use cloudflare_client::resources::dns::DnsRecord;

/// Which resources this run created (all false on a re-run).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Created {
    /// The server was created.
    pub server: bool,
    /// The firewall was created.
    pub firewall: bool,
    /// A DNS record (`A` or `AAAA`) was created.
    pub record: bool,
    /// The server's primary IPv4 was created.
    pub primary_ip: bool,
}

impl Created {
    /// Whether anything was created.
    pub fn any(&self) -> bool {
        self.server || self.firewall || self.record || self.primary_ip
    }
}

/// What the flow left in place.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Instance id.
    pub instance_id: String,
    /// Server id.
    pub server_id: u64,
    /// Opaque server name.
    pub server_name: String,
    /// Public IPv4, if any.
    pub ipv4: Option<String>,
    /// Public IPv6 network, if any.
    pub ipv6: Option<String>,
    /// SSH port (sshd, ufw, nftables, Hetzner firewall and the `ssh-port` label).
    pub ssh_port: u16,
    /// Firewall id.
    pub firewall_id: u64,
    /// Firewall name.
    pub firewall_name: String,
    /// The proxied DNS `A` record (the server's IPv4).
    pub record: DnsRecord,
    /// The proxied DNS `AAAA` record (the server's IPv6 address, `<network>::1`), when the
    /// server has IPv6.
    pub record_v6: Option<DnsRecord>,
    /// Size of the rendered user_data in bytes (sent only when the server was created).
    pub user_data_bytes: usize,
    /// Where the host reports ready (its secret is never part of the summary).
    pub callback_url: String,
    /// What this run created.
    pub created: Created,
    /// What this run changed in place (firewall rules, firewall attachment, DNS record).
    pub updated: Vec<String>,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = |created: bool| if created { "created" } else { "reused" };
        writeln!(f, "instance     {}", self.instance_id)?;
        writeln!(
            f,
            "server       {} ({}, {})",
            self.server_id,
            self.server_name,
            state(self.created.server)
        )?;
        writeln!(f, "ipv4         {}", self.ipv4.as_deref().unwrap_or("-"))?;
        writeln!(f, "ipv6         {}", self.ipv6.as_deref().unwrap_or("-"))?;
        writeln!(f, "ssh port     {}", self.ssh_port)?;
        writeln!(
            f,
            "firewall     {} ({}, {})",
            self.firewall_id,
            self.firewall_name,
            state(self.created.firewall)
        )?;
        writeln!(
            f,
            "dns record   {} {} -> {} (proxied: {}, {})",
            self.record.id,
            self.record.name,
            self.record.content,
            self.record.proxied.unwrap_or(false),
            state(self.created.record)
        )?;
        if let Some(v6) = &self.record_v6 {
            writeln!(
                f,
                "dns record   {} {} AAAA -> {} (proxied: {})",
                v6.id,
                v6.name,
                v6.content,
                v6.proxied.unwrap_or(false)
            )?;
        }
        writeln!(f, "ready url    {}", self.callback_url)?;
        write!(f, "user_data    {} bytes", self.user_data_bytes)?;
        for u in &self.updated {
            write!(f, "\nupdated      {u}")?;
        }
        Ok(())
    }
}
