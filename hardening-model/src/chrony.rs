//! Time synchronisation with chrony (runbook 2.7), rendered to `/etc/chrony/chrony.conf`.
//!
//! The host is a client only: `deny all` refuses NTP clients and the command port is bound to
//! loopback. On Ubuntu 24.04, installing `chrony` removes `systemd-timesyncd`; disabling the
//! latter is kept as a step that may fail.

use std::fmt;
use std::net::IpAddr;

use crate::command::HostCommand;
use crate::values::Domain;
use crate::{Error, Problem, RenderedFile, Result};

/// Path of the rendered configuration.
pub const CHRONY_PATH: &str = "/etc/chrony/chrony.conf";

/// Where time comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NtpHost {
    /// A DNS name.
    Domain(Domain),
    /// An address.
    Ip(IpAddr),
}

impl fmt::Display for NtpHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Domain(d) => f.write_str(d.as_str()),
            Self::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

/// `server` (one host) or `pool` (a name resolving to several).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// `server`.
    Server,
    /// `pool`.
    Pool,
}

/// One time source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NtpSource {
    /// `server` or `pool`.
    pub kind: SourceKind,
    /// The host.
    pub host: NtpHost,
    /// `iburst`: fast initial synchronisation.
    pub iburst: bool,
    /// `nts`: authenticate with Network Time Security (the source must support it).
    pub nts: bool,
}

impl NtpSource {
    /// A `server NAME iburst` source.
    pub fn server(host: Domain) -> Self {
        Self {
            kind: SourceKind::Server,
            host: NtpHost::Domain(host),
            iburst: true,
            nts: false,
        }
    }

    /// A `pool NAME iburst` source.
    pub fn pool(host: Domain) -> Self {
        Self {
            kind: SourceKind::Pool,
            ..Self::server(host)
        }
    }
}

/// The chrony configuration.
///
/// ```
/// use hardening_model::chrony::{ChronyPolicy, NtpSource};
/// use hardening_model::values::Domain;
///
/// let c = ChronyPolicy::new(vec![NtpSource::server(Domain::new("ntp1.hetzner.de").unwrap())]);
/// let text = c.render().unwrap().content;
/// assert!(text.contains("\nserver ntp1.hetzner.de iburst\n"));
/// assert!(text.contains("\ndeny all\n"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChronyPolicy {
    sources: Vec<NtpSource>,
    /// `makestep` threshold in tenths of a second (10 = 1.0 s).
    pub makestep_threshold_tenths: u16,
    /// `makestep` limit: the number of first updates in which the clock may step.
    pub makestep_limit: u8,
    /// `log measurements statistics tracking` into `/var/log/chrony`.
    pub log_statistics: bool,
}

impl ChronyPolicy {
    /// A client of `sources`; steps the clock when more than 1 s off during the first three
    /// updates, logs statistics.
    pub fn new(sources: Vec<NtpSource>) -> Self {
        Self {
            sources,
            makestep_threshold_tenths: 10,
            makestep_limit: 3,
            log_statistics: true,
        }
    }

    /// The sources.
    pub fn sources(&self) -> &[NtpSource] {
        &self.sources
    }

    /// `/etc/chrony/chrony.conf` (mode 0644).
    pub fn render(&self) -> Result<RenderedFile> {
        if self.sources.is_empty() {
            return Err(Error::new("chrony.sources", Problem::Empty));
        }
        if self.makestep_threshold_tenths == 0 || self.makestep_limit == 0 {
            return Err(Error::invalid(
                "chrony.makestep",
                "threshold and limit must be positive",
            ));
        }
        let mut out = String::from("# Rendered by hardening-model: NTP client only.\n");
        for s in &self.sources {
            let kind = match s.kind {
                SourceKind::Server => "server",
                SourceKind::Pool => "pool",
            };
            out.push_str(&format!("{kind} {}", s.host));
            if s.iburst {
                out.push_str(" iburst");
            }
            if s.nts {
                out.push_str(" nts");
            }
            out.push('\n');
        }
        let t = self.makestep_threshold_tenths;
        out.push_str(&format!(
            "\ndriftfile /var/lib/chrony/chrony.drift\n\
             ntsdumpdir /var/lib/chrony\n\
             makestep {}.{} {}\n\
             rtcsync\n\
             leapseclist /usr/share/zoneinfo/leap-seconds.list\n",
            t / 10,
            t % 10,
            self.makestep_limit
        ));
        if self.log_statistics {
            out.push_str("logdir /var/log/chrony\nlog measurements statistics tracking\n");
        }
        out.push_str(
            "\n# Commands from loopback only; serve no NTP clients.\n\
             bindcmdaddress 127.0.0.1\n\
             bindcmdaddress ::1\n\
             deny all\n",
        );
        Ok(RenderedFile::root(CHRONY_PATH, 0o644, out))
    }

    /// Packages to install.
    pub fn packages(&self) -> &'static [&'static str] {
        &["chrony"]
    }

    /// Switch from `systemd-timesyncd` to chrony and load the configuration.
    pub fn commands(&self) -> Vec<HostCommand> {
        vec![
            HostCommand::new(
                ["systemctl", "disable", "--now", "systemd-timesyncd.service"],
                "one time daemon only (installing chrony usually removes timesyncd already)",
            )
            .allow_failure(),
            HostCommand::new(
                ["systemctl", "enable", "chrony.service"],
                "start chrony at boot",
            ),
            HostCommand::new(
                ["systemctl", "restart", "chrony.service"],
                "load the new configuration",
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_sources_rejected() {
        assert_eq!(
            ChronyPolicy::new(vec![]).render().unwrap_err().field(),
            "chrony.sources"
        );
    }

    #[test]
    fn makestep_and_nts_rendered() {
        let mut src = NtpSource::pool(Domain::new("time.cloudflare.com").unwrap());
        src.nts = true;
        let mut c = ChronyPolicy::new(vec![src]);
        c.makestep_threshold_tenths = 5;
        let text = c.render().unwrap().content;
        assert!(text.contains("pool time.cloudflare.com iburst nts\n"));
        assert!(text.contains("makestep 0.5 3\n"));
        let ip = NtpSource {
            kind: SourceKind::Server,
            host: NtpHost::Ip("2a01:4ff:ff00::add:1".parse().unwrap()),
            iburst: false,
            nts: false,
        };
        let text = ChronyPolicy::new(vec![ip]).render().unwrap().content;
        assert!(text.contains("server 2a01:4ff:ff00::add:1\n"));
    }
}
