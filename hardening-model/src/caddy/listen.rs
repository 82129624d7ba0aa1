//! Where Caddy listens: the addresses it binds (`default_bind`) and, optionally, non-standard
//! HTTP/HTTPS ports.
//!
//! Without `default_bind`, Caddy listens on every address of the host (docker-bench 5.14 flags
//! the same for published container ports). When the public interface's addresses are known,
//! bind only those.

use std::net::IpAddr;

use crate::values::Port;
use crate::{Error, Problem, Result};

/// The addresses and ports Caddy listens on.
///
/// ```
/// use hardening_model::caddy::Listen;
///
/// let listen = Listen::on(&["203.0.113.7".parse().unwrap(), "2001:db8::7".parse().unwrap()]).unwrap();
/// assert_eq!(listen.addresses().len(), 2);
/// let err = Listen::on(&["0.0.0.0".parse().unwrap()]).unwrap_err();
/// assert_eq!(err.field(), "caddy.listen.addresses[0]");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listen {
    addresses: Vec<IpAddr>,
    ports: Option<(Port, Port)>,
}

impl Listen {
    /// Binds only `addresses` (the public interface's IPv4 and/or IPv6 address; loopback is
    /// allowed for local setups). The wildcard addresses `0.0.0.0` and `::` are refused: they
    /// are exactly the "every interface" this option exists to avoid. Also refused:
    /// multicast and duplicates.
    pub fn on(addresses: &[IpAddr]) -> Result<Self> {
        if addresses.is_empty() {
            return Err(Error::new("caddy.listen.addresses", Problem::Empty));
        }
        for (i, a) in addresses.iter().enumerate() {
            let field = format!("caddy.listen.addresses[{i}]");
            if a.is_unspecified() {
                return Err(Error::invalid(
                    field,
                    "0.0.0.0 and :: bind every interface; name the public interface's addresses",
                ));
            }
            if a.is_multicast() {
                return Err(Error::invalid(field, "a multicast address cannot be bound"));
            }
            if addresses[..i].contains(a) {
                return Err(Error::invalid(field, "listed twice"));
            }
        }
        Ok(Self {
            addresses: addresses.to_vec(),
            ports: None,
        })
    }

    /// Serves HTTP on `http` and HTTPS on `https` instead of 80 and 443 (global `http_port`
    /// and `https_port`), e.g. behind a port-forwarding load balancer.
    ///
    /// # Errors
    /// `caddy.listen.https_port` when both are the same port.
    pub fn with_ports(mut self, http: Port, https: Port) -> Result<Self> {
        if http == https {
            return Err(Error::new(
                "caddy.listen.https_port",
                Problem::Conflict("HTTP and HTTPS need different ports".into()),
            ));
        }
        self.ports = Some((http, https));
        Ok(self)
    }

    /// The bound addresses.
    pub fn addresses(&self) -> &[IpAddr] {
        &self.addresses
    }

    /// The global option lines (one tab indented, each ending in a line feed).
    pub(crate) fn render(&self, out: &mut String) {
        let list: Vec<String> = self.addresses.iter().map(ToString::to_string).collect();
        out.push_str(&format!("\tdefault_bind {}\n", list.join(" ")));
        if let Some((http, https)) = self.ports {
            out.push_str(&format!("\thttp_port {http}\n\thttps_port {https}\n"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_wildcards_and_duplicates() {
        let v6: IpAddr = "::".parse().unwrap();
        assert_eq!(
            Listen::on(&["127.0.0.1".parse().unwrap(), v6])
                .unwrap_err()
                .field(),
            "caddy.listen.addresses[1]"
        );
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(Listen::on(&[a, a]).is_err());
        assert!(Listen::on(&[]).is_err());
        let p = Port::new(8443).unwrap();
        assert!(Listen::on(&[a]).unwrap().with_ports(p, p).is_err());
        let mut out = String::new();
        Listen::on(&[a, "2001:db8::1".parse().unwrap()])
            .unwrap()
            .render(&mut out);
        assert_eq!(out, "\tdefault_bind 192.0.2.1 2001:db8::1\n");
    }
}
