//! Names and ports derived from the instance id with a keyed hash (HMAC-SHA-256), so that two
//! flows on one instance, started at the same time in different processes, agree on them:
//! the same opaque server name (Hetzner's name uniqueness then refuses the second create, and
//! its flow adopts the first server), and the same SSH port (so neither rewrites the shared
//! firewall's SSH rule to a port the other's server does not listen on).
//!
//! The key keeps the names opaque: without it nobody can tell which instance a server name
//! belongs to. [`DEFAULT_NAME_KEY`] is used when no key is given; it is public, so names made
//! with it are only opaque to someone who does not know the instance ids.

use aws_lc_rs::hmac;
use cloudinit_builder::Secret;

use crate::instance::Instance;
use crate::provision::SSH_PORT_RANGE;

/// The key used when [`crate::provision::ProvisionRequest::name_key`] is `None`.
pub const DEFAULT_NAME_KEY: &str = "hardened-fleet server names v1";

fn tag(key: Option<&Secret>, purpose: &str, instance: &Instance) -> hmac::Tag {
    let key_bytes = key.map_or(DEFAULT_NAME_KEY.as_bytes(), |k| k.expose().as_bytes());
    let key = hmac::Key::new(hmac::HMAC_SHA256, key_bytes);
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(purpose.as_bytes());
    ctx.update(&[0]);
    ctx.update(instance.as_str().as_bytes());
    ctx.sign()
}

/// The server name of `instance` in `location`: `rc-<location>-<12 hex digits>`.
///
/// ```
/// use fleet_flows::Instance;
/// use fleet_flows::naming::server_name;
/// let a = server_name(None, &Instance::new("inst-0042")?, "fsn1");
/// assert_eq!(a, server_name(None, &Instance::new("inst-0042")?, "fsn1"));
/// assert_ne!(a, server_name(None, &Instance::new("inst-0043")?, "fsn1"));
/// assert!(a.starts_with("rc-fsn1-") && a.len() == "rc-fsn1-".len() + 12);
/// # Ok::<(), fleet_flows::Error>(())
/// ```
pub fn server_name(key: Option<&Secret>, instance: &Instance, location: &str) -> String {
    let t = tag(key, "server-name", instance);
    let hex: String = t.as_ref()[..6].iter().map(|b| format!("{b:02x}")).collect();
    format!("rc-{location}-{hex}")
}

/// The SSH port of a new `instance`, in [`SSH_PORT_RANGE`].
///
/// ```
/// use fleet_flows::Instance;
/// use fleet_flows::naming::ssh_port;
/// use fleet_flows::provision::SSH_PORT_RANGE;
/// let port = ssh_port(None, &Instance::new("inst-0042")?);
/// assert!(SSH_PORT_RANGE.contains(&port));
/// # Ok::<(), fleet_flows::Error>(())
/// ```
pub fn ssh_port(key: Option<&Secret>, instance: &Instance) -> u16 {
    let t = tag(key, "ssh-port", instance);
    let n = u32::from(u16::from_be_bytes([t.as_ref()[0], t.as_ref()[1]]));
    let (lo, hi) = (
        u32::from(*SSH_PORT_RANGE.start()),
        u32::from(*SSH_PORT_RANGE.end()),
    );
    u16::try_from(lo + n % (hi - lo + 1)).unwrap_or(*SSH_PORT_RANGE.start())
}
