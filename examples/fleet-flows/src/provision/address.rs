//! The server's public IPv4, made before the server as a primary IP, so the first-boot
//! document binds Caddy to that address only (docker-bench 5.14) instead of every address.

use std::net::Ipv4Addr;

use hetzner_client::Labels;
use hetzner_client::models::common::IpType;
use hetzner_client::models::primary_ip::PrimaryIp;
use hetzner_client::resources::primary_ips::CreatePrimaryIp;

use crate::backends::Backends;
use crate::error::{Error, Result};
use crate::instance::{INSTANCE_LABEL, Instance};
use crate::progress::Progress;

/// The primary IPv4's name: the server's opaque name with `-v4`, unique in the project like
/// the server's, so a concurrent flow on the same instance adopts it instead of making another.
///
/// ```
/// assert_eq!(fleet_flows::provision::primary_ipv4_name("srv-3f9a"), "srv-3f9a-v4");
/// ```
pub fn primary_ipv4_name(server_name: &str) -> String {
    format!("{server_name}-v4")
}

/// The address Caddy binds, parsed from a primary IP.
///
/// # Errors
/// [`Error::State`] when the API's address is not IPv4.
pub fn ipv4_of(ip: &PrimaryIp) -> Result<Ipv4Addr> {
    ip.ip.parse().map_err(|_| {
        Error::State(format!(
            "primary IP {} reports {:?}, not an IPv4 address",
            ip.id, ip.ip
        ))
    })
}

/// The instance's primary IPv4 in the server's location, created or adopted by name (labelled
/// with the instance, deleted with its server unless a retire keeps it). Returns it and
/// whether this call created it.
///
/// # Errors
/// [`Error::State`] when the name belongs to another instance or the address is assigned
/// elsewhere; the API's error otherwise.
pub(crate) async fn ensure_primary_ipv4(
    backends: &Backends,
    instance: &Instance,
    server_name: &str,
    location: &str,
    labels: &Labels,
    progress: &Progress,
) -> Result<(PrimaryIp, bool)> {
    let hetzner = &backends.hetzner;
    let name = primary_ipv4_name(server_name);
    progress.step(format!("ensuring primary IPv4 {name}"));
    // Called only when the instance has no server: create straight away and adopt by name
    // when the name is taken (an earlier run that stopped before the server, or a concurrent
    // flow), like the firewall.
    let create = CreatePrimaryIp::new(name.as_str(), IpType::Ipv4)
        .location(location)
        .auto_delete(true)
        .labels(labels.clone());
    let (ip, created) = match hetzner.primary_ips().create(&create).await {
        Ok(out) => {
            if let Some(action) = &out.action {
                progress
                    .wait(
                        "primary IP",
                        backends.actions.wait(std::slice::from_ref(action)),
                    )
                    .await?;
            }
            (out.value, !out.reconciled)
        }
        Err(e) if e.is_uniqueness_error_on("name") => {
            let ip = hetzner.primary_ips().get_by_name(&name).await?;
            (
                ip.ok_or_else(|| {
                    Error::State(format!("primary IP {name} is taken but cannot be found"))
                })?,
                false,
            )
        }
        Err(e) => return Err(e.into()),
    };
    if ip.labels.get(INSTANCE_LABEL) != Some(instance.as_str()) {
        return Err(Error::State(format!(
            "primary IP {name} belongs to another instance; resolve that by hand"
        )));
    }
    Ok((ip, created))
}
