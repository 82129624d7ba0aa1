//! `ntp`: time synchronisation through cloud-init's NTP module.

use hardening_model::values::Domain;

use crate::{Error, Result};

/// NTP settings: the client and the servers or pools it uses.
///
/// ```
/// use cloudinit_builder::Ntp;
/// let ntp = Ntp::chrony().pools(["ntp.ubuntu.com"])?.servers(["ntp1.hetzner.de"])?;
/// assert_eq!(ntp.client(), Some("chrony"));
/// # Ok::<(), cloudinit_builder::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ntp {
    pub(crate) client: Option<String>,
    pub(crate) servers: Vec<Domain>,
    pub(crate) pools: Vec<Domain>,
}

impl Ntp {
    /// NTP handled by chrony (the runbook's choice, section 2.7).
    pub fn chrony() -> Self {
        Self {
            client: Some("chrony".to_owned()),
            servers: Vec::new(),
            pools: Vec::new(),
        }
    }

    /// The distribution's default client.
    pub fn auto() -> Self {
        Self {
            client: None,
            servers: Vec::new(),
            pools: Vec::new(),
        }
    }

    /// Adds servers (host names); duplicates are refused.
    pub fn servers<I, S>(mut self, hosts: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        add_hosts(&mut self.servers, "ntp.servers", hosts)?;
        Ok(self)
    }

    /// Adds pools (host names); duplicates are refused.
    pub fn pools<I, S>(mut self, hosts: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        add_hosts(&mut self.pools, "ntp.pools", hosts)?;
        Ok(self)
    }

    /// The client name, `None` for the default.
    pub fn client(&self) -> Option<&str> {
        self.client.as_deref()
    }
}

fn add_hosts<I, S>(list: &mut Vec<Domain>, field: &str, hosts: I) -> Result<()>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    for h in hosts {
        let i = list.len();
        let d =
            Domain::new(h.as_ref()).map_err(|e| Error::from(e).within(&format!("{field}[{i}]")))?;
        if list.contains(&d) {
            return Err(Error::invalid(format!("{field}[{i}]"), "duplicate host"));
        }
        list.push(d);
    }
    Ok(())
}
