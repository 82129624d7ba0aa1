//! The end-to-end provisioning flow behind `cargo run --example provision`.
//!
//! Policy values → hardened cloud-init → Hetzner firewall (SSH port and Cloudflare ranges from
//! the same values) → server with an opaque name and safe labels → wait for its actions →
//! proxied Cloudflare DNS records for the customer subdomain (`A` for the IPv4, `AAAA` for the
//! server's IPv6 address `<network>::1`) → [`Summary`].
//!
//! Idempotent by instance id: the server carries the label `instance=<id>` and the firewall is
//! named `fw-<id>`, so a second run finds both (and the DNS record by name) and creates
//! nothing. The SSH port of an existing instance is read back from its `ssh-port` label, so a
//! re-run never renders a second, different port.
//!
//! The user_data is [`HardenedHost::runbook`](cloudinit_builder::preset::HardenedHost::runbook)
//! rendered within 32 KiB (see [`HostPolicy`]). Its secrets, the ready-callback secret and the
//! backup store's keys, go only into root-owned `0600` files on the host; the flow never prints
//! them, and labels, names and the [`Summary`] never hold them. The backups' age identity is
//! not among them: the host gets only its recipient, so it cannot read its own backups.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> fleet_flows::Result<()> {
//! use fleet_flows::{Backends, Progress};
//! use fleet_flows::provision::{ProvisionRequest, provision};
//!
//! let backends = Backends::simulated("example.com")?;
//! # backends.hetzner_sim.as_ref().unwrap().set_action_duration(std::time::Duration::from_millis(10));
//! let request = ProvisionRequest::new("inst-0042", "acme", "example.com");
//! let first = provision(&backends, &request, &Progress::silent()).await?;
//! let again = provision(&backends, &request, &Progress::silent()).await?;
//! assert!(first.created.server && !again.created.any());
//! assert_eq!(first.server_id, again.server_id);
//! # Ok(()) }
//! ```

use cloudflare_client::resources::dns::{
    DnsFilter, DnsRecord, DnsRecordPatch, NewDnsRecord, RecordType,
};
use std::net::IpAddr;

use cloudinit_builder::Secret;
use hardening_model::presets::firewall::cloudflare_fallback_ranges;
use hardening_model::values::{Domain, Port, UnixUser};
use hetzner_client::LabelSelector;
use hetzner_client::models::firewall::FirewallRule;
use hetzner_client::models::server::{Server, ServerStatus};
use hetzner_client::resources::ListParams;
use hetzner_client::resources::firewalls::CreateFirewall;
use hetzner_client::resources::servers::CreateServer;

use crate::backends::Backends;
use crate::error::{Error, Result};
use crate::host::HostPolicy;
use crate::instance::Instance;
use crate::progress::Progress;
use crate::secrets;

mod address;
mod inputs;
mod request;
mod summary;

pub use address::{ipv4_of, primary_ipv4_name};
pub use inputs::{Prepared, ProvisionInputs};
pub use request::{ProvisionRequest, instance_store};
pub use summary::{Created, Summary};

pub use crate::instance::INSTANCE_LABEL;
/// Label holding the SSH port (the same value sshd, ufw, nftables and the firewall use).
pub const SSH_PORT_LABEL: &str = "ssh-port";
/// Label marking what this flow manages.
pub const MANAGED_BY_LABEL: &str = "managed-by";
/// Value of [`MANAGED_BY_LABEL`].
pub const MANAGED_BY: &str = "hardened-fleet";
/// Random SSH ports are drawn from this range (above the common service ports, below the
/// Linux ephemeral range).
pub const SSH_PORT_RANGE: std::ops::RangeInclusive<u16> = 20_000..=32_767;

/// Runs the flow. See the [module documentation](self).
///
/// # Errors
/// A rejected value (nothing sent), a missing zone, or an API error that retries and
/// reconciliation could not absorb.
pub async fn provision(
    backends: &Backends,
    request: &ProvisionRequest,
    progress: &Progress,
) -> Result<Summary> {
    request.validate()?;
    let instance = request.instance()?;
    let hetzner = &backends.hetzner;
    let cloudflare = &backends.cloudflare;
    let mut created = Created::default();
    let mut updated = Vec::new();

    // the document must fit Hetzner's user_data limit before anything is sent
    check_user_data(request, backends.hetzner_sim.is_some())?;

    progress.step(format!("looking for instance {instance}"));
    let existing = find_server(backends, &instance).await?;
    let ssh_port = choose_ssh_port(request, &instance, existing.as_ref())?;

    progress.step(format!(
        "reading Cloudflare zone {} and edge ranges",
        request.zone
    ));
    let zone = cloudflare
        .zones()
        .get_by_name(&request.zone)
        .await?
        .ok_or_else(|| {
            Error::State(format!(
                "Cloudflare zone {} not found (or the token cannot see it)",
                request.zone
            ))
        })?;
    let ranges = cloudflare.ips().get().await?.to_model();

    let simulated = backends.hetzner_sim.is_some();
    // Caddy's address is the server's primary IPv4, known once it exists (below); the
    // firewall rules do not depend on it.
    let mut policy = host_policy(request, ssh_port, ranges, simulated, PREFLIGHT_BIND)?;
    let rules =
        hetzner_client::policy::rules_from_policy(&policy.firewall_policy()?.hetzner_rules()?)?;
    let labels = request.labels(ssh_port)?;

    // Every named Hetzner SSH key must exist before anything is created.
    if existing.is_none() {
        for (i, name) in request.hetzner_ssh_keys.iter().enumerate() {
            if hetzner.ssh_keys().get_by_name(name).await?.is_none() {
                return Err(Error::invalid(
                    format!("hetzner_ssh_keys[{i}]"),
                    format!("no SSH key named {name:?} in the Hetzner project"),
                ));
            }
        }
    }

    // Firewall: unique name per instance. A fresh instance creates it straight away and
    // adopts it by name when the name is taken (an earlier run or a concurrent flow); a known
    // instance looks it up first.
    let fw_name = request.firewall_name();
    progress.step(format!("ensuring firewall {fw_name}"));
    let found = match existing {
        Some(_) => hetzner.firewalls().get_by_name(&fw_name).await?,
        None => None,
    };
    // (firewall, whether it predates this run and so may carry other rules)
    let (firewall, adopted) = match found {
        Some(fw) => (fw, true),
        None => {
            let create = CreateFirewall::new(fw_name.as_str())
                .labels(labels.clone())
                .rules(rules.clone());
            match hetzner.firewalls().create(&create).await {
                Ok(out) => {
                    created.firewall = !out.reconciled;
                    if !out.actions.is_empty() {
                        progress
                            .wait("firewall", backends.actions.wait(&out.actions))
                            .await?;
                    }
                    (out.firewall, out.reconciled)
                }
                Err(e) if e.is_uniqueness_error_on("name") => {
                    let fw = hetzner
                        .firewalls()
                        .get_by_name(&fw_name)
                        .await?
                        .ok_or_else(|| {
                            Error::State(format!("firewall {fw_name} is taken but cannot be found"))
                        })?;
                    (fw, true)
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    if adopted && !same_rules(&firewall.rules, &rules) {
        let actions = hetzner.firewalls().set_rules(firewall.id, &rules).await?;
        progress
            .wait("firewall rules", backends.actions.wait(&actions))
            .await?;
        updated.push(format!("firewall {} rules", firewall.id));
    }

    // Server: found by its instance label; created with an opaque name otherwise. A server
    // this run created and whose actions (create_server, start_server) all finished is
    // running, and its create answer already holds its addresses: no extra GET for it.
    let mut started = false;
    let user_data_bytes;
    let server = match existing {
        Some(server) => {
            progress.step(format!("reusing server {} ({})", server.id, server.name));
            if !server
                .public_net
                .firewalls
                .iter()
                .any(|f| f.id == firewall.id)
            {
                let actions = hetzner.attach_checked(firewall.id, server.id, true).await?;
                progress
                    .wait("firewall attachment", backends.actions.wait(&actions))
                    .await?;
                updated.push(format!(
                    "firewall {} applied to server {}",
                    firewall.id, server.id
                ));
            }
            if let Some(v4) = &server.public_net.ipv4 {
                policy.caddy_bind = v4.ip.parse().map_err(|_| {
                    Error::State(format!("server {} reports IPv4 {:?}", server.id, v4.ip))
                })?;
            }
            user_data_bytes = policy.user_data()?.len();
            server
        }
        None => {
            let name =
                crate::naming::server_name(request.name_key.as_ref(), &instance, &request.location);
            let (ip, made) = address::ensure_primary_ipv4(
                backends,
                &instance,
                &name,
                &request.location,
                &labels,
                progress,
            )
            .await?;
            created.primary_ip = made;
            policy.caddy_bind = IpAddr::V4(ipv4_of(&ip)?);
            progress.step("rendering the hardened cloud-init document");
            let user_data = policy.user_data()?;
            user_data_bytes = user_data.len();
            progress.step(format!(
                "creating server {name} ({}, {}, user_data {} bytes)",
                request.server_type,
                request.location,
                user_data.len()
            ));
            let mut req = CreateServer::new(
                name.as_str(),
                request.server_type.as_str(),
                request.image.as_str(),
            )
            .location(request.location.as_str())
            .primary_ips(Some(ip.id), None)
            .firewall(firewall.id)
            .labels(labels.clone())
            .user_data(user_data.as_str());
            for key in &request.hetzner_ssh_keys {
                req = req.ssh_key(key.as_str());
            }
            match hetzner.servers().create(&req).await {
                Ok(out) => {
                    created.server = !out.reconciled;
                    let actions = out.actions();
                    if !actions.is_empty() {
                        progress
                            .wait("server actions", backends.actions.wait(&actions))
                            .await?;
                        started = actions.iter().any(|a| a.command == "start_server");
                    }
                    out.server
                }
                // another flow on this instance created it first (same derived name, so the
                // name is taken or the shared primary IP is already assigned): adopt
                Err(e)
                    if e.is_uniqueness_error_on("name")
                        || e.api().is_some_and(|a| {
                            a.invalid_fields()
                                .iter()
                                .any(|f| f.name == "public_net.ipv4")
                        }) =>
                {
                    let theirs = hetzner.servers().get_by_name(&name).await?.ok_or_else(|| {
                        Error::State(format!("server name {name} is taken but cannot be found"))
                    })?;
                    if theirs.labels.get(INSTANCE_LABEL) != Some(instance.as_str()) {
                        return Err(Error::State(format!(
                            "server {name} exists for another instance; resolve that by hand"
                        )));
                    }
                    theirs
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    let server = if started && server.public_net.ipv4.is_some() {
        server
    } else {
        progress
            .wait("server start", wait_running(backends, server.id))
            .await?
    };
    let ipv4 = server.public_net.ipv4.as_ref().map(|ip| ip.ip.clone());
    let ipv6 = server.public_net.ipv6.as_ref().map(|ip| ip.ip.clone());

    // DNS: one proxied A record for the subdomain.
    let fqdn = request.fqdn();
    progress.step(format!("ensuring proxied DNS record {fqdn}"));
    let address = ipv4.clone().ok_or_else(|| {
        Error::State(format!(
            "server {} has no public IPv4 for the A record",
            server.id
        ))
    })?;
    let v4 = ensure_record(
        backends,
        &zone.id,
        &fqdn,
        RecordType::A,
        &address,
        &instance,
    )
    .await?;
    created.record = v4.change == RecordChange::Created;
    if v4.change == RecordChange::Updated {
        updated.push(format!(
            "dns record {} now points to {address}",
            v4.record.id
        ));
    }
    let record = v4.record;
    let record_v6 = match server_ipv6_address(&server)? {
        Some(v6) => {
            let out =
                ensure_record(backends, &zone.id, &fqdn, RecordType::Aaaa, &v6, &instance).await?;
            created.record |= out.change == RecordChange::Created;
            if out.change == RecordChange::Updated {
                updated.push(format!("dns record {} now points to {v6}", out.record.id));
            }
            Some(out.record)
        }
        None => None,
    };

    Ok(Summary {
        instance_id: request.instance_id.clone(),
        server_id: server.id,
        server_name: server.name,
        ipv4,
        ipv6,
        ssh_port,
        firewall_id: firewall.id,
        firewall_name: firewall.name,
        record,
        record_v6,
        user_data_bytes,
        callback_url: request.callback_url.clone(),
        created,
        updated,
    })
}

/// Renders the document `request` would send, with the SSH port a new instance gets and
/// Cloudflare's published ranges ([`cloudflare_fallback_ranges`]), so that a document over
/// Hetzner's 32 KiB user_data limit is refused before any request is sent or any file written.
/// [`provision`] and [`ProvisionInputs::prepare`] call it first; the real render uses the live
/// ranges, normally the same list. Returns the document's size in bytes.
///
/// # Errors
/// [`Error::Invalid`] for the request's own fields, or the render's error when the document
/// does not fit.
pub fn check_user_data(request: &ProvisionRequest, simulated: bool) -> Result<usize> {
    let instance = request.instance()?;
    let port = choose_ssh_port(request, &instance, None)?;
    let policy = host_policy(
        request,
        port,
        cloudflare_fallback_ranges(),
        simulated,
        PREFLIGHT_BIND,
    )?;
    Ok(policy.user_data()?.len())
}

/// The address the size check renders Caddy's binding with: the longest IPv4 text, so the
/// real document (with the server's primary IPv4) is never larger.
const PREFLIGHT_BIND: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(255, 255, 255, 255));

/// The host's policy values for `request`, with its SSH port and Cloudflare's ranges; the
/// secrets the request lacks are generated only against the simulators.
fn host_policy(
    request: &ProvisionRequest,
    ssh_port: u16,
    ranges: Vec<hardening_model::IpNet>,
    simulated: bool,
    caddy_bind: IpAddr,
) -> Result<HostPolicy> {
    let secret = |field: &str, given: &Option<Secret>, generate: fn() -> Result<Secret>| match given
    {
        Some(s) => Ok(s.clone()),
        None if simulated => generate(),
        None => Err(Error::invalid(
            field,
            "required against the real API (the control plane and restores need it)",
        )),
    };
    let (admin_sources, bastion_sources) = request.ssh_sources(simulated)?;
    Ok(HostPolicy {
        ssh_port: Port::new(ssh_port)?,
        admin_user: UnixUser::new(request.admin_user.as_str())?,
        admin_key: request.admin_key.clone(),
        admin_sources,
        bastion_sources,
        ssh_ca: request.ssh_certificates()?,
        cloudflare_ranges: ranges,
        caddy_bind,
        domain: Domain::new(request.fqdn())?,
        images: request.images()?,
        callback_url: request.callback_url.clone(),
        callback_secret: secret(
            "callback_secret",
            &request.callback_secret,
            secrets::callback_secret,
        )?,
        backup: request.backup_target(simulated)?,
        monitoring: request.monitoring(simulated)?,
    })
}

/// The server labelled `instance=<id>`, if any.
///
/// A find before a create never loses an entry: when the answer holds a server that does not
/// decode, this fails instead of reporting "none" (which would create a duplicate).
///
/// # Errors
/// The API's error, [`hetzner_client::Error::Decode`] for an undecodable entry, or
/// [`Error::State`] when several servers carry the label.
pub async fn find_server(backends: &Backends, instance: &Instance) -> Result<Option<Server>> {
    let instance_id = instance.as_str();
    let filter =
        ListParams::default().selector(LabelSelector::new().eq(INSTANCE_LABEL, instance_id));
    let items = backends.hetzner.servers().list(filter).await?.complete()?;
    match items.len() {
        0 | 1 => Ok(items.into_iter().next()),
        n => Err(Error::State(format!(
            "{n} servers carry {INSTANCE_LABEL}={instance_id}; resolve that by hand first"
        ))),
    }
}

fn choose_ssh_port(
    request: &ProvisionRequest,
    instance: &Instance,
    existing: Option<&Server>,
) -> Result<u16> {
    let labelled = existing
        .and_then(|s| s.labels.get(SSH_PORT_LABEL))
        .map(|v| {
            v.parse::<u16>().map_err(|_| {
                Error::invalid(
                    "ssh_port",
                    format!("the existing server's {SSH_PORT_LABEL} label is not a port"),
                )
            })
        })
        .transpose()?;
    match (labelled, request.ssh_port) {
        (Some(have), Some(want)) if have != want => Err(Error::invalid(
            "ssh_port",
            format!(
                "instance {} already runs sshd on port {have}; changing it needs a rebuild",
                request.instance_id
            ),
        )),
        (Some(have), _) => Ok(have),
        (None, Some(want)) => Ok(want),
        (None, None) => Ok(crate::naming::ssh_port(request.name_key.as_ref(), instance)),
    }
}

/// Rules are equal as sets of sources (the API may reorder CIDRs).
fn same_rules(have: &[FirewallRule], want: &[FirewallRule]) -> bool {
    let norm = |rules: &[FirewallRule]| {
        let mut v: Vec<FirewallRule> = rules
            .iter()
            .cloned()
            .map(|mut r| {
                r.source_ips.sort();
                r.destination_ips.sort();
                r
            })
            .collect();
        v.sort_by_key(|r| format!("{r:?}"));
        v
    };
    norm(have) == norm(want)
}

async fn wait_running(backends: &Backends, id: u64) -> Result<Server> {
    let mut delay = std::time::Duration::from_millis(500);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(600);
    loop {
        let server = backends.hetzner.servers().get(id).await?;
        if server.status == ServerStatus::Running {
            return Ok(server);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(Error::State(format!(
                "server {id} is still {:?} after 10 minutes",
                server.status
            )));
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(std::time::Duration::from_secs(10));
    }
}

/// What [`ensure_record`] did to a DNS record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordChange {
    /// It was there as wanted.
    Unchanged,
    /// It was created.
    Created,
    /// It existed with another address or unproxied, and was patched.
    Updated,
}

/// A DNS record as [`ensure_record`] left it.
#[derive(Debug, Clone)]
pub struct EnsuredRecord {
    /// The record.
    pub record: DnsRecord,
    /// What was done.
    pub change: RecordChange,
}

/// Makes sure one proxied `record_type` record `fqdn -> address` exists in the zone.
///
/// # Errors
/// [`Error::State`] when several such records exist, or the API's error.
pub async fn ensure_record(
    backends: &Backends,
    zone_id: &str,
    fqdn: &str,
    record_type: RecordType,
    address: &str,
    instance: &Instance,
) -> Result<EnsuredRecord> {
    let dns = backends.cloudflare.dns(zone_id);
    let filter = DnsFilter {
        record_type: Some(record_type.clone()),
        name: Some(fqdn.to_owned()),
        ..DnsFilter::default()
    };
    let mut found = dns.list_all(&filter).await?;
    if found.len() > 1 {
        return Err(Error::State(format!(
            "{} {record_type:?} records exist for {fqdn}; resolve that by hand first",
            found.len()
        )));
    }
    if let Some(record) = found.pop() {
        if record.content == address && record.proxied == Some(true) {
            return Ok(EnsuredRecord {
                record,
                change: RecordChange::Unchanged,
            });
        }
        let patch = DnsRecordPatch {
            content: Some(address.to_owned()),
            proxied: Some(true),
            ..DnsRecordPatch::default()
        };
        return Ok(EnsuredRecord {
            record: dns.patch(&record.id, &patch).await?,
            change: RecordChange::Updated,
        });
    }
    let new = NewDnsRecord::new(record_type, fqdn, address)
        .proxied(true)
        .comment(format!("{MANAGED_BY} instance {instance}"));
    match dns.create(&new).await {
        Ok(record) => Ok(EnsuredRecord {
            record,
            change: RecordChange::Created,
        }),
        Err(err) => {
            // another flow may have created the same record meanwhile: adopt an identical one
            let again = dns.list_all(&filter).await?;
            match again.as_slice() {
                [one] if one.content == address => Ok(EnsuredRecord {
                    record: one.clone(),
                    change: RecordChange::Unchanged,
                }),
                _ => Err(err.into()),
            }
        }
    }
}

/// The server's IPv6 address for its `AAAA` record: Hetzner assigns a /64 network and the
/// server's own address is its first host, `<network>::1`. `None` without IPv6.
///
/// # Errors
/// [`Error::State`] when the API's `public_net.ipv6.ip` is not an IPv6 network.
pub fn server_ipv6_address(server: &Server) -> Result<Option<String>> {
    let Some(v6) = server.public_net.ipv6.as_ref() else {
        return Ok(None);
    };
    let net: ipnet::Ipv6Net = v6.ip.parse().map_err(|_| {
        Error::State(format!(
            "server {} reports IPv6 {:?}, not a network",
            server.id, v6.ip
        ))
    })?;
    let first = std::net::Ipv6Addr::from(u128::from(net.network()) | 1);
    Ok(Some(first.to_string()))
}
